"""The ``sweep`` command: its sub-parser and how it runs (``sim.studies.base.StudyCli``)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sim.studies.base import Job, Load
from sim.studies.options import (
    EACH_RUN,
    PROG,
    add_run_options,
    flat_overrides,
    footer,
    kpi_list,
    overrides_of,
    written,
)
from sim.studies.sweep.grid import FORMS, ParamSpec, parse_spec

if TYPE_CHECKING:
    from sim.experiment.design import Budget
    from sim.studies.sweep.run import SweepResult

HELP = "response curves: each KPI against one parameter (or a grid of two), with 95%% bands"
DESCRIPTION = (
    "Run the scenario at every value of one parameter (or every pair of values of two), with "
    "the same seed and replication indices at every grid point (common random numbers: "
    "differences between points are paired), and write each KPI's mean and 95% t interval "
    "against the value: sweep.csv and one plot per KPI."
)
EPILOG = f"""\
    examples:
      {PROG} sweep scenarios/baseline.yaml --param detention.beds=10,20,40,80 \\
          --replications 5 --cohort-size 20000 --workers 2
      {PROG} sweep scenarios/baseline.yaml --param detention.beds=20:120:6 \\
          --kpis removed_enforced,detention_rejections_no_bed
      {PROG} sweep scenarios/baseline.yaml --param reporting.abscond_hazard_per_day=0.001,0.002 \\
          --param detention.beds=20,60 -n 10 -w 2
      {PROG} sweep scenarios/baseline.yaml --param detention.removal_planning_days.mean=15,30,60

    --param PATH is a numeric parameter as 'describe' lists it, or a field of a distribution
    (detention.removal_planning_days.mean keeps its other fields); a whole-number parameter takes
    whole numbers (a range is rounded), and each value must be one the scenario file could hold.
    The value holds from day 0; the scenario's 'changes' from a later day still apply.

    writes DIR: sweep.csv (per grid point and KPI: mean, 95% t interval and the paired difference
    from the first point), sweep_<kpi>.png (mean and 95% band against the value; a 2-D grid has
    a line per value of the second parameter), each grid point's folder <scenario>__<path>_<value>/
    as 'run' writes it (no plots), and sweep_manifest.json, written last. Columns:
    docs/user-guide.md (sweep).
"""


def _param(text: str) -> ParamSpec:
    try:
        return parse_spec(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The scenario, the grid (--param) and the KPIs, then the options of a run."""
    p.add_argument("scenario", metavar="SCENARIO.yaml", help="scenario file")
    g = p.add_argument_group("the sweep")
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
    add_run_options(p, sweep=True)


def plan(args: argparse.Namespace, argv: Sequence[str], load: Load, budget: Budget) -> Job:
    """The grid, checked against the scenario (a --param also set by a quick look is refused)."""
    from sim.analysis.kpis import TABLE_KPIS
    from sim.experiment.errors import ExperimentError
    from sim.studies.sweep.analysis import format_sweep_table
    from sim.studies.sweep.grid import build_grid, resolve
    from sim.studies.sweep.run import check_kpis, run_sweep

    if not args.param:
        raise ExperimentError(f"sweep needs --param PATH=VALUES ({FORMS})")
    (scenario,) = load([args.scenario])
    given = flat_overrides(overrides_of(args))
    option_of = {"horizon_days": "--horizon", "cohort.initial_size": "--cohort-size"}
    for spec in args.param:
        if spec.path in {path.partition("=")[0] for path in given}:
            raise ExperimentError(
                f"--param {spec.text}: {spec.path} is also set by {option_of.get(spec.path, 'an override')}; "
                "use one of them"
            )
    kpis = check_kpis(args.kpis) if args.kpis is not None else None
    params = resolve(scenario, args.param)
    points = build_grid(scenario, params)
    n, estimate = len(points), budget.check([p.scenario for p in points], args.replications)
    what = "; ".join(f"{p.path} at {len(p.values)} values" for p in params)

    def summary(result: SweepResult, out: Path) -> str:
        experiment = result.experiment
        return (
            f"\n{scenario.label} ({scenario.name}): {experiment.replications} paired replications per grid "
            f"point, seed {args.seed} (common random numbers)"
            + (f"; overrides: {', '.join(given)}" if given else "")
            + "\nMeans per cohort; * = the 95% CI of the paired difference from the first row excludes 0. "
            "Every KPI with its CI: sweep.csv\n\n"
            + format_sweep_table(result.table, kpis if kpis is not None else list(TABLE_KPIS))
            + f"\nWritten: {written(out, result.files)} (and each grid point's folder under {out})\n"
            + footer(experiment, out).replace(
                f"; {experiment.wall_seconds:.1f} s", f"; {result.wall_seconds:.1f} s"
            )
        )

    return Job(
        scenario.name,
        f"Sweep of {what}: {n} grid points x {args.replications} replications = {n * args.replications} "
        f"simulations; {estimate.text()}.",
        lambda out, options: run_sweep(
            scenario,
            params,
            points,
            out,
            kpis=kpis,
            replications=args.replications,
            root_seed=args.seed,
            options=options,
        ),
        summary,
        EACH_RUN,
    )
