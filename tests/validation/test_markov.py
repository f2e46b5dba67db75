"""The model against a hand-built Markov chain: absorption probabilities, visits and time per state.

Configuration (everything else switched off, see ``conftest.QUIET``): everyone enters at t=0 as an
overstayer with good details, no barrier, compliance fixed at 0.5 (so the compliance factors are
1), propensity to abscond fixed at 1, no high priority. Contact is by phone only with 10,000 agents,
and there are 10,000 arrest teams and detention beds, so nobody ever waits (checked from the
resources table).

The chain (rates per day; c = call time, I = attempt interval, D = departure delay):

    A1 -> A2 -> A3      attempt k, a call of Exp(mean c); it succeeds with probability s:
    (via W2, W3)          contact -> agree (g) -> IC_D, or refuse (1 - g) and be referred for
                          arrest (r) -> IC_V or not (1 - r) -> R_N;
                          it fails (1 - s) -> W_{k+1}, the Exp(mean I) wait before the next call,
                          or, after the 3rd call, DORMANT (no enrichment: the case lies in the pool)
    IC_D                arranging departure from contact: Exp(mean D) competing with the abscond
                          hazard h: leaves (follow-through f) -> DEPARTED, does not (1 - f) -> R_N,
                          absconds -> OOC
    IC_V                the arrest visit, Exp(mean V) (no hazard during it); always found, no
                          barrier, a bed free -> DET_1
    DET_k               detained, removal attempt k: planning Exp(mean Pl) competing with release
                          on bail (hazard b), for vulnerability (hazard v) and for no realistic
                          prospect of removal (a limit Exp(mean L), drawn at admission, so a
                          hazard 1/L); the attempt succeeds (1 - c) -> REMOVED or is cancelled
                          (c) -> DET_{k+1}, or after the last attempt -> R_R (released, the
                          notice handed over in person: no delivery time); any release -> R_R
    R_N                 reporting notice in the post, Exp(mean delta); always received and acted
                          on -> R_R
    R_R                 reporting in person every T days; each report is missed with probability
                          q (one miss = out of contact) or, if attended, ends in agreement to leave
                          with probability a; the time of the event is T x Geometric(p_e),
                          p_e = q + (1 - q) a. The hazard of absconding on reporting h_r competes
                          with it: with z = exp(-h_r T), P(abscond first) = pi = 1 - p_e z /
                          (1 - (1 - p_e) z), and the mean holding time is E[min] = pi / h_r.
                          -> R_A (pi), -> OOC ((1 - pi) q / p_e), -> R_D ((1 - pi)(1 - q) a / p_e).
                          Not exponential, but the chain is semi-Markov: absorption probabilities,
                          expected visits and time per state depend on holding times only
                          through their means.
    R_A                 absconded, still counted on reporting until the next report is missed:
                          the residual to the next multiple of T, mean T - E[U] with U the
                          Exp(h_r) time truncated to [0, T) -> OOC
    R_D                 arranging departure from reporting: like IC_D, but not following through
                          returns to R_R (still on reporting, no new notice); the hazard of
                          absconding on reporting is paused while departure is arranged
    OOC                 out of contact; found by passive data matching at rate rho (no tracing
                          referrals, nobody arrested on trace) -> R_N
    absorbing: DEPARTED, REMOVED, DORMANT

Model states are unions: POOL = A1..A3 + W2..W3, IN_CONTACT = IC_D + IC_V, DETAINED = DET_1 +
DET_2, REPORTING = R_N + R_R + R_A + R_D.
With P the embedded jump matrix among transient states and m the mean holding times,
N = (I - P)^-1 gives expected visits, N m expected time, N R absorption probabilities. The
horizon makes censoring negligible (checked with the CTMC tail alpha exp(QH) 1, which is
conservative here because the geometric reporting time has a lighter tail than its exponential
stand-in). A dormant person stays in the pool to the horizon, so the pool's person-days are
compared after subtracting H per person left in the pool.

Tolerances: shares of people (Bernoulli per person) within 4 binomial standard errors; per-person
time and visits within 4 standard errors of the per-person mean (people are independent: nobody
queues), each plus a small allowance for the censoring bound.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import expo, quiet
from scipy.linalg import expm

from sim.model.results import run_replication

C_MIN, I_ATT, S, M = 720.0, 5.0, 0.4, 3  # call minutes, attempt interval, success, attempts
G, D, H_ABS, F = 0.3, 10.0, 0.02, 0.5  # agree, departure delay, abscond hazard, follow-through
DELTA, T_REP, Q, A = 3.0, 7.0, 0.2, 0.3  # notice delay, report interval, miss, promotion
RHO = 0.05  # passive re-discovery per day
H_REP = 0.01  # hazard of absconding on reporting per day
REF, V = 0.5, 2.0  # referral for arrest on refusal, arrest visit days
PLAN, CANC, MD = 10.0, 0.4, 2  # removal planning days, cancellation, attempts
BAIL, VULN, LIMIT = 0.03, 0.01, 40.0  # release hazards per day, mean no-prospect limit (days)
HORIZON = 2500.0

TRANSIENT = ["A1", "W2", "A2", "W3", "A3", "IC_D", "IC_V", "DET1", "DET2", "R_N", "R_R", "R_A", "R_D", "OOC"]
ABSORBING = ["DEPARTED", "REMOVED", "DORMANT"]
MODEL_STATE = {
    "A1": "pool", "W2": "pool", "A2": "pool", "W3": "pool", "A3": "pool",
    "IC_D": "in_contact", "IC_V": "in_contact", "DET1": "detained", "DET2": "detained",
    "R_N": "reporting", "R_R": "reporting", "R_A": "reporting", "R_D": "reporting", "OOC": "out_of_contact",
}  # fmt: skip


def scenario(n: int):
    return quiet(
        {
            "horizon_days": HORIZON,
            "cohort": {"initial_size": n},
            "contact": {
                "agents": 10_000,
                "call_minutes": expo(C_MIN),
                "attempt_interval_days": expo(I_ATT),
                "max_attempts": M,
                "success": {"phone": {"good": S}},
            },
            "departure": {
                "agree_on_contact": {"overstayer": G},
                "delay_days": expo(D),
                "follow_through_probability": F,
            },
            "enforcement": {
                "teams": 10_000,
                "visit_days": expo(V),
                "referral_on_refusal": {"overstayer": REF},
            },
            "detention": {
                "beds": 10_000,
                "removal_planning_days": expo(PLAN),
                "cancellation_probability": CANC,
                "max_removal_attempts": MD,
                "bail_hazard_per_day": BAIL,
                "vulnerability_hazard_per_day": VULN,
                "no_prospect_days": expo(LIMIT),
            },
            "absconding": {"hazard_per_day": H_ABS},
            "correspondence": {"delivery_days": expo(DELTA)},
            "reporting": {
                "interval_days": {"in_person": T_REP},
                "miss_probability": {"in_person": Q},
                "promotion_agree": {"in_person": A},
                "misses_to_out_of_contact": 1,
                "abscond_hazard_per_day": H_REP,
            },
            "tracing": {"passive_rate_per_day": RHO},
        }
    )


def chain() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Embedded jump matrix P (transient x transient), R (transient x absorbing), mean holding m."""
    idx = {s: i for i, s in enumerate(TRANSIENT)}
    ab = {s: i for i, s in enumerate(ABSORBING)}
    n = len(TRANSIENT)
    P = np.zeros((n, n))
    R = np.zeros((n, len(ABSORBING)))
    m = np.zeros(n)
    c = C_MIN / (24 * 60)
    for k in (1, 2, 3):
        i = idx[f"A{k}"]
        m[i] = c
        P[i, idx["IC_D"]] = S * G
        P[i, idx["IC_V"]] = S * (1 - G) * REF
        P[i, idx["R_N"]] = S * (1 - G) * (1 - REF)
        if k < M:
            P[i, idx[f"W{k + 1}"]] = 1 - S
            P[idx[f"W{k + 1}"], idx[f"A{k + 1}"]] = 1.0
            m[idx[f"W{k + 1}"]] = I_ATT
        else:
            R[i, ab["DORMANT"]] = 1 - S
    out = 1 / D + H_ABS
    for state, back in (("IC_D", "R_N"), ("R_D", "R_R")):
        i = idx[state]
        m[i] = 1 / out
        R[i, ab["DEPARTED"]] = F / D / out
        P[i, idx[back]] = (1 - F) / D / out
        P[i, idx["OOC"]] = H_ABS / out
    m[idx["IC_V"]] = V
    P[idx["IC_V"], idx["DET1"]] = 1.0
    out = 1 / PLAN + BAIL + VULN + 1 / LIMIT
    for k in range(1, MD + 1):
        i = idx[f"DET{k}"]
        m[i] = 1 / out
        R[i, ab["REMOVED"]] = (1 - CANC) / PLAN / out
        P[i, idx[f"DET{k + 1}"] if k < MD else idx["R_R"]] += CANC / PLAN / out
        P[i, idx["R_R"]] += (BAIL + VULN + 1 / LIMIT) / out
    m[idx["R_N"]] = DELTA
    P[idx["R_N"], idx["R_R"]] = 1.0
    p_e = Q + (1 - Q) * A
    z = math.exp(-H_REP * T_REP)
    pi = 1 - p_e * z / (1 - (1 - p_e) * z)
    m[idx["R_R"]] = pi / H_REP
    P[idx["R_R"], idx["R_A"]] = pi
    P[idx["R_R"], idx["OOC"]] = (1 - pi) * Q / p_e
    P[idx["R_R"], idx["R_D"]] = (1 - pi) * (1 - Q) * A / p_e
    m[idx["R_A"]] = T_REP - (1 / H_REP - T_REP * z / (1 - z))
    P[idx["R_A"], idx["OOC"]] = 1.0
    m[idx["OOC"]] = 1 / RHO
    P[idx["OOC"], idx["R_N"]] = 1.0
    assert np.allclose(P.sum(1) + R.sum(1), 1.0)
    return P, R, m


