"""Contact management: the contractor's attempts to reach people in the pool (seed 002 §4.2-4.3).

A case is worked in rounds. In a round the call centre makes up to ``max_attempts`` attempts, one
every ``attempt_interval_days``, each by phone, text, letter or e-mail (phone calls occupy an
agent for the call). An attempt succeeds with a probability that depends on the channel and on
the quality of the person's contact details; written channels are scaled by the clarity of
correspondence (seed 000 scope). A person with no usable details is not called at all. When a
round is exhausted, a data-enrichment check (credit reference, other departments; 002 §4.3) may
find new details (the case is recycled into another round) or evidence that the person has left
(closed as already departed). Otherwise the case lies dormant in the pool: no more events.

**Planned, then played.** Nothing in this phase depends on anyone else except *when* a phone call
starts (agents are shared, first come first served). So every person's whole contact phase is
worked out at the start of the replication, vectorised over the cohort (:func:`plan_contact`):
which attempts are made, by which channel, which succeed, how long the waits between them are,
what each enrichment check finds. The SimPy process then only plays the plan's *steps*, the
points at which something needs the clock: a phone call (it books an agent), a successful written
attempt, the end of an unsuccessful round, an enrichment check. Failed written attempts need
nothing but a wait, so they are folded into the wait before the next step and counted after the
run (:meth:`Contact.settle`), those before the horizon only.

**Random numbers.** Each attempt's channel, success and interval, and each round's check, are
keyed by (person, round, attempt) rather than drawn in sequence (``sim.model.streams``): attempt 3
of round 1 gets the same numbers whatever else changes, e.g. under a policy that allows more
attempts per round or changes the channel mix.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from sim.model.core import Core
from sim.model.person import GOOD, NO_DETAILS, Cohort, Person
from sim.model.resources import BookedPool
from sim.model.states import Outcome, State
from sim.model.streams import Streams, inverse_cdf_array, uniforms
from sim.scenario.schema import CONTACT_CHANNELS, QUALITIES, Scenario

PHONE = CONTACT_CHANNELS.index("phone")
MINUTES_PER_DAY = 24 * 60
CONTACT_CAUSES = tuple(f"contact_{ch}" for ch in CONTACT_CHANNELS)
Continuation = Callable[[Person], Generator[simpy.Event, Any, Outcome]]
"""A person's life after the pool, run by the contact process when they leave it."""
ROUND_BITS = 16
"""Draw index of attempt k of round r: ``(r << ROUND_BITS) | k`` (attempts per round < 65,536)."""

# Kinds of step
CALL = 0  # wait, then a phone call (books an agent); ``ok``: the call makes contact
WRITTEN = 1  # wait, then a written attempt that makes contact
ROUND_END = 2  # wait out the rest of an unsuccessful round (and any call still running)
CHECK = 3  # wait for an enrichment check; ``ok``: it finds evidence of departure (case closed)


@dataclass(frozen=True)
class ContactPlan:
    """Every person's contact phase as a flat list of steps, grouped by person id.

    Person ``i``'s steps are ``first[i]:first[i + 1]``. Failed written attempts are listed apart,
    each with the step whose wait it falls in and its time from the start of that wait.
    """

    first: list[int]
    kind: list[int]
    wait: list[float]
    """Days from the end of the previous step (calls: the end of the call) to this step."""
    channel: list[int]
    ok: list[bool]
    call_days: list[float]
    """Duration of the call of a CALL step, in days (0 otherwise)."""
    quality: list[int]
    """Quality of the person's details after a CHECK step (refreshed details are one better)."""
    skipped_step: np.ndarray
    skipped_offset: np.ndarray
    skipped_channel: np.ndarray

    @property
    def steps(self) -> int:
        return len(self.kind)


def _success_table(s: Scenario) -> np.ndarray:
    """Chance of contact per attempt [channel, quality]; written channels scaled by clarity."""
    c = s.contact
    clarity = s.correspondence.clarity
    return np.array(
        [
            [getattr(getattr(c.success, ch), q) * (1.0 if i == PHONE else clarity) for q in QUALITIES]
            for i, ch in enumerate(CONTACT_CHANNELS)
        ]
    )


