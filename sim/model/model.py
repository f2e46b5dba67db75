"""One replication: the environment, the domain parts, the cohort and each person's process.

The model builds everything in one place, from the scenario: the core (clock, recorder, the one
way to change a person's state), the keyed random streams, the cohort, and one *part* per domain
concept, each owning its parameters, streams, resources and counts (``sim/model/processes/``).
It holds no policy logic itself. Each person who does something before the horizon runs one
generator, started when they first do (:meth:`Model.start`), that hands control to the process of
the state they are in (:meth:`Model.after_pool`); that process either moves the person
to another state, or reports that nothing more will happen before the horizon (``Outcome.DORMANT``)
so no event is scheduled for them.

How a parameter reaches the event that uses it: ``Scenario`` (validated, frozen) ->
``<Part>.build(scenario, ...)`` builds its frozen, typed ``params`` (``<Part>Params.of``: tuples
indexed by category code, probabilities, rates) beside its keyed ``Draw`` streams and resources ->
the part's process reads ``self.params.<field>`` when the event happens.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable, Generator, Iterator
from functools import partial
from typing import Any

import numpy as np
import simpy

from sim.model import compat
from sim.model.core import Core, Part
from sim.model.person import Cohort, Person, count_people, sample_cohort
from sim.model.processes.absconding import Absconding
from sim.model.processes.asylum import Asylum
from sim.model.processes.casework import Casework
from sim.model.processes.contact import Contact, ContactPhase, phase_key
from sim.model.processes.correspondence import Correspondence
from sim.model.processes.departure import Departure
from sim.model.processes.detention import Detention
from sim.model.processes.enforcement import Enforcement
from sim.model.processes.reporting import ENTERED_ON_REPORTING, Reporting
from sim.model.processes.tracing import Tracing
from sim.model.recorder import InvariantError, Recorder
from sim.model.states import Outcome, State
from sim.model.streams import Streams
from sim.scenario.schema import Scenario

StateProcess = Callable[[Person], Generator[simpy.Event, Any, Outcome]]
SNAPSHOT_DAYS = 7.0
"""Days between the counts of people in each state kept for ``timeseries.csv``."""


@contextlib.contextmanager
def rare_collections() -> Iterator[None]:
    """Collect garbage rarely while a replication is built and run.

    A cohort is a hundred thousand live people, planned steps and, during the run, generators:
    with the default thresholds the cyclic collector rescans them over and over as they are made
    (measured: ~37% of a full-cohort run). Nearly all of them live until the replication ends,
    so there is little to collect early.
    """
    thresholds = gc.get_threshold()
    gc.set_threshold(200_000, 50, 1000)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


CONTACT_PHASE = "contact_phase"
"""Name of the section made of the cohort's draws and the contact phase (see ``PHASES``)."""
PHASES: dict[str, tuple[Cohort, ContactPhase]] = {}
"""The last contact phase this process played, by its key (``phase_key``), with its cohort's
draws: the next replication with the same key (another policy of a compare, or another point of
a design, for the same replication) takes them instead of drawing, planning and playing them
again; they are identical under common random numbers. One is kept: the engine runs the
replications that share a phase one after another (``engine.execute``), and a kept phase raises
a full-cohort replication's peak memory by ~16 MiB (docs/performance.md, 2026-12-06). Nothing
else is reused within a replication: every other part interacts, through capacity, with what a
policy changes."""


