"""Detention: beds, removal attempts and releases (001 rec 3, 6-7; FIGURES).

Detention holds a bed from admission until the person leaves the state, whatever moves them on:
the bed is taken by :meth:`Detention.admit` and freed by the leave hook this part registers with
the core, never by another part. Beds are a loss system: someone arriving when none is free is
turned away (the enforcement part decides what happens to them), not queued. Removals are planned
and a share cancelled (FIGURES: 40%); a cancellation caused by a new barrier releases the person
to casework, and too many failed attempts release them to reporting.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import simpy

from sim.model.core import Core, retune
from sim.model.person import LEGAL, Person
from sim.model.resources import Pool
from sim.model.states import Outcome, State
from sim.model.streams import Delay, Draw, Streams
from sim.scenario.schema import Scenario


@dataclass
class DetentionTally:
    removals: int = 0


@dataclass(frozen=True, slots=True)
class Detention:
    """The detention estate available to the cohort and what happens inside it."""

    core: Core
    beds: Pool
    max_attempts: int
    cancellation: float
    """Probability a planned removal is cancelled."""
    barrier_on_cancellation: float
    """Probability a cancellation is due to a new barrier (the person is released to casework)."""
    planning: Delay
    """Days to plan (or re-plan) a removal."""
    cancelled: Draw
    barrier: Draw
    tally: DetentionTally

    @staticmethod
    def _params(s: Scenario) -> dict[str, Any]:
        d = s.detention
        return {
            "max_attempts": d.max_removal_attempts,
            "cancellation": d.cancellation_probability,
            "barrier_on_cancellation": d.barrier_on_cancellation,
        }

    @classmethod
    def build(cls, s: Scenario, core: Core, streams: Streams) -> Detention:
        d = s.detention
        part = cls(
            core=core,
            beds=Pool(core.env, "detention_beds", d.beds),
            planning=streams.delay("detention.removal_planning", d.removal_planning_days),
            cancelled=streams.uniform("detention.cancellation"),
            barrier=streams.uniform("detention.barrier_on_cancellation"),
            tally=DetentionTally(),
            **cls._params(s),
        )
        core.on_leave(State.DETAINED, part.release)
        return part

    def retune(self, s: Scenario) -> None:
        """New parameters and number of beds from a change day on (no one is released to fit
        fewer beds: they are simply not refilled until below the new number)."""
        retune(self, self._params(s))
        self.planning.retune(s.detention.removal_planning_days)
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
        """Leave hook of DETAINED: the person's bed is free again."""
        self.beds.release()

    def process(self, p: Person) -> Generator[simpy.Event, Any, Outcome]:
        """DETAINED state: removal attempts until removal or release."""
        env = self.core.env
        pid = p.pid
        for _ in range(self.max_attempts):
            yield env.timeout(self.planning(pid))
            if self.cancelled(pid) >= self.cancellation:
                self.tally.removals += 1
                self.core.move(p, State.REMOVED, "removed")
                return Outcome.MOVED
            if self.barrier(pid) < self.barrier_on_cancellation:
                p.barrier = LEGAL
                self.core.move(p, State.CASEWORK, "released_barrier_emerged")
                return Outcome.MOVED
        self.core.move(p, State.REPORTING, "released_removal_failed")
        return Outcome.MOVED


__all__ = ["Detention", "DetentionTally"]
