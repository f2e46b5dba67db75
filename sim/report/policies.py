"""Exactly which parameters a policy changes, with the unit and source of each.

A policy file states only what it changes, but what it *means* is the resolved scenario: its
``extends`` chain, the schema defaults and the quick-look overrides. So the report compares the
resolved ``scenario.yaml`` of each policy's folder with the reference's, leaf by leaf, and takes
units and provenance from the schema (``sim.scenario.describe.parameter_rows``): the same source
text as ``run_sim.py describe`` and the README's parameter table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sim.scenario.describe import format_value, parameter_rows
from sim.scenario.files import IDENTITY_KEYS
from sim.scenario.paths import flatten
from sim.scenario.schema import Scenario
from sim.studies.report_parts import NO_VALUE


@dataclass(frozen=True)
class ParamChange:
    """One parameter that differs: dotted path, reference and policy values as text, unit, source.

    A value is ``NO_VALUE`` where the parameter does not exist on that side (a delay whose
    distribution family changes, e.g. exponential -> gamma, gains or loses ``cv``).
    """

    path: str
    reference: str
    policy: str
    unit: str
    source: str


def readable(value: str) -> str:
    """A parameter value as text, with thousands separators in large whole numbers (120545 ->
    120,545); everything else exactly as ``describe`` formats it."""
    digits = value.lstrip("-")
    return f"{int(value):,}" if digits.isdigit() and len(digits) >= 5 else value


def parameter_changes(reference: Scenario, policy: Scenario) -> list[ParamChange]:
    """Every leaf parameter whose resolved value differs between the two scenarios, in schema
    order (the policy's), then any only the reference has; labels (name, title, description)
    are not parameters and never count."""
    ref = {r.path: r for r in parameter_rows(reference)}
    new = {r.path: r for r in parameter_rows(policy)}
    changes = []
    for path in [*new, *(p for p in ref if p not in new)]:
        a, b = ref.get(path), new.get(path)
        if a is not None and b is not None and a.value == b.value:
            continue
        row = b or a
        assert row is not None
        changes.append(
            ParamChange(
                path,
                readable(a.value) if a is not None else NO_VALUE,
                readable(b.value) if b is not None else NO_VALUE,
                row.unit,
                row.source,
            )
        )
    return changes


def raw_changes(reference: Mapping[str, Any], policy: Mapping[str, Any]) -> list[ParamChange]:
    """The same comparison on the raw mappings of two ``scenario.yaml`` files, for folders this
    version's schema cannot validate: values only, since units and sources live in the schema."""
    ref = flatten({k: v for k, v in reference.items() if k not in IDENTITY_KEYS})
    new = flatten({k: v for k, v in policy.items() if k not in IDENTITY_KEYS})
    changes = []
    for path in [*new, *(p for p in ref if p not in new)]:
        if path in ref and path in new and ref[path] == new[path]:
            continue
        changes.append(
            ParamChange(
                path,
                readable(format_value(ref[path])) if path in ref else NO_VALUE,
                readable(format_value(new[path])) if path in new else NO_VALUE,
                "",
                "",
            )
        )
    return changes


def schema_defaults(name: str) -> Scenario:
    """The scenario with nothing set: the schema's documented and calibrated defaults (what a
    single run's parameters are compared with, having no reference policy)."""
    return Scenario.model_validate({"name": name})


__all__ = ["ParamChange", "parameter_changes", "raw_changes", "readable", "schema_defaults"]
