"""Contact management: the contractor's attempts to reach people in the pool (seed 002 §4.2-4.3).

A case is worked in rounds. In a round the call centre makes up to ``max_attempts`` attempts, one
every ``attempt_interval_days``, each by phone, text, letter or e-mail (phone calls occupy an
agent for the call). An attempt succeeds with a probability that depends on the channel and on
the quality of the person's contact details; written channels are scaled by the clarity of the
message (``contact.written_clarity``, seed 000 scope). A person with no usable details is not
called at all. When a round is exhausted, a data-enrichment check (credit reference, other
departments; 002 §4.3) may find new details (the case is recycled into another round) or evidence
that the person has left (closed as already departed). Otherwise the case lies dormant in the
pool: no more events.

**Planned, then played.** Nothing in this phase depends on anyone else except *when* a phone call
starts (agents are shared, first come first served). So every person's whole contact phase is
worked out at the start of the replication, vectorised over the cohort (:func:`plan_contact`):
which attempts are made, by which channel, which succeed, how long the waits between them are,
what each enrichment check finds. The plan's *steps* are the points at which something needs the
clock: a phone call (it books an agent), a successful written attempt, the end of an unsuccessful
round, an enrichment check. Failed written attempts need nothing but a wait, so they are folded
into the wait before the next step and counted after the run (:meth:`Contact.settle`), those
before the horizon only; with the event log, each is also recorded then, at the time it was made.

**Played before the run.** The agents' queue is first come first served and nobody leaves it, so
a call's start and end are known when it is booked: the steps need no SimPy event either. They
are played before the run, the calls in the order the run would have made them
(:meth:`Contact.play`), and a person's SimPy process starts, at one event, only if the play says
they leave the pool (at their exit): most people never leave it, and their steps and entries were
most of a run's events. Their entries are recorded as the clock reaches them
(``Recorder.enter_later``).

**Random numbers.** Each attempt's channel, success and interval, and each round's check, are
keyed by (person, round, attempt) rather than drawn in sequence (``sim.model.streams``): attempt 3
of round 1 gets the same numbers whatever else changes, e.g. under a policy that allows more
attempts per round or changes the channel mix.
"""

from __future__ import annotations

import hashlib
import json
import math
from array import array
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from sim.model.core import Core, Part
from sim.model.kernels import (
    CALL,
    CHECK,
    OP_CALL,
    OP_CHECK,
    OP_ENTRY,
    OP_FLUSH,
    OP_WRITTEN,
    PHONE,
    ROUND_END,
    WRITTEN,
    play_contact,
)
from sim.model.person import GOOD, NO_DETAILS, Cohort, Person
from sim.model.recorder import Act, Later
from sim.model.resources import BookedPool
from sim.model.states import Outcome, State
from sim.model.streams import Streams, inverse_cdf_array, uniforms
from sim.scenario.schema import CONTACT_CHANNELS, QUALITIES, Costs, Scenario
from sim.scenario.sections import MAX_ATTEMPTS

ATTEMPT = "contact_attempt"
"""Activity of each contact attempt (``Recorder.act``): resource the channel, outcome success or
failure. A call is recorded when it starts (if before the horizon, like its count)."""
CHECK_ACTIVITY = "enrichment_check"
MINUTES_PER_DAY = 24 * 60
DEPARTURE_EVIDENCE = "data_match_departure_evidence"
"""Cause of closing a case on an enrichment check's evidence that the person has left."""
CONTACT_CAUSES = tuple(f"contact_{ch}" for ch in CONTACT_CHANNELS)
Continuation = Callable[[Person], Generator[simpy.Event, Any, Outcome]]
"""A person's life after the pool, run by the contact process when they leave it."""
ROUND_BITS = 16
"""Draw index of attempt k of round r: ``(r << ROUND_BITS) | k`` (attempts per round < 65,536)."""
assert MAX_ATTEMPTS < 1 << ROUND_BITS, "the schema's bound keeps a round's draws apart from the next's"

_PURPOSES = (
    "channel",
    "success",
    "interval",
    "call_minutes",
    "enrichment.check",
    "enrichment.delay",
    "enrichment.evidence",
    "enrichment.refresh",
)
"""Keyed purposes of the contact plan (``contact.<name>``), indexed by person and position."""
_STEP_COLUMNS = (np.int64, np.int64, np.int8, np.float64, np.int8, np.int8, np.float64, np.int8)
"""dtypes of a step's person, order key, kind, wait, channel, ok, call days, quality."""
PLAN_CHUNK = 16_384
"""People planned together (see :func:`plan_contact`)."""


