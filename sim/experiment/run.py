"""The ``run`` plan: replications of scenarios into one folder each, on the engine.

``run_scenarios`` is ``run_experiment`` on an open executor. Each scenario folder is marked
incomplete, its missing replications run (one batch, or batches until a ``StopRule`` says stop),
its tables assembled from the parts in replication order, and ``manifest.json`` written last.
Scenarios run together are paired (replication ``k`` uses the streams of ``(root_seed, k)``).
Nothing here prints.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from sim.experiment import output
from sim.experiment.assemble import assemble, read_timeseries
from sim.experiment.defaults import (
    DEFAULT_ALPHA,
    DEFAULT_REPLICATIONS,
    DEFAULT_SEED,
    DEFAULT_VALUE_PER_OUTCOME_GBP,
)
from sim.experiment.engine import (
    ExecutionOptions,
    Variant,
    experiment_folder,
    open_variant,
    run_batches,
)
from sim.experiment.errors import ExperimentError
from sim.experiment.files import begin_folder, check_folder, finish_folder, write_csv, write_plots, write_text
from sim.experiment.parts import PartStore
from sim.experiment.provenance import environment, run_key
from sim.experiment.runners import Runner
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
    """What ``run_experiment`` (or ``compare.run_comparison``) did."""

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

    base: dict[str, Any] = field(default_factory=dict)
    """The manifest entries every folder of the experiment shares (seed, replications, executor...)."""

    @property
    def ran_this_time(self) -> int:
        return sum(r.ran for r in self.runs)

    @property
    def summaries(self) -> dict[str, pd.DataFrame]:
        """Each scenario's summary.csv table, by scenario name."""
        return {r.name: r.summary for r in self.runs if r.summary is not None}


RUN_KIND = "run"
"""The owner kind of a scenario folder, whichever command (run, compare, sweep...) wrote it: the
same files, so a command that runs scenarios may replace one (``files.begin_folder``)."""


def display_labels(scenarios: Sequence[Scenario]) -> dict[str, str]:
    """Each scenario's label, made unique (``label [name]``) where two scenarios share a title."""
    labels = [s.label for s in scenarios]
    return {s.name: (s.label if labels.count(s.label) == 1 else f"{s.label} [{s.name}]") for s in scenarios}


class StopRule(Protocol):
    """When to stop adding batches of replications (``compare``'s adaptive replication and KN
    selection), and what to record about it in every manifest."""

    cap: int
    """The most replications of each scenario, whatever the rule says."""

    def __call__(self, runs: Sequence[ScenarioRun], n: int) -> bool:
        """Whether ``n`` replications of each run are enough."""
        ...

    def record(self, runs: Sequence[ScenarioRun], n: int) -> dict[str, Any] | None:
        """The manifests' ``adaptive`` entry once the batches are done."""
        ...


