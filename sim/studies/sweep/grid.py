"""The grid of a parameter sweep: ``--param PATH=V1,V2,...`` or ``PATH=LO:HI:N``, checked before
anything runs: its syntax at parse time (``parse_spec``), then against the scenario (``resolve``)
and by the schema at each point (``build_grid``). Imports stay light (``describe``, which needs
pandas, on first use): the argument parser imports this module.
"""

from __future__ import annotations

import difflib
import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.experiment.errors import ExperimentError
from sim.scenario.errors import validation_problems
from sim.scenario.merge import deep_merge
from sim.scenario.paths import nested
from sim.scenario.schema import Scenario

MAX_PARAMS = 2
"""A sweep is over one parameter (response curves) or two (a 2-D grid)."""
MAX_POINTS = 400
"""More grid points than this is almost certainly a typo in N (each point is a results folder)."""
_NOT_PARAMETERS = frozenset({"name", "title", "description", "changes"})
_SIGNIFICANT = 12
"""Range values are rounded to this many significant digits (0.1 + 0.2 is written 0.3)."""
SEPARATOR = "__"
"""Between the scenario name and each ``path_value`` in a grid point's name."""


@dataclass(frozen=True)
class ParamSpec:
    """One ``--param`` as typed: a list of values or a range ``(low, high, count)``."""

    path: str
    text: str
    values: tuple[float, ...] = ()
    span: tuple[float, float, int] | None = None


@dataclass(frozen=True)
class SweepParam:
    """A checked swept parameter: its path, values (in the order given), unit and whether it is a
    whole number."""

    path: str
    values: tuple[float, ...]
    unit: str
    integer: bool


@dataclass(frozen=True)
class GridPoint:
    """One point of the grid: the value of each swept parameter and the scenario that has them."""

    values: tuple[float, ...]
    scenario: Scenario


