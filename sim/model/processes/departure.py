"""On contact: consequences explained and voluntary return offered; departing (001 rec 1-2, 6).

When contact is made the case is first triaged: a person listed in error may complain and is
closed (seed 002 §8.2-8.3); a person who has already left shows evidence and is closed (002
§4.2); a person with a barrier is handed to casework. Everyone else is offered voluntary return.
Agreement depends on case type and on the person's propensity to comply; families are supported
by family engagement managers and are tasked for enforcement only after repeated refusals
(001 §6.2). Those who refuse are either tasked for arrest or put on reporting conditions.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from sim.model.person import CASE_TYPES, FAMILY, NO_BARRIER, Person
from sim.model.processes import enforcement
from sim.model.states import State

if TYPE_CHECKING:
    from sim.model.model import Model


def setup(m: Model) -> None:
    d = m.scenario.departure
    m.d_decide = m.streams.uniform("departure.decision")
    m.d_delay = m.streams.sampler("departure.delay", d.delay_days)
    m.d_follow = m.streams.uniform("departure.follow_through")
    m.d_agree_table = [getattr(d.agree_on_contact, ct) for ct in CASE_TYPES]
    m.d_family_interval = m.streams.sampler("departure.family_offer_interval", d.family_offer_interval_days)
    m.d_record = m.streams.uniform("recording.error")
    m.d_referral_table = [getattr(m.scenario.enforcement.referral_on_refusal, ct) for ct in CASE_TYPES]


def record_departure(m: Model, p: Person, to: int, cause: str) -> None:
    """Move to a departure outcome; some contractor-recorded departures are logged as removals."""
    m.move(p, to, cause)
    if m.d_record() < m.scenario.recording.departure_recorded_as_removal:
        m.n.recorded_as_removal += 1


def depart(m: Model, p: Person) -> Generator[simpy.Event, Any, bool]:
    """The person has agreed to leave: arrange it. True if they left (or were lost on the way)."""
    d = m.scenario.departure
    lost = yield from m.wait_or_abscond(p, m.d_delay(), "absconded_before_departure")
    if lost:
        return True
    if m.d_follow() >= d.follow_through_probability:
        return False
    if m.d_follow() < d.assisted_share:
        m.n.assisted_returns += 1
        record_departure(m, p, State.DEPARTED_VOLUNTARY, "assisted_return")
    else:
        record_departure(m, p, State.DEPARTED_VOLUNTARY, "voluntary_departure")
    return True


def agree_probability(m: Model, p: Person, base: float) -> float:
    prob = base * m.compliance_factor(p)
    if p.case_type == FAMILY:
        prob *= m.scenario.departure.family_engagement_multiplier
    return min(1.0, prob)


def on_contact(m: Model, p: Person) -> Generator[simpy.Event, Any, Any]:
    """IN_CONTACT state: triage, offer voluntary return, then depart, refer or put on reporting."""
    if not p.contacted:
        p.contacted = True
        m.n.contacted += 1
        if p.in_error:
            if m.d_decide() < m.scenario.contact.complaint_probability:
                m.n.complaints += 1
            m.move(p, State.CLOSED_OTHER, "contacted_in_error")
            return None
        if p.already_departed:
            record_departure(m, p, State.CLOSED_ALREADY_DEPARTED, "evidence_of_departure_on_contact")
            return None
    if p.barrier != NO_BARRIER:
        m.move(p, State.CASEWORK, "barrier_referral")
        return None
    d = m.scenario.departure
    offers = 1 + (d.family_offers_before_enforcement if p.case_type == FAMILY else 0)
    for k in range(offers):
        if k > 0:
            # family engagement: another offer after an interval, unless contact is lost first
            lost = yield from m.wait_or_abscond(p, m.d_family_interval(), "absconded_during_engagement")
            if lost:
                return None
        if m.d_decide() < agree_probability(m, p, m.d_agree_table[p.case_type]):
            left = yield from depart(m, p)
            if left:
                return None
            m.move(p, State.REPORTING, "did_not_depart")
            return None
        p.refusals += 1
    if p.case_type == FAMILY:
        refer = m.d_decide() < m.scenario.enforcement.ensured_return_probability
    else:
        refer = m.d_decide() < m.d_referral_table[p.case_type]
    if refer:
        return (yield from enforcement.refer(m, p, "refused_departure"))
    m.move(p, State.REPORTING, "reporting_conditions")
    return None
