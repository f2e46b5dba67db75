"""Command line: run, compare, report on, validate and describe scenario files; sweep a parameter;
check the model against the validation targets; rank which plausible ranges drive each KPI
(sensitivity); say how sure each policy difference is when the assumptions vary (uncertainty).

    python run_sim.py run SCENARIO.yaml [options]
    python run_sim.py compare REFERENCE.yaml OTHER.yaml... [options] [--report]
    python run_sim.py sweep SCENARIO.yaml --param PATH=V1,V2,... [--param PATH2=...] [options]
    python run_sim.py report RESULTS_DIR [--out FILE]
    python run_sim.py targets [SCENARIO.yaml...] [options]
    python run_sim.py sensitivity SCENARIO.yaml [POLICY.yaml...] [--method morris|sobol] [options]
    python run_sim.py uncertainty REFERENCE.yaml POLICY.yaml... [--samples N] [options]
    python run_sim.py validate SCENARIO.yaml...
    python run_sim.py describe SCENARIO.yaml [--markdown]

Exit codes: 0 success; 2 bad input (a scenario file or a command-line value), reported on stderr
without a traceback and before anything is written; 3 a replication kept killing its worker
process (finished replications are kept for ``--resume``); 130 interrupted (finished replications are
kept for ``--resume``). Any other failure is a bug and shows a traceback.

``parser`` builds the argument parser and its help, ``commands`` runs each command, ``progress``
draws the progress bar and ``text`` words the lines around the result tables. This package is the
only part of ``sim`` that prints.
"""

from __future__ import annotations

from sim.cli.commands import main
from sim.cli.parser import build_parser

__all__ = ["build_parser", "main"]
