"""Running many replications of one or more scenarios and writing their results.

``run_experiment`` is what ``run_sim.py run`` and ``run_sim.py compare`` call. It

1. checks the output location and opens the executor (in-process, a process pool, or a Dask
   cluster) before anything is written, so bad input leaves the output folder untouched;
2. marks each scenario folder incomplete and opens its part store (``.parts``), reusing finished
   replications with ``resume`` when they belong to the same resolved scenario, seed and model;
3. runs the missing replications, writing each result to its part file as soon as it arrives
   (memory does not grow with the number of replications);
4. optionally adds batches of replications until the paired-difference confidence intervals of
   chosen KPIs are narrow enough (adaptive mode, comparisons only);
5. assembles the final tables from the parts in replication order, so the output is the same
   whatever the executor, the number of workers or the order in which replications finished;
   then the statistics, plots, ``scenario.yaml`` and, last, ``manifest.json``.

Replication ``k`` of every scenario uses the random streams of ``(root_seed, k)``, so a comparison
uses common random numbers by construction.

Nothing here prints: progress and notices go to the callbacks the caller passes.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import hashlib
import importlib.metadata
import json
import logging
import math
import multiprocessing
import platform
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiment import output
from sim.experiment.defaults import DEFAULT_MAX_REPLICATIONS, DEFAULT_REPLICATIONS, DEFAULT_SEED
from sim.model.results import COST_ITEMS, SUMMARY_COLUMNS, ReplicationResult, run_replication
from sim.scenario.loading import scenario_to_yaml
from sim.scenario.schema import Scenario

PACKAGE_DIR = Path(__file__).resolve().parents[1]
"""The ``sim`` package folder."""
MODEL_CODE = ("model", "scenario")
"""Sub-packages of ``sim`` whose source decides a replication's result: hashed into the run key,
so stored replications are never reused after any of their files changes (an include list: a new
module in either package is covered without anyone remembering to add it)."""

ProgressCallback = Callable[[int, int], None]
"""Called with (replications done, replications planned) as results arrive."""
MessageCallback = Callable[[str], None]
"""Called with a notice for the user (e.g. stored replications discarded)."""


class ExperimentError(Exception):
    """A problem with the request found before anything was written (bad output path, unreachable
    scheduler, inconsistent options): the user's to fix, not a bug."""


# ----------------------------------------------------------------------------------------------
# One replication (the function every executor runs)
# ----------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _scenario_from_json(text: str) -> Scenario:
    return Scenario.model_validate_json(text)


def run_one(scenario: Scenario | str, replication: int, root_seed: int, keep_log: bool) -> ReplicationResult:
    """Run one replication; ``scenario`` may be a Scenario or its JSON (``model_dump_json``).

    A top-level function of an importable module, so process pools using ``spawn`` and Dask
    workers can find it. Every executor (including the serial one) passes the JSON, so they all
    run exactly the same code path.
    """
    if isinstance(scenario, str):
        scenario = _scenario_from_json(scenario)
    return run_replication(scenario, replication, root_seed, keep_log=keep_log)


# ----------------------------------------------------------------------------------------------
# Identity of a run (for resuming)
# ----------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def model_code_hash() -> str:
    """SHA-256 of the model's source files, so parts from changed model code are never reused."""
    h = hashlib.sha256()
    files = sorted(p for sub in MODEL_CODE for p in (PACKAGE_DIR / sub).rglob("*") if p.is_file())
    for path in files:
        if path.suffix not in (".py", ".yaml", ".json"):
            continue
        h.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def run_key(scenario: Scenario, root_seed: int, keep_log: bool) -> str:
    """Everything a replication's result depends on, hashed: the resolved scenario (without its
    title and description), the root seed, whether the event log is kept, and the model code."""
    payload = {
        "scenario": scenario.model_dump(mode="json", exclude={"title", "description"}),
        "root_seed": root_seed,
        "keep_log": keep_log,
        "model_code": model_code_hash(),
        "part_format": output.PART_FORMAT,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


# ----------------------------------------------------------------------------------------------
# Executors
# ----------------------------------------------------------------------------------------------

Call = tuple[int, int]
"""(scenario index, replication index)."""


class SerialRunner:
    """Replications one after another in this process."""

    name = "serial"

    def __init__(self) -> None:
        self.workers = 1
        self.address: str | None = None

    def results(
        self, calls: Iterable[Call], payloads: Sequence[str], root_seed: int, keep_log: bool
    ) -> Iterator[tuple[Call, ReplicationResult]]:
        for call in calls:
            yield call, run_one(payloads[call[0]], call[1], root_seed, keep_log)

    def close(self, wait: bool = True) -> None:
        pass


class ProcessRunner:
    """Replications on a local process pool (``spawn`` start method: safe with threads, the same
    on every platform). At most ``2 x workers`` replications are in flight, so pending results
    never pile up in memory."""

    name = "process"

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.address: str | None = None
        self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))

    def results(
        self, calls: Iterable[Call], payloads: Sequence[str], root_seed: int, keep_log: bool
    ) -> Iterator[tuple[Call, ReplicationResult]]:
        todo = iter(calls)
        pending: dict[Future[ReplicationResult], Call] = {}
        window = 2 * self.workers

        def fill() -> None:
            while len(pending) < window:
                call = next(todo, None)
                if call is None:
                    return
                fut = self.pool.submit(run_one, payloads[call[0]], call[1], root_seed, keep_log)
                pending[fut] = call

        fill()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in sorted(done, key=lambda f: pending[f][::-1]):
                call = pending.pop(fut)
                yield call, fut.result()
            fill()

    def close(self, wait: bool = True) -> None:
        self.pool.shutdown(wait=wait, cancel_futures=True)


