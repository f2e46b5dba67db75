"""Replication functions that kill the worker process running them, for the lost-worker tests.

Top-level functions of an importable module (pytest puts ``tests/`` on ``sys.path`` and spawned
pool and Dask workers inherit it), bound to their arguments with ``functools.partial``. Which
attempt dies is decided with files in a folder the test owns, so it holds across processes.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from sim.experiment.worker import run_one
from sim.model.results import ReplicationResult


def _die() -> None:
    """Die the way an out-of-memory kill does: at once, with no cleanup and no exception."""
    os.kill(os.getpid(), signal.SIGKILL)


def _first_time(marker: Path) -> bool:
    """Whether this is the first process to get here (atomic create)."""
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def _record(folder: str, replication: int) -> None:
    """Append one line per attempt at ``replication`` (the test counts them)."""
    with open(Path(folder) / f"attempts_{replication}.txt", "a", encoding="utf-8") as fh:
        fh.write(f"{os.getpid()}\n")


def die_once(
    folder: str, victims: frozenset[int], payload: str, replication: int, root_seed: int, keep_log: bool
) -> ReplicationResult:
    """Kill the worker the first time each replication in ``victims`` starts; otherwise run it."""
    _record(folder, replication)
    if replication in victims and _first_time(Path(folder) / f"died_{replication}"):
        _die()
    return run_one(payload, replication, root_seed, keep_log)


def always_die(
    folder: str, victim: int, payload: str, replication: int, root_seed: int, keep_log: bool
) -> ReplicationResult:
    """Kill the worker every time replication ``victim`` starts; run every other one."""
    _record(folder, replication)
    if replication == victim:
        _die()
    return run_one(payload, replication, root_seed, keep_log)


def attempts(folder: str | Path, replication: int) -> int:
    """How many times ``replication`` was started."""
    path = Path(folder) / f"attempts_{replication}.txt"
    return len(path.read_text(encoding="utf-8").splitlines()) if path.exists() else 0


def fail(
    folder: str, victim: int, payload: str, replication: int, root_seed: int, keep_log: bool
) -> ReplicationResult:
    """Raise (a bug in the replication, not a lost worker) when replication ``victim`` starts."""
    _record(folder, replication)
    if replication == victim:
        raise ValueError(f"replication {replication} is broken")
    return run_one(payload, replication, root_seed, keep_log)
