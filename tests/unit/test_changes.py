"""Policy timing: parameters that change from a given day (``changes:`` in a scenario file).

Micro-tests with fixed delays (``conftest.QUIET``) check that each kind of change takes effect
exactly on its day and not before: capacities (beds, caseworkers, agents), probabilities read
at a decision, and clocks that run at a rate (reporting events, data matching, absconding),
which are re-drawn at the change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import BARRIERS, CASE_TYPES, REPORT_CHANNELS, by, quiet, run, shares
from test_micro import CONTACT, ENTRY, TO_CASEWORK, TO_REPORTING, assert_log, merge, resource

from sim.cli import main
from sim.scenario.errors import ScenarioError
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario

REFER_ALL = {"enforcement": {"referral_on_refusal": by(CASE_TYPES, 1.0)}}


def changes(*steps: tuple[float, dict[str, Any]]) -> dict[str, Any]:
    return {"changes": [{"from_day": day, "set": values} for day, values in steps]}


# ----------------------------------------------------------------------------------------------
# Capacities
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "detained"),
    [(3.0, True), (3.25, True), (3.26, False)],  # the gatekeeper decides at 3.25
)
def test_beds_from_a_day(day: float, detained: bool) -> None:
    s = quiet(merge(REFER_ALL, {"detention": {"beds": 0}}, changes((day, {"detention": {"beds": 1}}))))
    r = run(s)
    if detained:
        assert_log(
            r,
            [
                ENTRY,
                CONTACT,
                (3.25, "in_contact", "detained", "arrested_refused_departure"),
                (10.25, "detained", "removed", "removed"),
            ],
        )
    else:
        assert_log(r, [ENTRY, CONTACT, (3.25, "in_contact", "reporting", "rejected_for_detention_no_bed")])
    beds = resource(r, "detention_beds")
    assert beds["capacity"] == pytest.approx((1000.0 - day) / 1000.0)  # mean beds over the horizon


def test_more_caseworkers_take_the_queue_at_once() -> None:
    # two further submissions (contacts at 0.25 and 0.5), one caseworker, 40-day decisions:
    # the second waits until 40.25; a second caseworker from day 10 takes it on day 10
    base = merge(barrier_fs(), {"cohort": {"initial_size": 2}})
    r = run(quiet(base))
    assert_log(
        r,
        [
            ENTRY,
            (0.5, *CONTACT[1:]),
            (0.5, *TO_CASEWORK[1:]),
            (80.25, "casework", "granted_leave", "further_submission_granted"),
        ],
        person=1,
    )
    r = run(quiet(merge(base, changes((10.0, {"casework": {"caseworkers": 2}})))))
    assert_log(
        r,
        [
            ENTRY,
            (0.5, *CONTACT[1:]),
            (0.5, *TO_CASEWORK[1:]),
            (50.0, "casework", "granted_leave", "further_submission_granted"),
        ],
        person=1,
    )


def barrier_fs() -> dict[str, Any]:
    return {
        "cohort": {"barrier": shares(BARRIERS, "further_submission")},
        "casework": {"further_submission_grant": 1.0},
    }


def test_fewer_agents_keep_the_calls_already_booked() -> None:
    # failing calls at 0, 10.25 and 20.5 (quarter-day calls, 10 days apart); the call centre
    # closes on day 0.1, during the first call: that call is made, no later one
    failing = {"contact": {"success": {"phone": {"good": 0.0}}}}
    r = run(quiet(merge(failing, changes((0.1, {"contact": {"agents": 0}})))))
    assert r.summary["contact_attempts"] == 1
    agents = resource(r, "call_centre_agents")
    assert agents["mean_busy"] * 1000.0 == pytest.approx(0.25)
    assert agents["capacity"] == pytest.approx(0.1 / 1000.0)
    r = run(quiet(merge(failing, changes((15.0, {"contact": {"agents": 0}})))))
    assert r.summary["contact_attempts"] == 2


@pytest.mark.parametrize(
    ("agents_from_day_3", "calls", "waits"),
    [
        # the second calls are due at 3 (A), 5 (B) and 7 (C, past the horizon: never made); a
        # second agent from day 3 is there for A's, on its day, and B's starts when due
        (2, [(0, 0.0, 1), (1, 2.0, 2), (2, 4.0, 3), (0, 3.0, 3), (1, 5.0, 3)], [0, 2, 4, 0, 0]),
        # one agent: A's second call waits for C's first to end at 6; B's would start at 8
        (1, [(0, 0.0, 1), (1, 2.0, 2), (2, 4.0, 3), (0, 6.0, 3)], [0, 2, 4, 3]),
    ],
)
def test_played_calls_follow_the_agents_queue(
    agents_from_day_3: int, calls: list[tuple[int, float, int]], waits: list[float]
) -> None:
    # the contact phase is played before the run (Contact.play): its calls must start when the
    # FCFS queue says. Three people enter at 0 (A, B, C); two-day calls that fail, one day apart;
    # one agent: first calls 0-2, 2-4, 4-6, each logged when booked, after its person's entry
    failing = {
        "horizon_days": 6.5,
        "cohort": {"initial_size": 3},
        "contact": {
            "success": {"phone": {"good": 0.0}},
            "call_minutes": {"dist": "fixed", "value": 2880.0},
            "attempt_interval_days": {"dist": "fixed", "value": 1.0},
            "max_attempts": 2,
        },
    }
    r = run(quiet(merge(failing, changes((3.0, {"contact": {"agents": agents_from_day_3}})))))
    log = r.activity_log
    assert log is not None
    assert list(zip(log.person, log.time, log["after"], strict=True)) == calls
    assert r.summary["contact_attempts"] == len(calls)
    agents = resource(r, "call_centre_agents")
    assert agents["arrivals"] == len(waits) + (agents_from_day_3 == 1)  # B's second call is booked
    assert agents["mean_wait_days"] == pytest.approx(sum(waits) / len(waits))


def test_staff_paid_for_the_capacity_in_force() -> None:
    s = quiet(
        merge(
            {"costs": {"staff_day": {"agent": 100.0, "caseworker": 0.0, "tracer": 0.0}}},
            changes((500.0, {"contact": {"agents": 3}})),
        )
    )
    r = run(s)
    assert r.summary["cost_staff_gbp"] == pytest.approx(500 * 1 * 100.0 + 500 * 3 * 100.0)


# ----------------------------------------------------------------------------------------------
# Decisions and clocks
# ----------------------------------------------------------------------------------------------

PROMOTE = {"reporting": {"promotion_agree": by(REPORT_CHANNELS, 1.0)}}


@pytest.mark.parametrize(
    ("day", "departs", "reports"),
    # reports at 16.25 + 14k (the notice arrives at 2.25); from the change every report agrees;
    # departure 20 days later
    [(100.0, 120.25, 7), (100.25, 120.25, 7), (100.26, 134.25, 8)],
)
def test_reporting_rates_apply_from_the_first_report_on_the_day(
    day: float, departs: float, reports: int
) -> None:
    r = run(quiet(changes((day, PROMOTE))))
    assert_log(
        r, [ENTRY, CONTACT, TO_REPORTING, (departs, "reporting", "departed_voluntary", "voluntary_departure")]
    )
    assert r.summary["reports"] == reports


def test_without_a_change_nothing_happens_at_reports() -> None:
    r = run(quiet())
    assert_log(r, [ENTRY, CONTACT, TO_REPORTING])
    assert r.summary["reports"] == (1000 - 16.25) // 14 + 1


def test_decisions_use_the_values_of_their_day() -> None:
    # agreement on contact (day 0.25) follows the values in force then
    agree = {"departure": {"agree_on_contact": by(CASE_TYPES, 1.0)}}
    late = run(quiet(changes((1.0, agree))))
    assert_log(late, [ENTRY, CONTACT, TO_REPORTING])
    early = run(quiet(changes((0.2, agree))))
    assert_log(early, [ENTRY, CONTACT, (20.25, "in_contact", "departed_voluntary", "voluntary_departure")])


def test_data_matching_clock_redrawn_at_the_change() -> None:
    # lost on day 44.25 (three missed reports: notice at 2.25, misses at 16.25, 30.25, 44.25);
    # no data matching until day 200, then a high rate: found soon after day 200
    lost = {"reporting": {"miss_probability": by(REPORT_CHANNELS, 1.0)}}
    r = run(quiet(merge(lost, changes((200.0, {"tracing": {"passive_rate_per_day": 50.0}})))))
    log = [e for e in r.event_log.itertuples() if e.person == 0]
    assert (log[3].to_state, log[3].time) == ("out_of_contact", pytest.approx(44.25))
    assert log[4].cause == "contact_reestablished_data_match"  # (then lost and found again)
    assert 200.0 <= log[4].time < 201.0
    stays = run(quiet(lost))
    assert stays.event_log.to_state.astype(str).iloc[-1] == "out_of_contact"
    assert len(stays.event_log) == 4


def test_absconding_hazard_redrawn_during_a_wait() -> None:
    # a 40-day decision from day 0.25; contact is lost only once a high hazard starts on day 20
    hazard = {"absconding": {"hazard_per_day": 50.0}}
    r = run(quiet(merge(barrier_fs(), changes((20.0, hazard)))))
    log = [e for e in r.event_log.itertuples() if e.person == 0]
    assert log[-1].cause == "absconded_awaiting_decision"
    assert 20.0 <= log[-1].time < 21.0


def test_a_scenario_without_changes_has_no_regimes() -> None:
    assert quiet().regimes() == []


# ----------------------------------------------------------------------------------------------
# Bad changes are input errors
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            "- {from_day: 600, set: {detention: {beds: 9}}}",
            "changes[0].from_day: 600 is not before the horizon",
        ),
        ("- {from_day: 10, set: {detention: {beds: -1}}}", "changes[0].set.detention.beds: got -1"),
        ("- {from_day: 10, set: {detention: {bedz: 1}}}", "did you mean 'beds'"),
        (
            "- {from_day: 10, set: {contact: {max_attempts: 9}}}",
            "changes[0].set.contact.max_attempts: cannot change from a day",
        ),
        ("- {from_day: 10, set: {cohort: {initial_size: 9}}}", "the cohort is drawn when the run starts"),
        ("- {from_day: 10, set: {costs: {arrest: 1}}}", "unit costs are one price list"),
        (
            "- {from_day: 20, set: {detention: {beds: 2}}}\n  - {from_day: 10, set: {detention: {beds: 3}}}",
            "in order of from_day",
        ),
        ("- {from_day: 0, set: {detention: {beds: 2}}}", "changes[0].from_day"),
    ],
)
def test_bad_changes_exit_2_with_the_path(
    tmp_path: Path, change: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
    path = tmp_path / "late.yaml"
    path.write_text(f"extends: {baseline}\nchanges:\n  {change}\n", encoding="utf-8")
    with pytest.raises(ScenarioError):
        load_scenario(path)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "late.yaml" in err and "Traceback" not in err


def test_the_year_2_policy_file() -> None:
    scenarios = Path(__file__).resolve().parents[2] / "scenarios"
    late = load_scenario(scenarios / "integrated_voluntary_returns_from_year_2.yaml")
    now = load_scenario(scenarios / "integrated_voluntary_returns.yaml")
    base = load_scenario(scenarios / "baseline.yaml")
    [(day, after)] = late.regimes()
    assert day == 365
    strip = {"name", "title", "description", "changes"}
    assert after.model_dump(exclude=strip) == now.model_dump(exclude=strip)
    assert late.model_dump(exclude=strip) == base.model_dump(exclude=strip)
    assert isinstance(late, Scenario)
