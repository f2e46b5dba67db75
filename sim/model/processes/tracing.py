"""Out of contact: tracing and passive re-discovery (001 rec 5; 001 introduction).

Losing contact starts two competing clocks. Passive re-discovery runs for everyone: data
matching and the checks made by banks, landlords, the DVLA and the NHS find a share of people
each day. Active tracing is for those the policy refers (nearly all high-harm cases, fewer
others): a limited team of tracers makes up to ``max_actions`` actions, each with a chance of
finding the person. Whoever finds them first, the person is either tasked for arrest or put
back on reporting conditions.

A person found again has their contact details brought up to date with a stated probability
(``details_refreshed_probability``); the others keep the details they had.

This part owns the out-of-contact state, so it also counts the people who lose contact at least
once (its enter hook) and declares absconders: losing contact is not the same as being declared an
absconder (FIGURES.md). Each loss of contact starts a declaration lag (``absconding.declaration_lag_days``,
the enquiries before a formal declaration); someone still out of contact when it ends is declared,
and stays declared until found (the leave hook clears it).

On a scenario change day (``Scenario.changes``) the data-matching clock of everyone waiting only
for it is drawn again at the new rate (it is memoryless, so this is exact); for someone still being
actively traced, the clock drawn when they were lost runs until the tracing ends.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import simpy

from sim.model import compat
from sim.model.core import Core, Part, from_section
from sim.model.person import GOOD, Person
from sim.model.processes.enforcement import Enforcement
from sim.model.resources import BookedPool
from sim.model.states import Outcome, State
from sim.model.streams import Delay, Draw, Streams
from sim.scenario.schema import Costs, Scenario


@dataclass
class TracingTally:
    absconded: int = 0
    """People who lost contact at least once."""
    actions: int = 0
    """Tracing actions started before the horizon (each costs ``costs.tracing_action``)."""
    declarations: int = 0
    """Absconders declared before the horizon."""
    declared_people: set[int] = field(default_factory=set)
    """Ids of the people declared at least once before the horizon."""
    declaration_days: float = 0.0
    """Sum of the days from losing contact to declaration, over the declarations."""
    refreshed: int = 0
    """People found again whose contact details were brought up to date."""


@dataclass(frozen=True, slots=True)
class TracingParams:
    """What the tracing part reads from its scenario section, typed (probabilities, rates per
    day, days; tuples in category-code order)."""

    passive_rate_per_day: float
    """Chance per day of being found by data matching and third-party checks."""
    referral_probability_high: float
    referral_probability_normal: float
    max_actions: int
    success_probability: float
    arrest_on_trace_probability: float
    details_refreshed_probability: float
    """Probability a found person's contact details are brought up to date."""
    declaration_probability: float
    """Chance a loss of contact is ever declared if the person is not found first (absconding section)."""

    @classmethod
    def of(cls, s: Scenario) -> TracingParams:
        """The parameters in force under scenario ``s``."""
        return from_section(cls, s.tracing, declaration_probability=s.absconding.declaration_probability)


