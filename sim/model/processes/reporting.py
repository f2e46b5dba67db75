"""Reporting conditions: in person, by telephone or digitally (seed 000 scope; 001 rec 1).

A person put on reporting is first served a reporting notice; if it does not reach them or is
not understood they never report and are out of contact once the misses add up. Otherwise they
get a channel (in person if the reporting centres can take the load, else telephone) and report
every ``interval_days``. Each report is missed with a per-channel probability (scaled by the
person's propensity not to comply and raised after an adverse notice); ``misses_to_out_of_contact``
consecutive misses put them out of contact. At an attended report voluntary return is promoted
and, in person, the person may be detained on reporting.

Uneventful reports are not simulated one by one: the number of reports up to the next one at
which something happens is drawn from the geometric distribution in a single step, and the
attended reports skipped over are counted (they cost money and use centre capacity).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from sim.model.person import IN_PERSON, NO_BARRIER, TELEPHONE, Person
from sim.model.processes import correspondence, departure, enforcement
from sim.model.states import State
from sim.model.streams import geometric_trials

if TYPE_CHECKING:
    from sim.model.model import Model

REPORT_CHANNELS = ("in_person", "telephone", "digital")
QUIET_FOR_EVER = 10**15
"""Quiet reports of a reportee at whose reports nothing can happen (capped at the horizon)."""


def setup(m: Model) -> None:
    r = m.scenario.reporting
    m.r_channel = m.streams.uniform("reporting.channel")
    m.r_next = m.streams.uniform("reporting.next_event")
    m.r_kind = m.streams.uniform("reporting.event_kind")
    m.r_interval = tuple(getattr(r.interval_days, ch) for ch in REPORT_CHANNELS)
    m.r_miss = tuple(getattr(r.miss_probability, ch) for ch in REPORT_CHANNELS)
    m.r_promo = tuple(getattr(r.promotion_agree, ch) for ch in REPORT_CHANNELS)
    mix = r.channel_mix
    m.r_mix_cum = (mix.in_person, mix.in_person + mix.telephone, 1.0 + 1e-12)


def join(m: Model, p: Person) -> None:
    """Give ``p`` a reporting channel; in-person only if the centres can take the load."""
    u = m.r_channel()
    ch = next(i for i, edge in enumerate(m.r_mix_cum) if u < edge)
    if ch == IN_PERSON and not m.centre.try_book(1.0 / m.r_interval[IN_PERSON]):
        m.n.centre_overflow += 1
        ch = TELEPHONE
    p.channel = ch


def leave(m: Model, p: Person) -> None:
    """Release the reporting booking; called by the model whenever a person leaves REPORTING."""
    if p.channel == IN_PERSON:
        m.centre.cancel(1.0 / m.r_interval[IN_PERSON])
    p.channel = -1


def reporting(m: Model, p: Person) -> Generator[simpy.Event, Any, Any]:
    """REPORTING state: jump from one eventful report to the next."""
    from sim.model.model import DORMANT

    r = m.scenario.reporting
    env = m.env
    n_out = r.misses_to_out_of_contact
    if p.channel < 0:
        received, acted = yield from correspondence.serve(m, p)
        join(m, p)
        if not acted:
            yield env.timeout(n_out * m.r_interval[p.channel])
            cause = "never_reported" if received else "reporting_notice_not_received"
            m.move(p, State.OUT_OF_CONTACT, cause)
            return None
    ch = p.channel
    interval = m.r_interval[ch]
    adverse = m.scenario.absconding.adverse_notice_multiplier if p.adverse else 1.0
    q = min(1.0, m.r_miss[ch] * m.non_compliance_factor(p) * adverse)
    a = min(1.0, m.r_promo[ch] * m.compliance_factor(p))
    d = r.detention_on_reporting if ch == IN_PERSON and p.barrier == NO_BARRIER else 0.0
    attended_event = a + (1.0 - a) * d
    p_event = q + (1.0 - q) * attended_event
    reports = m.n.reports
    while True:
        if p_event <= 0.0:
            # reports for ever and nothing else happens: the reports are settled at the horizon
            m.pending_reports[p.pid] = (env.now, interval, QUIET_FOR_EVER, ch)
            return DORMANT
        k = geometric_trials(m.r_next(), p_event)
        m.pending_reports[p.pid] = (env.now, interval, k - 1, ch)
        yield env.timeout(k * interval)
        del m.pending_reports[p.pid]
        reports[ch] += k - 1
        if m.r_kind() * p_event < q:
            run = 1
            while run < n_out:
                yield env.timeout(interval)
                if m.r_kind() < q:
                    run += 1
                else:
                    break
            if run >= n_out:
                m.move(p, State.OUT_OF_CONTACT, "missed_reports")
                return None
            reports[ch] += 1  # the report that ended the run was attended
            u = m.r_kind()
            if u >= attended_event:
                continue
            agree = u < a
        else:
            reports[ch] += 1
            agree = m.r_kind() * attended_event < a
        if agree:
            left = yield from departure.depart(m, p)
            if left:
                return None
        else:
            # detention on reporting: the reporting centre signposts the case (002 §13.9)
            if enforcement.tasking_check(m, p):
                enforcement.gatekeep(m, p, "detained_on_reporting")
            if p.state != State.REPORTING:
                return None


def settle_pending(m: Model, horizon: float) -> None:
    """Count the quiet reports made before the horizon in jumps the horizon cut short."""
    for start, interval, quiet, ch in m.pending_reports.values():
        m.n.reports[ch] += min(quiet, int((horizon - start) / interval + 1e-9))
    m.pending_reports.clear()
