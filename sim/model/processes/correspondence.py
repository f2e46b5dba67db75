"""Serving notices: delivery delay, non-receipt and clarity (seed 000 scope).

A notice (a reporting or bail notice, a decision, a support discontinuation) takes a delivery
delay, may not reach a person whose address is poor, and is acted on only if it is clear enough
to be understood. The two outcomes are kept apart because they call for different policies
(better addresses versus clearer letters).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from sim.model.person import Person

if TYPE_CHECKING:
    from sim.model.model import Model


def setup(m: Model) -> None:
    c = m.scenario.correspondence
    m.k_delivery = m.streams.sampler("correspondence.delivery", c.delivery_days)
    m.k_receipt = m.streams.uniform("correspondence.receipt")
    m.k_clarity = m.streams.uniform("correspondence.clarity")
    m.k_not_received = (c.not_received.none, c.not_received.partial, c.not_received.good)


def serve(m: Model, p: Person) -> Generator[simpy.Event, Any, tuple[bool, bool]]:
    """Serve a notice on ``p``: returns (received, acted on) after the delivery delay."""
    m.n.notices += 1
    yield m.env.timeout(m.k_delivery())
    received = m.k_receipt() >= m.k_not_received[p.quality]
    acted = received and m.k_clarity() < m.scenario.correspondence.clarity
    return received, acted
