"""The uncertainty analysis run end to end on a tiny cohort (``sim.studies.uncertainty.run``): the
draws respect the ranges and a policy's levers (drawn from the policy's own ranges when it has
any), a policy identical to the reference is a coin (probability 0.5 of being better, differences
exactly 0 under common random numbers), and the files hold the documented columns; bad requests
fail before anything is written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from sim.experiment.errors import ExperimentError
from sim.experiment.output import UNCERTAINTY_CSVS as FILES
from sim.scenario import load_scenario
from sim.scenario.uncertainty import apply, lever_ranges, ranges, shared_paths
from sim.studies.uncertainty.analysis import (
    CEAC_COLUMNS,
    DISCOVERY_COLUMNS,
    SUMMARY_COLUMNS,
    UNCERTAINTY_COLUMNS,
    latin_hypercube,
)
from sim.studies.uncertainty.run import calibrated_design, run_uncertainty

REPO = Path(__file__).resolve().parents[2]
TINY = {"cohort": {"initial_size": 300}, "horizon_days": 120.0}


def _baseline(**extra: object) -> object:
    return load_scenario(REPO / "scenarios" / "baseline.yaml").with_overrides({**TINY, **extra})


def test_draws_respect_ranges_and_keep_a_policys_levers() -> None:
    ref = _baseline()
    policy = ref.with_overrides({"name": "beds30", "detention": {"beds": 30}})
    params, draws, _ = calibrated_design(ref, [policy], samples=6, seed=11)
    assert len(draws) == 6 and len(params) == len(ranges(ref))
    beds = [d.reference.detention.beds for d in draws]
    assert len(set(beds)) > 1 and all(20 <= b <= 80 for b in beds)
    assert all(d.policies[0].detention.beds == 30 for d in draws)  # the lever is the policy's
    for d in draws:  # everything else the policy shares with the reference draw by draw
        assert d.policies[0].reporting == d.reference.reporting
        assert d.policies[0].tracing == d.reference.tracing
    # a policy that changes a scaled group gets the drawn scale on its own values
    faster = ref.with_overrides({"name": "faster", "reporting": {"miss_probability": {"in_person": 0.01}}})
    for d in calibrated_design(ref, [faster], samples=4, seed=5)[1]:
        factor = d.values["reporting.miss_probability"]
        assert d.policies[0].reporting.miss_probability.in_person == pytest.approx(0.01 * factor)
        assert d.reference.reporting.miss_probability.in_person == pytest.approx(
            ref.reporting.miss_probability.in_person * factor
        )
    again = calibrated_design(ref, [policy], samples=6, seed=11)[1]
    assert [d.values for d in again] == [d.values for d in draws]


def test_a_policys_own_ranges_on_its_levers_are_drawn_for_it_alone() -> None:
    ref = _baseline(uncertainty={"detention.beds": [20, 60]})
    plain = ref.with_overrides({"name": "beds30", "detention": {"beds": 30}})  # inherits [20, 60]
    ranged = ref.with_overrides(
        {
            "name": "ranged",
            "detention": {"beds": 30},
            "reporting": {"miss_probability": {"in_person": 0.01}},  # under the drawn scale
            "uncertainty": {
                "detention.beds": [25, 40],
                "reporting.miss_probability.in_person": [0.005, 0.02],
            },
        }
    )
    assert lever_ranges(plain, ref) == []  # the reference's range, inherited: not the policy's doubt
    params, draws, _ = calibrated_design(ref, [plain, ranged], samples=8, seed=11)
    names = [u.path for u in params]
    assert names[len(ranges(ref)) :] == [
        "ranged:detention.beds",
        "ranged:reporting.miss_probability.in_person",
    ]
    beds = np.array([d.values["ranged:detention.beds"] for d in draws])
    # a Latin hypercube over the policy's own range: one draw in each eighth of [25, 40]
    assert sorted(np.floor((beds - 25) / (15 / 8)).astype(int)) == list(range(8))
    for d in draws:
        p_plain, p_ranged = d.policies
        assert p_plain.detention.beds == 30  # the plain policy's lever stays
        assert p_ranged.detention.beds == round(d.values["ranged:detention.beds"])
        assert d.reference.detention.beds == round(d.values["detention.beds"])
        factor = d.values["reporting.miss_probability"]  # the reference's drawn scale multiplies the lever
        drawn = d.values["ranged:reporting.miss_probability.in_person"]
        assert 0.005 <= drawn <= 0.02
        assert p_ranged.reporting.miss_probability.in_person == pytest.approx(drawn * factor)
        assert p_ranged.tracing == d.reference.tracing  # the rest as the reference's draw


def test_a_policy_without_own_ranges_draws_as_before() -> None:
    ref = _baseline()
    plain = ref.with_overrides({"name": "beds30", "detention": {"beds": 30}})
    ranged = ref.with_overrides(
        {"name": "ranged", "uncertainty": {"reporting.miss_probability.in_person": [0.04, 0.2]}}
    )
    params, alone, _ = calibrated_design(ref, [plain], samples=5, seed=4)
    _, both, _ = calibrated_design(ref, [plain, ranged], samples=5, seed=4)
    assert params == ranges(ref)
    lhs = latin_hypercube([(u.low, u.high) for u in params], 5, 4)  # the reference's design, as before
    for d, b, row in zip(alone, both, lhs, strict=True):
        assert d.values == dict(zip([u.path for u in params], row, strict=True))
        assert {k: v for k, v in b.values.items() if ":" not in k} == d.values  # a ranged policy adds columns
        assert b.policies[0] == d.policies[0] and b.reference == d.reference
        shared = {k: v for k, v in d.values.items() if k in shared_paths(plain, ref)}
        assert d.policies[0].model_dump(exclude={"name", "title"}) == apply(plain, shared).model_dump(
            exclude={"name", "title"}
        )


def test_identical_policy_is_a_coin_and_files_have_their_columns(tmp_path: Path) -> None:
    ref = _baseline()
    twin = ref.with_overrides({"name": "twin"})
    kpis = ["contacted", "removed_enforced", "total_cost_gbp"]
    result = run_uncertainty(ref, [twin], tmp_path / "u", samples=3, replications=2, root_seed=3, kpis=kpis)
    out = tmp_path / "u"
    for name in FILES:
        assert (out / name).exists(), name
    assert not (out / ".incomplete").exists()
    diffs = pd.read_csv(out / "uncertainty.csv")
    assert list(diffs.columns) == UNCERTAINTY_COLUMNS
    assert (diffs["diff"] == 0).all()  # common random numbers: the same life under every draw
    summary = pd.read_csv(out / "uncertainty_summary.csv")
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert set(summary.kpi) == set(kpis)
    assert (summary.prob_better == 0.5).all()
    assert list(pd.read_csv(out / "ceac.csv").columns) == CEAC_COLUMNS
    assert list(pd.read_csv(out / "discovery.csv").columns) == DISCOVERY_COLUMNS
    draws = pd.read_csv(out / "uncertainty_draws.csv")
    assert len(draws) == 3 and "detention.beds" in draws.columns
    assert result.experiment.replications == 2


@pytest.mark.parametrize(
    ("samples", "policies", "message"),
    [
        (1, True, "--samples must be at least 2"),
        (3, False, "at least one POLICY"),
    ],
)
def test_bad_requests_write_nothing(tmp_path: Path, samples: int, policies: bool, message: str) -> None:
    ref = _baseline()
    pols = [ref.with_overrides({"name": "twin"})] if policies else []
    with pytest.raises(ExperimentError, match=message):
        run_uncertainty(ref, pols, tmp_path / "u", samples=samples, replications=2, root_seed=1)
    assert not (tmp_path / "u").exists()


def test_a_range_whose_draws_the_schema_rejects_is_refused_when_validated() -> None:
    # foreign offenders are referred on refusal with probability 0.8: a scale of up to x2 takes
    # it above 1 in some draws, so the range is refused with the scenario, before any draw (it
    # used to pass validation and stop the study at its design; issue 19)
    with pytest.raises(
        ValidationError, match=r"at x2, enforcement.referral_on_refusal.foreign_offender: got 1.6; must be a"
    ):
        _baseline(uncertainty={"enforcement.referral_on_refusal": [1.0, 2.0]})


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "run_sim.py"), "uncertainty", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
    )


def test_command_end_to_end_on_a_tiny_cohort(tmp_path: Path) -> None:
    out = tmp_path / "u"
    base = str(REPO / "scenarios" / "baseline.yaml")
    policy = str(REPO / "scenarios" / "prioritised_tracing.yaml")
    proc = _cli(
        base,
        policy,
        "--samples",
        "3",
        "-n",
        "2",
        "--cohort-size",
        "300",
        "--horizon",
        "120",
        "--kpis",
        "out_of_contact_end,total_cost_gbp",
        "--out",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    assert "3 Latin-hypercube draws x 2 scenarios x 2 replications = 12 simulations" in proc.stdout
    assert "P(better)" in proc.stdout
    for name in (*FILES, "uncertainty_differences.png", "ceac.png", "uncertainty_manifest.json"):
        assert (out / name).exists(), name


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--samples", "1"), "--samples"),
        (("--kpis", "removals"), "unknown KPI 'removals'"),
        (("-n", "0"), "--replications"),
    ],
)
def test_command_bad_options_exit_2_and_write_nothing(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    out = tmp_path / "u"
    base = str(REPO / "scenarios" / "baseline.yaml")
    proc = _cli(
        base, base.replace("baseline", "remote_reporting"), *args, "--cohort-size", "300", "--out", str(out)
    )
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()


def test_command_needs_a_policy(tmp_path: Path) -> None:
    proc = _cli(str(REPO / "scenarios" / "baseline.yaml"), "--out", str(tmp_path / "u"))
    assert proc.returncode == 2 and "POLICY" in proc.stderr
