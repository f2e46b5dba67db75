"""The calibration study: see ``sim.studies``."""
