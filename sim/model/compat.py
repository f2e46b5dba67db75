"""Every use of SimPy's private internals, in one place, for the SimPy versions pinned in
pyproject.toml (``simpy>=4.1,<4.2``).

The model uses SimPy's public API (``Environment``, ``Event``, ``Timeout``, ``Process``) everywhere
else. Four things need its internals:

* starting a process at a given time with one event (:func:`start_at`): SimPy's own way takes
  two (a timeout to wake whoever starts it, then the process's ``Initialize`` event), and every
  person who does something before the horizon starts this way (``Model.start``);
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

from collections.abc import Callable, Generator
from heapq import heappush
from typing import Any

import simpy

SUPPORTED = ("4.1",)
"""SimPy minor versions this module was written against."""


def start_at(
    env: simpy.Environment,
    generator: Generator[simpy.Event, Any, Any],
    when: float,
    before: Callable[[simpy.Event], None] | None = None,
) -> simpy.Process:
    """A process whose generator starts at time ``when`` (days, not before now) exactly, woken by
    a single event (:func:`at`).

    ``before(event)``, if given, runs at that time just before the generator starts (e.g. to
    record the person's entry). The process behaves as one made by ``env.process``: it can be
    waited for, and its value is the generator's return value. Built like ``Process.__init__``
    (SimPy 4.1), with an event at ``when`` in place of the ``Initialize`` event as the first
    target.
    """
    proc = simpy.Process.__new__(simpy.Process)
    proc.env = env
    proc.callbacks = []
    proc._generator = generator
    target = at(env, when)
    if before is not None:
        target.callbacks.append(before)
    target.callbacks.append(proc._resume)
    proc._target = target
    return proc


def at(env: simpy.Environment, when: float) -> simpy.Event:
    """An event that fires at time ``when`` (days, not before now) exactly, scheduled like a
    timeout (normal priority, after the events already scheduled for that time)."""
    event = simpy.Event(env)
    event._ok = True
    event._value = None
    heappush(env._queue, (when, simpy.events.NORMAL, next(env._eid), event))
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
        event = item[3]
        for callback in event.callbacks or ():
            # a condition waited on (``request | timeout``) and the process waiting on it hold
            # each other (its callbacks, the process's target): drop its callbacks too
            owner = getattr(callback, "__self__", None)
            if isinstance(owner, simpy.events.Condition):
                owner.callbacks = None  # type: ignore[assignment]
        event.callbacks = None  # type: ignore[assignment]  # as SimPy marks a processed event
    n = len(queue)
    queue.clear()
    return n


__all__ = ["SUPPORTED", "at", "drop_pending", "events_scheduled", "start_at"]