def check_scenarios(
    scenarios: Sequence[Scenario],
    out: Path,
    replications: int,
    root_seed: int,
    reserved: Set[str] = frozenset(),
    force: bool = False,
) -> None:
    """ExperimentError, before anything is written, for scenarios that cannot be run into ``out``
    (``reserved``: names of files the plan writes in ``out`` itself), including a scenario folder
    that is another command's, or in use (``files.check_folder``; ``force``: moved aside later)."""
    if not scenarios:
        raise ExperimentError("no scenarios to run")
    names = [s.name for s in scenarios]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ExperimentError(f"scenario names must be unique, repeated: {', '.join(dup)}")
    for name in names:
        # The schema's name pattern allows '.', '..' and hidden names, which would write outside
        # the output folder or into a hidden one.
        if name.startswith("."):
            raise ExperimentError(
                f"scenario name {name!r} cannot be used as an output folder name; "
                "set 'name:' in the file to letters, digits, '_' or '-' (not starting with '.')"
            )
        if name in reserved:
            raise ExperimentError(
                f"scenario name {name!r} is the name of a file written in {out}; "
                "set 'name:' in the file to another name"
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
        check_folder(out / name, RUN_KIND, output.RUN_FILES, force)


def _prepare(
    scenario: Scenario, out: Path, root_seed: int, keep_log: bool, options: ExecutionOptions
) -> ScenarioRun:
    folder = out / scenario.name
    aside = begin_folder(folder, RUN_KIND, force=options.force, command_line=options.command_line)
    if aside is not None:
        options.notify(f"--force: moved the old {folder} aside to {aside}")
    info = {"scenario": scenario.name, "root_seed": root_seed, "keep_log": keep_log}
    run = ScenarioRun(scenario, PartStore(folder, run_key(scenario, root_seed, keep_log), keep_log, info))
    open_variant(run, options)
    return run


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
    from sim.analysis.survival import time_to_outcome

    folder = run.folder
    assembled = assemble(folder, run.store, range(n), keep_log)
    run.summary = assembled.summary
    run.stats = summarise(assembled.summary, DEFAULT_KPIS)
    write_csv(folder / output.STATS_FILE, run.stats)
    # from the life tables (a few thousand rows a replication, never the event logs): scales to any n
    life_tables = pd.read_csv(folder / output.TABLE_FILES["life_table"])
    run.time_to_outcome = time_to_outcome(life_tables, math.ceil(run.scenario.horizon_days))
    run.time_to_outcome.insert(0, "scenario", run.name)
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
        "sections_reused": dict(run.reused),
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
    options: ExecutionOptions | None = None,
) -> ExperimentResult:
    """Run ``replications`` of each scenario into ``out/<name>/`` (module doc). ExperimentError
    before anything is written for a request that cannot be carried out; WorkerLostError when a
    replication keeps killing its worker (finished ones stay stored for ``resume``; the folders keep
    ``.incomplete`` and have no manifest, as after any other exception, which is a bug)."""
    out = Path(out)
    options = options or ExecutionOptions()
    check_scenarios(scenarios, out, replications, root_seed, force=options.force)
    with experiment_folder(out, options) as runner:
        return run_scenarios(runner, scenarios, out, replications, root_seed, keep_log, options)


def run_study_scenarios(
    scenarios: Sequence[Scenario],
    out: Path,
    replications: int,
    root_seed: int,
    options: ExecutionOptions,
    kind: str,
    manifest: str,
    fixed: Sequence[str],
    plots: bool = False,
) -> ExperimentResult:
    """The scenario folders (with ``plots`` or without) of a study of ``kind`` that writes its own
    files in ``out`` (``fixed``, and ``manifest`` last: sweep, uncertainty, targets), checked first
    as ``run_experiment``."""
    check_scenarios(scenarios, out, replications, root_seed, force=options.force)
    with experiment_folder(out, options, kind, manifest, fixed) as runner:
        scenario_options = dataclasses.replace(options, plots=options.plots and plots)
        return run_scenarios(runner, scenarios, out, replications, root_seed, False, scenario_options)


def run_scenarios(
    runner: Runner,
    scenarios: Sequence[Scenario],
    out: Path,
    replications: int,
    root_seed: int,
    keep_log: bool,
    options: ExecutionOptions,
    rule: StopRule | None = None,
) -> ExperimentResult:
    """``run_experiment`` on an open executor, for scenarios ``check_scenarios`` accepted; with
    ``rule``, batches of ``replications`` are added until it says stop or reaches its cap."""
    started = time.perf_counter()
    labels = display_labels(scenarios)
    runs = [_prepare(s, out, root_seed, keep_log, options) for s in scenarios]
    stop = (lambda n: rule(runs, n)) if rule is not None else None
    cap = rule.cap if rule is not None else replications
    n = run_batches(runner, runs, replications, cap, root_seed, keep_log, options, stop)
    base: dict[str, Any] = {
        "root_seed": root_seed,
        "replications": n,
        "overrides": dict(options.overrides),
        "event_log": keep_log,
        "reuse": options.reuse,
        **environment(runner.name, runner.workers, runner.address, runner.start_time, options.command_line),
        "adaptive": rule.record(runs, n) if rule is not None else None,
    }
    for run in runs:
        _finish_run(run, n, keep_log, options.plots, labels[run.name], base, started)
    return ExperimentResult(
        out=out,
        runs=runs,
        replications=n,
        executor=runner.name,
        workers=runner.workers,
        wall_seconds=time.perf_counter() - started,
        adaptive=base["adaptive"],
        labels=labels,
        base=base,
    )
