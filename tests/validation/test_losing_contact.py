"""Would-be leavers and declaration against closed forms (issue 18).

Configuration (``conftest.quiet`` otherwise): everyone enters on day 0 straight onto fortnightly
in-person reporting (``cohort.entry_on_reporting_share`` 1) as an asylum claimant; nobody misses a
report by chance, agrees to leave or is detained; the stayers' hazard is 0 and nobody is ever found
again. A share ``PI`` are would-be leavers with hazard ``H`` per day; a leaver who stops at time
``a`` misses the next report, at ``T * ceil(a / T)``, and is out of contact then (one miss is
enough). So the share out of contact on day ``t`` is ``PI * (1 - exp(-H * T * floor(t / T)))``.
Each loss of contact is declared with probability ``DECLARE`` after an exponential lag of mean
``LAG``; the share declared by the horizon and the mean lag of those declarations follow by
integrating over the (discrete) day of losing contact.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import CASE_TYPES, expo, quiet, run, shares

from sim.analysis.measures import GPS_PILOT_DAY
from sim.model.results import ReplicationResult
from sim.scenario.schema import Scenario

PI, H, T = 0.6, 0.002, 14.0  # leaver share, leaver hazard per day, report interval
DECLARE, LAG, HORIZON = 0.3, 200.0, 730.0
N = 20_000


def scenario() -> Scenario:
    return quiet(
        {
            "horizon_days": HORIZON,
            "cohort": {
                "initial_size": N,
                "case_type": shares(CASE_TYPES, "irregular_arrival"),
                "entry_on_reporting_share": 1.0,
            },
            "reporting": {
                "misses_to_out_of_contact": 1,
                "leaver_share": {"irregular_arrival": PI},
                "leaver_hazard_per_day": H,
            },
            "absconding": {"declaration_probability": DECLARE, "declaration_lag_days": expo(LAG)},
        }
    )


def lost_by(t: float) -> float:
    return PI * (1.0 - math.exp(-H * T * math.floor(t / T)))


def declared() -> tuple[float, float]:
    """Share declared by the horizon and the mean lag of those declarations: losses happen on report
    days k T (k >= 1) with probability PI (e^{-H T (k-1)} - e^{-H T k}); each is declared with
    probability DECLARE once an Exp(LAG) lag has run, if that is before the horizon."""
    share = lag_sum = 0.0
    for k in range(1, int(HORIZON // T) + 1):
        p_loss = PI * (math.exp(-H * T * (k - 1)) - math.exp(-H * T * k))
        window = HORIZON - k * T
        in_time = 1.0 - math.exp(-window / LAG)
        # E[lag; lag < window] for an exponential
        mean_part = LAG * in_time - window * math.exp(-window / LAG)
        share += p_loss * DECLARE * in_time
        lag_sum += p_loss * DECLARE * mean_part
    return share, lag_sum / share


@pytest.fixture(scope="module")
def results() -> list[ReplicationResult]:
    return [run(scenario(), replication=k, log=False) for k in range(2)]


def _binomial_ok(got: float, want: float, n: int) -> None:
    se = math.sqrt(want * (1 - want) / n)
    assert abs(got - want) <= 4 * se, (got, want, se)


def test_out_of_contact_at_16_months_matches_the_mixture(results: list[ReplicationResult]) -> None:
    got = [
        float(r.timeseries.query("day == @GPS_PILOT_DAY and state == 'out_of_contact'")["count"].sum())
        for r in results
    ]
    _binomial_ok(float(np.mean(got)) / N, lost_by(GPS_PILOT_DAY), N * len(results))
    # nobody but a leaver ever loses contact: the stayers' hazard and chance misses are 0
    lost = [float(r.summary["absconded"]) / N for r in results]
    _binomial_ok(float(np.mean(lost)), lost_by(HORIZON), N * len(results))


def test_declaration_share_and_lag_match_closed_form(results: list[ReplicationResult]) -> None:
    share, lag = declared()
    got = float(np.mean([r.summary["declared_people"] for r in results])) / N
    _binomial_ok(got, share, N * len(results))
    declarations = sum(r.summary["declarations"] for r in results)
    mean_lag = float(
        np.average(
            [r.summary["declaration_lag_mean_days"] for r in results],
            weights=[r.summary["declarations"] for r in results],
        )
    )
    # the lag of a declaration made by the horizon is at most ~716 days, sd below LAG: 4 standard errors
    assert abs(mean_lag - lag) <= 4 * LAG / math.sqrt(declarations), (mean_lag, lag, declarations)


def test_no_leavers_and_no_declaration_switch_both_off() -> None:
    r = run(
        scenario().with_overrides(
            {
                "reporting": {"leaver_share": {"irregular_arrival": 0.0}},
                "absconding": {"declaration_probability": 0.0},
            }
        ),
        log=False,
    )
    assert r.summary["absconded"] == 0
    assert r.summary["declarations"] == 0
    assert r.summary["contacted"] == 0  # nobody went through the contact process


def test_a_tag_that_stops_leaving_halves_the_losses_and_costs_its_days() -> None:
    """Half the reportees tagged, and a tag that takes the hazard to 0: only untagged leavers leave,
    and every tagged person wears the tag for the whole horizon (nobody else leaves reporting)."""
    tag, cost = 0.5, 10.0
    r = run(
        scenario().with_overrides(
            {
                "reporting": {"tagged_share": tag, "tagged_hazard_multiplier": 0.0},
                "costs": {"electronic_monitoring_day": cost},
            }
        ),
        log=False,
    )
    s = r.summary
    _binomial_ok(s["tagged_reportees"] / N, tag, N)
    _binomial_ok(s["absconded"] / N, (1 - tag) * lost_by(HORIZON), N)
    assert s["cost_electronic_monitoring_gbp"] == pytest.approx(s["tagged_reportees"] * HORIZON * cost)
