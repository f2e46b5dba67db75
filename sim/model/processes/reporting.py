"""Reporting conditions: in person, by telephone or digitally (seed 000 scope; 001 rec 1).

A person put on reporting is first served a reporting notice: handed over in person when they
come from detention, the detention gatekeeper or a tracing visit (``IN_PERSON_NOTICE``), otherwise
by post, when it may not arrive or not be understood. Someone who never acts on it never reports:
they miss ``misses_to_out_of_contact`` reports and are out of contact. Otherwise they get a channel
(in person if the reporting centres can take the load, else telephone) and report every
``interval_days``.

Contact is lost in two ways. A person may decide to stop reporting: a hazard that varies with time
on reporting (Weibull, ``abscond_hazard_shape``) and between people (a heavy-tailed propensity
drawn once per person), raised after an adverse notice; they then miss every report, and are out
of contact at the ``misses_to_out_of_contact``-th. And anyone may miss a report by chance (a
per-channel probability scaled by their propensity not to comply); that many consecutive misses
also put them out of contact. Every missed report is recorded, counted and costed. At an attended
report voluntary return is promoted and, in person, the person may be detained on reporting.

Uneventful reports are not simulated one by one: the number of reports up to the next one at
which something happens is drawn from the geometric distribution in a single step, and the time
of absconding is drawn from the hazard; whichever comes first is the next event. The attended
reports skipped over are counted (they cost money and use centre capacity) and, with the event
log, recorded at their own times. The centre booking is taken by :meth:`Reporting.join` and
released by this part's leave hook, whatever moves the person off reporting.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import simpy

from sim.model.core import Core, Part
from sim.model.person import IN_PERSON, NO_BARRIER, NOT_REPORTING, TELEPHONE, UNDRAWN, Person
from sim.model.processes.correspondence import Correspondence
from sim.model.processes.departure import Departure
from sim.model.processes.enforcement import Enforcement
from sim.model.resources import BookedCapacity
from sim.model.states import Outcome, State
from sim.model.streams import Delay, Draw, Streams, geometric_trials
from sim.scenario.schema import REPORT_CHANNELS, Scenario

QUIET_FOR_EVER = 10**15
"""Quiet reports of a reportee at whose reports nothing can happen (capped at the horizon)."""
HAZARD_YEAR = 365.0
"""Days over which the Weibull hazard of absconding averages ``abscond_hazard_per_day``."""
IN_PERSON_NOTICE: frozenset[str] = frozenset(
    {
        "released_removal_failed",
        "released_bail",
        "released_no_prospect",
        "released_vulnerable",
        "rejected_for_detention_no_bed",
        "contact_reestablished_traced",
    }
)
"""Causes of entering reporting at which the notice is handed over in person (received and
explained); every other entry is served by post (``tests/test_fidelity.py`` checks each of these
causes is one the model records)."""


@dataclass
class ReportingTally:
    reports: list[int]
    """Reports attended before the horizon, by channel (code order)."""
    missed: list[int]
    """Reports missed before the horizon, by channel (code order)."""
    absconded: int = 0
    """Reportees who decided to stop reporting (the hazard), before the horizon."""
    pending: dict[int, tuple[float, float, int, int]] = field(default_factory=dict)
    """Quiet reports skipped over in a jump still under way: person -> (time of the first,
    interval, number, channel); settled after the jump or, for jumps the horizon cuts short,
    after the run."""
    booked: dict[int, float] = field(default_factory=dict)
    """In-person reportee -> interviews a day booked at the centres (released on leaving)."""


@dataclass(frozen=True, slots=True)
class ReportingParams:
    """What the reporting part reads from its scenario section, typed (probabilities, rates per
    day, days; tuples in category-code order)."""

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
    hazard: float
    """Hazard of absconding per day for propensity 1, averaged over a first year on reporting."""
    shape: float
    """Weibull shape of the hazard against time on reporting (1: constant)."""

    @classmethod
    def of(cls, s: Scenario) -> ReportingParams:
        """The parameters in force under scenario ``s``."""
        r = s.reporting
        mix = r.channel_mix.as_dict()
        edges = list(itertools.accumulate(mix[ch] for ch in REPORT_CHANNELS))
        edges[-1] = 1.0 + 1e-12
        return cls(
            mix_edges=tuple(edges),
            interval=tuple(getattr(r.interval_days, ch) for ch in REPORT_CHANNELS),
            miss=tuple(getattr(r.miss_probability, ch) for ch in REPORT_CHANNELS),
            promotion=tuple(getattr(r.promotion_agree, ch) for ch in REPORT_CHANNELS),
            detention_on_reporting=r.detention_on_reporting,
            adverse_multiplier=s.absconding.adverse_notice_multiplier,
            misses_to_out_of_contact=r.misses_to_out_of_contact,
            hazard=r.abscond_hazard_per_day,
            shape=r.abscond_hazard_shape,
        )


@dataclass(slots=True)
class Reporting(Part):
    """Reporting channels, the centres' capacity and what happens at reports."""

    core: Core
    params: ReportingParams
    """The part's parameters, swapped whole by :meth:`retune` on a change day."""
    correspondence: Correspondence
    departure: Departure
    enforcement: Enforcement
    centre: BookedCapacity
    channel: Draw
    next_event: Draw
    event_kind: Draw
    missed_again: Draw
    attended_event: Draw
    abscond: Draw
    """Standard exponential per reporting episode: the cumulative hazard at which one absconds."""
    propensity: Delay
    """Each person's propensity to abscond (drawn once, on first joining reporting)."""
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
            abscond=streams.exponential("reporting.abscond"),
            propensity=streams.delay("reporting.propensity", s.reporting.abscond_propensity),
            tally=ReportingTally([0] * len(REPORT_CHANNELS), [0] * len(REPORT_CHANNELS)),
            params=ReportingParams.of(s),
        )
        core.on_leave(State.REPORTING, part.leave)
        return part

    @staticmethod
    def _centre_capacity(s: Scenario) -> float:
        """Interviews a day: desks x opening minutes / mean minutes per interview."""
        rc = s.reporting.centre
        return rc.desks * rc.hours_per_day * 60.0 / rc.interview_minutes.mean

    def retune(self, s: Scenario) -> None:
        """New parameters and centre capacity from a change day on. Reportees take them up at
        their first report from that day (see :meth:`process`); bookings are kept."""
        self.params = ReportingParams.of(s)
        self.propensity.retune(s.reporting.abscond_propensity)
        self.centre.resize(self._centre_capacity(s))

    def assigned(self, p: Person) -> int:
        """The channel the notice puts ``p`` on (from the mix of new reportees)."""
        u = self.channel(p.pid)
        return next(i for i, edge in enumerate(self.params.mix_edges) if u < edge)

    def join(self, p: Person, ch: int) -> None:
        """Start ``p`` reporting on channel ``ch``; in person only if the centres can take the load."""
        if ch == IN_PERSON:
            per_day = 1.0 / self.params.interval[IN_PERSON]
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

    def _cumulative(self, h: float, t: float) -> float:
        """Cumulative hazard of absconding after ``t`` days on reporting, at base hazard ``h``."""
        if t <= 0.0:
            return 0.0
        if self.params.shape == 1.0:
            return h * t
        try:
            return h * HAZARD_YEAR * (t / HAZARD_YEAR) ** self.params.shape
        except OverflowError:
            return math.inf

    def _time_at(self, h: float, cumulative: float) -> float:
        """Days on reporting at which the cumulative hazard reaches ``cumulative`` (inverse of
        :meth:`_cumulative`; inf at a zero hazard)."""
        if h <= 0.0:
            return math.inf
        if self.params.shape == 1.0:
            return cumulative / h
        try:
            return HAZARD_YEAR * (cumulative / (h * HAZARD_YEAR)) ** (1.0 / self.params.shape)
        except OverflowError:  # a tiny hazard with a small shape: never within any horizon
            return math.inf

    def _log_reports(self, pid: int, first: float, interval: float, n: int, ch: int, outcome: str) -> None:
        """Record ``n`` reports from ``first`` every ``interval`` days (with the event log only)."""
        act = self.core.rec.act
        name = REPORT_CHANNELS[ch]
        for i in range(n):
            act(pid, first + i * interval, "report", name, outcome)

    def _missed(self, p: Person, ch: int) -> None:
        """A report missed now: counted, costed and recorded."""
        self.tally.missed[ch] += 1
        self.core.rec.act(p.pid, self.core.env.now, "report", REPORT_CHANNELS[ch], "missed")

    def _attended(self, p: Person, ch: int) -> None:
        self.tally.reports[ch] += 1
        self.core.rec.act(p.pid, self.core.env.now, "report", REPORT_CHANNELS[ch], "attended")

    def _miss_until_lost(self, p: Person, ch: int, interval: float) -> Generator[simpy.Event, Any, None]:
        """Miss the report due now and the next ones until contact is lost (the person has gone)."""
        for i in range(self.params.misses_to_out_of_contact):
            if i:
                yield self.core.env.timeout(interval)
            self._missed(p, ch)

    def process(self, p: Person) -> Generator[simpy.Event, Any, Outcome]:
        """REPORTING state: jump from one eventful report (or absconding) to the next."""
        env = self.core.env
        pid = p.pid
        log = self.core.rec.keep_log
        n_out = self.params.misses_to_out_of_contact
        if p.channel == NOT_REPORTING:
            received, acted = yield from self.correspondence.serve(p, p.cause in IN_PERSON_NOTICE)
            ch = self.assigned(p)
            if not acted:
                # never reports: the reports due on the channel are missed until contact is lost
                yield env.timeout(self.params.interval[ch])
                yield from self._miss_until_lost(p, ch, self.params.interval[ch])
                cause = "never_reported" if received else "reporting_notice_not_received"
                self.core.move(p, State.OUT_OF_CONTACT, cause)
                return Outcome.MOVED
            self.join(p, ch)
        if p.propensity == UNDRAWN:
            p.propensity = self.propensity(pid)
        reports = self.tally.reports
        pending = self.tally.pending
        start = env.now  # reporting starts now (time on reporting drives the hazard)
        clock = self.abscond(pid)  # cumulative hazard at which this person absconds
        used = 0.0  # cumulative hazard run down before the current parameter regime
        regime_start = start  # when the rates in use came into force for this person
        change = -math.inf  # the next change day when the rates were read (read them now)
        gap = -1.0  # days to the next report (set from the interval once the rates are read)
        ch = p.channel
        interval = q = a = attended_event = p_event = abscond_at = h = 0.0
        while True:
            if env.now >= change:
                # a scenario change day has passed (or the rates were never read): run the
                # absconding clock down to the change under the old hazard, then read the rates
                if change > start:
                    used += self._cumulative(h, change - start) - self._cumulative(h, regime_start - start)
                    regime_start = change
                change = self.core.next_change(env.now)
                ch = p.channel
                interval = self.params.interval[ch]
                adverse = self.params.adverse_multiplier if p.adverse else 1.0
                q = min(1.0, self.params.miss[ch] * p.defy * adverse)
                a = min(1.0, self.params.promotion[ch] * p.comply)
                d = self.params.detention_on_reporting if ch == IN_PERSON and p.barrier == NO_BARRIER else 0.0
                attended_event = a + (1.0 - a) * d
                p_event = q + (1.0 - q) * attended_event
                h = self.params.hazard * p.propensity * adverse
                since = regime_start - start
                abscond_at = start + self._time_at(h, clock - used + self._cumulative(h, since))
            if gap < 0:
                gap = interval
            first = env.now + gap  # time of the next report
            if p_event <= 0.0:
                if change == math.inf and abscond_at == math.inf:
                    # reports for ever and nothing else happens: settled at the horizon
                    pending[pid] = (first, interval, QUIET_FOR_EVER, ch)
                    return Outcome.DORMANT
                k = QUIET_FOR_EVER  # quiet until the change or absconding
            else:
                k = geometric_trials(self.next_event(pid), p_event)
            event_at = first + (k - 1) * interval
            if abscond_at < event_at and abscond_at < change:
                # decides to stop reporting: the reports before are attended, then all missed
                quiet = min(max(0, math.ceil((abscond_at - first) / interval)), k - 1)
                pending[pid] = (first, interval, quiet, ch)
                yield env.timeout(first + quiet * interval - env.now)
                del pending[pid]
                reports[ch] += quiet
                if log:
                    self._log_reports(pid, first, interval, quiet, ch, "attended")
                self.tally.absconded += 1
                yield from self._miss_until_lost(p, ch, interval)
                self.core.move(p, State.OUT_OF_CONTACT, "stopped_reporting")
                return Outcome.MOVED
            if event_at >= change:
                # reports from the change day on follow the new rates: the reports before it
                # are quiet (given the event is later, by memorylessness), then draw again
                quiet = min(max(0, math.ceil((change - first) / interval)), k - 1)  # before the change
                pending[pid] = (first, interval, quiet, ch)
                yield env.timeout(change - env.now)
                del pending[pid]
                reports[ch] += quiet
                if log:
                    self._log_reports(pid, first, interval, quiet, ch, "attended")
                gap = first + quiet * interval - env.now  # the next report, at or after the change
                continue
            pending[pid] = (first, interval, k - 1, ch)
            yield env.timeout(event_at - env.now)
            del pending[pid]
            reports[ch] += k - 1
            if log:
                self._log_reports(pid, first, interval, k - 1, ch, "attended")
            gap = -1.0
            if self.event_kind(pid) * p_event < q:
                # a missed report: a run of misses begins
                self._missed(p, ch)
                run = 1
                while run < n_out:
                    yield env.timeout(interval)
                    if self.missed_again(pid) < q:
                        self._missed(p, ch)
                        run += 1
                    else:
                        break
                if run >= n_out:
                    self.core.move(p, State.OUT_OF_CONTACT, "missed_reports")
                    return Outcome.MOVED
                self._attended(p, ch)  # the report that ended the run
                u = self.attended_event(pid)
                if u >= attended_event:
                    continue
                agree = u < a
            else:
                self._attended(p, ch)
                agree = self.attended_event(pid) * attended_event < a
            if agree:
                paused = env.now
                left = yield from self.departure.depart(p)
                if left:
                    return Outcome.MOVED
                # the hazard of absconding on reporting was paused while departure was arranged
                # (the absconding part's hazard ran instead): run the clock down to the pause,
                # and resume it from now with the rates read again
                used += self._cumulative(h, paused - start) - self._cumulative(h, regime_start - start)
                regime_start = env.now
                change = -math.inf
            else:
                # detention on reporting: the reporting centre signposts the case (002 §13.9)
                if self.enforcement.tasking_check(p):
                    self.enforcement.gatekeep(p, "detained_on_reporting")
                if p.state != State.REPORTING:
                    return Outcome.MOVED

    def settle(self, horizon: float) -> None:
        """Count (and, with the event log, record) the quiet reports made before the horizon in
        jumps the horizon cut short."""
        reports = self.tally.reports
        log = self.core.rec.keep_log
        for pid, (first, interval, quiet, ch) in self.tally.pending.items():
            if first <= horizon + 1e-9:
                n = min(quiet, int((horizon - first) / interval + 1e-9) + 1)
                reports[ch] += n
                if log:
                    self._log_reports(pid, first, interval, n, ch, "attended")
        self.tally.pending.clear()


__all__ = ["Reporting", "ReportingTally"]
