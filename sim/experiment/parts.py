"""The per-replication part store: each finished replication on disk, in data formats only.

Parts keep memory flat (tables go to disk as each replication finishes), make ``--resume``
possible and let the CSVs be assembled in replication order whatever order replications finished
in. No pickles: ``--resume`` may read a folder someone else wrote, and reading a part must never
run code. Layout, under ``<scenario folder>/.parts/`` (a design's summary-only variants:
``<folder>/.parts/<run key>/``):

* ``key.json``: the run key (hash of the resolved scenario, seed, event-log setting, model code
  and ``PART_FORMAT``) and, for people, the scenario name, seed and event-log setting;
* ``rep_000007/``: one folder per finished replication, written under a temporary name and renamed
  once complete, holding ``part.json`` (key, format, replication, the summary row, which JSON
  round-trips exactly, events, wall seconds, the content hash of each reusable section's inputs
  and the sections reused, and each table's columns and dtypes) and one
  ``<table>.parquet`` per table. Parquet keeps float64 bit for bit and the recorded dtype rebuilds
  each column exactly, so the assembled CSVs are byte-identical whether a replication came from a
  worker or from its part.

Reading trusts nothing (fixed file names, plain Arrow types, recorded columns, dtypes from a fixed
list, pandas metadata ignored): a part that fails any check, or has another key, format or
replication, is treated as missing and run again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiment.files import TMP_SUFFIX, atomic_folder, fsync_file, remove, write_json
from sim.experiment.output import PARTS_DIR, TABLE_FILES
from sim.model.results import ReplicationResult

PART_FORMAT = 4
"""Version of the part layout, part of the run key: parts of another format are never read.
1 was a pickle per replication; 2 is a folder of Parquet tables and a JSON file; 4 adds the
activity log to the event log."""
PARTS_KEY = "key.json"
PART_META = "part.json"
TABLES: tuple[str, ...] = tuple(TABLE_FILES)
"""``ReplicationResult`` tables every part holds."""
EVENT_LOG = "event_log"
ACTIVITY_LOG = "activity_log"
LOGS: tuple[str, ...] = (EVENT_LOG, ACTIVITY_LOG)
"""The optional tables, present in every part of a run with the event log and in none otherwise."""

_PART_NAME = re.compile(r"rep_(\d+)")
_NUMPY_DTYPES = frozenset(
    ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64"]
)
_NULLABLE_DTYPES = frozenset(
    ["boolean", "Float32", "Float64", *(f"{u}Int{bits}" for u in ("", "U") for bits in (8, 16, 32, 64))]
)
_UNREADABLE = (OSError, ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError)
"""What a damaged or foreign part can raise while being read (pyarrow's errors derive from these)."""


class PartError(ValueError):
    """A part that does not match what was expected (read: treated as missing)."""


def _plain_spec(dtype: Any, values: Any) -> dict[str, Any]:
    if isinstance(dtype, pd.StringDtype):
        na = dtype.na_value
        return {"kind": "string", "storage": dtype.storage, "na": "nan" if isinstance(na, float) else "NA"}
    if isinstance(dtype, np.dtype) and dtype.name in _NUMPY_DTYPES:
        return {"kind": "numpy", "dtype": dtype.name}
    if str(dtype) in _NULLABLE_DTYPES:
        return {"kind": "nullable", "dtype": str(dtype)}
    if isinstance(dtype, np.dtype) and dtype == np.dtype(object):
        if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
            raise TypeError("object columns may hold only strings (and missing values)")
        return {"kind": "object"}
    raise TypeError(f"the part store cannot keep dtype {dtype}")


def column_spec(series: pd.Series) -> dict[str, Any]:
    """What ``part.json`` records about a column, enough to rebuild its dtype exactly."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        categories = dtype.categories
        return {
            "kind": "category",
            "ordered": bool(dtype.ordered),
            "categories": categories.tolist(),
            "categories_dtype": _plain_spec(categories.dtype, categories),
        }
    return _plain_spec(dtype, series)


def _plain_dtype(spec: Mapping[str, Any]) -> Any:
    kind = spec.get("kind")
    if kind == "numpy" and spec.get("dtype") in _NUMPY_DTYPES:
        return np.dtype(spec["dtype"])
    if kind == "nullable" and spec.get("dtype") in _NULLABLE_DTYPES:
        return pd.api.types.pandas_dtype(spec["dtype"])
    if kind == "string" and spec.get("storage") in ("python", "pyarrow") and spec.get("na") in ("nan", "NA"):
        return pd.StringDtype(spec["storage"], na_value=np.nan if spec["na"] == "nan" else pd.NA)
    if kind == "object":
        return np.dtype(object)
    raise PartError(f"unknown column type {spec!r}")


def dtype_from_spec(spec: Mapping[str, Any]) -> Any:
    """The dtype ``column_spec`` recorded (only the dtypes listed in this module)."""
    if spec.get("kind") == "category":
        categories = spec.get("categories")
        if not isinstance(categories, list):
            raise PartError("categories must be a list")
        index = pd.Index(categories, dtype=_plain_dtype(spec.get("categories_dtype", {})))
        return pd.CategoricalDtype(index, ordered=bool(spec.get("ordered")))
    return _plain_dtype(spec)


def _plain_arrow_type(arrow_type: Any, dictionary: bool = True) -> bool:
    """A plain Arrow type or (``dictionary``) a dictionary of one with integer indices (categories)."""
    import pyarrow as pa

    t = pa.types
    if t.is_dictionary(arrow_type):
        index, values = arrow_type.index_type, arrow_type.value_type
        return dictionary and t.is_integer(index) and _plain_arrow_type(values, dictionary=False)
    plain = (t.is_integer, t.is_floating, t.is_boolean, t.is_string, t.is_large_string, t.is_null)
    return any(is_plain(arrow_type) for is_plain in plain)


def _write_table(frame: pd.DataFrame, path: Path) -> dict[str, Any]:
    """Write ``frame`` (index dropped: result tables have a plain range index) and describe it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = list(frame.columns)
    if not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
        raise TypeError(f"part tables need unique string column names, got {names!r}")
    columns = [{"name": n, "dtype": column_spec(frame[n])} for n in names]
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    pq.write_table(table, path)
    fsync_file(path)
    return {"columns": columns, "rows": len(frame)}


def _read_table(path: Path, spec: Mapping[str, Any]) -> pd.DataFrame:
    """Read a table written by ``_write_table``, checking it against its description."""
    import pyarrow.parquet as pq

    columns = spec["columns"]
    names = [c["name"] for c in columns]
    table = pq.ParquetFile(path).read()
    if table.column_names != names or table.num_rows != spec["rows"]:
        raise PartError(f"{path.name}: columns or rows differ from {PART_META}")
    for field in table.schema:
        if not _plain_arrow_type(field.type):
            raise PartError(f"{path.name}: unexpected type {field.type} of {field.name}")
    frame = table.to_pandas(ignore_metadata=True)  # dtypes come from part.json, not the file
    for column in columns:
        name, dtype = column["name"], dtype_from_spec(column["dtype"])
        values = frame[name]
        if isinstance(dtype, pd.CategoricalDtype):
            if not pd.Index(values.dropna().unique()).isin(dtype.categories).all():
                raise PartError(f"{path.name}: {name} holds values outside its categories")
            frame[name] = pd.Categorical(values, dtype=dtype)
        elif values.dtype != dtype:
            frame[name] = values.astype(dtype)
    return frame


def _number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PartError(f"summary values must be numbers, got {value!r}")
    return value


class PartStore:
    """``<folder>/.parts``: one folder per finished replication, tagged with the run's key (module
    doc); parts with another key are never reused. ``keep_log``: every part holds the event log."""

    def __init__(
        self,
        folder: Path,
        key: str,
        keep_log: bool = False,
        info: Mapping[str, Any] | None = None,
        *,
        summary_only: bool = False,
        subdir: str = "",
    ) -> None:
        self.folder = folder
        self.dir = folder / PARTS_DIR / subdir if subdir else folder / PARTS_DIR
        self.key = key
        self.keep_log = keep_log
        self.info = dict(info or {})
        self.tables: tuple[str, ...] = () if summary_only else (*TABLES, *LOGS) if keep_log else TABLES
        """The tables every part holds: none for a summary-only plan (a design's variants)."""

    def path(self, replication: int) -> Path:
        """The folder of replication ``replication`` (it may not exist)."""
        return self.dir / f"rep_{replication:06d}"

    def _stored(self) -> dict[str, Any] | None:
        try:
            data = json.loads((self.dir / PARTS_KEY).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def existing(self) -> list[int]:
        """Replication indices that have a part folder (not yet checked)."""
        matches = (_PART_NAME.fullmatch(p.name) for p in self.dir.glob("rep_*") if p.is_dir())
        return sorted(int(m.group(1)) for m in matches if m)

    def reset(self) -> None:
        """Delete every part and start a store for this key."""
        remove(self.dir)
        self.dir.mkdir(parents=True)
        write_json(self.dir / PARTS_KEY, {"key": self.key, "format": PART_FORMAT, **self.info})

    def open(self, resume: bool) -> str | None:
        """Empty the store or, with ``resume``, keep its parts if ``key.json`` matches this run's key
        (removing half-written ones); returns why earlier parts were discarded, if they were."""
        if not resume or not self.dir.exists():
            self.reset()
            return None
        stored = self._stored()
        if stored is not None and stored.get("key") == self.key:
            for leftover in self.dir.glob(f".*{TMP_SUFFIX}"):
                remove(leftover)
            return None
        n = len([p for p in self.dir.glob("rep_*") if _PART_NAME.fullmatch(p.name.split(".")[0])])
        self.reset()
        if n == 0:
            return None
        if stored is None:
            what = "an unreadable key"
        elif stored.get("format") != PART_FORMAT:
            what = f"part format {stored.get('format')!r} (this version reads format {PART_FORMAT} only)"
        else:
            what = "a different scenario, seed, event-log setting or model"
        return f"{n} stored replication(s) in {self.dir} belong to {what}; starting over"

    def discard(self, replication: int) -> None:
        """Remove a part that cannot be used, so the replication is run again."""
        remove(self.path(replication))

    def write(self, replication: int, result: ReplicationResult) -> Path:
        """Store one replication's result; it becomes visible only once complete."""
        path = self.path(replication)
        with atomic_folder(path) as tmp:
            specs = {}
            for name in self.tables:
                frame = getattr(result, name)
                if frame is None:
                    raise ValueError(f"replication {replication} has no {name} table to store")
                specs[name] = _write_table(frame, tmp / f"{name}.parquet")
            meta = {
                "key": self.key,
                "format": PART_FORMAT,
                "replication": replication,
                "summary": dict(result.summary),
                "events": int(result.events),
                "wall_seconds": float(result.wall_seconds),
                "sections": dict(result.sections),
                "reused": list(result.reused),
                "tables": specs,
            }
            write_json(tmp / PART_META, meta)
        return path

    def _meta(self, replication: int) -> dict[str, Any]:
        meta = json.loads((self.path(replication) / PART_META).read_text(encoding="utf-8"))
        if (
            not isinstance(meta, dict)
            or meta.get("key") != self.key
            or meta.get("format") != PART_FORMAT
            or meta.get("replication") != replication
            or not isinstance(meta.get("summary"), dict)
            or not isinstance(meta.get("tables"), dict)
            or sorted(meta["tables"]) != sorted(self.tables)
        ):
            raise PartError(f"replication {replication}: part belongs to another run or format")
        return meta

    def read(self, replication: int) -> ReplicationResult | None:
        """The stored result, or None when the part is missing, damaged or from another run."""
        folder = self.path(replication)
        try:
            meta = self._meta(replication)
            summary = {str(k): _number(v) for k, v in meta["summary"].items()}
            events, seconds = meta["events"], meta["wall_seconds"]
            if not isinstance(events, int) or isinstance(events, bool) or not isinstance(seconds, float):
                raise PartError("events must be an integer and wall_seconds a float")
            sections, reused = meta.get("sections", {}), meta.get("reused", [])
            if not isinstance(sections, dict) or not all(isinstance(v, str) for v in sections.values()):
                raise PartError("sections must map section names to content hashes")
            if not isinstance(reused, list) or not all(isinstance(name, str) for name in reused):
                raise PartError("reused must be a list of section names")
            frames = {
                name: _read_table(folder / f"{name}.parquet", meta["tables"][name]) for name in self.tables
            }
        except _UNREADABLE:
            return None
        tables = {name: frames.get(name, pd.DataFrame()) for name in TABLES}  # none in a summary-only part
        return ReplicationResult(
            summary=summary,
            **tables,
            events=events,
            wall_seconds=seconds,
            event_log=frames.get(EVENT_LOG),
            activity_log=frames.get(ACTIVITY_LOG),
            sections={str(name): key for name, key in sections.items()},
            reused=tuple(reused),
        )
