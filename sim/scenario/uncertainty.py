"""Plausible ranges of the parameters: what an assumption could as well have been.

Every parameter whose value is an assumption (or calibrated) declares in ``parameters.yaml``,
beside its default, a plausible range with a one-line reason (``range: [0.05, 0.3]``, ``why:
...``). Two kinds:

* ``value``: a numeric leaf's own range, in its unit (``detention.beds`` 20-80);
* ``scale``: a multiplier on every number of a group or a distribution at once (each reporting
  channel's miss probability x0.5-2; a delay's mean, or its low/mode/high, x0.5-2, its shape kept),
  for tables whose relative values are one assumption and whose level is another.

A scenario file may narrow, widen or add ranges under ``uncertainty:``, keyed by dotted path
(``uncertainty: {detention.beds: [20, 60], reporting.miss_probability: [0.5, 3]}``): a leaf path
gives a value range, a group or distribution path a scale. Unknown paths, ranges in the wrong order
and ranges that exclude the scenario's own value (1 for a scale) are input errors with the path.

:func:`ranges` lists the resolved ranges of a scenario; :func:`apply` gives the scenario with some
of them set to given values (what sweeps and sampling designs run).

A scenario with ``changes`` (a policy introduced part-way through) is drawn consistently over
time: a scale multiplies the numbers a change sets under its path as well (a service that raises
agreement to leave by half from day 365 still raises the *drawn* level by half from then on),
while a single value a change sets is that policy's lever and keeps the change's value, as a
policy's own values do (``sim.studies.uncertainty.run``).

A policy's own ``uncertainty:`` range on a value it changes (how large its effect is, an
assumption too) is not the reference's: :func:`lever_ranges` lists them, and the uncertainty
study draws them for that policy alone.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.scenario.errors import value_problem

RANGE_KEY = "range"
SCALE_KEY = "scale"
WHY_KEY = "why"
VALUE, SCALE = "value", "scale"
SCALED_FIELDS = ("value", "mean", "low", "mode", "high")
"""Fields of a distribution a scale multiplies (location and spread together; cv and shapes kept)."""


@dataclass(frozen=True)
class Uncertain:
    """One ranged parameter of a scenario."""

    path: str
    """Dotted path of the leaf (``value``) or of the group or distribution (``scale``)."""
    kind: str
    """``value`` (a range in the parameter's unit) or ``scale`` (a multiplier on all its numbers)."""
    low: float
    high: float
    base: float
    """The scenario's value (``value``), or 1 (``scale``)."""
    integer: bool
    """The parameter takes whole numbers (sampled values are rounded)."""
    why: str
    origin: str
    """``schema`` or ``scenario`` (an ``uncertainty:`` entry of the file)."""

    @property
    def text(self) -> str:
        """The range as the parameter tables print it."""
        lo, hi = _fmt(self.low), _fmt(self.high)
        return f"{lo} to {hi}" if self.kind == VALUE else f"x{lo} to x{hi}"


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _extra(info: Any) -> dict[str, Any]:
    extra = info.json_schema_extra
    return extra if isinstance(extra, dict) else {}


def _declared(model: BaseModel, prefix: str = "") -> Iterator[tuple[str, str, tuple[float, float], str, Any]]:
    """(path, kind, (low, high), why, value) for every range declared in the schema below ``model``."""
    for name, info in type(model).model_fields.items():
        path = f"{prefix}{name}"
        value = getattr(model, name)
        extra = _extra(info)
        if RANGE_KEY in extra:
            yield path, VALUE, tuple(extra[RANGE_KEY]), str(extra.get(WHY_KEY, "")), value
        if SCALE_KEY in extra:
            yield path, SCALE, tuple(extra[SCALE_KEY]), str(extra.get(WHY_KEY, "")), value
        if isinstance(value, BaseModel) and not _is_distribution(value):
            yield from _declared(value, path + ".")


def _is_distribution(value: Any) -> bool:
    return isinstance(value, BaseModel) and "dist" in type(value).model_fields


def _resolve(scenario: BaseModel, path: str) -> Any:
    """The value at ``path`` (KeyError if there is none)."""
    value: Any = scenario
    for key in path.split("."):
        if not isinstance(value, BaseModel) or key not in type(value).model_fields:
            raise KeyError(path)
        value = getattr(value, key)
    return value


def same_at(a: BaseModel, b: BaseModel, path: str) -> bool:
    """Whether two scenarios hold the same value (or the same group or distribution) at ``path``:
    a policy that changes a ranged parameter holds it as a lever, so a draw of the assumption must
    not overwrite it."""
    x, y = _resolve(a, path), _resolve(b, path)
    if isinstance(x, BaseModel) and isinstance(y, BaseModel):
        return bool(x.model_dump() == y.model_dump())
    return bool(x == y)


def shared_paths(policy: BaseModel, reference: BaseModel) -> set[str]:
    """The reference's ranged paths whose drawn values a policy takes too: every scale (an
    uncertain level multiplies the policy's own values as well, so a policy stated as "twice the
    baseline" stays twice the drawn baseline) and every value the policy leaves as the reference
    has it. A value the policy changes is its lever and keeps the policy's value (more beds keeps
    its 60 beds at every design point or draw). The one rule of sensitivity and uncertainty."""
    return {u.path for u in ranges(reference) if u.kind == SCALE or same_at(policy, reference, u.path)}


def lever_ranges(policy: BaseModel, reference: BaseModel) -> list[Uncertain]:
    """The ranges a policy's own ``uncertainty:`` declares on its levers: its paths not in
    :func:`shared_paths` (a value it changes, or a path the reference does not range), whose
    range is not the one the reference declares too (inherited through ``extends``, that range
    is the reference's doubt about its own level, not about the policy's effect). The uncertainty
    study draws them for that policy alone (an effect size is an assumption as well)."""
    shared = shared_paths(policy, reference)
    theirs = getattr(reference, "uncertainty", {}) or {}
    own = {p: r for p, r in (getattr(policy, "uncertainty", {}) or {}).items() if theirs.get(p) != r}
    return [u for u in ranges(policy, own) if u.origin == "scenario" and u.path not in shared]


def _numbers(value: Any) -> list[float]:
    """The numbers a scale multiplies in a group or distribution."""
    if _is_distribution(value):
        return [float(getattr(value, f)) for f in SCALED_FIELDS if f in type(value).model_fields]
    out: list[float] = []
    for name in type(value).model_fields:
        v = getattr(value, name)
        if isinstance(v, BaseModel):
            out += _numbers(v)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append(float(v))
    return out


def check_range(scenario: BaseModel, path: str, low: float, high: float) -> tuple[str, float, bool]:
    """(kind, base, integer) of a range on ``path``; ValueError with the reason if it cannot be."""
    try:
        value = _resolve(scenario, path)
    except KeyError:
        raise ValueError(f"{path}: no such parameter") from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"{path}: range bounds must be finite numbers, got [{low}, {high}]")
    if low > high:
        raise ValueError(f"{path}: range [{_fmt(low)}, {_fmt(high)}] is in the wrong order (low first)")
    if isinstance(value, BaseModel):
        if not _numbers(value):
            raise ValueError(f"{path}: has no numbers to scale")
        if low < 0:
            raise ValueError(f"{path}: a scale must be >= 0, got [{_fmt(low)}, {_fmt(high)}]")
        kind, base, integer = SCALE, 1.0, False
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{path}: is not a number, so it cannot have a range")
    else:
        kind, base, integer = VALUE, float(value), isinstance(value, int)
    if not low <= base <= high:
        what = "the scenario's value" if kind == VALUE else "a scale of 1 (the scenario's values)"
        raise ValueError(
            f"{path}: range [{_fmt(low)}, {_fmt(high)}] excludes {what}, {_fmt(base)}; "
            "a range must contain the value it is a range for"
        )
    _check_ends(scenario, path, value, kind, low, high)
    return kind, base, integer


