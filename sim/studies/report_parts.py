"""The pieces a study's part of the briefing report is built from, and how a ``report --with``
folder is read for it; here, below ``sim.report``, so that both the report and each study's
``report.py`` can import them. Every number is formatted in Python (the template only escapes
strings), and nothing read from a folder someone may have edited can execute code or reach
outside it (``safe_file``).
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis.kpis import DERIVED_KPIS, KPIS, Kpi
from sim.analysis.numbers import count_decimals, fmt_number
from sim.scenario.describe import format_value
from sim.scenario.paths import flatten
from sim.studies.base import Study, listing

NO_VALUE = "—"
"""Shown for a value the table has no entry for (as opposed to "n/a": a value that is undefined)."""
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_IMAGE_BYTES = 8 * 1024 * 1024
"""Larger files are not embedded: the plots are a few hundred KB, and a report must stay emailable."""
MAX_ANALYSIS_IMAGE_BYTES = 4 * 1024 * 1024
"""PNG bytes embedded per analysis folder: a full sensitivity run draws a tornado per scenario and
KPI, and the report must stay emailable; the rest are named in a note."""


class ReportError(Exception):
    """The folder cannot be reported on (not a folder, not complete, or its core files unreadable);
    the message says which file and why. The CLI prints it and exits with code 2."""


@dataclass(frozen=True)
class Cell:
    """One table cell: its text, an optional second line (an interval), right-aligned if
    ``numeric``, highlighted if ``mark``; ``css`` is a class the stylesheet knows (yes, no, zero)."""

    text: str
    sub: str = ""
    numeric: bool = False
    mark: bool = False
    css: str = ""


@dataclass(frozen=True)
class Table:
    """A table with a header row; ``numeric[i]`` right-aligns column ``i``'s header, ``groups``
    are the rows drawn with a rule above them, ``css`` a class the stylesheet knows (keyvalue)."""

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
    """One ``report --with`` folder's summary, as its study reads it (notes after the figures)."""

    title: str
    intro: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def text(value: Any) -> Cell:
    return Cell("" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value))


def yes_no(flag: bool) -> Cell:
    return Cell("yes" if flag else "no", css="yes" if flag else "no")


def interval(low: float, high: float, decimals: int, scale: float = 1.0, sign: bool = False) -> str:
    """``[low, high]`` in display units; "n/a" when undefined (fewer than two replications)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return "interval n/a"
    return f"[{fmt_number(low / scale, decimals, sign)}, {fmt_number(high / scale, decimals, sign)}]"


def excludes_zero(low: float, high: float) -> bool:
    return math.isfinite(low) and math.isfinite(high) and (low > 0 or high < 0)


def estimate(
    value: float,
    low: float,
    high: float,
    decimals: int,
    scale: float = 1.0,
    sign: bool = False,
    mark: bool | None = None,
) -> Cell:
    """A value and its interval below it, in display units (stored / ``scale``); highlighted where
    ``mark`` says, by default where the interval excludes 0."""
    return Cell(
        fmt_number(value / scale, decimals, sign),
        interval(low, high, decimals, scale, sign),
        numeric=True,
        mark=excludes_zero(low, high) if mark is None else mark,
    )


def finite(value: Any) -> float | None:
    """A finite number from a table cell (numpy integers and floats included), else None."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def probability(value: Any) -> Cell:
    x = finite(value) if not isinstance(value, str) else None
    return Cell(fmt_number(x, 2) if x is not None else "n/a", numeric=True)


def auto_decimals(values: pd.Series) -> int:
    """Decimals for a column of arbitrary numbers: none for whole numbers, three below 1
    (probabilities and shares), else as a count."""
    known = values[pd.notna(values)].astype(float)
    known = known[known.map(math.isfinite)]
    if known.empty or (known == known.round()).all():
        return 0
    magnitude = float(known.abs().max())
    return 3 if magnitude < 1 else count_decimals(magnitude)


def _is_bool_column(values: pd.Series) -> bool:
    if values.dtype == bool:
        return True
    words = {str(v).strip().lower() for v in values.dropna()}
    return bool(words) and words <= {"true", "false"}


