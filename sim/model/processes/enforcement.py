"""Enforcement: tasking, arrest and the detention gatekeeper (001 rec 3; 002 rec 13).

A tasking referral waits for an arrest team (a limited resource, so referrals queue; people not
yet out of contact may lose contact while they wait). With better tasking (``pre_arrest_check``)
the referral is checked for barriers and bed space before anyone is sent, so fewer arrests end
in a rejection by the detention gatekeeper. At the gatekeeper a person with a barrier, or one
arriving when no bed is free, is rejected and released; otherwise they are detained (the
detention part takes over).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import simpy

from sim.model.core import Core, Part, from_section
from sim.model.person import FURTHER_SUBMISSION, NO_BARRIER, UNDECIDED, Person
from sim.model.processes.absconding import Absconding
from sim.model.processes.detention import Detention
from sim.model.resources import Pool
from sim.model.states import Outcome, State
from sim.model.streams import Delay, Draw, Streams
from sim.scenario.schema import Costs, Scenario

CHECK = "tasking_check"
"""Activities (``Recorder.act``): the pre-arrest check (resource casework; only for referrals that
get it), the arrest visit (arrest_teams) and the gatekeeper's decision (detention_gatekeeper)."""
VISIT = "arrest_visit"
GATEKEEPER = "gatekeeper_decision"


@dataclass
class EnforcementTally:
    referrals: int = 0
    arrests: int = 0
    """Arrest visits made (each costs ``costs.arrest``)."""
    not_found: int = 0
    """Of those, visits at which the person was not found (wasted)."""
    tasking_deferred: int = 0
    rejections_barrier: int = 0
    rejections_no_bed: int = 0


@dataclass(frozen=True, slots=True)
class EnforcementParams:
    """What the enforcement part reads from its scenario section, typed (probabilities, rates per
    day, days; tuples in category-code order)."""

    pre_arrest_check: float
    """Share of referrals checked for barriers and bed space before the visit."""
    hidden_barrier_probability: float
    """Probability a barrier emerges at the point of detention (unless already decided)."""
    check_detects_hidden_barrier: float
    """Probability a pre-arrest check finds a barrier that would emerge at detention."""
    arrest_success: float

    @classmethod
    def of(cls, s: Scenario) -> EnforcementParams:
        """The parameters in force under scenario ``s``."""
        return from_section(cls, s.enforcement)


