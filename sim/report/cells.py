"""Tables as the template draws them, and numbers as a reader wants to see them.

Everything the template shows is formatted here, in Python, so the template only lays out
strings (and Jinja2 escapes every one). Numbers get thousands separators and just enough decimals
for their size, the same rule as the terminal tables (``sim.analysis.tables``); KPI values are
shown in their display unit (money in £ million) from ``sim.analysis.kpis``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.analysis.kpis import KPIS
from sim.analysis.numbers import fmt_number

NO_VALUE = "—"
"""Shown for a value the table has no entry for (as opposed to "n/a": a value that is undefined)."""


@dataclass(frozen=True)
class Cell:
    """One table cell: its text, an optional second line (an interval), and how it is drawn.

    ``numeric`` right-aligns it; ``mark`` highlights a difference whose interval excludes zero;
    ``css`` is an extra class from a fixed set the stylesheet knows (``yes``, ``no``, ``zero``).
    """

    text: str
    sub: str = ""
    numeric: bool = False
    mark: bool = False
    css: str = ""


@dataclass(frozen=True)
class Table:
    """A table with a header row; ``numeric[i]`` right-aligns column ``i``'s header.

    ``groups`` are the indices of rows that start a group (drawn with a rule above them);
    ``css`` is a table class from a fixed set the stylesheet knows (``keyvalue``).
    """

    columns: list[str]
    rows: list[list[Cell]]
    numeric: list[bool] = field(default_factory=list)
    caption: str = ""
    note: str = ""
    groups: frozenset[int] = frozenset()
    css: str = ""

    def __post_init__(self) -> None:
        if not self.numeric:
            self.numeric.extend(False for _ in self.columns)


@dataclass(frozen=True)
class Figure:
    """An embedded plot: the PNG as a data URI, and the folder-relative file it came from."""

    title: str
    caption: str
    uri: str
    file: str


@dataclass
class Part:
    """A titled part of a section: one analysis folder's summary (``report --with``), or the
    analysis files found in the results folder itself. ``notes`` are shown after the figures."""

    title: str
    intro: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def text(value: Any) -> Cell:
    return Cell("" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value))


def interval(low: float, high: float, decimals: int, scale: float = 1.0, sign: bool = False) -> str:
    """``[low, high]`` in display units; "n/a" when undefined (fewer than two replications)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return "interval n/a"
    return f"[{fmt_number(low / scale, decimals, sign)}, {fmt_number(high / scale, decimals, sign)}]"


def excludes_zero(low: float, high: float) -> bool:
    return math.isfinite(low) and math.isfinite(high) and (low > 0 or high < 0)


def auto_decimals(values: pd.Series) -> int:
    """Decimals for a column of arbitrary numbers: none for whole numbers or from 1,000, one from
    10, two from 1, three below (probabilities and shares)."""
    finite = values[pd.notna(values)].astype(float)
    finite = finite[finite.map(math.isfinite)]
    if finite.empty or (finite == finite.round()).all():
        return 0
    magnitude = float(finite.abs().max())
    if magnitude >= 1000:
        return 0
    if magnitude >= 10:
        return 1
    return 2 if magnitude >= 1 else 3


def _is_bool_column(values: pd.Series) -> bool:
    if values.dtype == bool:
        return True
    words = {str(v).strip().lower() for v in values.dropna()}
    return bool(words) and words <= {"true", "false"}


def frame_table(
    frame: pd.DataFrame,
    labels: Mapping[str, str],
    caption: str = "",
    max_rows: int = 60,
    headings: Mapping[str, str] | None = None,
) -> Table:
    """Any tidy table as a report table: scenario names shown as their labels, KPI names (in
    ``kpi``/``outcome`` columns) as KPI labels, numbers right-aligned with separators, true/false
    as yes/no. Tables longer than ``max_rows`` are cut, with a note giving the full count.

    This is how tables whose columns the report does not know in advance (sensitivity and
    uncertainty analyses) are shown faithfully: every column, its own name, nothing computed.
    """
    headings = headings or {}
    columns = [str(c) for c in frame.columns]
    numeric = [
        pd.api.types.is_numeric_dtype(frame[c]) and not _is_bool_column(frame[c]) for c in frame.columns
    ]
    decimals = {c: auto_decimals(frame[c]) for c, n in zip(frame.columns, numeric, strict=True) if n}
    booleans = {c for c in frame.columns if _is_bool_column(frame[c])}
    rows = []
    for record in frame.head(max_rows).to_dict("records"):
        row = []
        for c, is_number in zip(frame.columns, numeric, strict=True):
            value = record[c]
            if c in booleans:
                yes = str(value).strip().lower() == "true"
                row.append(
                    Cell("yes" if yes else "no", css="yes" if yes else "no")
                    if pd.notna(value)
                    else text(None)
                )
            elif is_number:
                shown = fmt_number(float(value), decimals[c]) if pd.notna(value) else NO_VALUE
                row.append(Cell(shown, numeric=True))
            elif c == "scenario":
                row.append(text(labels.get(str(value), value)))
            elif c in ("kpi", "outcome") and str(value) in KPIS:
                row.append(text(KPIS[str(value)].label))
            else:
                row.append(text(value))
        rows.append(row)
    note = f"First {max_rows} of {len(frame):,} rows." if len(frame) > max_rows else ""
    shown_columns = [headings.get(c, c.replace("_", " ")) for c in columns]
    return Table(shown_columns, rows, numeric, caption, note)


__all__ = [
    "NO_VALUE",
    "Cell",
    "Figure",
    "Part",
    "Table",
    "auto_decimals",
    "excludes_zero",
    "frame_table",
    "interval",
    "text",
]
