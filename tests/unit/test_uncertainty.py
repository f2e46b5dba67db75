"""Plausible ranges of the parameters (``sim.scenario.uncertainty``): declared beside each
assumption in the schema, overridable under a scenario's ``uncertainty:`` key, shown by
``describe``, and applied exactly (a value range sets the leaf; a scale multiplies every number of
a group or a distribution)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sim.scenario import load_scenario
from sim.scenario.describe import parameter_rows
from sim.scenario.schema import Scenario
from sim.scenario.uncertainty import SCALE, VALUE, apply, ranges

REPO = Path(__file__).resolve().parents[2]
UNRANGED = {
    "horizon_days": "the period of the published figures, not an assumption about the world",
    "cohort.initial_size": "the published cohort (seed 002 §4.2)",
    "cohort.inflow_per_week": "none in the 2012-14 contract; a scenario choice",
    "cohort.case_type": "a mix must sum to 1: a scale cannot range it",
    "cohort.details": "a mix must sum to 1",
    "cohort.barrier": "a mix must sum to 1",
    "cohort.compliance": "the shape of the heterogeneity around a mean of 1 by construction",
    "contact.channel_mix": "a mix must sum to 1",
    "reporting.channel_mix": "a mix must sum to 1",
    "reporting.centre.interview_minutes": "FIGURES: 2-3 minutes per interview (ICIBI 2017)",
    "cohort.entry_on_reporting_share": "who enters how: a scenario choice (none in 2012-14)",
    "reporting.leaver_share": "0 by default (a scale cannot range zeros); a scenario with a case type that "
    "has leavers ranges its share under uncertainty: (validation/gps_pilot_2022.yaml)",
    "reporting.tagged_share": "0 by default: a policy choice (scenarios/2024/electronic_monitoring.yaml)",
}
"""Assumption-sourced parameters without a range, and why (each row of docs/parameters.md names the
source; these are published figures, structural choices or mixes)."""


def _unranged_ok(path: str) -> bool:
    return any(path == p or path.startswith(p + ".") for p in UNRANGED)


def test_every_assumption_and_calibrated_value_has_a_range_or_a_stated_reason_not_to() -> None:
    missing = [
        r.path
        for r in parameter_rows(Scenario(name="x"))
        if ("assumption" in r.source or "calibrated" in r.source) and not r.range and not _unranged_ok(r.path)
    ]
    assert missing == []


def test_declared_ranges_contain_their_defaults_and_give_a_reason() -> None:
    found = ranges(Scenario(name="x"))
    assert len(found) >= 80
    for u in found:
        assert u.why.strip(), u.path
        assert u.low <= u.base <= u.high, u.path
        assert u.origin == "schema"
        if u.kind == SCALE:
            assert u.base == 1.0 and u.low >= 0


def test_a_scenario_can_narrow_and_add_ranges() -> None:
    s = Scenario(name="x").with_overrides(
        {"uncertainty": {"detention.beds": [30, 50], "detention.removal_planning_days": [0.8, 1.2]}}
    )
    by_path = {u.path: u for u in ranges(s)}
    assert (by_path["detention.beds"].low, by_path["detention.beds"].high) == (30, 50)
    assert by_path["detention.beds"].origin == "scenario"
    assert by_path["detention.beds"].why  # the schema's reason is kept
    row = {r.path: r for r in parameter_rows(s)}["detention.beds"]
    assert row.range.startswith("30 to 50") and "uncertainty" in row.range


def test_a_policy_value_outside_the_assumption_range_is_a_lever_not_an_uncertainty() -> None:
    s = Scenario(name="x").with_overrides({"detention": {"beds": 500}})
    assert "detention.beds" not in {u.path for u in ranges(s)}


@pytest.mark.parametrize(
    ("uncertainty", "message"),
    [
        ({"detention.bedz": [1, 2]}, "uncertainty.detention.bedz: no such parameter"),
        ({"detention.beds": [50, 80]}, "excludes the scenario's value, 40"),
        ({"detention.beds": [80, 20]}, "wrong order"),
        ({"reporting.miss_probability": [1.5, 3]}, "excludes a scale of 1"),
        ({"name": [0, 1]}, "is not a number"),
    ],
)
def test_bad_uncertainty_entries_are_input_errors(uncertainty: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Scenario(name="x").with_overrides({"uncertainty": uncertainty})


def test_bad_uncertainty_in_a_file_exits_2_with_the_path_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        f"extends: {REPO / 'scenarios' / 'baseline.yaml'}\nname: bad\n"
        "uncertainty:\n  detention.beds: [50, 80]\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, str(REPO / "run_sim.py"), "run", str(bad), "--out", str(out), "-n", "1"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode == 2
    assert "uncertainty.detention.beds" in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()


def test_apply_sets_values_and_scales_groups_and_distributions() -> None:
    base = load_scenario(REPO / "scenarios" / "baseline.yaml")
    s = apply(
        base,
        {
            "detention.beds": 61.6,
            "reporting.miss_probability": 2.0,
            "detention.removal_planning_days": 0.5,
            "correspondence.delivery_days": 2.0,
        },
    )
    assert s.detention.beds == 62  # an integer parameter is rounded
    assert s.reporting.miss_probability.in_person == pytest.approx(
        2 * base.reporting.miss_probability.in_person
    )
    assert s.reporting.miss_probability.digital == pytest.approx(2 * base.reporting.miss_probability.digital)
    planning = s.detention.removal_planning_days
    assert planning.mean == pytest.approx(0.5 * base.detention.removal_planning_days.mean)
    assert planning.cv == base.detention.removal_planning_days.cv  # the shape is kept
    delivery = s.correspondence.delivery_days
    assert (delivery.low, delivery.high) == pytest.approx((4.0, 10.0))
    # everything else is untouched
    assert s.model_dump(exclude={"detention", "reporting", "correspondence"}) == base.model_dump(
        exclude={"detention", "reporting", "correspondence"}
    )


def test_every_range_end_gives_a_valid_scenario() -> None:
    base = load_scenario(REPO / "scenarios" / "baseline.yaml")
    for u in ranges(base):
        for end in (u.low, u.high):
            apply(base, {u.path: end})  # raises if the schema rejects it


def test_kinds_follow_the_parameter() -> None:
    kinds = {u.path: u.kind for u in ranges(Scenario(name="x"))}
    assert kinds["detention.beds"] == VALUE
    assert kinds["reporting.miss_probability"] == SCALE
    assert kinds["detention.no_prospect_days"] == SCALE


def test_a_drawn_scale_multiplies_what_a_change_sets_and_a_changed_value_stays_a_lever():
    """A policy introduced part-way through is drawn consistently: x2 on agreement to leave doubles
    the baseline level before the change day and the policy's level after it; a value the change
    sets (the assisted share) keeps the change's value whatever the draw."""
    year2 = load_scenario(REPO / "scenarios" / "integrated_voluntary_returns_from_year_2.yaml")
    drawn = apply(
        year2,
        {"departure.agree_on_contact": 2.0, "reporting.interval_days": 1.5, "departure.assisted_share": 0.2},
    )
    before = drawn
    ((day, after),) = drawn.regimes()
    assert day == 365
    base, policy = year2, year2.regimes()[0][1]
    for case in ("failed_asylum", "overstayer", "foreign_offender", "family"):
        assert getattr(before.departure.agree_on_contact, case) == pytest.approx(
            2.0 * getattr(base.departure.agree_on_contact, case)
        )
        assert getattr(after.departure.agree_on_contact, case) == pytest.approx(
            2.0 * getattr(policy.departure.agree_on_contact, case)
        )
    assert after.departure.agree_on_contact.family == pytest.approx(0.12)  # the policy's 0.06 x 2
    assert before.departure.assisted_share == 0.2 and after.departure.assisted_share == 0.45
    # a scale the change does not touch is drawn once and carried through the change
    assert after.reporting.interval_days == before.reporting.interval_days
    assert drawn.changes[0].set.keys() == year2.changes[0].set.keys()
    # the policy's distribution is scaled from its own mean (30 days), not the baseline's (45)
    unscaled = apply(year2, {"departure.delay_days": 1.0})
    assert unscaled.regimes()[0][1].departure.delay_days == policy.departure.delay_days
    slow = apply(year2, {"departure.delay_days": 2.0}).regimes()[0][1]
    assert slow.departure.delay_days.mean == pytest.approx(60.0)
    assert slow.departure.delay_days.cv == policy.departure.delay_days.cv
    # a scenario without changes is untouched by this
    assert not apply(base.model_copy(update={"changes": ()}), {"departure.agree_on_contact": 2.0}).changes