def plan_contact(s: Scenario, streams: Streams, cohort: Cohort) -> ContactPlan:
    """Work out every person's contact phase (see the module docstring), vectorised by round."""
    c = s.contact
    e = c.enrichment
    K = c.max_attempts
    R = e.max_rounds
    table = _success_table(s)
    mix = c.channel_mix.as_dict()
    cum = np.cumsum([mix[ch] for ch in CONTACT_CHANNELS])
    cum[-1] = 1.0 + 1e-12
    keys = {
        name: streams.key(f"contact.{name}")
        for name in (
            "channel",
            "success",
            "interval",
            "call_minutes",
            "enrichment.check",
            "enrichment.delay",
            "enrichment.evidence",
            "enrichment.refresh",
        )
    }
    pids = np.array([p.pid for p in cohort.people], dtype=np.int64)
    quality = cohort.quality.astype(np.int64)
    reach = np.where(cohort.already_departed, c.departed_reach_factor, 1.0)
    departed = cohort.already_departed

    # step records, as lists of arrays to concatenate: (person, order key, kind, wait, channel,
    # ok, call days); order key = round * (K + 2) + position in the round
    rec_pid: list[np.ndarray] = []
    rec_order: list[np.ndarray] = []
    rec_kind: list[np.ndarray] = []
    rec_wait: list[np.ndarray] = []
    rec_channel: list[np.ndarray] = []
    rec_ok: list[np.ndarray] = []
    rec_call: list[np.ndarray] = []
    rec_quality: list[np.ndarray] = []
    sk_pid: list[np.ndarray] = []
    sk_order: list[np.ndarray] = []
    sk_offset: list[np.ndarray] = []
    sk_channel: list[np.ndarray] = []

    def emit(
        who: np.ndarray,
        order: np.ndarray | int,
        kind: int | np.ndarray,
        wait: np.ndarray,
        channel: int | np.ndarray,
        ok: np.ndarray,
        call: np.ndarray | float,
        quality: np.ndarray | int = -1,
    ) -> None:
        n = len(who)
        rec_pid.append(who)
        rec_order.append(np.broadcast_to(order, n).astype(np.int64))
        rec_kind.append(np.broadcast_to(kind, n).astype(np.int8))
        rec_wait.append(np.broadcast_to(wait, n).astype(np.float64))
        rec_channel.append(np.broadcast_to(channel, n).astype(np.int8))
        rec_ok.append(np.broadcast_to(ok, n).astype(bool))
        rec_call.append(np.broadcast_to(call, n).astype(np.float64))
        rec_quality.append(np.broadcast_to(quality, n).astype(np.int8))

    alive = pids  # people still in the pool at the start of round r
    calling = quality[alive] > NO_DETAILS
    q = quality[alive]
    slots = np.arange(K, dtype=np.int64)
    for r in range(R + 1):
        base = r * (K + 2)
        who = alive[calling]
        if len(who):
            idx = (r << ROUND_BITS) | slots
            u_ch = uniforms(keys["channel"], who[:, None], idx[None, :])
            ch = np.searchsorted(cum, u_ch, side="right")
            u_s = uniforms(keys["success"], who[:, None], idx[None, :])
            prob = table[ch, q[calling][:, None]] * reach[who][:, None]
            ok = u_s < prob
            phone = ch == PHONE
            deciding = phone | ok
            iv = inverse_cdf_array(
                c.attempt_interval_days, uniforms(keys["interval"], who[:, None], idx[None, :])
            )
            if r == 0:
                iv[:, 0] = 0.0  # the first attempt is made on entry
            cs = np.cumsum(iv, axis=1)
            # first successful attempt (K if none): the round ends there
            any_ok = ok.any(axis=1)
            first_ok = np.where(any_ok, ok.argmax(axis=1), K)
            within = slots[None, :] <= first_ok[:, None]
            # cumulative interval up to the last deciding attempt before each slot (0 if none)
            last_dec = np.where(deciding, slots[None, :], -1)
            last_dec = np.maximum.accumulate(last_dec, axis=1)
            prev_dec = np.concatenate([np.full((len(who), 1), -1), last_dec[:, :-1]], axis=1)
            rows = np.arange(len(who))[:, None]
            cs_prev = np.where(prev_dec >= 0, cs[rows, np.maximum(prev_dec, 0)], 0.0)
            # deciding attempts up to the first success are steps
            step = deciding & within
            r_i, k_i = np.nonzero(step)
            call_min = inverse_cdf_array(
                c.call_minutes, uniforms(keys["call_minutes"], who[r_i], (r << ROUND_BITS) | k_i)
            )
            is_phone = phone[r_i, k_i]
            emit(
                who[r_i],
                base + k_i,
                np.where(is_phone, CALL, WRITTEN),
                cs[r_i, k_i] - cs_prev[r_i, k_i],
                ch[r_i, k_i],
                ok[r_i, k_i],
                np.where(is_phone, call_min / MINUTES_PER_DAY, 0.0),
            )
            # failed written attempts before the first success are folded into a step's wait:
            # the next deciding attempt's, or the round end's
            skipped = ~deciding & within
            r_j, k_j = np.nonzero(skipped)
            nxt = np.where(deciding, slots[None, :], K)
            nxt = np.flip(np.minimum.accumulate(np.flip(nxt, axis=1), axis=1), axis=1)
            owner = nxt[r_j, k_j]  # the step slot (K: the round end)
            sk_pid.append(who[r_j])
            sk_order.append(base + owner)
            sk_offset.append(cs[r_j, k_j] - cs_prev[r_j, k_j])
            sk_channel.append(ch[r_j, k_j].astype(np.int8))
            # rounds without success end with a wait for the rest of the round
            ended = ~any_ok
            last = last_dec[:, -1]
            tail = cs[:, -1] - np.where(last >= 0, cs[np.arange(len(who)), np.maximum(last, 0)], 0.0)
            emit(who[ended], base + K, ROUND_END, tail[ended], -1, np.zeros(int(ended.sum()), bool), 0.0)
            contacted = np.zeros(len(alive), bool)
            contacted[np.flatnonzero(calling)[any_ok]] = True
        else:
            contacted = np.zeros(len(alive), bool)
        # people not contacted in this round: an enrichment check, or dormant
        left = ~contacted
        alive, q = alive[left], q[left]
        if r == R or not len(alive):
            break
        checked = uniforms(keys["enrichment.check"], alive, r) < e.check_probability
        alive, q = alive[checked], q[checked]
        delay = inverse_cdf_array(e.delay_days, uniforms(keys["enrichment.delay"], alive, r))
        closes = departed[alive] & (
            uniforms(keys["enrichment.evidence"], alive, r) < e.departure_evidence_probability
        )
        calling = uniforms(keys["enrichment.refresh"], alive, r) < e.refresh_probability
        q = np.where(calling & ~closes, np.minimum(GOOD, q + 1), q)
        emit(alive, base + K + 1, CHECK, delay, -1, closes, 0.0, q)
        alive, q, calling = alive[~closes], q[~closes], calling[~closes]

    size = cohort.size
    span = (R + 1) * (K + 2)

    def cat(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    s_pid = cat(rec_pid, np.int64)
    s_key = s_pid * span + cat(rec_order, np.int64)
    order = np.argsort(s_key, kind="stable")
    s_key = s_key[order]
    first = np.searchsorted(s_pid[order], np.arange(size + 1), side="left")
    k_pid = cat(sk_pid, np.int64)
    k_key = k_pid * span + cat(sk_order, np.int64)
    k_step = np.searchsorted(s_key, k_key)
    return ContactPlan(
        first=first.tolist(),
        kind=cat(rec_kind, np.int8)[order].tolist(),
        wait=cat(rec_wait, np.float64)[order].tolist(),
        channel=cat(rec_channel, np.int8)[order].tolist(),
        ok=cat(rec_ok, bool)[order].tolist(),
        call_days=cat(rec_call, np.float64)[order].tolist(),
        quality=cat(rec_quality, np.int8)[order].tolist(),
        skipped_step=k_step,
        skipped_offset=cat(sk_offset, np.float64),
        skipped_channel=cat(sk_channel, np.int8),
    )


@dataclass
class ContactTally:
    attempts: list[int]
    """Contact attempts made before the horizon, by channel (code order); failed written
    attempts are added by :meth:`Contact.settle` after the run."""
    enrichment_checks: int = 0


@dataclass(frozen=True, slots=True)
class Contact:
    """The call centre, the contact plan and the progress of each person through it."""

    core: Core
    agents: BookedPool
    plan: ContactPlan
    progress_step: list[int]
    """Index of the first step whose wait a person has not finished (all earlier steps done)."""
    progress_time: list[float]
    """When the wait of that step began (after any call still running); inf if not begun."""
    tally: ContactTally

    @classmethod
    def build(cls, s: Scenario, core: Core, streams: Streams, cohort: Cohort) -> Contact:
        plan = plan_contact(s, streams, cohort)
        agents = BookedPool(core.env, "call_centre_agents", s.contact.agents, s.horizon_days)
        return cls(
            core,
            agents,
            plan,
            plan.first[:-1],
            [math.inf] * cohort.size,
            ContactTally([0] * len(CONTACT_CHANNELS)),
        )

    def process(self, p: Person, then: Continuation | None = None) -> Generator[simpy.Event, Any, Outcome]:
        """POOL state: play the person's planned steps until contact, closure or dormancy.

        ``then`` is what the person does after leaving the pool (the model passes its dispatcher):
        running it from here, rather than running this process under a wrapper, spares the events
        of most people (who never leave the pool) a second generator to pass through.
        """
        plan = self.plan
        env = self.core.env
        horizon = self.core.horizon
        attempts = self.tally.attempts
        kinds, waits, oks, call_days = plan.kind, plan.wait, plan.ok, plan.call_days
        progress_step, progress_time = self.progress_step, self.progress_time
        book = self.agents.book
        pid = p.pid
        busy_until = env.now  # end of the call still running, if any
        moved = False
        for i in range(plan.first[pid], plan.first[pid + 1]):
            now = env.now
            start = busy_until if busy_until > now else now
            progress_step[pid] = i
            progress_time[pid] = start
            delay = start - now + waits[i]
            if delay > 0:
                yield env.timeout(delay)
            progress_step[pid] = i + 1
            kind = kinds[i]
            if kind == CALL:
                # the call is queued for an agent and its start and end known now (FCFS, no
                # reneging); it counts (and costs) if it starts before the horizon
                begin, end = book(call_days[i])
                if end == math.inf:
                    return Outcome.DORMANT  # no agents: the call never happens
                if begin <= horizon:
                    attempts[PHONE] += 1
                busy_until = end
                if oks[i]:
                    yield env.timeout(end - env.now)
                    self.core.move(p, State.IN_CONTACT, CONTACT_CAUSES[PHONE])
                    moved = True
                    break
            elif kind == WRITTEN:
                ch = plan.channel[i]
                attempts[ch] += 1
                self.core.move(p, State.IN_CONTACT, CONTACT_CAUSES[ch])
                moved = True
                break
            elif kind == CHECK:
                self.tally.enrichment_checks += 1
                p.quality = plan.quality[i]
                if oks[i]:
                    self.core.move(p, State.CLOSED_ALREADY_DEPARTED, "data_match_departure_evidence")
                    moved = True
                    break
        if not moved:
            return Outcome.DORMANT
        if then is not None:
            return (yield from then(p))
        return Outcome.MOVED

    def settle(self, horizon: float) -> None:
        """Count the failed written attempts made before the horizon (after the run)."""
        plan = self.plan
        if not len(plan.skipped_step):
            return
        owner = np.searchsorted(np.asarray(plan.first), plan.skipped_step, side="right") - 1
        done = np.asarray(self.progress_step)[owner]
        began = np.asarray(self.progress_time)[owner]
        made = (plan.skipped_step < done) | (
            (plan.skipped_step == done) & (began + plan.skipped_offset <= horizon)
        )
        counts = np.bincount(plan.skipped_channel[made], minlength=len(CONTACT_CHANNELS))
        for ch, n in enumerate(counts.tolist()):
            self.tally.attempts[ch] += n


__all__ = ["CALL", "CHECK", "ROUND_END", "WRITTEN", "Contact", "ContactPlan", "ContactTally", "plan_contact"]
