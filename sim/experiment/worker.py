"""What a worker process runs: one replication from the scenario's JSON.

Apart from the rest of ``sim.experiment`` because ``spawn`` pool workers and Dask workers import
the module of the function they run: this one pulls in only the model and the scenario schema, so
a worker starts as fast as the model allows (``run_measures`` imports the measures on first call).
"""

from __future__ import annotations

import atexit
import dataclasses
import functools
import os
from collections.abc import Callable

from sim.model.results import ReplicationResult, run_replication
from sim.scenario.schema import Scenario

ReplicationFn = Callable[[str, int, int, bool], ReplicationResult]
"""``(scenario JSON, replication, root seed, keep the event log) -> result``: what executors run.
Must be picklable by reference (a top-level function, or a ``functools.partial`` of one). The
functions here also take ``reuse`` (keyword, default True: see ``Model``)."""


@functools.lru_cache(maxsize=16)
def _scenario_from_json(text: str) -> Scenario:
    """Parse each scenario once per process: every replication of a scenario sends the same JSON."""
    return Scenario.model_validate_json(text)


def run_one(
    scenario: Scenario | str, replication: int, root_seed: int, keep_log: bool, reuse: bool = True
) -> ReplicationResult:
    """Run one replication; ``scenario`` may be a Scenario or its JSON (``model_dump_json``). A
    top-level function, so ``spawn`` pools and Dask workers can find it; every executor passes
    the JSON, so all run the same code path. ``reuse``: see ``Model``."""
    if isinstance(scenario, str):
        scenario = _scenario_from_json(scenario)
    return run_replication(scenario, replication, root_seed, keep_log=keep_log, reuse=reuse)


def run_summary(
    scenario: Scenario | str, replication: int, root_seed: int, keep_log: bool, reuse: bool = True
) -> ReplicationResult:
    """``run_one`` without the tables, for designs of many variants (``engine.run_design``): only
    the summary row travels back and is stored, which for a small cohort costs less than the tables
    would. ``keep_log`` is ignored."""
    return _summary_only(run_one(scenario, replication, root_seed, False, reuse))


MEASURE_PREFIX = "measure."
"""Prefix of the measure values ``run_measures`` adds to a summary row (``measure.contacted_share``),
so they cannot collide with a summary column."""


def run_measures(
    scenario: Scenario | str, replication: int, root_seed: int, keep_log: bool, reuse: bool = True
) -> ReplicationResult:
    """``run_summary`` plus every measure of ``sim.analysis.measures.MEASURES``, computed here from
    the replication's own tables as ``measure.<name>`` (NaN when undefined or its data is missing),
    for calibration: some measures need tables ``run_summary`` drops, and computing all of them (a
    few ms each) lets stored rows serve any choice of targets on ``--resume``."""
    import math

    import pandas as pd

    from sim.analysis.measures import MEASURES, MissingDataError, compute

    full = run_one(scenario, replication, root_seed, False, reuse)
    tables = {"summary": pd.DataFrame([full.summary])}
    names = ("transitions", "occupancy", "end_states", "life_table", "timeseries")
    tables |= {name: getattr(full, name) for name in names}
    summary: dict[str, float | int] = dict(full.summary)
    for name in MEASURES:
        try:
            values = compute(name, tables)
            value = float(values.iloc[0]) if len(values) else math.nan
        except MissingDataError:
            value = math.nan
        summary[MEASURE_PREFIX + name] = value
    return _summary_only(dataclasses.replace(full, summary=summary))


def _summary_only(result: ReplicationResult) -> ReplicationResult:
    """``result`` with every table emptied and no logs: what travels back from a design's worker."""
    import pandas as pd

    from sim.experiment.output import TABLE_FILES

    empty = {name: pd.DataFrame() for name in TABLE_FILES}
    return dataclasses.replace(result, **empty, event_log=None, activity_log=None)


PR_SET_PDEATHSIG = 1
"""prctl(2) option: the signal the kernel sends this process when its parent dies."""


def die_with_parent() -> None:
    """Ask the kernel (Linux) to kill this process when the process that started it dies, however
    it dies (SIGKILL, out of memory): a worker left behind would hold ~140 MB for nothing, under
    PID 1. If the parent is already gone by now, exit at once. Elsewhere nothing is done: the
    parent's signal handlers (``engine.experiment_folder``) still end the pool on a signal."""
    import ctypes
    import multiprocessing
    import signal
    import sys

    parent = multiprocessing.parent_process()
    if not sys.platform.startswith("linux") or parent is None:
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent.pid:  # died before the request took effect
        os._exit(1)


def start_pool_worker() -> None:
    """Initializer of local pool workers: die with the parent (``die_with_parent``), and skip
    interpreter teardown when the pool shuts down. By then every result is sent and
    multiprocessing's exit handlers have run; freeing every numpy, pandas and model object would
    cost about 0.4 s per worker while the parent waits in ``shutdown``. Exit handlers registered
    later (run first) still run."""
    die_with_parent()
    atexit.register(os._exit, 0)


def warm_up() -> None:
    """Does nothing: submitting it makes a pool start a worker process at once, and unpickling it
    imports this module (the model), so workers start while the parent is still preparing."""
