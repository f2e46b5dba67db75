"""Executors: where replications run (this process, a local process pool, a Dask cluster).

Each executor's ``results(calls, payloads, root_seed, keep_log)`` runs the calls ``(scenario index,
replication)`` of a replication function on the scenario's JSON and yields ``(call,
ReplicationResult)`` as they finish, in any order; the caller stores each at once and assembles in
replication order, so the output does not depend on the executor.

Lost workers cost only time: replications are deterministic and run again (``ProcessRunner``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import os
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime, timezone

from sim.experiment.errors import ExperimentError
from sim.experiment.worker import ReplicationFn, run_one, start_pool_worker, warm_up
from sim.model.results import ReplicationResult

Call = tuple[int, int]
"""(scenario index, replication index)."""
Notify = Callable[[str], None]
"""Receives notices for the user (e.g. a worker was lost and replications are re-run)."""

MAX_RETRIES = 3
"""How many times a replication whose worker process died is run again before the run stops.
Process pool: re-runs alone after the first loss; Dask: the local cluster's ``allowed-failures``."""


LOCAL_CLUSTER_CONFIG: dict[str, object] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.gil.enabled": False,
}
"""Dask settings for ``--scheduler local``: by default every worker samples the running task's stack
every 10 ms (and may poll GIL contention every 1 ms), which costs GIL-bound replications time a
process pool does not lose (``benchmarks/dask_overhead.py``). Start remote workers with
``DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False`` for the same effect."""


class WorkerLostError(Exception):
    """A replication kept killing the worker process running it (out of memory, or killed).

    Not an ``ExperimentError``: it happens after results were written. Replications finished
    before it are stored, so the same command with ``--resume`` continues from them.
    """

    def __init__(self, scenario: str, replication: int, attempts: int) -> None:
        self.scenario = scenario
        self.replication = replication
        self.attempts = attempts
        super().__init__(
            f"replication {replication} of scenario {scenario!r} lost its worker process on all "
            f"{attempts} attempts (killed, or out of memory?); stopping. Finished replications are "
            "kept: re-run the same command with --resume to continue."
        )


def scenario_name(payload: str) -> str:
    """The scenario name in a JSON payload, for messages."""
    with contextlib.suppress(ValueError, AttributeError):
        return str(json.loads(payload)["name"])
    return "?"


Args = Callable[[Call], tuple[str, int, int, bool]]
"""A call's arguments of the replication function: (scenario JSON, replication, root seed, keep_log)."""


class _Executor:
    """What every executor shares: ``results`` binds each call's arguments, ``_results`` runs them
    (here one after another in this process)."""

    name = "serial"
    workers = 1
    address: str | None = None

    def __init__(self, replicate: ReplicationFn = run_one) -> None:
        self.replicate = replicate
        self.start_time = datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")
        """When the executor started: the start time every manifest records."""

    def results(
        self,
        calls: Iterable[Call],
        payloads: Sequence[str],
        root_seed: int,
        keep_log: bool,
        notify: Notify | None = None,
    ) -> Iterator[tuple[Call, ReplicationResult]]:
        def args(call: Call) -> tuple[str, int, int, bool]:
            return payloads[call[0]], call[1], root_seed, keep_log

        return self._results(iter(calls), args, notify)

    def _results(
        self, todo: Iterator[Call], args: Args, notify: Notify | None
    ) -> Iterator[tuple[Call, ReplicationResult]]:
        for call in todo:
            yield call, self.replicate(*args(call))

    def close(self, wait: bool = True) -> None:
        pass


class SerialRunner(_Executor):
    """Replications one after another in this process."""