def predictions() -> dict[str, float]:
    P, R, m = chain()
    n = len(TRANSIENT)
    N = np.linalg.inv(np.eye(n) - P)  # expected visits
    start = N[0]  # everyone starts in A1
    B = start @ R
    time = start * m
    out: dict[str, float] = {
        "p_departed": B[0],
        "p_removed": B[1],
        "p_dormant": B[2],
        "p_contacted": 1 - B[2],
    }
    # probability of ever being out of contact: make OOC absorbing
    ooc = TRANSIENT.index("OOC")
    P2 = P.copy()
    P2[ooc] = 0.0
    N2 = np.linalg.inv(np.eye(n) - P2)
    out["p_absconded"] = N2[0, ooc]
    for state in ("pool", "in_contact", "detained", "reporting", "out_of_contact"):
        cols = [i for i, s in enumerate(TRANSIENT) if MODEL_STATE[s] == state]
        out[f"days_{state}"] = float(time[cols].sum())
    # pool: time of those contacted only (dormant people's time is H each)
    c = C_MIN / (24 * 60)
    out["days_pool_contacted"] = out["days_pool"] - out["p_dormant"] * (M * c + (M - 1) * I_ATT)
    # entries to reporting: by the postal notice (R_N), or released from detention straight to R_R
    released = sum(
        start[TRANSIENT.index(f"DET{k}")] * P[TRANSIENT.index(f"DET{k}"), TRANSIENT.index("R_R")]
        for k in range(1, MD + 1)
    )
    out["visits_reporting"] = float(start[TRANSIENT.index("R_N")] + released)
    out["visits_out_of_contact"] = float(start[ooc])
    out["visits_detained"] = float(start[TRANSIENT.index("DET1")])
    out["stopped_reporting"] = float(start[TRANSIENT.index("R_A")])
    # CTMC stand-in (exponential holding times) for the censoring bound
    Qm = P / m[:, None] - np.diag(1 / m)
    out["p_unabsorbed_at_h"] = float((expm(Qm * HORIZON)[0]).sum())
    return out


