"""Capacity-limited resources that keep the statistics queueing theory talks about.

``Pool`` is a first-come-first-served multi-server resource for queues people can leave
(caseworkers, arrest teams) and for the detention beds (a loss system); ``BookedPool`` serves
queues nobody leaves (call-centre agents, tracers); ``BookedCapacity`` is a capacity booked as a
rate (reporting-centre interviews per day). Both are lighter than ``simpy.Resource``:
a request that finds a free server is granted at once without scheduling an event, and a
release hands the server straight to the first waiter. Both integrate the number of busy
servers and the queue length over time and sum the waits of granted requests, so utilisation,
mean queue length, arrival rate and mean wait come out directly and Little's law
(L = lambda W) and Erlang B/C can be checked against the model. A capacity of zero is allowed
(a closed service: requests wait for ever) because policy experiments legitimately switch a
service off.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from sim.model import compat
from sim.model.kernels import book_server, resize_servers


@dataclass(frozen=True)
class PoolStats:
    """Statistics of one resource over [0, horizon]; times in days."""

    resource: str
    capacity: float
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


class Request(simpy.Event):
    """A waiting request for a :class:`Pool` server; ``entry`` is its place in the pool's queue
    (``[request, time requested, still waiting]``), so a request withdrawn by a person who
    absconds is found in O(1)."""

    entry: list[Any]


class _Monitored:
    """A capacity with the counters and time integrals its statistics are made of."""

    def __init__(self, env: simpy.Environment, name: str, capacity: float) -> None:
        self.env = env
        self.name = name
        self.capacity = capacity
        self.arrivals = 0
        self.served = 0
        self.wait_sum = 0.0
        self.max_queue = 0
        self._busy_area = 0.0
        self._queue_area = 0.0

    def _stats(
        self, horizon: float, reneged: int, blocked: int, waiting: int, capacity_area: float
    ) -> PoolStats:
        """Statistics over [0, horizon] from the counters and time integrals.

        ``capacity_area`` is the capacity integrated over [0, horizon] (server-days): capacity is
        the time-averaged number of servers (a scenario may change it from a given day), and
        utilisation is busy server-days over available server-days.
        """
        span = max(horizon, 1e-12)
        return PoolStats(
            resource=self.name,
            capacity=capacity_area / span,
            arrivals=self.arrivals,
            served=self.served,
            reneged=reneged,
            blocked=blocked,
            utilisation=min(1.0, self._busy_area / capacity_area) if capacity_area > 0 else 0.0,
            mean_busy=self._busy_area / span,
            mean_queue=self._queue_area / span,
            mean_wait_days=self.wait_sum / self.served if self.served else 0.0,
            max_queue=self.max_queue,
            waiting_at_end=waiting,
        )


class _Integrated(_Monitored):
    """A capacity whose use, queue and size are integrated as time goes (``_integrate`` before
    each change): ``busy`` is servers in use, or units a day booked."""

    def __init__(self, env: simpy.Environment, name: str, capacity: float) -> None:
        super().__init__(env, name, capacity)
        self.busy: float = 0
        self._waiting = 0
        self._last = 0.0
        self._capacity_area = 0.0

    def _integrate(self) -> None:
        now = self.env.now
        dt = now - self._last
        if dt > 0:
            self._busy_area += dt * self.busy
            self._queue_area += dt * self._waiting
            self._capacity_area += dt * self.capacity
            self._last = now


class Pool(_Integrated):
    """A monitored FCFS multi-server resource."""

    def __init__(self, env: simpy.Environment, name: str, capacity: int) -> None:
        super().__init__(env, name, capacity)
        # waiting requests as [event, time requested, still waiting]; reneged ones are skipped
        self._queue: deque[list[Any]] = deque()
        self.reneged = 0
        self.blocked = 0

    def resize(self, capacity: int) -> None:
        """Change the number of servers now (a scenario change from a given day).

        More servers are handed to the first waiters at once. With fewer, people being served
        keep their server; no one new is served until fewer than ``capacity`` are busy.
        """
        self._integrate()
        self.capacity = capacity
        queue = self._queue
        while queue and self.busy < self.capacity:
            entry = queue.popleft()
            ev, t0, waiting = entry
            entry[0] = None  # the request and its entry no longer refer to each other (no cycle)
            if waiting:
                self._waiting -= 1
                self.busy += 1
                self.served += 1
                self.wait_sum += self.env.now - t0
                ev.succeed()

    @property
    def full(self) -> bool:
        return self.busy >= self.capacity

    def acquire(self) -> Request | None:
        """Ask for a server: ``None`` if granted now, else an event that fires when granted."""
        self._integrate()
        self.arrivals += 1
        if self.busy < self.capacity:
            self.busy += 1
            self.served += 1
            return None
        ev = Request(self.env)
        entry = [ev, self.env.now, True]
        ev.entry = entry
        self._queue.append(entry)
        self._waiting += 1
        if self._waiting > self.max_queue:
            self.max_queue = self._waiting
        return ev

    def release(self) -> None:
        """Free a server; the first waiter (if any) takes it over at once, unless the pool has
        been made smaller than the number of servers busy."""
        self._integrate()
        queue = self._queue
        while queue and self.busy <= self.capacity:
            entry = queue.popleft()
            ev, t0, waiting = entry
            entry[0] = None  # the request and its entry no longer refer to each other (no cycle)
            if waiting:
                self._waiting -= 1
                self.served += 1
                self.wait_sum += self.env.now - t0
                ev.succeed()
                return
        self.busy -= 1

    def renege(self, ev: Request) -> None:
        """Withdraw a waiting request (the person left the queue)."""
        self._integrate()
        entry = ev.entry
        if not entry[2]:
            raise ValueError("renege of a request that is not waiting")
        entry[2] = False
        self._waiting -= 1
        self.reneged += 1

    def seize_if_free(self) -> bool:
        """Loss-system entry (detention beds): take a server now, or be turned away (False)."""
        if self.busy >= self.capacity:
            self.arrivals += 1
            self.blocked += 1
            return False
        self.acquire()
        return True

    def stats(self, horizon: float) -> PoolStats:
        self._integrate()
        return self._stats(horizon, self.reneged, self.blocked, self._waiting, self._capacity_area)

    def dispose(self) -> None:
        """Forget the requests still queued (after the run): each holds a suspended process, so
        the model could otherwise only be freed by a full garbage collection."""
        for entry in self._queue:
            compat.forget(entry[0])
            entry.clear()
        self._queue.clear()


class BookedPool(_Monitored):
    """An FCFS multi-server resource whose requests never leave the queue (no reneging).

    For such a queue the start of service is known the moment a request arrives: it takes the
    server that becomes free first (the Kiefer-Wolfowitz recursion), so ``book`` returns the
    finish time at once and no SimPy event is needed for the queue or the release. Used for the
    call centre and the tracing team; the statistics are the same as :class:`Pool`'s, with
    busy and queue time clipped to the horizon. Erlang C in the test suite checks it.

    Its state is kept in arrays (a heap of the times each server becomes free, a heap of the
    start times of requests still queueing, the counters and the time integrals) and booked by
    one compiled function, :func:`book_server`, which the contact phase also calls from its own
    compiled loop.
    """

    def __init__(self, env: simpy.Environment, name: str, capacity: int, horizon: float) -> None:
        super().__init__(env, name, capacity)
        self.capacity: int = capacity
        self.horizon = horizon
        self.free_at = np.zeros(capacity)
        """A heap of the times (days) each server becomes free."""
        self.waiting = np.zeros(16)
        """A heap (its first ``tally[3]`` values) of the start times of requests still queueing."""
        self.tally = np.zeros(4, np.int64)
        """Arrivals, served (started by the horizon), the longest queue, the queue now."""
        self.areas = np.zeros(3)
        """Sum of waits, queue length and busy servers integrated over time (days)."""
        self._booked = np.zeros(2)  # (start, end) of the last booking
        self._capacities: list[tuple[float, int]] = [(0.0, capacity)]  # (from day, servers)

    def book(self, service: float, now: float | None = None) -> tuple[float, float]:
        """Join the queue at ``now`` (days; default the clock's) for ``service`` days: (start, end)
        of the service, both inf if the service is closed (capacity 0: the request waits for
        ever)."""
        booked = self._booked
        heap = book_server(
            self.free_at,
            self.waiting,
            self.tally,
            self.areas,
            self.horizon,
            service,
            self.env.now if now is None else now,
            booked,
        )
        if len(heap) != len(self.waiting):
            # reallocated (full). Kept only then: an array made of each returned view would keep
            # the view it was made from, and so on back to the first (~50,000 a run, ~15 MiB)
            self.waiting = np.asarray(heap)
        return float(booked[0]), float(booked[1])

    def resize(self, capacity: int, now: float | None = None) -> None:
        """Change the number of servers from ``now`` (a scenario change from a given day; default
        the clock's time). Every service already booked is kept and happens as booked
        (:func:`resize_servers`)."""
        if now is None:
            now = self.env.now
        self.free_at = resize_servers(self.free_at, capacity, now)
        self.sized(capacity, now)

    def sized(self, capacity: int, now: float) -> None:
        """Note that the pool has ``capacity`` servers from ``now`` (its heap of free times
        resized by :func:`resize_servers`), for its statistics."""
        self.capacity = capacity
        self._capacities.append((now, capacity))

    def stats(self, horizon: float) -> PoolStats:
        self.arrivals, self.served, self.max_queue = (int(x) for x in self.tally[:3])
        self.wait_sum, self._queue_area, self._busy_area = (float(x) for x in self.areas)
        waiting = max(0, self.arrivals - self.served) if self.capacity else self.arrivals
        bounds = [t for t, _ in self._capacities[1:]] + [horizon]
        area = sum(
            c * max(0.0, min(end, horizon) - start)
            for (start, c), end in zip(self._capacities, bounds, strict=True)
        )
        return self._stats(horizon, 0, 0, waiting, area)


class BookedCapacity(_Integrated):
    """A capacity booked as a rate, e.g. reporting-centre interviews per day.

    A reportee on an interval of T days needs 1/T interviews a day. A booking is accepted while
    the booked load stays within capacity, and cancelled when the person stops reporting; load is
    integrated over time for utilisation. Individual interviews are not simulated (next-event
    sampling skips uneventful reports), which is why capacity is a booking constraint rather than
    a queue.
    """

    def __init__(self, env: simpy.Environment, name: str, capacity_per_day: float) -> None:
        super().__init__(env, name, capacity_per_day)
        self.busy = 0.0
        """The booked load (units a day)."""
        self.refused = 0
        """Bookings refused because they did not fit (people put on another channel)."""

    def resize(self, capacity_per_day: float) -> None:
        """Change the capacity from now; bookings already made are kept even above it."""
        self._integrate()
        self.capacity = capacity_per_day

    def try_book(self, per_day: float) -> bool:
        """Book ``per_day`` units a day if they fit; False (and counted as refused) if not."""
        if self.busy + per_day > self.capacity + 1e-9:
            self.refused += 1
            return False
        self._integrate()
        self.busy += per_day
        return True

    def cancel(self, per_day: float) -> None:
        self._integrate()
        self.busy = max(0.0, self.busy - per_day)

    def utilisation(self, horizon: float) -> float:
        """Booked load over [0, horizon] as a share of the capacity over the same time."""
        self._integrate()
        if self._capacity_area <= 0 or horizon <= 0:
            return 0.0
        return min(1.0, self._busy_area / self._capacity_area)

    def mean_capacity(self, horizon: float) -> float:
        """Capacity averaged over [0, horizon] (interviews per day)."""
        self._integrate()
        return self._capacity_area / horizon if horizon > 0 else self.capacity
