"""Command line: run, compare, report on, validate and describe scenario files, and every study of
the registry (sweep, targets, sensitivity, uncertainty, calibrate); ``run_sim.py --help`` lists
them with examples, and each command's ``--help`` its options, outputs and exit codes
(``sim.studies.options.EXIT_CODES``: 0 success, 2 bad input, 3 a worker lost repeatedly, 130
interrupted; any other failure is a bug and shows a traceback). This package is the only part of
``sim`` that prints.
"""

from __future__ import annotations

from sim.cli.commands import main
from sim.cli.parser import build_parser

__all__ = ["build_parser", "main"]
