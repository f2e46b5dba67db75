"""Running many replications of one or more scenarios and writing their results.

``run_experiment`` is what ``run_sim.py run`` and ``run_sim.py compare`` call. It

1. checks the request and the output location and opens the executor (in-process, a process pool,
   or a Dask cluster) before anything is written, so bad input leaves the output folder untouched;
2. marks each scenario folder incomplete and opens its part store (``.parts``), reusing finished
   replications with ``resume`` when they belong to the same resolved scenario, seed and model;
3. runs the missing replications, storing each result as soon as it arrives (memory does not
   grow with the number of replications);
4. optionally adds batches of replications until the paired-difference confidence intervals of
   chosen KPIs are narrow enough, or until the KN procedure has selected the best policy on a KPI
   (``select_best``; adaptive mode, comparisons only);
5. assembles the final tables from the parts in replication order, so the output is the same
   whatever the executor, the number of workers or the order in which replications finished;
   then the statistics, plots, ``scenario.yaml`` and, last, ``manifest.json``. A comparison adds
   comparison.csv (with simultaneous intervals), cost_effectiveness.csv and its plots.

Replication ``k`` of every scenario uses the random streams of ``(root_seed, k)``, so a comparison
uses common random numbers by construction.

Nothing here prints: progress and notices go to the callbacks the caller passes.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.experiment import output
from sim.experiment.assemble import assemble, read_timeseries
from sim.experiment.defaults import (
    DEFAULT_ALPHA,
    DEFAULT_MAX_REPLICATIONS,
    DEFAULT_REPLICATIONS,
    DEFAULT_SEED,
    DEFAULT_VALUE_PER_OUTCOME_GBP,
)
from sim.experiment.engine import (
    ExecutionOptions,
    Variant,
    open_variant,
    run_batches,
)
from sim.experiment.errors import ExperimentError
from sim.experiment.files import begin_folder, finish_folder, write_csv, write_plots, write_text
from sim.experiment.parts import PartStore
from sim.experiment.provenance import environment, run_key
from sim.experiment.runners import make_runner
from sim.experiment.selection import SelectBest, check_select_best, select_best
from sim.model.results import COST_ITEMS, SUMMARY_COLUMNS
from sim.scenario.loading import scenario_to_yaml
from sim.scenario.schema import Scenario

if TYPE_CHECKING:
    from sim.analysis.selection import Selection


@dataclass
class ScenarioRun(Variant):
    """One scenario's folder, its stored replications (``Variant``) and, once finished, its tables."""

    summary: pd.DataFrame | None = None
    stats: pd.DataFrame | None = None
    time_to_outcome: pd.DataFrame | None = None
    manifest: dict[str, Any] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    @property
    def folder(self) -> Path:
        """The scenario's output folder (its part store is ``folder/.parts``)."""
        return self.store.folder


@dataclass
class ExperimentResult:
    """What ``run_experiment`` did."""

    out: Path
    runs: list[ScenarioRun]
    replications: int
    executor: str
    workers: int
    wall_seconds: float
    comparison: pd.DataFrame | None = None
    comparison_files: list[str] = field(default_factory=list)
    adaptive: dict[str, Any] | None = None
    labels: dict[str, str] = field(default_factory=dict)
    """Display label of each scenario name (unique, for tables and plots)."""
    alpha: float = DEFAULT_ALPHA
    """1 - confidence level of the comparison's intervals; error rate of the selection."""
    value_per_outcome: float = DEFAULT_VALUE_PER_OUTCOME_GBP
    """GBP per voluntary departure or removal, in the net benefit of cost_effectiveness.csv."""
    cost_effectiveness: pd.DataFrame | None = None
    multiplicity: dict[str, dict[str, Any]] = field(default_factory=dict)
    """How the simultaneous intervals of each KPI were made (``multiplicity.Family`` as a dict)."""
    selection: Selection | None = None
    """What ``--select-best`` concluded, else None."""

    @property
    def ran_this_time(self) -> int:
        return sum(r.ran for r in self.runs)


def display_labels(scenarios: Sequence[Scenario]) -> dict[str, str]:
    """Each scenario's label, made unique (``label [name]``) where two scenarios share a title."""
    labels = [s.label for s in scenarios]
    return {s.name: (s.label if labels.count(s.label) == 1 else f"{s.label} [{s.name}]") for s in scenarios}


