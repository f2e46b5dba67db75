"""compare's statistics end to end on a tiny cohort: simultaneous intervals, --alpha,
cost_effectiveness.csv, --select-best and their bad inputs (exit code 2, nothing written)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from sim import cli
from sim.analysis.cost_effectiveness import CE_COLUMNS
from sim.analysis.kpis import CE_OUTCOMES
from sim.analysis.multiplicity import COMPARISON_COLUMNS
from sim.experiment import output

SMALL = ["--horizon", "120", "--cohort-size", "300"]
STEER = "enforcement:\n  hidden_barrier_probability: 0.0\n"
"""As in tests/cli/test_cli.py: steers the tiny cohort clear of a model invariant unrelated to these tests."""


@pytest.fixture
def files(tmp_path: Path) -> list[str]:
    d = tmp_path / "scenarios"
    d.mkdir()
    (d / "base.yaml").write_text(f"name: base\ntitle: Baseline\ncontact:\n  agents: 50\n{STEER}")
    (d / "more.yaml").write_text("extends: base.yaml\ntitle: More attempts\ncontact:\n  max_attempts: 9\n")
    (d / "digital.yaml").write_text(
        "extends: base.yaml\ntitle: Digital reporting\n"
        "reporting:\n  channel_mix: {in_person: 0.5, telephone: 0.2, digital: 0.3}\n"
    )
    return [str(d / n) for n in ("base.yaml", "more.yaml", "digital.yaml")]


def test_compare_writes_simultaneous_intervals_and_cost_effectiveness(
    files: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["compare", *files, "-n", "6", *SMALL]
    assert cli.main([*common, "--out", str(tmp_path / "a")]) == 0
    printed = capsys.readouterr().out
    assert "* = its 95% simultaneous CI excludes 0" in printed
    assert "Cost-effectiveness" in printed and "GBP per extra outcome (95% CI)" in printed
    assert cli.main([*common, "--out", str(tmp_path / "b"), "--alpha", "0.2", "-q", "--no-plots"]) == 0

    a, b = (pd.read_csv(tmp_path / x / output.COMPARISON_FILE) for x in "ab")
    assert list(a.columns) == COMPARISON_COLUMNS
    others = a[a["scenario"] != "base"]
    varying = others["diff_ci_high"] > others["diff_ci_low"]
    assert varying.any()
    assert (others["diff_sim_ci_low"] <= others["diff_ci_low"]).all()
    assert (others["diff_sim_ci_high"] >= others["diff_ci_high"]).all()
    # --alpha sets the level of both intervals: at 80% they are narrower
    rows = varying.to_numpy()
    for column in ("diff_ci_low", "diff_sim_ci_low"):
        assert (b.loc[others.index, column].to_numpy()[rows] > others[column].to_numpy()[rows]).all()

    ce = pd.read_csv(tmp_path / "a" / output.COST_EFFECTIVENESS_FILE)
    assert list(ce.columns) == CE_COLUMNS
    assert ce["scenario"].unique().tolist() == ["more", "digital"]
    assert ce["outcome"].tolist() == list(CE_OUTCOMES) * 2
    assert (ce["value_per_outcome"] == 11_000.0).all()

    m = json.loads((tmp_path / "a" / output.COMPARISON_MANIFEST).read_text())
    assert m["alpha"] == 0.05 and m["selection"] is None
    assert set(m["multiplicity"]["kpis"]) == set(a["kpi"])
    assert output.COST_EFFECTIVENESS_FILE in m["files"] and "cost_vs_outcomes.png" in m["files"]
    assert json.loads((tmp_path / "b" / output.COMPARISON_MANIFEST).read_text())["alpha"] == 0.2


def test_select_best_adds_replications_until_it_decides_or_the_cap(
    files: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["compare", *files, "-n", "3", "--no-plots", *SMALL]
    # a huge indifference zone: decided on the first batch
    easy = [*common, "--select-best", "contacted", "--indifference", "1e6"]
    assert cli.main([*easy, "--out", str(tmp_path / "easy")]) == 0
    text = capsys.readouterr().out
    assert "Best on Contacted (people), higher is better" in text and "selected after 3 replications" in text
    selection = json.loads((tmp_path / "easy" / output.COMPARISON_MANIFEST).read_text())["selection"]
    assert selection["decided"] and selection["replications"] == 3 and selection["direction"] == "maximize"
    # a tiny one: it stops at the cap and says who is still in contention
    hard = [*common, "--select-best", "total_cost_gbp", "--indifference", "1e-6", "--max-replications", "6"]
    assert cli.main([*hard, "--out", str(tmp_path / "hard")]) == 0
    text = capsys.readouterr().out
    assert "cannot separate them after 6 replications" in text and "Still in contention" in text
    m = json.loads((tmp_path / "hard" / output.COMPARISON_MANIFEST).read_text())
    assert m["replications"] == 6 and not m["selection"]["decided"]
    assert m["selection"]["direction"] == "minimize" and len(m["selection"]["contenders"]) >= 2
    # policies identical on the KPI in every replication are reported as tied (common random
    # numbers: digital reporting cannot change contact); --minimize overrides the direction
    tied = [*common, "--select-best", "contacted", "--indifference", "1e-6", "--minimize"]
    assert cli.main([*tied, "--out", str(tmp_path / "tied")]) == 0
    assert "tied, identical in every replication: Baseline" in capsys.readouterr().out
    assert len(pd.read_csv(tmp_path / "hard" / "more" / "summary.csv")) == 6


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--select-best", "contacted"], "needs --indifference"),
        (["--indifference", "5"], "go with --select-best"),
        (["--select-best", "contactd", "--indifference", "5"], "did you mean 'contacted'"),
        (["--select-best", "granted_leave", "--indifference", "5"], "add --maximize or --minimize"),
        (["--select-best", "contacted", "--indifference", "0"], "must be a positive number"),
        (["--alpha", "0.7"], "must lie in (0, 0.5]"),
        (["--value-per-outcome", "-1"], "zero or a positive number"),
    ],
)
def test_bad_statistics_options_exit_2(
    extra: list[str], message: str, files: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert cli.main(["compare", *files, "--out", str(out), "-n", "2", *SMALL, *extra]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()