def test_chain_is_sane() -> None:
    p = predictions()
    assert p["p_dormant"] == pytest.approx((1 - S) ** M)
    assert p["p_departed"] + p["p_removed"] + p["p_dormant"] == pytest.approx(1.0)
    assert p["p_unabsorbed_at_h"] < 1e-6


def stopped_per_person(log: pd.DataFrame, n: int) -> pd.Series:
    """Times each person stopped reporting (the reporting hazard), from the event log."""
    stopped = log[log.cause.astype(str) == "stopped_reporting"]
    return stopped.groupby("person").size().reindex(range(n), fill_value=0).astype(float)


def per_person(log: pd.DataFrame, horizon: float, n: int) -> pd.DataFrame:
    """Days and visits per person and model state, from the event log (censored at the horizon)."""
    log = log.sort_values("person", kind="stable")
    end = log.groupby("person", sort=False)["time"].shift(-1).fillna(horizon)
    spells = pd.DataFrame({"person": log.person, "state": log.to_state.astype(str), "days": end - log.time})
    days = spells.pivot_table(index="person", columns="state", values="days", aggfunc="sum", fill_value=0.0)
    visits = spells.pivot_table(index="person", columns="state", values="days", aggfunc="count", fill_value=0)
    out = days.add_prefix("days_").join(visits.add_prefix("visits_"))
    return out.reindex(range(n), fill_value=0.0)


