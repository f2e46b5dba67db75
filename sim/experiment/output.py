"""Writing results to disk: atomic files, incomplete-folder markers, per-replication parts, tables.

Guarantees the CLI relies on:

* Every file is written to a temporary name in the same folder and moved into place with
  ``os.replace``, so a reader never sees half a file under a final name.
* A folder being built holds ``.incomplete`` until everything is written; ``manifest.json`` is
  written last, just before the marker is removed. A folder with ``manifest.json`` and no
  ``.incomplete`` is complete.
* Each finished replication is stored at once as ``.parts/rep_<k>.pkl`` (with the key of the run
  it belongs to), so memory does not grow with the number of replications and an interrupted run
  can be resumed. The final CSVs are assembled from the parts in replication order, so they do
  not depend on the order in which replications finished.

Nothing here prints; ``sim.cli`` does all printing.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import pickle
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pandas as pd

from sim.model.results import COST_ITEMS, SUMMARY_COLUMNS, ReplicationResult

MARKER = ".incomplete"
MANIFEST = "manifest.json"
COMPARISON_MANIFEST = "comparison_manifest.json"
PARTS_DIR = ".parts"
PARTS_KEY = "key.json"
PART_FORMAT = 1
"""Version of the part-file layout; bump it when the stored structure changes."""

SUMMARY_FILE = "summary.csv"
STATS_FILE = "summary_stats.csv"
SCENARIO_FILE = "scenario.yaml"
EVENT_LOG_FILE = "event_log.parquet"
COMPARISON_FILE = "comparison.csv"
TABLE_FILES: dict[str, str] = {
    "end_states": "outcomes.csv",
    "timeseries": "timeseries.csv",
    "resources": "resources.csv",
    "transitions": "transitions.csv",
    "occupancy": "occupancy.csv",
}
"""ReplicationResult attribute -> CSV file holding it for every replication."""

RUN_FILES: tuple[str, ...] = (
    SUMMARY_FILE,
    *TABLE_FILES.values(),
    STATS_FILE,
    EVENT_LOG_FILE,
    SCENARIO_FILE,
    MANIFEST,
)
"""Fixed file names a run folder may contain (plots are added by name in the manifest)."""

_TMP_SUFFIX = ".tmp"
_PLOTS_TMP = ".plots.tmp"


# ----------------------------------------------------------------------------------------------
# Atomic writes
# ----------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path in ``path``'s folder that replaces ``path`` when the block succeeds.

    On an exception the temporary file is removed and ``path`` is left untouched.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=_TMP_SUFFIX, dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; final files get the usual permissions
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO[Any]]:
    """An open temporary file that replaces ``path`` when the block succeeds (see ``atomic_path``)."""
    with atomic_path(path) as tmp:
        encoding = None if "b" in mode else "utf-8"
        newline = None if "b" in mode else ""
        with open(tmp, mode, encoding=encoding, newline=newline) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    with atomic_open(path) as fh:
        fh.write(text)
    return Path(path)


def write_json(path: str | os.PathLike[str], data: Any) -> Path:
    return write_text(path, json.dumps(data, indent=2, default=_json_default) + "\n")


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def write_csv(path: str | os.PathLike[str], frame: pd.DataFrame) -> Path:
    with atomic_open(path) as fh:
        frame.to_csv(fh, index=False, lineterminator="\n")
    return Path(path)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


# ----------------------------------------------------------------------------------------------
# Folders under construction
# ----------------------------------------------------------------------------------------------


def is_complete(folder: str | os.PathLike[str], manifest: str = MANIFEST) -> bool:
    """Whether ``folder`` was finished: its manifest exists and its ``.incomplete`` marker does not."""
    folder = Path(folder)
    return (folder / manifest).is_file() and not (folder / MARKER).exists()


def begin_folder(folder: Path, manifest: str = MANIFEST, fixed: Sequence[str] = RUN_FILES) -> None:
    """Create ``folder`` (if needed), mark it incomplete and remove the previous run's outputs.

    The marker goes first and the old manifest next, so at no moment does the folder look like a
    finished run with a mix of old and new files. Files listed in the old manifest (plots, whose
    names depend on the label) are removed too, as are leftover temporary files. ``.parts`` is kept:
    whether it can be reused is the part store's decision.
    """
    folder.mkdir(parents=True, exist_ok=True)
    write_text(folder / MARKER, "This folder is being written; it is complete when this file is gone.\n")
    old_files: list[str] = []
    with contextlib.suppress(OSError, ValueError):
        old_files = list(json.loads((folder / manifest).read_text(encoding="utf-8")).get("files", []))
    _remove(folder / manifest)
    for name in [*fixed, *old_files]:
        if name in (MARKER, PARTS_DIR) or Path(name).name != name:  # never leave the folder
            continue
        _remove(folder / name)
    for leftover in [*folder.glob(f".*{_TMP_SUFFIX}"), folder / _PLOTS_TMP]:
        _remove(leftover)


def finish_folder(folder: Path, manifest: Mapping[str, Any], name: str = MANIFEST) -> Path:
    """Write the manifest (last of all files) and remove the ``.incomplete`` marker."""
    path = write_json(folder / name, manifest)
    _remove(folder / MARKER)
    return path


# ----------------------------------------------------------------------------------------------
# Per-replication parts
# ----------------------------------------------------------------------------------------------


class PartStore:
    """``<folder>/.parts``: one pickle per finished replication, tagged with the run's key.

    The key identifies everything a replication's result depends on (the resolved scenario, the
    root seed, whether the event log is kept, the model code); parts with another key are never
    reused.
    """

    def __init__(self, folder: Path, key: str, info: Mapping[str, Any] | None = None) -> None:
        self.dir = folder / PARTS_DIR
        self.key = key
        self.info = dict(info or {})

    def path(self, replication: int) -> Path:
        return self.dir / f"rep_{replication:06d}.pkl"

    def stored_key(self) -> str | None:
        """The key recorded in ``.parts/key.json`` (None if absent or unreadable)."""
        try:
            return str(json.loads((self.dir / PARTS_KEY).read_text(encoding="utf-8"))["key"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def existing(self) -> list[int]:
        """Replication indices that have a part file (not yet checked for their key)."""
        found = []
        for p in self.dir.glob("rep_*.pkl"):
            with contextlib.suppress(ValueError):
                found.append(int(p.stem.removeprefix("rep_")))
        return sorted(found)

    def reset(self) -> None:
        """Delete every part and start a store for this key."""
        _remove(self.dir)
        self.dir.mkdir(parents=True)
        write_json(self.dir / PARTS_KEY, {"key": self.key, "format": PART_FORMAT, **self.info})

    def open(self, resume: bool) -> str | None:
        """Prepare the store; returns why earlier parts were discarded, if they were.

        Without ``resume`` the store is emptied. With ``resume`` the parts are kept when
        ``key.json`` matches this run's key, and discarded (with a reason) when it does not.
        """
        if not resume:
            self.reset()
            return None
        if not self.dir.exists():
            self.reset()
            return None
        stored = self.stored_key()
        if stored == self.key:
            return None
        n = len(self.existing())
        self.reset()
        if n == 0:
            return None
        what = (
            "an unreadable key"
            if stored is None
            else "a different scenario, seed, event-log setting or model"
        )
        return f"{n} stored replication(s) in {self.dir} belong to {what}; starting over"

    def write(self, replication: int, result: ReplicationResult) -> Path:
        path = self.path(replication)
        payload = {"key": self.key, "format": PART_FORMAT, "replication": replication, "result": result}
        with atomic_open(path, "wb") as fh:
            pickle.dump(payload, fh, protocol=pickle.HIGHEST_PROTOCOL)
        return path

    def read(self, replication: int) -> ReplicationResult | None:
        """The stored result, or None when the part is missing, unreadable or from another run."""
        try:
            with open(self.path(replication), "rb") as fh:
                payload = pickle.load(fh)
        except FileNotFoundError:
            return None
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
            return None
        if (
            not isinstance(payload, dict)
            or payload.get("key") != self.key
            or payload.get("format") != PART_FORMAT
            or payload.get("replication") != replication
            or not isinstance(payload.get("result"), ReplicationResult)
        ):
            return None
        return payload["result"]


# ----------------------------------------------------------------------------------------------
# Assembling the final tables
# ----------------------------------------------------------------------------------------------


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
                log = _event_log_table(result, k)
                table = pa.Table.from_pandas(log, preserve_index=False)
                if log_writer is None:
                    log_writer = stack.enter_context(pq.ParquetWriter(log_tmp, table.schema))
                log_writer.write_table(table.cast(log_writer.schema))
        if log_tmp is not None and log_writer is None:  # no replications: an empty, typed file
            pq.write_table(pa.Table.from_pandas(_event_log_table(None, 0), preserve_index=False), log_tmp)
    summary = summary_frame(rows)
    write_csv(folder / SUMMARY_FILE, summary)
    files = [SUMMARY_FILE, *TABLE_FILES.values()] + ([EVENT_LOG_FILE] if keep_log else [])
    return Assembled(summary, files, total_events, seconds)


def _event_log_table(result: ReplicationResult | None, replication: int) -> pd.DataFrame:
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


def write_plots(folder: Path, make: Any, *args: Any) -> list[str]:
    """Run a plotting function into a temporary folder and move each figure into ``folder``.

    ``make(*args, outdir)`` returns the paths it wrote. Moving each finished PNG with
    ``os.replace`` keeps the plots atomic like every other file.
    """
    tmp = folder / _PLOTS_TMP
    _remove(tmp)
    tmp.mkdir()
    try:
        paths = make(*args, tmp)
        names = []
        for p in paths:
            p = Path(p)
            os.replace(p, folder / p.name)
            names.append(p.name)
        return names
    finally:
        _remove(tmp)


__all__ = [
    "COMPARISON_FILE",
    "COMPARISON_MANIFEST",
    "MANIFEST",
    "MARKER",
    "PARTS_DIR",
    "RUN_FILES",
    "TABLE_FILES",
    "Assembled",
    "PartStore",
    "assemble",
    "atomic_open",
    "atomic_path",
    "begin_folder",
    "finish_folder",
    "is_complete",
    "read_timeseries",
    "summary_frame",
    "write_csv",
    "write_json",
    "write_plots",
    "write_text",
]
