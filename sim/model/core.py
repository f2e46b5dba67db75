"""What every domain part shares: the clock, the recorder, the horizon, and the one way to move a
person between states.

A part registers what must happen when a person leaves (or enters) a state it owns: the detention
part frees the bed, the reporting part cancels the centre booking, the tracing part counts a first
loss of contact. :meth:`Core.move` runs those hooks, so whatever a state holds is released by the
part that took it, whichever process moves the person on.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Generator, Sequence
from dataclasses import FrozenInstanceError, fields
from typing import TYPE_CHECKING, Any, TypeVar

import simpy

from sim.model.compat import Environment
from sim.model.person import Person
from sim.model.recorder import Recorder
from sim.model.states import N_STATES
from sim.scenario.schema import Costs, Scenario

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Hook = Callable[[Person], None]
P = TypeVar("P", bound="DataclassInstance")


class Core:
    """The environment, recorder and state-change hooks of one replication."""

    __slots__ = ("_enter", "_leave", "change_days", "env", "horizon", "rec")

    def __init__(self, env: Environment, rec: Recorder, change_days: Sequence[float] = ()) -> None:
        self.env = env
        self.rec = rec
        self.horizon = env.horizon
        self.change_days = sorted(change_days)
        """Days on which the scenario's parameters change (see ``Scenario.changes``)."""
        self._leave: list[tuple[Hook, ...]] = [()] * N_STATES
        self._enter: list[tuple[Hook, ...]] = [()] * N_STATES

    def next_change(self, now: float) -> float:
        """The first change day after ``now`` (inf if none): clocks that run at a rate stop there
        and are re-drawn with the new rate, which is exact because they are memoryless."""
        days = self.change_days
        if not days:
            return math.inf
        i = bisect.bisect_right(days, now)
        return days[i] if i < len(days) else math.inf

    def stop_at_change(self, within: float) -> Generator[simpy.Event, Any, float]:
        """Wait for the next change day if it comes less than ``within`` days from now, and
        return the days waited (0.0 at once, with no event, otherwise).

        The one way a process waits on a clock that runs at a rate: it waits ``within`` days (to
        its clock or its deadline, whichever is first) unless the rates may change before, in
        which case it stops here and draws its clock again (exact: the clocks are memoryless)."""
        env = self.env
        to_change = self.next_change(env.now) - env.now
        if to_change < within:
            yield env.timeout(to_change)
            return to_change
        return 0.0

    def on_leave(self, state: int, hook: Hook) -> None:
        """Run ``hook(person)`` whenever someone leaves ``state`` (hooks run in the order added)."""
        self._leave[state] += (hook,)

    def on_enter(self, state: int, hook: Hook) -> None:
        """Run ``hook(person)`` whenever someone enters ``state`` (hooks run in the order added)."""
        self._enter[state] += (hook,)

    def dispose(self) -> None:
        """Drop the hooks (after the run): they hold the parts, which hold this core."""
        self._leave = [()] * N_STATES
        self._enter = [()] * N_STATES

    def move(self, p: Person, to: int, cause: str) -> None:
        """Move ``p`` to state ``to`` now because of ``cause``, releasing what the old state held."""
        for leave in self._leave[p.state]:
            leave(p)
        self.rec.move(p, to, cause, self.env.now)
        for enter in self._enter[to]:
            enter(p)

    def move_unless(self, p: Person, to: int, cause: str) -> None:
        """:meth:`move`, unless ``p`` is in ``to`` already (e.g. an absconder not found again)."""
        if p.state != to:
            self.move(p, to, cause)


class Part:
    """Base of a domain part: fields are set once, at build, except ``params``.

    A part holds its parameters as one frozen, typed ``params`` (built from its scenario section)
    and its runtime state (resources, tallies, streams) as other fields. On a scenario change day
    the part's ``retune`` swaps ``params`` whole; any other assignment after build raises, so
    nothing changes a part by accident. Reads cost nothing extra: only assignment is checked.

    After the run each part contributes what it counted to the results (``sim.model.results``
    iterates over the parts): its columns of summary.csv, its cost items and its resources.
    """

    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> None:
        if name != "params" and hasattr(self, name):
            raise FrozenInstanceError(f"cannot assign to field {name!r} of {type(self).__name__}")
        super().__setattr__(name, value)

    def retune(self, s: Scenario) -> None:
        """Take the parameters in force from a change day on (``s``, one of the regimes)."""
        raise NotImplementedError(f"{type(self).__name__} must say what a change day changes")

    def summary(self) -> dict[str, float | int]:
        """This part's columns of summary.csv (named in ``sim.model.kpis``); none by default."""
        return {}

    def costs(self, c: Costs) -> dict[str, float]:
        """This part's cost items (``kpis.COST_ITEMS``) in GBP, at unit costs ``c``; none by default."""
        return {}

    def resources(self, horizon: float) -> list[dict[str, Any]]:
        """Rows of resources.csv for the resources this part owns, over [0, horizon] days."""
        return []


def from_section(cls: type[P], section: object, **other: Any) -> P:
    """A part's parameters ``cls`` (a frozen dataclass) with each field the same-named parameter of
    its scenario ``section``: a part that only copies its section reads it under the scenario's own
    names (``params.legal_grant`` is ``casework.legal_grant``). ``other`` gives the fields that come
    from another section."""
    return cls(**{f.name: getattr(section, f.name) for f in fields(cls) if f.name not in other}, **other)


__all__ = ["Core", "Hook", "Part", "from_section"]
