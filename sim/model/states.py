"""The states a person can be in, as the Home Office process sees them.

A person is in exactly one state at any time. States are small integers so the recorder can keep
counts in a list and the event log in integer arrays; names are the stable strings used in every
output table.
"""

from __future__ import annotations

from enum import Enum, IntEnum


class State(IntEnum):
    """Where a person is in the contact-management system."""

    POOL = 0  # not yet contacted: in the Migration Refusal Pool, contact being attempted
    IN_CONTACT = 1  # contact made: consequences explained, departure being arranged or decided
    REPORTING = 2  # on reporting conditions (channel held on the person)
    OUT_OF_CONTACT = 3  # absconded / lost contact
    CASEWORK = 4  # a barrier to removal is being worked
    DETAINED = 5  # in immigration detention
    DEPARTED_VOLUNTARY = 6  # terminal: left voluntarily (assisted or not) after contact
    REMOVED = 7  # terminal: enforced removal
    GRANTED_LEAVE = 8  # terminal: given leave to remain
    CLOSED_ALREADY_DEPARTED = 9  # terminal: evidence the person had already left the UK
    CLOSED_OTHER = 10  # terminal: closed for another reason (e.g. in the pool in error)

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def terminal(self) -> bool:
        return self >= State.DEPARTED_VOLUNTARY


STATES: tuple[State, ...] = tuple(State)
STATE_NAMES: tuple[str, ...] = tuple(s.label for s in State)
TERMINAL: frozenset[State] = frozenset(s for s in State if s.terminal)
NON_TERMINAL: tuple[State, ...] = tuple(s for s in State if not s.terminal)
N_STATES = len(STATES)

# Outcomes that mean the person has left the UK (true outcome, not the recorded one).
DEPARTURE_STATES: frozenset[State] = frozenset(
    {State.DEPARTED_VOLUNTARY, State.REMOVED, State.CLOSED_ALREADY_DEPARTED}
)


class Outcome(Enum):
    """What a state's process reports back to the person's process when it returns."""

    MOVED = "moved"
    """The person changed state: run the process of the state they are in now (the person's
    process checks that a change was recorded)."""
    AGAIN = "again"
    """The person ended where they started after a round trip that changed nothing (e.g. an
    absconder not found at the address): run the same state's process again."""
    DORMANT = "dormant"
    """Nothing more will happen to the person before the horizon: no event is scheduled."""


ENTRY = -1
"""Pseudo-state code used as ``from_state`` of the entry record in the event log."""


def state_name(code: int) -> str:
    """Stable name of a state code; ``'entry'`` for the pseudo-state before entering."""
    return "entry" if code == ENTRY else State(code).label
