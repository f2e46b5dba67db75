"""One replication: the SimPy environment, the resources, the cohort and each person's process.

The model object owns ``env`` and wires the domain processes together; it holds no policy logic
itself. Each person runs one generator (:func:`person_process`) that hands control to the
process of the state the person is in (contact management, reporting, tracing, casework,
detention...). A state's process either moves the person to another state, or returns
``DORMANT`` when nothing more will happen to the person before the horizon (for example a case
whose contact attempts and data checks are exhausted), so no event is scheduled for them.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import simpy

from sim.model.person import Person, sample_cohort
from sim.model.processes import casework, contact, correspondence, departure, enforcement, reporting, tracing
from sim.model.recorder import InvariantError, Recorder
from sim.model.resources import BookedPool, Pool
from sim.model.states import State
from sim.model.streams import Streams
from sim.scenario.schema import Scenario

DORMANT = "dormant"
"""Returned by a state process when the person will have no further event before the horizon."""

Handler = Callable[["Model", Person], Generator[simpy.Event, Any, Any]]


@dataclass
class Counters:
    """Activity counts of one replication (costs are computed from these after the run)."""

    attempts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(contact.CHANNELS, 0))
    reports: list[int] = field(default_factory=lambda: [0, 0, 0])  # by reporting channel
    enrichment_checks: int = 0
    notices: int = 0
    tracing_actions: int = 0
    decisions: int = 0
    arrests: int = 0
    removals: int = 0
    assisted_returns: int = 0
    complaints: int = 0
    contacted: int = 0
    absconded: int = 0
    rejections_barrier: int = 0
    rejections_no_bed: int = 0
    recorded_as_removal: int = 0
    referrals: int = 0
    tasking_deferred: int = 0
    centre_overflow: int = 0


class ReportingCentre:
    """In-person reporting capacity as interviews per day.

    A reportee on an interval of T days needs 1/T interviews a day. A new in-person reportee is
    accepted while the centres' booked load stays within capacity; otherwise they are put on
    telephone reporting. Load is integrated over time for utilisation. Individual interviews are
    not simulated (next-event sampling skips uneventful reports), which is why capacity is a
    booking constraint rather than a queue.
    """

    def __init__(self, env: simpy.Environment, capacity_per_day: float) -> None:
        self.env = env
        self.capacity = capacity_per_day
        self.load = 0.0
        self._area = 0.0
        self._last = 0.0

    def _integrate(self) -> None:
        now = self.env.now
        self._area += (now - self._last) * self.load
        self._last = now

    def try_book(self, per_day: float) -> bool:
        if self.load + per_day > self.capacity + 1e-9:
            return False
        self._integrate()
        self.load += per_day
        return True

    def cancel(self, per_day: float) -> None:
        self._integrate()
        self.load = max(0.0, self.load - per_day)

    def utilisation(self, horizon: float) -> float:
        self._integrate()
        if self.capacity <= 0 or horizon <= 0:
            return 0.0
        return min(1.0, self._area / horizon / self.capacity)


class Model:
    """Everything one replication needs; processes receive it as ``m``."""

    def __init__(self, scenario: Scenario, replication: int, root_seed: int, keep_log: bool = False) -> None:
        self.scenario = scenario
        self.replication = replication
        self.root_seed = root_seed
        self.env = simpy.Environment()
        self.rec = Recorder(keep_log)
        self.n = Counters()
        self.streams = Streams(root_seed, replication)
        self.cohort = sample_cohort(scenario, self.streams)
        self.people: list[Person] = []
        s = scenario
        env = self.env
        horizon = s.horizon_days
        self.agents = BookedPool(env, "call_centre_agents", s.contact.agents, horizon)
        self.caseworkers = Pool(env, "caseworkers", s.casework.caseworkers)
        self.tracers = BookedPool(env, "tracers", s.tracing.team_size, horizon)
        self.teams = Pool(env, "arrest_teams", s.enforcement.teams)
        self.beds = Pool(env, "detention_beds", s.detention.beds)
        rc = s.reporting.centre
        self.centre = ReportingCentre(env, rc.desks * rc.hours_per_day * 60.0 / rc.interview_minutes.mean)
        # Abscond hazard: one standard-exponential stream scaled per person.
        self.exp_abscond = self.streams.exponential("absconding.time")
        self.mean_compliance = s.cohort.compliance.mean
        self.handlers: dict[int, Handler] = {
            State.POOL: contact.contact_management,
            State.IN_CONTACT: departure.on_contact,
            State.REPORTING: reporting.reporting,
            State.OUT_OF_CONTACT: tracing.out_of_contact,
            State.CASEWORK: casework.casework,
            State.DETAINED: enforcement.detention,
        }
        # Each domain module keeps its own named streams on the model.
        for module in (contact, correspondence, departure, reporting, tracing, casework, enforcement):
            module.setup(self)
        self.timeseries: list[tuple[float, list[int]]] = []
        # Activities skipped over by next-event sampling, settled after the wait or at the horizon.
        self.pending_attempts: dict[int, tuple[float, list[tuple[float, int]]]] = {}
        self.pending_reports: dict[int, tuple[float, float, int, int]] = {}
        self.wall_seconds = 0.0
        self.events = 0

    def dispose(self) -> None:
        """Break the reference cycles a finished run leaves (pending events hold processes, whose
        generators hold the model), so reference counting frees the model at once instead of a
        full garbage collection scanning it (~0.8 s for a full cohort)."""
        # a suspended process and the event it waits for refer to each other (the event's
        # callbacks hold the process): drop the callbacks of events that will never be processed
        for *_, event in self.env._queue:  # type: ignore[attr-defined]
            event.callbacks = None
        self.env._queue.clear()  # type: ignore[attr-defined]
        for pool in (self.caseworkers, self.teams, self.beds):
            for entry in pool._queue:
                entry[0].callbacks = None
                entry.clear()
            pool._queue.clear()
        self.people.clear()
        self.handlers.clear()

    # -- helpers for processes ------------------------------------------------------------------
    def move(self, p: Person, to: int, cause: str) -> None:
        """Change state, releasing whatever the old state held (bed, reporting booking)."""
        frm = p.state
        if frm == State.DETAINED and p.bed:
            self.beds.release()
            p.bed = False
        elif frm == State.REPORTING and p.channel >= 0:
            reporting.leave(self, p)
        if to == State.OUT_OF_CONTACT and not p.absconded:
            p.absconded = True
            self.n.absconded += 1
        self.rec.move(p, to, cause, self.env.now)

    def compliance_factor(self, p: Person) -> float:
        """Scales a cohort-average chance of complying up or down for this person (mean 1)."""
        return p.compliance / self.mean_compliance

    def non_compliance_factor(self, p: Person) -> float:
        """Scales a cohort-average chance of not complying (e.g. missing a report), mean 1."""
        return (1.0 - p.compliance) / (1.0 - self.mean_compliance)

    def abscond_delay(self, p: Person) -> float:
        """Days until ``p`` would lose contact (inf if the hazard is zero)."""
        a = self.scenario.absconding
        rate = a.hazard_per_day * (a.adverse_notice_multiplier if p.adverse else 1.0)
        return self.exp_abscond() / rate if rate > 0 else math.inf

    def wait_or_abscond(self, p: Person, delay: float, cause: str) -> Generator[simpy.Event, Any, bool]:
        """Wait ``delay`` days unless the person loses contact first; True if they did."""
        a = self.abscond_delay(p)
        if a < delay:
            yield self.env.timeout(a)
            self.move(p, State.OUT_OF_CONTACT, cause)
            return True
        yield self.env.timeout(delay)
        return False

    def queue_or_abscond(self, pool: Pool, p: Person, cause: str) -> Generator[simpy.Event, Any, bool]:
        """Queue for ``pool`` while the abscond hazard runs; True once a server is held, False if
        the person lost contact while waiting (they are then out of contact)."""
        ev = pool.acquire()
        if ev is None:
            return True
        a = self.abscond_delay(p)
        if math.isinf(a):
            yield ev
            return True
        yield ev | self.env.timeout(a)
        if ev.triggered:
            return True
        pool.renege(ev)
        self.move(p, State.OUT_OF_CONTACT, cause)
        return False

    # -- processes -------------------------------------------------------------------------------
    def person_process(self, p: Person) -> Generator[simpy.Event, Any, None]:
        self.rec.enter(p, self.env.now)
        handlers = self.handlers
        while p.state < State.DEPARTED_VOLUNTARY:
            before = (p.state, self.rec.visits[p.state])
            outcome = yield from handlers[p.state](self, p)
            if outcome == DORMANT:
                return
            if (p.state, self.rec.visits[p.state]) == before and outcome != "again":
                raise InvariantError(f"process for {State(p.state).label} returned without a change")

    def arrivals(self) -> Generator[simpy.Event, Any, None]:
        env = self.env
        cohort = self.cohort
        for i, t in enumerate(cohort.entry.tolist()):
            if t > env.now:
                yield env.timeout(t - env.now)
            p = cohort.person(i)
            self.people.append(p)
            env.process(self.person_process(p))

    def snapshots(self, every: float = 7.0) -> Generator[simpy.Event, Any, None]:
        horizon = self.scenario.horizon_days
        t = 0.0
        while t < horizon:
            self.timeseries.append((t, list(self.rec.counts)))
            t += every
            yield self.env.timeout(min(every, horizon - self.env.now))

    def run(self) -> Model:
        started = time.perf_counter()
        horizon = self.scenario.horizon_days
        self.env.process(self.snapshots())
        self.env.process(self.arrivals())
        # Hundreds of thousands of live generators make the cyclic GC rescan the heap over and
        # over (measured: ~37% of a full-cohort run). Collect rarely during the run instead.
        thresholds = gc.get_threshold()
        gc.set_threshold(200_000, 50, 1000)
        try:
            self.env.run(until=horizon)
        finally:
            gc.set_threshold(*thresholds)
        self.timeseries.append((horizon, list(self.rec.counts)))
        self.rec.close(self.people, horizon)
        contact.settle_pending(self, horizon)
        reporting.settle_pending(self, horizon)
        self.events = next(self.env._eid)  # type: ignore[attr-defined]  # events scheduled
        self.wall_seconds = time.perf_counter() - started
        return self


__all__ = ["DORMANT", "Model"]
