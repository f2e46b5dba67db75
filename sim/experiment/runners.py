"""Executors: where replications run (this process, a local process pool, a Dask cluster).

Each executor's ``results(calls, payloads, root_seed, keep_log)`` runs the calls
``(scenario index, replication)`` and yields ``(call, ReplicationResult)`` as they finish, in any
order; the caller stores each result at once (``sim.experiment.parts``) and assembles the tables in
replication order later, so the output does not depend on the executor.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from sim.experiment.errors import ExperimentError
from sim.experiment.worker import run_one
from sim.model.results import ReplicationResult

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
        pending: dict[object, Call] = {}
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


__all__ = ["Call", "DaskRunner", "ProcessRunner", "Runner", "SerialRunner", "make_runner"]
