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
attended reports skipped over are counted (they cost money and use centre capacity). The
centre booking is taken by :meth:`Reporting.join` and released by this part's leave hook,
whatever moves the person off reporting.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import simpy

from sim.model.core import Core
from sim.model.person import IN_PERSON, NO_BARRIER, NOT_REPORTING, TELEPHONE, Person
from sim.model.processes.correspondence import Correspondence
from sim.model.processes.departure import Departure
from sim.model.processes.enforcement import Enforcement
from sim.model.resources import BookedCapacity
from sim.model.states import Outcome, State
from sim.model.streams import Draw, Streams, geometric_trials
from sim.scenario.schema import REPORT_CHANNELS, Scenario

QUIET_FOR_EVER = 10**15
"""Quiet reports of a reportee at whose reports nothing can happen (capped at the horizon)."""


@dataclass
class ReportingTally:
    reports: list[int]
    """Reports attended before the horizon, by channel (code order)."""
    centre_overflow: int = 0
    """New in-person reportees put on telephone reporting because the centres were full."""
    pending: dict[int, tuple[float, float, int, int]] = field(default_factory=dict)
    """Quiet reports skipped over in a jump still under way: person -> (start, interval, quiet
    reports, channel); settled after the jump or, for jumps the horizon cuts short, after the run."""


@dataclass(frozen=True, slots=True)
class Reporting:
    """Reporting channels, the centres' capacity and what happens at reports."""

    core: Core
    correspondence: Correspondence
    departure: Departure
    enforcement: Enforcement
    centre: BookedCapacity
    mix_edges: tuple[float, ...]
    """Cumulative channel mix of new reportees (code order), last edge above 1."""
    interval: tuple[float, ...]
    """Days between reports, by channel."""
    miss: tuple[float, ...]
    """Probability a report is missed, by channel, for an average complier."""
    promotion: tuple[float, ...]
    """Probability of agreeing to leave at an attended report, by channel, average complier."""
    detention_on_reporting: float
    adverse_multiplier: float
    misses_to_out_of_contact: int
    channel: Draw
    next_event: Draw
    event_kind: Draw
    missed_again: Draw
    attended_event: Draw
    tally: ReportingTally

    @classmethod
    def build(
        cls,
        s: Scenario,
        core: Core,
        streams: Streams,
        correspondence: Correspondence,
        departure: Departure,
        enforcement: Enforcement,
    ) -> Reporting:
        r = s.reporting
        rc = r.centre
        mix = r.channel_mix.as_dict()
        edges = []
        acc = 0.0
        for ch in REPORT_CHANNELS:
            acc += mix[ch]
            edges.append(acc)
        edges[-1] = 1.0 + 1e-12
        capacity = rc.desks * rc.hours_per_day * 60.0 / rc.interview_minutes.mean
        part = cls(
            core,
            correspondence,
            departure,
            enforcement,
            BookedCapacity(core.env, "reporting_centre_interviews", capacity),
            tuple(edges),
            tuple(getattr(r.interval_days, ch) for ch in REPORT_CHANNELS),
            tuple(getattr(r.miss_probability, ch) for ch in REPORT_CHANNELS),
            tuple(getattr(r.promotion_agree, ch) for ch in REPORT_CHANNELS),
            r.detention_on_reporting,
            s.absconding.adverse_notice_multiplier,
            r.misses_to_out_of_contact,
            streams.uniform("reporting.channel"),
            streams.uniform("reporting.next_event"),
            streams.uniform("reporting.event_kind"),
            streams.uniform("reporting.missed_again"),
            streams.uniform("reporting.attended_event"),
            ReportingTally([0] * len(REPORT_CHANNELS)),
        )
        core.on_leave(State.REPORTING, part.leave)
        return part

    def join(self, p: Person) -> None:
        """Give ``p`` a reporting channel; in person only if the centres can take the load."""
        u = self.channel(p.pid)
        ch = next(i for i, edge in enumerate(self.mix_edges) if u < edge)
        if ch == IN_PERSON and not self.centre.try_book(1.0 / self.interval[IN_PERSON]):
            self.tally.centre_overflow += 1
            ch = TELEPHONE
        p.channel = ch

    def leave(self, p: Person) -> None:
        """Leave hook of REPORTING: release the centre booking."""
        if p.channel == IN_PERSON:
            self.centre.cancel(1.0 / self.interval[IN_PERSON])
        p.channel = NOT_REPORTING

    def process(self, p: Person) -> Generator[simpy.Event, Any, Outcome]:
        """REPORTING state: jump from one eventful report to the next."""
        env = self.core.env
        pid = p.pid
        n_out = self.misses_to_out_of_contact
        if p.channel == NOT_REPORTING:
            received, acted = yield from self.correspondence.serve(p)
            self.join(p)
            if not acted:
                yield env.timeout(n_out * self.interval[p.channel])
                cause = "never_reported" if received else "reporting_notice_not_received"
                self.core.move(p, State.OUT_OF_CONTACT, cause)
                return Outcome.MOVED
        ch = p.channel
        interval = self.interval[ch]
        adverse = self.adverse_multiplier if p.adverse else 1.0
        q = min(1.0, self.miss[ch] * p.defy * adverse)
        a = min(1.0, self.promotion[ch] * p.comply)
        d = self.detention_on_reporting if ch == IN_PERSON and p.barrier == NO_BARRIER else 0.0
        attended_event = a + (1.0 - a) * d
        p_event = q + (1.0 - q) * attended_event
        reports = self.tally.reports
        pending = self.tally.pending
        while True:
            if p_event <= 0.0:
                # reports for ever and nothing else happens: the reports are settled at the horizon
                pending[pid] = (env.now, interval, QUIET_FOR_EVER, ch)
                return Outcome.DORMANT
            k = geometric_trials(self.next_event(pid), p_event)
            pending[pid] = (env.now, interval, k - 1, ch)
            yield env.timeout(k * interval)
            del pending[pid]
            reports[ch] += k - 1
            if self.event_kind(pid) * p_event < q:
                # a missed report: a run of misses begins
                run = 1
                while run < n_out:
                    yield env.timeout(interval)
                    if self.missed_again(pid) < q:
                        run += 1
                    else:
                        break
                if run >= n_out:
                    self.core.move(p, State.OUT_OF_CONTACT, "missed_reports")
                    return Outcome.MOVED
                reports[ch] += 1  # the report that ended the run was attended
                u = self.attended_event(pid)
                if u >= attended_event:
                    continue
                agree = u < a
            else:
                reports[ch] += 1
                agree = self.attended_event(pid) * attended_event < a
            if agree:
                left = yield from self.departure.depart(p)
                if left:
                    return Outcome.MOVED
            else:
                # detention on reporting: the reporting centre signposts the case (002 §13.9)
                if self.enforcement.tasking_check(p):
                    self.enforcement.gatekeep(p, "detained_on_reporting")
                if p.state != State.REPORTING:
                    return Outcome.MOVED

    def settle(self, horizon: float) -> None:
        """Count the quiet reports made before the horizon in jumps the horizon cut short."""
        reports = self.tally.reports
        for start, interval, quiet, ch in self.tally.pending.values():
            reports[ch] += min(quiet, int((horizon - start) / interval + 1e-9))
        self.tally.pending.clear()


__all__ = ["Reporting", "ReportingTally"]
