"""The model's loops compiled with numba: the booked queue (:class:`~sim.model.resources.BookedPool`)
and the contact phase's play (``Contact._play``, sim/model/processes/contact.py).

Why compiled: the play books ~230,000 calls and steps through ~440,000 planned steps of a
full cohort, none of which involves SimPy; as Python bytecode it was ~0.6 s of a 2 s replication,
compiled it is ~0.09 s (docs/performance.md, 2026-12-07). The results are the same to the last
bit: the same float operations in the same order.

Why in one module: numba caches compiled code on disk (``cache=True``: ~5 s to compile, ~0.1 s
to load), and it checks a cached function against its own module's source only, not against the
functions it calls. A function compiled here that calls another compiled function in another
module would run that one's old code after it changed.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from sim.scenario.schema import CONTACT_CHANNELS

# Kinds of step of the contact plan (``sim.model.processes.contact.ContactPlan``)
CALL = 0  # wait, then a phone call (books an agent); ``ok``: the call makes contact
WRITTEN = 1  # wait, then a written attempt that makes contact
ROUND_END = 2  # wait out the rest of an unsuccessful round (and any call still running)
CHECK = 3  # wait for an enrichment check; ``ok``: it finds evidence of departure (case closed)
PHONE = CONTACT_CHANNELS.index("phone")


@njit(cache=True)
def book_server(
    free: np.ndarray,
    waiting: np.ndarray,
    queued: int,
    tally: np.ndarray,
    areas: np.ndarray,
    horizon: float,
    service: float,
    now: float,
) -> tuple[float, float, np.ndarray, int]:
    """One booking of a :class:`BookedPool` (the pool's state as arrays, see there), compiled so
    that the contact phase's play (``sim.model.processes.contact``) books the call centre inside
    its own compiled loop: ``service`` days from ``now``. Returns (start, finish, the heap of
    waiting requests' start times, which may have been reallocated, and its size); both times
    are inf if the service is closed (no servers: the request waits for ever)."""
    tally[0] += 1
    if len(free) == 0:
        areas[1] += max(0.0, horizon - now)
        tally[2] = tally[0]
        return math.inf, math.inf, waiting, queued
    # the server that frees up first takes the request: replace the heap's root and sift down
    first = free[0]
    start = first if first > now else now
    finish = start + service
    _sift_down(free, len(free), finish)
    while queued and waiting[0] <= now:  # requests that have started by now leave the queue
        queued -= 1
        _sift_down(waiting, queued, waiting[queued])
    if start > now:
        if queued == len(waiting):
            grown = np.empty(2 * queued + 16)
            grown[:queued] = waiting
            waiting = grown
        j = queued  # sift the new start time up
        while j > 0 and waiting[(j - 1) >> 1] > start:
            waiting[j] = waiting[(j - 1) >> 1]
            j = (j - 1) >> 1
        waiting[j] = start
        queued += 1
        tally[2] = max(tally[2], queued)
    if start <= horizon:
        tally[1] += 1
        areas[0] += start - now
        # time in queue and in service, clipped to the horizon
        areas[1] += start - now if now <= horizon else 0.0
        areas[2] += (finish if finish < horizon else horizon) - start
    elif now < horizon:
        areas[1] += horizon - now
    return start, finish, waiting, queued


@njit(cache=True)
def _sift_down(heap: np.ndarray, n: int, x: float) -> None:
    """Put ``x`` at the root of the min-heap ``heap[:n]`` (in place of its root) and sift it down."""
    j = 0
    while True:
        child = 2 * j + 1
        if child >= n:
            break
        if child + 1 < n and heap[child + 1] < heap[child]:
            child += 1
        if heap[child] >= x:
            break
        heap[j] = heap[child]
        j = child
    if n:
        heap[j] = x


@njit(cache=True)
def resize_servers(free: np.ndarray, capacity: int, now: float) -> np.ndarray:
    """The heap of servers' free times with ``capacity`` servers from ``now``: new servers are
    free now; removed ones are those that become free first (a sorted array is a heap)."""
    if len(free) < capacity:
        free = np.concatenate((free, np.full(capacity - len(free), now)))
    return np.sort(free)[len(free) - capacity :].copy()


OP_ENTRY, OP_CALL, OP_WRITTEN, OP_CHECK, OP_FLUSH, OP_EXIT = range(6)
"""What :func:`_play_steps` records, in order, for the event log (``Contact._log``): an entry
recorded later (place), a call, written attempt or check played (step, person, time), the
activities played so far put where they go (at entry?, moment), a person's exit (at entry?,
person)."""


@njit(cache=True)
def _push(
    ht: np.ndarray,
    ho: np.ndarray,
    hk: np.ndarray,
    hi: np.ndarray,
    hb: np.ndarray,
    n: int,
    t: float,
    o: int,
    k: int,
    i: int,
    b: float,
) -> int:
    """Push (time ``t``, order ``o``; place ``k``, step ``i``, busy until ``b``) on the heap of
    pending calls held in the arrays ``h*[:n]``, ordered by (time, order) as SimPy orders its
    events; the new size."""
    j = n
    while j > 0:
        up = (j - 1) >> 1
        if ht[up] < t or (ht[up] == t and ho[up] < o):
            break
        ht[j], ho[j], hk[j], hi[j], hb[j] = ht[up], ho[up], hk[up], hi[up], hb[up]
        j = up
    ht[j], ho[j], hk[j], hi[j], hb[j] = t, o, k, i, b
    return n + 1


@njit(cache=True)
def _pop(ht: np.ndarray, ho: np.ndarray, hk: np.ndarray, hi: np.ndarray, hb: np.ndarray, n: int) -> int:
    """Remove the root of the heap of :func:`_push` (read it first); the new size."""
    n -= 1
    t, o = ht[n], ho[n]
    j = 0
    while True:
        c = 2 * j + 1
        if c >= n:
            break
        if c + 1 < n and (ht[c + 1] < ht[c] or (ht[c + 1] == ht[c] and ho[c + 1] < ho[c])):
            c += 1
        if t < ht[c] or (t == ht[c] and o < ho[c]):
            break
        ht[j], ho[j], hk[j], hi[j], hb[j] = ht[c], ho[c], hk[c], hi[c], hb[c]
        j = c
    if n > 0:
        ht[j], ho[j], hk[j], hi[j], hb[j] = ht[n], ho[n], hk[n], hi[n], hb[n]
    return n


@njit(cache=True)
def play_contact(
    first: np.ndarray,
    kinds: np.ndarray,
    waits: np.ndarray,
    oks: np.ndarray,
    call_days: np.ndarray,
    channels: np.ndarray,
    pids: np.ndarray,
    entries: np.ndarray,
    on_reporting: np.ndarray,
    change_days: np.ndarray,
    change_agents: np.ndarray,
    horizon: float,
    log: bool,
    free: np.ndarray,
    waiting: np.ndarray,
    queued: int,
    tally: np.ndarray,
    areas: np.ndarray,
    began: np.ndarray,
    attempts: np.ndarray,
) -> tuple[Any, ...]:
    """The loop of ``Contact._play``, compiled: the plan's steps (``first`` .. ``channels``:
    ``ContactPlan``'s arrays) of the people entering at ``entries`` (ids ``pids``, in entry
    order), played up to ``horizon``, booking the call centre (its state ``free`` .. ``areas``,
    :func:`book_server`) and resizing it on the change days. Fills ``began`` and ``attempts``
    (by channel); returns the time of each entry on the run's clock and whether it needs an
    event (by place), the exits (person, time, kind of step, channel, at entry), the checks made
    (place, step), the record for the event log if ``log`` (:data:`OP_ENTRY`), the number of
    change days played, and the call centre's new heaps."""
    n = len(pids)
    entered = np.full(n, np.inf)
    has_event = np.zeros(n, np.bool_)
    ex_pid = np.empty(n, np.int64)
    ex_t = np.empty(n)
    ex_kind = np.empty(n, np.int8)
    ex_ch = np.empty(n, np.int8)
    ex_entry = np.empty(n, np.bool_)
    n_ex = 0
    checks = int((kinds == CHECK).sum())
    det_k = np.empty(checks, np.int64)
    det_i = np.empty(checks, np.int64)
    n_det = 0
    size = (n + 2 * len(kinds) + len(first)) if log else 0
    op = np.empty(size, np.int8)
    op_a = np.empty(size, np.int64)
    op_b = np.empty(size, np.int64)
    op_t = np.empty(size)
    n_op = 0
    rows = 0  # activities played since they were last put where they go
    size = len(change_days) + n + 1
    ht, ho, hk, hi, hb = (
        np.empty(size),
        np.empty(size, np.int64),
        np.empty(size, np.int64),
        np.empty(size, np.int64),
        np.empty(size),
    )
    nh = 0
    for j in range(len(change_days)):  # their events are created first
        nh = _push(ht, ho, hk, hi, hb, nh, change_days[j], j, -1, change_agents[j], 0.0)
    changed = 0
    order = len(change_days)
    # the next entry is kept apart from the heap, with its place in SimPy's order
    entry_at, entry_order, entering = np.inf, 0, 0
    if n:
        entry_at, entry_order = entries[0], order
        order += 1
    while True:
        if nh and (ht[0] < entry_at or (ht[0] == entry_at and ho[0] < entry_order)):
            now, k, i, busy_until = ht[0], hk[0], hi[0], hb[0]
            nh = _pop(ht, ho, hk, hi, hb, nh)
        elif entering < n:  # (entry_at is inf after the last entry)
            now, k, i, busy_until = entry_at, entering, -1, 0.0
        else:
            break
        if now >= horizon:
            break
        if k < 0:
            free = resize_servers(free, i, now)
            changed += 1
            continue
        pid = pids[k]
        at_entry = i < 0
        if at_entry:
            entered[k] = now
            entering = k + 1
            if entering < n:  # the next entry is scheduled first (``Model._entered``)
                entry_at, entry_order = now + (entries[entering] - now), order
                order += 1
            else:
                entry_at = np.inf
            if on_reporting[pid]:
                has_event[k] = True
                continue
            if log:
                op[n_op], op_a[n_op], op_t[n_op] = OP_ENTRY, k, now
                n_op += 1
            i, busy_until = first[pid], now
        end_step = first[pid + 1]
        exit_here = False
        ready = not at_entry  # step i is due now (its wait is over)
        while i < end_step:
            kind = kinds[i]
            if not ready:
                start = busy_until if busy_until > now else now
                began[i] = start
                delay = start - now + waits[i]
                if delay > 0:
                    if kind == CALL:
                        nh = _push(ht, ho, hk, hi, hb, nh, now + delay, order, k, i, busy_until)
                        order += 1
                        break
                    if now + delay >= horizon:
                        break
                    # a step that involves nobody else: played now, at its own time; what was
                    # played before it was played at an earlier moment
                    if rows:
                        op[n_op], op_a[n_op], op_t[n_op] = OP_FLUSH, at_entry, now
                        n_op += 1
                        rows = 0
                    at_entry, now = False, now + delay
            ready = False
            if kind == CALL:
                # queued for an agent, its start and end known now (FCFS, no reneging); it counts
                # (and costs) if it starts before the horizon
                begin, end, waiting, queued = book_server(
                    free, waiting, queued, tally, areas, horizon, call_days[i], now
                )
                if end == np.inf:
                    break  # no agents: the call never happens
                if begin <= horizon:
                    attempts[PHONE] += 1
                    if log:
                        op[n_op], op_a[n_op], op_b[n_op], op_t[n_op] = OP_CALL, i, pid, begin
                        n_op += 1
                        rows += 1
                busy_until = end
                if oks[i]:
                    leave = now + (end - now)  # the run waits ``end - now`` after the call's start
                    if leave < horizon:
                        ex_pid[n_ex], ex_t[n_ex], ex_kind[n_ex], ex_ch[n_ex], ex_entry[n_ex] = (
                            pid,
                            leave,
                            CALL,
                            PHONE,
                            False,
                        )
                        n_ex += 1
                    break
            elif kind == WRITTEN:
                attempts[channels[i]] += 1
                if log:
                    op[n_op], op_a[n_op], op_b[n_op], op_t[n_op] = OP_WRITTEN, i, pid, now
                    n_op += 1
                ex_pid[n_ex], ex_t[n_ex], ex_kind[n_ex], ex_ch[n_ex], ex_entry[n_ex] = (
                    pid,
                    now,
                    WRITTEN,
                    channels[i],
                    at_entry,
                )
                n_ex += 1
                exit_here = True
                break
            elif kind == CHECK:
                det_k[n_det], det_i[n_det] = k, i
                n_det += 1
                if log:
                    op[n_op], op_a[n_op], op_b[n_op], op_t[n_op] = OP_CHECK, i, pid, now
                    n_op += 1
                    rows += 1
                if oks[i]:
                    ex_pid[n_ex], ex_t[n_ex], ex_kind[n_ex], ex_ch[n_ex], ex_entry[n_ex] = (
                        pid,
                        now,
                        CHECK,
                        -1,
                        at_entry,
                    )
                    n_ex += 1
                    exit_here = True
                    break
            i += 1
        if exit_here:
            if at_entry:
                has_event[k] = True
            if log:
                op[n_op], op_a[n_op], op_b[n_op] = OP_EXIT, at_entry, pid
                n_op += 1
                rows = 0
        elif rows:
            op[n_op], op_a[n_op], op_t[n_op] = OP_FLUSH, at_entry, now
            n_op += 1
            rows = 0
    return (
        entered,
        has_event,
        (ex_pid[:n_ex], ex_t[:n_ex], ex_kind[:n_ex], ex_ch[:n_ex], ex_entry[:n_ex]),
        (det_k[:n_det], det_i[:n_det]),
        (op[:n_op], op_a[:n_op], op_b[:n_op], op_t[:n_op]),
        changed,
        free,
        waiting,
        queued,
    )
