"""The sensitivity study: see ``sim.studies``."""
