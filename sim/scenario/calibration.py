"""The calibrated parameter values: one package data file that the schema takes its defaults from.

Three parameters nobody has published (the per-attempt contact success table, the share of the
pool already gone, the chance a person contacted in error complains) are set by
``scripts/calibrate.py`` so the baseline reproduces seed 002 §4.2 and §8.2. Their values live in
``calibration.yaml`` next to this module and nowhere else: the schema reads the file at import
and uses its values as the defaults of exactly those fields. So every scenario, whether or not it
extends the baseline, runs with the calibrated values unless it overrides them, and the value
``describe`` labels as calibrated is the value that runs.

The file is checked at import (``check_calibration``, called at the bottom of ``schema.py``):
every calibrated field must have its value there, nothing else may be there, and the values must
pass the schema's own validation. A problem raises ``CalibrationError`` naming the file and the
path, because a model silently running with a broken calibration would be worse than no model.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from sim.scenario.errors import Problem, ScenarioError, model_of, show, validation_problems
from sim.scenario.files import read_yaml
from sim.scenario.merge import deep_merge
from sim.scenario.paths import flatten, value_at

CALIBRATION_FILE = Path(__file__).with_name("calibration.yaml")
"""Where the calibrated values live (package data; written by ``scripts/calibrate.py --write``)."""

CALIBRATED_KEY = "calibrated"
"""Key in a field's JSON-schema extras holding the dotted path of a calibrated field."""

_MISSING = object()
"""What ``value_at`` gives for a path the file lacks (None is a value a file may hold)."""
_REWRITE = "re-run 'python scripts/calibrate.py --write' rather than editing the file by hand"


class CalibrationError(ScenarioError):
    """The calibration file is missing, unreadable, incomplete, or holds a value the schema rejects."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems, subject="the calibration file")


class Calibration:
    """The values of one calibration file, looked up by dotted path."""

    def __init__(self, file: str | os.PathLike[str], values: Mapping[str, Any]) -> None:
        self.file = Path(file)
        self.values: dict[str, Any] = dict(values)

    @classmethod
    def read(cls, file: str | os.PathLike[str] = CALIBRATION_FILE) -> Calibration:
        """The file's values, or a CalibrationError if it cannot be read as a YAML mapping."""
        try:
            data = read_yaml(file)
        except ScenarioError as exc:
            raise CalibrationError(exc.problems) from None
        if not isinstance(data, dict) or not data:
            raise CalibrationError(
                [
                    Problem(
                        str(file),
                        "",
                        f"expected a mapping of calibrated values, got {show(data)}",
                        _REWRITE,
                    )
                ]
            )
        return cls(file, data)

    def value(self, path: str) -> Any:
        """The value (a number, or a mapping for a calibrated table) at a dotted path."""
        node = value_at(self.values, path, _MISSING)
        if node is _MISSING:
            raise CalibrationError([Problem(str(self.file), path, "missing", _REWRITE)])
        return node

    def leaf_paths(self) -> list[str]:
        """Dotted paths of every value in the file (nested mappings descended)."""
        return list(flatten(self.values))


def calibrated_fields(root: type[BaseModel], prefix: str = "") -> dict[str, FieldInfo]:
    """Every field of ``root``'s tree declared calibrated, by dotted path, in schema order.

    A calibrated field records the path it was declared for; a mismatch with where it sits in the
    tree (a section placed elsewhere than its ``@section`` path says) is a programming error raised here.
    """
    found: dict[str, FieldInfo] = {}
    for name, field in root.model_fields.items():
        path = f"{prefix}{name}"
        extra = field.json_schema_extra
        declared = extra.get(CALIBRATED_KEY) if isinstance(extra, dict) else None
        if declared is not None:
            if declared != path:
                raise RuntimeError(f"field {path} is declared calibrated as {declared!r}")
            found[path] = field
            continue
        sub = model_of(field)
        if sub is not None:
            found.update(calibrated_fields(sub, path + "."))
    return found


def check_calibration(
    root: type[BaseModel], calibration: Calibration, required: Mapping[str, Any] | None = None
) -> None:
    """Raise CalibrationError unless the file holds exactly the calibrated fields, with valid values.

    ``required`` holds keys ``root`` needs besides the calibrated values to validate at all (the
    scenario's ``name``); the other fields take their defaults.
    """
    file = str(calibration.file)
    fields = calibrated_fields(root)
    problems: list[Problem] = []
    for leaf in calibration.leaf_paths():
        if not any(leaf == p or leaf.startswith(p + ".") for p in fields):
            problems.append(
                Problem(
                    file,
                    leaf,
                    "not a calibrated parameter",
                    "the calibrated parameters are " + ", ".join(fields),
                )
            )
    for path in fields:
        try:
            calibration.value(path)
        except CalibrationError as exc:
            problems.extend(exc.problems)
    if problems:
        raise CalibrationError(problems)
    try:
        root.model_validate(deep_merge(dict(required or {}), calibration.values))
    except ValidationError as exc:
        raise CalibrationError(validation_problems(file, exc, root)) from None


__all__ = [
    "CALIBRATED_KEY",
    "CALIBRATION_FILE",
    "Calibration",
    "CalibrationError",
    "calibrated_fields",
    "check_calibration",
]
