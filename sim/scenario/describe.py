"""The parameter table with provenance, generated from the scenario schema.

The table is derived from the pydantic model tree of a resolved ``Scenario`` rather than written by
hand, so it cannot drift from the code: every leaf value is listed with the unit and source its
entry in ``parameters.yaml`` gives its field (``sim.scenario.fields``). A leaf without its own
unit/source inherits them from the nearest ancestor field that has them (a group's source covers
all its leaves). A calibrated value's source says it is calibrated, to what, and that its value
lives in ``sim/scenario/calibration.yaml``. Optionally each row also says which scenario file set
the value, so a reader can tell defaults (documented or calibrated) from policy values.
"""

from __future__ import annotations

import math
import os
import re
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel

from sim.scenario.distributions import Beta, Gamma, Lognormal
from sim.scenario.files import IDENTITY_KEYS, read_chain
from sim.scenario.paths import flatten
from sim.scenario.uncertainty import VALUE, Uncertain, ranges

SKIPPED_TOP_LEVEL = frozenset({"name", "title", "description"})
"""Scenario identity fields: labels, not parameters."""

TABLE_COLUMNS = ["path", "value", "unit", "range", "source"]

# Distribution fields that are dimensionless: inheriting the delay's unit ("days") would be wrong.
_DIMENSIONLESS: dict[tuple[type[BaseModel], str], str] = {
    (Gamma, "cv"): "coefficient of variation (sd/mean)",
    (Lognormal, "cv"): "coefficient of variation (sd/mean)",
    (Beta, "a"): "shape parameter",
    (Beta, "b"): "shape parameter",
}


@dataclass(frozen=True)
class ParamRow:
    """One leaf parameter: dotted path, compactly formatted value, unit, plausible range (with its
    reason; ``sim.scenario.uncertainty``) and provenance."""

    path: str
    value: str
    unit: str
    range: str
    source: str


def format_value(value: Any) -> str:
    """A short, faithful text form: integers without a decimal point, floats round-trip exact."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {format_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def _extras(field_info: Any) -> dict[str, str]:
    extra = field_info.json_schema_extra
    if not isinstance(extra, dict):
        return {}
    return {k: str(extra[k]) for k in ("unit", "source") if extra.get(k)}


def _file_for(path: str, sources: Mapping[str, str]) -> str:
    """The file that set ``path`` or its nearest ancestor path ("" if none)."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        found = sources.get(".".join(parts[:i]))
        if found:
            return found
    return ""


def _walk(
    model: BaseModel, prefix: str, unit: str, source: str, top: bool, changes: bool = True
) -> Iterator[tuple[str, Any, str, str]]:
    """(path, value, unit, source) for every leaf below ``model``, inheriting unit/source; a
    scenario's ``changes`` are listed parameter by parameter (unless ``changes`` is False)."""
    cls = type(model)
    for name, info in cls.model_fields.items():
        if top and name in SKIPPED_TOP_LEVEL:
            continue
        extra = _extras(info)
        f_unit = _DIMENSIONLESS.get((cls, name)) or extra.get("unit", unit)
        f_source = extra.get("source", source)
        if name == "dist":
            f_unit = "distribution family"
        path = f"{prefix}{name}"
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            yield from _walk(value, path + ".", f_unit, f_source, top=False)
        elif top and name == "changes":
            if changes:
                yield from _changes(model, value)
        else:
            yield path, value, f_unit, f_source


def _changes(scenario: BaseModel, changes: Any) -> Iterator[tuple[str, Any, str, str]]:
    """One row per parameter a change sets: ``changes[i].<path>`` with the value from its day,
    the parameter's unit, and where the value came from."""
    units = {path: unit for path, _, unit, _ in _walk(scenario, "", "", "", top=True, changes=False)}
    for i, change in enumerate(changes):
        for path, value in flatten(change.set).items():
            unit = units.get(path) or next((u for q, u in units.items() if q.startswith(path + ".")), "")
            yield (
                f"changes[{i}].{path}",
                value,
                unit,
                f"the scenario: from day {format_value(change.from_day)} (before it, the value above)",
            )


def parameter_rows(scenario: BaseModel, sources: Mapping[str, str] | None = None) -> list[ParamRow]:
    """One row per leaf parameter of a resolved scenario, in schema order.

    ``sources`` maps dotted paths (or path prefixes, e.g. ``"contact"``) to the scenario file that
    set them; the most specific match is appended to the source as ``" [set in <file>]"``. Empty
    file names are ignored (see ``explicit_paths``).
    """
    sources = sources or {}
    ranged = {u.path: u for u in ranges(scenario)}
    rows = []
    for path, value, unit, source in _walk(scenario, "", "", "", top=True):
        file = _file_for(path, sources)
        if file:
            source = f"{source} [set in {file}]" if source else f"[set in {file}]"
        rows.append(ParamRow(path, format_value(value), unit, _range_text(path, ranged), source))
    return rows