def as_written(frame: pd.DataFrame, labels: Mapping[str, str], name: str, max_rows: int = 60) -> Table:
    """File ``name``'s table with columns the report does not know, shown faithfully (nothing
    computed; scenarios and KPIs by their labels, true/false as yes/no), cut at ``max_rows``."""
    booleans = {c for c in frame.columns if _is_bool_column(frame[c])}
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) and c not in booleans for c in frame.columns]
    decimals = {c: auto_decimals(frame[c]) for c, n in zip(frame.columns, numeric, strict=True) if n}

    def cell(c: Any, value: Any) -> Cell:
        if c in booleans:
            return yes_no(str(value).strip().lower() == "true") if pd.notna(value) else text(None)
        if c in decimals:
            return Cell(fmt_number(float(value), decimals[c]) if pd.notna(value) else NO_VALUE, numeric=True)
        if c == "scenario":
            return text(labels.get(str(value), value))
        return text(KPIS[str(value)].label if c in ("kpi", "outcome") and str(value) in KPIS else value)

    rows = [[cell(c, r[c]) for c in frame.columns] for r in frame.head(max_rows).to_dict("records")]
    note = f"First {max_rows} of {len(frame):,} rows." if len(frame) > max_rows else ""
    caption = f"{name} as written (its columns are not the ones this report knows)."
    return Table([str(c).replace("_", " ") for c in frame.columns], rows, numeric, caption, note)


def definition(name: str) -> Kpi | None:
    """The KPI's definition (a summary column or a derived KPI), None for a name it does not know."""
    return KPIS.get(name) or DERIVED_KPIS.get(name)


def kpi_text(name: str) -> str:
    """A KPI's label with its display unit, or the raw name for a KPI this version does not know."""
    d = definition(name)
    return d.label if d is not None else name


def outcome_label(name: str) -> str:
    return KPIS[name].label if name in KPIS else name.replace("_", " ").capitalize()


def label(labels: Mapping[str, str], name: Any) -> str:
    """A scenario's display label, or its name where the results folder does not know it."""
    return labels.get(str(name), str(name))


def overrides_text(overrides: Any) -> str:
    """The command-line overrides a manifest records, as ``path = value`` ("" if none)."""
    if not isinstance(overrides, Mapping) or not overrides:
        return ""
    return ", ".join(f"{k} = {format_value(v)}" for k, v in flatten(overrides).items())


def counted(n: int, noun: str) -> str:
    """``n`` and the noun, plural unless ``n`` is 1: "3 ranged parameters", "1 group"."""
    return f"{n} {noun}{'s' if n != 1 else ''}"


def joined(words: Sequence[str]) -> str:
    """Words as a reader lists them: ``a``, ``a and b``, ``a, b and c``."""
    return " and ".join(w for w in (", ".join(words[:-1]), words[-1]) if w) if words else ""


def more(n: int, noun: str, where: str) -> str:
    """The tail of a capped list: "; and 2 more changes (see the headline table)", or ""."""
    return f"; and {counted(n, noun)} (see {where})" if n > 0 else ""


