"""``compare``: a reference and its policies run together, then the comparison tables.

``run_comparison`` (``run_sim.py compare``) runs the scenarios as the ``run`` plan, with ``out``
marked incomplete until its tables, figures and, last, comparison_manifest.json are written.
``Stopping`` (the engine's ``StopRule``) adds batches of replications until the chosen
paired-difference intervals are narrow enough or KN has selected the best policy. Nothing here prints.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.analysis.kpis import resolve
from sim.experiment import output
from sim.experiment.assemble import COLUMN_ORDER, read_timeseries
from sim.experiment.defaults import (
    DEFAULT_ALPHA,
    DEFAULT_MAX_REPLICATIONS,
    DEFAULT_REPLICATIONS,
    DEFAULT_SEED,
    DEFAULT_VALUE_PER_OUTCOME_GBP,
)
from sim.experiment.engine import ExecutionOptions, experiment_folder
from sim.experiment.errors import ExperimentError
from sim.experiment.files import finish_folder, write_csv, write_plots
from sim.experiment.run import ExperimentResult, ScenarioRun, check_scenarios, run_scenarios
from sim.experiment.selection import SelectBest, check_cap, check_select_best, select_best
from sim.model.results import ROW_KEYS
from sim.scenario.schema import Scenario

if TYPE_CHECKING:
    from sim.analysis.selection import Selection

COMPARISON_FILES = (
    output.COMPARISON_FILE,
    output.COST_EFFECTIVENESS_FILE,
    output.TIME_TO_OUTCOME_FILE,
    output.REPORT_FILE,
)
"""What a comparison writes in ``out`` itself (removed when it starts again)."""


def target_kpis() -> list[str]:
    """Summary columns a stopping rule may use (every numeric KPI of ``summary.csv``)."""
    return [c for c in COLUMN_ORDER if c not in ROW_KEYS]


def _check_targets(targets: Mapping[str, float], replications: int, max_replications: int | None) -> None:
    """ExperimentError for a ``--target-halfwidth`` request that cannot be carried out."""
    if replications < 2:
        raise ExperimentError("--target-halfwidth needs --replications of at least 2 per batch")
    check_cap(max_replications, replications)
    resolve(targets, target_kpis(), "--target-halfwidth", ExperimentError)
    for kpi, width in targets.items():
        if not (width > 0 and math.isfinite(width)):
            raise ExperimentError(f"--target-halfwidth {kpi}: the width must be a positive number")


def check_comparison(
    scenarios: Sequence[Scenario],
    replications: int,
    *,
    alpha: float,
    value_per_outcome: float,
    select: SelectBest | None,
    targets: Mapping[str, float],
    max_replications: int | None,
) -> tuple[SelectBest | None, int]:
    """ExperimentError, before anything is estimated or written, for a comparison request that
    cannot be carried out. The checked ``select`` request, and the most replications a scenario may
    get: a stopping rule's cap (``--max-replications``), else ``replications``."""
    if len(scenarios) < 2:
        raise ExperimentError("compare needs a reference scenario and at least one other")
    if targets:
        _check_targets(targets, replications, max_replications)
    if not 0.0 < alpha < 1.0:
        raise ExperimentError(f"--alpha must lie strictly between 0 and 1, got {alpha}")
    if not (math.isfinite(value_per_outcome) and value_per_outcome >= 0):
        raise ExperimentError(
            f"--value-per-outcome must be a non-negative number of GBP, got {value_per_outcome}"
        )
    if select is not None:
        select = check_select_best(
            select, target_kpis(), first_stage=replications, max_replications=max_replications
        )
    if not targets and select is None:
        return None, replications
    return select, max(max_replications or DEFAULT_MAX_REPLICATIONS, replications)


def paired_halfwidths(
    runs: Sequence[ScenarioRun], n: int, kpis: Iterable[str]
) -> dict[str, dict[str, float]]:
    """Half-width of the 95% CI of the paired difference from the first scenario, per KPI and
    other scenario, over replications ``0..n-1`` (NaN with fewer than two values, never below a
    target)."""
    from sim.analysis.statistics import t_interval

    ref = runs[0].summaries

    def halfwidth(run: ScenarioRun, kpi: str) -> float:
        _, low, high = t_interval([float(run.summaries[k][kpi]) - float(ref[k][kpi]) for k in range(n)])
        return (high - low) / 2.0 if not math.isnan(low) else math.nan

    return {run.name: {kpi: halfwidth(run, kpi) for kpi in kpis} for run in runs[1:]}


@dataclass
class Stopping:
    """The ``StopRule`` of compare: every paired-difference half-width below its target (``targets``)
    and, with ``select``, KN decided; ``met`` and ``selection`` hold the last verdicts."""

    targets: dict[str, float]
    select: SelectBest | None
    alpha: float
    batch: int
    cap: int
    met: bool = True
    selection: Selection | None = field(default=None)

    def __call__(self, runs: Sequence[ScenarioRun], n: int) -> bool:
        widths = paired_halfwidths(runs, n, self.targets)
        self.met = all(w < self.targets[kpi] for by_kpi in widths.values() for kpi, w in by_kpi.items())
        if self.select is not None:
            rows = {r.name: r.summaries for r in runs}
            self.selection = select_best(rows, n, self.select, self.alpha, self.batch)
        return self.met and (self.selection is None or self.selection.decided)

    def record(self, runs: Sequence[ScenarioRun], n: int) -> dict[str, Any] | None:
        if not self.targets:
            return None
        return {
            "targets": self.targets,
            "batch": self.batch,
            "max_replications": self.cap,
            "met": self.met,
            "halfwidths": paired_halfwidths(runs, n, self.targets),
        }


