"""Serving notices: delivery delay, non-receipt and clarity (seed 000 scope).

A notice (a reporting or bail notice, a decision, a support discontinuation) sent by post takes a
delivery delay, may not reach a person whose address is poor, and is acted on only if it is clear
enough to be understood. The two outcomes are kept apart because they call for different policies
(better addresses versus clearer letters). A notice handed over in person (on release from
detention, at the gatekeeper, to someone just traced) is received at once and explained there, so
neither chance applies (the caller says which route: :meth:`Correspondence.serve`).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import simpy

from sim.model.core import Core, Part
from sim.model.person import Person
from sim.model.streams import Delay, Draw, Streams
from sim.scenario.schema import QUALITIES, Costs, Scenario


@dataclass
class CorrespondenceTally:
    notices: int = 0
    """Notices served by either route (each costs ``costs.notice``)."""
    in_person: int = 0
    """Of those, notices handed over in person."""


@dataclass(frozen=True, slots=True)
class CorrespondenceParams:
    """What the correspondence part reads from its scenario section, typed (probabilities, rates per
    day, days; tuples in category-code order)."""

    not_received: tuple[float, ...]
    """Probability a notice goes astray, by quality of the person's details (code order)."""
    clarity: float
    """Probability a received notice is understood and acted on."""

    @classmethod
    def of(cls, s: Scenario) -> CorrespondenceParams:
        """The parameters in force under scenario ``s``."""
        c = s.correspondence
        return cls(not_received=tuple(getattr(c.not_received, q) for q in QUALITIES), clarity=c.clarity)


@dataclass(slots=True)
class Correspondence(Part):
    """Notices and how they fare."""

    core: Core
    params: CorrespondenceParams
    """The part's parameters, swapped whole by :meth:`retune` on a change day."""
    delivery: Delay
    """Days from sending to delivery."""
    receipt: Draw
    understood: Draw
    tally: CorrespondenceTally

    @classmethod
    def build(cls, s: Scenario, core: Core, streams: Streams) -> Correspondence:
        return cls(
            core=core,
            delivery=streams.delay("correspondence.delivery", s.correspondence.delivery_days),
            receipt=streams.uniform("correspondence.receipt"),
            understood=streams.uniform("correspondence.clarity"),
            tally=CorrespondenceTally(),
            params=CorrespondenceParams.of(s),
        )

    def summary(self) -> dict[str, float | int]:
        return {"notices": self.tally.notices, "notices_in_person": self.tally.in_person}

    def costs(self, c: Costs) -> dict[str, float]:
        return {"notices": self.tally.notices * c.notice}

    def retune(self, s: Scenario) -> None:
        """New parameters from a change day on (notices already on their way arrive as drawn)."""
        self.params = CorrespondenceParams.of(s)
        self.delivery.retune(s.correspondence.delivery_days)

    def serve(self, p: Person, in_person: bool = False) -> Generator[simpy.Event, Any, tuple[bool, bool]]:
        """Serve a notice on ``p``: returns (received, acted on), at once if ``in_person``, else
        after the delivery delay. Recorded as a ``notice_served`` activity (resource: the route)."""
        tally = self.tally
        tally.notices += 1
        pid = p.pid
        rec = self.core.rec
        if in_person:
            tally.in_person += 1
            rec.act(pid, self.core.env.now, "notice_served", "in_person", "acted")
            return True, True
        yield self.core.env.timeout(self.delivery(pid))
        received = self.receipt(pid) >= self.params.not_received[p.quality]
        acted = received and self.understood(pid) < self.params.clarity
        outcome = "acted" if acted else ("not_understood" if received else "not_received")
        rec.act(pid, self.core.env.now, "notice_served", "post", outcome)
        return received, acted


__all__ = ["Correspondence", "CorrespondenceTally"]
