"""How a parameter is declared: its type in code, its default and provenance in one table.

A section of the schema (``sim.scenario.sections``) lists its parameters with their types only;
the type carries the allowed values (``Probability``, ``Count``, a ``Distribution``). Everything
else about a parameter is its entry in ``parameters.yaml``, keyed by its dotted path: the
documented default, the unit, the source, and for an assumption a plausible range with its reason.
``section`` builds each field from its entry, so a parameter is described once, in one place, and
``sim.describe``, the uncertainty ranges and the error messages all read the same description
(from the field's JSON-schema extras). A calibrated parameter's entry names the figure it was
calibrated to (``calibrated_to``) instead of a default and source: its default is read from
``calibration.yaml``, so no scenario can run with an uncalibrated value labelled as calibrated.

Every number must be finite (``allow_inf_nan=False`` in every model, distributions included): an
infinite horizon or delay would make a run that never ends, and NaN compares false with every bound.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator
from pydantic.config import JsonDict
from pydantic.fields import FieldInfo

from sim.scenario.calibration import CALIBRATED_KEY, Calibration
from sim.scenario.errors import model_of
from sim.scenario.files import read_yaml
from sim.scenario.uncertainty import RANGE_KEY, SCALE_KEY, WHY_KEY

FROZEN = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
SHARE_TOLERANCE = 1e-6

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
"""A probability or a share, in [0, 1]."""
NonNegative = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
Count = Annotated[int, Field(ge=0)]
AtLeastOne = Annotated[int, Field(ge=1)]

PARAMETERS_FILE = Path(__file__).with_name("parameters.yaml")
"""Default, unit, provenance and plausible range of every parameter, by dotted path (package data)."""

CALIBRATION = Calibration.read()
"""The calibrated values (``sim/scenario/calibration.yaml``), read once at import."""

_CALIBRATED_WHERE = (
    "by scripts/calibrate.py, value in sim/scenario/calibration.yaml (the default for every scenario)"
)
_ENTRY_KEYS = ("default", "unit", "source", "calibrated_to", "note", RANGE_KEY, SCALE_KEY, WHY_KEY)


def _read_table() -> dict[str, Any]:
    table = read_yaml(PARAMETERS_FILE)
    if not isinstance(table, dict):
        raise RuntimeError(f"{PARAMETERS_FILE}: expected a mapping of dotted parameter paths")
    return table


_UNUSED = _read_table()
"""The table's entries not yet given to a field: ``section`` takes them, ``check_table_used`` ends."""


class Section(BaseModel):
    """Base of every parameter group: frozen, no unknown keys, finite numbers only (``FROZEN``)."""

    model_config = FROZEN


class Shares(Section):
    """Base for a mix whose shares must sum to 1 (each share in [0, 1])."""

    @model_validator(mode="after")
    def _sum_to_one(self) -> Shares:
        values = self.model_dump()
        total = sum(values.values())
        if abs(total - 1.0) > SHARE_TOLERANCE:
            listing = ", ".join(f"{k}={v:g}" for k, v in values.items())
            raise ValueError(f"shares must sum to 1, got {total:g} ({listing})")
        return self

    def as_dict(self) -> dict[str, float]:
        return self.model_dump()


def _field(path: str, entry: Any) -> FieldInfo:
    """The field an entry describes; ValueError saying what is wrong with the entry."""
    if not isinstance(entry, dict) or set(entry) - set(_ENTRY_KEYS):
        raise ValueError(f"expected a mapping of {', '.join(_ENTRY_KEYS)}")
    extra: JsonDict = {"unit": str(entry["unit"])} if entry.get("unit") else {}
    if "calibrated_to" in entry:
        if "default" in entry or "source" in entry:
            raise ValueError("a calibrated value's default and source are calibration.yaml's")
        default = CALIBRATION.value(path)
        note = f"; {entry['note']}" if entry.get("note") else ""
        extra["source"] = f"calibrated to {entry['calibrated_to']} {_CALIBRATED_WHERE}{note}"
        extra[CALIBRATED_KEY] = path
    elif "default" in entry and entry.get("source"):
        default = entry["default"]
        extra["source"] = str(entry["source"])
    else:
        raise ValueError("needs a default and its source (or calibrated_to)")
    for key in (RANGE_KEY, SCALE_KEY):
        if key in entry:
            low, high = entry[key]
            extra[key] = [float(low), float(high)]
    if (RANGE_KEY in entry or SCALE_KEY in entry) != bool(entry.get(WHY_KEY)):
        raise ValueError("a range or scale needs its reason (why: ...), and a reason its range")
    if entry.get(WHY_KEY):
        extra[WHY_KEY] = str(entry[WHY_KEY])
    # validated like any input, so the table's value gets the field's type and must pass its checks
    return Field(default, validate_default=True, json_schema_extra=extra)


S = TypeVar("S", bound=BaseModel)


def section(prefix: str, labels: frozenset[str] = frozenset()) -> Callable[[type[S]], type[S]]:
    """A class decorator: the section at dotted path ``prefix``, each field built from its entry.

    A field without an entry must hold a nested section (which then takes its own defaults) or be
    one of ``labels``, declared in code as it is (a scenario's name). Returns a subclass with the
    same name, so the decorated name is the class that validates, pickles and is typed.
    """

    def build(cls: type[S]) -> type[S]:
        hints = typing.get_type_hints(cls, include_extras=True)
        fields: dict[str, Any] = {}
        problems: list[str] = []
        for name, info in cls.model_fields.items():
            path = f"{prefix}.{name}" if prefix else name
            if path in _UNUSED:
                try:
                    fields[name] = (hints[name], _field(path, _UNUSED.pop(path)))
                except ValueError as exc:
                    problems.append(f"{path}: {exc}")
            elif (sub := model_of(info)) is not None:
                fields[name] = (hints[name], Field(default_factory=sub))
            elif name not in labels:
                problems.append(f"{path}: no entry")
        if problems:
            raise RuntimeError(f"{PARAMETERS_FILE}:\n  " + "\n  ".join(problems))
        model = create_model(cls.__name__, __base__=cls, __module__=cls.__module__, **fields)
        model.__doc__ = cls.__doc__
        return model

    return build


def check_table_used() -> None:
    """Raise unless every entry of the table was given to a field (a stray path is a typo)."""
    if _UNUSED:
        raise RuntimeError(f"{PARAMETERS_FILE}: not parameters of the schema: {', '.join(_UNUSED)}")


__all__ = [
    "CALIBRATION",
    "FROZEN",
    "PARAMETERS_FILE",
    "AtLeastOne",
    "Count",
    "NonNegative",
    "Positive",
    "Probability",
    "Section",
    "Shares",
    "check_table_used",
    "section",
]
