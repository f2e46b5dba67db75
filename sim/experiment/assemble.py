"""Assembling a scenario's final tables from its stored parts, in replication order, one
replication at a time (memory: one replication's tables plus the summary rows), so the CSVs are
byte-identical whatever the executor, workers, completion order or resumed replications."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.process_log import XesWriter, process_log
from sim.experiment.files import atomic_open, atomic_path, write_csv
from sim.experiment.output import (
    ACTIVITY_LOG_FILE,
    EVENT_LOG_FILE,
    LOG_FILES,
    PROCESS_LOG_FILE,
    PROCESS_XES_FILE,
    SUMMARY_FILE,
    TABLE_FILES,
)
from sim.experiment.parts import PartStore
from sim.model.kpis import COST_ITEMS, cost_column
from sim.model.recorder import ACTIVITY_COLUMNS
from sim.model.results import SUMMARY_COLUMNS, ReplicationResult

COLUMN_ORDER = (*SUMMARY_COLUMNS, *map(cost_column, COST_ITEMS))
"""``summary.csv``'s known columns in order: ``SUMMARY_COLUMNS``, then the cost of each item."""


def summary_frame(rows: Sequence[Mapping[str, float | int]]) -> pd.DataFrame:
    """One row per replication, sorted by replication, in the stable column order."""
    frame = pd.DataFrame(list(rows))
    if frame.empty:
        return pd.DataFrame(columns=list(SUMMARY_COLUMNS))
    frame = frame.sort_values("replication", kind="stable").reset_index(drop=True)
    known = [c for c in COLUMN_ORDER if c in frame.columns]
    return frame[known + [c for c in frame.columns if c not in known]]


@dataclass
class Assembled:
    """What assembling a run folder produced."""

    summary: pd.DataFrame
    files: list[str] = field(default_factory=list)
    total_events: int = 0
    replication_seconds: float = 0.0
    """Sum of the replications' own wall times (seconds), whichever process ran them."""


class _Logs:
    """The ``--event-log`` files (``LOG_FILES``), appended to one replication at a time: the state
    log, the activity log, and both combined for process mining as Parquet and gzipped XES."""

    def __init__(self, folder: Path, stack: contextlib.ExitStack) -> None:
        self.stack = stack
        self.paths = {name: stack.enter_context(atomic_path(folder / name)) for name in LOG_FILES}
        self.writers: dict[str, Any] = {}  # file name -> pyarrow.parquet.ParquetWriter
        self.xes = stack.enter_context(XesWriter(self.paths[PROCESS_XES_FILE], gzipped=True))

    def _append(self, name: str, frame: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=False)
        writer = self.writers.get(name)
        if writer is None:
            writer = self.writers[name] = self.stack.enter_context(
                pq.ParquetWriter(self.paths[name], table.schema)
            )
        writer.write_table(table.cast(writer.schema))

    def add(self, result: ReplicationResult | None, replication: int) -> None:
        states = log_table(result, replication, "event_log")
        activities = log_table(result, replication, "activity_log")
        combined = process_log(states, activities)
        self._append(EVENT_LOG_FILE, states)
        self._append(ACTIVITY_LOG_FILE, activities)
        self._append(PROCESS_LOG_FILE, combined)
        self.xes.write(combined)

    def finish(self) -> None:
        if not self.writers:  # no replications: empty, typed files
            self.add(None, 0)


def assemble(folder: Path, store: PartStore, replications: Sequence[int], keep_log: bool) -> Assembled:
    """Write ``summary.csv``, the per-replication tables and the logs from the parts.

    Parts are read one at a time in replication order and appended to the open (temporary) output
    files, so memory holds one replication's tables at a time plus the summary rows.
    """
    rows: list[dict[str, float | int]] = []
    total_events = 0
    seconds = 0.0
    with contextlib.ExitStack() as stack:
        handles = {
            attr: stack.enter_context(atomic_open(folder / name)) for attr, name in TABLE_FILES.items()
        }
        logs = _Logs(folder, stack) if keep_log else None
        for i, k in enumerate(replications):
            result = store.read(k)
            if result is None:
                raise RuntimeError(f"replication {k} is missing from {store.dir} after the run")
            rows.append(dict(result.summary))
            total_events += int(result.events)
            seconds += float(result.wall_seconds)
            for attr, fh in handles.items():
                getattr(result, attr).to_csv(fh, index=False, header=i == 0, lineterminator="\n")
            if logs is not None:
                logs.add(result, k)
        if logs is not None:
            logs.finish()
    summary = summary_frame(rows)
    write_csv(folder / SUMMARY_FILE, summary)
    files = [SUMMARY_FILE, *TABLE_FILES.values()] + (list(LOG_FILES) if keep_log else [])
    return Assembled(summary, files, total_events, seconds)


_EMPTY_LOGS: dict[str, dict[str, str]] = {
    "event_log": dict(person="int64", time="float64", from_state="object", to_state="object", cause="object"),
    "activity_log": {
        **dict.fromkeys(ACTIVITY_COLUMNS, "object"),
        **dict(person="int64", time="float64", after="int64"),
    },
}
"""Column dtypes of each log with no rows (no replication ran)."""


def log_table(result: ReplicationResult | None, replication: int, name: str) -> pd.DataFrame:
    """The replication's ``event_log`` or ``activity_log`` with a leading replication column and
    plain strings (typed and empty without a result)."""
    log = getattr(result, name, None)
    if log is None:
        log = pd.DataFrame({c: pd.Series([], dtype=dtype) for c, dtype in _EMPTY_LOGS[name].items()})
    log = log.copy()
    for col in log.columns:
        if isinstance(log[col].dtype, pd.CategoricalDtype) or log[col].dtype == object:
            log[col] = log[col].astype(object).astype("string[pyarrow]")
    log.insert(0, "replication", np.full(len(log), replication, dtype=np.int32))
    return log


def read_timeseries(folder: Path) -> pd.DataFrame:
    """``timeseries.csv`` back as a compact frame (for the plots)."""
    return pd.read_csv(
        folder / TABLE_FILES["timeseries"],
        dtype={"replication": "int32", "day": "float64", "state": "category", "count": "int64"},
    )