@dataclass(frozen=True)
class ContactPlan:
    """Every person's contact phase as a flat list of steps, grouped by person id.

    Person ``i``'s steps are ``first[i]:first[i + 1]``. Failed written attempts are listed apart,
    each with the step whose wait it falls in and its time from the start of that wait. Steps are
    held in compact typed arrays (``array.array``: 8 bytes a float, 1 a code), not lists of Python
    objects: a full cohort has ~440,000 steps.
    """

    first: array
    """Index of each person's first step (``q``, length people + 1)."""
    kind: array
    """Kind of each step (``b``: CALL, WRITTEN, ROUND_END, CHECK)."""
    wait: array
    """Days from the end of the previous step (calls: the end of the call) to this step (``d``)."""
    channel: array
    """Channel of a WRITTEN step (``b``, code order)."""
    ok: array
    """``b``: the call or attempt makes contact; the CHECK finds evidence of departure."""
    call_days: array
    """Duration of the call of a CALL step, in days (``d``; 0 otherwise)."""
    quality: array
    """Quality of the person's details after a CHECK step (``b``; refreshed details are one better)."""
    skipped_step: np.ndarray
    skipped_offset: np.ndarray
    skipped_channel: np.ndarray

    @property
    def steps(self) -> int:
        return len(self.kind)


def _typed(code: str, values: np.ndarray) -> array:
    """A numpy array as a compact ``array.array`` (element access returns plain Python numbers)."""
    out = array(code)
    out.frombytes(np.ascontiguousarray(values, dtype=np.dtype(code)).data.cast("B"))
    return out


def _success_table(s: Scenario) -> np.ndarray:
    """Chance of contact per attempt [channel, quality]; written channels scaled by their clarity."""
    c = s.contact
    clarity = c.written_clarity
    return np.array(
        [
            [getattr(getattr(c.success, ch), q) * (1.0 if i == PHONE else clarity) for q in QUALITIES]
            for i, ch in enumerate(CONTACT_CHANNELS)
        ]
    )


def plan_contact(s: Scenario, streams: Streams, cohort: Cohort) -> ContactPlan:
    """Work out every person's contact phase (see the module docstring), vectorised.

    People are planned in chunks of :data:`PLAN_CHUNK`: each person's plan depends only on their
    own draws, and chunks keep the temporary (people x attempts) arrays to a few MB.
    """
    planner = _Planner(s, streams, cohort)
    pids = np.sort(cohort.column("pid"))
    for chunk in range(0, len(pids), PLAN_CHUNK):
        planner.plan(pids[chunk : chunk + PLAN_CHUNK])
    return planner.finish(cohort.size)


