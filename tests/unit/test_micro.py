"""Exact micro-tests of each process: fixed delays, probabilities 0/1, one to three people.

Every scenario starts from ``conftest.QUIET`` (one overstayer, good details, phone contact that
always succeeds, nothing else switched on) and every expected time below is worked out by hand from
the delays set there:

    call 0.25 d (360 min), attempt interval 10, enrichment delay 30, notice delivery 2,
    departure delay 20, family offer interval 30, reporting interval 14 (in person) / 7,
    tracing interval 5 + action 1, further submission 40, travel document 50, legal 60,
    arrest visit 3, removal planning 7, max 2 removal attempts, horizon 1000.

So the standard opening is: entry at 0, first call 0 -> 0.25, contact at 0.25; a person put on
reporting is served a notice that arrives at 2.25, first report due at 2.25 + 14 = 16.25.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import BARRIERS, CASE_TYPES, QUALITIES, by, fixed, quiet, run, shares, time_limit
from pydantic import ValidationError

from sim.model.results import ReplicationResult
from sim.scenario.schema import Scenario

ENTRY = (0.0, "entry", "pool", "entry")
CONTACT = (0.25, "pool", "in_contact", "contact_phone")
TO_REPORTING = (0.25, "in_contact", "reporting", "reporting_conditions")


def log_of(result: ReplicationResult, person: int = 0) -> list[tuple[float, str, str, str]]:
    log = result.event_log
    assert log is not None
    rows = log[log.person == person]
    return [
        (float(t), str(f), str(to), str(c))
        for t, f, to, c in zip(rows.time, rows.from_state, rows.to_state, rows.cause, strict=True)
    ]


def assert_log(
    result: ReplicationResult, expected: list[tuple[float, str, str, str]], person: int = 0
) -> None:
    got = log_of(result, person)
    assert [r[1:] for r in got] == [e[1:] for e in expected], got
    assert [r[0] for r in got] == pytest.approx([e[0] for e in expected], abs=1e-9), got


def resource(result: ReplicationResult, name: str) -> dict[str, Any]:
    rows = result.resources[result.resources.resource == name]
    assert len(rows) == 1
    return rows.iloc[0].to_dict()


def end_state(result: ReplicationResult, state: str) -> int:
    es = result.end_states
    return int(es.loc[es.state == state, "count"].iloc[0])


REFER_ALL = {"enforcement": {"referral_on_refusal": by(CASE_TYPES, 1.0)}}


def merge(*parts: dict[str, Any]) -> dict[str, Any]:
    from sim.scenario.loading import deep_merge

    out: dict[str, Any] = {}
    for part in parts:
        out = deep_merge(out, part)
    return out


# ----------------------------------------------------------------------------------------------
# Contact management
# ----------------------------------------------------------------------------------------------


def test_good_details_phone_success_contacted_after_one_call() -> None:
    r = run(quiet())
    assert_log(r, [ENTRY, CONTACT, TO_REPORTING])
    s = r.summary
    assert s["contacted"] == 1
    assert s["contact_attempts"] == 1
    agents = resource(r, "call_centre_agents")
    assert agents["arrivals"] == 1 and agents["served"] == 1
    assert agents["mean_busy"] * 1000.0 == pytest.approx(0.25)
    assert agents["mean_wait_days"] == 0.0


@pytest.mark.parametrize(
    ("horizon", "attempts"),
    # calls run 0-0.25, 10.25-10.5 and 20.5-20.75 (interval 10 after each failed call)
    [(5.0, 1), (15.0, 2), (25.0, 3), (1000.0, 3)],
)
def test_failed_attempts_spaced_by_interval_then_dormant(horizon: float, attempts: int) -> None:
    r = run(quiet({"horizon_days": horizon, "contact": {"success": {"phone": {"good": 0.0}}}}))
    assert_log(r, [ENTRY])  # never contacted; no enrichment (check probability 0): dormant
    assert r.summary["contact_attempts"] == attempts
    agents = resource(r, "call_centre_agents")
    assert agents["arrivals"] == attempts
    assert agents["mean_busy"] * horizon == pytest.approx(0.25 * attempts)
    assert end_state(r, "pool") == 1
    occ = r.occupancy.set_index("state")
    assert occ.loc["pool", "person_days"] == pytest.approx(horizon)


def test_no_usable_details_never_called() -> None:
    r = run(quiet({"cohort": {"details": shares(QUALITIES, "none")}}))
    assert_log(r, [ENTRY])
    assert r.summary["contact_attempts"] == 0
    assert resource(r, "call_centre_agents")["arrivals"] == 0


ENRICH_REFRESH = {
    "cohort": {"details": shares(QUALITIES, "partial")},
    "contact": {
        "success": {"phone": {"partial": 0.0, "good": 1.0}, "text": {"partial": 0.0, "good": 1.0}},
        "enrichment": {"check_probability": 1.0, "refresh_probability": 1.0, "max_rounds": 1},
    },
}


def test_enrichment_refresh_recycles_phone() -> None:
    # round 0: calls end 0.25, 10.5, 20.75 (all fail on partial details); check at 20.75 + 30;
    # details refreshed to good; round 1: interval 10, call 0.25 -> contact at 61.0
    r = run(quiet(ENRICH_REFRESH))
    assert_log(r, [ENTRY, (61.0, "pool", "in_contact", "contact_phone"), (61.0, *TO_REPORTING[1:])])
    assert r.summary["contact_attempts"] == 4
    assert r.summary["cost_enrichment_gbp"] == pytest.approx(5.0)


def test_enrichment_refresh_recycles_text() -> None:
    # written attempts take no time: 0, 10, 20 fail; check at 50; refreshed; contact at 60
    r = run(
        quiet(
            merge(
                ENRICH_REFRESH,
                {"contact": {"channel_mix": shares(("phone", "text", "letter", "email"), "text")}},
            )
        )
    )
    assert_log(r, [ENTRY, (60.0, "pool", "in_contact", "contact_text"), (60.0, *TO_REPORTING[1:])])
    assert r.summary["contact_attempts"] == 4
    assert r.summary["cost_contact_gbp"] == pytest.approx(4 * 0.5)
    assert resource(r, "call_centre_agents")["arrivals"] == 0


def test_written_channel_scaled_by_clarity() -> None:
    texts = {
        "contact": {
            "channel_mix": shares(("phone", "text", "letter", "email"), "text"),
            "success": {"text": {"good": 1.0}},
        }
    }
    r = run(quiet(merge(texts, {"contact": {"written_clarity": 0.0}})))
    assert_log(r, [ENTRY])  # success 1 x clarity 0 = never
    assert r.summary["contact_attempts"] == 3
    r = run(quiet(texts))
    assert_log(r, [ENTRY, (0.0, "pool", "in_contact", "contact_text"), (0.0, *TO_REPORTING[1:])])


def test_enrichment_without_refresh_goes_dormant() -> None:
    r = run(quiet(merge(ENRICH_REFRESH, {"contact": {"enrichment": {"refresh_probability": 0.0}}})))
    assert_log(r, [ENTRY])
    assert r.summary["contact_attempts"] == 3
    assert r.summary["cost_enrichment_gbp"] == pytest.approx(5.0)


def test_enrichment_finds_departure_evidence() -> None:
    # no details: no calls at all; the check comes after its 30-day delay
    r = run(
        quiet(
            {
                "cohort": {"details": shares(QUALITIES, "none"), "already_departed_share": 1.0},
                "contact": {
                    "enrichment": {
                        "check_probability": 1.0,
                        "departure_evidence_probability": 1.0,
                        "max_rounds": 1,
                    }
                },
            }
        )
    )
    assert_log(r, [ENTRY, (30.0, "pool", "closed_already_departed", "data_match_departure_evidence")])
    assert r.summary["departed_contacted"] == 0
    assert r.summary["closed_already_departed"] == 1


def test_already_departed_closed_on_contact() -> None:
    r = run(quiet({"cohort": {"already_departed_share": 1.0}}))
    assert_log(
        r,
        [ENTRY, CONTACT, (0.25, "in_contact", "closed_already_departed", "evidence_of_departure_on_contact")],
    )
    assert r.summary["departed_contacted"] == 1
    assert r.summary["recorded_removals"] == 0 and r.summary["recorded_departures"] == 1


def test_departed_reach_factor_zero_blocks_contact() -> None:
    r = run(quiet({"cohort": {"already_departed_share": 1.0}, "contact": {"departed_reach_factor": 0.0}}))
    assert_log(r, [ENTRY])
    assert r.summary["contact_attempts"] == 3


@pytest.mark.parametrize("complaint", [0.0, 1.0])
def test_in_error_contact_closed_and_complaint_counted(complaint: float) -> None:
    r = run(
        quiet(
            {
                "cohort": {"in_pool_in_error_share": 1.0, "already_departed_share": 1.0},
                "contact": {"complaint_probability": complaint},
            }
        )
    )
    # in error is triaged before already departed
    assert_log(r, [ENTRY, CONTACT, (0.25, "in_contact", "closed_other", "contacted_in_error")])
    assert r.summary["complaints"] == int(complaint)
    assert r.summary["closed_other"] == 1


def test_agents_queue_fcfs() -> None:
    # three people at t=0, one agent: calls 0-0.25, 0.25-0.5, 0.5-0.75
    r = run(quiet({"cohort": {"initial_size": 3}}))
    for pid, t in enumerate((0.25, 0.5, 0.75)):
        assert_log(r, [ENTRY, (t, *CONTACT[1:]), (t, *TO_REPORTING[1:])], person=pid)
    agents = resource(r, "call_centre_agents")
    assert agents["mean_wait_days"] == pytest.approx((0 + 0.25 + 0.5) / 3)
    assert agents["mean_queue"] * 1000.0 == pytest.approx(0.25 + 0.5)  # queue-person-days
    assert agents["max_queue"] == 2


def test_calls_queued_past_horizon_not_counted() -> None:
    # regression: attempts were counted when booked, including calls queued past the horizon
    # 30 people at t=0, one agent, one-day calls that all fail: by the horizon of 10.5 the calls
    # started at 0, 1, ..., 10 (11) have been made; the other 19 are still queued
    r = run(
        quiet(
            {
                "horizon_days": 10.5,
                "cohort": {"initial_size": 30},
                "contact": {"call_minutes": fixed(1440.0), "success": {"phone": {"good": 0.0}}},
            }
        )
    )
    assert r.summary["contact_attempts"] in (10, 11)
    assert r.summary["cost_contact_gbp"] <= 11 * 6.0


def test_no_agents_no_calls_counted() -> None:
    # regression: a call booked with no agents (it never happens) was counted and costed
    r = run(quiet({"contact": {"agents": 0}}))
    assert_log(r, [ENTRY])
    assert r.summary["contact_attempts"] == 0
    assert r.summary["cost_contact_gbp"] == 0.0


def test_no_tracers_no_tracing_actions_counted() -> None:
    # regression: an action booked with no tracers (it never happens) was counted and costed
    r = run(quiet(tracing(success_probability=0.0)).with_overrides({"tracing": {"team_size": 0}}))
    assert r.summary["tracing_actions"] == 0
    assert r.summary["cost_tracing_gbp"] == 0.0


def test_closed_call_centre_queue_statistics() -> None:
    # regression: a zero-capacity BookedPool reported max_queue 0 with people waiting
    r = run(quiet({"cohort": {"initial_size": 3}, "contact": {"agents": 0}}))
    agents = resource(r, "call_centre_agents")
    assert agents["waiting_at_end"] == 3 and agents["served"] == 0
    assert agents["max_queue"] == 3


# ----------------------------------------------------------------------------------------------
# Departure
# ----------------------------------------------------------------------------------------------

AGREE = {"departure": {"agree_on_contact": by(CASE_TYPES, 1.0)}}


def test_agreement_departs_at_exact_delay() -> None:
    r = run(quiet(AGREE))
    assert_log(r, [ENTRY, CONTACT, (20.25, "in_contact", "departed_voluntary", "voluntary_departure")])
    assert r.summary["departed_voluntary"] == 1 and r.summary["departed_assisted"] == 0
    assert r.summary["departed_contacted"] == 1


def test_assisted_return_counted_and_costed() -> None:
    r = run(quiet(merge(AGREE, {"departure": {"assisted_share": 1.0}})))
    assert_log(r, [ENTRY, CONTACT, (20.25, "in_contact", "departed_voluntary", "assisted_return")])
    assert r.summary["departed_assisted"] == 1
    assert r.summary["cost_assisted_returns_gbp"] == pytest.approx(1100.0)


def test_no_follow_through_goes_to_reporting() -> None:
    r = run(quiet(merge(AGREE, {"departure": {"follow_through_probability": 0.0}})))
    assert_log(r, [ENTRY, CONTACT, (20.25, "in_contact", "reporting", "did_not_depart")])


@pytest.mark.parametrize(("error", "removals", "departures"), [(0.0, 0, 1), (1.0, 1, 0)])
def test_recording_error_counts_departure_as_removal(error: float, removals: int, departures: int) -> None:
    r = run(quiet(merge(AGREE, {"recording": {"departure_recorded_as_removal": error}})))
    s = r.summary
    assert s["removed_enforced"] == 0
    assert s["recorded_removals"] == removals and s["recorded_departures"] == departures


def test_abscond_before_departure_with_huge_hazard() -> None:
    r = run(quiet(merge(AGREE, {"absconding": {"hazard_per_day": 1e9}})))
    got = log_of(r)
    assert [g[1:] for g in got] == [
        ENTRY[1:],
        CONTACT[1:],
        ("in_contact", "out_of_contact", "absconded_before_departure"),
    ]
    assert got[2][0] == pytest.approx(0.25, abs=1e-6)
    assert r.summary["absconded"] == 1


FAMILY = {
    "cohort": {"case_type": shares(CASE_TYPES, "family")},
    "departure": {"family_offers_before_enforcement": 2},
}


def test_family_refuses_repeated_offers_then_reporting() -> None:
    # offers at 0.25, 30.25, 60.25 (family offer interval 30); no ensured return
    r = run(quiet(FAMILY))
    assert_log(r, [ENTRY, CONTACT, (60.25, "in_contact", "reporting", "reporting_conditions")])


def test_family_ensured_return_after_offers() -> None:
    # arrest team visit 60.25 -> 63.25, detained, removal planned 7 days
    r = run(quiet(merge(FAMILY, {"enforcement": {"ensured_return_probability": 1.0}})))
    assert_log(
        r,
        [
            ENTRY,
            CONTACT,
            (63.25, "in_contact", "detained", "arrested_refused_departure"),
            (70.25, "detained", "removed", "removed"),
        ],
    )


def test_family_engagement_multiplier_raises_agreement() -> None:
    half = {"departure": {"agree_on_contact": {"family": 0.5}, "family_engagement_multiplier": 2.0}}
    r = run(quiet(merge(FAMILY, half)))
    assert_log(r, [ENTRY, CONTACT, (20.25, "in_contact", "departed_voluntary", "voluntary_departure")])


# ----------------------------------------------------------------------------------------------
# Casework
# ----------------------------------------------------------------------------------------------

TO_CASEWORK = (0.25, "in_contact", "casework", "barrier_referral")


def barrier(kind: str, **casework: Any) -> dict[str, Any]:
    return {"cohort": {"barrier": shares(BARRIERS, kind)}, "casework": casework}


def test_further_submission_granted_at_decision_time() -> None:
    r = run(quiet(barrier("further_submission", further_submission_grant=1.0)))
    assert_log(
        r, [ENTRY, CONTACT, TO_CASEWORK, (40.25, "casework", "granted_leave", "further_submission_granted")]
    )


def test_further_submission_refused_notice_then_recycled() -> None:
    # decision at 40.25, refusal notice delivered at 42.25, back to contact, refuses, reporting
    r = run(quiet(barrier("further_submission")))
    assert_log(
        r,
        [
            ENTRY,
            CONTACT,
            TO_CASEWORK,
            (42.25, "casework", "in_contact", "barrier_cleared_recycled"),
            (42.25, "in_contact", "reporting", "reporting_conditions"),
        ],
    )
    assert r.summary["granted_leave"] == 0


def test_legal_challenge_granted() -> None:
    r = run(quiet(barrier("legal", legal_grant=1.0)))
    assert_log(
        r, [ENTRY, CONTACT, TO_CASEWORK, (60.25, "casework", "granted_leave", "legal_challenge_granted")]
    )


def test_travel_document_not_obtained() -> None:
    r = run(quiet(barrier("no_travel_document", travel_document_success=0.0)))
    assert_log(
        r, [ENTRY, CONTACT, TO_CASEWORK, (50.25, "casework", "reporting", "travel_document_not_obtained")]
    )


def test_travel_document_obtained_then_enforcement_and_removal() -> None:
    # document at 50.25 (no notice for documents), visit 50.25 -> 53.25, planning 7 -> 60.25
    r = run(quiet(barrier("no_travel_document", enforcement_after_resolution=1.0)))
    assert_log(
        r,
        [
            ENTRY,
            CONTACT,
            TO_CASEWORK,
            (53.25, "casework", "detained", "arrested_barrier_cleared"),
            (60.25, "detained", "removed", "removed"),
        ],
    )


def test_caseworker_queue() -> None:
    # two people, one agent: contacts at 0.25 and 0.5; one caseworker: decisions 40.25 and 80.25
    r = run(
        quiet(
            merge(
                barrier("further_submission", further_submission_grant=1.0), {"cohort": {"initial_size": 2}}
            )
        )
    )
    assert_log(
        r,
        [ENTRY, CONTACT, TO_CASEWORK, (40.25, "casework", "granted_leave", "further_submission_granted")],
        person=0,
    )
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
    cw = resource(r, "caseworkers")
    assert cw["mean_wait_days"] == pytest.approx((0.0 + 39.75) / 2)
    assert cw["mean_busy"] * 1000.0 == pytest.approx(80.0)


# ----------------------------------------------------------------------------------------------
# Enforcement and detention
# ----------------------------------------------------------------------------------------------

ARRESTED = (3.25, "in_contact", "detained", "arrested_refused_departure")


def test_removal_after_planning_delay() -> None:
    r = run(quiet(REFER_ALL))
    assert_log(r, [ENTRY, CONTACT, ARRESTED, (10.25, "detained", "removed", "removed")])
    s = r.summary
    assert s["arrests"] == 1 and s["removed_enforced"] == 1 and s["recorded_removals"] == 1
    assert s["detention_days"] == pytest.approx(7.0)


def test_gatekeeper_rejects_when_no_beds() -> None:
    r = run(quiet(merge(REFER_ALL, {"detention": {"beds": 0}})))
    assert_log(r, [ENTRY, CONTACT, (3.25, "in_contact", "reporting", "rejected_for_detention_no_bed")])
    s = r.summary
    assert s["detention_rejections_no_bed"] == 1 and s["detention_rejections"] == 1
    assert s["arrests"] == 1 and s["detention_days"] == 0.0
    beds = resource(r, "detention_beds")
    assert beds["blocked"] == 1 and beds["arrivals"] == 1 and beds["served"] == 0


def test_gatekeeper_rejects_hidden_barrier() -> None:
    r = run(
        quiet(
            merge(
                REFER_ALL,
                {
                    "enforcement": {"hidden_barrier_probability": 1.0},
                    "casework": {"further_submission_grant": 1.0},
                },
            )
        )
    )
    assert_log(
        r,
        [
            ENTRY,
            CONTACT,
            (3.25, "in_contact", "casework", "rejected_for_detention_barrier"),
            (43.25, "casework", "granted_leave", "further_submission_granted"),
        ],
    )
    s = r.summary
    assert s["detention_rejections_barrier"] == 1 and s["detention_rejections_no_bed"] == 0


def test_gatekeeper_barrier_after_casework_referral() -> None:
    # regression: a barrier emerging at the gatekeeper for a referral from casework raised
    # InvariantError (casework returned without a state change)
    # document at 50.25, visit to 53.25, hidden barrier at the gatekeeper -> the new further
    # submission is worked (40 days) and granted at 93.25
    r = run(
        quiet(
            merge(
                barrier("no_travel_document", enforcement_after_resolution=1.0),
                {
                    "enforcement": {"hidden_barrier_probability": 1.0},
                    "casework": {"further_submission_grant": 1.0},
                },
            )
        )
    )
    assert r.summary["detention_rejections_barrier"] == 1
    got = log_of(r)
    assert got[-1][1:] == ("casework", "granted_leave", "further_submission_granted")
    assert got[-1][0] == pytest.approx(93.25)


def test_not_found_at_arrest() -> None:
    r = run(quiet(merge(REFER_ALL, {"enforcement": {"arrest_success": 0.0}})))
    assert_log(r, [ENTRY, CONTACT, (3.25, "in_contact", "out_of_contact", "not_found_at_arrest")])
    assert r.summary["arrests"] == 1 and r.summary["absconded"] == 1


def test_pre_arrest_check_defers_when_no_bed() -> None:
    r = run(quiet(merge(REFER_ALL, {"enforcement": {"pre_arrest_check": 1.0}, "detention": {"beds": 0}})))
    assert_log(r, [ENTRY, CONTACT, (0.25, "in_contact", "reporting", "tasking_deferred_no_bed")])
    assert r.summary["arrests"] == 0 and r.summary["detention_rejections"] == 0


def test_cancellations_release_after_max_attempts() -> None:
    r = run(quiet(merge(REFER_ALL, {"detention": {"cancellation_probability": 1.0}})))
    assert_log(r, [ENTRY, CONTACT, ARRESTED, (17.25, "detained", "reporting", "released_removal_failed")])
    assert r.summary["detention_days"] == pytest.approx(14.0)
    assert r.summary["cost_detention_gbp"] == pytest.approx(14.0 * 97.0)


def test_cancellation_with_new_barrier_releases_to_casework() -> None:
    r = run(
        quiet(
            merge(
                REFER_ALL,
                {
                    "detention": {"cancellation_probability": 1.0, "barrier_on_cancellation": 1.0},
                    "casework": {"legal_grant": 1.0},
                },
            )
        )
    )
    assert_log(
        r,
        [
            ENTRY,
            CONTACT,
            ARRESTED,
            (10.25, "detained", "casework", "released_barrier_emerged"),
            (70.25, "casework", "granted_leave", "legal_challenge_granted"),
        ],
    )


def test_bed_freed_on_removal_is_reused() -> None:
    # two people, one agent, one team, one bed, planning 2: p0 detained 3.25, removed 5.25;
    # p1 contacted 0.5, waits for the team until 3.25, visit to 6.25, takes the freed bed
    r = run(
        quiet(
            merge(
                REFER_ALL, {"cohort": {"initial_size": 2}, "detention": {"removal_planning_days": fixed(2.0)}}
            )
        )
    )
    assert_log(r, [ENTRY, CONTACT, ARRESTED, (5.25, "detained", "removed", "removed")], person=0)
    assert_log(
        r,
        [
            ENTRY,
            (0.5, *CONTACT[1:]),
            (6.25, "in_contact", "detained", "arrested_refused_departure"),
            (8.25, "detained", "removed", "removed"),
        ],
        person=1,
    )
    teams = resource(r, "arrest_teams")
    assert teams["mean_wait_days"] == pytest.approx((0.0 + 2.75) / 2)
    assert resource(r, "detention_beds")["blocked"] == 0


def test_bed_held_means_second_arrest_rejected() -> None:
    r = run(quiet(merge(REFER_ALL, {"cohort": {"initial_size": 2}})))
    assert_log(
        r,
        [ENTRY, (0.5, *CONTACT[1:]), (6.25, "in_contact", "reporting", "rejected_for_detention_no_bed")],
        person=1,
    )
    assert r.summary["detention_rejections_no_bed"] == 1


# ----------------------------------------------------------------------------------------------
# Reporting
# ----------------------------------------------------------------------------------------------


def reporting(**r: Any) -> dict[str, Any]:
    return {"reporting": r}


@pytest.mark.parametrize(("misses", "t_out"), [(1, 16.25), (3, 44.25)])
def test_miss_probability_one_out_of_contact_after_n_intervals(misses: int, t_out: float) -> None:
    r = run(quiet(reporting(miss_probability={"in_person": 1.0}, misses_to_out_of_contact=misses)))
    assert_log(r, [ENTRY, CONTACT, TO_REPORTING, (t_out, "reporting", "out_of_contact", "missed_reports")])
    assert r.summary["reports"] == 0 and r.summary["absconded"] == 1
    assert r.summary["cost_notices_gbp"] == pytest.approx(3.0)


def test_telephone_reporting_uses_its_interval() -> None:
    r = run(
        quiet(
            reporting(
                channel_mix=shares(("in_person", "telephone", "digital"), "telephone"),
                miss_probability={"telephone": 1.0},
                misses_to_out_of_contact=2,
            )
        )
    )
    assert_log(r, [ENTRY, CONTACT, TO_REPORTING, (16.25, "reporting", "out_of_contact", "missed_reports")])


def test_centre_overflow_puts_reportee_on_telephone() -> None:
    # no desks: the in-person booking fails, the person reports by telephone every 7 days
    r = run(
        quiet(reporting(miss_probability={"telephone": 1.0}, misses_to_out_of_contact=1, centre={"desks": 0}))
    )
    assert_log(r, [ENTRY, CONTACT, TO_REPORTING, (9.25, "reporting", "out_of_contact", "missed_reports")])
    centre = resource(r, "reporting_centre_interviews")
    assert centre["blocked"] == 1


@pytest.mark.parametrize(
    ("correspondence", "cause"),
    [
        ({"clarity": 0.0}, "never_reported"),
        ({"not_received": {"good": 1.0}}, "reporting_notice_not_received"),
    ],
)
def test_notice_not_acted_on_out_of_contact(correspondence: dict[str, Any], cause: str) -> None:
    r = run(quiet({"correspondence": correspondence}))
    assert_log(r, [ENTRY, CONTACT, TO_REPORTING, (44.25, "reporting", "out_of_contact", cause)])
    assert r.summary["reports"] == 0


def test_detention_on_reporting() -> None:
    r = run(quiet(reporting(detention_on_reporting=1.0)))
    assert_log(
        r,
        [
            ENTRY,
            CONTACT,
            TO_REPORTING,
            (16.25, "reporting", "detained", "detained_on_reporting"),
            (23.25, "detained", "removed", "removed"),
        ],
    )
    assert r.summary["reports"] == 1
    assert r.summary["cost_reporting_gbp"] == pytest.approx(15.0)


def test_promotion_at_report_leads_to_departure() -> None:
    r = run(quiet(reporting(promotion_agree={"in_person": 1.0})))
    assert_log(
        r, [ENTRY, CONTACT, TO_REPORTING, (36.25, "reporting", "departed_voluntary", "voluntary_departure")]
    )
    assert r.summary["reports"] == 1


def test_quiet_reports_before_horizon_counted_when_jump_is_cut() -> None:
    # a tiny miss probability: the next eventful report lies far beyond the horizon; the quiet
    # reports due at 16.25, 30.25, ..., 86.25 (six) fall before the horizon of 100
    r = run(quiet({"horizon_days": 100.0, "reporting": {"miss_probability": {"in_person": 1e-9}}}))
    assert_log(r, [ENTRY, CONTACT, TO_REPORTING])
    assert r.summary["reports"] == 6
    assert r.summary["cost_reporting_gbp"] == pytest.approx(6 * 15.0)


def test_subnormal_miss_probability_runs() -> None:
    # regression: geometric_trials overflowed (int(inf)) for event probabilities below ~1e-308
    r = run(quiet({"horizon_days": 100.0, "reporting": {"miss_probability": {"in_person": 1e-310}}}))
    assert r.summary["reports"] == 6


def test_quiet_reports_counted_for_reporter_with_nothing_eventful() -> None:
    # regression: with nothing eventful at reports (p_event 0) the reports went uncounted
    r = run(quiet({"horizon_days": 100.0}))
    assert_log(r, [ENTRY, CONTACT, TO_REPORTING])
    assert r.summary["reports"] == 6  # due at 16.25, 30.25, ..., 86.25
    assert r.summary["cost_reporting_gbp"] == pytest.approx(6 * 15.0)


# ----------------------------------------------------------------------------------------------
# Out of contact: tracing and passive re-discovery
# ----------------------------------------------------------------------------------------------

LOSE_AT_16 = reporting(miss_probability={"in_person": 1.0}, misses_to_out_of_contact=1)
LOST = (16.25, "reporting", "out_of_contact", "missed_reports")


def tracing(**t: Any) -> dict[str, Any]:
    return merge(LOSE_AT_16, {"tracing": {"referral_probability_normal": 1.0, **t}})


def test_tracing_success_after_interval_and_action() -> None:
    # lost 16.25, traced 16.25 + 5 + 1 = 22.25, notice handed over then (in person), lost 36.25
    # at the first report, traced 36.25 + 5 + 1 = 42.25
    r = run(quiet(merge(tracing(success_probability=1.0), {"horizon_days": 50.0})))
    assert_log(
        r,
        [
            ENTRY,
            CONTACT,
            TO_REPORTING,
            LOST,
            (22.25, "out_of_contact", "reporting", "contact_reestablished_traced"),
            (36.25, "reporting", "out_of_contact", "missed_reports"),
            (42.25, "out_of_contact", "reporting", "contact_reestablished_traced"),
        ],
    )
    s = r.summary
    assert s["tracing_actions"] == 2 and s["absconded"] == 1
    assert s["cost_tracing_gbp"] == pytest.approx(500.0)
    tracers = resource(r, "tracers")
    assert tracers["mean_busy"] * 50.0 == pytest.approx(2.0)


def test_tracing_exhausted_then_dormant() -> None:
    r = run(quiet(tracing(success_probability=0.0, max_actions=2)))
    assert_log(r, [ENTRY, CONTACT, TO_REPORTING, LOST])
    assert r.summary["tracing_actions"] == 2
    assert r.summary["out_of_contact_end"] == 1


def test_not_referred_for_tracing_without_passive_stays_lost() -> None:
    r = run(quiet(LOSE_AT_16))
    assert_log(r, [ENTRY, CONTACT, TO_REPORTING, LOST])
    assert r.summary["tracing_actions"] == 0


def test_traced_then_arrested_and_removed() -> None:
    r = run(quiet(tracing(success_probability=1.0, arrest_on_trace_probability=1.0)))
    assert_log(
        r,
        [
            ENTRY,
            CONTACT,
            TO_REPORTING,
            LOST,
            (25.25, "out_of_contact", "detained", "arrested_traced"),
            (32.25, "detained", "removed", "removed"),
        ],
    )


def test_traced_but_not_found_at_arrest_resumes_tracing() -> None:
    # trace 16.25 -> 22.25, visit -> 25.25 (not found), trace -> 31.25, visit -> 34.25 (not
    # found); the next action would start at 39.25, after the horizon of 39
    r = run(
        quiet(
            merge(
                tracing(success_probability=1.0, arrest_on_trace_probability=1.0),
                {"horizon_days": 39.0, "enforcement": {"arrest_success": 0.0}},
            )
        )
    )
    assert_log(r, [ENTRY, CONTACT, TO_REPORTING, LOST])
    assert r.summary["arrests"] == 2 and r.summary["tracing_actions"] == 2


def test_passive_rediscovery_with_huge_rate() -> None:
    r = run(quiet(merge(LOSE_AT_16, {"horizon_days": 20.0, "tracing": {"passive_rate_per_day": 1e9}})))
    got = log_of(r)
    assert got[4][1:] == ("out_of_contact", "reporting", "contact_reestablished_data_match")
    assert got[4][0] == pytest.approx(16.25, abs=1e-6)


@pytest.mark.parametrize("success", [0.0, 1.0])
def test_passive_rediscovery_not_blocked_by_absent_tracers(success: float) -> None:
    # regression: with no tracers a successful tracing draw left the person dormant for ever
    # passive rate 1/day: found within the 84 days after loss with probability 1 - e^-84
    r = run(
        quiet(
            merge(
                tracing(success_probability=success),
                {
                    "horizon_days": 100.0,
                    "tracing": {"team_size": 0, "passive_rate_per_day": 1.0, "interval_days": fixed(0.001)},
                },
            )
        )
    )
    got = log_of(r)
    assert len(got) >= 5
    assert got[4][1:] == ("out_of_contact", "reporting", "contact_reestablished_data_match")


# ----------------------------------------------------------------------------------------------
# Costs: hand-computed totals
# ----------------------------------------------------------------------------------------------

COST_PATHS = {
    # one phone attempt 6 + arrest 2800 + 7 detention days x 97 + removal 2400
    "removal": (REFER_ALL, {"contact": 6.0, "arrests": 2800.0, "detention": 679.0, "removals": 2400.0}),
    # one phone attempt + assisted return 1100
    "assisted": (
        merge(AGREE, {"departure": {"assisted_share": 1.0}}),
        {"contact": 6.0, "assisted_returns": 1100.0},
    ),
    # one phone attempt; caseworker time is paid as staff days (0 in the quiet base)
    "granted": (barrier("further_submission", further_submission_grant=1.0), {"contact": 6.0}),
    # one phone attempt + staff for 100 days: 2 agents x 450 + 3 caseworkers x 200 + 1 tracer x 200
    "staff": (
        {
            "horizon_days": 100.0,
            "cohort": {"in_pool_in_error_share": 1.0},
            "contact": {"agents": 2},
            "casework": {"caseworkers": 3},
            "tracing": {"team_size": 1},
            "costs": {"staff_day": {"agent": 450.0, "caseworker": 200.0, "tracer": 200.0}},
        },
        {"contact": 6.0, "staff": 100.0 * (2 * 450.0 + 3 * 200.0 + 200.0)},
    ),
    # four texts at 0.5 + one enrichment check at 5; contacted in error and closed
    "enrichment": (
        merge(
            ENRICH_REFRESH,
            {
                "cohort": {"in_pool_in_error_share": 1.0},
                "contact": {"channel_mix": shares(("phone", "text", "letter", "email"), "text")},
            },
        ),
        {"contact": 2.0, "enrichment": 5.0},
    ),
    # phone 6 + notice 3; one missed report 10, lost at 16.25; two tracing actions 250 each, then dormant
    "tracing": (
        tracing(success_probability=0.0),
        {"contact": 6.0, "notices": 3.0, "missed_reports": 10.0, "tracing": 500.0},
    ),
}


@pytest.mark.parametrize("path", sorted(COST_PATHS))
def test_costs_equal_hand_computed_totals(path: str) -> None:
    overrides, expected = COST_PATHS[path]
    s = run(quiet(overrides)).summary
    items = {k.removeprefix("cost_").removesuffix("_gbp") for k in s if k.startswith("cost_")}
    assert set(expected) <= items
    for item in sorted(items):
        assert s[f"cost_{item}_gbp"] == pytest.approx(expected.get(item, 0.0)), item
    assert s["total_cost_gbp"] == pytest.approx(sum(expected.values()))


# ----------------------------------------------------------------------------------------------
# Schema edge cases
# ----------------------------------------------------------------------------------------------


def test_zero_interview_minutes_rejected_or_runs() -> None:
    # regression: a zero mean interview time divided by zero when the model was built
    from pydantic import ValidationError

    try:
        scenario = quiet({"reporting": {"centre": {"interview_minutes": fixed(0.0)}}})
    except ValidationError:
        return
    run(scenario)


@pytest.mark.parametrize(
    "overrides",
    [
        {"tracing": {"interval_days": fixed(0.0)}},
        {"enforcement": {"visit_days": fixed(0.0)}},
        {"casework": {"further_submission_days": fixed(0.0)}},
        {"casework": {"legal_days": {"dist": "uniform", "low": 0.0, "high": 0.0}}},
    ],
)
def test_zero_delays_on_process_cycles_are_rejected(overrides: dict) -> None:
    # Found by this suite: with the tracing interval, tracing action and arrest visit all fixed
    # at 0, a person traced, referred and not found looped trace -> arrest -> trace for ever at
    # one instant. Delays on such cycles must now take time on average.
    with pytest.raises(ValidationError, match="mean > 0"):
        quiet(overrides)


def test_tracing_arrest_cycle_terminates_with_short_positive_delays() -> None:
    scenario = quiet(
        merge(
            tracing(
                success_probability=1.0,
                arrest_on_trace_probability=1.0,
                interval_days=fixed(0.001),
                action_days=fixed(0.0),
            ),
            {"horizon_days": 40.0, "enforcement": {"arrest_success": 0.0, "visit_days": fixed(0.001)}},
        )
    )
    with time_limit(20):
        run(scenario)


def test_quiet_base_is_valid() -> None:
    assert isinstance(quiet(), Scenario)
