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

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from sim.person import GOOD, NO_DETAILS, Person
from sim.states import State

if TYPE_CHECKING:
    from sim.model import Model

CHANNELS = ("phone", "text", "letter", "email")
PHONE = 0
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


def pick_channel(m: Model) -> int:
    u = m.c_channel()
    for i, edge in enumerate(m.c_channel_cum):
        if u < edge:
            return i
    return len(CHANNELS) - 1


def attempt(m: Model, p: Person) -> Generator[simpy.Event, Any, int]:
    """One contact attempt; the channel index if contact was made, else -1."""
    ch = pick_channel(m)
    if ch == PHONE:
        yield from m.agents.use(m.c_call() / (24 * 60))
    m.n.attempts[CHANNELS[ch]] += 1
    prob = m.c_success_table[ch][p.quality]
    if p.already_departed:
        prob *= m.scenario.contact.departed_reach_factor
    return ch if m.c_success() < prob else -1


def contact_management(m: Model, p: Person) -> Generator[simpy.Event, Any, Any]:
    """POOL state: rounds of attempts, then enrichment checks, until contact or dormancy."""
    from sim.model import DORMANT

    c = m.scenario.contact
    e = c.enrichment
    env = m.env
    calling = p.quality > NO_DETAILS
    for rnd in range(e.max_rounds + 1):
        if calling:
            for k in range(c.max_attempts):
                if k > 0 or rnd > 0:
                    yield env.timeout(m.c_interval())
                ch = yield from attempt(m, p)
                if ch >= 0:
                    m.move(p, State.IN_CONTACT, CONTACT_CAUSES[ch])
                    return None
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