def is_true(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes")


def missing_columns(frame: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    return [c for c in columns if c not in frame.columns]


def require(frame: pd.DataFrame, columns: Sequence[str], where: str) -> None:
    """ReportError naming the file and the columns it lacks."""
    missing = missing_columns(frame, columns)
    if missing:
        raise ReportError(
            f"{where}: missing column(s) {', '.join(missing)} (it has {', '.join(map(str, frame.columns))}); "
            "it was not written by this version's command, or was edited"
        )


def numeric(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``frame`` with ``columns`` as numbers (anything else becomes NaN, shown as "n/a")."""
    return frame.assign(**{c: pd.to_numeric(frame[c], errors="coerce") for c in columns})


def number(value: Any) -> float | None:
    """A finite number from a manifest value, else None (manifests are data someone may edit)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def plain(name: str) -> bool:
    """Whether ``name`` is a plain, non-hidden file name: no path, nothing that leaves the folder."""
    return bool(name) and Path(name).name == name and not name.startswith(".") and "\\" not in name


def safe_file(folder: Path, name: str) -> Path | None:
    """``folder/name`` if ``name`` is ``plain`` and it is a regular file really inside ``folder``
    (not a symlink pointing elsewhere); else None."""
    if not plain(name):
        return None
    path = folder / name
    try:
        real = path.resolve(strict=True)
        inside = real.is_relative_to(folder.resolve(strict=True))
    except (OSError, RuntimeError):
        return None
    return path if inside and real.is_file() else None


def read_csv(folder: Path, name: str) -> pd.DataFrame | None:
    """The table ``name`` if it is a safe file of ``folder`` (``safe_file``), None if not;
    ReportError if it cannot be parsed (pandas only parses text: nothing in it runs)."""
    path = safe_file(folder, name)
    if path is None:
        return None
    try:
        return pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise ReportError(f"{path}: cannot be read as a table: {exc}") from None


def parse(path: Path, load: Callable[[str], Any], what: str, error: type[Exception]) -> Any:
    """The text of ``path`` as ``load`` parses it (a safe parser, e.g. ``json.loads``)."""
    try:
        return load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, error) as exc:
        raise ReportError(f"{path}: cannot be read as {what}: {exc}") from None


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object (a manifest); ReportError for anything else."""
    data = parse(path, json.loads, "JSON", json.JSONDecodeError)
    if not isinstance(data, dict):
        raise ReportError(f"{path}: expected a JSON object, found {type(data).__name__}")
    return data


def png_data_uri(folder: Path, name: str) -> str | None:
    """A ``data:`` URI of ``folder/name`` if it is a safe, real PNG of reasonable size, else None."""
    path = safe_file(folder, name)
    if path is None or not name.lower().endswith(".png"):
        return None
    try:
        data = path.read_bytes() if path.stat().st_size <= MAX_IMAGE_BYTES else b""
    except OSError:
        return None
    if not data.startswith(PNG_SIGNATURE):
        return None
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def listed_pngs(folder: Path, manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """Each PNG the manifest lists that can be embedded (``png_data_uri``): its name and data URI."""
    uris = ((f, png_data_uri(folder, f)) for f in listing(manifest, "files") if isinstance(f, str))
    return [(f, uri) for f, uri in uris if uri is not None]


@dataclass(frozen=True)
class AnalysisFolder:
    """A finished study folder given with ``report --with`` (``given``: the path as typed)."""

    path: Path
    kind: str
    manifest: dict[str, Any]
    given: str

    def optional(self, name: str, columns: Sequence[str]) -> pd.DataFrame | None:
        """The table ``name``, None if absent; ReportError if it cannot be parsed or lacks a column
        its writer promises (refused, not shown half-understood)."""
        try:
            frame = read_csv(self.path, name)
        except ReportError as exc:
            raise ReportError(f"--with {self.given}: {exc}") from None
        if frame is not None:
            require(frame, columns, f"--with {self.given}: {name}")
        return frame

    def needed(self, name: str, columns: Sequence[str] = ()) -> pd.DataFrame:
        """The table ``name`` as ``optional`` reads it; ReportError if it is absent."""
        frame = self.optional(name, columns)
        if frame is None:
            raise ReportError(
                f"--with {self.given}: no readable {name} (a regular file inside the folder): "
                f"a {self.kind} folder must have it"
            )
        return frame


def plain_title(name: str) -> str:
    """A plot's title from its file name, for a plot its study gives no title."""
    return name.rsplit(".", 1)[0].replace("_", " ").capitalize()


def named_plots(plots: Mapping[str, tuple[str, str]]) -> Callable[[str], tuple[str, str]]:
    """The title and caption of a study's plots that have fixed file names."""
    return lambda name: plots.get(name, (plain_title(name), ""))


@dataclass(frozen=True)
class StudyReport:
    """How the report shows one study: ``part`` reads a ``--with`` folder, ``figure`` titles a
    listed plot by its file name; ``files`` are its files older versions wrote into a results
    folder, and ``tables`` the tables and intro lines shown of those present (by name);
    ``findings`` the sentences the report opens with, from those files (by name) wherever they
    were found (a ``--with`` folder or the results folder), if the study says something there."""

    part: Callable[[AnalysisFolder, Mapping[str, str], str], Part]
    figure: Callable[[str], tuple[str, str]]
    files: tuple[str, ...] = ()
    tables: (
        Callable[[Mapping[str, pd.DataFrame], Mapping[str, str], str], tuple[list[Table], list[str]]] | None
    ) = None
    findings: Callable[[Mapping[str, pd.DataFrame], Mapping[str, str]], list[str]] | None = None


def study_report(study: Study) -> StudyReport:
    """The study's ``REPORT``, imported now: the registry stays free of pandas until a report is built."""
    report = import_module(study.report).REPORT
    assert isinstance(report, StudyReport), study.report
    return report


def analysis_figures(
    folder: AnalysisFolder, figure: Callable[[str], tuple[str, str]]
) -> tuple[list[Figure], list[str]]:
    """The PNGs the manifest lists, up to ``MAX_ANALYSIS_IMAGE_BYTES`` in all, and a note naming
    those left out."""
    figures: list[Figure] = []
    left_out: list[str] = []
    used = 0
    for name, uri in listed_pngs(folder.path, folder.manifest):
        used += (folder.path / name).stat().st_size
        if left_out or used > MAX_ANALYSIS_IMAGE_BYTES:  # in the writer's order: overviews first
            left_out.append(name)
            continue
        figures.append(Figure(*figure(name), uri, f"{folder.path.name}/{name}"))
    more = counted(len(left_out), "more figure")
    note = f"Not embedded, to keep the report emailable ({more}): {', '.join(left_out)} in {folder.given}."
    return figures, [note] if left_out else []
