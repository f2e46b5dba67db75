"""Casework barriers to removal (001 rec 4; 002 §6.2, §13.8).

Three kinds of barrier are worked:

* a further submission, decided by a caseworker (a limited resource: cases queue), which can
  lead to a grant of leave; a refusal is an adverse notice served on the person;
* no travel document: the time to obtain one, which may fail (the person then goes back to
  reporting with the barrier still in place);
* a legal or human-rights challenge, which can also end in a grant.

While a case waits the person may lose contact. A cleared barrier returns the case to
enforcement or recycles it to contact management (002 §6.2).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import simpy

from sim.model.core import Core, Part, from_section
from sim.model.person import FURTHER_SUBMISSION, LEGAL, NO_BARRIER, NO_TRAVEL_DOCUMENT, Person
from sim.model.processes.absconding import Absconding
from sim.model.processes.correspondence import Correspondence
from sim.model.processes.enforcement import Enforcement
from sim.model.resources import Pool
from sim.model.states import Outcome, State
from sim.model.streams import Delay, Draw, Streams
from sim.scenario.schema import Scenario

DECISION = "casework_decision"
"""Activity at the end of work on a barrier (``Recorder.act``): resource caseworkers, documentation
or courts; outcome the barrier and its result."""


@dataclass
class CaseworkTally:
    decisions: int = 0
    """Further-submission and legal decisions made."""


@dataclass(frozen=True, slots=True)
class CaseworkParams:
    """What the casework part reads from its scenario section, typed (probabilities, rates per
    day, days; tuples in category-code order)."""

    further_submission_grant: float
    travel_document_success: float
    legal_grant: float
    enforcement_after_resolution: float

    @classmethod
    def of(cls, s: Scenario) -> CaseworkParams:
        """The parameters in force under scenario ``s``."""
        return from_section(cls, s.casework)


@dataclass(slots=True)
class Casework(Part):
    """Caseworkers and the three kinds of barrier."""

    core: Core
    params: CaseworkParams
    """The part's parameters, swapped whole by :meth:`retune` on a change day."""
    absconding: Absconding
    correspondence: Correspondence
    enforcement: Enforcement
    caseworkers: Pool
    further_submission_days: Delay
    travel_document_days: Delay
    legal_days: Delay
    granted_further_submission: Draw
    obtained_document: Draw
    granted_legal: Draw
    enforced: Draw
    tally: CaseworkTally

    @classmethod
    def build(
        cls,
        s: Scenario,
        core: Core,
        streams: Streams,
        absconding: Absconding,
        correspondence: Correspondence,
        enforcement: Enforcement,
    ) -> Casework:
        c = s.casework
        return cls(
            core=core,
            absconding=absconding,
            correspondence=correspondence,
            enforcement=enforcement,
            caseworkers=Pool(core.env, "caseworkers", c.caseworkers),
            further_submission_days=streams.delay(
                "casework.further_submission_days", c.further_submission_days
            ),
            travel_document_days=streams.delay("casework.travel_document_days", c.travel_document_days),
            legal_days=streams.delay("casework.legal_days", c.legal_days),
            granted_further_submission=streams.uniform("casework.further_submission_grant"),
            obtained_document=streams.uniform("casework.travel_document_success"),
            granted_legal=streams.uniform("casework.legal_grant"),
            enforced=streams.uniform("casework.enforcement_after_resolution"),
            tally=CaseworkTally(),
            params=CaseworkParams.of(s),
        )

    def resources(self, horizon: float) -> list[dict[str, Any]]:
        return [vars(self.caseworkers.stats(horizon))]

    def retune(self, s: Scenario) -> None:
        """New parameters and number of caseworkers from a change day on (cases being worked
        keep their caseworker and their decision date)."""
        c = s.casework
        self.params = CaseworkParams.of(s)
        self.further_submission_days.retune(c.further_submission_days)
        self.travel_document_days.retune(c.travel_document_days)
        self.legal_days.retune(c.legal_days)
        self.caseworkers.resize(c.caseworkers)

    def process(self, p: Person) -> Generator[simpy.Event, Any, Outcome]:
        """CASEWORK state: work the barrier, then grant, refuse (adverse notice) or clear it."""
        pid = p.pid
        core = self.core
        barrier = p.barrier
        if barrier == FURTHER_SUBMISSION:
            cleared = yield from self._further_submission(p)
        elif barrier == NO_TRAVEL_DOCUMENT:
            cleared = yield from self._travel_document(p)
        elif barrier == LEGAL:
            cleared = yield from self._legal_challenge(p)
        else:
            cleared = True
        if not cleared:
            return Outcome.MOVED
        p.barrier = NO_BARRIER
        if barrier in (FURTHER_SUBMISSION, LEGAL):
            received, _ = yield from self.correspondence.serve(p)
            p.adverse = p.adverse or received
        if self.enforced(pid) < self.params.enforcement_after_resolution:
            return (yield from self.enforcement.refer(p, "barrier_cleared"))
        core.move(p, State.IN_CONTACT, "barrier_cleared_recycled")
        return Outcome.MOVED

    def _further_submission(self, p: Person) -> Generator[simpy.Event, Any, bool]:
        """A caseworker decides a further submission: False if ``p`` absconded waiting or was
        granted leave (moved), True if refused (the barrier is cleared)."""
        pid = p.pid
        held = yield from self.absconding.queue(self.caseworkers, p, "absconded_awaiting_decision")
        if not held:
            return False
        lost = yield from self.absconding.wait(
            p, self.further_submission_days(pid), "absconded_awaiting_decision"
        )
        self.caseworkers.release()
        if lost:
            return False
        granted = self.granted_further_submission(pid) < self.params.further_submission_grant
        return self._decided(p, granted, "caseworkers", "further_submission", "further_submission_granted")

    def _travel_document(self, p: Person) -> Generator[simpy.Event, Any, bool]:
        """A travel document is sought: True if obtained, False if ``p`` absconded waiting or none
        was obtained (then on reporting: moved)."""
        pid = p.pid
        core = self.core
        lost = yield from self.absconding.wait(
            p, self.travel_document_days(pid), "absconded_awaiting_documents"
        )
        if lost:
            return False
        obtained = self.obtained_document(pid) < self.params.travel_document_success
        result = "travel_document_obtained" if obtained else "travel_document_not_obtained"
        core.rec.act(pid, core.env.now, DECISION, "documentation", result)
        if not obtained:
            core.move(p, State.REPORTING, "travel_document_not_obtained")
        return obtained

    def _legal_challenge(self, p: Person) -> Generator[simpy.Event, Any, bool]:
        """The courts decide a legal challenge: False if ``p`` absconded during it or was granted
        leave (moved), True if refused (the barrier is cleared)."""
        pid = p.pid
        lost = yield from self.absconding.wait(p, self.legal_days(pid), "absconded_during_legal_challenge")
        if lost:
            return False
        granted = self.granted_legal(pid) < self.params.legal_grant
        return self._decided(p, granted, "courts", "legal", "legal_challenge_granted")

    def _decided(self, p: Person, granted: bool, decider: str, kind: str, reason: str) -> bool:
        """Record a decision on a further submission or a legal challenge (``kind``) by
        ``decider``: True if refused (the barrier is cleared), False if granted (``p`` is moved
        to leave granted for ``reason``)."""
        core = self.core
        self.tally.decisions += 1
        result = f"{kind}_granted" if granted else f"{kind}_refused"
        core.rec.act(p.pid, core.env.now, DECISION, decider, result)
        if granted:
            core.move(p, State.GRANTED_LEAVE, reason)
        return not granted


__all__ = ["Casework", "CaseworkTally"]
