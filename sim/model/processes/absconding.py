"""Losing contact while something is being waited for (seed 000 scope; 001 rec 5).

While a person is in contact, in casework or arranging their departure, they may disappear: a
constant hazard per day, multiplied after an adverse notice (a refusal or removal directions).
Every wait of those states runs against this clock; whichever comes first wins. The time to
losing contact is drawn fresh for each wait (the hazard is memoryless), from the person's own
``absconding.time`` stream.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import simpy

from sim.model.core import Core, Part, from_section
from sim.model.person import Person
from sim.model.resources import Pool
from sim.model.states import State
from sim.model.streams import Draw, Streams
from sim.scenario.schema import Scenario


@dataclass(frozen=True, slots=True)
class AbscondingParams:
    """What the absconding part reads from its scenario section, typed (probabilities, rates per
    day, days; tuples in category-code order)."""

    hazard_per_day: float
    """Hazard of losing contact while waiting, per day."""
    adverse_notice_multiplier: float
    """Factor on the hazard after an adverse notice."""

    @classmethod
    def of(cls, s: Scenario) -> AbscondingParams:
        """The parameters in force under scenario ``s``."""
        return from_section(cls, s.absconding)


@dataclass(slots=True)
class Absconding(Part):
    """The absconding hazard and the waits it competes with."""

    core: Core
    params: AbscondingParams
    """The part's parameters, swapped whole by :meth:`retune` on a change day."""
    time: Draw
    """Standard exponential draws per person (divided by the hazard: days to losing contact)."""

    @classmethod
    def build(cls, s: Scenario, core: Core, streams: Streams) -> Absconding:
        return cls(core=core, time=streams.exponential("absconding.time"), params=AbscondingParams.of(s))

    def retune(self, s: Scenario) -> None:
        """New parameters from a change day on (waits under way re-draw their clock at the change)."""
        self.params = AbscondingParams.of(s)

    def delay(self, p: Person) -> float:
        """Days until ``p`` would lose contact (inf if the hazard is zero)."""
        params = self.params  # read once: this runs for every wait
        rate = params.hazard_per_day * (params.adverse_notice_multiplier if p.adverse else 1.0)
        return self.time(p.pid) / rate if rate > 0 else math.inf

    def wait(self, p: Person, delay: float, cause: str) -> Generator[simpy.Event, Any, bool]:
        """Wait ``delay`` days unless the person loses contact first; True if they did (they are
        then out of contact). The clock of losing contact is memoryless, so at a scenario change
        during the wait it is re-drawn with the new hazard."""
        env = self.core.env
        remaining = delay
        while True:
            a = self.delay(p)
            waited = yield from self.core.stop_at_change(min(remaining, a))
            if waited:  # the hazard may have changed: draw the clock again
                remaining -= waited
                continue
            if a < remaining:
                yield env.timeout(a)
                self.core.move(p, State.OUT_OF_CONTACT, cause)
                return True
            yield env.timeout(remaining)
            return False

    def queue(self, pool: Pool, p: Person, cause: str) -> Generator[simpy.Event, Any, bool]:
        """Queue for ``pool`` while the hazard runs; True once a server is held, False if the
        person lost contact while waiting (they are then out of contact, and out of the queue)."""
        ev = pool.acquire()
        if ev is None:
            return True
        env = self.core.env
        while True:
            a = self.delay(p)
            to_change = self.core.next_change(env.now) - env.now
            if math.isinf(a) and math.isinf(to_change):
                yield ev
                return True
            yield ev | env.timeout(min(a, to_change))
            if ev.triggered:
                return True
            if a >= to_change:
                continue  # a scenario change: draw the clock again with the new hazard
            pool.renege(ev)
            self.core.move(p, State.OUT_OF_CONTACT, cause)
            return False


__all__ = ["Absconding"]
