"""Assembling a scenario's final tables from its stored parts, in replication order.

Every executor delivers replications in whatever order they finish; the CSVs are always built
here from the part store, one replication at a time in replication order, so they are
byte-identical whatever the executor, the number of workers, the completion order or whether a
replication was resumed from an earlier run. Memory holds one replication's tables at a time plus
the summary rows.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.experiment.files import atomic_open, atomic_path, write_csv
from sim.experiment.output import EVENT_LOG_FILE, SUMMARY_FILE, TABLE_FILES
from sim.experiment.parts import PartStore
from sim.model.results import COST_ITEMS, SUMMARY_COLUMNS, ReplicationResult


def summary_columns(columns: Sequence[str]) -> list[str]:
    """``SUMMARY_COLUMNS`` first, then the cost columns, then anything else in given order."""
    cost = [f"cost_{item}_gbp" for item in COST_ITEMS]
    head = [c for c in (*SUMMARY_COLUMNS, *cost) if c in columns]
    return head + [c for c in columns if c not in head]


def summary_frame(rows: Sequence[Mapping[str, float | int]]) -> pd.DataFrame:
    """One row per replication, sorted by replication, in the stable column order."""
    frame = pd.DataFrame(list(rows))
    if frame.empty:
        return pd.DataFrame(columns=summary_columns([*SUMMARY_COLUMNS]))
    frame = frame.sort_values("replication", kind="stable").reset_index(drop=True)
    return frame[summary_columns(list(frame.columns))]


@dataclass
class Assembled:
    """What assembling a run folder produced."""

    summary: pd.DataFrame
    files: list[str] = field(default_factory=list)
    total_events: int = 0
    replication_seconds: float = 0.0
    """Sum of the replications' own wall times (seconds), whichever process ran them."""


def assemble(folder: Path, store: PartStore, replications: Sequence[int], keep_log: bool) -> Assembled:
    """Write ``summary.csv``, the per-replication tables and the event log from the parts.

    Parts are read one at a time in replication order and appended to the open (temporary) output
    files, so memory holds one replication's tables at a time plus the summary rows.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows: list[dict[str, float | int]] = []
    total_events = 0
    seconds = 0.0
    with contextlib.ExitStack() as stack:
        handles = {
            attr: stack.enter_context(atomic_open(folder / name)) for attr, name in TABLE_FILES.items()
        }
        log_writer: pq.ParquetWriter | None = None
        log_tmp = stack.enter_context(atomic_path(folder / EVENT_LOG_FILE)) if keep_log else None
        for i, k in enumerate(replications):
            result = store.read(k)
            if result is None:
                raise RuntimeError(f"replication {k} is missing from {store.dir} after the run")
            rows.append(dict(result.summary))
            total_events += int(result.events)
            seconds += float(result.wall_seconds)
            for attr, fh in handles.items():
                getattr(result, attr).to_csv(fh, index=False, header=i == 0, lineterminator="\n")
            if log_tmp is not None:
                log = event_log_table(result, k)
                table = pa.Table.from_pandas(log, preserve_index=False)
                if log_writer is None:
                    log_writer = stack.enter_context(pq.ParquetWriter(log_tmp, table.schema))
                log_writer.write_table(table.cast(log_writer.schema))
        if log_tmp is not None and log_writer is None:  # no replications: an empty, typed file
            pq.write_table(pa.Table.from_pandas(event_log_table(None, 0), preserve_index=False), log_tmp)
    summary = summary_frame(rows)
    write_csv(folder / SUMMARY_FILE, summary)
    files = [SUMMARY_FILE, *TABLE_FILES.values()] + ([EVENT_LOG_FILE] if keep_log else [])
    return Assembled(summary, files, total_events, seconds)


def event_log_table(result: ReplicationResult | None, replication: int) -> pd.DataFrame:
    """The replication's event log with a leading replication column and plain string states."""
    log = result.event_log if result is not None and result.event_log is not None else None
    if log is None:
        log = pd.DataFrame(
            {
                "person": pd.array([], dtype="int64"),
                "time": pd.array([], dtype="float64"),
                "from_state": pd.array([], dtype=object),
                "to_state": pd.array([], dtype=object),
                "cause": pd.array([], dtype=object),
            }
        )
    log = log.copy()
    for col in log.columns:
        if isinstance(log[col].dtype, pd.CategoricalDtype) or log[col].dtype == object:
            log[col] = log[col].astype(object).astype("string[pyarrow]")
    log.insert(0, "replication", pd.array([replication] * len(log), dtype="int32"))
    return log


def read_timeseries(folder: Path) -> pd.DataFrame:
    """``timeseries.csv`` back as a compact frame (for the plots)."""
    return pd.read_csv(
        folder / TABLE_FILES["timeseries"],
        dtype={"replication": "int32", "day": "float64", "state": "category", "count": "int64"},
    )


__all__ = ["Assembled", "assemble", "event_log_table", "read_timeseries", "summary_columns", "summary_frame"]