@dataclass(slots=True)
class Enforcement(Part):
    """Arrest teams, the pre-arrest check and the gatekeeper."""

    core: Core
    params: EnforcementParams
    """The part's parameters, swapped whole by :meth:`retune` on a change day."""
    absconding: Absconding
    detention: Detention
    teams: Pool
    checked: Draw
    hidden: Draw
    detected: Draw
    found: Draw
    visit: Delay
    """Days an arrest visit occupies a team."""
    tally: EnforcementTally

    @classmethod
    def build(
        cls, s: Scenario, core: Core, streams: Streams, absconding: Absconding, detention: Detention
    ) -> Enforcement:
        e = s.enforcement
        return cls(
            core=core,
            absconding=absconding,
            detention=detention,
            teams=Pool(core.env, "arrest_teams", e.teams),
            checked=streams.uniform("enforcement.pre_arrest_check"),
            hidden=streams.uniform("enforcement.hidden_barrier"),
            detected=streams.uniform("enforcement.check_detects_hidden_barrier"),
            found=streams.uniform("enforcement.arrest_success"),
            visit=streams.delay("enforcement.visit", e.visit_days),
            tally=EnforcementTally(),
            params=EnforcementParams.of(s),
        )

    def summary(self) -> dict[str, float | int]:
        t = self.tally
        return {
            "detention_rejections": t.rejections_barrier + t.rejections_no_bed,
            "detention_rejections_barrier": t.rejections_barrier,
            "detention_rejections_no_bed": t.rejections_no_bed,
            "arrests": t.arrests,
            "wasted_arrest_visits": t.not_found,
        }

    def costs(self, c: Costs) -> dict[str, float]:
        return {"arrests": self.tally.arrests * c.arrest}

    def resources(self, horizon: float) -> list[dict[str, Any]]:
        return [vars(self.teams.stats(horizon))]

    def retune(self, s: Scenario) -> None:
        """New parameters and number of arrest teams from a change day on (visits under way
        finish)."""
        self.params = EnforcementParams.of(s)
        self.visit.retune(s.enforcement.visit_days)
        self.teams.resize(s.enforcement.teams)

    def refer(self, p: Person, cause: str) -> Generator[simpy.Event, Any, Outcome]:
        """A tasking referral for arrest.

        Returns AGAIN when the person ends where they started (for example someone referred from
        casework in whom the check finds a new barrier, or an absconder not found at the
        address), so that the process of their state runs again; otherwise MOVED.
        """
        start = p.state
        yield from self._referral(p, cause)
        p.latent_barrier = UNDECIDED  # a pre-arrest check's finding is about this referral only
        return Outcome.AGAIN if p.state == start else Outcome.MOVED

    def tasking_check(self, p: Person) -> bool:
        """The check some referrals get before anyone is sent (001 rec 3; 002 §13.3, §13.9).

        True if the arrest should go ahead. A checked case with a known barrier, or with one that
        would emerge at detention and that the check finds, goes to casework instead; a checked
        case when no bed is free is deferred (back to reporting). Unchecked cases always go ahead.
        """
        pid = p.pid
        if self.checked(pid) >= self.params.pre_arrest_check:
            return True
        core = self.core
        if p.barrier == NO_BARRIER:
            # would a barrier emerge at detention? the check sees some of these in advance
            p.latent_barrier = int(self.hidden(pid) < self.params.hidden_barrier_probability)
            if p.latent_barrier and self.detected(pid) < self.params.check_detects_hidden_barrier:
                p.barrier = FURTHER_SUBMISSION
                p.latent_barrier = UNDECIDED
        if p.barrier != NO_BARRIER:
            core.rec.act(pid, core.env.now, CHECK, "casework", "barrier_found")
            core.move_unless(p, State.CASEWORK, "barrier_found_at_tasking")
            return False
        if self.detention.full:
            self.tally.tasking_deferred += 1
            core.rec.act(pid, core.env.now, CHECK, "casework", "deferred_no_bed")
            core.move_unless(p, State.REPORTING, "tasking_deferred_no_bed")
            return False
        core.rec.act(pid, core.env.now, CHECK, "casework", "proceed")
        return True

    def _referral(self, p: Person, cause: str) -> Generator[simpy.Event, Any, None]:
        self.tally.referrals += 1
        if not self.tasking_check(p):
            return
        if p.state == State.OUT_OF_CONTACT:
            ev = self.teams.acquire()
            if ev is not None:
                yield ev
        else:
            held = yield from self.absconding.queue(self.teams, p, "absconded_awaiting_arrest")
            if not held:
                return
        yield self.core.env.timeout(self.visit(p.pid))
        self.teams.release()
        self.tally.arrests += 1
        found = self.found(p.pid) < self.params.arrest_success
        self.core.rec.act(p.pid, self.core.env.now, VISIT, "arrest_teams", "found" if found else "not_found")
        if not found:
            self.tally.not_found += 1
            self.core.move_unless(p, State.OUT_OF_CONTACT, "not_found_at_arrest")
            return
        self.gatekeep(p, "arrested_" + cause)

    def gatekeep(self, p: Person, cause: str) -> bool:
        """The detention gatekeeper (001 rec 3). True if the person was detained.

        A barrier not known before (a further submission lodged at the point of detention, 002
        §13.8) can emerge here, unless a pre-arrest check already decided whether it would.
        Rejected people with a barrier go to casework, others to reporting.
        """
        if p.barrier == NO_BARRIER:
            latent = p.latent_barrier
            hidden = self.params.hidden_barrier_probability
            emerges = bool(latent) if latent != UNDECIDED else self.hidden(p.pid) < hidden
            p.latent_barrier = UNDECIDED
            if emerges:
                p.barrier = FURTHER_SUBMISSION
        core = self.core
        now = core.env.now
        if p.barrier != NO_BARRIER:
            self.tally.rejections_barrier += 1
            core.rec.act(p.pid, now, GATEKEEPER, "detention_gatekeeper", "rejected_barrier")
            core.move_unless(p, State.CASEWORK, "rejected_for_detention_barrier")
            return False
        if core.rec.keep_log:  # recorded before the move it leads to (admission takes a bed if free)
            decision = "rejected_no_bed" if self.detention.full else "detained"
            core.rec.act(p.pid, now, GATEKEEPER, "detention_gatekeeper", decision)
        if not self.detention.admit(p, cause):
            self.tally.rejections_no_bed += 1
            core.move_unless(p, State.REPORTING, "rejected_for_detention_no_bed")
            return False
        return True


__all__ = ["Enforcement", "EnforcementTally"]
