"""The combined process-mining log: state changes and activities as one event log per person.

Process-mining tools (pm4py, ProM, Disco, Celonis) read one row per event with the XES standard
columns: ``case:concept:name`` (``"<replication>-<person>"``), ``concept:name`` (an activity's
name, or ``"enter <state>"`` for a state change: a dozen states keep the process map small where
~50 causes would not; the cause is kept in ``cause``), ``time:timestamp`` (``start`` plus the model
time in days, UTC), ``org:resource`` (who did it; empty for a state change) and
``lifecycle:transition`` (always ``complete``: every record is an instant).

Rows are ordered by case and time, and at one instant in the order recorded (every activity
carries the number of state changes recorded before it, ``after``); failed written contact
attempts are reconstructed after the run (``Contact.settle``) and so sort last at their instant.
``write_xes`` streams XES 1.0 (``pm4py.read_xes`` reads it; no pm4py needed, no code run on reading).
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd

START = "2012-10-01"
"""Calendar date of model day 0 (the contract start, seed 002 §8.2), in UTC."""
CASE, ACTIVITY, TIMESTAMP, RESOURCE, LIFECYCLE = (
    "case:concept:name",
    "concept:name",
    "time:timestamp",
    "org:resource",
    "lifecycle:transition",
)
COLUMNS = (
    CASE,
    ACTIVITY,
    TIMESTAMP,
    RESOURCE,
    LIFECYCLE,
    "outcome",
    "cause",
    "replication",
    "person",
    "kind",
)
"""Columns of :func:`process_log`, in order."""
STATE, ACTIVITY_KIND = "state", "activity"
_STRING = "string[pyarrow]"


def _with_replication(frame: pd.DataFrame) -> pd.DataFrame:
    return frame if "replication" in frame.columns else frame.assign(replication=0)


def _strings(values: pd.Series | np.ndarray | list[str]) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=object), dtype=_STRING)


def process_log(state_log: pd.DataFrame, activity_log: pd.DataFrame, start: str = START) -> pd.DataFrame:
    """The combined log (``COLUMNS``) of a state log (``Recorder.event_log``) and an activity log
    (``Recorder.activity_log``), each with a ``replication`` column or not (0), each replication's
    rows in the order recorded (the state log's position is what ``after`` counts)."""
    states = _with_replication(state_log).reset_index(drop=True)
    acts = _with_replication(activity_log).reset_index(drop=True)
    origin = pd.Timestamp(start, tz="UTC")
    n_s, n_a = len(states), len(acts)
    # rank within an instant: state record i -> 2i + 1, activity after n state records -> 2n
    s_rank = states.groupby("replication", sort=False).cumcount().to_numpy(np.int64) * 2 + 1
    a_rank = acts["after"].to_numpy(np.int64) * 2 if n_a else np.zeros(0, np.int64)

    def column(name: str, dtype: type) -> tuple[np.ndarray, np.ndarray]:
        return states[name].to_numpy(dtype), acts[name].to_numpy(dtype)

    def labels(frame: pd.DataFrame, name: str) -> np.ndarray:
        return frame[name].astype(str).to_numpy(dtype=object)

    def fill(n: int, value: str) -> np.ndarray:
        return np.full(n, value, dtype=object)

    names = np.array([f"enter {s}" for s in labels(states, "to_state")], dtype=object)
    frame = pd.DataFrame(
        {
            "replication": np.concatenate(column("replication", np.int64)),
            "person": np.concatenate(column("person", np.int64)),
            "time": np.concatenate(column("time", np.float64)),
            "rank": np.concatenate([s_rank, a_rank]),
            ACTIVITY: np.concatenate([names, labels(acts, "activity")]),
            RESOURCE: np.concatenate([fill(n_s, ""), labels(acts, "resource")]),
            "outcome": np.concatenate([fill(n_s, ""), labels(acts, "outcome")]),
            "cause": np.concatenate([labels(states, "cause"), fill(n_a, "")]),
            "kind": np.concatenate([fill(n_s, STATE), fill(n_a, ACTIVITY_KIND)]),
        }
    )
    # a stable sort keeps the activity log's order among activities with the same rank
    frame = frame.sort_values(["replication", "person", "time", "rank"], kind="stable").reset_index(drop=True)
    return pd.DataFrame(
        {
            CASE: _strings(frame["replication"].astype(str) + "-" + frame["person"].astype(str)),
            ACTIVITY: _strings(frame[ACTIVITY]),
            TIMESTAMP: origin + pd.to_timedelta(frame["time"].to_numpy(), unit="D"),
            RESOURCE: _strings(frame[RESOURCE]),
            LIFECYCLE: _strings(np.full(len(frame), "complete", dtype=object)),
            "outcome": _strings(frame["outcome"]),
            "cause": _strings(frame["cause"]),
            "replication": frame["replication"].astype("int32"),
            "person": frame["person"].astype("int64"),
            "kind": _strings(frame["kind"]),
        }
    )


_HEADER = """<?xml version="1.0" encoding="UTF-8" ?>
<log xes.version="1.0" xes.features="" xmlns="http://www.xes-standard.org/">
<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
<extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
<global scope="trace">
<string key="concept:name" value="__INVALID__"/>
</global>
<global scope="event">
<string key="concept:name" value="__INVALID__"/>
<date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/>
<string key="lifecycle:transition" value="complete"/>
</global>
<classifier name="Activity" keys="concept:name"/>
<string key="concept:name" value="contact-sim"/>
"""
_FOOTER = "</log>\n"


def _string(key: str, value: str) -> str:
    return f"<string key={quoteattr(key)} value={quoteattr(value)}/>"


def _traces(frame: pd.DataFrame) -> Iterator[str]:
    """The XES text of ``frame``'s rows (sorted by case, as :func:`process_log` returns them)."""
    if frame.empty:
        return
    stamps = frame[TIMESTAMP].dt.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00").to_numpy(dtype=object)
    case, name = (frame[c].to_numpy(dtype=object) for c in (CASE, ACTIVITY))
    # after the name and time, in this order; an empty value (no resource, outcome or cause) is left out
    attributes = [
        (c, frame[c].to_numpy(dtype=object)) for c in (RESOURCE, LIFECYCLE, "outcome", "cause", "kind")
    ]
    replication = frame["replication"].to_numpy()
    person = frame["person"].to_numpy()
    starts = np.flatnonzero(np.r_[True, case[1:] != case[:-1]])
    ends = np.r_[starts[1:], len(frame)]
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        parts = [
            "<trace>",
            _string("concept:name", case[a]),
            f'<int key="replication" value="{int(replication[a])}"/>',
            f'<int key="person" value="{int(person[a])}"/>',
        ]
        for i in range(a, b):
            parts += ["<event>", _string(ACTIVITY, name[i]), f'<date key="{TIMESTAMP}" value="{stamps[i]}"/>']
            parts += [_string(key, values[i]) for key, values in attributes if values[i]]
            parts.append("</event>")
        parts.append("</trace>\n")
        yield "".join(parts)


class XesWriter:
    """Write a combined log as XES 1.0 (gzipped: default if the path ends in ``.gz``) a frame at
    a time; each frame holds whole cases, sorted as :func:`process_log` returns them."""

    def __init__(self, path: str | Path, gzipped: bool | None = None) -> None:
        path = Path(path)
        raw: io.BufferedIOBase
        if path.suffix == ".gz" if gzipped is None else gzipped:
            raw = gzip.GzipFile(path, "wb", compresslevel=6, mtime=0)  # mtime 0: same run, same bytes
        else:
            raw = path.open("wb")
        self._text = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
        self._text.write(_HEADER)

    def write(self, frame: pd.DataFrame) -> None:
        """Append ``frame``'s cases."""
        for trace in _traces(frame):
            self._text.write(trace)

    def close(self) -> None:
        self._text.write(_FOOTER)
        self._text.close()  # closes the underlying (gzip) file too

    def __enter__(self) -> XesWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def write_xes(frame: pd.DataFrame, path: str | Path) -> None:
    """Write the combined log ``frame`` (:func:`process_log`) to ``path`` as XES (``.gz``: gzipped)."""
    with XesWriter(path) as writer:
        writer.write(frame)
