"""Out of contact: tracing and passive re-discovery (001 rec 5; 001 introduction).

Losing contact starts two competing clocks. Passive re-discovery runs for everyone: data
matching and the checks made by banks, landlords, the DVLA and the NHS find a share of people
each day. Active tracing is for those the policy refers (nearly all high-harm cases, fewer
others): a limited team of tracers makes up to ``max_actions`` actions, each with a chance of
finding the person. Whoever finds them first, the person is either tasked for arrest or put
back on reporting conditions.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from sim.model.person import Person
from sim.model.processes import enforcement
from sim.model.states import State

if TYPE_CHECKING:
    from sim.model.model import Model


def setup(m: Model) -> None:
    t = m.scenario.tracing
    m.t_decide = m.streams.uniform("tracing.decision")
    m.t_passive = m.streams.exponential("tracing.passive")
    m.t_interval = m.streams.sampler("tracing.interval", t.interval_days)
    m.t_action = m.streams.sampler("tracing.action", t.action_days)


def out_of_contact(m: Model, p: Person) -> Generator[simpy.Event, Any, Any]:
    """OUT_OF_CONTACT state: trace and/or wait to be found, then re-establish contact or arrest."""
    from sim.model.model import DORMANT

    t = m.scenario.tracing
    env = m.env
    rate = t.passive_rate_per_day
    passive_at = env.now + m.t_passive() / rate if rate > 0 else math.inf
    refer_p = t.referral_probability_high if p.high_priority else t.referral_probability_normal
    how = ""
    if m.t_decide() < refer_p:
        busy = 0.0  # days until the previous action ends
        for _ in range(t.max_actions):
            wait = busy + m.t_interval()
            if env.now + wait >= passive_at:
                break
            yield env.timeout(wait)
            # the action is queued for a tracer and its start and end known now (FCFS, no
            # reneging); it counts (and costs) if it starts before the horizon
            start, end = m.tracers.book(m.t_action())
            if math.isinf(end):
                break  # no tracers: only passive re-discovery can find the person
            if start <= m.scenario.horizon_days:
                m.n.tracing_actions += 1
            busy = end - env.now
            if m.t_decide() < t.success_probability:
                if end >= passive_at:
                    break  # found by data matching while the action waited or ran
                yield env.timeout(busy)
                how = "traced"
                break
    if not how:
        if math.isinf(passive_at):
            return DORMANT
        yield env.timeout(max(0.0, passive_at - env.now))
        how = "data_match"
    if m.t_decide() < t.arrest_on_trace_probability:
        return (yield from enforcement.refer(m, p, how))
    m.move(p, State.REPORTING, f"contact_reestablished_{how}")
    return None