def _range_text(path: str, ranged: Mapping[str, Uncertain]) -> str:
    """The range of a leaf: its own, or the scale of the nearest group or distribution above it
    (named, so a reader sees that the group's numbers move together); "" if none."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        u = ranged.get(".".join(parts[:i]))
        if u is None:
            continue
        if u.kind == VALUE and i < len(parts):
            continue
        where = "" if i == len(parts) else f" (all of {u.path})"
        why = f": {u.why}" if u.why else ""
        own = " [set in the scenario's uncertainty]" if u.origin == "scenario" else ""
        return f"{u.text}{where}{why}{own}"
    return ""


def parameter_table(scenario: BaseModel, sources: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The parameter rows as a DataFrame with columns path, value, unit, source."""
    return pd.DataFrame([astuple(r) for r in parameter_rows(scenario, sources)], columns=TABLE_COLUMNS)


def _md_cell(text: str) -> str:
    return " ".join(text.split()).replace("\\", "\\\\").replace("|", "\\|")


def markdown_table(scenario: BaseModel, sources: Mapping[str, str] | None = None) -> str:
    """A GitHub-flavoured markdown table of the parameters (pipes and backslashes escaped)."""
    lines = [
        "| " + " | ".join(TABLE_COLUMNS) + " |",
        "|" + "|".join("---" for _ in TABLE_COLUMNS) + "|",
    ]
    for row in parameter_rows(scenario, sources):
        lines.append("| " + " | ".join(_md_cell(c) for c in astuple(row)) + " |")
    return "\n".join(lines) + "\n"


def explicit_paths(raw: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """``{dotted leaf path: ""}`` for every key a nested mapping (a loaded YAML file) sets; the
    caller fills the values with the file name."""
    return dict.fromkeys(flatten(raw, prefix), "")


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_on_hyphens=False) or [""]


def render_text(scenario: BaseModel, sources: Mapping[str, str] | None = None, width: int = 110) -> str:
    """A fixed-width terminal table grouped by top-level section; no line exceeds ``width``.

    Top-level leaves (e.g. ``horizon_days``) come first under "GENERAL"; within a section, paths
    are relative to it. Cells wrap within their column. A source identical to the row above is
    shown as a ditto mark so a group's shared provenance is printed once.
    """
    sections: dict[str, list[ParamRow]] = {}
    for r in parameter_rows(scenario, sources):
        head, _, rest = r.path.partition(".")
        section, name = (head, rest) if rest else ("general", head)
        source = f"{r.source} | range {r.range}" if r.range else r.source
        sections.setdefault(section, []).append(ParamRow(name, r.value, r.unit, r.range, source))
    if "general" in sections:
        sections = {"general": sections.pop("general"), **sections}

    rows = [row for rs in sections.values() for row in rs]
    gap = "  "
    w_name = min(max(len(r.path) for r in rows), 40)
    w_value = min(max(len(r.value) for r in rows), 12)
    w_unit = min(max(len(r.unit) for r in rows), 22)
    w_source = max(width - w_name - w_value - w_unit - 3 * len(gap), 10)

    out: list[str] = []
    for section, rs in sections.items():
        title = section.replace("_", " ").upper()
        day = re.search(r"from day (\S+)", rs[0].source) if section.startswith("changes[") else None
        if day:
            title += f": FROM DAY {day.group(1)}"
        out += ["", title, "=" * len(title)]
        previous = None
        for r in rs:
            source = '  "' if r.source == previous else r.source
            previous = r.source
            cells = [
                _wrap(r.path, w_name),
                _wrap(r.value, w_value),
                _wrap(r.unit, w_unit),
                _wrap(source, w_source),
            ]
            for i in range(max(len(c) for c in cells)):
                name, value, unit, src = (c[i] if i < len(c) else "" for c in cells)
                line = gap.join([f"{name:<{w_name}}", f"{value:>{w_value}}", f"{unit:<{w_unit}}", src])
                out.append(line.rstrip())
    return "\n".join(out).lstrip("\n") + "\n"


def extends_chain(path: str | os.PathLike[str]) -> list[Path]:
    """The file and the files it extends, root ancestor first.

    Read the same way as ``load_scenario`` reads them (a bad file raises ScenarioError).
    """
    return [file for file, _ in read_chain(path)]


def value_sources(path: str | os.PathLike[str]) -> dict[str, str]:
    """Dotted parameter path -> the file in the extends chain that set it last.

    Paths no file sets are absent: their values are the schema's defaults, documented or (for
    ``CALIBRATED_PATHS``) calibrated, as each row's source says.
    """
    sources: dict[str, str] = {}
    for file, own in read_chain(path):
        params = {k: v for k, v in own.items() if k not in IDENTITY_KEYS}
        sources.update(dict.fromkeys(explicit_paths(params), str(file)))
    return sources
