"""Enforcement: tasking, arrest, the detention gatekeeper, detention and removal (001 rec 3, 6-7;
002 rec 13).

A tasking referral waits for an arrest team (a limited resource, so referrals queue; people not
yet out of contact may lose contact while they wait). With better tasking (``pre_arrest_check``)
the referral is checked for barriers and bed space before anyone is sent, so fewer arrests end
in a rejection by the detention gatekeeper. At the gatekeeper a person with a barrier, or one
arriving when no bed is free, is rejected and released; otherwise they are detained. Detention
holds a bed (a loss system: no queue for beds). Removals are planned and a share cancelled
(FIGURES: 40%); a cancellation caused by a new barrier releases the person to casework, and too
many failed attempts release them to reporting.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from sim.model.person import FURTHER_SUBMISSION, LEGAL, NO_BARRIER, Person
from sim.model.states import State

if TYPE_CHECKING:
    from sim.model.model import Model


def setup(m: Model) -> None:
    s = m.scenario
    m.e_decide = m.streams.uniform("enforcement.decision")
    m.e_visit = m.streams.sampler("enforcement.visit", s.enforcement.visit_days)
    m.e_planning = m.streams.sampler("detention.removal_planning", s.detention.removal_planning_days)
    m.e_removal = m.streams.uniform("detention.removal")


def refer(m: Model, p: Person, cause: str) -> Generator[simpy.Event, Any, Any]:
    """A tasking referral for arrest.

    Returns ``"again"`` when the person ends where they started (for example someone referred
    from casework in whom the gatekeeper finds a new barrier, or an absconder not found at the
    address), so that the process of their state runs again; otherwise their state changed.
    """
    start = p.state
    yield from _referral(m, p, cause)
    p.latent_barrier = -1  # a pre-arrest check's finding is about this referral only
    return "again" if p.state == start else None


def tasking_check(m: Model, p: Person) -> bool:
    """The check some referrals get before anyone is sent (001 rec 3; 002 §13.3, §13.9).

    True if the arrest should go ahead. A checked case with a known barrier, or with one that
    would emerge at detention and that the check finds, goes to casework instead; a checked case
    when no bed is free is deferred (back to reporting). Unchecked cases always go ahead.
    """
    e = m.scenario.enforcement
    if m.e_decide() >= e.pre_arrest_check:
        return True
    if p.barrier == NO_BARRIER:
        # would a barrier emerge at detention? the check sees some of these in advance
        p.latent_barrier = int(m.e_decide() < e.hidden_barrier_probability)
        if p.latent_barrier and m.e_decide() < e.check_detects_hidden_barrier:
            p.barrier = FURTHER_SUBMISSION
            p.latent_barrier = -1
    if p.barrier != NO_BARRIER:
        _move_unless(m, p, State.CASEWORK, "barrier_found_at_tasking")
        return False
    if m.beds.full:
        m.n.tasking_deferred += 1
        _move_unless(m, p, State.REPORTING, "tasking_deferred_no_bed")
        return False
    return True


def _referral(m: Model, p: Person, cause: str) -> Generator[simpy.Event, Any, None]:
    e = m.scenario.enforcement
    m.n.referrals += 1
    if not tasking_check(m, p):
        return
    if p.state == State.OUT_OF_CONTACT:
        ev = m.teams.acquire()
        if ev is not None:
            yield ev
    else:
        held = yield from m.queue_or_abscond(m.teams, p, "absconded_awaiting_arrest")
        if not held:
            return
    yield m.env.timeout(m.e_visit())
    m.teams.release()
    m.n.arrests += 1
    if m.e_decide() >= e.arrest_success:
        _move_unless(m, p, State.OUT_OF_CONTACT, "not_found_at_arrest")
        return
    gatekeep(m, p, "arrested_" + cause)


def _move_unless(m: Model, p: Person, to: int, cause: str) -> None:
    if p.state != to:
        m.move(p, to, cause)


def gatekeep(m: Model, p: Person, cause: str) -> bool:
    """The detention gatekeeper (001 rec 3). True if the person was detained.

    A barrier not known before (a further submission lodged at the point of detention, 002
    §13.8) can emerge here, unless a pre-arrest check already decided whether it would.
    Rejected people with a barrier go to casework, others to reporting.
    """
    e = m.scenario.enforcement
    if p.barrier == NO_BARRIER:
        emerges = p.latent_barrier if p.latent_barrier >= 0 else m.e_decide() < e.hidden_barrier_probability
        p.latent_barrier = -1
        if emerges:
            p.barrier = FURTHER_SUBMISSION
    if p.barrier != NO_BARRIER:
        m.n.rejections_barrier += 1
        _move_unless(m, p, State.CASEWORK, "rejected_for_detention_barrier")
        return False
    if not m.beds.seize_if_free():
        m.n.rejections_no_bed += 1
        _move_unless(m, p, State.REPORTING, "rejected_for_detention_no_bed")
        return False
    m.move(p, State.DETAINED, cause)
    p.bed = True
    return True


def detention(m: Model, p: Person) -> Generator[simpy.Event, Any, Any]:
    """DETAINED state: removal attempts until removal or release (the bed is freed on leaving)."""
    d = m.scenario.detention
    for _ in range(d.max_removal_attempts):
        yield m.env.timeout(m.e_planning())
        if m.e_removal() >= d.cancellation_probability:
            m.n.removals += 1
            m.move(p, State.REMOVED, "removed")
            return None
        if m.e_removal() < d.barrier_on_cancellation:
            p.barrier = LEGAL
            m.move(p, State.CASEWORK, "released_barrier_emerged")
            return None
    m.move(p, State.REPORTING, "released_removal_failed")
    return None
