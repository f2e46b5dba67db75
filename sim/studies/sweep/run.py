"""Running a parameter sweep: every grid point as a scenario folder of ``run`` (without plots),
paired by replication, then sweep.csv, a PNG per plotted KPI and, last, sweep_manifest.json.
Nothing here prints.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.experiment import output
from sim.experiment.design import estimate
from sim.experiment.engine import ExecutionOptions
from sim.experiment.files import finish_folder, write_csv, write_plots
from sim.experiment.run import ExperimentResult, run_study_scenarios
from sim.scenario.schema import Scenario
from sim.studies.options import check_kpis
from sim.studies.sweep.grid import GridPoint, SweepParam


@dataclass
class SweepResult:
    """What ``run_sweep`` did."""

    table: pd.DataFrame
    experiment: ExperimentResult
    files: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0


def run_sweep(
    base: Scenario,
    params: Sequence[SweepParam],
    points: Sequence[GridPoint],
    out: str | Path,
    *,
    kpis: Sequence[str] | None = None,
    replications: int,
    root_seed: int,
    options: ExecutionOptions | None = None,
) -> SweepResult:
    """Run every grid point and write sweep.csv with ``kpis`` (default: all), their plots (default:
    the headline ``PLOT_KPIS``) and sweep_manifest.json; ExperimentError first for a bad request."""
    from sim.analysis.kpis import PLOT_KPIS
    from sim.studies.sweep.analysis import SWEEP_KPIS, sweep_table

    started = time.perf_counter()
    options = options or ExecutionOptions()
    out = Path(out)
    chosen = check_kpis(list(kpis)) if kpis is not None else list(SWEEP_KPIS)
    drawn = chosen if kpis is not None else [k for k in PLOT_KPIS if k in chosen]
    scenarios = [p.scenario for p in points]
    experiment = run_study_scenarios(
        scenarios, out, replications, root_seed, options, "sweep", output.SWEEP_MANIFEST, (output.SWEEP_FILE,)
    )
    paths = [p.path for p in params]
    table = sweep_table(paths, [(pt.values, pt.scenario.name) for pt in points], experiment.summaries, chosen)
    write_csv(out / output.SWEEP_FILE, table)
    files = [output.SWEEP_FILE]
    if options.plots:
        from sim.studies.sweep.plots import plot_sweep

        units = {p.path: p.unit for p in params}
        draw = functools.partial(plot_sweep, scenario=base.label)
        files += write_plots(out, draw, table, drawn, units)
    manifest = {
        "scenario": base.name,
        "label": base.label,
        "params": [
            {"path": p.path, "unit": p.unit, "whole_number": p.integer, "values": list(p.values)}
            for p in params
        ],
        "points": [
            {"values": list(pt.values), "name": pt.scenario.name, "folder": pt.scenario.name} for pt in points
        ],
        "kpis": chosen,
        "plotted_kpis": drawn if options.plots else [],
        "differences": "paired by replication (common random numbers), from the first grid point",
        **{k: v for k, v in experiment.base.items() if k not in ("event_log", "adaptive")},
        "replications_run_this_time": experiment.ran_this_time,
        "estimated_seconds": round(estimate(scenarios, replications, options.workers).seconds, 1),
        "files": [*files, output.SWEEP_MANIFEST],
        "wall_time_seconds": round(time.perf_counter() - started, 3),
        "base_scenario": base.model_dump(mode="json"),
    }
    finish_folder(out, manifest, output.SWEEP_MANIFEST)
    return SweepResult(table, experiment, files, time.perf_counter() - started)