def _check_ends(scenario: BaseModel, path: str, value: Any, kind: str, low: float, high: float) -> None:
    """ValueError unless both ends of a range are values the parameter may take (its schema type and
    bounds: a whole number for a count, a probability in [0, 1]), or, for a scale, give a group or
    distribution that validates: a range with an end that cannot run would fail part-way through
    a study instead of when the file is validated."""
    shown = f"range [{_fmt(low)}, {_fmt(high)}]"
    for end in (low, high):
        data = (int(end) if end.is_integer() else end) if kind == VALUE else _scaled(value, end)
        problem = value_problem(type(scenario), path, data)
        if problem is None and kind == SCALE:
            try:
                type(value).model_validate(data)  # a group's own checks (shares that sum to 1)
            except ValidationError as exc:
                raise ValueError(f"{path}: {shown}: at x{_fmt(end)}, {exc.errors()[0]['msg']}") from None
        if problem is not None:
            at = f"at x{_fmt(end)}, {problem.path}: " if kind == SCALE else ""
            allowed = f"; {problem.allowed}" if problem.allowed else ""
            raise ValueError(f"{path}: {shown}: {at}{problem.message}{allowed}")


def ranges(
    scenario: BaseModel, overrides: Mapping[str, tuple[float, float]] | None = None
) -> list[Uncertain]:
    """Every ranged parameter of ``scenario``: the schema's declarations, then the scenario's own
    ``uncertainty`` entries (which replace a declaration of the same path), in schema order."""
    own = dict(overrides if overrides is not None else getattr(scenario, "uncertainty", {}) or {})
    out: dict[str, Uncertain] = {}
    for path, _, (low, high), why, _ in _declared(scenario):
        try:
            kind, base, integer = check_range(scenario, path, float(low), float(high))
        except ValueError:
            # the scenario sets this parameter outside the assumption's plausible range: it is a
            # policy lever there, not an uncertain assumption, so it has no range in this scenario
            continue
        out[path] = Uncertain(path, kind, float(low), float(high), base, integer, why, "schema")
    for path, (low, high) in own.items():
        kind, base, integer = check_range(scenario, path, float(low), float(high))
        why = out[path].why if path in out else ""
        out[path] = Uncertain(path, kind, float(low), float(high), base, integer, why, "scenario")
    return list(out.values())


