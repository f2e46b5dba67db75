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

from sim.model.core import Core, retune
from sim.model.person import Person
from sim.model.streams import Delay, Draw, Streams
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
    delivery: Delay
    """Days from sending to delivery."""
    receipt: Draw
    understood: Draw
    tally: CorrespondenceTally

    @staticmethod
    def _params(s: Scenario) -> dict[str, Any]:
        c = s.correspondence
        return {"not_received": tuple(getattr(c.not_received, q) for q in QUALITIES), "clarity": c.clarity}

    @classmethod
    def build(cls, s: Scenario, core: Core, streams: Streams) -> Correspondence:
        return cls(
            core=core,
            delivery=streams.delay("correspondence.delivery", s.correspondence.delivery_days),
            receipt=streams.uniform("correspondence.receipt"),
            understood=streams.uniform("correspondence.clarity"),
            tally=CorrespondenceTally(),
            **cls._params(s),
        )

    def retune(self, s: Scenario) -> None:
        """New parameters from a change day on (notices already on their way arrive as drawn)."""
        retune(self, self._params(s))
        self.delivery.retune(s.correspondence.delivery_days)

    def serve(self, p: Person) -> Generator[simpy.Event, Any, tuple[bool, bool]]:
        """Serve a notice on ``p``: returns (received, acted on) after the delivery delay."""
        self.tally.notices += 1
        pid = p.pid
        yield self.core.env.timeout(self.delivery(pid))
        received = self.receipt(pid) >= self.not_received[p.quality]
        acted = received and self.understood(pid) < self.clarity
        return received, acted


__all__ = ["Correspondence", "CorrespondenceTally"]
