"""The studies: sweep, sensitivity, uncertainty, calibration and targets, each in its own folder.

A study is a plan of runs on the experiment engine (``sim.experiment``) with its own analysis,
figures and files. Each folder holds the whole of one study: ``run`` (the request, plan and
files written), ``analysis`` (its tables, no I/O) and ``plots`` (its figures). This layer sits
between the engine and the command line and report, which import it; it imports neither.
"""
