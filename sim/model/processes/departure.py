"""On contact: consequences explained and voluntary return offered; departing (001 rec 1-2, 6).

When contact is made the case is first triaged: a person listed in error may complain and is
closed (seed 002 §8.2-8.3); a person who has already left shows evidence and is closed (002
§4.2); a person with a barrier is handed to casework. Everyone else is offered voluntary return.
Agreement depends on case type and on the person's propensity to comply; families are supported
by family engagement managers and are tasked for enforcement only after repeated refusals
(001 §6.2). Those who refuse are either tasked for arrest or put on reporting conditions.

Departures confirmed by the contractor are recorded with an error: a share is logged as removals
(002 §5.4), which this part also owns because it records the departures.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import simpy

from sim.model.core import Core, Part
from sim.model.person import FAMILY, NO_BARRIER, Person
from sim.model.processes.absconding import Absconding
from sim.model.processes.enforcement import Enforcement
from sim.model.states import DEPARTURE_STATES, Outcome, State
from sim.model.streams import Delay, Draw, Streams
from sim.scenario.schema import CASE_TYPES, Costs, Scenario

ASSISTED_RETURN = "assisted_return"
VOLUNTARY_DEPARTURE = "voluntary_departure"
EVIDENCE_OF_DEPARTURE = "evidence_of_departure_on_contact"
RECORDED_DEPARTURE_CAUSES = (ASSISTED_RETURN, VOLUNTARY_DEPARTURE, EVIDENCE_OF_DEPARTURE)
"""Causes of the departures the contractor confirms and records (:meth:`Departure.record`): the
ones a recording error can turn into a removal (read by ``sim.analysis.measures``)."""
BARRIER_REFERRAL = "barrier_referral"
"""Cause of a referral to casework with a barrier found on contact."""


@dataclass
class DepartureTally:
    contacted: int = 0
    """People contacted for the first time."""
    complaints: int = 0
    assisted_returns: int = 0
    recorded_as_removal: int = 0
    """Departures recorded in error as removals."""


@dataclass(frozen=True, slots=True)
class DepartureParams:
    """What the departure part reads from its scenario section, typed (probabilities, rates per
    day, days; tuples in category-code order)."""

    complaint_probability: float
    agree: tuple[float, ...]
    """Probability of agreeing to leave on contact, by case type (code order), for an average
    complier."""
    family_multiplier: float
    family_offers: int
    """Offers a family refuses before an ensured return is considered."""
    ensured_return: float
    referral: tuple[float, ...]
    """Probability a refusal is tasked for arrest, by case type (families: ``ensured_return``)."""
    follow_through: float
    assisted_share: float
    recorded_as_removal: float

    @classmethod
    def of(cls, s: Scenario) -> DepartureParams:
        """The parameters in force under scenario ``s``."""
        d = s.departure
        e = s.enforcement
        return cls(
            complaint_probability=s.contact.complaint_probability,
            agree=tuple(getattr(d.agree_on_contact, ct) for ct in CASE_TYPES),
            family_multiplier=d.family_engagement_multiplier,
            family_offers=d.family_offers_before_enforcement,
            ensured_return=e.ensured_return_probability,
            referral=tuple(getattr(e.referral_on_refusal, ct) for ct in CASE_TYPES),
            follow_through=d.follow_through_probability,
            assisted_share=d.assisted_share,
            recorded_as_removal=s.recording.departure_recorded_as_removal,
        )


@dataclass(slots=True)
class Departure(Part):
    """Triage on contact, offers of voluntary return, and departing."""

    core: Core
    params: DepartureParams
    """The part's parameters, swapped whole by :meth:`retune` on a change day."""
    absconding: Absconding
    enforcement: Enforcement
    complains: Draw
    agrees: Draw
    referred: Draw
    delay: Delay
    """Days to arrange a departure."""
    follows: Draw
    assisted: Draw
    family_interval: Delay
    """Days between offers to a family."""
    misrecorded: Draw
    tally: DepartureTally

    @classmethod
    def build(
        cls, s: Scenario, core: Core, streams: Streams, absconding: Absconding, enforcement: Enforcement
    ) -> Departure:
        d = s.departure
        return cls(
            core=core,
            absconding=absconding,
            enforcement=enforcement,
            complains=streams.uniform("departure.complaint"),
            agrees=streams.uniform("departure.agree"),
            referred=streams.uniform("departure.referral"),
            delay=streams.delay("departure.delay", d.delay_days),
            follows=streams.uniform("departure.follow_through"),
            assisted=streams.uniform("departure.assisted"),
            family_interval=streams.delay("departure.family_offer_interval", d.family_offer_interval_days),
            misrecorded=streams.uniform("recording.error"),
            tally=DepartureTally(),
            params=DepartureParams.of(s),
        )

    def summary(self) -> dict[str, float | int]:
        counts = self.core.rec.counts
        dep = self.tally
        return {
            "contacted": dep.contacted,
            "departed_assisted": dep.assisted_returns,
            "complaints": dep.complaints,
            "recorded_removals": counts[State.REMOVED] + dep.recorded_as_removal,
            "recorded_departures": sum(counts[s] for s in DEPARTURE_STATES if s != State.REMOVED)
            - dep.recorded_as_removal,
        }

    def costs(self, c: Costs) -> dict[str, float]:
        return {"assisted_returns": self.tally.assisted_returns * c.assisted_return}

    def retune(self, s: Scenario) -> None:
        """New parameters from a change day on (departures being arranged keep their date)."""
        self.params = DepartureParams.of(s)
        self.delay.retune(s.departure.delay_days)
        self.family_interval.retune(s.departure.family_offer_interval_days)

    def record(self, p: Person, to: int, cause: str) -> None:
        """Move to a departure outcome; some contractor-recorded departures are logged as removals."""
        self.core.move(p, to, cause)
        if self.misrecorded(p.pid) < self.params.recorded_as_removal:
            self.tally.recorded_as_removal += 1

    def depart(self, p: Person) -> Generator[simpy.Event, Any, bool]:
        """The person has agreed to leave: arrange it. True if they left (or were lost on the way)."""
        pid = p.pid
        lost = yield from self.absconding.wait(p, self.delay(pid), "absconded_before_departure")
        if lost:
            return True
        rec = self.core.rec
        if self.follows(pid) >= self.params.follow_through:
            rec.act(pid, self.core.env.now, "departure_follow_through", "contractor", "did_not_depart")
            return False
        rec.act(pid, self.core.env.now, "departure_follow_through", "contractor", "departed")
        if self.assisted(pid) < self.params.assisted_share:
            self.tally.assisted_returns += 1
            self.record(p, State.DEPARTED_VOLUNTARY, ASSISTED_RETURN)
        else:
            self.record(p, State.DEPARTED_VOLUNTARY, VOLUNTARY_DEPARTURE)
        return True

    def agree_probability(self, p: Person) -> float:
        """Chance that ``p`` agrees to leave when offered (case type, compliance, family support)."""
        prob = self.params.agree[p.case_type] * p.comply
        if p.case_type == FAMILY:
            prob *= self.params.family_multiplier
        return min(1.0, prob)

    def process(self, p: Person) -> Generator[simpy.Event, Any, Outcome]:
        """IN_CONTACT state: triage, offer voluntary return, then depart, refer or put on reporting."""
        pid = p.pid
        if not p.contacted:
            p.contacted = True
            self.tally.contacted += 1
            if p.in_error:
                if self.complains(pid) < self.params.complaint_probability:
                    self.tally.complaints += 1
                self.core.move(p, State.CLOSED_OTHER, "contacted_in_error")
                return Outcome.MOVED
            if p.already_departed:
                self.record(p, State.CLOSED_ALREADY_DEPARTED, EVIDENCE_OF_DEPARTURE)
                return Outcome.MOVED
        if p.barrier != NO_BARRIER:
            self.core.move(p, State.CASEWORK, BARRIER_REFERRAL)
            return Outcome.MOVED
        family = p.case_type == FAMILY
        offered_by = "family_engagement" if family else "contractor"
        for k in range(1 + (self.params.family_offers if family else 0)):
            if k > 0:
                # family engagement: another offer after an interval, unless contact is lost first
                lost = yield from self.absconding.wait(
                    p, self.family_interval(pid), "absconded_during_engagement"
                )
                if lost:
                    return Outcome.MOVED
            if self.agrees(pid) < self.agree_probability(p):
                self.core.rec.act(pid, self.core.env.now, "departure_offer", offered_by, "agreed")
                left = yield from self.depart(p)
                if not left:
                    self.core.move(p, State.REPORTING, "did_not_depart")
                return Outcome.MOVED
            self.core.rec.act(pid, self.core.env.now, "departure_offer", offered_by, "refused")
            p.refusals += 1
        threshold = self.params.ensured_return if family else self.params.referral[p.case_type]
        if self.referred(pid) < threshold:
            return (yield from self.enforcement.refer(p, "refused_departure"))
        self.core.move(p, State.REPORTING, "reporting_conditions")
        return Outcome.MOVED


__all__ = [
    "ASSISTED_RETURN",
    "BARRIER_REFERRAL",
    "EVIDENCE_OF_DEPARTURE",
    "RECORDED_DEPARTURE_CAUSES",
    "VOLUNTARY_DEPARTURE",
    "Departure",
    "DepartureParams",
    "DepartureTally",
]
