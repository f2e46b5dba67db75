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
log, recorded at their own times. What happens at a report involves nobody else unless the person
leaves reporting there (agreeing to leave, detained, out of contact), so a spell is played ahead of
the clock through quiet reports and runs of misses, and the process waits only for a report at
which something must happen at the clock, a change day, absconding or the horizon (``_Spell.now``;
with the event log it waits for every eventful report, to record each in order). In 2024, where
everyone reports and misses are common, that is half a replication's events. The centre booking
is taken by :meth:`Reporting.join` and released by this part's leave hook, whatever moves the
person off reporting.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import simpy

from sim.model import compat
from sim.model.core import Core, Part
from sim.model.person import IN_PERSON, NO_BARRIER, NOT_REPORTING, TELEPHONE, UNDRAWN, Person
from sim.model.processes.asylum import Asylum
from sim.model.processes.correspondence import Correspondence
from sim.model.processes.departure import Departure
from sim.model.processes.enforcement import Enforcement
from sim.model.resources import BookedCapacity
from sim.model.states import Outcome, State
from sim.model.streams import Delay, Draw, Streams, geometric_trials
from sim.scenario.schema import CASE_TYPES, REPORT_CHANNELS, Costs, Scenario

ENTERED_ON_REPORTING = "entered_on_reporting"
"""Cause of entering reporting straight from entry (``cohort.entry_on_reporting_share``)."""
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
        ENTERED_ON_REPORTING,
    }
)
"""Causes of entering reporting at which the notice is handed over in person (received and
explained); every other entry is served by post (``tests/unit/test_fidelity.py`` checks each of these
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
    tagged: dict[int, float] = field(default_factory=dict)
    """Reportee wearing an electronic tag -> day it was fitted (removed on leaving reporting)."""
    tags: int = 0
    """Tags fitted before the horizon (one per spell on reporting of a tagged person)."""
    tagged_days: float = 0.0
    """Person-days on reporting with a tag, up to the horizon."""


@dataclass(slots=True)
class _Spell:
    """One reportee's spell on reporting: the clock of absconding and the rates in force, read
    again at each change day and after a pause for departure (:meth:`Reporting._read_rates`)."""

    start: float
    """Day the spell began (time on reporting drives the hazard)."""
    clock: float
    """Cumulative hazard at which the person absconds (a standard exponential draw)."""
    regime_start: float
    """Day the rates in use came into force for this person."""
    n_out: int
    """Consecutive misses that put the person out of contact (as on joining)."""
    ch: int
    """Reporting channel (code) when the rates were read."""
    used: float = 0.0
    """Cumulative hazard run down before ``regime_start``."""
    change: float = -math.inf
    """The next change day when the rates were read (-inf: read them now)."""
    interval: float = 0.0
    """Days between reports on the channel."""
    q: float = 0.0
    """Probability a report is missed."""
    a: float = 0.0
    """Probability of agreeing to leave at an attended report."""
    attended_event: float = 0.0
    """Probability something happens at an attended report (agreeing, or detention)."""
    p_event: float = 0.0
    """Probability something happens at a report (a miss, or an eventful attended report)."""
    h: float = 0.0
    """This person's hazard of absconding per day (propensity and adverse notice included)."""
    abscond_at: float = math.inf
    """Day the person would stop reporting under these rates."""
    now: float = 0.0
    """Day the spell has been played to: the clock's, or later after quiet reports and a run of
    misses played ahead of it (:meth:`Reporting.process`, :meth:`Reporting._missed_run`)."""


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
    leaver_share: tuple[float, ...]
    """Share of people who would disappear early, by case type (code order)."""
    leaver_hazard: float
    """Hazard of absconding per day of those would-be leavers (in place of ``hazard`` x propensity)."""
    tagged_share: float
    """Share of new reportees fitted with an electronic (GPS) tag."""
    tagged_hazard_multiplier: float
    """Factor on a tagged reportee's hazard of stopping reporting (1: the GPS pilot's finding)."""

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
            leaver_share=tuple(getattr(r.leaver_share, ct) for ct in CASE_TYPES),
            leaver_hazard=r.leaver_hazard_per_day,
            tagged_share=r.tagged_share,
            tagged_hazard_multiplier=r.tagged_hazard_multiplier,
        )


