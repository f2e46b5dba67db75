"""The question and the policies: what each scenario is, and exactly which parameters it changes.
A policy file states only what it changes; what it *means* is its resolved ``scenario.yaml``
(``extends`` chain, defaults, overrides), compared leaf by leaf with the reference's (a single
run's with the schema's defaults), with units and sources as ``run_sim.py describe`` shows them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sim.report.folder import ResultsFolder
from sim.report.methods import cohort_text, days_text
from sim.scenario.describe import format_value, parameter_rows
from sim.scenario.files import IDENTITY_KEYS
from sim.scenario.paths import flatten, value_at
from sim.scenario.schema import Scenario
from sim.studies.report_parts import NO_VALUE


@dataclass(frozen=True)
class ParamChange:
    """One parameter that differs; a value is ``NO_VALUE`` where the parameter does not exist on
    that side (a delay whose distribution family changes, e.g. exponential -> gamma, gains ``cv``)."""

    path: str
    reference: str
    policy: str
    unit: str
    source: str


@dataclass(frozen=True)
class Policy:
    """A scenario as the reader needs it: what it is, why, and exactly what it changes."""

    anchor: str
    name: str
    label: str
    is_reference: bool
    paragraphs: list[str]
    changes: list[ParamChange]
    note: str = ""


def paragraphs(value: str) -> list[str]:
    """A free text (a scenario description) as paragraphs: blank lines separate, line breaks inside
    a paragraph are folded (YAML block scalars wrap lines for the file, not for the reader)."""
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", value) if p.strip()]


def readable(value: str) -> str:
    """A value as ``describe`` formats it, with thousands separators in large whole numbers (120,545)."""
    digits = value.lstrip("-")
    return f"{int(value):,}" if digits.isdigit() and len(digits) >= 5 else value


Leaf = tuple[Any, str, str, str]
"""A parameter as compared: its value, the value as text, its unit and its source."""


def _changes(ref: Mapping[str, Leaf], new: Mapping[str, Leaf]) -> list[ParamChange]:
    """Every parameter whose value differs, in the policy's order, then any only the reference has."""
    changes = []
    for path in [*new, *(p for p in ref if p not in new)]:
        a, b = ref.get(path), new.get(path)
        if a is None or b is None or a[0] != b[0]:
            row = b or a
            assert row is not None
            was, now = (readable(x[1]) if x is not None else NO_VALUE for x in (a, b))
            changes.append(ParamChange(path, was, now, row[2], row[3]))
    return changes


def parameter_changes(reference: Scenario, policy: Scenario) -> list[ParamChange]:
    """Every leaf parameter whose resolved value differs between the two scenarios, in schema
    order; labels (name, title, description) are not parameters and never count."""
    ref, new = (
        {r.path: (r.value, r.value, r.unit, r.source) for r in parameter_rows(s)} for s in (reference, policy)
    )
    return _changes(ref, new)


def raw_changes(reference: Mapping[str, Any], policy: Mapping[str, Any]) -> list[ParamChange]:
    """The same comparison on the raw mappings of two ``scenario.yaml`` files, for folders this
    version's schema cannot validate: values only, since units and sources live in the schema."""
    ref, new = (
        {
            p: (v, format_value(v), "", "")
            for p, v in flatten({k: v for k, v in m.items() if k not in IDENTITY_KEYS}).items()
        }
        for m in (reference, policy)
    )
    return _changes(ref, new)


def question(folder: ResultsFolder) -> list[str]:
    """What the results answer, in a reader's words."""
    ref = folder.reference
    horizon = days_text(value_at(ref.raw, "horizon_days"))
    cohort = cohort_text(ref)
    if folder.kind == "run":
        return [
            f"What happens to {cohort} under “{ref.label}”, followed for {horizon}: how many are "
            "contacted, leave the UK voluntarily, are removed, lose contact, and at what cost?"
        ]
    n = len(folder.scenarios) - 1
    return [
        f"What would each of {n} polic{'y' if n == 1 else 'ies'} change, compared with the reference "
        f"“{ref.label}”, for {cohort}, followed for {horizon}: in contact made, voluntary departures "
        "and removals, loss of contact, and cost?",
        "Every policy is the same model with different parameter values, listed below with each "
        "value's unit and source. All scenarios were run with the same random numbers, so the "
        "differences shown are the policies' effects, measured on paired replications.",
    ]


def policies(folder: ResultsFolder) -> list[Policy]:
    """Each scenario with the parameters it changes from the reference (a single run: from the
    schema's documented and calibrated defaults, having no reference policy)."""
    ref = folder.reference
    out = []
    for i, s in enumerate(folder.scenarios):
        is_reference = folder.kind == "comparison" and i == 0
        note = ""
        if folder.kind == "run":
            if s.scenario is not None:
                changes = parameter_changes(Scenario.model_validate({"name": s.name}), s.scenario)
            else:
                changes, note = [], s.problem
        elif is_reference:
            changes = []
        elif s.scenario is not None and ref.scenario is not None:
            changes = parameter_changes(ref.scenario, s.scenario)
        else:
            changes = raw_changes(ref.raw, s.raw)
            note = f"Units and sources not shown: {(s.problem or ref.problem)}."
        description = paragraphs(str(s.raw.get("description") or ""))
        out.append(Policy(f"policy-{i}", s.name, s.label, is_reference, description, changes, note))
    return out
