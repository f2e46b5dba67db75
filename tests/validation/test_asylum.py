"""Asylum decisions against closed forms (issue 18).

Configuration (``conftest.quiet`` otherwise): ``N`` claimants enter on day 0 straight onto
reporting, half ``asylum_claimant`` (nobody stops reporting: they are in contact at the decision)
and half ``irregular_arrival`` who all leave at once (leaver share 1, a huge hazard: out of contact
at their first report, on day ``T``). Decision days are exponential with mean ``M``; with horizon
``HORIZON`` a share ``D = 1 - exp(-HORIZON / M)`` of claims come up for decision. So, for the
stayers: withdrawn ``D WIN``, granted ``D (1 - WIN) G``, refused the rest of ``D``. A leaver's
claim is due out of contact (one due before day ``T``, while they were leaving, is due when they
are out of contact): withdrawn out of contact ``D WOUT``, of which ``G`` would have been granted;
support is discontinued for the supported share ``S`` of every leaver (out of contact at the
decision day, or at the horizon with the decision still to come). Each count is a binomial over
all ``N`` claimants (the case type is drawn too) or over the claims it is a share of.
"""

from __future__ import annotations

import math

import pytest
from conftest import CASE_TYPES, expo, quiet, run

from sim.model.results import ReplicationResult
from sim.scenario.schema import Scenario

N, M, HORIZON, T = 20_000, 300.0, 400.0, 14.0
G, WIN, WOUT, S, INADMISSIBLE = 0.7, 0.12, 0.4, 0.6, 0.25
CLAIMANTS = ("irregular_arrival", "asylum_claimant")


def scenario() -> Scenario:
    return quiet(
        {
            "horizon_days": HORIZON,
            "cohort": {
                "initial_size": N,
                "case_type": {t: 0.5 * (t in CLAIMANTS) for t in CASE_TYPES},
                "entry_on_reporting_share": 1.0,
            },
            "reporting": {
                "misses_to_out_of_contact": 1,
                "interval_days": {"in_person": T, "telephone": T, "digital": T},
                "leaver_share": {"irregular_arrival": 1.0},
                "leaver_hazard_per_day": 1e6,
            },
            "asylum": {
                "decision_days": expo(M),
                "grant_probability": G,
                "inadmissible_share": INADMISSIBLE,
                "withdrawal_in_contact": WIN,
                "withdrawal_out_of_contact": WOUT,
                "supported_share": S,
            },
        }
    )


@pytest.fixture(scope="module")
def result() -> ReplicationResult:
    return run(scenario(), log=False)


def _ok(got: float, share: float, n: float) -> None:
    """``got`` counts of ``n`` trials is within 4 binomial standard errors of ``share``."""
    se = math.sqrt(n * share * (1 - share))
    assert abs(got - n * share) <= 4 * se + 1, (got, n * share, se)


def test_decisions_of_claimants_in_contact(result: ReplicationResult) -> None:
    s = result.summary
    d = 1.0 - math.exp(-HORIZON / M)
    withdrawn = s["claims_withdrawn"] - s["claims_withdrawn_out_of_contact"]
    decided = withdrawn + s["claims_granted"] + s["claims_refused"]
    _ok(decided, 0.5 * d, s["cohort_size"])
    _ok(withdrawn, WIN, decided)
    _ok(s["claims_granted"], G, decided - withdrawn)
    _ok(s["claims_inadmissible"], INADMISSIBLE, s["claims_refused"])


def test_claims_of_people_out_of_contact(result: ReplicationResult) -> None:
    s = result.summary
    d = 1.0 - math.exp(-HORIZON / M)
    _ok(s["claims_withdrawn_out_of_contact"], 0.5 * d * WOUT, s["cohort_size"])
    _ok(s["withdrawn_would_have_been_granted"], G, s["claims_withdrawn_out_of_contact"])
    _ok(s["support_discontinued"], 0.5 * S, s["cohort_size"])


def test_a_traced_claimant_with_a_claim_pending_is_not_arrested() -> None:
    """Nobody can be removed before their claim is decided, and the Home Office knows the claim is
    pending: a claimant traced while it is (every leaver, every trace succeeding and every trace
    referred for arrest here) gets reporting re-established, never an arrest team's visit, a
    detention refusal or a casework decision standing in for the asylum decision."""
    s = quiet(
        {
            "horizon_days": 200.0,
            "cohort": {
                "initial_size": 500,
                "case_type": {t: 1.0 * (t == "irregular_arrival") for t in CASE_TYPES},
                "entry_on_reporting_share": 1.0,
            },
            "reporting": {
                "misses_to_out_of_contact": 1,
                "leaver_share": {"irregular_arrival": 1.0},
                "leaver_hazard_per_day": 1e6,
            },
            "tracing": {
                "team_size": 50,
                "referral_probability_high": 1.0,
                "referral_probability_normal": 1.0,
                "success_probability": 1.0,
                "arrest_on_trace_probability": 1.0,
            },
        }
    )
    r = run(s)
    assert r.activity_log is not None
    t = r.transitions
    traced = t[(t.from_state == "out_of_contact") & t.cause.str.startswith("contact_reestablished")][
        "count"
    ].sum()
    assert traced > 400  # nearly every leaver found, and more than once
    assert r.summary["arrests"] == 0 and r.summary["detention_rejections"] == 0
    assert not r.activity_log.resource.isin(["arrest_teams", "courts", "detention_gatekeeper"]).any()