class ProcessRunner(_Executor):
    """Replications on a local process pool (``spawn``: safe with threads, the same on every
    platform), at most ``2 x workers`` in flight, so a worker never waits for the parent and
    pending results never pile up in memory.

    A pool broken by a lost worker is replaced (``restarts`` counts them) and the calls that were
    in flight are run again one at a time (a pool cannot say which killed the worker; alone, the
    culprit shows itself and a memory-hungry replication gets the machine); one that kills its
    worker alone is retried, alone, after all the others, and after ``MAX_RETRIES`` such losses
    the run stops."""

    name = "process"

    def __init__(self, workers: int, replicate: ReplicationFn = run_one) -> None:
        super().__init__(replicate)
        self.workers = workers
        self.restarts = 0
        self.pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        """A pool whose workers start now (a pool starts a process per submission, up to
        ``workers``), importing the model while the caller prepares its folders."""
        pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=start_pool_worker,
        )
        for _ in range(self.workers):
            pool.submit(warm_up)
        return pool

    def _results(
        self, todo: Iterator[Call], args: Args, notify: Notify | None
    ) -> Iterator[tuple[Call, ReplicationResult]]:
        pending: dict[Future[ReplicationResult], Call] = {}
        window = 2 * self.workers
        suspects: deque[Call] = deque()  # in flight when a worker died: re-run one at a time
        culprits: deque[Call] = deque()  # killed their worker running alone: retried, alone, last
        alone_call: Call | None = None  # the call running alone (nothing else is in flight)
        lost: Counter[Call] = Counter()  # times each call was in flight when a worker died
        alone: Counter[Call] = Counter()  # ... of which running alone

        def submit(call: Call) -> None:
            try:
                fut = self.pool.submit(self.replicate, *args(call))
            except BrokenProcessPool as exc:  # broke since the last check: handled like a lost call
                fut = Future()
                fut.set_exception(exc)
            pending[fut] = call

        while True:
            if alone_call is None:
                if suspects:
                    alone_call = suspects.popleft()
                    submit(alone_call)
                else:
                    while len(pending) < window and (call := next(todo, None)) is not None:
                        submit(call)
                    if not pending and culprits:
                        alone_call = culprits.popleft()
                        submit(alone_call)
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            if any(isinstance(f.exception(), BrokenProcessPool) for f in done):
                # every other call in flight fails too (or finished just before): settle them all
                wait(pending, return_when=ALL_COMPLETED)
                done = set(pending)
            failed: list[Call] = []
            for fut in sorted(done, key=lambda f: pending[f][::-1]):
                call = pending.pop(fut)
                if isinstance(fut.exception(), BrokenProcessPool):
                    failed.append(call)
                    continue
                if call == alone_call:
                    alone_call = None
                yield call, fut.result()  # a replication's own exception propagates here
            if not failed:
                continue
            lost.update(failed)
            if alone_call is not None:  # it was running alone: it killed its worker
                culprit, alone_call = alone_call, None
                alone[culprit] += 1
                if alone[culprit] >= MAX_RETRIES:
                    raise WorkerLostError(scenario_name(args(culprit)[0]), culprit[1], lost[culprit])
                culprits.append(culprit)  # everything else first, so as much as possible is stored
                what = "it will be tried again, alone, after the other replications"
            else:
                suspects.extend(failed)
                what = "running again, one at a time, those that were in flight"
            self._restart()
            if notify is not None:
                names = ", ".join(f"{scenario_name(args(c)[0])} #{c[1]}" for c in failed)
                notify(f"warning: a worker process died (killed, or out of memory?) running {names}; {what}")

    def _restart(self) -> None:
        """Replace a broken pool (its processes are already gone)."""
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool = self._new_pool()
        self.restarts += 1

    def close(self, wait: bool = True) -> None:
        """Shut the pool down; without ``wait`` (an error, Ctrl-C or a signal), also end the
        replications in flight at once rather than let the workers finish them unseen."""
        processes = list((self.pool._processes or {}).values())  # a ProcessPoolExecutor internal
        self.pool.shutdown(wait=wait, cancel_futures=True)
        if not wait:
            for process in processes:
                with contextlib.suppress(OSError, ValueError):
                    process.terminate()
            for process in processes:
                with contextlib.suppress(OSError, ValueError, AssertionError):
                    process.join(timeout=5)


