"""Micro-tests of the mechanisms of the fidelity issue, with fixed delays on the quiet scenario.

Each test drives one path by hand (see ``conftest.QUIET``: one overstayer, phone contact at 0.25
days, a postal reporting notice delivered in 2 days, in-person reports every 14 days, arrest visit
3 days, removal planning 7 days). Where a mechanism runs on a hazard, the expected time is computed
from the person's own keyed draw (``sim.model.streams``), so the test checks the exact time, not a
distribution: the hazard of absconding on reporting (constant and Weibull, scaled by propensity),
the declaration lag, each exit from detention, the route by which a notice is served, the refresh of
a found person's details, and the activity records of reports, notices and removal attempts.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest
from conftest import QUALITIES, by, fixed, quiet, run
from test_micro import CONTACT, ENTRY, REFER_ALL, TO_REPORTING, assert_log, merge, resource

from sim.model.processes.reporting import HAZARD_YEAR, IN_PERSON_NOTICE
from sim.model.results import ReplicationResult
from sim.model.streams import Streams

SEED = 12345  # conftest.run's seed
ARRESTED = (3.25, "in_contact", "detained", "arrested_refused_departure")
START = 2.25  # reporting starts when the postal notice arrives: contact 0.25 + delivery 2
FIRST_REPORT = 16.25


def draw(purpose: str, pid: int = 0, kind: str = "exponential", replication: int = 0) -> float:
    """Person ``pid``'s first draw for ``purpose`` in the given replication (as the model sees it)."""
    streams = Streams(SEED, replication, people=pid + 1)
    return float(getattr(streams, kind)(purpose)(pid))


def activities(r: ReplicationResult, name: str) -> pd.DataFrame:
    acts = r.activity_log
    assert acts is not None
    out = acts[acts.activity.astype(str) == name].sort_values("time", kind="stable")
    return out.reset_index(drop=True)


def hazard(h: float, shape: float = 1.0, propensity: float = 1.0, horizon: float = 2000.0) -> dict[str, Any]:
    return {
        "horizon_days": horizon,
        "reporting": {
            "abscond_hazard_per_day": h,
            "abscond_hazard_shape": shape,
            "abscond_propensity": fixed(propensity),
        },
    }


def expected_absconding(h: float, shape: float, propensity: float) -> float:
    """Days on reporting at which the cumulative Weibull hazard reaches the person's draw."""
    e = draw("reporting.abscond")
    rate = h * propensity
    if shape == 1.0:
        return e / rate
    return HAZARD_YEAR * (e / (rate * HAZARD_YEAR)) ** (1.0 / shape)


# ----------------------------------------------------------------------------------------------
# Absconding on reporting
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("h", "shape", "propensity"), [(0.01, 1.0, 1.0), (0.01, 1.0, 3.0), (0.004, 2.0, 1.0), (0.02, 0.5, 1.0)]
)
def test_reportee_absconds_at_the_hazard_time_then_misses_until_lost(
    h: float, shape: float, propensity: float
) -> None:
    r = run(quiet(hazard(h, shape, propensity)))
    at = START + expected_absconding(h, shape, propensity)
    quiet_reports = max(0, math.ceil((at - FIRST_REPORT) / 14.0))
    first_miss = FIRST_REPORT + 14.0 * quiet_reports
    lost = first_miss + 14.0 * 2  # misses_to_out_of_contact = 3
    assert lost < 2000.0, "choose a hazard that absconds before the horizon"
    assert_log(r, [ENTRY, CONTACT, TO_REPORTING, (lost, "reporting", "out_of_contact", "stopped_reporting")])
    reports = activities(r, "report")
    expected = [(FIRST_REPORT + 14.0 * i, "attended") for i in range(quiet_reports)]
    expected += [(first_miss + 14.0 * i, "missed") for i in range(3)]
    assert list(reports.outcome.astype(str)) == [o for _, o in expected]
    assert list(reports.time) == pytest.approx([t for t, _ in expected])
    s = r.summary
    assert s["reports"] == quiet_reports and s["missed_reports"] == 3
    assert s["absconded_from_reporting"] == 1 and s["absconded"] == 1
    assert s["cost_missed_reports_gbp"] == pytest.approx(30.0)