@dataclass(slots=True)
class Tracing(Part):
    """The tracing team and passive re-discovery."""

    core: Core
    params: TracingParams
    """The part's parameters, swapped whole by :meth:`retune` on a change day."""
    enforcement: Enforcement
    tracers: BookedPool
    passive: Draw
    referred: Draw
    interval: Delay
    """Days between tracing actions."""
    action: Delay
    """Days a tracing action occupies a tracer."""
    succeeds: Draw
    arrested: Draw
    refreshed: Draw
    declaration_lag: Delay
    """Days from losing contact to being declared an absconder."""
    declared: Draw
    """Whether a loss of contact will be declared (one draw per loss of contact)."""
    tally: TracingTally

    @classmethod
    def build(cls, s: Scenario, core: Core, streams: Streams, enforcement: Enforcement) -> Tracing:
        t = s.tracing
        part = cls(
            core=core,
            enforcement=enforcement,
            tracers=BookedPool(core.env, "tracers", t.team_size, s.horizon_days),
            passive=streams.exponential("tracing.passive"),
            referred=streams.uniform("tracing.referral"),
            interval=streams.delay("tracing.interval", t.interval_days),
            action=streams.delay("tracing.action", t.action_days),
            succeeds=streams.uniform("tracing.success"),
            arrested=streams.uniform("tracing.arrest_on_trace"),
            refreshed=streams.uniform("tracing.details_refreshed"),
            declaration_lag=streams.delay("tracing.declaration_lag", s.absconding.declaration_lag_days),
            declared=streams.uniform("tracing.declared"),
            tally=TracingTally(),
            params=TracingParams.of(s),
        )
        core.on_enter(State.OUT_OF_CONTACT, part.lost)
        core.on_leave(State.OUT_OF_CONTACT, part.found)
        return part

    def summary(self) -> dict[str, float | int]:
        t = self.tally
        return {
            "absconded": t.absconded,
            "declarations": t.declarations,
            "declared_people": len(t.declared_people),
            "declaration_lag_mean_days": t.declaration_days / max(t.declarations, 1),
            "tracing_actions": t.actions,
        }

    def costs(self, c: Costs) -> dict[str, float]:
        return {"tracing": self.tally.actions * c.tracing_action}

    def resources(self, horizon: float) -> list[dict[str, Any]]:
        return [vars(self.tracers.stats(horizon))]

    def retune(self, s: Scenario) -> None:
        """New parameters and team size from a change day on (actions booked are kept; the
        clock of passive re-discovery is re-drawn at the change with the new rate)."""
        t = s.tracing
        self.params = TracingParams.of(s)
        self.interval.retune(t.interval_days)
        self.action.retune(t.action_days)
        self.declaration_lag.retune(s.absconding.declaration_lag_days)
        self.tracers.resize(t.team_size)

    def lost(self, p: Person) -> None:
        """Enter hook of OUT_OF_CONTACT: count the first loss of contact of each person, and start
        the declaration lag of this episode (one event, only if it ends before the horizon)."""
        if not p.absconded:
            p.absconded = True
            self.tally.absconded += 1
        p.losses += 1
        lag = self.declaration_lag(p.pid)
        if self.declared(p.pid) >= self.params.declaration_probability:
            return  # this loss of contact is never declared (lag drawn all the same: CRN)
        compat.call_later(self.core.env, lag, self._declare, p, p.losses)

    def _declare(self, p: Person, episode: int) -> None:
        """The declaration lag of loss of contact number ``episode`` has ended: declare ``p`` an
        absconder if that episode is still going on."""
        if p.state == State.OUT_OF_CONTACT and p.losses == episode:
            now = self.core.env.now
            p.declared = True
            self.tally.declarations += 1
            self.tally.declared_people.add(p.pid)
            self.tally.declaration_days += now - p.since
            self.core.rec.act(p.pid, now, "declared_absconder", "absconder_unit")

    def found(self, p: Person) -> None:
        """Leave hook of OUT_OF_CONTACT: a declared absconder found again is one no more."""
        p.declared = False

    def _passive_at(self, p: Person) -> float:
        """When data matching would find ``p``, drawn now at the current rate (inf at rate 0)."""
        rate = self.params.passive_rate_per_day
        return self.core.env.now + self.passive(p.pid) / rate if rate > 0 else math.inf

    def process(self, p: Person) -> Generator[simpy.Event, Any, Outcome]:
        """OUT_OF_CONTACT state: trace and/or wait to be found, then re-establish contact or arrest."""
        env = self.core.env
        pid = p.pid
        passive_at = self._passive_at(p)
        how = ""
        params = self.params
        refer = params.referral_probability_high if p.high_priority else params.referral_probability_normal
        if self.referred(pid) < refer:
            how = yield from self._trace(p, passive_at)
        if not how:
            # wait for data matching; the rate may change on a change day, when the clock (which
            # is memoryless) is drawn again with the new rate
            while (yield from self.core.stop_at_change(passive_at - env.now)):
                passive_at = self._passive_at(p)
            if math.isinf(passive_at):
                return Outcome.DORMANT
            yield env.timeout(max(0.0, passive_at - env.now))
            how = "data_match"
        if self.refreshed(pid) < self.params.details_refreshed_probability:
            p.quality = GOOD
            self.tally.refreshed += 1
        arrest = self.arrested(pid) < self.params.arrest_on_trace_probability
        # an asylum claim still to be decided (asylum part) is a barrier the Home Office knows of:
        # nobody is arrested for removal before the decision, so contact is re-established instead
        # (arresting them would only take an arrest team to a detention refusal and send the claim
        # to casework as if it were a legal challenge)
        if arrest and math.isinf(p.decision_at):
            return (yield from self.enforcement.refer(p, how))
        self.core.move(p, State.REPORTING, f"contact_reestablished_{how}")
        return Outcome.MOVED

    def _trace(self, p: Person, passive_at: float) -> Generator[simpy.Event, Any, str]:
        """Active tracing until ``p`` is found, the actions run out, or data matching (due on day
        ``passive_at``) would find them first: ``"traced"`` if an action found them, else ``""``."""
        env = self.core.env
        pid = p.pid
        busy = 0.0  # days until the previous action ends
        for _ in range(self.params.max_actions):
            wait = busy + self.interval(pid)
            if env.now + wait >= passive_at:
                break
            yield env.timeout(wait)
            # the action is queued for a tracer and its start and end known now (FCFS, no
            # reneging); it counts (and costs) if it starts before the horizon
            start, end = self.tracers.book(self.action(pid))
            if math.isinf(end):
                break  # no tracers: only passive re-discovery can find the person
            success = self.succeeds(pid) < self.params.success_probability
            if start <= self.core.horizon:
                self.tally.actions += 1
                outcome = "found" if success else "not_found"
                self.core.rec.act(pid, start, "tracing_action", "tracers", outcome)
            busy = end - env.now
            if success:
                if end >= passive_at:
                    break  # found by data matching while the action waited or ran
                yield env.timeout(busy)
                return "traced"
        return ""


__all__ = ["Tracing", "TracingTally"]