def run_comparison(
    scenarios: Sequence[Scenario],
    out: str | Path,
    *,
    replications: int = DEFAULT_REPLICATIONS,
    root_seed: int = DEFAULT_SEED,
    keep_log: bool = False,
    targets: Mapping[str, float] | None = None,
    max_replications: int | None = None,
    alpha: float = DEFAULT_ALPHA,
    value_per_outcome: float = DEFAULT_VALUE_PER_OUTCOME_GBP,
    select: SelectBest | None = None,
    options: ExecutionOptions | None = None,
) -> ExperimentResult:
    """Run the scenarios (the first is the reference) and write the comparison (module doc).

    ``targets`` (KPI -> half-width) adds batches of ``replications`` until every paired-difference
    half-width is below its target; ``select`` until KN selects the best policy on its KPI (correct
    with probability 1 - ``alpha`` when the best is ``select.indifference`` better; the first batch
    is its first stage); both stop at ``max_replications``. Intervals are at level 1 - ``alpha``;
    ``value_per_outcome`` (GBP) prices an outcome in the net benefit. Errors as ``run_experiment``.
    """
    started = time.perf_counter()
    out = Path(out)
    options = options or ExecutionOptions()
    targets = dict(targets or {})
    check_scenarios(scenarios, out, replications, root_seed, output.COMPARISON_OUTPUTS, options.force)
    select, most = check_comparison(
        scenarios,
        replications,
        alpha=alpha,
        value_per_outcome=value_per_outcome,
        select=select,
        targets=targets,
        max_replications=max_replications,
    )
    rule = Stopping(targets, select, alpha, replications, most) if targets or select is not None else None
    with experiment_folder(out, options, "compare", output.COMPARISON_MANIFEST, COMPARISON_FILES) as runner:
        result = run_scenarios(runner, scenarios, out, replications, root_seed, keep_log, options, rule)
    result.alpha = alpha
    result.value_per_outcome = value_per_outcome
    result.selection = rule.selection if rule is not None else None
    _finish_comparison(result, options.plots, started)
    result.wall_seconds = time.perf_counter() - started
    return result


def _finish_comparison(result: ExperimentResult, plots: bool, started: float) -> None:
    """comparison.csv, cost_effectiveness.csv, time_to_outcome.csv, their figures and, last, the
    comparison manifest, from the scenario folders just written."""
    from sim.analysis.cost_effectiveness import cost_effectiveness
    from sim.analysis.multiplicity import METHODS, simultaneous_comparison
    from sim.analysis.statistics import DEFAULT_KPIS

    runs, out, labels, alpha = result.runs, result.out, result.labels, result.alpha
    reference = runs[0].name
    summaries = result.summaries
    comparison, families = simultaneous_comparison(summaries, reference, DEFAULT_KPIS, alpha)
    write_csv(out / output.COMPARISON_FILE, comparison)
    ce = cost_effectiveness(summaries, reference, alpha=alpha, value_per_outcome=result.value_per_outcome)
    write_csv(out / output.COST_EFFECTIVENESS_FILE, ce)
    files = [output.COMPARISON_FILE, output.COST_EFFECTIVENESS_FILE]
    if plots:
        from sim.analysis.plots import plot_comparison

        by_label = {labels[name]: frame for name, frame in summaries.items()}
        timeseries = {labels[r.name]: read_timeseries(r.folder) for r in runs}
        shown = comparison.assign(scenario=comparison["scenario"].map(labels))
        shown_ce = ce.assign(scenario=ce["scenario"].map(labels))
        draw = functools.partial(plot_comparison, cost_effectiveness=shown_ce, alpha=alpha)
        files += write_plots(out, draw, by_label, timeseries, shown, labels[reference])
    over_time = pd.concat(
        [r.time_to_outcome for r in runs if r.time_to_outcome is not None], ignore_index=True
    )
    write_csv(out / output.TIME_TO_OUTCOME_FILE, over_time)
    files.append(output.TIME_TO_OUTCOME_FILE)
    if plots:
        from sim.analysis.plots.time_to_outcome import plot_time_to_outcome_comparison

        files += write_plots(out, plot_time_to_outcome_comparison, over_time, labels, [r.name for r in runs])
    result.comparison = comparison
    result.cost_effectiveness = ce
    result.multiplicity = {k: dataclasses.asdict(f) for k, f in families.items()}
    result.comparison_files = files
    manifest = {
        "reference": reference,
        "scenarios": [{"name": r.name, "label": labels[r.name], "folder": r.name} for r in runs],
        **result.base,
        "replications_run_this_time": result.ran_this_time,
        "kpis": list(DEFAULT_KPIS),
        "alpha": alpha,
        "multiplicity": {
            "family": "per KPI: every policy's paired difference from the reference",
            "methods": dict(METHODS),
            "kpis": result.multiplicity,
        },
        "cost_effectiveness": {
            "value_per_outcome_gbp": result.value_per_outcome,
            "cost_per_outcome_interval": "Fieller on the paired mean differences",
        },
        "selection": result.selection.as_dict() if result.selection is not None else None,
        "files": [*files, output.COMPARISON_MANIFEST],
        "wall_time_seconds": round(time.perf_counter() - started, 3),
    }
    finish_folder(out, manifest, output.COMPARISON_MANIFEST)