def target_kpis() -> list[str]:
    """Summary columns a stopping rule may use (every numeric KPI of ``summary.csv``)."""
    cost = [f"cost_{item}_gbp" for item in COST_ITEMS]
    return [c for c in (*SUMMARY_COLUMNS, *cost) if c not in ("replication", "seed")]


def _check_request(
    scenarios: Sequence[Scenario],
    out: Path,
    replications: int,
    root_seed: int,
    targets: Mapping[str, float],
    max_replications: int | None,
    compare_mode: bool,
) -> None:
    if not scenarios:
        raise ExperimentError("no scenarios to run")
    names = [s.name for s in scenarios]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ExperimentError(f"scenario names must be unique, repeated: {', '.join(dup)}")
    reserved = (
        {output.COMPARISON_FILE, output.COST_EFFECTIVENESS_FILE, output.COMPARISON_MANIFEST, output.MARKER}
        if compare_mode
        else set()
    )
    for name in names:
        # The schema's name pattern allows '.', '..' and hidden names, which would write outside
        # the output folder or into a hidden one.
        if name.startswith(".") or name in reserved:
            raise ExperimentError(
                f"scenario name {name!r} cannot be used as an output folder name; "
                "set 'name:' in the file to letters, digits, '_' or '-' (not starting with '.')"
            )
    if replications < 1:
        raise ExperimentError(f"--replications must be at least 1, got {replications}")
    if root_seed < 0:
        raise ExperimentError(f"--seed must be a non-negative integer, got {root_seed}")
    if out.exists() and not out.is_dir():
        raise ExperimentError(f"--out {out}: exists and is not a folder")
    for name in names:
        if (out / name).exists() and not (out / name).is_dir():
            raise ExperimentError(f"--out {out}: {out / name} exists and is not a folder")
    if compare_mode and len(scenarios) < 2:
        raise ExperimentError("compare needs a reference scenario and at least one other")
    if targets:
        if not compare_mode:
            raise ExperimentError("--target-halfwidth applies to compare (paired differences) only")
        if replications < 2:
            raise ExperimentError("--target-halfwidth needs --replications of at least 2 per batch")
        if max_replications is not None and max_replications < replications:
            raise ExperimentError(
                f"--max-replications ({max_replications}) is below --replications ({replications})"
            )
        known = target_kpis()
        for kpi, width in targets.items():
            if kpi not in known:
                close = difflib.get_close_matches(kpi, known, n=1)
                hint = f"did you mean {close[0]!r}?" if close else "choose from: " + ", ".join(known)
                raise ExperimentError(f"--target-halfwidth: unknown KPI {kpi!r}; {hint}")
            if not (width > 0 and math.isfinite(width)):
                raise ExperimentError(f"--target-halfwidth {kpi}: the width must be a positive number")


def _prepare(
    scenario: Scenario, out: Path, root_seed: int, keep_log: bool, options: ExecutionOptions
) -> ScenarioRun:
    folder = out / scenario.name
    begin_folder(folder)
    info = {"scenario": scenario.name, "root_seed": root_seed, "keep_log": keep_log}
    run = ScenarioRun(scenario, PartStore(folder, run_key(scenario, root_seed, keep_log), keep_log, info))
    open_variant(run, options)
    return run


def paired_halfwidths(
    runs: Sequence[ScenarioRun], n: int, kpis: Iterable[str]
) -> dict[str, dict[str, float]]:
    """Half-width of the 95% CI of the paired difference from the first scenario, per KPI and
    other scenario, over replications ``0..n-1``."""
    from sim.analysis.statistics import t_interval

    ref = runs[0]
    out: dict[str, dict[str, float]] = {}
    for run in runs[1:]:
        out[run.name] = {}
        for kpi in kpis:
            diffs = [float(run.summaries[k][kpi]) - float(ref.summaries[k][kpi]) for k in range(n)]
            _, low, high = t_interval(diffs)
            out[run.name][kpi] = (high - low) / 2.0 if not math.isnan(low) else math.nan
    return out