@pytest.mark.parametrize(
    ("n_people", "reps"), [(1000, 2), pytest.param(4000, 8, marks=pytest.mark.slow, id="large")]
)
def test_simulation_matches_markov_chain(n_people: int, reps: int) -> None:
    sc = scenario(n_people)
    pred = predictions()
    results = [run_replication(sc, k, 31, keep_log=True) for k in range(reps)]
    total = n_people * reps

    # no queueing anywhere: the chain has no resource
    for r in results:
        for pool in ("call_centre_agents", "arrest_teams"):
            row = r.resources.set_index("resource").loc[pool]
            assert row.mean_wait_days == 0.0 and row.max_queue == 0, pool
        assert r.summary["detention_rejections"] == 0

    # censoring negligible: nobody in a transient state except the dormant pool
    censored = sum(
        int(
            r.occupancy.set_index("state")
            .loc[["in_contact", "detained", "reporting", "out_of_contact"], "censored"]
            .sum()
        )
        for r in results
    )
    assert censored <= 2

    def share(count: float, p: float, name: str) -> None:
        se = math.sqrt(p * (1 - p) / total)
        assert abs(count / total - p) <= 4 * se + pred["p_unabsorbed_at_h"], (name, count / total, p, se)

    end = sum(r.end_states.set_index("state")["count"] for r in results)
    summ = pd.DataFrame([r.summary for r in results]).sum()
    share(end["departed_voluntary"], pred["p_departed"], "departed")
    share(end["removed"], pred["p_removed"], "removed")
    share(end["pool"], pred["p_dormant"], "dormant")
    share(summ["contacted"], pred["p_contacted"], "contacted")
    share(summ["absconded"], pred["p_absconded"], "absconded")

    # person-days per state: occupancy table (the model's own accounting) vs the chain, with the
    # standard error from the per-person values in the log
    people = pd.concat([per_person(r.event_log, HORIZON, n_people) for r in results], ignore_index=True)
    occ = sum(r.occupancy.set_index("state")["person_days"] for r in results)
    dormant = people["visits_in_contact"] == 0
    people["days_pool_contacted"] = np.where(dormant, 0.0, people["days_pool"])
    visits = sum(r.occupancy.set_index("state")["visits"] for r in results)
    people["stopped_reporting"] = pd.concat(
        [stopped_per_person(r.event_log, n_people) for r in results], ignore_index=True
    )
    checks = {
        "days_in_contact": occ["in_contact"],
        "days_detained": occ["detained"],
        "visits_detained": visits["detained"],
        "stopped_reporting": summ["absconded_from_reporting"],
        "days_reporting": occ["reporting"],
        "days_out_of_contact": occ["out_of_contact"],
        "days_pool_contacted": occ["pool"] - HORIZON * end["pool"],
        "visits_reporting": sum(r.occupancy.set_index("state")["visits"] for r in results)["reporting"],
        "visits_out_of_contact": sum(r.occupancy.set_index("state")["visits"] for r in results)[
            "out_of_contact"
        ],
    }
    for key, table_total in checks.items():
        values = people[key].to_numpy(dtype=float)
        assert values.sum() == pytest.approx(table_total, rel=1e-9)  # log and table agree
        se = values.std(ddof=1) / math.sqrt(total)
        mean = table_total / total
        assert abs(mean - pred[key]) <= 4 * se + 1e-3 * pred[key], (key, mean, pred[key], se)
