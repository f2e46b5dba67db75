"""The ``sweep`` command's sub-parser: its options, help text and defaults, declared once here and
added to the command line by ``sim.cli`` from the registry."""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

from sim.studies.options import EXIT_CODES, PROG, Formatter, add_run_options, kpi_list, para
from sim.studies.sweep.grid import FORMS, ParamSpec, parse_spec


def _param(text: str) -> ParamSpec:
    try:
        return parse_spec(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


EPILOG = (
    textwrap.dedent(
        f"""\
    examples:
      {PROG} sweep scenarios/baseline.yaml --param detention.beds=10,20,40,80 \\
          --replications 5 --cohort-size 20000 --workers 2
      {PROG} sweep scenarios/baseline.yaml --param detention.beds=20:120:6 \\
          --kpis removed_enforced,detention_rejections_no_bed
      {PROG} sweep scenarios/baseline.yaml --param reporting.abscond_hazard_per_day=0.001,0.002 \\
          --param detention.beds=20,60 -n 10 -w 2
      {PROG} sweep scenarios/baseline.yaml --param detention.removal_planning_days.mean=15,30,60

    --param PATH=V1,V2,...  or  PATH=LO:HI:N (N evenly spaced values from LO to HI)
      PATH is a numeric parameter as 'describe' lists it (detention.beds,
      cohort.already_departed_share, ...) or a field of a distribution
      (detention.removal_planning_days.mean keeps the distribution's other fields). A whole
      number parameter takes whole numbers (a range is rounded). Each value must be one the
      scenario file could hold. Give --param twice for a 2-D grid (every pair of values).
      The value in force is the scenario's from day 0; 'changes' from a later day still apply.

    writes DIR (default results/sweep/<scenario name>):
      DIR/sweep.csv        param, value, [param2, value2,] kpi, mean, ci_low, ci_high, n, then
                           diff_vs_first, diff_ci_low, diff_ci_high (the paired difference
                           from the first grid point, 95% t interval) and scenario (the grid
                           point's folder); every KPI of the registry, or --kpis
      DIR/sweep_<kpi>.png  mean and 95% band against the value, one per KPI (--kpis, else the
                           headline KPIs of 'compare'); a 2-D grid has one labelled line per
                           value of the second parameter
      DIR/<scenario>__<path>_<value>/   each grid point's results folder, as 'run' writes
                           it (tables and manifest, no plots; --resume reuses its .parts)
      DIR/sweep_manifest.json   parameters, values, grid points, seed, code version,
                           command line; written last (DIR holds .incomplete until then)

    """
    )
    + EXIT_CODES
)
"""The ``sweep --help`` epilog: examples, what it writes, how to read it, and the exit codes."""


def add_parser(sub: Any) -> None:
    """Add the ``sweep`` sub-parser to ``sub`` (the subparsers of ``run_sim.py``)."""
    swp = sub.add_parser(
        "sweep",
        formatter_class=Formatter,
        help="response curves: each KPI against one parameter (or a grid of two), with 95%% bands",
        description=para(
            "Run the scenario at every value of one parameter (or every pair of values of two), with "
            "the same seed and replication indices at every grid point (common random numbers, so "
            "differences between points are measured on paired replications), and write each KPI's "
            "mean and 95% t interval against the value: sweep.csv and one plot per KPI. Before "
            "starting it prints how many simulations it will run and an estimate of the time."
        ),
        epilog=EPILOG,
    )
    swp.add_argument("scenario", metavar="SCENARIO.yaml", help="scenario file")
    g = swp.add_argument_group("the sweep")
    g.add_argument(
        "--param",
        "-p",
        type=_param,
        action="append",
        default=[],
        metavar="PATH=VALUES",
        help=f"the parameter and its values: {FORMS}; twice for a 2-D grid",
    )
    g.add_argument(
        "--kpis",
        type=kpi_list,
        metavar="A,B,...",
        help="KPIs of sweep.csv and the plots (summary.csv columns or departures_and_removals) "
        "(default: every KPI in sweep.csv, the headline KPIs plotted)",
    )
    add_run_options(swp, sweep=True)
