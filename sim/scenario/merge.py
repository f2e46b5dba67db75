"""Deep merge of nested scenario mappings (a child file over its parent, overrides over a scenario).

It lives on its own, below the schema and the file loader, because both use it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``override`` applied: nested mappings merge, anything else (lists too) replaces.

    A distribution (a mapping with a ``dist`` key) whose family changes is replaced whole, because
    the old family's parameters (``mean`` of an exponential) are not valid for the new one (a
    ``uniform`` takes ``low``/``high``). Neither input is mutated and the result shares no mutable
    values with them, so callers may modify it freely.
    """
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        current = base.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping) and not _dist_changes(current, value):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _dist_changes(current: Mapping[str, Any], value: Mapping[str, Any]) -> bool:
    return "dist" in value and value["dist"] != current.get("dist")


__all__ = ["deep_merge"]
