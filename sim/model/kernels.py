# cython: boundscheck=False, wraparound=False
"""The model's loops compiled to C with Cython: the booked queue
(:class:`~sim.model.resources.BookedPool`) and the contact phase's play (``Contact._play``,
sim/model/processes/contact.py).

Why compiled: the play books ~230,000 calls and steps through ~440,000 planned steps of a full
cohort, none of which involves SimPy; as Python bytecode it was ~0.6 s of a 2 s replication,
compiled it is ~0.06 s (docs/performance.md, 2026-12-06 late night). The results are
the same to the last bit: the same float operations in the same order (C doubles are Python
floats; nothing here is built with fast-math).

Why Cython, in its pure-Python mode: the module is plain, typed Python (``ruff`` and ``mypy`` read
it, and it runs as Python where it has not been compiled, e.g. ``cython.compiled`` is False) that
``pip install`` compiles (setup.py) with the C compiler Python extensions need; compiled, its
indexing is unchecked (the directives on the first line), so every index here must be in range.
numba did the same at run time but cost ~110 MiB of LLVM in every worker and 5 s of compiling per
fresh checkout.
"""

from __future__ import annotations

import cython
import numpy as np

from sim.scenario.schema import CONTACT_CHANNELS

# Kinds of step of the contact plan (``sim.model.processes.contact.ContactPlan``)
CALL = 0  # wait, then a phone call (books an agent); ``ok``: the call makes contact
WRITTEN = 1  # wait, then a written attempt that makes contact
ROUND_END = 2  # wait out the rest of an unsuccessful round (and any call still running)
CHECK = 3  # wait for an enrichment check; ``ok``: it finds evidence of departure (case closed)
PHONE = CONTACT_CHANNELS.index("phone")

OP_ENTRY, OP_CALL, OP_WRITTEN, OP_CHECK, OP_FLUSH, OP_EXIT = range(6)
"""What :func:`play_contact` records, in order, for the event log (``Contact._log``): an entry
recorded later (place), a call, written attempt or check played (step, person, time), the
activities played so far put where they go (at entry?, moment), a person's exit (at entry?,
person)."""

INF = float("inf")
COMPILED = cython.compiled
"""Whether this module runs compiled (False where the install could not compile it)."""


@cython.ccall
def book_server(
    free: cython.double[:],
    waiting: cython.double[:],
    tally: cython.longlong[:],
    areas: cython.double[:],
    horizon: cython.double,
    service: cython.double,
    now: cython.double,
    out: cython.double[:],
) -> cython.double[:]:
    """One booking of a :class:`~sim.model.resources.BookedPool` (its state as arrays, see there):
    ``service`` days from ``now``. Puts (start, finish) in ``out``, both inf if the service is
    closed (no servers: the request waits for ever); returns the heap of waiting requests' start
    times, reallocated if it was full. ``tally``: arrivals, served (started by the horizon), the
    longest queue, the number queueing now (the heap's size); ``areas``: sum of waits, queue
    length and busy servers integrated over time (days)."""
    tally[0] += 1
    if free.shape[0] == 0:
        areas[1] += max(0.0, horizon - now)
        tally[2] = tally[0]
        out[0] = out[1] = INF
        return waiting
    # the server that frees up first takes the request: replace the heap's root and sift down
    first: cython.double = free[0]
    start: cython.double = first if first > now else now
    finish: cython.double = start + service
    _sift_down(free, free.shape[0], finish)
    queued: cython.Py_ssize_t = tally[3]
    heap: cython.double[:] = waiting
    j: cython.Py_ssize_t
    while queued > 0 and heap[0] <= now:  # requests that have started by now leave the queue
        queued -= 1
        _sift_down(heap, queued, heap[queued])
    if start > now:
        if queued == heap.shape[0]:
            grown = np.empty(2 * queued + 16)
            grown[:queued] = np.asarray(heap)
            heap = grown
        j = queued  # sift the new start time up
        while j > 0 and heap[(j - 1) >> 1] > start:
            heap[j] = heap[(j - 1) >> 1]
            j = (j - 1) >> 1
        heap[j] = start
        queued += 1
        if queued > tally[2]:
            tally[2] = queued
    tally[3] = queued
    if start <= horizon:
        tally[1] += 1
        areas[0] += start - now
        # time in queue and in service, clipped to the horizon
        areas[1] += start - now if now <= horizon else 0.0
        areas[2] += (finish if finish < horizon else horizon) - start
    elif now < horizon:
        areas[1] += horizon - now
    out[0] = start
    out[1] = finish
    return heap