class DaskRunner:
    """Replications on a Dask distributed cluster: an existing scheduler (``tcp://host:8786``) or,
    with ``local``, a LocalCluster of ``workers`` single-threaded worker processes.

    On a remote cluster the workers must have this package installed (the replication function
    is sent by reference). Results come back to this process, which writes them.
    """

    name = "dask"

    def __init__(self, address: str, workers: int) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - distributed is a declared dependency
            raise ExperimentError(f"--scheduler needs dask.distributed ({exc})") from None
        self.address = address
        self.cluster = None
        try:
            if address == "local":
                self.cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
                self.client = Client(self.cluster)
            else:
                self.client = Client(address, timeout="10s")
        except Exception as exc:
            if self.cluster is not None:
                with contextlib.suppress(Exception):
                    self.cluster.close()
            where = (
                "start a local Dask cluster" if address == "local" else f"connect to Dask scheduler {address}"
            )
            raise ExperimentError(f"--scheduler: cannot {where}: {exc}") from None
        self.workers = max(1, sum(self.client.nthreads().values())) if address != "local" else workers

    def results(
        self, calls: Iterable[Call], payloads: Sequence[str], root_seed: int, keep_log: bool
    ) -> Iterator[tuple[Call, ReplicationResult]]:
        from distributed import as_completed

        todo = iter(calls)
        pending: dict[str, Call] = {}
        window = 2 * max(self.workers, sum(self.client.nthreads().values()), 1)
        queue = as_completed()

        def submit_one() -> bool:
            call = next(todo, None)
            if call is None:
                return False
            fut = self.client.submit(run_one, payloads[call[0]], call[1], root_seed, keep_log, pure=False)
            pending[fut.key] = call
            queue.add(fut)
            return True

        while len(pending) < window and submit_one():
            pass
        for fut in queue:
            call = pending.pop(fut.key)
            result = fut.result()
            fut.release()
            yield call, result
            submit_one()

    def close(self, wait: bool = True) -> None:
        with contextlib.suppress(Exception):
            self.client.close()
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close()


Runner = SerialRunner | ProcessRunner | DaskRunner


def make_runner(workers: int = 1, scheduler: str | None = None) -> Runner:
    """The executor for ``workers`` processes or a Dask ``scheduler`` address (or ``"local"``)."""
    if workers < 1:
        raise ExperimentError(f"--workers must be at least 1, got {workers}")
    if scheduler:
        return DaskRunner(scheduler, workers)
    if workers > 1:
        return ProcessRunner(workers)
    return SerialRunner()


# ----------------------------------------------------------------------------------------------
# Environment facts for the manifest
# ----------------------------------------------------------------------------------------------


def package_version() -> str | None:
    """The installed distribution's version, else ``sim.__version__``, else pyproject.toml's."""
    try:
        return importlib.metadata.version("contact-sim")
    except importlib.metadata.PackageNotFoundError:
        pass
    import sim

    version = getattr(sim, "__version__", None)
    if version:
        return str(version)
    try:
        import tomllib

        data = tomllib.loads((PACKAGE_DIR.parent / "pyproject.toml").read_text(encoding="utf-8"))
        return str(data["project"]["version"])
    except (ImportError, OSError, KeyError, TypeError, ValueError):
        return None


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=PACKAGE_DIR, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@functools.lru_cache(maxsize=1)
def git_state() -> tuple[str | None, bool | None]:
    """(commit, whether tracked files differ from it); (None, None) outside a git checkout."""
    commit = _git("rev-parse", "HEAD")
    if commit is None:
        return None, None
    status = _git("status", "--porcelain", "--untracked-files=no")
    return commit, (bool(status) if status is not None else None)