class Model:
    """Everything one replication needs, built from one scenario, one seed and one replication."""

    def __init__(
        self, scenario: Scenario, replication: int, root_seed: int, keep_log: bool = False, reuse: bool = True
    ) -> None:
        """``reuse``: take the contact phase played by an earlier replication with the same inputs
        in this process (``PHASES``), if any, and keep this one's for the next; never with the
        event log (the log is recorded as the phase is played)."""
        self.scenario = scenario
        self.replication = replication
        self.root_seed = root_seed
        s = scenario
        self.env = env = compat.Environment(s.horizon_days)
        self.rec = Recorder(keep_log, lambda: env.now)  # not self.env: no cycle through the model
        self.regimes = s.regimes()
        """The scenario in force from each change day (``Scenario.changes``), in day order."""
        self.core = core = Core(self.env, self.rec, [day for day, _ in self.regimes])
        self.streams = streams = Streams(root_seed, replication)
        self.phase_key = phase_key(s, root_seed, replication) if reuse and not keep_log else None
        reused = PHASES.get(self.phase_key) if self.phase_key is not None else None
        if reused is None:
            PHASES.clear()  # before drawing this replication's: one phase in memory at a time
            streams.people = count_people(s, streams)
            self.cohort = cohort = sample_cohort(s, streams, streams.people)
        else:
            streams.people = reused[0].size
            self.cohort = cohort = reused[0].fresh()
        if keep_log:  # every entry is logged with its person (``Contact.play``)
            cohort.make(np.arange(len(cohort)))
        self.sections = {CONTACT_PHASE: self.phase_key} if self.phase_key is not None else {}
        """Section name -> content hash of its inputs, for the sections that may be reused."""
        self.reused = (CONTACT_PHASE,) if reused is not None else ()
        """The sections taken from an earlier replication (see ``PHASES``)."""
        # the parts, each after the parts it hands people to
        self.absconding = absconding = Absconding.build(s, core, streams)
        self.correspondence = correspondence = Correspondence.build(s, core, streams)
        self.detention = detention = Detention.build(s, core, streams)
        self.enforcement = enforcement = Enforcement.build(s, core, streams, absconding, detention)
        self.departure = departure = Departure.build(s, core, streams, absconding, enforcement)
        self.casework = Casework.build(s, core, streams, absconding, correspondence, enforcement)
        self.tracing = Tracing.build(s, core, streams, enforcement)
        self.asylum = asylum = Asylum.build(s, core, streams, cohort)
        self.reporting = Reporting.build(s, core, streams, asylum, correspondence, departure, enforcement)
        self.contact = Contact.build(s, core, streams, cohort, None if reused is None else reused[1])
        processes: dict[State, StateProcess] = {
            State.POOL: self.contact.process,
            State.IN_CONTACT: self.departure.process,
            State.REPORTING: self.reporting.process,
            State.OUT_OF_CONTACT: self.tracing.process,
            State.CASEWORK: self.casework.process,
            State.DETAINED: self.detention.process,
        }
        self.processes: list[StateProcess] = [processes[st] for st in sorted(processes)]
        self.parts: tuple[Part, ...] = (
            self.absconding,
            self.correspondence,
            self.detention,
            self.enforcement,
            self.departure,
            self.casework,
            self.tracing,
            self.reporting,
            self.contact,
            self.asylum,
        )
        self.people: list[Person | None] = cohort.people
        """Everyone entering before the horizon, in order of entry; None for the people the run
        never needed to make (``Cohort.people``)."""
        self.timeseries: list[tuple[float, list[int]]] = []
        self.wall_seconds = 0.0
        self.events = 0
        self._starts: list[tuple[float, int, Person]] = []
        """The starts still to schedule, the next last (:meth:`start`)."""

    # -- processes -------------------------------------------------------------------------------
    def start(self, entered: list[float], at_entry: list[bool]) -> None:
        """Start the processes of the people who do something before the horizon, one event each.

        ``entered`` is each person's entry time on the run's clock, ``at_entry`` whether their
        entry needs an event (``Contact.play``, by place in entry order). A person on reporting
        from entry, or leaving the pool at entry, starts at entry (the entry is recorded in the
        same event); one who leaves the pool later starts at that exit (the contact phase was
        played before the run); everyone else, most of the cohort, never needs an event: their
        entry is recorded when the clock reaches it (``Recorder.enter_later``). The starts are
        scheduled one after another, each at the previous one, so SimPy's queue stays short.
        """
        exits = self.contact.exits
        starts: list[tuple[float, int, Person]] = []  # (time, 1 if at entry, person)
        for p, when, event in zip(self.people, entered, at_entry, strict=True):
            if p is None:
                continue
            if event:
                starts.append((when, 1, p))
            elif (leave := exits.get(p.pid)) is not None:
                starts.append((leave[0], 0, p))
        starts.sort(key=lambda start: start[0])
        # the people who will take decisions: their first draws worked out at once
        self.streams.prefetch(np.array([p.pid for _, _, p in starts], dtype=np.int64))
        starts.reverse()  # taken from the end, so each is freed once started
        self._starts = starts
        self._start_next()

    def _start_next(self, _: simpy.Event | None = None) -> None:
        """Schedule the next start (see :meth:`start`): a person's process, at exactly its time."""
        if not self._starts:
            return
        when, at_entry, p = self._starts.pop()
        process = (
            self.after_pool(p)  # on reporting from entry (``_started``)
            if self.cohort.on_reporting[p.pid]
            else self.contact.process(p, self.after_pool)
        )
        compat.start_at(self.env, process, when, partial(self._started, p) if at_entry else self._start_next)

    def _started(self, p: Person, _: simpy.Event) -> None:
        """At the entry of a person whose process starts then: record the entry, schedule the next
        start. A person who enters on reporting conditions (``cohort.entry_on_reporting_share``)
        leaves the pool there, with the notice handed over in person, and never meets the contact
        process (their process is :meth:`after_pool`)."""
        self.rec.enter(p, self.env.now)
        self._start_next()
        if self.cohort.on_reporting[p.pid]:
            self.core.move(p, State.REPORTING, ENTERED_ON_REPORTING)

    def after_pool(self, p: Person) -> Generator[simpy.Event, Any, Outcome]:
        """A person's life after the pool: hand control to the process of their state, in turn."""
        processes = self.processes
        visits = self.rec.visits
        while p.state < State.DEPARTED_VOLUNTARY:
            state = p.state
            entries = visits[state]
            outcome = yield from processes[state](p)
            if outcome is Outcome.DORMANT:
                return outcome
            if outcome is Outcome.MOVED and p.state == state and visits[state] == entries:
                raise InvariantError(f"process for {State(state).label} returned without a change")
        return Outcome.MOVED

    def schedule_changes(self) -> None:
        """One event per change day, created before anything else so that, on its day, it is
        handled before any person's event: everyone then sees the new values."""
        for day, scenario in self.regimes:
            compat.call_later(self.env, day, self.apply_change, scenario)

    def apply_change(self, scenario: Scenario) -> None:
        """Give every part the values in force from today (``scenario``, one of the regimes)."""
        for part in self.parts:
            part.retune(scenario)

    def snapshots(self, every: float = SNAPSHOT_DAYS) -> Generator[simpy.Event, Any, None]:
        horizon = self.scenario.horizon_days
        t = 0.0
        while t < horizon:
            self.rec.catch_up(self.env.now, strict=True)
            self.timeseries.append((t, list(self.rec.counts)))
            t += every
            yield self.env.timeout(min(every, horizon - self.env.now))

    def run(self) -> Model:
        started = time.perf_counter()
        horizon = self.scenario.horizon_days
        phase = self.contact.play(self.cohort, [(day, s.contact.agents) for day, s in self.regimes])
        if self.phase_key is not None:
            PHASES[self.phase_key] = (self.cohort.without_people(), phase)
        self.schedule_changes()
        self.env.process(self.snapshots())
        self.start(phase.entered, phase.has_event)
        self.env.run_to_horizon()
        self.rec.catch_up(horizon, strict=True)
        self.timeseries.append((horizon, list(self.rec.counts)))
        self.rec.close(self.people, phase.entered, horizon)
        self.contact.settle(horizon)
        self.reporting.settle(horizon)
        self.asylum.settle(horizon)
        self.events = compat.events_scheduled(self.env)
        self.wall_seconds = time.perf_counter() - started
        return self

    def dispose(self) -> None:
        """Break the reference cycles a finished run leaves, so reference counting frees the model
        at once instead of a full garbage collection scanning it (~0.8 s for a full cohort):
        pending events hold suspended processes, whose generators hold the model; the core's hooks
        hold the parts that hold the core."""
        compat.drop_pending(self.env)
        for pool in (self.casework.caseworkers, self.enforcement.teams, self.detention.beds):
            pool.dispose()
        self.core.dispose()
        self.people.clear()
        self.processes.clear()


__all__ = ["Model", "StateProcess"]
