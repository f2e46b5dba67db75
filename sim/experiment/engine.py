"""The experiment engine: variants x replications -> one store, whatever the study.

Every command that runs replications is a plan on this engine: it runs each ``(variant,
replication)`` not yet stored on an executor (``runners``) and stores each result as it arrives in
its variant's part store (``parts``); what a study makes of the rows is its own code, run
afterwards. Replication ``k`` of every variant uses the streams of ``(root_seed, k)`` (common
random numbers). Nothing here prints: progress and notices go to the callbacks.
"""

from __future__ import annotations

import contextlib
import functools
import signal
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sim.experiment.errors import ExperimentError, Terminated
from sim.experiment.files import begin_folder, check_folder, locks_released_on_error, remove
from sim.experiment.output import MANIFEST, PARTS_DIR
from sim.experiment.parts import PartStore
from sim.experiment.provenance import run_key
from sim.experiment.runners import Runner, make_runner
from sim.experiment.worker import ReplicationFn, run_one
from sim.model.processes.contact import phase_inputs
from sim.scenario.schema import Scenario

ProgressCallback = Callable[[int, int], None]
"""Called with (replications done, replications planned) as results arrive."""
MessageCallback = Callable[[str], None]
"""Called with a notice for the user (e.g. stored replications discarded)."""


@dataclass(frozen=True)
class ExecutionOptions:
    """How a command runs its replications and records them: the options every study takes from
    its command line, passed once. None of them changes a result."""

    workers: int = 1
    """Local worker processes (1: in this process), or Dask workers with ``scheduler="local"``."""
    scheduler: str | None = None
    """A Dask scheduler address, ``"local"`` for a local cluster, None for no Dask."""
    resume: bool = False
    """Reuse replications stored by an earlier run of the same variants (``--resume``)."""
    plots: bool = True
    """Write the figures (``--no-plots``: the tables only)."""
    overrides: Mapping[str, Any] = field(default_factory=dict)
    """The quick-look overrides applied to every scenario (``--horizon``, ...), for the manifest."""
    command_line: tuple[str, ...] | None = None
    """The command as typed, for the manifest."""
    on_progress: ProgressCallback | None = None
    on_message: MessageCallback | None = None
    force: bool = False
    """Move a folder this command may not write into aside instead of refusing it (``--force``)."""
    reuse: bool = True
    """Let a worker reuse the contact phase of an earlier replication with the same inputs
    (``Model``; ``--no-reuse`` turns it off to check that the results are the same without)."""

    def progress(self, done: int, total: int) -> None:
        """Report ``done`` of ``total`` replications to ``on_progress`` (if any)."""
        if self.on_progress is not None:
            self.on_progress(done, total)

    def notify(self, text: str) -> None:
        """Pass a notice to ``on_message`` (if any)."""
        if self.on_message is not None:
            self.on_message(text)


STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
"""Signals that stop a run as Ctrl-C (SIGINT) does, while its executor is open."""


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """While open, ``STOP_SIGNALS`` raise ``Terminated`` in the main thread, as SIGINT raises
    ``KeyboardInterrupt``, so the executor is closed and its workers ended (they would otherwise
    outlive the parent). The previous handlers are put back after. Elsewhere than the main
    thread, where Python cannot set handlers, nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise Terminated(signum)

    previous = {sig: signal.signal(sig, stop) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def experiment_folder(
    out: Path,
    options: ExecutionOptions,
    kind: str | None = None,
    manifest: str = MANIFEST,
    fixed: Sequence[str] = (),
    replicate: ReplicationFn = run_one,
) -> Iterator[Runner]:
    """The executor of a command writing into ``out``, running ``replicate`` for each replication.

    In an order that leaves nothing behind on a bad ``--out`` or ``--scheduler``: check ``out`` (for
    a plan of ``kind`` with its own ``manifest`` and ``fixed`` files in ``out``: that it may write
    there, ``check_folder``), start the executor (``ExperimentError`` if it cannot), and only then
    claim ``out``, mark it incomplete and clear that kind's previous outputs (``begin_folder``; part
    stores stay). After an error, Ctrl-C, SIGTERM or SIGHUP (``stop_on_signals``) the executor is
    closed and the replications in flight ended (``--resume`` re-runs what is missing), and the
    folder locks taken are released.
    """
    if out.exists() and not out.is_dir():
        raise ExperimentError(f"--out: {out} exists and is not a folder")
    if kind is not None:
        check_folder(out, kind, {*fixed, manifest}, options.force)
    if not options.reuse:  # every replication function takes ``reuse`` (``worker``)
        replicate = cast(ReplicationFn, functools.partial(cast(Any, replicate), reuse=False))
    with stop_on_signals():
        runner = make_runner(options.workers, options.scheduler, replicate)
        clean = False
        try:
            with locks_released_on_error():
                if kind is not None:
                    aside = begin_folder(out, kind, manifest, fixed, options.force, options.command_line)
                    if aside is not None:
                        options.notify(f"--force: moved the old {out} aside to {aside}")
                yield runner
            clean = True
        finally:
            runner.close(wait=clean)


@dataclass
class Variant:
    """One variant's part store and the summary rows stored so far (replication -> row)."""

    scenario: Scenario
    store: PartStore
    summaries: dict[int, dict[str, Any]] = field(default_factory=dict)
    ran: int = 0
    """Replications run (not resumed) this time."""
    reused: Counter[str] = field(default_factory=Counter)
    """Of those, how many took each section from an earlier replication (``Model.reused``)."""

    @property
    def name(self) -> str:
        return self.scenario.name


