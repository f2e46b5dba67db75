"""The targets study: see ``sim.studies``."""
