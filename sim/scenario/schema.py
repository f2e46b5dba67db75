"""The scenario: every parameter of the model, typed, validated, immutable, with unit and provenance.

``Scenario`` gathers the sections (``sim.scenario.sections``); like each section it takes its
fields' defaults, units, sources and plausible ranges from ``parameters.yaml``
(``sim.scenario.fields``), and ``sim.describe`` walks the tree to print the parameter table. A
scenario may also change parameters from a given day (``Change``); the rules for what may change
are here. The calibration file is checked against the finished tree at import, and the category
vocabularies (``sim.scenario.categories``) are exported from here for the model.
"""

from __future__ import annotations

import itertools
from typing import Any

from pydantic import Field, ValidationError, model_validator

from sim.scenario.calibration import calibrated_fields, check_calibration
from sim.scenario.categories import BARRIERS, CASE_TYPES, CONTACT_CHANNELS, QUALITIES, REPORT_CHANNELS
from sim.scenario.distributions import Beta, Exponential, Fixed, Gamma, Lognormal, Triangular, Uniform
from sim.scenario.errors import validation_problems
from sim.scenario.fields import CALIBRATION, Positive, Section, check_table_used, section
from sim.scenario.merge import deep_merge
from sim.scenario.paths import flatten
from sim.scenario.sections import (
    Absconding,
    Asylum,
    Casework,
    Cohort,
    Contact,
    Correspondence,
    Costs,
    Departure,
    Detention,
    Enforcement,
    Recording,
    Reporting,
    Tracing,
)
from sim.scenario.uncertainty import check_range

CHANGEABLE_CONTACT = frozenset({"agents"})
"""The only contact-management parameter a change may set: each case's contact attempts are
planned when the replication starts (``sim.model.processes.contact``), the call centre's size is not."""
NOT_CHANGEABLE: dict[str, str] = {
    "name": "it names the scenario",
    "title": "it names the scenario",
    "description": "it describes the scenario",
    "horizon_days": "the run has one horizon",
    "cohort": "the cohort is drawn when the run starts",
    "asylum": "each claim's decision day and outcome are drawn when the run starts",
    "costs": "unit costs are one price list for the whole run",
    "changes": "changes cannot be nested",
    "uncertainty": "ranges describe the whole run",
}
"""Top-level parameters a change may not set, and why."""
MAX_NAME_LENGTH = 200
"""Longest ``name``, in characters (ASCII, by its pattern): the name is a folder and part of figure
file names (``tornado_<name>_<kpi>.png``, 46 more), and file names are limited to 255 bytes."""
MAX_TITLE_LENGTH = 200
"""Longest ``title``, in characters: its slug names a run's figures (``cumulative_outcomes_<slug>.png``,
24 more), and file names are limited to 255 bytes; a longer title crashed the plotting at the end
of a run."""


class Change(Section):
    """Parameters that take new values from a given day of the run: a policy introduced part-way
    through (``changes: [{from_day: 365, set: {...}}]``).

    ``set`` is written like a scenario file's own parameters (nested, only what changes). From
    ``from_day`` on, every decision and every delay drawn uses the new values, capacities resize
    (people already being served keep their server, calls already booked are kept), and clocks
    that run at a rate (losing contact, being found by data matching, missing a report) are
    re-drawn at the change. Waits already under way otherwise finish as drawn.
    """

    from_day: float = Field(gt=0, description="day of the run from which the new values apply")
    set: dict[str, Any] = Field(description="nested parameter overrides, as in a scenario file")


