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
Must be picklable by reference (a top-level function, or a ``functools.partial`` of one)."""


@functools.lru_cache(maxsize=16)
def _scenario_from_json(text: str) -> Scenario:
    """Parse each scenario once per process: every replication of a scenario sends the same JSON."""
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


def run_summary(
    scenario: Scenario | str, replication: int, root_seed: int, keep_log: bool
) -> ReplicationResult:
    """``run_one`` without the tables: only the summary row travels back to the parent.

    What designs of many scenario variants run (``sim.experiment.engine.run_design``): they need one row per
    replication, and sending back (and storing) every table would cost more than the replication
    of a small cohort. ``keep_log`` is ignored (no log is kept).
    """
    return _summary_only(run_one(scenario, replication, root_seed, False))


MEASURE_PREFIX = "measure."
"""Prefix of the measure values ``run_measures`` adds to a summary row (``measure.contacted_share``),
so they cannot collide with a summary column."""


def run_measures(
    scenario: Scenario | str, replication: int, root_seed: int, keep_log: bool
) -> ReplicationResult:
    """``run_summary`` plus every measure of ``sim.analysis.measures.MEASURES`` computed here, in the
    worker, from the replication's own tables: the summary row gains ``measure.<name>`` (NaN when
    the measure is undefined or its data missing), and still only numbers travel back.

    What calibration runs (``sim.studies.calibration.run``): some measures need the transitions,
    occupancy or life table, which ``run_summary`` drops. Every measure is computed (a few ms each)
    so rows stored in ``.parts`` serve any choice of targets on ``--resume``. The measures module is
    imported here, not at the top, so importing this module stays as light as before.
    """
    import math

    import pandas as pd

    from sim.analysis.measures import MEASURES, MissingDataError, compute

    full = run_one(scenario, replication, root_seed, False)
    tables = {
        "summary": pd.DataFrame([full.summary]),
        "transitions": full.transitions,
        "occupancy": full.occupancy,
        "end_states": full.end_states,
        "life_table": full.life_table,
    }
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


def start_pool_worker() -> None:
    """Initializer of local pool workers: skip interpreter teardown when the pool shuts down.

    By the time a pool worker's interpreter exits, multiprocessing has already sent every result
    back (through a pipe written synchronously) and run its own exit handlers; what remains is
    freeing every object of numpy, pandas and the model one by one, about 0.4 s per worker while
    the parent waits in ``shutdown``. ``os._exit`` at the first exit handler skips that. Exit
    handlers registered later (run first) still run.
    """
    atexit.register(os._exit, 0)


def warm_up() -> None:
    """Does nothing: submitting it makes a pool start a worker process at once, and unpickling it
    imports this module (the model), so workers start while the parent is still preparing."""


__all__ = [
    "MEASURE_PREFIX",
    "ReplicationFn",
    "run_measures",
    "run_one",
    "run_summary",
    "start_pool_worker",
    "warm_up",
]
