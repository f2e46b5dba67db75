"""Capacity-limited resources that keep the statistics queueing theory talks about.

``Pool`` wraps a SimPy ``Resource`` and integrates, over time, the number of busy servers and the
queue length, and sums the waits of granted requests. From those come utilisation, mean queue
length, arrival rate and mean wait, so Little's law (L = lambda W) and Erlang B/C can be checked
against the model without extra instrumentation. A capacity of zero is allowed (a closed service:
requests wait for ever) because policy experiments legitimately switch a service off.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

import simpy


@dataclass(frozen=True)
class PoolStats:
    """Statistics of one resource over [0, horizon]; times in days."""

    resource: str
    capacity: int
    arrivals: int
    served: int
    reneged: int
    blocked: int
    utilisation: float
    mean_busy: float
    mean_queue: float
    mean_wait_days: float
    max_queue: int
    waiting_at_end: int


class Pool:
    """A monitored SimPy resource (call-centre agents, caseworkers, tracers, teams, beds)."""

    def __init__(self, env: simpy.Environment, name: str, capacity: int) -> None:
        self.env = env
        self.name = name
        self.capacity = capacity
        self._res = simpy.Resource(env, capacity=max(capacity, 1))
        self._last = 0.0
        self._busy_area = 0.0
        self._queue_area = 0.0
        self._held: list[simpy.Event] = []  # requests parked for ever when capacity is 0
        self.arrivals = 0
        self.served = 0
        self.reneged = 0
        self.blocked = 0
        self.wait_sum = 0.0
        self.max_queue = 0

    # -- bookkeeping -----------------------------------------------------------------------------
    def _integrate(self) -> None:
        now = self.env.now
        dt = now - self._last
        if dt > 0:
            self._busy_area += dt * len(self._res.users)
            self._queue_area += dt * self.queue_length
            self._last = now

    @property
    def queue_length(self) -> int:
        return len(self._res.queue) if self.capacity > 0 else len(self._held)

    @property
    def in_use(self) -> int:
        return len(self._res.users) if self.capacity > 0 else 0

    @property
    def full(self) -> bool:
        return self.in_use >= self.capacity

    # -- operations ------------------------------------------------------------------------------
    def request(self) -> simpy.Event:
        """Join the queue; the returned event fires when a server is granted."""
        self._integrate()
        self.arrivals += 1
        if self.capacity == 0:
            ev = self.env.event()
            self._held.append(ev)
        else:
            ev = self._res.request()
        self.max_queue = max(self.max_queue, self.queue_length)
        return ev

    def granted(self, requested_at: float) -> None:
        """Record the wait of a request that has just been granted."""
        self.served += 1
        self.wait_sum += self.env.now - requested_at

    def release(self, req: simpy.Event) -> None:
        self._integrate()
        self._res.release(req)  # type: ignore[arg-type]

    def renege(self, req: simpy.Event) -> None:
        """Withdraw a request that has not been granted (the person left the queue)."""
        self._integrate()
        self.reneged += 1
        if self.capacity == 0:
            self._held.remove(req)
        else:
            req.cancel()  # type: ignore[attr-defined]

    def seize_if_free(self) -> simpy.Event | None:
        """Loss-system entry (detention beds): take a server now or be turned away (``None``)."""
        if self.full:
            self.arrivals += 1
            self.blocked += 1
            return None
        req = self.request()
        self.granted(self.env.now)
        return req

    def use(self, duration: float) -> Generator[simpy.Event, object, None]:
        """Queue for a server, hold it for ``duration`` days, release it."""
        t0 = self.env.now
        req = self.request()
        yield req
        self.granted(t0)
        yield self.env.timeout(duration)
        self.release(req)

    def stats(self, horizon: float) -> PoolStats:
        self._integrate()
        span = max(horizon, 1e-12)
        mean_busy = self._busy_area / span
        return PoolStats(
            resource=self.name,
            capacity=self.capacity,
            arrivals=self.arrivals,
            served=self.served,
            reneged=self.reneged,
            blocked=self.blocked,
            utilisation=mean_busy / self.capacity if self.capacity else 0.0,
            mean_busy=mean_busy,
            mean_queue=self._queue_area / span,
            mean_wait_days=self.wait_sum / self.served if self.served else 0.0,
            max_queue=self.max_queue,
            waiting_at_end=self.queue_length,
        )