@section("", labels=frozenset({"name", "title", "description"}))
class Scenario(Section):
    """One policy variant: a complete, immutable parameter set."""

    name: str = Field(
        min_length=1,
        max_length=MAX_NAME_LENGTH,
        pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$",
        description="folder-safe name",
    )
    title: str = Field(
        "", max_length=MAX_TITLE_LENGTH, description="short policy name used in plots and tables"
    )
    description: str = ""
    horizon_days: Positive
    cohort: Cohort
    contact: Contact
    correspondence: Correspondence
    departure: Departure
    reporting: Reporting
    absconding: Absconding
    asylum: Asylum
    tracing: Tracing
    casework: Casework
    enforcement: Enforcement
    detention: Detention
    recording: Recording
    costs: Costs
    uncertainty: dict[str, tuple[float, float]]
    changes: tuple[Change, ...]

    @model_validator(mode="after")
    def _changes_are_valid(self) -> Scenario:
        days = [c.from_day for c in self.changes]
        if any(b <= a for a, b in itertools.pairwise(days)):
            raise ValueError(
                "changes must be listed in order of from_day, each later than the one before; got "
                + ", ".join(f"{d:g}" for d in days)
            )
        for i, change in enumerate(self.changes):
            where = f"changes[{i}]"
            if change.from_day >= self.horizon_days:
                raise ValueError(
                    f"{where}.from_day: {change.from_day:g} is not before the horizon "
                    f"({self.horizon_days:g} days)"
                )
            for path in flatten(change.set, is_leaf=lambda v: not v or "dist" in v):
                top, _, rest = path.partition(".")
                if top in NOT_CHANGEABLE:
                    raise ValueError(f"{where}.set.{path}: cannot change from a day ({NOT_CHANGEABLE[top]})")
                sub = rest.partition(".")[0]
                if top == "contact" and sub not in CHANGEABLE_CONTACT:
                    raise ValueError(
                        f"{where}.set.{path}: cannot change from a day (contact attempts are planned for "
                        "each case when the run starts; of contact management only contact.agents can "
                        "change)"
                    )
        self.regimes()  # every step must be a valid scenario
        for path, (low, high) in self.uncertainty.items():
            try:
                check_range(self, path, low, high)
            except ValueError as exc:
                raise ValueError(f"uncertainty.{exc}") from None
        return self

    def regimes(self) -> list[tuple[float, Scenario]]:
        """The scenario in force from each change day on: ``[(from_day, scenario), ...]``, each
        with every earlier change applied and no changes of its own. Empty without changes."""
        if not self.changes:
            return []
        base = self.model_dump(exclude={"changes"})
        out: list[tuple[float, Scenario]] = []
        for i, change in enumerate(self.changes):
            base = deep_merge(base, change.set)
            try:
                step = Scenario.model_validate(base)
            except ValidationError as exc:
                # the same plain-English messages as for the file itself, at the path in the change
                details = "; ".join(
                    f"changes[{i}].set.{pr.path}: {pr.message}" + (f"; {pr.allowed}" if pr.allowed else "")
                    for pr in validation_problems("", exc, Scenario)
                )
                raise ValueError(details) from None
            out.append((change.from_day, step))
        return out

    @property
    def label(self) -> str:
        """Policy name for plots and tables."""
        return self.title or self.name

    def with_overrides(self, overrides: dict[str, Any]) -> Scenario:
        """A validated copy with nested overrides applied (the original is untouched)."""
        return Scenario.model_validate(deep_merge(self.model_dump(), overrides))


check_table_used()

CALIBRATED_PATHS: tuple[str, ...] = tuple(calibrated_fields(Scenario))
"""Dotted paths of the fields whose defaults come from ``calibration.yaml``, in schema order."""

check_calibration(Scenario, CALIBRATION, {"name": "calibration"})


__all__ = [
    "BARRIERS",
    "CALIBRATED_PATHS",
    "CALIBRATION",
    "CASE_TYPES",
    "CONTACT_CHANNELS",
    "QUALITIES",
    "REPORT_CHANNELS",
    "Beta",
    "Change",
    "Costs",
    "Exponential",
    "Fixed",
    "Gamma",
    "Lognormal",
    "Scenario",
    "Triangular",
    "Uniform",
]
