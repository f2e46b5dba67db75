"""The uncertainty study: see ``sim.studies``."""