def _targets_met(runs: Sequence[ScenarioRun], n: int, targets: Mapping[str, float]) -> bool:
    from sim.analysis.statistics import halfwidth_below

    ref = runs[0]
    for run in runs[1:]:
        for kpi, width in targets.items():
            diffs = [float(run.summaries[k][kpi]) - float(ref.summaries[k][kpi]) for k in range(n)]
            if not halfwidth_below(diffs, width):
                return False
    return True


def outcomes_over_time(folder: Path, scenario: Scenario) -> pd.DataFrame:
    """``time_to_outcome.csv`` of a scenario folder, from its per-replication life tables.

    Only the life tables (a few thousand rows a replication) are read, never event logs, so this
    scales to any number of replications.
    """
    from sim.analysis.survival import time_to_outcome

    tables = pd.read_csv(folder / output.TABLE_FILES["life_table"])
    days = math.ceil(scenario.horizon_days)
    table = time_to_outcome(tables, days)
    table.insert(0, "scenario", scenario.name)
    return table


def _finish_run(
    run: ScenarioRun,
    n: int,
    keep_log: bool,
    plots: bool,
    label: str,
    manifest_base: Mapping[str, Any],
    started: float,
) -> None:
    from sim.analysis.statistics import DEFAULT_KPIS, summarise

    folder = run.folder
    assembled = assemble(folder, run.store, range(n), keep_log)
    run.summary = assembled.summary
    run.stats = summarise(assembled.summary, DEFAULT_KPIS)
    write_csv(folder / output.STATS_FILE, run.stats)
    run.time_to_outcome = outcomes_over_time(folder, run.scenario)
    write_csv(folder / output.TIME_TO_OUTCOME_FILE, run.time_to_outcome)
    files = [*assembled.files, output.STATS_FILE, output.TIME_TO_OUTCOME_FILE]
    if plots:
        from sim.analysis.plots import plot_run
        from sim.analysis.plots.time_to_outcome import plot_time_to_outcome

        files += write_plots(folder, plot_run, assembled.summary, read_timeseries(folder), label)
        files += write_plots(folder, plot_time_to_outcome, run.time_to_outcome, label)
    write_text(folder / output.SCENARIO_FILE, scenario_to_yaml(run.scenario))
    files.append(output.SCENARIO_FILE)
    run.files = files
    run.manifest = {
        "scenario_name": run.name,
        "label": label,
        **manifest_base,
        "replications_run_this_time": run.ran,
        "replications_resumed": n - run.ran,
        "total_events": assembled.total_events,
        "replication_seconds_total": round(assembled.replication_seconds, 3),
        "run_key": run.store.key,
        "files": [*files, output.MANIFEST],
        "wall_time_seconds": round(time.perf_counter() - started, 3),
        "scenario": run.scenario.model_dump(mode="json"),
    }
    finish_folder(folder, run.manifest)


