"""Wording shared by the report's sections: numbers and values as sentences, and "not recorded".

A results folder may come from an older version or have fields missing; every helper here turns
what the folder holds into text and says "not recorded" for what it does not hold, so a report
never invents a value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sim.analysis.numbers import fmt_number
from sim.report.folder import ScenarioFolder
from sim.scenario.paths import value_at
from sim.studies.base import NOT_RECORDED
from sim.studies.report_parts import number


def paragraphs(value: str) -> list[str]:
    """A free text (a scenario description) as paragraphs: blank lines separate, line breaks inside
    a paragraph are folded (YAML block scalars wrap lines for the file, not for the reader)."""
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", value) if p.strip()]


def confidence_level(manifest: Mapping[str, Any]) -> float:
    """The confidence level of the comparison's intervals: 1 - ``alpha`` when the manifest records
    an alpha, else 0.95 (the level every interval used before ``--alpha`` existed)."""
    alpha = number(manifest.get("alpha"))
    return 1.0 - alpha if alpha is not None and 0.0 < alpha < 1.0 else 0.95


def percent(level: float) -> str:
    return f"{level * 100:.10g}%"


def days_text(value: Any) -> str:
    days = number(value)
    if days is None:
        return NOT_RECORDED
    return f"{fmt_number(days, 0 if days.is_integer() else 1)} days (about {days / 30.44:.0f} months)"


def commit_text(manifest: Mapping[str, Any]) -> str:
    """The git commit a run used, and whether the checkout had uncommitted changes."""
    commit = manifest.get("git_commit")
    if not commit:
        return NOT_RECORDED + " (not run from a git checkout)"
    dirty = manifest.get("git_dirty")
    state = (
        (" with uncommitted changes" if dirty else " (clean)")
        if isinstance(dirty, bool)
        else ", uncommitted changes not recorded"
    )
    return f"{commit}{state}"


def cohort_text(reference: ScenarioFolder) -> str:
    raw = reference.raw
    size = number(value_at(raw, "cohort.initial_size"))
    ramp = number(value_at(raw, "cohort.entry_ramp_days"))
    inflow = number(value_at(raw, "cohort.inflow_per_week"))
    if size is None:
        return f"a cohort ({NOT_RECORDED} size)"
    out = f"a cohort of {fmt_number(size, 0)} people"
    if ramp:
        out += f" entering over {fmt_number(ramp, 0)} days"
    if inflow:
        out += f" plus {fmt_number(inflow, 1)} new entrants a week"
    return out


__all__ = ["cohort_text", "commit_text", "confidence_level", "days_text", "paragraphs", "percent"]
