"""Every use of SimPy's private internals, in one place, for the SimPy versions pinned in
pyproject.toml (``simpy>=4.1,<4.2``).

The model uses SimPy's public API (``Environment``, ``Event``, ``Timeout``, ``Process``) everywhere
else. Six things need its internals:

* not scheduling what would happen at or after the horizon (:class:`Environment`): it would never
  be processed, and the process waiting on it would be held, suspended, until the run ends. In the
  2024 model, where most of a three-year cohort is still on reporting at the horizon, that was
  ~150,000 generator chains and events (~170 MiB a worker); unscheduled, with callbacks that keep
  nothing (:data:`NEVER`), each is freed as soon as its process yields the event;
* a call at a given time without a SimPy event (:func:`call_later`): a timeout with a callback
  costs ~600 bytes until it fires, and the 2024 model schedules ~90,000 asylum decision days at
  the start;
* running a process nobody waits for from a given time with one event (:func:`start_at`): SimPy's
  own way takes three (a timeout to wake whoever starts it, the process's ``Initialize`` event and
  the event of its end), and every person who does something before the horizon starts this way
  (``Model.start``);
* an event at a given time (:func:`at`): a timeout fires at ``now + delay``, which need not be
  bit for bit a time computed ahead of the clock (the entries and exits of the contact phase,
  played before the run);
* the number of events scheduled, a performance figure (SimPy numbers events with a private
  counter, ``Environment._eid``);
* freeing a finished replication quickly: events still queued at the horizon hold the suspended
  processes, whose generators hold the model, so the whole model is one reference cycle that only
  a full garbage collection would free (~0.8 s for a full cohort). Dropping the queue's callbacks,
  and those of the conditions waited on, lets reference counting free it at once. The queue is
  ``Environment._queue``.

If a SimPy release renames these, this module is the only one to change, and
``tests/unit/test_compat.py`` fails first.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from heapq import heappush
from typing import Any

import simpy

SUPPORTED = ("4.1",)
"""SimPy minor versions this module was written against."""


class _Never(list[Any]):
    """The callbacks of an event that will never be processed: whatever is added is dropped, so
    nothing waiting on the event is kept alive by it (a process, a condition, a person's life)."""

    __slots__ = ()

    def append(self, callback: Any) -> None:
        """Dropped: the event is never processed."""

    def remove(self, callback: Any) -> None:
        """Nothing to remove (SimPy removes a process's callback when it is interrupted)."""


NEVER = _Never()
"""The callbacks of every event at or after the horizon (see :class:`Environment`)."""


class Environment(simpy.Environment):
    """A SimPy environment that runs to a horizon (days) and schedules nothing at or after it.

    ``env.run(until=horizon)`` stops before any event at the horizon (its stop event is urgent
    and scheduled first), so such an event is never processed, and a process waiting on it never
    resumes. Leaving it out of the queue changes nothing that happens before the horizon (the
    events left keep their order: ids only grow). Its callbacks are :data:`NEVER`, so the
    process's generator, held by nothing else, is freed at once instead of at the end of the run,
    and a process or a condition waiting on it is not left in a reference cycle with it.
    """

    def __init__(self, horizon: float = math.inf) -> None:
        super().__init__()
        self.horizon = horizon
        """Days: nothing is scheduled at or after it (``math.inf``: everything is)."""

    def schedule(
        self, event: simpy.Event, priority: simpy.events.EventPriority = simpy.events.NORMAL, delay: float = 0
    ) -> None:
        """As SimPy's ``Environment.schedule`` (4.1), unless the event falls at or after the horizon."""
        when = self._now + delay
        if when < self.horizon:
            heappush(self._queue, (when, priority, next(self._eid), event))
        else:
            event.callbacks = NEVER

    def run_to_horizon(self) -> None:
        """Run until the horizon, as ``run(until=horizon)`` would: its stop event is urgent, so it
        comes before any other event at the horizon."""
        stop = simpy.Event(self)
        stop._ok = True
        stop._value = None
        heappush(self._queue, (self.horizon, simpy.events.URGENT, next(self._eid), stop))
        self.run(until=stop)


def start_at(
    env: Environment,
    generator: Generator[simpy.Event, Any, Any],
    when: float,
    before: Callable[[simpy.Event], None] | None = None,
) -> None:
    """Run ``generator`` as a process nobody waits for, from time ``when`` (days, not before now)
    exactly, woken by a single event (:func:`at`).

    ``before(event)``, if given, runs at that time just before the generator starts (e.g. to
    record the person's entry). A person's life is such a process: nothing waits for it or
    interrupts it, so it needs none of what a ``simpy.Process`` adds to its generator (an event
    of its own, scheduled when it ends, ~25,000 a full-cohort replication, and the bookkeeping
    of the active process on every resume); :class:`_Driver` resumes the generator as
    ``Process._resume`` would (SimPy 4.1): with each event's value, or the exception of an event
    that failed.
    """
    target = at(env, when)
    if before is not None:
        target.callbacks.append(before)
    target.callbacks.append(_Driver(generator))


class _Driver:
    """Resumes a generator when the event it waits for is processed: the callback of
    :func:`start_at`. A class rather than a closure, which would refer to itself (it puts itself
    on each event's callbacks) and so leave every person's life in a reference cycle."""

    __slots__ = ("send", "throw")

    def __init__(self, generator: Generator[simpy.Event, Any, Any]) -> None:
        self.send = generator.send
        self.throw = generator.throw

    def __call__(self, event: simpy.Event) -> None:
        while True:
            try:
                if event._ok:
                    event = self.send(event._value)
                else:
                    event._defused = True  # handled here, as SimPy does
                    event = self.throw(event._value)
            except StopIteration:
                return
            try:
                callbacks = event.callbacks
            except AttributeError:
                raise RuntimeError(f"a process yielded {event!r}, not a SimPy event") from None
            if callbacks is None:
                continue  # already processed: go on with its value at once
            callbacks.append(self)
            return


class _Call:
    """``fn(*args)`` at a given time: the things ``Environment.step`` reads of an event
    (``callbacks``, ``_ok``; ``_defused`` only of a failed one), in ~200 bytes with its place in
    the queue, where a timeout with a callback takes ~600 (its attribute dict, callback list and
    ``functools.partial``)."""

    __slots__ = ("args", "callbacks", "fn")
    _ok = True

    def __init__(self, fn: Callable[..., None], args: tuple[Any, ...]) -> None:
        self.fn = fn
        self.args = args
        self.callbacks: tuple[Callable[[_Call], None], ...] | None = _FIRE


def _fire(call: _Call) -> None:
    call.fn(*call.args)


_FIRE = (_fire,)


def call_later(env: Environment, delay: float, fn: Callable[..., None], *args: Any) -> None:
    """Call ``fn(*args)`` in ``delay`` days (at ``now + delay``, as a timeout with that callback
    would fire, and in the same order among the events of that time); nothing at or after the
    horizon."""
    when = env._now + delay
    if when < env.horizon:
        call = _Call(fn, args)  # not a simpy.Event: only what ``step`` reads of one
        heappush(env._queue, (when, simpy.events.NORMAL, next(env._eid), call))  # type: ignore[misc]


def at(env: Environment, when: float) -> simpy.Event:
    """An event that fires at time ``when`` (days, not before now) exactly, scheduled like a
    timeout (normal priority, after the events already scheduled for that time); not scheduled
    at or after the horizon (see :class:`Environment`)."""
    event = simpy.Event(env)
    event._ok = True
    event._value = None
    if when < env.horizon:
        heappush(env._queue, (when, simpy.events.NORMAL, next(env._eid), event))
    else:
        event.callbacks = NEVER
    return event


def events_scheduled(env: simpy.Environment) -> int:
    """How many events ``env`` has scheduled so far (call once, after the run: it consumes a
    number from SimPy's counter)."""
    return int(next(env._eid))


def drop_pending(env: simpy.Environment) -> int:
    """Forget the events still queued in ``env`` and their callbacks; returns how many there were.

    Only for an environment that will never run again.
    """
    queue = env._queue
    for item in queue:  # (time, priority, id, event)
        forget(item[3])
    n = len(queue)
    queue.clear()
    return n


def forget(event: simpy.Event) -> None:
    """Drop the callbacks of ``event``, which will never be processed (the run is over), and those
    of the conditions waiting on it (``request | timeout``): a condition holds itself (its
    callbacks) and the process waiting on it, so only a full collection would free them."""
    for callback in event.callbacks or ():
        owner = getattr(callback, "__self__", None)
        if isinstance(owner, simpy.events.Condition):
            owner.callbacks = None  # type: ignore[assignment]
    event.callbacks = None  # type: ignore[assignment]  # as SimPy marks a processed event


__all__ = [
    "NEVER",
    "SUPPORTED",
    "Environment",
    "at",
    "drop_pending",
    "events_scheduled",
    "forget",
    "start_at",
]
