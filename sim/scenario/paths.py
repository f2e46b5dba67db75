"""Dotted parameter paths (``detention.beds``) to and from nested mappings.

A parameter is addressed the same way in a scenario file's overrides, a change day's ``set``, a
sweep's ``--param``, the calibration file and the report's list of what a policy changes; these
helpers are the one spelling of that address. They import nothing from the project, so every
layer may use them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def flatten(
    raw: Mapping[str, Any], prefix: str = "", is_leaf: Callable[[Mapping[str, Any]], bool] | None = None
) -> dict[str, Any]:
    """``{dotted leaf path: value}`` of a nested mapping (a loaded YAML file or a model dump).

    Nested mappings are descended unless ``is_leaf`` says a mapping is a value in itself (e.g. a
    distribution); anything else (including lists) is a leaf, and an empty mapping descended holds
    no leaf.
    """
    out: dict[str, Any] = {}
    for key, value in raw.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and not (is_leaf and is_leaf(value)):
            out.update(flatten(value, path + ".", is_leaf))
        else:
            out[path] = value
    return out


def value_at(raw: Mapping[str, Any], path: str, default: Any = None) -> Any:
    """The value at a dotted path of a nested mapping, ``default`` where there is none."""
    node: Any = raw
    for key in path.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return default
        node = node[key]
    return node


def nested(path: str, value: Any) -> dict[str, Any]:
    """The nested mapping that sets one dotted path: ``{"detention": {"beds": 60}}`` for
    ``detention.beds`` and 60."""
    out: Any = value
    for key in reversed(path.split(".")):
        out = {key: out}
    return dict(out)


__all__ = ["flatten", "nested", "value_at"]
