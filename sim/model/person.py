"""A person in the caseload, and the sampling of the cohort.

Each person's attributes are drawn from their own keyed uniforms (``cohort.<attribute>``, index 0,
see :mod:`sim.model.streams`) by inverse CDF, so a policy that changes one mix (say, data quality)
re-assigns as few people as possible and leaves every other attribute of every person untouched.
A person's id is their draw index (people already in the pool first, then the inflow in draw
order), not their place in the arrival order, so it does not change when entry times do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from sim.model.states import State
from sim.model.streams import Streams, inverse_cdf_array
from sim.scenario.distributions import Fixed
from sim.scenario.schema import BARRIERS, CASE_TYPES, QUALITIES, REPORT_CHANNELS, Scenario

# Integer codes of the categories, in the schema's field order (sim.scenario.schema).
FAILED_ASYLUM, OVERSTAYER, FOREIGN_OFFENDER, FAMILY, IRREGULAR_ARRIVAL, ASYLUM_CLAIMANT = (
    CASE_TYPES.index(c)
    for c in (
        "failed_asylum",
        "overstayer",
        "foreign_offender",
        "family",
        "irregular_arrival",
        "asylum_claimant",
    )
)
NO_DETAILS, PARTIAL, GOOD = (QUALITIES.index(q) for q in ("none", "partial", "good"))
NO_BARRIER, FURTHER_SUBMISSION, NO_TRAVEL_DOCUMENT, LEGAL = (
    BARRIERS.index(b) for b in ("none", "further_submission", "no_travel_document", "legal")
)
IN_PERSON, TELEPHONE, DIGITAL = (REPORT_CHANNELS.index(c) for c in ("in_person", "telephone", "digital"))
NOT_REPORTING = -1
"""``Person.channel`` of someone not on reporting."""
UNDECIDED = -1
UNDRAWN = -1.0
"""``Person.propensity`` before it is first needed (on first joining reporting)."""
"""``Person.latent_barrier`` before any check decided whether a barrier would emerge at detention."""


class Person:
    """One case. ``state``/``since`` are owned by the recorder; the rest is case data.

    ``comply`` and ``defy`` scale cohort-average chances of complying (agreeing to leave) and of
    not complying (missing a report) up or down for this person; both average 1 over the cohort.
    """

    __slots__ = (
        "absconded",
        "adverse",
        "already_departed",
        "barrier",
        "case_type",
        "cause",
        "channel",
        "comply",
        "contacted",
        "decision_at",
        "declared",
        "defy",
        "entry",
        "high_priority",
        "in_error",
        "latent_barrier",
        "leaver",
        "losses",
        "pid",
        "propensity",
        "quality",
        "refusals",
        "since",
        "state",
    )

    def __init__(
        self,
        pid: int,
        entry: float,
        case_type: int,
        quality: int,
        already_departed: bool,
        in_error: bool,
        barrier: int,
        high_priority: bool,
        comply: float,
        defy: float,
    ) -> None:
        self.pid = pid
        self.entry = entry
        self.case_type = case_type
        self.quality = quality
        self.already_departed = already_departed
        self.in_error = in_error
        self.barrier = barrier
        self.high_priority = high_priority
        self.comply = comply
        self.defy = defy
        self.state: int = State.POOL  # set properly on entry
        self.since = entry
        self.channel = NOT_REPORTING  # reporting channel while on reporting
        self.adverse = False  # has received an adverse notice
        self.contacted = False
        self.absconded = False
        self.refusals = 0
        self.latent_barrier = UNDECIDED  # would a barrier emerge at detention?
        self.cause = "entry"  # cause of the last state change (how a notice is served depends on it)
        self.propensity = UNDRAWN  # propensity to abscond from reporting, drawn when first needed
        self.leaver = False  # would disappear early from reporting (drawn with the propensity)
        self.losses = 0  # times the person has lost contact (numbers each out-of-contact episode)
        self.declared = False  # declared an absconder in the current out-of-contact episode
        self.decision_at = math.inf  # day an asylum claim in progress comes up for decision (asylum part)


PERSON_ARGS = (
    "pid",
    "entry",
    "case_type",
    "quality",
    "already_departed",
    "in_error",
    "barrier",
    "high_priority",
    "comply",
    "defy",
)
"""The arguments of ``Person``, in order: the columns of ``Cohort.drawn``."""


@dataclass(frozen=True)
class Cohort:
    """Everyone who enters before the horizon: attributes as arrays indexed by person id, and the
    people in arrival order, made only for those who need to be (:meth:`make`)."""

    size: int
    """Number of person ids drawn (ids run 0..size-1; a few may enter after the horizon)."""
    quality: np.ndarray
    already_departed: np.ndarray
    on_reporting: np.ndarray
    """Whether each person id enters on reporting conditions rather than the contact process."""
    drawn: tuple[np.ndarray, ...]
    """Each person's arguments of ``Person`` (id, entry, case type, ...), in order of entry: what
    :meth:`make` makes them from."""
    people: list[Person | None]
    """The people entering before the horizon, in order of entry time (then id); None for a
    person not made. Most of a cohort never leaves the pool, and all the run needs of them is
    their entry time (``drawn``) and the time the recorder entered them, so they are never made:
    ~0.1 s of a full-cohort replication (docs/performance.md, 2026-12-06)."""

    def __len__(self) -> int:
        return len(self.drawn[0])

    def column(self, name: str) -> np.ndarray:
        """Attribute ``name`` (an argument of ``Person``) of each person as drawn, in entry order."""
        return self.drawn[PERSON_ARGS.index(name)]

    def places(self) -> np.ndarray:
        """Each person id's place in entry order (indexed by id; for an id that does not enter
        before the horizon, any value)."""
        place = np.empty(self.size, dtype=np.int64)
        place[self.column("pid")] = np.arange(len(self))
        return place

    def make(self, places: np.ndarray) -> None:
        """Make the people at ``places`` (in entry order) who are not made yet, as drawn."""
        people = self.people
        todo = [k for k in np.unique(places).tolist() if people[k] is None]
        rows = zip(*(column[todo].tolist() for column in self.drawn), strict=True)
        for k, row in zip(todo, rows, strict=True):
            people[k] = Person(*row)

    def fresh(self) -> Cohort:
        """The same cohort with no people made: for another replication with the same draws (the
        run changes the people it makes)."""
        return replace(self, people=[None] * len(self))

    def without_people(self) -> Cohort:
        """The draws only (a cohort kept for :meth:`fresh` need not keep a run's people alive)."""
        return replace(self, people=[])


def _categorical(u: np.ndarray, shares: dict[str, float]) -> np.ndarray:
    """Inverse-CDF categories from uniforms (monotone coupling across policy variants)."""
    cum = np.cumsum(list(shares.values()))
    cum[-1] = 1.0 + 1e-12
    return np.searchsorted(cum, u, side="right").astype(np.int8)


def count_people(scenario: Scenario, streams: Streams) -> int:
    """How many person ids the replication draws: the initial pool plus a Poisson inflow."""
    c = scenario.cohort
    if c.inflow_per_week <= 0:
        return c.initial_size
    inflow = int(streams.generator("cohort.inflow").poisson(c.inflow_per_week * scenario.horizon_days / 7.0))
    return c.initial_size + inflow


def sample_cohort(scenario: Scenario, streams: Streams, size: int) -> Cohort:
    """Entry times and attributes of ``size`` person ids (see :func:`count_people`).

    The initial pool enters uniformly over ``entry_ramp_days``; the inflow uniformly over the
    horizon. Only people entering before the horizon join the cohort.
    """
    c = scenario.cohort
    horizon = scenario.horizon_days
    ids = np.arange(size, dtype=np.int64)
    initial = min(c.initial_size, size)
    entry = np.zeros(size)
    if c.entry_ramp_days > 0:
        entry[:initial] = c.entry_ramp_days * streams.at("cohort.entry", ids[:initial])
    entry[initial:] = horizon * streams.at("cohort.inflow_entry", ids[initial:])

    def u(name: str) -> np.ndarray:
        return streams.at(f"cohort.{name}", ids)

    case_type = _categorical(u("case_type"), c.case_type.as_dict())
    quality = _categorical(u("details"), c.details.as_dict())
    already_departed = u("already_departed") < c.already_departed_share
    in_error = u("in_error") < c.in_pool_in_error_share
    barrier = _categorical(u("barrier"), c.barrier.as_dict())
    high = (case_type == FOREIGN_OFFENDER) | (u("priority") < c.high_priority_share)
    on_reporting = u("on_reporting") < c.entry_on_reporting_share
    comp = c.compliance
    if isinstance(comp, Fixed):
        compliance = np.full(size, comp.value)
        mean = comp.value
    else:
        compliance = inverse_cdf_array(comp, u("compliance"))
        mean = comp.mean
    comply = compliance / mean
    defy = (1.0 - compliance) / (1.0 - mean)

    order = np.lexsort((ids, entry))
    order = order[entry[order] < horizon]
    columns = (ids, entry, case_type, quality, already_departed, in_error, barrier, high, comply, defy)
    return Cohort(
        size=size,
        quality=quality,
        already_departed=already_departed,
        on_reporting=on_reporting,
        drawn=tuple(column[order] for column in columns),
        people=[],
    ).fresh()


__all__ = [
    "ASYLUM_CLAIMANT",
    "DIGITAL",
    "FAILED_ASYLUM",
    "FAMILY",
    "FOREIGN_OFFENDER",
    "FURTHER_SUBMISSION",
    "GOOD",
    "IN_PERSON",
    "IRREGULAR_ARRIVAL",
    "LEGAL",
    "NOT_REPORTING",
    "NO_BARRIER",
    "NO_DETAILS",
    "NO_TRAVEL_DOCUMENT",
    "OVERSTAYER",
    "PARTIAL",
    "TELEPHONE",
    "UNDECIDED",
    "UNDRAWN",
    "Cohort",
    "Person",
    "count_people",
    "sample_cohort",
]
