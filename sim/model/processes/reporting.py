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

import itertools
import math
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import simpy

from sim.model.core import Core, retune
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
    pending: dict[int, tuple[float, float, int, int]] = field(default_factory=dict)
    """Quiet reports skipped over in a jump still under way: person -> (time of the first,
    interval, number, channel); settled after the jump or, for jumps the horizon cuts short,
    after the run."""
    booked: dict[int, float] = field(default_factory=dict)
    """In-person reportee -> interviews a day booked at the centres (released on leaving)."""


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
        part = cls(
            core=core,
            correspondence=correspondence,
            departure=departure,
            enforcement=enforcement,
            centre=BookedCapacity(core.env, "reporting_centre_interviews", cls._centre_capacity(s)),
            channel=streams.uniform("reporting.channel"),
            next_event=streams.uniform("reporting.next_event"),
            event_kind=streams.uniform("reporting.event_kind"),
            missed_again=streams.uniform("reporting.missed_again"),
            attended_event=streams.uniform("reporting.attended_event"),
            tally=ReportingTally([0] * len(REPORT_CHANNELS)),
            **cls._params(s),
        )
        core.on_leave(State.REPORTING, part.leave)
        return part

    @staticmethod
    def _centre_capacity(s: Scenario) -> float:
        """Interviews a day: desks x opening minutes / mean minutes per interview."""
        rc = s.reporting.centre
        return rc.desks * rc.hours_per_day * 60.0 / rc.interview_minutes.mean

    @staticmethod
    def _params(s: Scenario) -> dict[str, Any]:
        r = s.reporting
        mix = r.channel_mix.as_dict()
        edges = list(itertools.accumulate(mix[ch] for ch in REPORT_CHANNELS))
        edges[-1] = 1.0 + 1e-12
        return {
            "mix_edges": tuple(edges),
            "interval": tuple(getattr(r.interval_days, ch) for ch in REPORT_CHANNELS),
            "miss": tuple(getattr(r.miss_probability, ch) for ch in REPORT_CHANNELS),
            "promotion": tuple(getattr(r.promotion_agree, ch) for ch in REPORT_CHANNELS),
            "detention_on_reporting": r.detention_on_reporting,
            "adverse_multiplier": s.absconding.adverse_notice_multiplier,
            "misses_to_out_of_contact": r.misses_to_out_of_contact,
        }

    def retune(self, s: Scenario) -> None:
        """New parameters and centre capacity from a change day on. Reportees take them up at
        their first report from that day (see :meth:`process`); bookings are kept."""
        retune(self, self._params(s))
        self.centre.resize(self._centre_capacity(s))

    def join(self, p: Person) -> None:
        """Give ``p`` a reporting channel; in person only if the centres can take the load."""
        u = self.channel(p.pid)
        ch = next(i for i, edge in enumerate(self.mix_edges) if u < edge)
        if ch == IN_PERSON:
            per_day = 1.0 / self.interval[IN_PERSON]
            if self.centre.try_book(per_day):
                self.tally.booked[p.pid] = per_day
            else:
                ch = TELEPHONE  # the centres are full (counted in ``centre.refused``)
        p.channel = ch

    def leave(self, p: Person) -> None:
        """Leave hook of REPORTING: release the centre booking."""
        per_day = self.tally.booked.pop(p.pid, None)
        if per_day is not None:
            self.centre.cancel(per_day)
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
        reports = self.tally.reports
        pending = self.tally.pending
        gap = -1.0  # days to the next report (set from the interval once the rates are read)
        while True:
            # the rates at this person's reports, read afresh after a scenario change
            ch = p.channel
            interval = self.interval[ch]
            if gap < 0:
                gap = interval
            adverse = self.adverse_multiplier if p.adverse else 1.0
            q = min(1.0, self.miss[ch] * p.defy * adverse)
            a = min(1.0, self.promotion[ch] * p.comply)
            d = self.detention_on_reporting if ch == IN_PERSON and p.barrier == NO_BARRIER else 0.0
            attended_event = a + (1.0 - a) * d
            p_event = q + (1.0 - q) * attended_event
            change = self.core.next_change(env.now)
            first = env.now + gap  # time of the next report
            if p_event <= 0.0:
                if change == math.inf:
                    # reports for ever and nothing else happens: settled at the horizon
                    pending[pid] = (first, interval, QUIET_FOR_EVER, ch)
                    return Outcome.DORMANT
                k = QUIET_FOR_EVER  # quiet until the change, then the rates are read again
            else:
                k = geometric_trials(self.next_event(pid), p_event)
            event_at = first + (k - 1) * interval
            if event_at >= change:
                # reports from the change day on follow the new rates: the reports before it
                # are quiet (given the event is later, by memorylessness), then draw again
                quiet = min(max(0, math.ceil((change - first) / interval)), k - 1)  # before the change
                pending[pid] = (first, interval, quiet, ch)
                yield env.timeout(change - env.now)
                del pending[pid]
                reports[ch] += quiet
                gap = first + quiet * interval - env.now  # the next report, at or after the change
                continue
            pending[pid] = (first, interval, k - 1, ch)
            yield env.timeout(event_at - env.now)
            del pending[pid]
            reports[ch] += k - 1
            gap = -1.0
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
        for first, interval, quiet, ch in self.tally.pending.values():
            if first <= horizon + 1e-9:
                reports[ch] += min(quiet, int((horizon - first) / interval + 1e-9) + 1)
        self.tally.pending.clear()


__all__ = ["Reporting", "ReportingTally"]
