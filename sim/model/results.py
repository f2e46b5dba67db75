"""Results of one replication as tidy tables, computed once after the run.

``run_replication`` is the single entry point used by the experiment runner, the CLI, the tests
and the benchmarks. Its result is a plain picklable dataclass of pandas tables, so it can come
back from a worker process or a Dask worker unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.model.kpis import COST_ITEMS, KPIS, cost_column
from sim.model.model import Model, rare_collections
from sim.model.states import NON_TERMINAL, STATE_NAMES, State, state_name
from sim.model.streams import replication_seed
from sim.scenario.schema import Scenario

ROW_KEYS = ("replication", "seed")
"""The columns of ``summary.csv`` before its KPIs: which replication, with which seed."""
SUMMARY_COLUMNS: tuple[str, ...] = (
    *ROW_KEYS,
    *(name for name in KPIS if name not in {cost_column(item) for item in COST_ITEMS}),
)
"""Stable column names of ``summary.csv`` (cost components follow as ``cost_<item>_gbp``), in the
order of the KPI definitions (``sim.model.kpis``)."""


@dataclass
class ReplicationResult:
    """Everything one replication produces."""

    summary: dict[str, float | int]
    end_states: pd.DataFrame  # replication, state, count
    timeseries: pd.DataFrame  # replication, day, state, count
    resources: pd.DataFrame  # replication, resource, capacity, arrivals, ..., utilisation
    transitions: pd.DataFrame  # replication, from_state, to_state, cause, count
    occupancy: pd.DataFrame  # replication, state, person_days, visits
    life_table: pd.DataFrame  # replication, clock, day, event, count
    events: int
    wall_seconds: float
    event_log: pd.DataFrame | None = None
    activity_log: pd.DataFrame | None = None
    """``Recorder.activity_log`` (person, time, activity, resource, outcome, after), with the
    event log only."""
    sections: dict[str, str] = field(default_factory=dict)
    """Section name -> content hash of its inputs (``Model.sections``): replications with the same
    hash have the same section (without reuse or with the event log: none)."""
    reused: tuple[str, ...] = ()
    """The sections taken from an earlier replication with the same hash (``Model.reused``); the
    results are the same either way."""


def staff_cost(s: Scenario, regimes: list[tuple[float, Scenario]] | None = None) -> float:
    """GBP for the staff capacity kept over the horizon (paid whether busy or not).

    With changes from given days (``regimes``), each period is paid at the capacity in force
    then; the day rates are the scenario's (unit costs cannot change within a run).
    """
    rate = s.costs.staff_day
    periods = [(0.0, s), *(regimes or [])]
    total = 0.0
    for i, (start, step) in enumerate(periods):
        end = periods[i + 1][0] if i + 1 < len(periods) else s.horizon_days
        per_day = (
            step.contact.agents * rate.agent
            + step.casework.caseworkers * rate.caseworker
            + step.tracing.team_size * rate.tracer
        )
        total += (end - start) * per_day
    return total


def costs(m: Model) -> dict[str, float]:
    """Cost by item in GBP (``COST_ITEMS`` order): each part's, from its counts and the unit
    costs, and the staff kept over the horizon."""
    found = {"staff": staff_cost(m.scenario, m.regimes)}
    for part in m.parts:
        found.update(part.costs(m.scenario.costs))
    return {item: found[item] for item in COST_ITEMS}


def summarise(m: Model) -> dict[str, float | int]:
    """One row of ``summary.csv``: the replication's KPIs and costs, in the order of their
    definitions (``ROW_KEYS``, then ``sim.model.kpis.KPIS``). Each part gives the columns of
    what it counted; the counts of people by state are the recorder's."""
    counts = m.rec.counts
    cost = costs(m)
    values: dict[str, float | int] = {
        "replication": m.replication,
        "seed": replication_seed(m.root_seed, m.replication),
        "cohort_size": m.rec.entered,
        "departed_contacted": m.rec.departed_contacted,
        "departed_voluntary": counts[State.DEPARTED_VOLUNTARY],
        "removed_enforced": counts[State.REMOVED],
        "granted_leave": counts[State.GRANTED_LEAVE],
        "closed_already_departed": counts[State.CLOSED_ALREADY_DEPARTED],
        "closed_other": counts[State.CLOSED_OTHER],
        "out_of_contact_end": counts[State.OUT_OF_CONTACT],
        "declared_absconders_end": sum(
            p.declared for p in m.people if p is not None and p.state == State.OUT_OF_CONTACT
        ),
        "reporting_end": counts[State.REPORTING],
        "total_cost_gbp": sum(cost.values()),
    }
    for part in m.parts:
        values.update(part.summary())
    for item in COST_ITEMS:
        values[cost_column(item)] = cost[item]
    return {name: values[name] for name in (*ROW_KEYS, *KPIS)}


CLOCKS: dict[str, str] = {
    "since_entry": "days from entering the pool to an outcome (terminal state)",
    "first_contact": "days from entering the pool to first contact (or to closure before it)",
    "since_contact": "days from first contact to an outcome (terminal state)",
}
"""The time scales of the life table, and what each measures."""
CENSORED = "censored"
"""Event name of people with no event by the horizon (censored at horizon - start of the clock)."""
CLOSED_BEFORE_CONTACT = "closed_before_contact"
FIRST_CONTACT = "first_contact"


