"""The studies (``registry.STUDIES``), each a plan of runs on the experiment engine with its own
analysis, figures and files, in its own folder. This layer sits between the engine and the command
line and report, which import it; it imports neither.
"""
