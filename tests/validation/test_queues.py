"""Resources against queueing theory: Erlang B for detention beds, Erlang C for the call centre,
and Little's law on every pool.

* Detention is a loss system. People arrive by Poisson inflow, are contacted at once by a text
  that always succeeds, refuse to leave, are all referred, and reach the gatekeeper at the same
  instant (10,000 arrest teams, zero visit time, arrest always succeeds, no barriers). Time in
  detention is the removal-planning time, exponential, with no cancellations. The share turned
  away for want of a bed, counted from the event log after a warm-up, is compared with
  Erlang B(c, a), a = arrival rate x mean stay; the mean number of occupied beds with a (1 - B).
* The call centre with Poisson inflow, one phone call each (always successful, exponential call
  length, the person is then closed as listed in error) is an M/M/c queue: mean wait in queue
  vs the Erlang C formula, mean queue length vs lambda Wq, utilisation vs a / c.
* Little's law L = lambda W on every pool of a scenario where agents, caseworkers, tracers and
  arrest teams all queue: mean queue length vs (arrivals / horizon) x mean wait.

Tolerances: 4 standard errors of the mean over independent replications (each replication gives
one estimate, so autocorrelation within a run does not bias the error), widened to the Student t
quantile of the same coverage for the number of replications (``conftest.ci_factor``), plus an
allowance for the start-up bias of a run that begins empty where the statistic is not measured
after a warm-up.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import CASE_TYPES, QUALITIES, by, ci_factor, expo, fixed, quiet, shares

from sim.model.results import run_replication


def erlang_b(c: int, a: float) -> float:
    """Blocking probability of an M/G/c/c loss system with offered load a (stable recursion)."""
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with offered load a < c."""
    b = erlang_b(c, a)
    return b / (1.0 - (a / c) * (1.0 - b))


def test_erlang_formulas_against_closed_forms() -> None:
    # B(1, a) = a / (1 + a); B(2, a) = (a^2/2) / (1 + a + a^2/2); C(1, a) = a
    for a in (0.3, 1.0, 2.5):
        assert erlang_b(1, a) == pytest.approx(a / (1 + a))
        assert erlang_b(2, a) == pytest.approx(a * a / 2 / (1 + a + a * a / 2))
    assert erlang_c(1, 0.7) == pytest.approx(0.7)
    # C(c, a) from its textbook sum
    c, a = 3, 2.4
    tail = a**c / math.factorial(c) * c / (c - a)
    assert erlang_c(c, a) == pytest.approx(tail / (sum(a**k / math.factorial(k) for k in range(c)) + tail))


def mean_se(values: list[float]) -> tuple[float, float]:
    x = np.asarray(values, dtype=float)
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(len(x)))


# ----------------------------------------------------------------------------------------------
# Detention beds: Erlang B
# ----------------------------------------------------------------------------------------------

TEXT_ALWAYS = {
    "channel_mix": shares(("phone", "text", "letter", "email"), "text"),
    "success": {"text": {"good": 1.0}},
}


def detention_scenario(beds: int, per_day: float, mean_stay: float, horizon: float):
    return quiet(
        {
            "horizon_days": horizon,
            "cohort": {"initial_size": 0, "inflow_per_week": 7.0 * per_day},
            "contact": TEXT_ALWAYS,
            "enforcement": {
                "referral_on_refusal": by(CASE_TYPES, 1.0),
                "teams": 10_000,
                "visit_days": fixed(1e-6),  # a constant lag keeps the arrest stream Poisson
            },
            "detention": {"beds": beds, "removal_planning_days": expo(mean_stay)},
        }
    )


@pytest.mark.parametrize(
    ("beds", "per_day", "mean_stay", "reps", "horizon"),
    [
        (2, 0.3, 10.0, 10, 1000.0),  # a = 3: B = 0.529
        pytest.param(5, 0.4, 10.0, 10, 3000.0, marks=pytest.mark.slow),  # a = 4: B = 0.199
        pytest.param(10, 0.7, 10.0, 10, 3000.0, marks=pytest.mark.slow),  # a = 7: B = 0.079
    ],
)
def test_detention_blocking_matches_erlang_b(
    beds: int, per_day: float, mean_stay: float, reps: int, horizon: float
) -> None:
    warmup = 10 * mean_stay
    a = per_day * mean_stay
    blocked, busy = [], []
    for k in range(reps):
        r = run_replication(detention_scenario(beds, per_day, mean_stay, horizon), k, 77, keep_log=True)
        log = r.event_log
        late = log[log.time > warmup]
        n_in = int((late.cause == "arrested_refused_departure").sum())
        n_out = int((late.cause == "rejected_for_detention_no_bed").sum())
        blocked.append(n_out / (n_in + n_out))
        res = r.resources.set_index("resource").loc["detention_beds"]
        assert res.mean_queue == 0.0 and res.max_queue == 0  # a loss system: nobody waits for a bed
        busy.append(res.mean_busy)
    b = erlang_b(beds, a)
    z = ci_factor(reps)
    mean, se = mean_se(blocked)
    assert abs(mean - b) <= z * se, (mean, b, se)
    # carried load over the whole run (starts empty: bias below mean_stay / horizon of the load)
    mean, se = mean_se(busy)
    carried = a * (1 - b)
    assert abs(mean - carried) <= z * se + carried * mean_stay / horizon, (mean, carried, se)


