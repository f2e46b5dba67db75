"""The initial decision on an asylum claim, in the background of contact management (FIGURES
'Present day'; seed 000 scope).

A claimant (case type ``irregular_arrival`` or ``asylum_claimant``) enters with a claim in progress,
which is a barrier to removal (``LEGAL`` until it is decided), and a decision day drawn at the start
of the run. What happens on that day depends on where the person is, which is why the decision is
part of the model rather than an input:

* on reporting, the reporting part wakes the person on the day (a personal change day, see
  :meth:`Reporting._read_rates`) and asks :meth:`Asylum.decide`: the claim is withdrawn
  (``withdrawal_in_contact``), granted (leave: terminal), or refused or declared inadmissible (an
  adverse notice, raising the hazard of losing contact, and the barrier is gone);
* out of contact, the claim is treated as implicitly withdrawn (``withdrawal_out_of_contact``,
  Immigration Rules para 333C), and a claimant in asylum support has it discontinued, the provider
  having reported the absence (PQ 109979); a claim not withdrawn waits until the person is found;
* anywhere else (detention, casework, arranging a departure) it is decided when the person is next
  on reporting; a person who has left the UK or been granted leave has no claim left to decide.

Every draw is keyed by person, so a person's decision (and whether it would have been a grant, which
``withdrawn_would_have_been_granted`` counts for claims withdrawn out of contact) is the same under
every policy: a policy changes the outcome only through where the person is on the day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim.model import compat
from sim.model.core import Core, Part, from_section
from sim.model.person import ASYLUM_CLAIMANT, IRREGULAR_ARRIVAL, LEGAL, NO_BARRIER, Cohort, Person
from sim.model.states import State
from sim.model.streams import Draw, Streams, inverse_cdf_array
from sim.scenario.schema import Scenario

CLAIM_TYPES = frozenset({IRREGULAR_ARRIVAL, ASYLUM_CLAIMANT})
"""Case types (codes) that enter with an asylum claim in progress."""
DECISION = "asylum_decision"
"""Activity at the decision day (``Recorder.act``): resource asylum_caseworkers; outcome granted,
refused, inadmissible, withdrawn or withdrawn_out_of_contact."""


@dataclass
class AsylumTally:
    """Initial decisions and withdrawals before the horizon (claims, one per claimant)."""

    granted: int = 0
    refused: int = 0
    """Refused, including inadmissible."""
    inadmissible: int = 0
    withdrawn: int = 0
    withdrawn_out_of_contact: int = 0
    withdrawn_would_have_been_granted: int = 0
    """Claims withdrawn out of contact whose decision would have been a grant."""
    support_discontinued: int = 0
    claimants: list[Person] = field(default_factory=list)
    """Everyone who entered with a claim (for the count of support discontinued at the horizon)."""


@dataclass(frozen=True, slots=True)
class AsylumParams:
    """What the asylum part reads from its scenario section (probabilities)."""

    grant_probability: float
    inadmissible_share: float
    withdrawal_in_contact: float
    withdrawal_out_of_contact: float
    supported_share: float

    @classmethod
    def of(cls, s: Scenario) -> AsylumParams:
        """The parameters in force under scenario ``s``."""
        return from_section(cls, s.asylum)


@dataclass(slots=True)
class Asylum(Part):
    """Claims in progress and their initial decisions."""

    core: Core
    params: AsylumParams
    grant: Draw
    """Whether the decision would be a grant (drawn whether or not a decision is made)."""
    withdraw: Draw
    inadmissible: Draw
    supported: frozenset[int]
    """The claimants (person ids) living in asylum support accommodation."""
    tally: AsylumTally

    @classmethod
    def build(cls, s: Scenario, core: Core, streams: Streams, cohort: Cohort) -> Asylum:
        """The part, with every claimant's decision day drawn and, before the horizon, scheduled."""
        places = np.flatnonzero(np.isin(cohort.column("case_type"), sorted(CLAIM_TYPES)))
        cohort.make(places)  # their decision day is an event, wherever they are then
        claimants = [p for p in (cohort.people[k] for k in places.tolist()) if p is not None]
        pids = np.array([p.pid for p in claimants], dtype=np.int64)
        part = cls(
            core=core,
            params=AsylumParams.of(s),
            grant=streams.uniform("asylum.grant"),
            withdraw=streams.uniform("asylum.withdraw"),
            inadmissible=streams.uniform("asylum.inadmissible"),
            supported=frozenset(
                pids[streams.at("asylum.supported", pids) < s.asylum.supported_share].tolist()
            ),
            tally=AsylumTally(claimants=claimants),
        )
        core.on_enter(State.OUT_OF_CONTACT, part.lost)
        days = inverse_cdf_array(s.asylum.decision_days, streams.at("asylum.decision_days", pids))
        env = core.env
        for p, wait in zip(claimants, days.tolist(), strict=True):
            p.barrier = LEGAL  # the claim in progress: no removal until it is decided
            p.decision_at = p.entry + wait
            compat.call_later(env, p.decision_at, part._due, p)  # (the clock is at 0)
        return part

    def retune(self, s: Scenario) -> None:
        """Asylum is not changeable from a day (decision days are drawn at the start): nothing to do."""

    def summary(self) -> dict[str, float | int]:
        t = self.tally
        return {
            "claims_granted": t.granted,
            "claims_refused": t.refused,
            "claims_inadmissible": t.inadmissible,
            "claims_withdrawn": t.withdrawn,
            "claims_withdrawn_out_of_contact": t.withdrawn_out_of_contact,
            "withdrawn_would_have_been_granted": t.withdrawn_would_have_been_granted,
            "support_discontinued": t.support_discontinued,
        }

    def decide(self, p: Person) -> bool:
        """Decide the claim of ``p``, in contact on reporting on (or after) their decision day:
        True if granted leave (moved), False if withdrawn or refused (they report on)."""
        pid = p.pid
        params = self.params
        t = self.tally
        granted = self.grant(pid) < params.grant_probability
        if self.withdraw(pid) < params.withdrawal_in_contact:
            t.withdrawn += 1
            self._close(p, "withdrawn")
            return False
        if granted:
            t.granted += 1
            self._close(p, "granted")
            self.core.move(p, State.GRANTED_LEAVE, "asylum_granted")
            return True
        t.refused += 1
        p.adverse = True  # a refusal is an adverse notice: the hazard of disappearing rises
        inadmissible = self.inadmissible(pid) < params.inadmissible_share
        t.inadmissible += inadmissible
        self._close(p, "inadmissible" if inadmissible else "refused")
        return False

    def _close(self, p: Person, result: str) -> None:
        """The claim of ``p`` ends now with ``result`` (recorded): no longer a barrier to removal."""
        p.decision_at = math.inf
        p.barrier = NO_BARRIER
        self.core.rec.act(p.pid, self.core.env.now, DECISION, "asylum_caseworkers", result)

    def lost(self, p: Person) -> None:
        """Enter hook of OUT_OF_CONTACT: a claim that came up for decision while ``p`` was leaving
        (they had stopped reporting, or were away from reporting) is due now."""
        if p.decision_at <= self.core.env.now:
            self._due(p)

    def _due(self, p: Person) -> None:
        """The decision day of ``p``: withdraw the claim of someone out of contact; leave the rest
        to the reporting part (on reporting, or when next on it)."""
        if p.state != State.OUT_OF_CONTACT or math.isinf(p.decision_at):
            return
        pid = p.pid
        t = self.tally
        t.support_discontinued += pid in self.supported
        if self.withdraw(pid) < self.params.withdrawal_out_of_contact:
            t.withdrawn += 1
            t.withdrawn_out_of_contact += 1
            t.withdrawn_would_have_been_granted += self.grant(pid) < self.params.grant_probability
            self._close(p, "withdrawn_out_of_contact")

    def settle(self, horizon: float) -> None:
        """At the horizon: supported claimants out of contact whose decision day is still to come
        have lost their support too (the provider reported the absence)."""
        t = self.tally
        for p in t.claimants:
            if (
                p.state == State.OUT_OF_CONTACT
                and horizon <= p.decision_at < math.inf
                and p.pid in self.supported
            ):
                t.support_discontinued += 1


__all__ = ["CLAIM_TYPES", "Asylum", "AsylumTally"]