# ----------------------------------------------------------------------------------------------
# Running
# ----------------------------------------------------------------------------------------------


@dataclass
class ScenarioRun:
    """One scenario's folder, its stored replications and, once finished, its tables."""

    scenario: Scenario
    folder: Path
    store: output.PartStore
    summaries: dict[int, dict[str, Any]] = field(default_factory=dict)
    ran: int = 0
    summary: pd.DataFrame | None = None
    stats: pd.DataFrame | None = None
    manifest: dict[str, Any] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.scenario.name


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
    reserved = {output.COMPARISON_FILE, output.COMPARISON_MANIFEST, output.MARKER} if compare_mode else set()
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
    scenario: Scenario,
    out: Path,
    root_seed: int,
    keep_log: bool,
    resume: bool,
    notify: MessageCallback,
) -> ScenarioRun:
    folder = out / scenario.name
    output.begin_folder(folder)
    info = {"scenario": scenario.name, "root_seed": root_seed, "keep_log": keep_log}
    store = output.PartStore(folder, run_key(scenario, root_seed, keep_log), info)
    why = store.open(resume)
    if why:
        notify(f"warning: {scenario.name}: {why}")
    run = ScenarioRun(scenario, folder, store)
    if resume:
        for k in store.existing():
            result = store.read(k)
            if result is None:
                store.path(k).unlink(missing_ok=True)  # unreadable or foreign: run it again
            else:
                run.summaries[k] = dict(result.summary)
    return run


def _execute(
    runner: Runner,
    runs: Sequence[ScenarioRun],
    n: int,
    root_seed: int,
    keep_log: bool,
    progress: ProgressCallback,
) -> None:
    """Run every replication in ``range(n)`` not yet stored, storing each as it arrives."""
    payloads = [r.scenario.model_dump_json() for r in runs]
    calls = [(i, k) for k in range(n) for i, r in enumerate(runs) if k not in r.summaries]
    total = n * len(runs)
    done = total - len(calls)
    progress(done, total)
    for (i, k), result in runner.results(calls, payloads, root_seed, keep_log):
        run = runs[i]
        run.store.write(k, result)
        run.summaries[k] = dict(result.summary)
        run.ran += 1
        done += 1
        progress(done, total)


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
    assembled = output.assemble(folder, run.store, range(n), keep_log)
    run.summary = assembled.summary
    run.stats = summarise(assembled.summary, DEFAULT_KPIS)
    output.write_csv(folder / output.STATS_FILE, run.stats)
    files = [*assembled.files, output.STATS_FILE]
    if plots:
        from sim.analysis.plots import plot_run

        files += output.write_plots(
            folder, plot_run, assembled.summary, output.read_timeseries(folder), label
        )
    output.write_text(folder / output.SCENARIO_FILE, scenario_to_yaml(run.scenario))
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
    output.finish_folder(folder, run.manifest)