def _scaled(value: Any, factor: float) -> Any:
    """A group or distribution with every number multiplied by ``factor`` (validated by the caller)."""
    if _is_distribution(value):
        data = value.model_dump()
        for f in SCALED_FIELDS:
            if f in data:
                data[f] = data[f] * factor
        return data
    data = {}
    for name in type(value).model_fields:
        v = getattr(value, name)
        if isinstance(v, BaseModel):
            data[name] = _scaled(v, factor)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            data[name] = type(v)(round(v * factor)) if isinstance(v, int) else v * factor
        else:
            data[name] = v
    return data


def overrides_for(scenario: BaseModel, values: Mapping[str, float]) -> dict[str, Any]:
    """Nested overrides that set each ranged ``path`` to its value (a leaf) or scale (a group)."""
    out: dict[str, Any] = {}
    for path, x in values.items():
        current = _resolve(scenario, path)
        if isinstance(current, BaseModel):
            new: Any = _scaled(current, float(x))
        elif isinstance(current, int) and not isinstance(current, bool):
            new = round(float(x))
        else:
            new = float(x)
        node = out
        keys = path.split(".")
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = new
    return out


def _scaled_changes(scenario: Any, values: Mapping[str, float]) -> list[dict[str, Any]] | None:
    """The scenario's ``changes`` with each drawn scale applied to what a change sets under the
    scale's path (the whole group or distribution as the change makes it, times the scale), or
    None when no change sets anything a scale covers."""
    changes = getattr(scenario, "changes", ()) or ()
    scales = {p: float(x) for p, x in values.items() if isinstance(_resolve(scenario, p), BaseModel)}
    if not changes or not scales:
        return None
    touched = False
    out = []
    for change, (_, regime) in zip(changes, scenario.regimes(), strict=True):
        new = copy.deepcopy(change.set)
        for path, x in scales.items():
            *parents, leaf = path.split(".")
            node: Any = new
            for key in parents:
                node = node.get(key) if isinstance(node, dict) else None
            if isinstance(node, dict) and leaf in node:
                node[leaf] = _scaled(_resolve(regime, path), x)
                touched = True
        out.append({"from_day": change.from_day, "set": new})
    return out if touched else None


def apply(scenario: Any, values: Mapping[str, float]) -> Any:
    """``scenario`` with each ranged path set to its value or scale, validated like a file (with
    its ``changes`` scaled to match: see the module doc)."""
    overrides = overrides_for(scenario, values)
    changes = _scaled_changes(scenario, values)
    if changes is not None:
        overrides["changes"] = changes
    return scenario.with_overrides(overrides)


__all__ = [
    "SCALE",
    "VALUE",
    "Uncertain",
    "apply",
    "check_range",
    "lever_ranges",
    "overrides_for",
    "ranges",
    "same_at",
    "shared_paths",
]
