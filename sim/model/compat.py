"""Every use of SimPy's private internals, in one place, for the SimPy versions pinned in
pyproject.toml (``simpy>=4.1,<4.2``).

The model uses SimPy's public API (``Environment``, ``Event``, ``Timeout``, ``Process``) everywhere
else. Two things need its internals, both after a run has finished:

* the number of events scheduled, a performance figure (SimPy numbers events with a private
  counter, ``Environment._eid``);
* freeing a finished replication quickly: events still queued at the horizon hold the suspended
  processes, whose generators hold the model, so the whole model is one reference cycle that only
  a full garbage collection would free (~0.8 s for a full cohort). Dropping the queue's callbacks
  lets reference counting free it at once. The queue is ``Environment._queue``.

If a SimPy release renames these, this module is the only one to change, and
``tests/test_compat.py`` fails first.
"""

from __future__ import annotations

import simpy

SUPPORTED = ("4.1",)
"""SimPy minor versions this module was written against."""


def events_scheduled(env: simpy.Environment) -> int:
    """How many events ``env`` has scheduled so far (call once, after the run: it consumes a
    number from SimPy's counter)."""
    return int(next(env._eid))


def drop_pending(env: simpy.Environment) -> int:
    """Forget the events still queued in ``env`` and their callbacks; returns how many there were.

    Only for an environment that will never run again.
    """
    queue = env._queue
    for *_, event in queue:
        event.callbacks = None  # type: ignore[assignment]  # as SimPy marks a processed event
    n = len(queue)
    queue.clear()
    return n


__all__ = ["SUPPORTED", "drop_pending", "events_scheduled"]