@cython.cfunc
@cython.inline
def _sift_down(heap: cython.double[:], n: cython.Py_ssize_t, x: cython.double) -> cython.void:
    """Put ``x`` at the root of the min-heap ``heap[:n]`` (in place of its root) and sift it down."""
    j: cython.Py_ssize_t = 0
    child: cython.Py_ssize_t
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
    if n > 0:
        heap[j] = x


def resize_servers(free: np.ndarray, capacity: int, now: float) -> np.ndarray:
    """The heap of servers' free times with ``capacity`` servers from ``now``: new servers are
    free now; removed ones are those that become free first (a sorted array is a heap)."""
    if len(free) < capacity:
        free = np.concatenate((free, np.full(capacity - len(free), now)))
    return np.sort(free)[len(free) - capacity :].copy()


@cython.cfunc
@cython.inline
def _before(
    ht: cython.double[:], ho: cython.longlong[:], a: cython.Py_ssize_t, t: cython.double, o: cython.longlong
) -> cython.bint:
    """Whether heap entry ``a`` comes before (time ``t``, order ``o``), as SimPy orders events."""
    return ht[a] < t or (ht[a] == t and ho[a] < o)


@cython.cfunc
def _push(
    ht: cython.double[:],
    ho: cython.longlong[:],
    hk: cython.longlong[:],
    hi: cython.longlong[:],
    hb: cython.double[:],
    n: cython.Py_ssize_t,
    t: cython.double,
    o: cython.longlong,
    k: cython.longlong,
    i: cython.longlong,
    b: cython.double,
) -> cython.Py_ssize_t:
    """Push (time ``t``, order ``o``; place ``k``, step ``i``, busy until ``b``) on the heap of
    pending calls held in the arrays ``h*[:n]``, ordered by (time, order); the new size."""
    j: cython.Py_ssize_t = n
    up: cython.Py_ssize_t
    while j > 0:
        up = (j - 1) >> 1
        if _before(ht, ho, up, t, o):
            break
        ht[j], ho[j], hk[j], hi[j], hb[j] = ht[up], ho[up], hk[up], hi[up], hb[up]
        j = up
    ht[j], ho[j], hk[j], hi[j], hb[j] = t, o, k, i, b
    return n + 1


@cython.cfunc
def _pop(
    ht: cython.double[:],
    ho: cython.longlong[:],
    hk: cython.longlong[:],
    hi: cython.longlong[:],
    hb: cython.double[:],
    n: cython.Py_ssize_t,
) -> cython.Py_ssize_t:
    """Remove the root of the heap of :func:`_push` (read it first); the new size."""
    n -= 1
    t: cython.double = ht[n]
    o: cython.longlong = ho[n]
    j: cython.Py_ssize_t = 0
    c: cython.Py_ssize_t
    while True:
        c = 2 * j + 1
        if c >= n:
            break
        if c + 1 < n and _before(ht, ho, c + 1, ht[c], ho[c]):
            c += 1
        if not _before(ht, ho, c, t, o):
            break
        ht[j], ho[j], hk[j], hi[j], hb[j] = ht[c], ho[c], hk[c], hi[c], hb[c]
        j = c
    if n > 0:
        ht[j], ho[j], hk[j], hi[j], hb[j] = ht[n], ho[n], hk[n], hi[n], hb[n]
    return n