class _Planner:
    """Collects the steps of :func:`plan_contact` as arrays, round by round, chunk by chunk.

    A step's order key within a person is ``round * (K + 2) + position``: attempt ``k`` at
    position ``k``, the round end at ``K``, the enrichment check at ``K + 1``.
    """

    def __init__(self, s: Scenario, streams: Streams, cohort: Cohort) -> None:
        c = s.contact
        self.c = c
        self.e = c.enrichment
        self.K = c.max_attempts
        self.R = self.e.max_rounds
        self.table = _success_table(s)
        mix = c.channel_mix.as_dict()
        cum = np.cumsum([mix[ch] for ch in CONTACT_CHANNELS])
        cum[-1] = 1.0 + 1e-12
        self.cum = cum
        self.keys = {name: streams.claim_key(f"contact.{name}") for name in _PURPOSES}
        self.quality = cohort.quality.astype(np.int64)
        self.reach = np.where(cohort.already_departed, c.departed_reach_factor, 1.0)
        self.departed = cohort.already_departed
        self.slots = np.arange(self.K, dtype=np.int64)
        # step records by column (person, order key, kind, wait, channel, ok, call days,
        # quality), one array per emit
        self.steps: list[list[np.ndarray]] = [[] for _ in _STEP_COLUMNS]
        # failed written attempts: person, order key of the owning step, offset, channel
        self.skipped: list[tuple[np.ndarray, ...]] = []

    def _emit(
        self,
        who: np.ndarray,
        order: np.ndarray | int,
        kind: np.ndarray | int,
        wait: np.ndarray,
        channel: np.ndarray | int,
        ok: np.ndarray,
        call: np.ndarray | float,
        quality: np.ndarray | int = -1,
    ) -> None:
        n = len(who)
        values = (who, order, kind, wait, channel, ok, call, quality)
        for column, value, dtype in zip(self.steps, values, _STEP_COLUMNS, strict=True):
            column.append(np.broadcast_to(value, n).astype(dtype))

    def plan(self, people: np.ndarray) -> None:
        """Plan the contact phase of ``people`` (sorted person ids), round after round."""
        alive = people  # people still in the pool at the start of the round
        q = self.quality[alive]
        calling = q > NO_DETAILS
        for r in range(self.R + 1):
            contacted = np.zeros(len(alive), bool)
            if calling.any():
                contacted[np.flatnonzero(calling)] = self._attempts(alive[calling], q[calling], r)
            alive, q = alive[~contacted], q[~contacted]
            if r == self.R or not len(alive):
                return
            alive, q, calling = self._enrichment(alive, q, r)

    def _attempts(self, who: np.ndarray, q: np.ndarray, r: int) -> np.ndarray:
        """Round ``r`` of attempts for ``who`` (all with usable details); True where contacted."""
        c, K, keys, slots = self.c, self.K, self.keys, self.slots
        base = r * (K + 2)
        idx = ((r << ROUND_BITS) | slots)[None, :]
        person = who[:, None]
        ch = np.searchsorted(self.cum, uniforms(keys["channel"], person, idx), side="right")
        ok = uniforms(keys["success"], person, idx) < self.table[ch, q[:, None]] * self.reach[who][:, None]
        phone = ch == PHONE
        deciding = phone | ok  # calls and successful written attempts need the clock
        iv = inverse_cdf_array(c.attempt_interval_days, uniforms(keys["interval"], person, idx))
        if r == 0:
            iv[:, 0] = 0.0  # the first attempt is made on entry
        cs = np.cumsum(iv, axis=1)
        rows = np.arange(len(who))
        contacted = ok.any(axis=1)
        # the round stops at the first success (K if none)
        within = slots[None, :] <= np.where(contacted, ok.argmax(axis=1), K)[:, None]
        # cumulative interval at the last deciding attempt before each slot (0 if none)
        last_dec = np.maximum.accumulate(np.where(deciding, slots[None, :], -1), axis=1)
        prev_dec = np.concatenate([np.full((len(who), 1), -1), last_dec[:, :-1]], axis=1)
        cs_prev = np.where(prev_dec >= 0, cs[rows[:, None], np.maximum(prev_dec, 0)], 0.0)
        # deciding attempts up to the first success are steps
        r_i, k_i = np.nonzero(deciding & within)
        is_phone = phone[r_i, k_i]
        minutes = inverse_cdf_array(
            c.call_minutes, uniforms(keys["call_minutes"], who[r_i], (r << ROUND_BITS) | k_i)
        )
        self._emit(
            who[r_i],
            base + k_i,
            np.where(is_phone, CALL, WRITTEN),
            cs[r_i, k_i] - cs_prev[r_i, k_i],
            ch[r_i, k_i],
            ok[r_i, k_i],
            np.where(is_phone, minutes / MINUTES_PER_DAY, 0.0),
        )
        # failed written attempts are folded into the wait of the next deciding attempt, or of
        # the round end (position K)
        r_j, k_j = np.nonzero(~deciding & within)
        owner = np.where(deciding, slots[None, :], K)
        owner = np.flip(np.minimum.accumulate(np.flip(owner, axis=1), axis=1), axis=1)
        self.skipped.append(
            (who[r_j], base + owner[r_j, k_j], cs[r_j, k_j] - cs_prev[r_j, k_j], ch[r_j, k_j].astype(np.int8))
        )
        # a round without success ends with a wait for the rest of the round
        ended = ~contacted
        last = last_dec[:, -1]
        tail = cs[:, -1] - np.where(last >= 0, cs[rows, np.maximum(last, 0)], 0.0)
        self._emit(who[ended], base + K, ROUND_END, tail[ended], -1, np.zeros(int(ended.sum()), bool), 0.0)
        return contacted

    def _enrichment(
        self, alive: np.ndarray, q: np.ndarray, r: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The check after round ``r`` for people not contacted in it: who goes on to the next
        round (with their details' quality and whether they can be called)."""
        e, keys = self.e, self.keys
        checked = uniforms(keys["enrichment.check"], alive, r) < e.check_probability
        alive, q = alive[checked], q[checked]  # the rest lie dormant
        delay = inverse_cdf_array(e.delay_days, uniforms(keys["enrichment.delay"], alive, r))
        closes = self.departed[alive] & (
            uniforms(keys["enrichment.evidence"], alive, r) < e.departure_evidence_probability
        )
        refreshed = uniforms(keys["enrichment.refresh"], alive, r) < e.refresh_probability
        q = np.where(refreshed & ~closes, np.minimum(GOOD, q + 1), q)
        self._emit(alive, r * (self.K + 2) + self.K + 1, CHECK, delay, -1, closes, 0.0, q)
        return alive[~closes], q[~closes], refreshed[~closes]

    def finish(self, size: int) -> ContactPlan:
        """The steps in person order as a :class:`ContactPlan` for person ids ``0..size-1``.

        Columns are joined, sorted and packed one at a time, and the per-chunk records dropped
        as they go, so the plan's temporary copies stay small next to the plan itself.
        """
        span = (self.R + 1) * (self.K + 2)
        columns: list[np.ndarray] = []
        for j, dtype in enumerate(_STEP_COLUMNS):
            parts, self.steps[j] = self.steps[j], []  # drop each column's pieces once joined
            columns.append(np.concatenate(parts) if parts else np.zeros(0, dtype))
            del parts
        pid = columns[0]
        key = pid * span + columns[1]
        order = np.argsort(key, kind="stable")
        key = key[order]
        first = np.searchsorted(pid[order], np.arange(size + 1), side="left")
        packed = [
            _typed(code, columns[j][order])
            for j, code in ((2, "b"), (3, "d"), (4, "b"), (5, "b"), (6, "d"), (7, "b"))
        ]
        del columns, order, pid
        skipped, self.skipped = self.skipped, []
        if skipped:
            k_pid, k_order, offset, k_channel = (np.concatenate(col) for col in zip(*skipped, strict=True))
        else:
            k_pid, k_order, offset, k_channel = (
                np.zeros(0, d) for d in (np.int64, np.int64, np.float64, np.int8)
            )
        del skipped
        kind, wait, channel, ok, call_days, quality = packed
        return ContactPlan(
            first=_typed("q", first),
            kind=kind,
            wait=wait,
            channel=channel,
            ok=ok,
            call_days=call_days,
            quality=quality,
            skipped_step=np.searchsorted(key, k_pid * span + k_order),
            skipped_offset=offset.astype(np.float64),
            skipped_channel=k_channel.astype(np.int8),
        )


@dataclass(frozen=True)
class ContactPhase:
    """A replication's contact phase as played (:meth:`Contact.play`): everything the run and the
    results read of it, none of which they change. CRN make it a pure function of its inputs
    (:func:`phase_inputs`, the seed and the replication), so another replication with the same
    (another policy or design point that changes neither the cohort nor the contact process)
    takes it as it is instead of planning and playing it again."""

    plan: ContactPlan
    agents: BookedPool
    """The call centre after the phase (nobody books it in the run): its statistics."""
    began: array
    exits: dict[int, tuple[float, int, str, bool]]
    entered: list[float]
    """Time of each entry on the run's clock, by place in entry order."""
    has_event: list[bool]
    """Whether each entry (by place) needs an event: on reporting from entry, or leaving then."""
    details: list[tuple[int, int]]
    """(place in entry order, quality) of the details enrichment checks left people with."""
    attempts: tuple[int, ...]
    """Attempts made in the phase, by channel (without the failed written ones: ``settle``)."""
    checks: int


def phase_inputs(s: Scenario) -> str:
    """Exactly what the contact phase reads of a scenario, as canonical JSON: the cohort, the
    contact process, the horizon and the call centre's size from each change day (nothing else
    of contact can change from a day, see :meth:`Contact.retune`). With the seed and the
    replication, it determines the phase (see :class:`ContactPhase`)."""
    return json.dumps(
        {
            "cohort": s.cohort.model_dump(mode="json"),
            "contact": s.contact.model_dump(mode="json"),
            "horizon_days": s.horizon_days,
            "agents_from": [(day, r.contact.agents) for day, r in s.regimes()],
        },
        sort_keys=True,
    )


def phase_key(s: Scenario, root_seed: int, replication: int) -> str:
    """Content hash of the inputs of replication ``replication``'s contact phase."""
    text = f"{phase_inputs(s)}|{root_seed}|{replication}"
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class ContactTally:
    attempts: list[int]
    """Contact attempts made before the horizon, by channel (code order); failed written
    attempts are added by :meth:`Contact.settle` after the run."""
    enrichment_checks: int = 0


@dataclass(slots=True)
class Contact(Part):
    """The call centre, the contact plan and the progress of each person through it."""

    core: Core
    agents: BookedPool
    plan: ContactPlan
    began: array
    """When each step's wait began (after any call still running), in days; inf if it never
    did. The failed written attempts folded into a step's wait are made at ``began + offset``."""
    tally: ContactTally
    exits: dict[int, tuple[float, int, str, bool]]
    """Person id -> (time in days, state, cause, at entry) of their leaving the pool before the
    horizon, as played (:meth:`play`); at entry: in the event of their entry, not one of its own."""
    logged: dict[int, list[tuple[int, float, str, str, str]]]
    """Person id -> the activities (``Recorder.act`` arguments) the person's process records
    when it starts, at their exit from the pool (only with the event log)."""
    played: ContactPhase | None
    """The phase as played by another replication with the same inputs, if given at build."""

    @classmethod
    def build(
        cls, s: Scenario, core: Core, streams: Streams, cohort: Cohort, played: ContactPhase | None = None
    ) -> Contact:
        """The part, planning the phase, or taking ``played`` (the same inputs: ``phase_key``)."""
        if played is not None:
            tally = ContactTally(list(played.attempts), played.checks)
            return cls(core, played.agents, played.plan, played.began, tally, played.exits, {}, played)
        plan = plan_contact(s, streams, cohort)
        agents = BookedPool(core.env, "call_centre_agents", s.contact.agents, s.horizon_days)
        return cls(
            core,
            agents,
            plan,
            array("d", [math.inf]) * plan.steps,
            ContactTally([0] * len(CONTACT_CHANNELS)),
            {},
            {},
            None,
        )

    def summary(self) -> dict[str, float | int]:
        return {"contact_attempts": sum(self.tally.attempts)}

    def costs(self, c: Costs) -> dict[str, float]:
        attempts = self.tally.attempts
        return {
            "contact": sum(
                attempts[i] * getattr(c.contact_attempt, ch) for i, ch in enumerate(CONTACT_CHANNELS)
            ),
            "enrichment": self.tally.enrichment_checks * c.enrichment_check,
        }

    def resources(self, horizon: float) -> list[dict[str, Any]]:
        return [vars(self.agents.stats(horizon))]

    def play(self, cohort: Cohort, changes: list[tuple[float, int]]) -> ContactPhase:
        """The phase for ``cohort``: played (:meth:`_play`), or as given at build; either way the
        people who leave the pool before the horizon, or whose entry needs an event, are made
        (``Cohort.make``: nobody else will do anything in the run) and given the details their
        checks found, and the entries without an event of their own are left to the recorder
        (``Recorder.enter_later``; with the event log, :meth:`_play` does so, with the activities
        at them)."""
        phase = self.played or self._play(cohort, changes)
        has_event = np.array(phase.has_event, dtype=bool)
        leaving = cohort.places()[np.fromiter(phase.exits, dtype=np.int64, count=len(phase.exits))]
        cohort.make(np.concatenate([np.flatnonzero(has_event), leaving]))
        people = cohort.people
        for k, quality in phase.details:
            if (p := people[k]) is not None:
                p.quality = quality
        rec = self.core.rec
        if not rec.keep_log:
            later = np.flatnonzero(~has_event)
            rec.enter_later(
                np.array(phase.entered)[later].tolist(),
                [(j, p, []) for j, k in enumerate(later.tolist()) if (p := people[k]) is not None],
            )
        return phase

    def _play(self, cohort: Cohort, changes: list[tuple[float, int]]) -> ContactPhase:
        """Play everyone's planned steps up to the horizon before the run, as SimPy would have.

        The only thing people share in this phase is the call centre, and a booking's start and end
        are known when it is made (``book_server``), so the steps need no SimPy event, and the play is
        one compiled loop (``sim.model.kernels.play_contact``). The calls are played in the order the
        run would have made them: one heap of pending calls and entries ordered as SimPy orders its
        events, by (time, order of scheduling), entries scheduled as the run would (a person's entry
        at the previous entry, before that person's first steps), the days the call centre changes
        size (``changes``: day, agents) first on their day, as their events are created first. The
        steps between a person's calls (the end of a round, an enrichment check, a written attempt)
        involve nobody else, so they are played at once, in the person's own time, and only the next
        call goes back on the heap. Like ``env.run(until=horizon)``, nothing at or after the horizon
        is played, but a step's wait begins (``began``) as soon as the step before it is done.

        What is left for the run (:meth:`process`): each person who leaves the pool does so at
        one event, at their exit time (``exits``). The phase has, by place in entry order, the
        time of each entry on the run's clock (each entry a timeout from the previous: ``now +
        (entry - now)``, not always ``entry`` to the last bit) and whether it needs an event of
        its own: people on reporting from entry and those leaving the pool then. The entries of
        everyone else are recorded when the clock reaches them (``Recorder.enter_later``). With
        the event log, each activity is logged where the run would have logged it: by the
        person's process when it starts (at entry or at the exit from the pool), with the entry
        recorded later, or, for the rest, just before the first record made after it
        (``Recorder.ahead``).
        """
        plan, agents = self.plan, self.agents
        log = self.core.rec.keep_log
        attempts = np.zeros(len(CONTACT_CHANNELS), np.int64)
        played = play_contact(
            np.frombuffer(plan.first, np.int64),
            np.frombuffer(plan.kind, np.int8),
            np.frombuffer(plan.wait, np.float64),
            np.frombuffer(plan.ok, np.int8),
            np.frombuffer(plan.call_days, np.float64),
            np.frombuffer(plan.channel, np.int8),
            cohort.column("pid").astype(np.int64),
            cohort.column("entry").astype(np.float64),
            np.asarray(cohort.on_reporting, dtype=np.uint8),
            np.array([day for day, _ in changes], dtype=np.float64),
            np.array([n for _, n in changes], dtype=np.int64),
            self.core.horizon,
            log,
            agents.free_at,
            agents.waiting,
            agents.tally,
            agents.areas,
            np.frombuffer(self.began, dtype=np.float64),
            attempts,
        )
        entered, has_event, exits, found, ops = played[0], played[1], played[2:7], played[7:9], played[9:13]
        changed, agents.free_at, agents.waiting = int(played[13][0]), played[14], played[15]
        for day, n in changes[:changed]:  # those before the horizon, made as played
            agents.sized(n, day)
        for ch, n in enumerate(attempts.tolist()):
            self.tally.attempts[ch] += n
        self.tally.enrichment_checks += len(found[0])
        pid, when, kind, channel, at_entry = (column.tolist() for column in exits)
        causes = [
            DEPARTURE_EVIDENCE if k == CHECK else CONTACT_CAUSES[ch]
            for k, ch in zip(kind, channel, strict=True)
        ]
        states = [State.CLOSED_ALREADY_DEPARTED if k == CHECK else State.IN_CONTACT for k in kind]
        self.exits.update(zip(pid, zip(when, states, causes, at_entry, strict=True), strict=True))
        qualities = np.frombuffer(plan.quality, dtype=np.int8)
        details = list(zip(found[0].tolist(), qualities[found[1]].tolist(), strict=True))
        if log:
            self._log(cohort, *ops)
        return ContactPhase(
            plan,
            agents,
            self.began,
            self.exits,
            entered.tolist(),
            has_event.tolist(),
            details,
            tuple(self.tally.attempts),
            self.tally.enrichment_checks,
        )

    def _log(self, cohort: Cohort, op: np.ndarray, a: np.ndarray, b: np.ndarray, t: np.ndarray) -> None:
        """Put the activities the play made where the run would have logged them (see
        :meth:`_play`), from the play's record of them (``play_contact``): ``op`` codes in the
        order played, with a step, place or flag (``a``), a person id (``b``) and a time (``t``)."""
        plan, people = self.plan, cohort.people
        times: list[float] = []  # of the entries recorded later, and the people (all made)
        made: list[Later] = []
        ahead: list[tuple[float, int, Act]] = []  # (moment, order, act)
        rows: list[Act] = []
        for code, i, pid, when in zip(op.tolist(), a.tolist(), b.tolist(), t.tolist(), strict=True):
            if code == OP_ENTRY:
                p = people[i]
                assert p is not None, "with the event log everyone is made"
                made.append((len(times), p, []))
                times.append(when)
            elif code == OP_CALL:
                rows.append((pid, when, ATTEMPT, "phone", "success" if plan.ok[i] else "failure"))
            elif code == OP_WRITTEN:
                rows.append((pid, when, ATTEMPT, CONTACT_CHANNELS[plan.channel[i]], "success"))
            elif code == OP_CHECK:
                rows.append((pid, when, CHECK_ACTIVITY, "data_enrichment", self._found(i, pid)))
            elif code == OP_FLUSH:
                self._flush(rows, when, bool(i), made, ahead)
                rows = []
            else:  # OP_EXIT: the person's process logs them when it starts
                if i:  # the entry is recorded in its own event, with these activities
                    times.pop()
                    made.pop()
                self.logged[pid], rows = rows, []
        ahead.sort(key=lambda row: row[:2])
        rec = self.core.rec
        rec.enter_later(times, made)
        rec.ahead(deque((moment, *row) for moment, _, row in ahead))

    def _flush(
        self,
        rows: list[Act],
        moment: float,
        at_entry: bool,
        made: list[Later],
        ahead: list[tuple[float, int, Act]],
    ) -> None:
        """Where the activities played at ``moment`` without an exit go (see :meth:`play`)."""
        if at_entry:  # recorded with the entry, just after it
            made[-1][2].extend(rows)
        else:
            n = len(ahead)
            ahead.extend((moment, n + j, row) for j, row in enumerate(rows))

    def retune(self, s: Scenario) -> None:
        """A scenario change: only the call centre's size can change from a day (the attempts
        themselves are planned at the start), and that change was made when the phase was played
        (:meth:`play`)."""

    def process(self, p: Person, then: Continuation | None = None) -> Generator[simpy.Event, Any, Outcome]:
        """POOL state: leave the pool as the played phase says (:meth:`play`), now, or lie dormant.

        The model starts this process at the exit time (``exits``), so it does not wait. ``then``
        is what the person does after leaving the pool (the model passes its dispatcher).
        """
        pid = p.pid
        rec = self.core.rec
        if rec.keep_log:
            for row in self.logged.pop(pid, ()):
                rec.act(*row)
        leave = self.exits.get(pid)
        if leave is None:
            return Outcome.DORMANT
        _, state, cause, _ = leave
        self.core.move(p, state, cause)
        if then is not None:
            return (yield from then(p))
        return Outcome.MOVED

    def _found(self, i: int, pid: int) -> str:
        """What enrichment check ``i`` (of person ``pid``) found, for the activity log.

        The plan keeps only its consequences: evidence of departure closes the case; new details
        make the next round one of attempts (a step that is not a CHECK follows); otherwise the
        next round has no attempts (another CHECK follows, or nothing: the case lies dormant).
        """
        plan = self.plan
        if plan.ok[i]:
            return "already_departed"
        j = i + 1
        return "new_details" if j < plan.first[pid + 1] and plan.kind[j] != CHECK else "nothing_found"

    def settle(self, horizon: float) -> None:
        """Count the failed written attempts made before the horizon (after the run); with the
        event log, record each of them at the time it was made.

        An attempt folded into a step's wait is made at the wait's start plus its offset: before
        the horizon if that sum is (a step that never began has start inf, so none of its are).
        The activities played ahead of the clock and not yet logged were made before these.
        """
        self.core.rec.catch_up(math.inf)
        plan = self.plan
        if not len(plan.skipped_step):
            return
        began = np.frombuffer(self.began, dtype=np.float64)
        when = began[plan.skipped_step] + plan.skipped_offset
        made = when <= horizon
        counts = np.bincount(plan.skipped_channel[made], minlength=len(CONTACT_CHANNELS))
        for ch, n in enumerate(counts.tolist()):
            self.tally.attempts[ch] += n
        rec = self.core.rec
        if rec.keep_log:
            first = np.frombuffer(plan.first, dtype=np.int64)
            step = plan.skipped_step[made]
            who = np.searchsorted(first, step, side="right") - 1
            order = np.lexsort((when[made], who))  # by person, then time
            rows = (who[order], when[made][order], plan.skipped_channel[made][order])
            for pid, t, ch in zip(*(column.tolist() for column in rows), strict=True):
                rec.act(pid, t, ATTEMPT, CONTACT_CHANNELS[ch], "failure")


__all__ = [
    "CALL",
    "CHECK",
    "ROUND_END",
    "WRITTEN",
    "Contact",
    "ContactPhase",
    "ContactPlan",
    "ContactTally",
    "phase_inputs",
    "phase_key",
    "plan_contact",
]
