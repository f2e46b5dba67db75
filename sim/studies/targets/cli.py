"""The ``targets`` command: its sub-parser and how it runs (``sim.studies.base.StudyCli``)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.experiment.output import PARTS_DIR
from sim.studies.base import Job, Load
from sim.studies.options import PROG, RUN_RESUME, add_executor_options, add_out, add_replications, written

if TYPE_CHECKING:
    from sim.experiment.design import Budget
    from sim.experiment.engine import ExecutionOptions
    from sim.experiment.run import ExperimentResult

HELP = "compare the model with every published figure in the validation targets table"
DESCRIPTION = (
    "Run the scenarios named in the validation targets table (validation/targets.yaml: each "
    "published figure, its source and period, the model measure that corresponds, the scenario it "
    "is computed on, and a tolerance with its reason), compute each measure per replication from "
    "the scenario's results folder, written as 'run' writes it, and compare its mean and 95% t "
    "interval with the published figure."
)
EPILOG = f"""\
    examples:
      {PROG} targets
      {PROG} targets scenarios/baseline.yaml -n 10 --workers 2
      {PROG} targets --out results/targets --resume

    writes DIR (columns: docs/validation.md):
      targets.csv      per target: the published figure, the model mean and 95% CI, tolerance,
                       within, ci_overlaps, role (calibration: the model was calibrated to it;
                       parameter: a parameter was set from it; validation: an out-of-sample
                       check) and a note when it cannot be computed; shares as 0.45
      targets.png      the published figure, the model mean with its 95% CI, the tolerance band
      targets_manifest.json, and each scenario's results folder <scenario name>/ ('run --help')

    how to read 'within' (decided on the model mean, not its interval):
      two_sided  |model_mean - published| <= tolerance
      at_least   model_mean >= published - tolerance  (a published floor, e.g. "at least 18%")
      at_most    model_mean <= published + tolerance  (a published ceiling)
      A mean that cannot be computed is not within. 'ci_overlaps': the 95% CI meets the tolerance
      band; 'within' false with 'ci_overlaps' true is a near miss. A calibration target within
      says little, a validation target within says more.

    The exit code is 0 whatever 'within' says; 2 also for a bad targets file.
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The scenarios evaluated and the targets table, the replications, execution and output."""
    p.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO.yaml",
        help="evaluate only the targets on these scenario files (default: every scenario the table names)",
    )
    p.add_argument(
        "--targets-file",
        metavar="FILE",
        help="the targets table (default: validation/targets.yaml of this repository)",
    )
    add_replications(
        p,
        "replications per scenario (replication k uses random streams (seed, k))",
        RUN_RESUME.format("earlier run"),
        per="replications per scenario; 2 or more for an interval",
        low=2,
    )
    g = p.add_argument_group("execution and output")
    add_executor_options(g, "replications", scheduler=False)
    add_out(g, "output folder", "results/targets")
    g.add_argument(
        "--no-plots", action="store_true", help="skip the PNG plots (targets.png and each scenario's)"
    )
    g.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no result table")
    p.set_defaults(scheduler=None, event_log=False, horizon=None, cohort_size=None, report=False)


@dataclass(frozen=True)
class TargetsResult:
    """The scenarios' runs, targets.csv's rows and the files written (targets.csv, targets.png)."""

    experiment: ExperimentResult
    frame: Any
    files: list[str]


def plan(args: argparse.Namespace, argv: Sequence[str], load: Load, budget: Budget) -> Job:
    """The targets of the table (those on the SCENARIO files given, if any) and their scenarios."""
    from sim.experiment.errors import ExperimentError
    from sim.studies.targets.run import DEFAULT_TARGETS_FILE, read_targets

    targets_file = Path(args.targets_file) if args.targets_file else DEFAULT_TARGETS_FILE
    table = read_targets(targets_file)
    named = table.scenario_files()
    wanted = [Path(file).resolve() for file in args.scenarios]
    for file, path in zip(args.scenarios, wanted, strict=True):
        if path not in named:
            listed = ", ".join(os.path.relpath(p) for p in named)
            raise ExperimentError(
                f"{file}: no target in {targets_file} is computed on this scenario; the table names: {listed}"
            )
    if wanted:
        named = [p for p in named if p in wanted]
    chosen = [t for t in table.targets if table.scenario_path(t) in named]
    scenarios = load([str(p) for p in named])
    budget.check(scenarios, args.replications)
    name_of = {path: s.name for path, s in zip(named, scenarios, strict=True)}
    manifest = {
        "targets_file": str(table.file),
        "targets": [t.id for t in chosen],
        "scenarios": {s.name: str(p) for p, s in zip(named, scenarios, strict=True)},
        "root_seed": args.seed,
    }

    def run(out: Path, options: ExecutionOptions) -> TargetsResult:
        """Run every scenario as 'run' does, then write targets.csv, targets.png and the manifest."""
        from sim.experiment.files import finish_folder
        from sim.experiment.output import TARGETS_FILE, TARGETS_MANIFEST
        from sim.experiment.run import run_study_scenarios
        from sim.studies.targets.run import FolderTables, evaluate_targets, write_targets

        result = run_study_scenarios(
            scenarios,
            out,
            args.replications,
            args.seed,
            options,
            "targets",
            TARGETS_MANIFEST,
            (TARGETS_FILE,),
            True,
        )
        tables = {run.name: FolderTables(run.folder) for run in result.runs}
        frame = evaluate_targets(chosen, tables, {t.id: name_of[table.scenario_path(t)] for t in chosen})
        files = write_targets(out, frame, chosen, plot=not args.no_plots)
        finish_folder(
            out,
            manifest
            | {
                "replications": result.replications,
                "files": [*files, TARGETS_MANIFEST],
                "wall_time_seconds": round(result.wall_seconds, 3),
                "command_line": list(options.command_line or ()),
            },
            TARGETS_MANIFEST,
        )
        return TargetsResult(result, frame, files)

    def summary(result: TargetsResult, out: Path) -> str:
        """How many targets are within tolerance, the table of each, its notes and what was written."""
        from sim.analysis.measures import MEASURES
        from sim.studies.targets.analysis import format_targets_table

        frame, experiment = result.frame, result.experiment
        shares = {t.id for t in chosen if MEASURES[t.measure].is_share}
        notes = "".join(f"  {r['target']}: {r['note']}\n" for r in frame.to_dict("records") if r["note"])
        return (
            f"Validation targets ({table.file}): {int(frame['within'].sum())} of {len(frame)} within "
            f"tolerance; {experiment.replications} replications per scenario, seed {args.seed}, "
            f"{experiment.wall_seconds:,.0f} s.\n\n"
            + format_targets_table(frame, shares)
            + notes
            + f"\nWritten: {written(out, result.files)} (and each scenario's folder under {out})"
        )

    return Job("", "", run, summary, tuple(os.path.join(s.name, PARTS_DIR) for s in scenarios))
