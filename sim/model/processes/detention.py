"""Detention: beds, removal attempts and releases as competing risks (001 rec 3, 6-7; FIGURES).

Detention holds a bed from admission until the person leaves the state, whatever moves them on:
the bed is taken by :meth:`Detention.admit` and freed by the leave hook this part registers with
the core, never by another part. Beds are a loss system: someone arriving when none is free is
turned away (the enforcement part decides what happens to them), not queued.

Once detained, five exits compete (FIGURES: the removed share of leavers fell from 64% in 2011 to
~25% in 2020; the rest were released on bail, for no realistic prospect of removal, for
vulnerability or because of barriers):

- **removal**: removals are planned one after another; each is cancelled with a probability
  (FIGURES: 40%). A cancellation caused by a new barrier releases the person to casework
  (``released_barrier_emerged``); after ``max_removal_attempts`` failed attempts they are released
  to reporting (``released_removal_failed``);
- **bail** and **vulnerability**: constant hazards per day (``released_bail``,
  ``released_vulnerable``), re-drawn on a scenario change day (memoryless);
- **no realistic prospect of removal**: a time limit drawn at admission (``released_no_prospect``).

So the removed share of leavers and the length of detention are outputs, not constants. All
releases but the barrier one go to reporting, with the notice handed over in person.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import simpy

from sim.model.core import Core, Part, from_section
from sim.model.person import LEGAL, Person
from sim.model.resources import Pool
from sim.model.states import Outcome, State
from sim.model.streams import Delay, Draw, Streams
from sim.scenario.schema import Costs, Scenario

SHORT_STAY_DAYS = 29.0
"""Stays shorter than this are counted apart (FIGURES: 62% of 2015 leavers held < 29 days)."""
FOUR_MONTHS_DAYS = 122.0
"""Stays of at most this many days are counted apart (FIGURES: 91% of 2017 leavers within 4 months)."""


@dataclass
class DetentionTally:
    removals: int = 0
    leavers: int = 0
    """Stays that ended before the horizon, whatever the exit."""
    short_stays: int = 0
    """Of those, stays shorter than ``SHORT_STAY_DAYS``."""
    within_four_months: int = 0
    """Of those, stays of at most ``FOUR_MONTHS_DAYS``."""


@dataclass(frozen=True, slots=True)
class DetentionParams:
    """What the detention part reads from its scenario section, typed (probabilities, rates per
    day, days; tuples in category-code order)."""

    max_removal_attempts: int
    cancellation_probability: float
    """Probability a planned removal is cancelled."""
    barrier_on_cancellation: float
    """Probability a cancellation is due to a new barrier (the person is released to casework)."""
    bail_hazard_per_day: float
    """Hazard of release on bail, per day."""
    vulnerability_hazard_per_day: float
    """Hazard of release for vulnerability, per day."""

    @classmethod
    def of(cls, s: Scenario) -> DetentionParams:
        """The parameters in force under scenario ``s``."""
        return from_section(cls, s.detention)


@dataclass(slots=True)
class Detention(Part):
    """The detention estate available to the cohort and what happens inside it."""

    core: Core
    params: DetentionParams
    """The part's parameters, swapped whole by :meth:`retune` on a change day."""
    beds: Pool
    planning: Delay
    """Days to plan (or re-plan) a removal."""
    no_prospect: Delay
    """Days in detention after which a person not yet removed is released (no realistic prospect)."""
    cancelled: Draw
    barrier: Draw
    bail: Draw
    vulnerable: Draw
    tally: DetentionTally

    @classmethod
    def build(cls, s: Scenario, core: Core, streams: Streams) -> Detention:
        d = s.detention
        part = cls(
            core=core,
            beds=Pool(core.env, "detention_beds", d.beds),
            planning=streams.delay("detention.removal_planning", d.removal_planning_days),
            no_prospect=streams.delay("detention.no_prospect", d.no_prospect_days),
            cancelled=streams.uniform("detention.cancellation"),
            barrier=streams.uniform("detention.barrier_on_cancellation"),
            bail=streams.exponential("detention.bail"),
            vulnerable=streams.exponential("detention.vulnerability"),
            tally=DetentionTally(),
            params=DetentionParams.of(s),
        )
        core.on_leave(State.DETAINED, part.release)
        return part

    def summary(self) -> dict[str, float | int]:
        t = self.tally
        return {
            "detention_days": self.core.rec.occupancy[State.DETAINED],
            "detention_leavers": t.leavers,
            "detention_removed": t.removals,
            "detention_stays_under_29d": t.short_stays,
            "detention_stays_under_122d": t.within_four_months,
        }

    def costs(self, c: Costs) -> dict[str, float]:
        return {
            "detention": self.core.rec.occupancy[State.DETAINED] * c.detention_day,
            "removals": self.tally.removals * c.removal,
        }

    def resources(self, horizon: float) -> list[dict[str, Any]]:
        return [vars(self.beds.stats(horizon))]

    def retune(self, s: Scenario) -> None:
        """New parameters and number of beds from a change day on (no one is released to fit
        fewer beds: they are simply not refilled until below the new number; release clocks are
        re-drawn at the change with the new hazards)."""
        self.params = DetentionParams.of(s)
        self.planning.retune(s.detention.removal_planning_days)
        self.no_prospect.retune(s.detention.no_prospect_days)
        self.beds.resize(s.detention.beds)

    @property
    def full(self) -> bool:
        """No bed is free."""
        return self.beds.full

    def admit(self, p: Person, cause: str) -> bool:
        """Detain ``p`` if a bed is free (True); otherwise they are turned away (False, blocked)."""
        if not self.beds.seize_if_free():
            return False
        self.core.move(p, State.DETAINED, cause)
        return True

    def release(self, p: Person) -> None:
        """Leave hook of DETAINED: the person's bed is free again; the stay is counted."""
        self.beds.release()
        stay = self.core.env.now - p.since
        tally = self.tally
        tally.leavers += 1
        if stay < SHORT_STAY_DAYS:
            tally.short_stays += 1
        if stay <= FOUR_MONTHS_DAYS:
            tally.within_four_months += 1

    def _clock(self, draw: Draw, rate: float, pid: int) -> float:
        """When a release at hazard ``rate`` per day would happen, drawn now (inf at rate 0)."""
        e = draw(pid)
        return self.core.env.now + e / rate if rate > 0 else math.inf

    def process(self, p: Person) -> Generator[simpy.Event, Any, Outcome]:
        """DETAINED state: removal attempts until removal or a release, whichever comes first."""
        env = self.core.env
        pid = p.pid
        act = self.core.rec.act
        limit_at = env.now + self.no_prospect(pid)
        bail_at = self._clock(self.bail, self.params.bail_hazard_per_day, pid)
        vulnerable_at = self._clock(self.vulnerable, self.params.vulnerability_hazard_per_day, pid)
        for _ in range(self.params.max_removal_attempts):
            attempt_at = env.now + self.planning(pid)
            # at a change day the hazards may change: draw the release clocks again (memoryless)
            while (
                yield from self.core.stop_at_change(
                    min(attempt_at, bail_at, vulnerable_at, limit_at) - env.now
                )
            ):
                bail_at = self._clock(self.bail, self.params.bail_hazard_per_day, pid)
                vulnerable_at = self._clock(self.vulnerable, self.params.vulnerability_hazard_per_day, pid)
            release_at = min(bail_at, vulnerable_at, limit_at)
            if release_at < attempt_at:
                yield env.timeout(release_at - env.now)
                if release_at == bail_at:
                    cause = "released_bail"
                elif release_at == vulnerable_at:
                    cause = "released_vulnerable"
                else:
                    cause = "released_no_prospect"
                self.core.move(p, State.REPORTING, cause)
                return Outcome.MOVED
            yield env.timeout(attempt_at - env.now)
            if self.cancelled(pid) >= self.params.cancellation_probability:
                act(pid, env.now, "removal_attempt", "detention", "removed")
                self.tally.removals += 1
                self.core.move(p, State.REMOVED, "removed")
                return Outcome.MOVED
            if self.barrier(pid) < self.params.barrier_on_cancellation:
                act(pid, env.now, "removal_attempt", "detention", "cancelled_barrier")
                p.barrier = LEGAL
                self.core.move(p, State.CASEWORK, "released_barrier_emerged")
                return Outcome.MOVED
            act(pid, env.now, "removal_attempt", "detention", "cancelled")
        self.core.move(p, State.REPORTING, "released_removal_failed")
        return Outcome.MOVED


__all__ = ["Detention", "DetentionTally"]
