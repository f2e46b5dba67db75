"""Serving notices: delivery delay, non-receipt and clarity (seed 000 scope).

A notice (a reporting or bail notice, a decision, a support discontinuation) takes a delivery
delay, may not reach a person whose address is poor, and is acted on only if it is clear enough
to be understood. The two outcomes are kept apart because they call for different policies
(better addresses versus clearer letters).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import simpy

from sim.model.core import Core
from sim.model.person import Person
from sim.model.streams import Draw, Streams
from sim.scenario.schema import QUALITIES, Scenario


@dataclass
class CorrespondenceTally:
    notices: int = 0
    """Notices served (each costs ``costs.notice``)."""


@dataclass(frozen=True, slots=True)
class Correspondence:
    """Notices and how they fare."""

    core: Core
    not_received: tuple[float, ...]
    """Probability a notice goes astray, by quality of the person's details (code order)."""
    clarity: float
    """Probability a received notice is understood and acted on."""
    delivery: Draw
    """Days from sending to delivery."""
    receipt: Draw
    understood: Draw
    tally: CorrespondenceTally

    @classmethod
    def build(cls, s: Scenario, core: Core, streams: Streams) -> Correspondence:
        c = s.correspondence
        return cls(
            core,
            tuple(getattr(c.not_received, q) for q in QUALITIES),
            c.clarity,
            streams.delay("correspondence.delivery", c.delivery_days),
            streams.uniform("correspondence.receipt"),
            streams.uniform("correspondence.clarity"),
            CorrespondenceTally(),
        )

    def serve(self, p: Person) -> Generator[simpy.Event, Any, tuple[bool, bool]]:
        """Serve a notice on ``p``: returns (received, acted on) after the delivery delay."""
        self.tally.notices += 1
        pid = p.pid
        yield self.core.env.timeout(self.delivery(pid))
        received = self.receipt(pid) >= self.not_received[p.quality]
        acted = received and self.understood(pid) < self.clarity
        return received, acted


__all__ = ["Correspondence", "CorrespondenceTally"]
