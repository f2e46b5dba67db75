"""Properties that hold for every valid scenario (hypothesis), and monotone policy responses.

Every generated run is checked with its full event log against:

* conservation: entrants = sum of end states; each weekly snapshot sums to the people entered
  by then;
* one state at a time: replaying each person's log, each ``from_state`` is the previous
  ``to_state``, the first record is the entry and nobody enters twice; no self-transitions;
* terminal states are never left; times never decrease per person and lie in [0, horizon];
* nobody is removed without being detained just before; reporting events (missed reports, notices
  never acted on, detention on reporting) only happen to people on reporting, so nobody in
  detention reports; attended reports fit in the time people spent on reporting;
* the summary, end-state, occupancy and transition tables agree with the log (person-days per
  state equal the spells in the log, censored at the horizon);
* non-negative counts, durations, queue statistics and costs; total cost = sum of its items;
  utilisation in [0, 1]; every resource request is served, reneged, blocked or still waiting;
  the queue-length integral equals the waits (exactly when nobody reneged or is still waiting);
* the activity log: every report (attended or missed) belongs to a person on reporting at that
  time, every declaration to a person out of contact for at least as long as it took, every
  removal attempt to a detained person; its counts equal the summary's (reports, missed reports,
  notices and how they were served, tracing actions, declarations, removals) and detention leavers
  and their stays agree with the state log;
* determinism: the same seed gives the identical summary and event log.

The direction tests at the end compare two policies under common random numbers (same seeds,
paired per replication) and only require the paired mean difference to be no worse than minus the
half-width of its 95% confidence interval.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import CASE_TYPES, QUALITIES, by, expo, paired_halfwidth, quiet, shares, time_limit
from hypothesis import HealthCheck, given, settings
from strategies import scenario_overrides

from sim.model.results import ReplicationResult, run_replication
from sim.scenario.schema import Scenario

TERMINAL = {"departed_voluntary", "removed", "granted_leave", "closed_already_departed", "closed_other"}
DEPARTED = {"departed_voluntary", "removed", "closed_already_departed"}
REPORTING_CAUSES = {
    "missed_reports",
    "stopped_reporting",
    "never_reported",
    "reporting_notice_not_received",
    "detained_on_reporting",
}
POOLS = ("call_centre_agents", "caseworkers", "tracers", "arrest_teams", "detention_beds")
RUN_SECONDS = 60


def run_checked(scenario: Scenario, replication: int = 0, seed: int = 7) -> ReplicationResult:
    with time_limit(RUN_SECONDS):
        return run_replication(scenario, replication, seed, keep_log=True)


def spells(log: pd.DataFrame, horizon: float) -> pd.DataFrame:
    """One row per (person, state visit) with its start and end (censored at the horizon)."""
    ordered = log.sort_values("person", kind="stable").reset_index(drop=True)
    nxt = ordered.groupby("person", sort=False)["time"].shift(-1)
    out = pd.DataFrame(
        {
            "person": ordered.person,
            "state": ordered.to_state.astype(str),
            "start": ordered.time,
            "end": nxt.fillna(horizon),
        }
    )
    return out


def check_invariants(scenario: Scenario, r: ReplicationResult) -> None:
    horizon = scenario.horizon_days
    s = r.summary
    log = r.event_log
    assert log is not None
    frm = log.from_state.astype(str).to_numpy()
    to = log.to_state.astype(str).to_numpy()
    cause = log.cause.astype(str).to_numpy()
    times = log.time.to_numpy()
    entries = log[frm == "entry"]

    # -- conservation -------------------------------------------------------------------------
    n = s["cohort_size"]
    assert len(entries) == n == entries.person.nunique() == log.person.nunique()
    end = r.end_states.set_index("state")["count"]
    assert int(end.sum()) == n
    entry_times = np.sort(entries.time.to_numpy())
    ts = r.timeseries.groupby("day")["count"].sum()
    for day, total in ts.items():
        lo = np.searchsorted(entry_times, day, side="left")  # entered strictly before
        hi = np.searchsorted(entry_times, day, side="right")  # entered at or before
        assert lo <= total <= hi, (day, total, lo, hi)
    assert ts.index.max() == pytest.approx(horizon)
    assert ts.iloc[-1] == n

    # -- times ----------------------------------------------------------------------------------
    assert np.all(np.diff(times) >= 0), "log not in time order"
    assert times.min(initial=0.0) >= 0.0 and times.max(initial=0.0) <= horizon
    assert np.all(entries.time.to_numpy() < horizon)

    # -- one state at a time, per-person replay --------------------------------------------------
    ordered = log.sort_values("person", kind="stable")
    o_from = ordered.from_state.astype(str).to_numpy()
    o_to = ordered.to_state.astype(str).to_numpy()
    o_person = ordered.person.to_numpy()
    o_time = ordered.time.to_numpy()
    first = np.r_[True, o_person[1:] != o_person[:-1]] if len(o_person) else np.zeros(0, dtype=bool)
    assert np.all((o_from == "entry") == first), "entry is not exactly each person's first record"
    assert np.all(o_to[first] == "pool")
    prev_to = np.concatenate([np.array([""], dtype=object), o_to[:-1]]) if len(o_to) else o_to
    assert np.all(o_from[~first] == prev_to[~first]), "a from_state differs from the previous to_state"
    assert not np.any(np.isin(o_from, list(TERMINAL))), "a terminal state was left"
    assert np.all(o_from != o_to), "self-transition"
    assert np.all(np.diff(o_time)[~first[1:]] >= 0), "time decreased for a person"
    last = np.r_[first[1:], True] if len(first) else first
    final = pd.Series(o_to[last]).value_counts()
    for state, count in end.items():
        assert final.get(state, 0) == count, state

    # -- process rules ---------------------------------------------------------------------------
    assert np.all(frm[to == "removed"] == "detained"), "removed without being detained"
    rep_caused = np.isin(cause, list(REPORTING_CAUSES))
    assert np.all(frm[rep_caused] == "reporting"), "a reporting event for someone not on reporting"
    assert not np.any((frm == "detained") & rep_caused), "reporting while detained"
    det_causes = cause[to == "detained"]
    assert all(c.startswith("arrested_") or c == "detained_on_reporting" for c in det_causes)

    # attended reports fit in the reporting spells (first report one interval after joining)
    sp = spells(log, horizon)
    rep = sp[sp.state == "reporting"]
    min_interval = min(scenario.reporting.interval_days.model_dump().values())
    bound = int(np.floor((rep.end - rep.start).to_numpy() / min_interval + 1e-9).sum())
    assert s["reports"] <= bound, (s["reports"], bound)

    # -- tables agree with the log ----------------------------------------------------------------
    occ = r.occupancy.set_index("state")
    per_state = (sp.end - sp.start).groupby(sp.state).sum()
    visits = pd.Series(o_to).value_counts()
    for state in occ.index:
        assert occ.loc[state, "person_days"] == pytest.approx(per_state.get(state, 0.0), rel=1e-9, abs=1e-6)
        assert occ.loc[state, "visits"] == visits.get(state, 0)
        assert occ.loc[state, "censored"] == (0 if state in TERMINAL else end[state])
        assert occ.loc[state, "person_days"] >= 0
    tr = r.transitions
    from_log = log.astype({"from_state": str, "to_state": str, "cause": str}).value_counts(
        ["from_state", "to_state", "cause"]
    )
    assert int(tr["count"].sum()) == len(log)
    for row in tr.itertuples():
        assert from_log[(row.from_state, row.to_state, row.cause)] == row.count

    # contacted: first time in contact (from the pool, or, for someone who entered on reporting,
    # from wherever they first reach it)
    persons_contacted = set(log.person[to == "in_contact"])
    assert s["contacted"] == len(persons_contacted)
    assert s["absconded"] == log.person[to == "out_of_contact"].nunique()
    final_by_person = dict(zip(o_person[last], o_to[last], strict=True))
    assert s["departed_contacted"] == sum(final_by_person[p] in DEPARTED for p in persons_contacted)
    for state in ("departed_voluntary", "granted_leave", "closed_already_departed", "closed_other"):
        assert s[state] == end[state]
    assert s["removed_enforced"] == end["removed"]
    assert s["out_of_contact_end"] == end["out_of_contact"]
    assert s["departed_assisted"] == int((cause == "assisted_return").sum())
    assert s["recorded_removals"] + s["recorded_departures"] == sum(end[x] for x in DEPARTED)
    assert s["recorded_removals"] >= end["removed"]
    assert s["complaints"] <= int((cause == "contacted_in_error").sum())
    assert s["detention_rejections"] == s["detention_rejections_barrier"] + s["detention_rejections_no_bed"]
    assert s["detention_rejections_barrier"] >= int((cause == "rejected_for_detention_barrier").sum())
    assert s["detention_rejections_no_bed"] >= int((cause == "rejected_for_detention_no_bed").sum())
    arrested = sum(c.startswith("arrested_") for c in det_causes) + int(
        (cause == "not_found_at_arrest").sum()
    )
    assert s["arrests"] >= arrested
    assert s["detention_days"] == pytest.approx(occ.loc["detained", "person_days"])

    check_activities(scenario, r, sp)

    # -- non-negative, costs ----------------------------------------------------------------------
    for key, value in s.items():
        assert value >= 0, key
        assert math.isfinite(value), key
    c = scenario.costs
    items = [k for k in s if k.startswith("cost_")]
    assert s["total_cost_gbp"] == pytest.approx(sum(s[k] for k in items), rel=1e-9, abs=1e-6)
    assert s["cost_detention_gbp"] == pytest.approx(s["detention_days"] * c.detention_day, abs=1e-6)
    assert s["cost_arrests_gbp"] == pytest.approx(s["arrests"] * c.arrest)
    assert s["cost_missed_reports_gbp"] == pytest.approx(s["missed_reports"] * c.missed_report)

    # -- resources --------------------------------------------------------------------------------
    res = r.resources.set_index("resource")
    for name in POOLS:
        row = res.loc[name]
        for col in (
            "arrivals",
            "served",
            "reneged",
            "blocked",
            "mean_busy",
            "mean_queue",
            "mean_wait_days",
            "max_queue",
            "waiting_at_end",
        ):
            assert row[col] >= 0, (name, col)
        assert 0.0 <= row.utilisation <= 1.0 + 1e-12, name
        assert row.mean_busy <= row.capacity + 1e-9, name
        assert row.arrivals == row.served + row.reneged + row.blocked + row.waiting_at_end, name
        assert row.max_queue >= row.waiting_at_end, name
        queue_area = row.mean_queue * horizon
        waits = row.mean_wait_days * row.served
        assert queue_area >= waits - 1e-6 * (1 + waits), name
        if row.reneged == 0 and row.waiting_at_end == 0:
            assert queue_area == pytest.approx(waits, rel=1e-9, abs=1e-6), name
        if row.capacity == 0:
            assert row.served == 0 and row.mean_busy == 0
    assert s["detention_rejections_no_bed"] == res.loc["detention_beds", "blocked"]
    centre = res.loc["reporting_centre_interviews"]
    assert 0.0 <= centre.utilisation <= 1.0


def within_spells(acts: pd.DataFrame, sp: pd.DataFrame, state: str) -> np.ndarray:
    """For each activity, whether its person was in ``state`` at its time (spell ends included:
    the last missed report and the move it causes happen at the same instant)."""
    spl = sp[sp.state == state]
    merged = acts.reset_index(drop=True).reset_index().merge(spl, on="person", how="left")
    inside = (merged.start <= merged.time + 1e-9) & (merged.time <= merged.end + 1e-9)
    return inside.groupby(merged["index"]).any().reindex(range(len(acts)), fill_value=False).to_numpy()


def check_activities(scenario: Scenario, r: ReplicationResult, sp: pd.DataFrame) -> None:
    s = r.summary
    acts = r.activity_log
    log = r.event_log
    assert acts is not None and log is not None
    horizon = scenario.horizon_days
    assert acts.time.min(skipna=True) >= 0 if len(acts) else True
    assert np.all(acts.time.to_numpy() <= horizon + 1e-9)
    name = acts.activity.astype(str)
    outcome = acts.outcome.astype(str)
    reports = acts[name == "report"]
    assert np.all(within_spells(reports, sp, "reporting")), "a report by someone not on reporting"
    assert int((outcome[name == "report"] == "attended").sum()) == s["reports"]
    assert int((outcome[name == "report"] == "missed").sum()) == s["missed_reports"]
    notices = acts[name == "notice_served"]
    assert len(notices) <= s["notices"]  # notices still in the post at the horizon are not logged
    assert int((notices.resource.astype(str) == "in_person").sum()) == s["notices_in_person"]
    assert int((name == "tracing_action").sum()) == s["tracing_actions"]
    declared = acts[name == "declared_absconder"]
    assert len(declared) == s["declarations"]
    assert np.all(within_spells(declared, sp, "out_of_contact")), "declared while not out of contact"
    assert s["declared_absconders_end"] <= s["out_of_contact_end"]
    attempts = acts[name == "removal_attempt"]
    assert np.all(within_spells(attempts, sp, "detained")), "a removal attempt outside detention"
    assert (
        int((attempts.outcome.astype(str) == "removed").sum())
        == s["detention_removed"]
        == s["removed_enforced"]
    )
    # detention leavers and their stays, from the state log
    det = sp[(sp.state == "detained") & (sp.end < horizon)]
    left = log[log.from_state.astype(str) == "detained"]
    assert s["detention_leavers"] == len(left) == len(det)
    stays = (det.end - det.start).to_numpy()
    assert s["detention_stays_under_29d"] == int((stays < 29).sum())
    assert s["detention_stays_under_122d"] == int((stays <= 122).sum())


HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


@settings(max_examples=200, deadline=None, suppress_health_check=HEALTH)
@given(overrides=scenario_overrides())
def test_invariants_hold_for_any_valid_scenario(overrides: dict[str, Any]) -> None:
    scenario = Scenario(name="prop").with_overrides(overrides)
    check_invariants(scenario, run_checked(scenario))


@settings(max_examples=25, deadline=None, suppress_health_check=HEALTH)
@given(overrides=scenario_overrides(max_people=100, max_horizon=200.0))
def test_same_seed_same_results(overrides: dict[str, Any]) -> None:
    scenario = Scenario(name="det").with_overrides(overrides)
    a = run_checked(scenario, replication=3, seed=99)
    b = run_checked(scenario, replication=3, seed=99)
    assert a.summary == b.summary
    pd.testing.assert_frame_equal(a.event_log, b.event_log)
    pd.testing.assert_frame_equal(a.resources, b.resources)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)


BUSY: dict[str, Any] = {
    "horizon_days": 400,
    "cohort": {
        "initial_size": 300,
        "entry_ramp_days": 100,
        "inflow_per_week": 3,
        "already_departed_share": 0.1,
        "in_pool_in_error_share": 0.05,
        "high_priority_share": 0.3,
        "compliance": {"dist": "beta", "a": 2, "b": 2},
    },
    "contact": {
        "agents": 2,
        "success": {
            "phone": {"partial": 0.3, "good": 0.6},
            "text": {"partial": 0.2, "good": 0.5},
            "letter": {"partial": 0.2, "good": 0.5},
            "email": {"partial": 0.2, "good": 0.5},
        },
    },
    "departure": {
        "agree_on_contact": {"failed_asylum": 0.3, "overstayer": 0.3, "foreign_offender": 0.2, "family": 0.3}
    },
    "reporting": {
        "miss_probability": {"in_person": 0.2, "telephone": 0.2, "digital": 0.2},
        "misses_to_out_of_contact": 2,
        "promotion_agree": {"in_person": 0.05, "telephone": 0.05, "digital": 0.05},
        "detention_on_reporting": 0.05,
        "channel_mix": {"in_person": 0.5, "telephone": 0.3, "digital": 0.2},
        "centre": {"desks": 1, "hours_per_day": 0.5},
    },
    "absconding": {"hazard_per_day": 0.01},
    "tracing": {
        "team_size": 2,
        "success_probability": 0.4,
        "passive_rate_per_day": 0.01,
        "referral_probability_normal": 0.6,
    },
    "casework": {
        "caseworkers": 2,
        "further_submission_days": {"dist": "exponential", "mean": 20.0},
        "further_submission_grant": 0.3,
        "legal_grant": 0.3,
        "enforcement_after_resolution": 0.7,
    },
    "enforcement": {
        "teams": 2,
        "referral_on_refusal": {
            "failed_asylum": 0.5,
            "overstayer": 0.5,
            "foreign_offender": 0.9,
            "family": 0.0,
        },
        "arrest_success": 0.7,
        "pre_arrest_check": 0.3,
        "hidden_barrier_probability": 0.0,
        "ensured_return_probability": 0.5,
    },
    "detention": {"beds": 3, "cancellation_probability": 0.5},
}
"""A scenario in which every transition cause of the model occurs in a few hundred people."""


def test_invariants_on_busy_scenario() -> None:
    scenario = Scenario(name="busy").with_overrides(BUSY)
    causes: set[str] = set()
    for rep in range(3):
        r = run_checked(scenario, replication=rep)
        check_invariants(scenario, r)
        causes |= set(r.event_log.cause.astype(str))
    assert {
        "removed",
        "detained_on_reporting",
        "released_bail",
        "stopped_reporting",
        "arrested_traced",
    } <= causes


def test_invariants_on_default_scenario_small_cohort() -> None:
    scenario = Scenario(name="defaults").with_overrides(
        {"cohort": {"initial_size": 300}, "horizon_days": 400}
    )
    for rep in range(3):
        check_invariants(scenario, run_checked(scenario, replication=rep))


# ----------------------------------------------------------------------------------------------
# Monotone responses under common random numbers
# ----------------------------------------------------------------------------------------------

REPS = 10


def paired(low: Scenario, high: Scenario, kpi: str) -> tuple[float, float]:
    """Mean and 95% half-width of kpi(high) - kpi(low) over REPS paired replications."""
    diffs = [
        run_replication(high, k, 2024).summary[kpi] - run_replication(low, k, 2024).summary[kpi]
        for k in range(REPS)
    ]
    return paired_halfwidth(np.array(diffs, dtype=float))


def test_more_agents_never_fewer_contacted() -> None:
    # 150 people at t=0, phone only, 4-hour calls: one agent makes 6 calls a day
    base = {
        "horizon_days": 60.0,
        "cohort": {"initial_size": 150, "details": {"none": 0.0, "partial": 0.5, "good": 0.5}},
        "contact": {
            "call_minutes": expo(240.0),
            "attempt_interval_days": expo(7.0),
            "max_attempts": 4,
            "success": {"phone": {"partial": 0.1, "good": 0.3}},
        },
    }
    one = quiet(base | {"contact": base["contact"] | {"agents": 1}})
    five = quiet(base | {"contact": base["contact"] | {"agents": 5}})
    mean, hw = paired(one, five, "contacted")
    assert mean >= -hw, (mean, hw)


def test_more_beds_never_more_rejections() -> None:
    # Poisson inflow, everyone refuses and is referred for arrest; exponential removal planning
    base = {
        "horizon_days": 200.0,
        "cohort": {"initial_size": 0, "inflow_per_week": 5.0},
        "contact": {
            "channel_mix": shares(("phone", "text", "letter", "email"), "text"),
            "success": {"text": {"good": 1.0}},
        },
        "enforcement": {"referral_on_refusal": by(CASE_TYPES, 1.0), "teams": 1000, "visit_days": expo(1.0)},
        "detention": {"removal_planning_days": expo(10.0)},
    }
    few = quiet(base | {"detention": base["detention"] | {"beds": 2}})
    many = quiet(base | {"detention": base["detention"] | {"beds": 6}})
    mean, hw = paired(many, few, "detention_rejections")  # few minus many
    assert mean >= -hw, (mean, hw)


def test_higher_miss_probability_never_fewer_out_of_contact() -> None:
    base = {
        "horizon_days": 200.0,
        "cohort": {
            "initial_size": 100,
            "entry_ramp_days": 30.0,
            "compliance": {"dist": "beta", "a": 2.0, "b": 2.0},
            "details": shares(QUALITIES, "good"),
        },
        "contact": {"agents": 100},
        "tracing": {"passive_rate_per_day": 0.02},
    }
    low = quiet(base | {"reporting": {"miss_probability": by(("in_person", "telephone", "digital"), 0.05)}})
    high = quiet(base | {"reporting": {"miss_probability": by(("in_person", "telephone", "digital"), 0.3)}})
    mean, hw = paired(low, high, "absconded")
    assert mean >= -hw, (mean, hw)