class DaskRunner(_Executor):
    """Replications on a Dask cluster: an existing scheduler (``tcp://host:8786``) or, with
    ``local``, a LocalCluster of ``workers`` single-threaded processes. Remote workers need this
    package installed (the replication function is sent by reference); results come back here."""

    name = "dask"

    def __init__(self, address: str, workers: int, replicate: ReplicationFn = run_one) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - distributed is a declared dependency
            raise ExperimentError(f"--scheduler needs dask.distributed ({exc})") from None
        super().__init__(replicate)
        self.address = address
        self.cluster = None
        try:
            if address == "local":
                import dask

                with dask.config.set(LOCAL_CLUSTER_CONFIG):  # the nannies pass it to their workers
                    self.cluster = LocalCluster(
                        n_workers=workers,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                        silence_logs=logging.ERROR,
                        scheduler_kwargs={"allowed_failures": MAX_RETRIES},
                    )
                self.client = Client(self.cluster)
            else:
                self.client = Client(address, timeout="10s")
        except Exception as exc:
            self.close()  # the local cluster, if it started
            where = (
                "start a local Dask cluster" if address == "local" else f"connect to Dask scheduler {address}"
            )
            raise ExperimentError(f"--scheduler: cannot {where}: {exc}") from None
        self.workers = max(1, sum(self.client.nthreads().values())) if address != "local" else workers

    def _results(
        self, todo: Iterator[Call], args: Args, notify: Notify | None
    ) -> Iterator[tuple[Call, ReplicationResult]]:
        from distributed import KilledWorker, as_completed

        pending: dict[object, Call] = {}
        # one replication per worker thread in flight: a worker never holds a second task, so
        # when a worker dies the scheduler blames (and retries) only the replication it was
        # running, and the error names the right one. A thread idles only for the round trip of
        # the next submission: 10-25 ms between full-cohort replications of ~10 s, measured on
        # the local cluster (2026-11-27), so queuing more tasks would gain nothing worth that
        window = max(self.workers, sum(self.client.nthreads().values()), 1)
        queue = as_completed()

        def submit_one() -> bool:
            call = next(todo, None)
            if call is None:
                return False
            fut = self.client.submit(self.replicate, *args(call), pure=False)
            pending[fut.key] = call
            queue.add(fut)
            return True

        while len(pending) < window and submit_one():
            pass
        for fut in queue:
            call = pending.pop(fut.key)
            try:
                result = fut.result()
            except KilledWorker as exc:
                raise lost_worker_error(exc, args(call)[0], call[1]) from None
            fut.release()
            yield call, result
            submit_one()

    def close(self, wait: bool = True) -> None:
        with contextlib.suppress(Exception):
            self.client.close()
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close()


def lost_worker_error(exc: Exception, payload: str, replication: int) -> WorkerLostError:
    """Dask's ``KilledWorker`` for a replication as a ``WorkerLostError`` (the scheduler tried the
    task ``allowed_failures + 1`` times)."""
    allowed = getattr(exc, "allowed_failures", None)
    attempts = allowed + 1 if isinstance(allowed, int) else MAX_RETRIES + 1
    return WorkerLostError(scenario_name(payload), replication, attempts)


Runner = SerialRunner | ProcessRunner | DaskRunner


def cpu_count() -> int:
    """CPUs this process may run on (its affinity where the OS says, else the machine's)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def useful_workers(requested: int, simulations: int) -> tuple[int, str]:
    """The local workers that can help: at most one per simulation to run and one per CPU (more
    only cost memory and start-up: ``--workers 1000`` once started 179 processes and exhausted
    memory). Returns the number and why it is below ``requested`` ("" if it is not)."""
    cpus = cpu_count()
    workers = max(1, min(requested, simulations, cpus))
    if workers == requested:
        return workers, ""
    if workers == max(1, simulations) and simulations <= cpus:
        return workers, f"no more than the {simulations:,} simulations to run"
    return workers, f"no more than the {cpus} CPUs this process may use"


def make_runner(workers: int = 1, scheduler: str | None = None, replicate: ReplicationFn = run_one) -> Runner:
    """The executor for ``workers`` processes or a Dask ``scheduler`` address (or ``"local"``),
    running ``replicate`` for each replication."""
    if workers < 1:
        raise ExperimentError(f"--workers must be at least 1, got {workers}")
    if scheduler:
        return DaskRunner(scheduler, workers, replicate)
    if workers > 1:
        return ProcessRunner(workers, replicate)
    return SerialRunner(replicate)
