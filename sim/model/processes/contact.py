"""Contact management: the contractor's attempts to reach people in the pool (seed 002 §4.2-4.3).

A case is worked in rounds. In a round the call centre makes up to ``max_attempts`` attempts, one
every ``attempt_interval_days``, each by phone, text, letter or e-mail (phone calls occupy an
agent for the call). An attempt succeeds with a probability that depends on the channel and on
the quality of the person's contact details; written channels are scaled by the clarity of
correspondence (seed 000 scope). A person with no usable details is not called at all. When a
round is exhausted, a data-enrichment check (credit reference, other departments; 002 §4.3) may
find new details (the case is recycled into another round) or evidence that the person has left
(closed as already departed). Otherwise the case lies dormant in the pool: no more events.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from sim.model.person import GOOD, NO_DETAILS, Person
from sim.model.states import State

if TYPE_CHECKING:
    from sim.model.model import Model

CHANNELS = ("phone", "text", "letter", "email")
PHONE = 0
MINUTES_PER_DAY = 24 * 60
CONTACT_CAUSES = tuple(f"contact_{ch}" for ch in CHANNELS)
QUALITY_FIELDS = ("none", "partial", "good")


def setup(m: Model) -> None:
    """Named streams and pre-computed tables for contact management."""
    c = m.scenario.contact
    clarity = m.scenario.correspondence.clarity
    m.c_interval = m.streams.sampler("contact.interval", c.attempt_interval_days)
    m.c_call = m.streams.sampler("contact.call_minutes", c.call_minutes)
    m.c_channel = m.streams.uniform("contact.channel")
    m.c_success = m.streams.uniform("contact.success")
    m.c_enrich = m.streams.uniform("contact.enrichment")
    m.c_enrich_delay = m.streams.sampler("contact.enrichment_delay", c.enrichment.delay_days)
    mix = c.channel_mix.as_dict()
    cum, acc = [], 0.0
    for ch in CHANNELS:
        acc += mix[ch]
        cum.append(acc)
    cum[-1] = 1.0 + 1e-12
    m.c_channel_cum = cum
    # success[channel][quality], written channels scaled by clarity of correspondence
    m.c_success_table = [
        [getattr(getattr(c.success, ch), q) * (1.0 if ch == "phone" else clarity) for q in QUALITY_FIELDS]
        for ch in CHANNELS
    ]


def contact_management(m: Model, p: Person) -> Generator[simpy.Event, Any, Any]:
    """POOL state: rounds of attempts, then enrichment checks, until contact or dormancy.

    Attempts by text, letter or e-mail use no shared resource, so a run of them that fails is
    decided in advance and skipped over in one wait (their count is settled after the wait, or
    at the horizon for those before it). Only a phone call (which needs an agent), a successful
    attempt or the end of the round costs an event.
    """
    from sim.model.model import DORMANT

    c = m.scenario.contact
    e = c.enrichment
    env = m.env
    interval = m.c_interval
    success = m.c_success
    channel_u = m.c_channel
    cum = m.c_channel_cum
    max_attempts = c.max_attempts
    reach = c.departed_reach_factor if p.already_departed else 1.0
    attempts = m.n.attempts
    agents = m.agents
    horizon = m.scenario.horizon_days
    calling = p.quality > NO_DETAILS
    for rnd in range(e.max_rounds + 1):
        k = 0
        # chance of contact per attempt by channel, for this person's current details
        probs = [row[p.quality] * reach for row in m.c_success_table]
        busy = 0.0  # days until the current phone call (if any) ends
        while calling and k < max_attempts:
            delay = busy
            skipped: list[tuple[float, int]] = []
            ch = -1
            while k < max_attempts:
                if k > 0 or rnd > 0:
                    delay += interval()
                k += 1
                ch = bisect_right(cum, channel_u())
                if ch == PHONE or success() < probs[ch]:
                    break
                skipped.append((delay, ch))
                ch = -1
            busy = 0.0
            if delay > 0:
                m.pending_attempts[p.pid] = (env.now, skipped)
                yield env.timeout(delay)
                del m.pending_attempts[p.pid]
            for _, sk in skipped:
                attempts[CHANNELS[sk]] += 1
            if ch < 0:
                break  # round exhausted
            if ch == PHONE:
                # the call is queued for an agent and its start and end known now (FCFS, no
                # reneging); it counts (and costs) if it starts before the horizon
                start, end = agents.book(m.c_call() / MINUTES_PER_DAY)
                if math.isinf(end):
                    return DORMANT  # no agents: the call never happens
                if start <= horizon:
                    attempts["phone"] += 1
                busy = end - env.now
                if success() < probs[PHONE]:
                    yield env.timeout(busy)
                    m.move(p, State.IN_CONTACT, CONTACT_CAUSES[PHONE])
                    return None
            else:
                attempts[CHANNELS[ch]] += 1
                m.move(p, State.IN_CONTACT, CONTACT_CAUSES[ch])
                return None
        if busy > 0:
            yield env.timeout(busy)
        if rnd == e.max_rounds or m.c_enrich() >= e.check_probability:
            return DORMANT
        yield env.timeout(m.c_enrich_delay())
        m.n.enrichment_checks += 1
        if p.already_departed and m.c_enrich() < e.departure_evidence_probability:
            m.move(p, State.CLOSED_ALREADY_DEPARTED, "data_match_departure_evidence")
            return None
        calling = m.c_enrich() < e.refresh_probability
        if calling:
            p.quality = min(GOOD, p.quality + 1)
    return DORMANT


def settle_pending(m: Model, horizon: float) -> None:
    """Count skipped attempts that fell before the horizon in waits the horizon cut short."""
    attempts = m.n.attempts
    for start, skipped in m.pending_attempts.values():
        for offset, ch in skipped:
            if start + offset <= horizon:
                attempts[CHANNELS[ch]] += 1
    m.pending_attempts.clear()
