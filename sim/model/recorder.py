"""Recording state changes: the single place where a person's state is changed.

Every change goes through :meth:`Recorder.move`, which checks the model's invariants as it goes
(terminal states are never left, no self-transitions, time never runs backwards), keeps the
number of people in each state, the person-days spent in each state (for Little's law and the
Markov-chain checks), a count per (from, to, cause) transition, each person's milestones (first
contact, outcome) for time-to-outcome analysis, and, on request, the full per-person event log in
flat lists that become one DataFrame after the run.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import Counter, deque
from collections.abc import Callable

import pandas as pd

from sim.model.person import Person
from sim.model.states import DEPARTURE_STATES, ENTRY, N_STATES, State, state_name

POOL = int(State.POOL)
IN_CONTACT = int(State.IN_CONTACT)
FIRST_TERMINAL = int(State.DEPARTED_VOLUNTARY)
"""States are plain ints on the hot path (an enum member lookup costs more than the work)."""


ACTIVITY_COLUMNS = ("person", "time", "activity", "resource", "outcome", "after")
"""Columns of the activity log (``Recorder.activity_log``). ``after`` is the number of state-log
records (all people) made before the activity was recorded: it puts a person's activities and
state changes at one instant back in the order they happened (``sim.analysis.process_log``)."""

ACTIVITIES = (
    "contact_attempt",  # a call/text/letter/e-mail to someone in the pool (channel); success|failure
    "enrichment_check",  # after a failed round (data_enrichment); already_departed|new_details|nothing_found
    "departure_offer",  # voluntary return offered (contractor, family_engagement); agreed|refused
    "departure_follow_through",  # an agreed departure comes due (contractor); departed|did_not_depart
    "notice_served",  # a notice (post, in_person); acted|not_received|not_understood
    "report",  # a report due (in_person, telephone, digital); attended|missed
    "tracing_action",  # tracing someone out of contact (tracers); found|not_found
    "declared_absconder",  # a person declared an absconder (absconder_unit); no outcome
    "removal_attempt",  # a planned removal (detention); removed|cancelled|cancelled_barrier
    "asylum_decision",  # a claim decided (asylum_caseworkers); granted|refused|inadmissible|withdrawn*
    "casework_decision",  # a barrier worked (caseworkers, documentation, courts); <barrier>_<result>
    "tasking_check",  # a referral checked before arrest (casework); proceed|barrier_found|deferred_no_bed
    "arrest_visit",  # an arrest team's visit (arrest_teams); found|not_found
    "gatekeeper_decision",  # (detention_gatekeeper); detained|rejected_barrier|rejected_no_bed
)
"""The activity vocabulary of ``Recorder.act``: what was done to or by a person, with its
resource and outcomes (``name  # meaning (resources); outcomes``). A state change it causes is
in the state log (``Recorder.event_log``) as well, recorded just after it; state changes alone
(entry, releases, absconding, outcomes) are only there. ``tasking_check`` is recorded only for
referrals that get the check; ``gatekeeper_decision`` for arrested people and those detained on
reporting. Casework outcomes are ``further_submission_granted|refused`` (caseworkers),
``travel_document_obtained|not_obtained`` (documentation) and ``legal_granted|refused`` (courts)."""


Act = tuple[int, float, str, str, str]
"""The arguments of ``Recorder.act``: person id, time (days), activity, resource, outcome."""
Later = tuple[int, Person, list[Act]]
"""A made person's entry recorded when the clock reaches it (``Recorder.enter_later``): its index
in the entry times, the person, and the activities recorded at that entry (with the event log)."""


class InvariantError(RuntimeError):
    """The model tried to do something its rules forbid: a bug, never an input problem."""


class Recorder:
    """Counts, occupancy and transitions of one replication."""

    def __init__(self, keep_log: bool, clock: Callable[[], float] = lambda: 0.0) -> None:
        self.keep_log = keep_log
        self.clock = clock
        """The run's time (days): what was recorded ahead of it is caught up to it."""
        self.counts = [0] * N_STATES
        self.occupancy = [0.0] * N_STATES  # person-days spent in each state
        self.visits = [0] * N_STATES  # entries into each state
        self.entered = 0
        self.transitions: Counter[tuple[int, int, str]] = Counter()
        self.departed_contacted = 0
        self.first_contact: dict[int, float] = {}
        """Person id -> time of their first contact (entry into IN_CONTACT), in days."""
        self.exits: dict[int, tuple[float, int]] = {}
        """Person id -> (time, terminal state) of their outcome: the milestones time-to-outcome
        analysis needs, kept without the full event log."""
        self.last_time = 0.0
        self._log_pid: list[int] = []
        self._log_time: list[float] = []
        self._log_from: list[int] = []
        self._log_to: list[int] = []
        self._log_cause: list[str] = []
        self._act_pid: list[int] = []
        self._act_time: list[float] = []
        self._act_name: list[str] = []
        self._act_resource: list[str] = []
        self._act_outcome: list[str] = []
        self._act_after: list[int] = []
        self._ahead: deque[tuple[float, int, float, str, str, str]] = deque()
        self._later_times: list[float] = []
        self._later_made: list[Later] = []
        self._next_later = 0  # the next of the entry times to record
        self._next_made = 0  # the next of the made people's entries
        self._due = math.inf
        """The earliest time of anything recorded ahead (:meth:`ahead`, :meth:`enter_later`)."""

    def ahead(self, rows: deque[tuple[float, int, float, str, str, str]]) -> None:
        """Activities worked out ahead of the clock (``Contact.play``), each ``(moment, pid, now,
        activity, resource, outcome)`` in order of ``moment``, the time (days) at which the run
        would have recorded it: each is recorded just before the first record made later than its
        moment, so the log is in the order it would have been."""
        self._ahead = rows
        self._refresh()

    def enter_later(self, times: list[float], made: list[Later]) -> None:
        """Entries recorded when the clock reaches them rather than at an event of their own (most
        people never leave the pool, and an event each for their entry was most of a run's
        events): their ``times`` (days, in order), and for those whose person was made (in the
        same order) the person and the activities recorded at that entry; the rest are only
        counted. Each entry is recorded just before the first record made at or after its time;
        the counts a snapshot reads are caught up to it (:meth:`catch_up`)."""
        self._later_times, self._later_made = times, made
        self._next_later = self._next_made = 0
        self._refresh()

    def _refresh(self) -> None:
        """The earliest time of anything recorded ahead (entries, activities), inf if none."""
        times, j, rows = self._later_times, self._next_later, self._ahead
        self._due = min(times[j] if j < len(times) else math.inf, rows[0][0] if rows else math.inf)

    def catch_up(self, until: float, strict: bool = False) -> None:
        """Record what was worked out ahead (:meth:`ahead`, :meth:`enter_later`), in time order:
        the activities whose moment is before ``until`` (days), the entries at or before it
        (before it if ``strict``: a snapshot at time t is taken before entries at t, as the run's
        first snapshot, at time 0, is). An entry comes before an activity of the same moment
        worked out ahead, as its event would have. The entries up to the next activity are
        recorded together (:meth:`_enter_later`)."""
        rows, times = self._ahead, self._later_times
        j = self._next_later
        stop = (bisect_left if strict else bisect_right)(times, until, j)
        while True:
            moment = rows[0][0] if rows else math.inf
            upto = min(stop, bisect_right(times, moment, j)) if rows else stop
            if upto > j:
                self._enter_later(j, upto)
                j = upto
            if moment < until and (j == len(times) or moment < times[j]):
                self._act(*rows.popleft()[1:])
            else:
                break
        self._refresh()

    def _enter_later(self, j: int, stop: int) -> None:
        """Record the entries ``j:stop`` of :meth:`enter_later`, in order: the people never made
        only counted (:meth:`_count_entries`)."""
        times = self._later_times
        self._count_entries(times[j], times[stop - 1], stop - j)
        made, k = self._later_made, self._next_made
        while k < len(made) and made[k][0] < stop:
            at, p, acts = made[k]
            self._placed(p, times[at])
            for act in acts:  # (with the event log only)
                self._act(*act)
            k += 1
        self._next_later, self._next_made = stop, k

    def _log(self, pid: int, now: float, frm: int, to: int, cause: str) -> None:
        self._log_pid.append(pid)
        self._log_time.append(now)
        self._log_from.append(frm)
        self._log_to.append(to)
        self._log_cause.append(cause)

    def act(self, pid: int, now: float, activity: str, resource: str = "", outcome: str = "") -> None:
        """Record what was done to or by person ``pid`` at ``now`` (days), without a state change:
        a contact attempt, a notice served, a report attended or missed, a tracing action, an
        arrest visit, a gatekeeper decision, a removal attempt (``ACTIVITIES``).

        Kept only with the event log (``keep_log``): the summary's counts come from the parts'
        tallies, which are always kept, so a run without the log pays one test per call. Callers
        on the hot path test ``keep_log`` themselves before building anything for this call.
        """
        if self.keep_log:
            clock = self.clock()
            if clock >= self._due:
                self.catch_up(clock)
            self._act(pid, now, activity, resource, outcome)

    def _act(self, pid: int, now: float, activity: str, resource: str, outcome: str) -> None:
        """Append an activity to the log, after the state changes recorded so far."""
        self._act_pid.append(pid)
        self._act_time.append(now)
        self._act_name.append(activity)
        self._act_resource.append(resource)
        self._act_outcome.append(outcome)
        self._act_after.append(len(self._log_pid))

    def enter(self, p: Person, now: float) -> None:
        """A person joins the caseload (in the pool), at an event of their entry."""
        if now >= self._due:
            self.catch_up(now)
        self._count_entries(now, now, 1)
        self._placed(p, now)

    def _count_entries(self, first: float, last: float, n: int) -> None:
        """Count ``n`` entries into the pool from day ``first`` to day ``last``, in time order (the
        (entry, pool, "entry") transitions are added by :meth:`close`)."""
        if first < self.last_time:
            raise InvariantError(f"time went backwards: {first} < {self.last_time}")
        self.last_time = last
        self.entered += n
        self.counts[POOL] += n
        self.visits[POOL] += n

    def _placed(self, p: Person, now: float) -> None:
        """Person ``p`` is in the pool from their entry at ``now`` (days; counted by the caller)."""
        p.state = POOL
        p.since = now
        if self.keep_log:
            self._log(p.pid, now, ENTRY, POOL, "entry")

    def move(self, p: Person, to: int, cause: str, now: float) -> None:
        """Change ``p``'s state to ``to`` at time ``now`` because of ``cause``."""
        if now >= self._due:
            self.catch_up(now)
        frm = p.state
        if frm >= FIRST_TERMINAL:
            raise InvariantError(f"person {p.pid} left terminal state {state_name(frm)} ({cause})")
        if frm == to:
            raise InvariantError(f"person {p.pid}: self-transition in {state_name(frm)} ({cause})")
        if now < self.last_time:
            raise InvariantError(f"time went backwards: {now} < {self.last_time}")
        self.last_time = now
        counts = self.counts
        counts[frm] -= 1
        counts[to] += 1
        self.occupancy[frm] += now - p.since
        self.visits[to] += 1
        p.state = to
        p.since = now
        p.cause = cause
        self.transitions[(frm, to, cause)] += 1
        if to >= FIRST_TERMINAL:
            self.exits[p.pid] = (now, to)
        elif to == IN_CONTACT and p.pid not in self.first_contact:
            self.first_contact[p.pid] = now
        if p.contacted and to in DEPARTURE_STATES:
            self.departed_contacted += 1
        if self.keep_log:
            self._log(p.pid, now, frm, to, cause)

    def close(self, people: list[Person | None], entered: list[float], horizon: float) -> None:
        """Add the censored time of everyone still in a state at the horizon, and the entries to
        the transition counts (counted apart on the way: there is one per person). ``people`` in
        entry order, None for a person never made: in the pool since their entry (``entered``,
        the time the recorder entered them, days)."""
        self.catch_up(math.inf)
        occupancy = self.occupancy
        for p, since in zip(people, entered, strict=True):
            if p is None:
                occupancy[POOL] += horizon - since
            else:
                occupancy[p.state] += horizon - p.since
        if self.entered:
            self.transitions[(ENTRY, POOL, "entry")] = self.entered

    def activity_log(self) -> pd.DataFrame:
        """The per-person activity log (``ACTIVITY_COLUMNS``), in the order recorded (time order
        within a person; records of skipped-over quiet events, e.g. failed written contact
        attempts, are added when the jump over them is made or after the run, so sort by ``time``
        for a global order)."""
        return pd.DataFrame(
            {
                "person": pd.array(self._act_pid, dtype="int64"),
                "time": pd.array(self._act_time, dtype="float64"),
                "activity": pd.Categorical(self._act_name),
                "resource": pd.Categorical(self._act_resource),
                "outcome": pd.Categorical(self._act_outcome),
                "after": pd.array(self._act_after, dtype="int64"),
            }
        )

    def event_log(self) -> pd.DataFrame:
        """The per-person event log: ``person, time, from_state, to_state, cause``."""
        return pd.DataFrame(
            {
                "person": pd.array(self._log_pid, dtype="int64"),
                "time": pd.array(self._log_time, dtype="float64"),
                "from_state": pd.Categorical([state_name(c) for c in self._log_from]),
                "to_state": pd.Categorical([state_name(c) for c in self._log_to]),
                "cause": pd.Categorical(self._log_cause),
            }
        )