def play_contact(
    first: cython.longlong[:],
    kinds: cython.schar[:],
    waits: cython.double[:],
    oks: cython.schar[:],
    call_days: cython.double[:],
    channels: cython.schar[:],
    pids: cython.longlong[:],
    entries: cython.double[:],
    on_reporting: cython.uchar[:],
    change_days: cython.double[:],
    change_agents: cython.longlong[:],
    horizon: cython.double,
    log: cython.bint,
    free: cython.double[:],
    waiting: cython.double[:],
    tally: cython.longlong[:],
    areas: cython.double[:],
    began: cython.double[:],
    attempts: cython.longlong[:],
) -> tuple[np.ndarray, ...]:
    """The loop of ``Contact._play``, compiled: the plan's steps (``first`` .. ``channels``:
    ``ContactPlan``'s arrays) of the people entering at ``entries`` (ids ``pids``, in entry
    order), played up to ``horizon``, booking the call centre (its state ``free`` .. ``areas``,
    :func:`book_server`) and resizing it on the change days. Fills ``began`` and ``attempts``
    (by channel). Returns, as arrays: the time of each entry on the run's clock and whether it
    needs an event (by place); the exits (person, time, kind of step, channel, at entry); the
    checks made (place, step); the record for the event log if ``log`` (code, a, b, time:
    :data:`OP_ENTRY`); the number of change days played (one value); the call centre's heaps of
    free times and of waiting start times."""
    # the module's constants as C values (as module attributes they are Python objects)
    call: cython.schar = CALL
    written: cython.schar = WRITTEN
    check: cython.schar = CHECK
    phone: cython.Py_ssize_t = PHONE
    inf: cython.double = INF
    op_entry: cython.schar = OP_ENTRY
    op_call: cython.schar = OP_CALL
    op_written: cython.schar = OP_WRITTEN
    op_check: cython.schar = OP_CHECK
    op_flush: cython.schar = OP_FLUSH
    op_exit: cython.schar = OP_EXIT
    n: cython.Py_ssize_t = pids.shape[0]
    n_steps: cython.Py_ssize_t = kinds.shape[0]
    entered_a = np.full(n, INF)
    entered: cython.double[:] = entered_a
    has_event_a = np.zeros(n, np.uint8)
    has_event: cython.uchar[:] = has_event_a
    ex_pid_a, ex_t_a = np.empty(n, np.int64), np.empty(n)
    ex_kind_a, ex_ch_a, ex_entry_a = np.empty(n, np.int8), np.empty(n, np.int8), np.empty(n, np.uint8)
    ex_pid: cython.longlong[:] = ex_pid_a
    ex_t: cython.double[:] = ex_t_a
    ex_kind: cython.schar[:] = ex_kind_a
    ex_ch: cython.schar[:] = ex_ch_a
    ex_entry: cython.uchar[:] = ex_entry_a
    n_ex: cython.Py_ssize_t = 0
    checks: cython.Py_ssize_t = int(np.count_nonzero(np.asarray(kinds) == CHECK))
    det_k_a, det_i_a = np.empty(checks, np.int64), np.empty(checks, np.int64)
    det_k: cython.longlong[:] = det_k_a
    det_i: cython.longlong[:] = det_i_a
    n_det: cython.Py_ssize_t = 0
    size: cython.Py_ssize_t = (n + 2 * n_steps + first.shape[0]) if log else 0
    op_a_, op_i_a, op_p_a, op_t_a = (
        np.empty(size, np.int8),
        np.empty(size, np.int64),
        np.empty(size, np.int64),
        np.empty(size),
    )
    op: cython.schar[:] = op_a_
    op_i: cython.longlong[:] = op_i_a
    op_p: cython.longlong[:] = op_p_a
    op_t: cython.double[:] = op_t_a
    n_op: cython.Py_ssize_t = 0
    rows: cython.Py_ssize_t = 0  # activities played since they were last put where they go
    # the heap of pending calls and change days, as parallel arrays
    size = change_days.shape[0] + n + 1
    ht_a, ho_a, hk_a, hi_a, hb_a = (
        np.empty(size),
        np.empty(size, np.int64),
        np.empty(size, np.int64),
        np.empty(size, np.int64),
        np.empty(size),
    )
    ht: cython.double[:] = ht_a
    ho: cython.longlong[:] = ho_a
    hk: cython.longlong[:] = hk_a
    hi: cython.longlong[:] = hi_a
    hb: cython.double[:] = hb_a
    nh: cython.Py_ssize_t = 0
    j: cython.Py_ssize_t
    for j in range(change_days.shape[0]):  # their events are created first
        nh = _push(ht, ho, hk, hi, hb, nh, change_days[j], j, -1, change_agents[j], 0.0)
    changed: cython.Py_ssize_t = 0
    order: cython.longlong = change_days.shape[0]
    # the next entry is kept apart from the heap, with its place in SimPy's order
    entry_at: cython.double = inf
    entry_order: cython.longlong = 0
    entering: cython.Py_ssize_t = 0
    if n:
        entry_at, entry_order = entries[0], order
        order += 1
    booked = np.empty(2)
    out: cython.double[:] = booked
    now: cython.double
    busy_until: cython.double
    start: cython.double
    delay: cython.double
    leave: cython.double
    k: cython.Py_ssize_t
    i: cython.Py_ssize_t
    end_step: cython.Py_ssize_t
    pid: cython.Py_ssize_t
    kind: cython.schar
    at_entry: cython.bint
    exit_here: cython.bint
    ready: cython.bint
    while True:
        if nh > 0 and _before(ht, ho, 0, entry_at, entry_order):
            now, k, i, busy_until = ht[0], hk[0], hi[0], hb[0]
            nh = _pop(ht, ho, hk, hi, hb, nh)
        elif entering < n:  # (entry_at is inf after the last entry)
            now, k, i, busy_until = entry_at, entering, -1, 0.0
        else:
            break
        if now >= horizon:
            break
        if k < 0:
            free = resize_servers(np.asarray(free), i, now)
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
                entry_at = inf
            if on_reporting[pid]:
                has_event[k] = True
                continue
            if log:
                op[n_op], op_i[n_op], op_t[n_op] = op_entry, k, now
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
                    if kind == call:
                        nh = _push(ht, ho, hk, hi, hb, nh, now + delay, order, k, i, busy_until)
                        order += 1
                        break
                    if now + delay >= horizon:
                        break
                    # a step that involves nobody else: played now, at its own time; what was
                    # played before it was played at an earlier moment
                    if rows:
                        op[n_op], op_i[n_op], op_t[n_op] = op_flush, at_entry, now
                        n_op += 1
                        rows = 0
                    at_entry, now = False, now + delay
            ready = False
            if kind == call:
                # queued for an agent, its start and end known now (FCFS, no reneging); it counts
                # (and costs) if it starts before the horizon
                waiting = book_server(free, waiting, tally, areas, horizon, call_days[i], now, out)
                if out[1] == inf:
                    break  # no agents: the call never happens
                if out[0] <= horizon:
                    attempts[phone] += 1
                    if log:
                        op[n_op], op_i[n_op], op_p[n_op], op_t[n_op] = op_call, i, pid, out[0]
                        n_op += 1
                        rows += 1
                busy_until = out[1]
                if oks[i]:
                    leave = now + (busy_until - now)  # the run waits ``end - now`` after the call's start
                    if leave < horizon:
                        ex_pid[n_ex], ex_t[n_ex], ex_kind[n_ex], ex_ch[n_ex], ex_entry[n_ex] = (
                            pid,
                            leave,
                            call,
                            phone,
                            False,
                        )
                        n_ex += 1
                    break
            elif kind == written:
                attempts[channels[i]] += 1
                if log:
                    op[n_op], op_i[n_op], op_p[n_op], op_t[n_op] = op_written, i, pid, now
                    n_op += 1
                ex_pid[n_ex], ex_t[n_ex], ex_kind[n_ex], ex_ch[n_ex], ex_entry[n_ex] = (
                    pid,
                    now,
                    written,
                    channels[i],
                    at_entry,
                )
                n_ex += 1
                exit_here = True
                break
            elif kind == check:
                det_k[n_det], det_i[n_det] = k, i
                n_det += 1
                if log:
                    op[n_op], op_i[n_op], op_p[n_op], op_t[n_op] = op_check, i, pid, now
                    n_op += 1
                    rows += 1
                if oks[i]:
                    ex_pid[n_ex], ex_t[n_ex], ex_kind[n_ex], ex_ch[n_ex], ex_entry[n_ex] = (
                        pid,
                        now,
                        check,
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
                op[n_op], op_i[n_op], op_p[n_op] = op_exit, at_entry, pid
                n_op += 1
                rows = 0
        elif rows:
            op[n_op], op_i[n_op], op_t[n_op] = op_flush, at_entry, now
            n_op += 1
            rows = 0
    return (
        entered_a,
        has_event_a.view(np.bool_),
        ex_pid_a[:n_ex],
        ex_t_a[:n_ex],
        ex_kind_a[:n_ex],
        ex_ch_a[:n_ex],
        ex_entry_a[:n_ex].view(np.bool_),
        det_k_a[:n_det],
        det_i_a[:n_det],
        op_a_[:n_op],
        op_i_a[:n_op],
        op_p_a[:n_op],
        op_t_a[:n_op],
        np.array([changed]),
        np.asarray(free),
        np.asarray(waiting),
    )
