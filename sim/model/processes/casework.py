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
from typing import TYPE_CHECKING, Any

import simpy

from sim.model.person import FURTHER_SUBMISSION, LEGAL, NO_BARRIER, NO_TRAVEL_DOCUMENT, Person
from sim.model.processes import correspondence, enforcement
from sim.model.states import State

if TYPE_CHECKING:
    from sim.model.model import Model


def setup(m: Model) -> None:
    c = m.scenario.casework
    m.w_decide = m.streams.uniform("casework.decision")
    m.w_fs = m.streams.sampler("casework.further_submission", c.further_submission_days)
    m.w_doc = m.streams.sampler("casework.travel_document", c.travel_document_days)
    m.w_legal = m.streams.sampler("casework.legal", c.legal_days)


def casework(m: Model, p: Person) -> Generator[simpy.Event, Any, Any]:
    """CASEWORK state: work the barrier, then grant, refuse (adverse notice) or clear it."""
    c = m.scenario.casework
    barrier = p.barrier
    if barrier == FURTHER_SUBMISSION:
        held = yield from m.queue_or_abscond(m.caseworkers, p, "absconded_awaiting_decision")
        if not held:
            return None
        lost = yield from m.wait_or_abscond(p, m.w_fs(), "absconded_awaiting_decision")
        m.caseworkers.release()
        if lost:
            return None
        m.n.decisions += 1
        if m.w_decide() < c.further_submission_grant:
            m.move(p, State.GRANTED_LEAVE, "further_submission_granted")
            return None
    elif barrier == NO_TRAVEL_DOCUMENT:
        lost = yield from m.wait_or_abscond(p, m.w_doc(), "absconded_awaiting_documents")
        if lost:
            return None
        if m.w_decide() >= c.travel_document_success:
            m.move(p, State.REPORTING, "travel_document_not_obtained")
            return None
    elif barrier == LEGAL:
        lost = yield from m.wait_or_abscond(p, m.w_legal(), "absconded_during_legal_challenge")
        if lost:
            return None
        m.n.decisions += 1
        if m.w_decide() < c.legal_grant:
            m.move(p, State.GRANTED_LEAVE, "legal_challenge_granted")
            return None
    p.barrier = NO_BARRIER
    if barrier in (FURTHER_SUBMISSION, LEGAL):
        received, _ = yield from correspondence.serve(m, p)
        p.adverse = p.adverse or received
    if m.w_decide() < c.enforcement_after_resolution:
        return (yield from enforcement.refer(m, p, "barrier_cleared"))
    m.move(p, State.IN_CONTACT, "barrier_cleared_recycled")
    return None
