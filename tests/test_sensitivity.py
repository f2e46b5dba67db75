"""run_sim.py sensitivity: SALib designs over the ranged parameters, the noise flag, the command.

Tiny cohorts (200 people, 120 days: ~15 ms a replication) and few trajectories keep each test to
seconds. Common random numbers make an inert parameter's elementary effects exactly 0, so the
toy-model tests can assert exact zeros, not seeded numbers.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import cli
from sim.analysis import sensitivity as sa
from sim.experiment.sensitivity import SensitivityRequest, plan_sensitivity, run_sensitivity
from sim.scenario import load_scenario
from sim.scenario.uncertainty import ranges

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.yaml"
TINY = {"cohort": {"initial_size": 200}, "horizon_days": 120}
TINY_ARGS = ["--cohort-size", "200", "--horizon", "120"]


@pytest.fixture(scope="module")
def tiny():
    return load_scenario(BASELINE).with_overrides(TINY)


def _problem(scenario, paths):
    chosen = [u for u in ranges(scenario) if u.path in paths]
    return chosen, sa.problem([u.path for u in chosen], [(u.low, u.high) for u in chosen])


def test_morris_design_respects_ranges_and_moves_one_parameter_per_step(tiny):
    chosen, prob = _problem(tiny, {"contact.success", "costs.arrest", "detention.beds", "contact.agents"})
    k, r, levels = len(chosen), 5, 4
    X = sa.morris_design(prob, r, levels, seed=3)
    assert X.shape == (r * (k + 1), k)
    low = np.array([u.low for u in chosen])
    high = np.array([u.high for u in chosen])
    pts = X
    assert (pts >= low - 1e-12).all() and (pts <= high + 1e-12).all()
    grid = (X - low) / (high - low) * (levels - 1)  # on the grid of `levels` levels
    assert np.allclose(grid, np.round(grid))
    for t in range(r):
        block = X[t * (k + 1) : (t + 1) * (k + 1)]
        changed = (np.abs(np.diff(block, axis=0)) > 1e-12).sum(axis=1)
        assert (changed == 1).all()
        moved = np.argmax(np.abs(np.diff(block, axis=0)), axis=1)
        assert sorted(moved) == list(range(k))  # each parameter moves once per trajectory
    assert np.array_equal(X, sa.morris_design(prob, r, levels, seed=3))  # regenerated identically


def test_sobol_design_respects_ranges(tiny):
    chosen, prob = _problem(tiny, {"contact.success", "costs.arrest", "detention.beds"})
    X = sa.sobol_design(prob, 16, seed=2)
    assert X.shape == (16 * (len(chosen) + 2), len(chosen))
    for j, u in enumerate(chosen):
        assert (X[:, j] >= u.low).all() and (X[:, j] <= u.high).all()


def test_morris_noise_flags_a_parameter_that_only_noise_moves():
    prob = sa.problem(["a", "b"], [(0.0, 1.0), (0.0, 1.0)])
    X = sa.morris_design(prob, 20, 4, seed=1)
    rng = np.random.default_rng(0)
    values = 5.0 * X[:, [0]] + rng.normal(0, 0.3, size=(len(X), 4))  # b does nothing; noise per rep
    frame = sa.analyse_morris(prob, X, values, 4, seed=1).set_index("parameter")
    assert not frame.loc["a", "within_noise"]
    assert frame.loc["a", "mu_star"] == pytest.approx(5.0, rel=0.1)
    assert frame.loc["b", "within_noise"]


def test_toy_morris_inert_parameter_is_exactly_zero(tmp_path, tiny):
    request = SensitivityRequest(
        method="morris",
        params=("costs.arrest", "contact.success", "contact.attempt_interval_days"),
        kpis=("contacted",),
        trajectories=4,
        replications=2,
    )
    plan = plan_sensitivity(tiny, [], request)
    result = run_sensitivity(plan, tmp_path / "out", plots=False)
    frame = result.frame.set_index("parameter")
    assert frame.loc["costs.arrest", "mu_star"] == 0.0  # common random numbers: exactly
    assert frame.loc["costs.arrest", "within_noise"]
    first = result.frame.sort_values("mu_star", ascending=False).iloc[0]
    assert first["parameter"] != "costs.arrest" and first["mu_star"] > 0
    assert frame.loc["contact.success", "mu_star"] > 0


def test_toy_sobol_ranks_the_influential_parameter_first(tmp_path, tiny):
    request = SensitivityRequest(
        method="sobol",
        params=("costs.arrest", "contact.attempt_interval_days"),
        kpis=("contacted",),
        samples=8,
        replications=2,
    )
    plan = plan_sensitivity(tiny, [], request)
    assert plan.X.shape == (8 * 4, 2)
    result = run_sensitivity(plan, tmp_path / "out", plots=False)
    frame = result.frame.set_index("parameter")
    assert frame.loc["costs.arrest", "ST"] == pytest.approx(0.0, abs=1e-12)
    assert frame.loc["costs.arrest", "within_noise"]
    assert frame.loc["contact.attempt_interval_days", "ST"] > frame.loc["costs.arrest", "ST"]
    assert list(result.frame.columns[:7]) == list(sa.SOBOL_COLUMNS)


def test_a_policy_keeps_its_own_value_outside_the_range(tmp_path, tiny):
    policy = tiny.with_overrides({"name": "dear_arrests", "costs": {"arrest": 9000.0}})
    request = SensitivityRequest(
        params=("costs.arrest", "contact.success"), kpis=("contacted",), trajectories=2
    )
    plan = plan_sensitivity(tiny, [policy], request)
    assert plan.kept == {"dear_arrests": ["costs.arrest"]}
    assert {s.costs.arrest for s in plan.points[1]} == {9000.0}
    assert len({s.costs.arrest for s in plan.points[0]}) > 1


def run_cli(args, capsys):
    code = cli.main(["sensitivity", *args])
    return code, capsys.readouterr()


def test_cli_end_to_end_writes_the_table_and_plots_and_resumes(tmp_path, capsys):
    out = tmp_path / "sens"
    policy = REPO / "scenarios" / "remote_reporting.yaml"
    args = [
        str(BASELINE),
        str(policy),
        *TINY_ARGS,
        "--params",
        "contact.success",
        "--params",
        "costs.arrest",
        "--kpis",
        "contacted,total_cost_gbp",
        "--trajectories",
        "2",
        "--out",
        str(out),
    ]
    code, io = run_cli(args, capsys)
    assert code == 0, io.err
    assert "simulations; estimated" in io.out and "an estimate" in io.out
    assert "Contacted: top parameters by mu_star" in io.out
    frame = pd.read_csv(out / "sensitivity.csv")
    assert list(frame.columns) == [*sa.MORRIS_COLUMNS, *sa.EXTRA_COLUMNS]
    assert set(frame["scenario"]) == {"baseline", "remote_reporting"}
    assert (frame["n_points"] == 2 * 3).all() and (frame["replications"] == 2).all()
    assert (out / "morris_baseline.png").is_file()
    assert (out / "tornado_baseline_contacted.png").is_file()
    assert (out / "tornado_remote_reporting_total_cost_gbp.png").is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["simulations"] == 2 * 3 * 2 * 2 and manifest["simulations_resumed"] == 0
    assert [p["path"] for p in manifest["parameters"]] == ["contact.success", "costs.arrest"]
    assert manifest["overrides"] == {"horizon_days": 120.0, "cohort": {"initial_size": 200}}
    assert not (out / ".incomplete").exists()

    code, io = run_cli([*args, "--resume", "-q", "--no-plots"], capsys)
    assert code == 0, io.err
    assert io.out == ""
    again = json.loads((out / "manifest.json").read_text())
    assert again["simulations_run_this_time"] == 0
    pd.testing.assert_frame_equal(pd.read_csv(out / "sensitivity.csv"), frame)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--params", "nosuch.*"], "--params: 'nosuch.*' matches no ranged parameter"),
        (["--method", "other"], "--method"),
        (["--trajectories", "0"], "--trajectories"),
        (["--kpis", "contacted,nonsense"], "--kpis: unknown KPI 'nonsense'"),
        (["--kpis", ","], "--kpis"),
        (["--replications", "0"], "--replications"),
        (["--levels", "1"], "--levels"),
        (["--samples", "x"], "--samples"),
        (["--method", "sobol", "--params", "costs.arrest"], "sobol needs at least 2"),
        (["--method", "sobol", "--shortlist", "missing.csv"], "--shortlist: missing.csv not found"),
        (["--top", "3"], "--top goes with --shortlist"),
    ],
)
def test_bad_options_exit_2_and_write_nothing(tmp_path, capsys, extra, message):
    out = tmp_path / "never"
    code, io = run_cli([str(BASELINE), *TINY_ARGS, "--out", str(out), *extra], capsys)
    assert code == 2
    assert message in io.err
    assert "Traceback" not in io.err
    assert not out.exists()


def test_bad_policy_files_exit_2_and_write_nothing(tmp_path, capsys):
    out = tmp_path / "never"
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {BASELINE}\nname: bad\ncontact:\n  agentz: 3\n")
    code, io = run_cli([str(BASELINE), str(bad), *TINY_ARGS, "--out", str(out)], capsys)
    assert code == 2 and "agentz" in io.err and "Traceback" not in io.err
    code, io = run_cli([str(BASELINE), str(tmp_path / "missing.yaml"), "--out", str(out)], capsys)
    assert code == 2 and "missing.yaml" in io.err
    code, io = run_cli([str(BASELINE), str(BASELINE), "--out", str(out)], capsys)
    assert code == 2 and "POLICY" in io.err
    assert not out.exists()


def test_shortlist_takes_the_top_parameters_of_a_morris_table(tmp_path, tiny):
    table = pd.DataFrame(
        {
            "method": "morris",
            "kpi": ["contacted"] * 3 + ["total_cost_gbp"] * 3,
            "parameter": ["contact.success", "costs.arrest", "detention.beds"] * 2,
            "mu_star": [5.0, 0.0, 1.0, 0.0, 9.0, 2.0],
            "within_noise": [False, True, False, True, False, True],
            "scenario": "baseline",
        }
    )
    path = tmp_path / "sensitivity.csv"
    table.to_csv(path, index=False)
    plan = plan_sensitivity(
        tiny, [], SensitivityRequest(method="sobol", shortlist=str(path), top=1, samples=2)
    )
    assert [u.path for u in plan.parameters] == ["contact.success", "costs.arrest"]


def test_design_store_resumes_after_a_cut_line_and_matches_a_process_pool(tmp_path, tiny):
    from sim.experiment.design import DESIGN_DIR, design_runner, run_design

    variants = [tiny, tiny.with_overrides({"contact": {"max_attempts": 3}}), tiny]  # the last repeats
    runner = design_runner(1)
    first = run_design(variants, 2, tmp_path, runner, root_seed=5)
    assert (first.ran, first.resumed, first.unique) == (4, 0, 2)
    assert first.rows[0] == first.rows[2]
    store = tmp_path / DESIGN_DIR / "results.jsonl"
    lines = store.read_text().splitlines(keepends=True)
    store.write_text("".join(lines[:2]) + lines[2][: len(lines[2]) // 2])  # killed mid-line
    again = run_design(variants, 2, tmp_path, runner, root_seed=5, resume=True)
    assert (again.ran, again.resumed) == (2, 2)
    assert again.rows == first.rows
    pool = design_runner(2)
    try:
        fresh = run_design(variants, 2, tmp_path / "pool", pool, root_seed=5)
    finally:
        pool.close()
    assert fresh.rows == first.rows