@dataclass(slots=True)
class Reporting(Part):
    """Reporting channels, the centres' capacity and what happens at reports."""

    core: Core
    params: ReportingParams
    """The part's parameters, swapped whole by :meth:`retune` on a change day."""
    asylum: Asylum
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
    leaver: Draw
    """Whether a person is one who would disappear early (drawn with the propensity)."""
    tag: Draw
    """Whether a new reportee is fitted with a tag (each time they join)."""
    tally: ReportingTally

    @classmethod
    def build(
        cls,
        s: Scenario,
        core: Core,
        streams: Streams,
        asylum: Asylum,
        correspondence: Correspondence,
        departure: Departure,
        enforcement: Enforcement,
    ) -> Reporting:
        part = cls(
            core=core,
            asylum=asylum,
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
            leaver=streams.uniform("reporting.leaver"),
            tag=streams.uniform("reporting.tag"),
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

    def summary(self) -> dict[str, float | int]:
        t = self.tally
        return {
            "absconded_from_reporting": t.absconded,
            "reports": sum(t.reports),
            "missed_reports": sum(t.missed),
            "tagged_reportees": t.tags,
        }

    def costs(self, c: Costs) -> dict[str, float]:
        reports = self.tally.reports
        return {
            "reporting": sum(reports[i] * getattr(c.report, ch) for i, ch in enumerate(REPORT_CHANNELS)),
            "missed_reports": sum(self.tally.missed) * c.missed_report,
            "electronic_monitoring": self.tally.tagged_days * c.electronic_monitoring_day,
        }

    def resources(self, horizon: float) -> list[dict[str, Any]]:
        """The centres' interviews: each in-person report is one, served at once or not at all
        (an in-person reportee the centres cannot take is put on telephone: ``blocked``)."""
        centre = self.centre
        return [
            {
                "resource": centre.name,
                "capacity": centre.mean_capacity(horizon),
                "arrivals": self.tally.reports[0],
                "served": self.tally.reports[0],
                "reneged": 0,
                "blocked": centre.refused,
                "utilisation": centre.utilisation(horizon),
            }
        ]

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
        """Start ``p`` reporting on channel ``ch``, in person only if the centres can take the load,
        with an electronic tag for a ``tagged_share`` of them."""
        if self.params.tagged_share > 0.0 and self.tag(p.pid) < self.params.tagged_share:
            self.tally.tags += 1
            self.tally.tagged[p.pid] = self.core.env.now
        if ch == IN_PERSON:
            per_day = 1.0 / self.params.interval[IN_PERSON]
            if self.centre.try_book(per_day):
                self.tally.booked[p.pid] = per_day
            else:
                ch = TELEPHONE  # the centres are full (counted in ``centre.refused``)
        p.channel = ch

    def leave(self, p: Person) -> None:
        """Leave hook of REPORTING: release the centre booking and take off the tag."""
        fitted = self.tally.tagged.pop(p.pid, None)
        if fitted is not None:
            self.tally.tagged_days += self.core.env.now - fitted
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
        n_out = self.params.misses_to_out_of_contact  # as on joining, for the whole spell
        if p.channel == NOT_REPORTING:
            acted = yield from self._notice(p)
            if not acted:
                return Outcome.MOVED
        if p.propensity == UNDRAWN:
            self._draw_propensity(p)
        s = _Spell(env.now, self.abscond(pid), env.now, n_out, p.channel, now=env.now)
        gap = -1.0  # days to the next report (set from the interval once the rates are read)
        log, horizon = self.core.rec.keep_log, self.core.horizon
        while True:
            # (the spell is ahead of the clock only before the next change day, so here it is at
            # the clock)
            if s.now >= s.change:
                if p.decision_at <= env.now and self.asylum.decide(p):
                    return Outcome.MOVED  # granted leave
                self._read_rates(p, s)
            if gap < 0:
                gap = s.interval
            first = s.now + gap  # time of the next report
            if s.p_event <= 0.0:
                if s.change == math.inf and s.abscond_at == math.inf:
                    # reports for ever and nothing else happens: settled at the horizon
                    self.tally.pending[pid] = (first, s.interval, QUIET_FOR_EVER, s.ch)
                    return Outcome.DORMANT
                k = QUIET_FOR_EVER  # quiet until the change or absconding
            else:
                k = geometric_trials(self.next_event(pid), s.p_event)
            event_at = first + (k - 1) * s.interval
            if s.abscond_at < event_at and s.abscond_at < s.change:
                yield from self._stop_reporting(p, s, first, k)
                return Outcome.MOVED
            if event_at >= s.change:
                # reports from the change day on follow the new rates: the reports before it
                # are quiet (given the event is later, by memorylessness), then draw again
                quiet = min(max(0, math.ceil((s.change - first) / s.interval)), k - 1)  # before the change
                yield from self._quiet(pid, first, s.interval, quiet, s.ch, s.change, s.now)
                s.now = env.now
                gap = first + quiet * s.interval - env.now  # the next report, at or after the change
                continue
            until = s.now + (event_at - s.now)  # where a timeout from s.now would end
            if log or until >= horizon:
                yield from self._quiet(pid, first, s.interval, k - 1, s.ch, event_at, s.now)
                s.now = env.now
            else:  # played ahead of the clock: the quiet reports are all before the horizon
                self.tally.reports[s.ch] += k - 1
                s.now = until
            gap = -1.0
            outcome = yield from self._at_event(p, s)
            if outcome is not None:
                return outcome

    def _draw_propensity(self, p: Person) -> None:
        """Draw, once, whether ``p`` would disappear early (``leaver_share`` of their case type: their
        hazard is then ``leaver_hazard``) and their gamma propensity otherwise. The mixture is what
        lets a new cohort lose contact fast while a long-standing population, made of those who
        stayed, loses it slowly (issue 18: the GPS pilot cohort against the 2016 stock)."""
        p.propensity = self.propensity(p.pid)  # drawn for leavers too: a person's draws do not depend on it
        p.leaver = self.leaver(p.pid) < self.params.leaver_share[p.case_type]

    def _notice(self, p: Person) -> Generator[simpy.Event, Any, bool]:
        """Serve the reporting notice and put ``p`` on a channel; False if they never act on it:
        the reports due on the channel are then missed until contact is lost (moved)."""
        env = self.core.env
        received, acted = yield from self.correspondence.serve(p, p.cause in IN_PERSON_NOTICE)
        ch = self.assigned(p)
        if acted:
            self.join(p, ch)
            return True
        yield env.timeout(self.params.interval[ch])
        yield from self._miss_until_lost(p, ch, self.params.interval[ch])
        self.core.move(
            p, State.OUT_OF_CONTACT, "never_reported" if received else "reporting_notice_not_received"
        )
        return False

    def _read_rates(self, p: Person, s: _Spell) -> None:
        """A scenario change day, or ``p``'s asylum decision day, has passed (or the rates were never
        read): run the absconding clock down to it under the old hazard, then read the rates in
        force for ``p``. The decision day is a change day of this person's own: a refusal raises
        the hazard and lifts the barrier that kept them from detention at a report."""
        if s.change > s.start:
            s.used += self._cumulative(s.h, s.change - s.start) - self._cumulative(
                s.h, s.regime_start - s.start
            )
            s.regime_start = s.change
        s.change = min(self.core.next_change(self.core.env.now), p.decision_at)
        params = self.params
        ch = s.ch = p.channel
        s.interval = params.interval[ch]
        adverse = params.adverse_multiplier if p.adverse else 1.0
        q = s.q = min(1.0, params.miss[ch] * p.defy * adverse)
        a = s.a = min(1.0, params.promotion[ch] * p.comply)
        d = params.detention_on_reporting if ch == IN_PERSON and p.barrier == NO_BARRIER else 0.0
        attended_event = s.attended_event = a + (1.0 - a) * d
        s.p_event = q + (1.0 - q) * attended_event
        h = (params.leaver_hazard if p.leaver else params.hazard * p.propensity) * adverse
        if p.pid in self.tally.tagged:
            h *= params.tagged_hazard_multiplier
        s.h = h
        since = s.regime_start - s.start
        s.abscond_at = s.start + self._time_at(h, s.clock - s.used + self._cumulative(h, since))

    def _quiet(
        self, pid: int, first: float, interval: float, n: int, ch: int, until: float, now: float
    ) -> Generator[simpy.Event, Any, None]:
        """Wait from day ``now`` (the clock's, or the spell's ahead of it) until day ``until`` over
        ``n`` quiet reports every ``interval`` days from day ``first``, counted (and logged) after
        the wait; a wait the horizon cuts short is settled by :meth:`settle`. The wait ends at
        ``now + (until - now)``, where a timeout from ``now`` would."""
        pending = self.tally.pending
        pending[pid] = (first, interval, n, ch)
        yield compat.at(self.core.env, now + (until - now))
        del pending[pid]
        self.tally.reports[ch] += n
        if self.core.rec.keep_log:
            self._log_reports(pid, first, interval, n, ch, "attended")

    def _stop_reporting(
        self, p: Person, s: _Spell, first: float, k: int
    ) -> Generator[simpy.Event, Any, None]:
        """``p`` decides to stop reporting before the ``k``-th report from day ``first``: the
        reports before are attended, then all are missed until contact is lost (moved)."""
        quiet = min(max(0, math.ceil((s.abscond_at - first) / s.interval)), k - 1)
        yield from self._quiet(p.pid, first, s.interval, quiet, s.ch, first + quiet * s.interval, s.now)
        self.tally.absconded += 1
        yield from self._miss_until_lost(p, s.ch, s.interval)
        self.core.move(p, State.OUT_OF_CONTACT, "stopped_reporting")

    def _at_event(self, p: Person, s: _Spell) -> Generator[simpy.Event, Any, Outcome | None]:
        """An eventful report on day ``s.now`` (at the clock, or ahead of it): a run of misses, or
        an attended report at which ``p`` agrees to leave or is detained, for which the clock is
        brought to it. The outcome if ``p`` left reporting, None if they report on (the spell
        then at the report that ended a run of misses, perhaps still ahead of the clock)."""
        pid = p.pid
        if self.event_kind(pid) * s.p_event < s.q:
            lost = yield from self._missed_run(p, s)
            if lost:
                return Outcome.MOVED
            u = self.attended_event(pid)  # at the report that ended the run, day s.now
            if u >= s.attended_event and s.now < s.change and s.now < self.core.horizon:
                return None  # nothing happens there: the spell goes on from it, ahead of the clock
            yield from self._catch_up(s)
            if u >= s.attended_event:
                return None
            agree = u < s.a
        else:
            yield from self._catch_up(s)
            self._attended(p, s.ch)
            agree = self.attended_event(pid) * s.attended_event < s.a
        if agree:
            paused = self.core.env.now
            left = yield from self.departure.depart(p)
            if left:
                return Outcome.MOVED
            # the hazard of absconding on reporting was paused while departure was arranged
            # (the absconding part's hazard ran instead): run the clock down to the pause,
            # and resume it from now with the rates read again
            s.used += self._cumulative(s.h, paused - s.start) - self._cumulative(
                s.h, s.regime_start - s.start
            )
            s.regime_start = s.now = self.core.env.now
            s.change = -math.inf
            return None
        # detention on reporting: the reporting centre signposts the case (002 §13.9)
        if self.enforcement.tasking_check(p):
            self.enforcement.gatekeep(p, "detained_on_reporting")
        return Outcome.MOVED if p.state != State.REPORTING else None

    def _missed_run(self, p: Person, s: _Spell) -> Generator[simpy.Event, Any, bool]:
        """A report missed on day ``s.now`` and the run of misses it begins: True if the run
        reached ``misses_to_out_of_contact`` (then out of contact), False if a report ended it
        (attended, counted, on day ``s.now``).

        The reports of a run involve nobody else, so the run is played ahead of the clock, each
        report an interval after the last as a timeout would put it, and counted if before the
        horizon: the process waits only where something must happen at the clock (contact lost
        at the last miss; with the event log, every report, recorded in order). Most runs end at
        the next report, attended and uneventful: the spell then goes on from it without waking
        there (:meth:`_at_event`)."""
        pid = p.pid
        env = self.core.env
        log = self.core.rec.keep_log
        horizon = self.core.horizon
        self._missed(p, s.ch)
        run = 1
        t = s.now
        while run < s.n_out:
            t = t + s.interval
            if log:
                yield env.timeout(s.interval)  # (the clock is then at t)
            if self.missed_again(pid) < s.q:
                if t < horizon:
                    self._missed(p, s.ch)
                run += 1
            else:
                break
        s.now = t
        if run >= s.n_out:
            yield from self._catch_up(s)
            self.core.move(p, State.OUT_OF_CONTACT, "missed_reports")
            return True
        if t < horizon:
            self._attended(p, s.ch)
        return False

    def _catch_up(self, s: _Spell) -> Generator[simpy.Event, Any, None]:
        """Wait until the day the spell was played to (``s.now``), exactly, if it is ahead of the
        clock (never, at or after the horizon)."""
        env = self.core.env
        if s.now > env.now:
            yield compat.at(env, s.now)

    def settle(self, horizon: float) -> None:
        """Count (and, with the event log, record) the quiet reports made before the horizon in
        jumps the horizon cut short, and the days of the tags still worn."""
        self.tally.tagged_days += sum(horizon - fitted for fitted in self.tally.tagged.values())
        reports = self.tally.reports
        log = self.core.rec.keep_log
        for pid, (first, interval, quiet, ch) in self.tally.pending.items():
            if first <= horizon:
                # the reports at first + i x interval up to the horizon, exactly as they are logged
                n = min(quiet, int((horizon - first) / interval) + 1)
                n += n < quiet and first + n * interval <= horizon
                n -= first + (n - 1) * interval > horizon
                reports[ch] += n
                if log:
                    self._log_reports(pid, first, interval, n, ch, "attended")
        self.tally.pending.clear()


__all__ = ["ENTERED_ON_REPORTING", "Reporting", "ReportingTally"]
