"""The sweep study: see ``sim.studies``."""