def run_experiment(
    scenarios: Sequence[Scenario],
    out: str | Path,
    *,
    replications: int = DEFAULT_REPLICATIONS,
    root_seed: int = DEFAULT_SEED,
    keep_log: bool = False,
    compare_mode: bool = False,
    targets: Mapping[str, float] | None = None,
    max_replications: int | None = None,
    alpha: float = DEFAULT_ALPHA,
    value_per_outcome: float = DEFAULT_VALUE_PER_OUTCOME_GBP,
    select: SelectBest | None = None,
    folder: tuple[str, Sequence[str]] | None = None,
    options: ExecutionOptions | None = None,
) -> ExperimentResult:
    """Run ``replications`` replications of each scenario into ``out/<name>/`` (see the module doc).

    With ``compare_mode`` the first scenario is the reference: ``out/comparison.csv`` and the
    comparison plots are written too, and ``targets`` (KPI -> half-width) switches on adaptive
    replication: batches of ``replications`` are added until every paired-difference half-width
    is below its target or ``max_replications`` is reached. ``select`` adds batches likewise
    until the KN procedure selects the best policy on its KPI (probability of a correct selection
    1 - ``alpha`` when the best is ``select.indifference`` better) or the cap is reached; the
    first batch is its first stage. The comparison's intervals are at level 1 - ``alpha``
    (unadjusted and simultaneous); ``value_per_outcome`` (GBP) prices an outcome in the net benefit.
    ``folder`` (manifest name, fixed file names), for a command that writes its own files in
    ``out`` (``sweep``), marks ``out`` incomplete like the comparison folder, once the request has
    been checked and the executor opened; the caller writes that manifest last.

    Raises ExperimentError, before writing anything, for a request that cannot be carried out, and
    WorkerLostError when a replication keeps killing its worker process (finished replications
    stay stored for ``resume``). Any other exception is a bug. After either of the last two the
    folders keep their ``.incomplete`` marker and have no manifest.
    """
    started = time.perf_counter()
    start_time = datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")
    out = Path(out)
    targets = dict(targets or {})
    options = options or ExecutionOptions()
    _check_request(scenarios, out, replications, root_seed, targets, max_replications, compare_mode)
    if not 0.0 < alpha < 1.0:
        raise ExperimentError(f"--alpha must lie strictly between 0 and 1, got {alpha}")
    if not (math.isfinite(value_per_outcome) and value_per_outcome >= 0):
        raise ExperimentError(
            f"--value-per-outcome must be a non-negative number of GBP, got {value_per_outcome}"
        )
    if select is not None:
        select = check_select_best(
            select,
            target_kpis(),
            compare_mode=compare_mode,
            first_stage=replications,
            max_replications=max_replications,
        )
    cap = max(max_replications or DEFAULT_MAX_REPLICATIONS, replications)
    labels = display_labels(scenarios)

    runner = make_runner(options.workers, options.scheduler)  # may raise ExperimentError: nothing written yet
    adaptive: dict[str, Any] | None = None
    selection: Selection | None = None
    met = True
    clean = False
    try:
        if compare_mode:
            begin_folder(
                out,
                output.COMPARISON_MANIFEST,
                (
                    output.COMPARISON_FILE,
                    output.COST_EFFECTIVENESS_FILE,
                    output.TIME_TO_OUTCOME_FILE,
                    output.REPORT_FILE,
                ),
            )
        elif folder is not None:
            begin_folder(out, folder[0], tuple(folder[1]))
        runs = [_prepare(s, out, root_seed, keep_log, options) for s in scenarios]

        def stop(n: int) -> bool:
            """The stopping rule of adaptive replication and of KN selection, after each batch."""
            nonlocal met, selection
            met = _targets_met(runs, n, targets) if targets else True
            if select is not None:
                selection = select_best({r.name: r.summaries for r in runs}, n, select, alpha, replications)
            return met and (selection is None or selection.decided)

        rule = stop if targets or select is not None else None
        n = run_batches(runner, runs, replications, cap, root_seed, keep_log, options, rule)
        if targets:
            adaptive = {
                "targets": targets,
                "batch": replications,
                "max_replications": cap,
                "met": met,
                "halfwidths": paired_halfwidths(runs, n, targets),
            }
        clean = True
    finally:
        runner.close(wait=clean)

    manifest_base: dict[str, Any] = {
        "root_seed": root_seed,
        "replications": n,
        "overrides": dict(options.overrides),
        "event_log": keep_log,
        **environment(runner.name, runner.workers, runner.address, start_time, options.command_line),
        "adaptive": adaptive,
    }
    for run in runs:
        _finish_run(run, n, keep_log, options.plots, labels[run.name], manifest_base, started)

    result = ExperimentResult(
        out=out,
        runs=runs,
        replications=n,
        executor=runner.name,
        workers=runner.workers,
        wall_seconds=0.0,
        adaptive=adaptive,
        labels=labels,
        alpha=alpha,
        value_per_outcome=value_per_outcome,
        selection=selection,
    )
    if compare_mode:
        _finish_comparison(result, manifest_base, options.plots, started)
    result.wall_seconds = time.perf_counter() - started
    return result


def _finish_comparison(
    result: ExperimentResult, manifest_base: Mapping[str, Any], plots: bool, started: float
) -> None:
    from sim.analysis.cost_effectiveness import cost_effectiveness
    from sim.analysis.multiplicity import METHODS, simultaneous_comparison
    from sim.analysis.statistics import DEFAULT_KPIS

    runs, out, labels, alpha = result.runs, result.out, result.labels, result.alpha
    reference = runs[0].name
    summaries = {r.name: r.summary for r in runs if r.summary is not None}
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
        **manifest_base,
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


__all__ = [
    "ExperimentResult",
    "ScenarioRun",
    "display_labels",
    "paired_halfwidths",
    "run_experiment",
    "target_kpis",
]