def life_table(m: Model) -> pd.DataFrame:
    """Events and censorings by clock, day and event: the replication's survival data, summarised.

    On each clock a person contributes one row: an event (a terminal state; for ``first_contact``,
    first contact or closure before it) on day ``ceil(duration)``, or, with no event by the
    horizon, a censoring on day ``floor(horizon - start)``. So a censored person counts as at risk
    on every whole day they were observed, and an event on day d happened in (d - 1, d]. Counting
    by whole days keeps the table small (a few thousand rows, whatever the cohort), so a hundred
    replications' worth can be analysed without their event logs (Aalen-Johansen estimates in
    ``sim.analysis.survival``).
    """
    horizon = m.scenario.horizon_days
    rec = m.rec
    cohort = m.cohort
    entry = cohort.column("entry")
    n = len(entry)
    index = cohort.places()  # only the few who reached a milestone are looked up
    exit_time = np.full(n, np.nan)
    exit_state = np.full(n, -1, dtype=np.int64)
    if rec.exits:
        pids = np.fromiter(rec.exits, dtype=np.int64, count=len(rec.exits))
        times, states = zip(*rec.exits.values(), strict=True)
        exit_time[index[pids]], exit_state[index[pids]] = times, states
    contact = np.full(n, np.nan)
    if rec.first_contact:
        pids = np.fromiter(rec.first_contact, dtype=np.int64, count=len(rec.first_contact))
        contact[index[pids]] = np.fromiter(rec.first_contact.values(), dtype=np.float64)
    names = [*STATE_NAMES, FIRST_CONTACT, CLOSED_BEFORE_CONTACT, CENSORED]  # event codes
    first_contact_code, closed_code, censored_code = (
        len(STATE_NAMES),
        len(STATE_NAMES) + 1,
        len(STATE_NAMES) + 2,
    )
    frames = []

    def add(clock: str, start: np.ndarray, end: np.ndarray, event: np.ndarray) -> None:
        observed = ~np.isnan(end)
        day = np.where(observed, np.ceil(end - start), np.floor(horizon - start)).astype(np.int64)
        code = np.where(observed, event, censored_code)
        keys, counts = np.unique(day * len(names) + code, return_counts=True)
        frames.append(
            pd.DataFrame(
                {
                    "clock": clock,
                    "day": keys // len(names),
                    "event": [names[c] for c in (keys % len(names)).tolist()],
                    "count": counts,
                }
            )
        )

    ended = exit_state >= 0
    add("since_entry", entry, exit_time, np.where(ended, exit_state, censored_code))
    # first contact, with closure while still in the pool competing with it
    reached = ~np.isnan(contact)
    closed_first = ended & (~reached | (exit_time < contact))
    first = np.where(reached, contact, np.where(closed_first, exit_time, np.nan))
    add("first_contact", entry, first, np.where(reached, first_contact_code, closed_code))
    after = np.where(ended[reached] & (exit_time[reached] >= contact[reached]), exit_time[reached], np.nan)
    add("since_contact", contact[reached], after, exit_state[reached])
    table = pd.concat(frames, ignore_index=True).sort_values(["clock", "day", "event"], kind="stable")
    table.insert(0, "replication", m.replication)
    return table.reset_index(drop=True)


def run_replication(
    scenario: Scenario, replication: int, root_seed: int, keep_log: bool = False, reuse: bool = True
) -> ReplicationResult:
    """Run replication ``replication`` of ``scenario`` and return its tables (``reuse``: see
    ``Model``).

    Events still pending at the horizon hold processes whose generators hold the model: one big
    reference cycle that the collector would have to scan. ``Model.dispose`` breaks it, so
    reference counting frees the model at once (what is left for the collector is SimPy's own
    handful of objects) and no full collection (~0.25 s) is needed; without it a worker that runs
    many replications got slower with each one (7.4 s -> 9.6 s over 4 in a row), and one whose
    model was left in a cycle grew by ~40 MiB a replication (``tests/unit/test_compat.py``). It is done before
    the collector's thresholds are put back, or the first collection after would scan the model.
    """
    with rare_collections():
        m = Model(scenario, replication, root_seed, keep_log=keep_log, reuse=reuse).run()
        result = tables(m, keep_log)
        m.dispose()
        del m
    return result


def tables(m: Model, keep_log: bool) -> ReplicationResult:
    """The tables of a finished run (see ``ReplicationResult``)."""
    scenario, k = m.scenario, m.replication
    end_states = pd.DataFrame({"replication": k, "state": list(STATE_NAMES), "count": m.rec.counts})
    days = [t for t, _ in m.timeseries]
    ts = pd.DataFrame(
        [row for _, row in m.timeseries], columns=list(STATE_NAMES), index=pd.Index(days, name="day")
    )
    timeseries = ts.reset_index().melt(id_vars="day", var_name="state", value_name="count")
    timeseries.insert(0, "replication", k)
    horizon = scenario.horizon_days
    # the rows of resources.csv, in this order of the parts that own them
    owners = (m.contact, m.casework, m.tracing, m.enforcement, m.detention, m.reporting)
    resources = pd.DataFrame([row for part in owners for row in part.resources(horizon)])
    resources.insert(0, "replication", k)
    transitions = pd.DataFrame(
        [
            (k, state_name(f), state_name(t), cause, c)
            for (f, t, cause), c in sorted(m.rec.transitions.items())
        ],
        columns=["replication", "from_state", "to_state", "cause", "count"],
    )
    occupancy = pd.DataFrame(
        {
            "replication": k,
            "state": list(STATE_NAMES),
            "person_days": m.rec.occupancy,
            "visits": m.rec.visits,
            "censored": [m.rec.counts[s] if s in NON_TERMINAL else 0 for s in State],
        }
    )
    return ReplicationResult(
        summary=summarise(m),
        end_states=end_states,
        timeseries=timeseries,
        resources=resources,
        transitions=transitions,
        occupancy=occupancy,
        life_table=life_table(m),
        events=m.events,
        wall_seconds=m.wall_seconds,
        event_log=m.rec.event_log() if keep_log else None,
        activity_log=m.rec.activity_log() if keep_log else None,
        sections=m.sections,
        reused=m.reused,
    )