# ----------------------------------------------------------------------------------------------
# Call centre: M/M/c and Erlang C
# ----------------------------------------------------------------------------------------------


def call_centre_scenario(agents: int, per_day: float, call_minutes: float, horizon: float):
    return quiet(
        {
            "horizon_days": horizon,
            "cohort": {"initial_size": 0, "inflow_per_week": 7.0 * per_day, "in_pool_in_error_share": 1.0},
            "contact": {"agents": agents, "call_minutes": expo(call_minutes), "max_attempts": 1},
        }
    )


@pytest.mark.parametrize(
    ("agents", "per_day", "call_minutes", "reps", "horizon"),
    [
        (2, 120.0, 14.4, 10, 20.0),  # a = 1.2, rho = 0.6
        pytest.param(3, 240.0, 14.4, 16, 40.0, marks=pytest.mark.slow),  # a = 2.4, rho = 0.8
    ],
)
def test_call_centre_wait_matches_erlang_c(
    agents: int, per_day: float, call_minutes: float, reps: int, horizon: float
) -> None:
    mu = 24 * 60 / call_minutes  # calls per agent-day
    a = per_day / mu
    wq = erlang_c(agents, a) / (agents * mu - per_day)
    waits, queues, utils = [], [], []
    for k in range(reps):
        r = run_replication(call_centre_scenario(agents, per_day, call_minutes, horizon), k, 5)
        res = r.resources.set_index("resource").loc["call_centre_agents"]
        assert res.reneged == 0
        waits.append(res.mean_wait_days)
        queues.append(res.mean_queue)
        utils.append(res.utilisation)
    # start-up bias: the run starts empty; relaxation takes well under a day, i.e. < 1/horizon
    allowance = 1.0 / horizon
    z = ci_factor(reps)
    mean, se = mean_se(waits)
    assert abs(mean - wq) <= z * se + allowance * wq, ("Wq", mean, wq, se)
    mean, se = mean_se(queues)
    assert abs(mean - per_day * wq) <= z * se + allowance * per_day * wq, ("Lq", mean, per_day * wq, se)
    mean, se = mean_se(utils)
    assert abs(mean - a / agents) <= z * se + allowance, ("rho", mean, a / agents, se)


# ----------------------------------------------------------------------------------------------
# Little's law on every pool
# ----------------------------------------------------------------------------------------------

QUEUES = {
    # no absconding, so nobody leaves a queue; every pool small enough to queue
    "horizon_days": 300.0,
    "cohort": {
        "initial_size": 300,
        "entry_ramp_days": 300.0,
        "details": {"none": 0.0, "partial": 0.5, "good": 0.5},
        "barrier": {"none": 0.8, "further_submission": 0.2, "no_travel_document": 0.0, "legal": 0.0},
    },
    "contact": {
        "agents": 1,
        "call_minutes": expo(360.0),
        "success": {"phone": {"partial": 0.3, "good": 0.6}},
    },
    "reporting": {
        "miss_probability": by(("in_person", "telephone", "digital"), 0.1),
        "misses_to_out_of_contact": 1,
    },
    "tracing": {
        "team_size": 2,
        "referral_probability_normal": 1.0,
        "action_days": expo(1.0),
        "interval_days": expo(2.0),
        "success_probability": 0.5,
        "max_actions": 4,
        "arrest_on_trace_probability": 0.5,
    },
    "casework": {"caseworkers": 2, "further_submission_days": expo(5.0), "enforcement_after_resolution": 0.5},
    "enforcement": {"teams": 1, "visit_days": expo(1.0), "referral_on_refusal": by(CASE_TYPES, 0.5)},
    "detention": {"beds": 3, "removal_planning_days": expo(7.0), "cancellation_probability": 0.3},
}
POOLS = ("call_centre_agents", "caseworkers", "tracers", "arrest_teams", "detention_beds")


def test_littles_law_on_every_pool() -> None:
    sc = quiet(QUEUES)
    horizon = sc.horizon_days
    diffs: dict[str, list[float]] = {p: [] for p in POOLS}
    levels: dict[str, list[float]] = {p: [] for p in POOLS}
    edges: dict[str, list[float]] = {p: [] for p in POOLS}
    reps = 8
    for k in range(reps):
        res = run_replication(sc, k, 11).resources.set_index("resource")
        for pool in POOLS:
            row = res.loc[pool]
            assert row.reneged == 0
            lam = row.arrivals / horizon
            diffs[pool].append(row.mean_queue - lam * row.mean_wait_days)
            levels[pool].append(row.mean_queue)
            edges[pool].append(row.waiting_at_end * row.mean_wait_days / horizon)
    for pool in ("call_centre_agents", "caseworkers", "tracers", "arrest_teams"):
        assert np.mean(levels[pool]) > 0.01, f"{pool} never queued: the test would be vacuous"
    for pool in POOLS:
        mean, se = mean_se(diffs[pool])
        # people still waiting at the horizon count in L but not in W: an edge effect of the order
        # of (number waiting at the end) x (typical wait) / horizon
        allowance = 2 * float(np.mean(edges[pool])) + 1e-12
        z = ci_factor(reps)
        assert -z * se - allowance <= mean <= z * se + allowance, (pool, mean, se)


def test_quiet_variants_are_valid() -> None:
    detention_scenario(1, 0.1, 5.0, 10.0)
    call_centre_scenario(1, 1.0, 5.0, 10.0)
    quiet({"cohort": {"details": shares(QUALITIES, "good")}})