def test_no_hazard_reports_for_ever_and_each_report_is_recorded() -> None:
    r = run(quiet({"horizon_days": 100.0}))
    assert_log(r, [ENTRY, CONTACT, TO_REPORTING])
    reports = activities(r, "report")
    assert list(reports.time) == pytest.approx([16.25, 30.25, 44.25, 58.25, 72.25, 86.25])
    assert set(reports.outcome.astype(str)) == {"attended"} and set(reports.resource.astype(str)) == {
        "in_person"
    }
    assert r.summary["reports"] == 6 and r.summary["missed_reports"] == 0


def test_adverse_notice_multiplies_the_reporting_hazard() -> None:
    # the same draw at three times the hazard absconds at a third of the time (shape 1)
    base = expected_absconding(0.01, 1.0, 1.0)
    assert expected_absconding(0.01, 1.0, 3.0) == pytest.approx(base / 3.0)


def test_hazard_change_day_runs_the_clock_down_exactly() -> None:
    # a hazard of 0 until day 100, then h: the whole clock is left at day 100
    h = 0.01
    s = quiet(
        merge(
            hazard(0.0),
            {"changes": [{"from_day": 100.0, "set": {"reporting": {"abscond_hazard_per_day": h}}}]},
        )
    )
    r = run(s)
    at = 100.0 + draw("reporting.abscond") / h
    first_miss = FIRST_REPORT + 14.0 * max(0, math.ceil((at - FIRST_REPORT) / 14.0))
    assert_log(
        r,
        [
            ENTRY,
            CONTACT,
            TO_REPORTING,
            (first_miss + 28.0, "reporting", "out_of_contact", "stopped_reporting"),
        ],
    )


# ----------------------------------------------------------------------------------------------
# Notices: route and acting on them
# ----------------------------------------------------------------------------------------------


def test_postal_notice_never_received_misses_reports_without_booking_the_centre() -> None:
    r = run(quiet({"correspondence": {"not_received": by(QUALITIES, 1.0)}}))
    lost = (44.25, "reporting", "out_of_contact", "reporting_notice_not_received")
    assert_log(r, [ENTRY, CONTACT, TO_REPORTING, lost])
    reports = activities(r, "report")
    assert list(reports.time) == pytest.approx([16.25, 30.25, 44.25])
    assert set(reports.outcome.astype(str)) == {"missed"}
    notices = activities(r, "notice_served")
    assert notices.resource.astype(str).tolist() == ["post"] and notices.outcome.astype(str).tolist() == [
        "not_received"
    ]
    assert notices.time.tolist() == pytest.approx([2.25])
    assert resource(r, "reporting_centre_interviews")["utilisation"] == 0.0


def test_notice_not_understood_is_recorded_as_such() -> None:
    r = run(quiet({"correspondence": {"clarity": 0.0}}))
    assert_log(r, [ENTRY, CONTACT, TO_REPORTING, (44.25, "reporting", "out_of_contact", "never_reported")])
    assert activities(r, "notice_served").outcome.astype(str).tolist() == ["not_understood"]


def test_release_from_detention_hands_the_notice_over_in_person() -> None:
    # released for no realistic prospect at 3.25 + 5; the notice is handed over at once (no post,
    # even though no postal notice would ever arrive), so the first report is 14 days later
    s = quiet(
        merge(
            REFER_ALL,
            {
                "horizon_days": 30.0,
                "detention": {"no_prospect_days": fixed(5.0)},
                "correspondence": {"not_received": by(QUALITIES, 1.0)},
            },
        )
    )
    r = run(s)
    assert_log(r, [ENTRY, CONTACT, ARRESTED, (8.25, "detained", "reporting", "released_no_prospect")])
    notices = activities(r, "notice_served")
    assert notices.resource.astype(str).tolist() == ["in_person"]
    assert notices.time.tolist() == pytest.approx([8.25])
    assert activities(r, "report").time.tolist() == pytest.approx([22.25])
    assert r.summary["notices_in_person"] == 1 and r.summary["notices"] == 1


