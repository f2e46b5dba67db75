"""A person in the caseload and the sampling of the cohort's attributes.

Attributes are drawn for the whole cohort at once, each from its own named stream and by inverse
CDF from uniforms, so that a policy which changes one mix (say, data quality) re-assigns as few
people as possible and leaves every other attribute untouched: that keeps common random numbers
tight between policy variants.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.states import State
from sim.model.streams import Streams
from sim.scenario.schema import Scenario

# Codes for categorical attributes (the order matches the fields of the mixes in sim.params).
CASE_TYPES = ("failed_asylum", "overstayer", "foreign_offender", "family")
FAILED_ASYLUM, OVERSTAYER, FOREIGN_OFFENDER, FAMILY = range(4)
QUALITIES = ("none", "partial", "good")
NO_DETAILS, PARTIAL, GOOD = range(3)
BARRIERS = ("none", "further_submission", "no_travel_document", "legal")
NO_BARRIER, FURTHER_SUBMISSION, NO_TRAVEL_DOCUMENT, LEGAL = range(4)
CHANNELS = ("in_person", "telephone", "digital")
IN_PERSON, TELEPHONE, DIGITAL = range(3)


class Person:
    """One case. ``state``/``since`` are owned by the recorder; the rest is case data."""

    __slots__ = (
        "absconded",
        "adverse",
        "already_departed",
        "barrier",
        "bed",
        "case_type",
        "channel",
        "compliance",
        "contacted",
        "entry",
        "high_priority",
        "in_error",
        "latent_barrier",
        "pid",
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
        compliance: float,
    ) -> None:
        self.pid = pid
        self.entry = entry
        self.case_type = case_type
        self.quality = quality
        self.already_departed = already_departed
        self.in_error = in_error
        self.barrier = barrier
        self.high_priority = high_priority
        self.compliance = compliance
        self.state: int = State.POOL  # set properly on entry
        self.since = entry
        self.channel = -1  # reporting channel while on reporting, else -1
        self.adverse = False  # has received an adverse notice
        self.contacted = False
        self.absconded = False
        self.refusals = 0
        self.bed = False  # holds a detention bed
        self.latent_barrier = -1  # would a barrier emerge at detention? -1: not yet decided


@dataclass(frozen=True)
class CohortArrays:
    """The cohort's attributes as arrays, in entry order."""

    entry: np.ndarray
    case_type: np.ndarray
    quality: np.ndarray
    already_departed: np.ndarray
    in_error: np.ndarray
    barrier: np.ndarray
    high_priority: np.ndarray
    compliance: np.ndarray

    def __len__(self) -> int:
        return len(self.entry)

    def person(self, i: int) -> Person:
        return Person(
            i,
            float(self.entry[i]),
            int(self.case_type[i]),
            int(self.quality[i]),
            bool(self.already_departed[i]),
            bool(self.in_error[i]),
            int(self.barrier[i]),
            bool(self.high_priority[i]),
            float(self.compliance[i]),
        )


def _categorical(u: np.ndarray, shares: dict[str, float]) -> np.ndarray:
    """Inverse-CDF categories from uniforms (monotone coupling across policy variants)."""
    cum = np.cumsum(list(shares.values()))
    cum[-1] = 1.0 + 1e-12
    return np.searchsorted(cum, u, side="right").astype(np.int8)


def sample_cohort(scenario: Scenario, streams: Streams) -> CohortArrays:
    """Draw entry times and attributes for the initial caseload and the inflow over the horizon."""
    c = scenario.cohort
    horizon = scenario.horizon_days
    g_entry = streams.generator("cohort.entry")
    initial = (
        g_entry.uniform(0.0, c.entry_ramp_days, c.initial_size)
        if c.entry_ramp_days > 0
        else np.zeros(c.initial_size)
    )
    g_inflow = streams.generator("cohort.inflow")
    n_inflow = int(g_inflow.poisson(c.inflow_per_week * horizon / 7.0)) if c.inflow_per_week > 0 else 0
    inflow = g_inflow.uniform(0.0, horizon, n_inflow)
    entry = np.sort(np.concatenate([initial, inflow]), kind="stable")
    entry = entry[entry < horizon] if horizon > 0 else entry[:0]
    n = len(entry)

    def u(name: str) -> np.ndarray:
        return streams.generator(f"cohort.{name}").random(n)

    case_type = _categorical(u("case_type"), c.case_type.as_dict())
    high = (case_type == FOREIGN_OFFENDER) | (u("priority") < c.high_priority_share)
    return CohortArrays(
        entry=entry,
        case_type=case_type,
        quality=_categorical(u("details"), c.details.as_dict()),
        already_departed=u("already_departed") < c.already_departed_share,
        in_error=u("in_error") < c.in_pool_in_error_share,
        barrier=_categorical(u("barrier"), c.barrier.as_dict()),
        high_priority=high,
        compliance=c.compliance.sample(streams.generator("cohort.compliance"), n),
    )