def run_experiment(
    scenarios: Sequence[Scenario],
    out: str | Path,
    *,
    replications: int = DEFAULT_REPLICATIONS,
    root_seed: int = DEFAULT_SEED,
    workers: int = 1,
    scheduler: str | None = None,
    keep_log: bool = False,
    resume: bool = False,
    plots: bool = True,
    compare_mode: bool = False,
    targets: Mapping[str, float] | None = None,
    max_replications: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    command_line: Sequence[str] | None = None,
    on_progress: ProgressCallback | None = None,
    on_message: MessageCallback | None = None,
) -> ExperimentResult:
    """Run ``replications`` replications of each scenario into ``out/<name>/`` (see the module doc).

    With ``compare_mode`` the first scenario is the reference: ``out/comparison.csv`` and the
    comparison plots are written too, and ``targets`` (KPI -> half-width) switches on adaptive
    replication: batches of ``replications`` are added until every paired-difference half-width
    is below its target or ``max_replications`` is reached.

    Raises ExperimentError, before writing anything, for a request that cannot be carried out.
    Any other exception is a bug; folders then keep their ``.incomplete`` marker and no manifest.
    """
    started = time.perf_counter()
    start_time = datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")
    out = Path(out)
    targets = dict(targets or {})
    progress = on_progress or (lambda done, total: None)
    notify = on_message or (lambda text: None)
    _check_request(scenarios, out, replications, root_seed, targets, max_replications, compare_mode)
    cap = max(max_replications or DEFAULT_MAX_REPLICATIONS, replications)
    labels = display_labels(scenarios)

    runner = make_runner(workers, scheduler)  # may raise ExperimentError: nothing written yet
    n = replications
    adaptive: dict[str, Any] | None = None
    clean = False
    try:
        if compare_mode:
            output.begin_folder(out, output.COMPARISON_MANIFEST, (output.COMPARISON_FILE,))
        runs = [_prepare(s, out, root_seed, keep_log, resume, notify) for s in scenarios]
        while True:
            _execute(runner, runs, n, root_seed, keep_log, progress)
            if not targets:
                break
            met = _targets_met(runs, n, targets)
            if met or n >= cap:
                adaptive = {
                    "targets": targets,
                    "batch": replications,
                    "max_replications": cap,
                    "met": met,
                    "halfwidths": paired_halfwidths(runs, n, targets),
                }
                break
            n = min(n + replications, cap)
        clean = True
    finally:
        runner.close(wait=clean)

    commit, dirty = git_state()
    manifest_base: dict[str, Any] = {
        "root_seed": root_seed,
        "replications": n,
        "overrides": dict(overrides or {}),
        "event_log": keep_log,
        "executor": runner.name,
        "workers": runner.workers,
        "scheduler": runner.address,
        "start_time": start_time,
        "package_version": package_version(),
        "git_commit": commit,
        "git_dirty": dirty,
        "python_version": platform.python_version(),
        "platform": platform.platform(),
        "command_line": shlex.join(command_line) if command_line is not None else shlex.join(sys.argv),
        "adaptive": adaptive,
    }
    for run in runs:
        _finish_run(run, n, keep_log, plots, labels[run.name], manifest_base, started)

    result = ExperimentResult(
        out=out,
        runs=runs,
        replications=n,
        executor=runner.name,
        workers=runner.workers,
        wall_seconds=0.0,
        adaptive=adaptive,
        labels=labels,
    )
    if compare_mode:
        _finish_comparison(result, manifest_base, plots, started)
    result.wall_seconds = time.perf_counter() - started
    return result


def _finish_comparison(
    result: ExperimentResult, manifest_base: Mapping[str, Any], plots: bool, started: float
) -> None:
    from sim.analysis.statistics import DEFAULT_KPIS, compare

    runs, out, labels = result.runs, result.out, result.labels
    reference = runs[0].name
    summaries = {r.name: r.summary for r in runs if r.summary is not None}
    comparison = compare(summaries, reference, DEFAULT_KPIS)
    output.write_csv(out / output.COMPARISON_FILE, comparison)
    files = [output.COMPARISON_FILE]
    if plots:
        from sim.analysis.plots import plot_comparison

        by_label = {labels[name]: frame for name, frame in summaries.items()}
        timeseries = {labels[r.name]: output.read_timeseries(r.folder) for r in runs}
        shown = comparison.assign(scenario=comparison["scenario"].map(labels))
        files += output.write_plots(out, plot_comparison, by_label, timeseries, shown, labels[reference])
    result.comparison = comparison
    result.comparison_files = files
    manifest = {
        "reference": reference,
        "scenarios": [{"name": r.name, "label": labels[r.name], "folder": r.name} for r in runs],
        **manifest_base,
        "replications_run_this_time": result.ran_this_time,
        "kpis": list(DEFAULT_KPIS),
        "files": [*files, output.COMPARISON_MANIFEST],
        "wall_time_seconds": round(time.perf_counter() - started, 3),
    }
    output.finish_folder(out, manifest, output.COMPARISON_MANIFEST)


__all__ = [
    "DEFAULT_MAX_REPLICATIONS",
    "DEFAULT_REPLICATIONS",
    "DEFAULT_SEED",
    "DaskRunner",
    "ExperimentError",
    "ExperimentResult",
    "ProcessRunner",
    "ScenarioRun",
    "SerialRunner",
    "display_labels",
    "git_state",
    "make_runner",
    "model_code_hash",
    "package_version",
    "paired_halfwidths",
    "run_experiment",
    "run_key",
    "run_one",
    "target_kpis",
]