def test_every_in_person_cause_is_a_cause_the_model_records() -> None:
    import pathlib

    source = "\n".join(p.read_text() for p in pathlib.Path("sim/model/processes").glob("*.py"))
    for cause in IN_PERSON_NOTICE:
        stem = cause.removeprefix("contact_reestablished_")
        assert f'"{cause}"' in source or f'"{stem}"' in source, cause


# ----------------------------------------------------------------------------------------------
# Declared absconders
# ----------------------------------------------------------------------------------------------

LOSE_AT_16 = {"reporting": {"miss_probability": {"in_person": 1.0}, "misses_to_out_of_contact": 1}}
LOST = (16.25, "reporting", "out_of_contact", "missed_reports")


def test_declared_an_absconder_after_the_lag() -> None:
    r = run(quiet(merge(LOSE_AT_16, {"horizon_days": 100.0})))
    assert_log(r, [ENTRY, CONTACT, TO_REPORTING, LOST])
    declared = activities(r, "declared_absconder")
    assert declared.time.tolist() == pytest.approx([46.25])
    s = r.summary
    assert s["declarations"] == 1 and s["declared_absconders_end"] == 1 and s["out_of_contact_end"] == 1
    assert s["declaration_lag_mean_days"] == pytest.approx(30.0)


def test_declaration_lag_past_the_horizon_means_out_of_contact_but_not_declared() -> None:
    r = run(quiet(merge(LOSE_AT_16, {"horizon_days": 40.0})))
    s = r.summary
    assert s["out_of_contact_end"] == 1 and s["declared_absconders_end"] == 0 and s["declarations"] == 0


def test_found_before_the_lag_is_never_declared() -> None:
    # lost at 16.25, traced 6 days later, notice in person, lost again at the next report 14 days on,
    # traced 6 days later...: every loss ends before the 30-day lag, so no one is ever declared
    tracing = {"tracing": {"referral_probability_normal": 1.0, "success_probability": 1.0, "max_actions": 1}}
    r = run(quiet(merge(LOSE_AT_16, tracing, {"horizon_days": 100.0})))
    assert r.event_log is not None
    losses = r.event_log[r.event_log.to_state.astype(str) == "out_of_contact"]
    assert losses.time.tolist() == pytest.approx([16.25, 36.25, 56.25, 76.25, 96.25])
    assert activities(r, "declared_absconder").empty
    assert r.summary["declarations"] == 0 and r.summary["declared_absconders_end"] == 0


# ----------------------------------------------------------------------------------------------
# Detention exits
# ----------------------------------------------------------------------------------------------


def detained(**d: Any) -> dict[str, Any]:
    return merge(REFER_ALL, {"horizon_days": 400.0, "detention": d})


@pytest.mark.parametrize(
    ("field", "purpose", "cause"),
    [
        ("bail_hazard_per_day", "detention.bail", "released_bail"),
        ("vulnerability_hazard_per_day", "detention.vulnerability", "released_vulnerable"),
    ],
)
def test_release_hazard_releases_at_the_drawn_time(field: str, purpose: str, cause: str) -> None:
    rate = 0.05
    r = run(quiet(detained(**{field: rate, "removal_planning_days": fixed(1000.0)})))
    release = 3.25 + draw(purpose) / rate
    assert_log(r, [ENTRY, CONTACT, ARRESTED, (release, "detained", "reporting", cause)])
    s = r.summary
    assert s["detention_leavers"] == 1 and s["detention_removed"] == 0
    assert s["detention_days"] == pytest.approx(release - 3.25)