def open_variant(variant: Variant, options: ExecutionOptions) -> None:
    """The one resume path: open the variant's store (emptied without ``resume``) and, with
    ``resume``, take the summary row of every stored replication that reads back intact (the
    others are run again)."""
    why = variant.store.open(options.resume)
    if why:
        options.notify(f"warning: {variant.name}: {why}")
    if options.resume:
        for k in variant.store.existing():
            result = variant.store.read(k)
            if result is None:
                variant.store.discard(k)  # unreadable or foreign: run it again
            else:
                variant.summaries[k] = dict(result.summary)


def execute(
    runner: Runner,
    variants: Sequence[Variant],
    replications: int,
    root_seed: int,
    keep_log: bool,
    options: ExecutionOptions,
) -> None:
    """Run every replication in ``range(replications)`` of every variant not yet stored, storing
    each as it arrives (memory does not grow with the number of replications).

    Replication k of every variant is asked for before replication k + 1 of any, and the variants
    whose contact phase has the same inputs one after another, so that a worker can reuse the phase
    it has just played (``Model``; a worker keeps one)."""
    payloads = [v.scenario.model_dump_json() for v in variants]
    phases = [phase_inputs(v.scenario) for v in variants]
    grouped = sorted(range(len(variants)), key=lambda i: phases[i])
    calls = [(i, k) for k in range(replications) for i in grouped if k not in variants[i].summaries]
    total = replications * len(variants)
    done = total - len(calls)
    options.progress(done, total)
    for (i, k), result in runner.results(calls, payloads, root_seed, keep_log, notify=options.on_message):
        variant = variants[i]
        variant.store.write(k, result)
        variant.summaries[k] = dict(result.summary)
        variant.ran += 1
        variant.reused.update(result.reused)
        done += 1
        options.progress(done, total)


def run_batches(
    runner: Runner,
    variants: Sequence[Variant],
    batch: int,
    cap: int,
    root_seed: int,
    keep_log: bool,
    options: ExecutionOptions,
    stop: Callable[[int], bool] | None = None,
) -> int:
    """Run ``batch`` replications of every variant, then another batch while ``stop(n)`` (n the
    replications so far) is false, up to ``cap``; without ``stop``, one batch. Returns n."""
    n = batch
    while True:
        execute(runner, variants, n, root_seed, keep_log, options)
        if stop is None or stop(n) or n >= cap:
            return n
        n = min(n + batch, cap)


@dataclass
class DesignResult:
    """Summary rows of every variant and replication: ``rows[i][k]`` for variant i, replication k."""

    rows: list[list[dict[str, Any]]]
    ran: int
    """Replications run this time (identical variants counted once)."""
    resumed: int
    """Replications reused from the store."""
    unique: int
    """Distinct variants (design points that are the same scenario count once)."""
    reused: Counter[str] = field(default_factory=Counter)
    """Of the replications run, how many took each section from an earlier one (``Variant``)."""


def run_design(
    scenarios: Sequence[Scenario],
    replications: int,
    folder: Path,
    runner: Runner,
    root_seed: int,
    options: ExecutionOptions,
) -> DesignResult:
    """Replications ``0..replications-1`` of every scenario, summary rows only, on ``runner`` (made
    with a summary-only replication function, ``worker.run_summary`` or ``run_measures``).

    Each distinct variant (by run key) has its own part store, ``folder/.parts/<run key>/``, so
    identical variants run once and ``resume`` reuses exactly the rows of identical variants,
    whatever their position in the design; without ``resume`` every earlier row is removed.
    """
    if not options.resume:
        remove(folder / PARTS_DIR)
    keys = [run_key(s, root_seed, False) for s in scenarios]
    variants: dict[str, Variant] = {}
    for key, scenario in zip(keys, scenarios, strict=True):
        if key not in variants:
            variants[key] = Variant(scenario, PartStore(folder, key, summary_only=True, subdir=key))
            open_variant(variants[key], options)
    resumed = sum(k < replications for v in variants.values() for k in v.summaries)
    execute(runner, list(variants.values()), replications, root_seed, False, options)
    rows = [[variants[key].summaries[k] for k in range(replications)] for key in keys]
    ran = sum(v.ran for v in variants.values())
    reused = sum((v.reused for v in variants.values()), Counter[str]())
    return DesignResult(rows=rows, ran=ran, resumed=resumed, unique=len(variants), reused=reused)