def _number(text: str, what: str, spec: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{spec!r}: {what} {text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{spec!r}: {what} {text.strip()!r} is not a finite number")
    return value


FORMS = "PATH=V1,V2,... (e.g. detention.beds=20,40,80) or PATH=LO:HI:N (N evenly spaced values)"


def parse_spec(text: str) -> ParamSpec:
    """The path and values of one ``--param``; ValueError naming what is wrong and the two forms."""
    path, sep, rest = text.partition("=")
    path = path.strip()
    if not sep or not path or not rest.strip():
        raise ValueError(f"expected {FORMS}, got {text!r}")
    if "," in rest and ":" in rest:
        raise ValueError(f"{text!r}: use either a list (commas) or a range (colons), not both; {FORMS}")
    if ":" in rest:
        parts = rest.split(":")
        if len(parts) != 3:
            raise ValueError(f"{text!r}: a range is LO:HI:N (three parts), e.g. detention.beds=20:120:6")
        low = _number(parts[0], "LO", text)
        high = _number(parts[1], "HI", text)
        try:
            count = int(parts[2])
        except ValueError:
            raise ValueError(f"{text!r}: N {parts[2].strip()!r} is not a whole number of values") from None
        if count < 2:
            raise ValueError(f"{text!r}: N must be at least 2 (the number of values), got {count}")
        if count > MAX_POINTS:
            raise ValueError(f"{text!r}: N must be at most {MAX_POINTS}, got {count}")
        if not low < high:
            raise ValueError(f"{text!r}: LO must be below HI, got {low:g} and {high:g}")
        return ParamSpec(path, text, span=(low, high, count))
    items = rest.split(",")
    if any(not v.strip() for v in items):
        raise ValueError(f"{text!r}: an empty value between commas; {FORMS}")
    values = tuple(_number(v, "value", text) for v in items)
    if len(values) < 2:
        raise ValueError(f"{text!r}: a sweep needs at least two values; {FORMS}")
    return ParamSpec(path, text, values=values)


def _leaves(model: BaseModel, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted path, value) of every leaf of a scenario, without its identity and ``changes``."""
    for name in type(model).model_fields:
        if not prefix and name in _NOT_PARAMETERS:
            continue
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            yield from _leaves(value, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def numeric_paths(scenario: Scenario) -> dict[str, Any]:
    """Every path a sweep may set, with its value in ``scenario`` (schema order)."""
    return {path: value for path, value in _leaves(scenario) if _is_number(value)}


def fmt(value: float) -> str:
    """A value as written in names, tables and titles: ``60``, ``0.005``."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def _where_to_look(scenario: Scenario) -> str:
    return f"'run_sim.py describe' lists every parameter of {scenario.name}"


def _resolve_one(
    scenario: Scenario, spec: ParamSpec, numbers: dict[str, Any], leaves: set[str]
) -> SweepParam:
    option = f"--param {spec.text}"
    path = spec.path
    if path not in numbers:
        below = [p for p in numbers if p.startswith(path + ".")]
        if below:
            shown = ", ".join(below[:12]) + (", ..." if len(below) > 12 else "")
            raise ExperimentError(
                f"{option}: {path} is a group of parameters (or a distribution), not a number; "
                f"sweep one of its numeric parameters: {shown}"
            )
        if path in leaves:
            value = dict(_leaves(scenario))[path]
            raise ExperimentError(
                f"{option}: {path} is not a number (its value is {value!r}); only numeric parameters "
                f"can be swept ({_where_to_look(scenario)})"
            )
        close = difflib.get_close_matches(path, list(numbers), n=3, cutoff=0.6)
        hint = f"did you mean {' or '.join(repr(c) for c in close)}?" if close else _where_to_look(scenario)
        raise ExperimentError(f"{option}: unknown parameter {path!r}; {hint}")
    integer = isinstance(numbers[path], int)
    values: tuple[float, ...]
    if spec.span is not None:
        low, high, count = spec.span
        step = (high - low) / (count - 1)
        raw = [low + i * step for i in range(count)]
        if integer:
            values = tuple(dict.fromkeys(float(round(v)) for v in raw))
            if len(values) < count:
                raise ExperimentError(
                    f"{option}: {path} is a whole number, and {count} evenly spaced values from "
                    f"{fmt(low)} to {fmt(high)} round to only {len(values)} distinct whole numbers "
                    f"({', '.join(fmt(v) for v in values)}); use a smaller N or a wider range"
                )
        else:
            values = tuple(float(f"{v:.{_SIGNIFICANT}g}") for v in raw)
    else:
        values = spec.values
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:
            raise ExperimentError(
                f"{option}: value {', '.join(fmt(v) for v in repeated)} given more than once; give each "
                "value once"
            )
    if integer:  # whole numbers as int (sweep.csv, names); a fraction is left for the schema to reject
        values = tuple(int(v) if float(v).is_integer() else v for v in values)
    from sim.scenario.describe import parameter_rows

    unit = {row.path: row.unit for row in parameter_rows(scenario)}.get(path, "")
    return SweepParam(path, values, unit, integer)


def resolve(scenario: Scenario, specs: Sequence[ParamSpec]) -> list[SweepParam]:
    """Each ``--param`` checked against ``scenario`` (see the module doc); ExperimentError if not."""
    if len(specs) > MAX_PARAMS:
        raise ExperimentError(
            f"--param given {len(specs)} times; a sweep is over one parameter or two (a 2-D grid)"
        )
    paths = [s.path for s in specs]
    if len(set(paths)) < len(paths):
        raise ExperimentError(f"--param {paths[0]} given twice; sweep two different parameters")
    numbers = numeric_paths(scenario)
    leaves = {p for p, _ in _leaves(scenario)}
    params = [_resolve_one(scenario, s, numbers, leaves) for s in specs]
    points = math.prod(len(p.values) for p in params)
    if points > MAX_POINTS:
        raise ExperimentError(f"--param: the grid has {points} points; at most {MAX_POINTS} are allowed")
    return params


def build_grid(scenario: Scenario, params: Sequence[SweepParam]) -> list[GridPoint]:
    """One validated scenario per grid point, the first parameter varying slowest, named e.g.
    ``baseline__detention.beds_60`` (a folder) and titled ``Baseline: detention.beds = 60``; a
    value the schema rejects is an ExperimentError with the schema's message at the path."""
    points = []
    for values in itertools.product(*(p.values for p in params)):
        pairs = list(zip(params, values, strict=True))
        overrides: dict[str, Any] = {
            "name": SEPARATOR.join([scenario.name, *(f"{p.path}_{fmt(v)}" for p, v in pairs)]),
            "title": f"{scenario.label}: " + ", ".join(f"{p.path} = {fmt(v)}" for p, v in pairs),
        }
        for p, v in pairs:
            overrides = deep_merge(overrides, nested(p.path, v))
        try:
            points.append(GridPoint(tuple(values), scenario.with_overrides(overrides)))
        except ValidationError as exc:
            given = ", ".join(f"{p.path}={fmt(v)}" for p, v in pairs)
            problems = validation_problems("", exc, Scenario)
            text = "; ".join(
                f"{pr.path}: {pr.message}" + (f"; {pr.allowed}" if pr.allowed else "") for pr in problems
            )
            raise ExperimentError(f"--param {given}: {text}") from None
    return points