def test_the_earlier_release_clock_wins() -> None:
    r = run(
        quiet(
            detained(
                bail_hazard_per_day=0.05,
                vulnerability_hazard_per_day=0.05,
                removal_planning_days=fixed(1000.0),
            )
        )
    )
    bail = draw("detention.bail") / 0.05
    vulnerable = draw("detention.vulnerability") / 0.05
    cause = "released_bail" if bail < vulnerable else "released_vulnerable"
    assert_log(r, [ENTRY, CONTACT, ARRESTED, (3.25 + min(bail, vulnerable), "detained", "reporting", cause)])


def test_removal_before_any_release() -> None:
    r = run(quiet(detained(no_prospect_days=fixed(7.5))))
    assert_log(r, [ENTRY, CONTACT, ARRESTED, (10.25, "detained", "removed", "removed")])
    assert activities(r, "removal_attempt").outcome.astype(str).tolist() == ["removed"]
    s = r.summary
    assert s["detention_leavers"] == 1 and s["detention_removed"] == 1
    assert s["detention_stays_under_29d"] == 1 and s["detention_stays_under_122d"] == 1


def test_no_prospect_release_between_removal_attempts() -> None:
    # attempts at 10.25 (cancelled) and 17.25; no prospect at 3.25 + 12 = 15.25
    r = run(quiet(detained(cancellation_probability=1.0, no_prospect_days=fixed(12.0))))
    assert_log(r, [ENTRY, CONTACT, ARRESTED, (15.25, "detained", "reporting", "released_no_prospect")])
    attempts = activities(r, "removal_attempt")
    assert attempts.outcome.astype(str).tolist() == ["cancelled"]
    assert attempts.time.tolist() == pytest.approx([10.25])


def test_long_stays_are_counted_by_length() -> None:
    r = run(quiet(detained(cancellation_probability=1.0, removal_planning_days=fixed(20.0))))
    # two cancelled attempts of 20 days: released at 43.25 after 40 days
    assert_log(r, [ENTRY, CONTACT, ARRESTED, (43.25, "detained", "reporting", "released_removal_failed")])
    s = r.summary
    assert s["detention_stays_under_29d"] == 0 and s["detention_stays_under_122d"] == 1


# ----------------------------------------------------------------------------------------------
# Details refreshed when found
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("refresh", "lost_again"), [(0.0, True), (1.0, False)])
def test_found_by_data_matching_with_refreshed_details_gets_the_next_notice(
    refresh: float, lost_again: bool
) -> None:
    # partial details: every postal notice to them goes astray; good details: none do
    s = quiet(
        {
            "horizon_days": 3000.0,
            "cohort": {"details": {"none": 0.0, "partial": 1.0, "good": 0.0}},
            "contact": {"success": {"phone": {"partial": 1.0}}},
            "correspondence": {"not_received": {"none": 1.0, "partial": 1.0, "good": 0.0}},
            "tracing": {"passive_rate_per_day": 0.05, "details_refreshed_probability": refresh},
        }
    )
    r = run(s)
    assert r.event_log is not None
    causes = r.event_log.cause.astype(str).tolist()[:6]
    assert causes[:5] == [
        "entry",
        "contact_phone",
        "reporting_conditions",
        "reporting_notice_not_received",
        "contact_reestablished_data_match",
    ]
    again = len(causes) > 5 and causes[5] == "reporting_notice_not_received"
    assert again == lost_again


def test_a_tiny_hazard_with_a_small_shape_never_absconds_and_does_not_overflow() -> None:
    # the Weibull inverse raises the cumulative hazard to 1/shape: with a hazard of 1e-300 that
    # overflows a float; the time is then beyond any horizon (found by the hypothesis invariants)
    r = run(quiet(hazard(1e-300, shape=0.3, horizon=100.0)))
    assert_log(r, [ENTRY, CONTACT, TO_REPORTING])
    assert r.summary["absconded_from_reporting"] == 0
