"""run_sim.py sensitivity: SALib designs over the ranged parameters, the noise flag, the command.

Tiny cohorts (200 people, 120 days: ~15 ms a replication) and few trajectories keep each test to
seconds. Common random numbers make an inert parameter's elementary effects exactly 0, so the
toy-model tests can assert exact zeros, not seeded numbers.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import cli
from sim.experiment.engine import ExecutionOptions
from sim.scenario import load_scenario
from sim.scenario.uncertainty import ranges
from sim.studies.sensitivity import analysis as sa
from sim.studies.sensitivity.request import SensitivityRequest
from sim.studies.sensitivity.run import plan_sensitivity, run_sensitivity

REPO = Path(__file__).resolve().parents[2]
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
    result = run_sensitivity(plan, tmp_path / "out", options=ExecutionOptions(plots=False))
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
    result = run_sensitivity(plan, tmp_path / "out", options=ExecutionOptions(plots=False))
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


def test_design_store_resumes_after_a_killed_run_and_matches_a_process_pool(tmp_path, tiny):
    from sim.experiment.engine import run_design
    from sim.experiment.output import PARTS_DIR
    from sim.experiment.runners import make_runner
    from sim.experiment.worker import run_summary

    variants = [tiny, tiny.with_overrides({"contact": {"max_attempts": 3}}), tiny]  # the last repeats
    runner = make_runner(1, replicate=run_summary)
    first = run_design(variants, 2, tmp_path, runner, 5, ExecutionOptions())
    assert (first.ran, first.resumed, first.unique) == (4, 0, 2)
    assert first.rows[0] == first.rows[2]
    stored = sorted((tmp_path / PARTS_DIR).glob("*/rep_*"))
    assert len(stored) == 4
    meta = stored[1] / "part.json"
    meta.write_text(meta.read_text()[:40])  # damaged: run again
    shutil.rmtree(stored[2])  # never finished
    (tmp_path / PARTS_DIR / stored[3].parent.name / ".rep_000001.x.tmp").mkdir()  # killed mid-write
    again = run_design(variants, 2, tmp_path, runner, 5, ExecutionOptions(resume=True))
    assert (again.ran, again.resumed) == (2, 2)
    assert again.rows == first.rows
    pool = make_runner(2, replicate=run_summary)
    try:
        fresh = run_design(variants, 2, tmp_path / "pool", pool, 5, ExecutionOptions())
    finally:
        pool.close()
    assert fresh.rows == first.rows


def test_grouped_morris_design_moves_one_whole_section_per_step(tiny):
    paths = {"contact.success", "contact.agents", "costs.arrest", "costs.removal", "detention.beds"}
    chosen = [u for u in ranges(tiny) if u.path in paths]
    plan = plan_sensitivity(
        tiny,
        [],
        SensitivityRequest(
            params=tuple(sorted(paths)), groups="section", trajectories=6, kpis=("contacted",)
        ),
    )
    groups = plan.problem["groups"]
    assert groups == [u.path.split(".")[0] + ".*" for u in chosen]
    g = len(set(groups))
    assert g == 3 and plan.X.shape == (6 * (g + 1), len(chosen))
    width = np.array([u.high - u.low for u in chosen])
    for t in range(6):
        block = plan.X[t * (g + 1) : (t + 1) * (g + 1)]
        moved_groups = []
        for step in np.diff(block, axis=0) / width:
            moving = {groups[j] for j in np.flatnonzero(np.abs(step) > 1e-12)}
            assert len(moving) == 1  # one group per step ...
            (group,) = moving
            members = [j for j, name in enumerate(groups) if name == group]
            assert (np.abs(step[members]) > 1e-12).all()  # ... and all of its members
            moved_groups.append(group)
        assert sorted(moved_groups) == sorted(set(groups))  # each group once per trajectory
    assert sa.group_members(plan.problem)["costs.*"] == ["costs.arrest", "costs.removal"]


def test_grouped_morris_ranks_the_group_that_matters_and_flags_an_inert_one():
    names = ["a.x", "a.y", "b.z", "c.w"]
    prob = sa.problem(names, [(0.0, 1.0)] * 4, ["a.*", "a.*", "b.*", "c.*"])
    X = sa.morris_design(prob, 20, 4, seed=5)
    rng = np.random.default_rng(1)
    values = (4.0 * X[:, [0]] + 4.0 * X[:, [1]] + 1.0 * X[:, [2]]) + rng.normal(0, 0.05, (len(X), 3))
    frame = sa.analyse_morris(prob, X, values, 4, seed=5).set_index("parameter")
    assert list(frame.index) == ["a.*", "b.*", "c.*"]
    assert frame["mu_star"].idxmax() == "a.*"
    assert not frame.loc["b.*", "within_noise"]
    assert frame.loc["c.*", "within_noise"]
    assert np.isfinite(frame["sigma"]).all()  # defined for groups of several parameters too
    # the elementary effects behind mu*: SALib's mu* is their mean absolute value
    effects, _ = sa.elementary_effects(prob, X, values)
    assert [len(e) for e in effects] == [20, 20, 20]
    assert frame.loc["b.*", "mu_star"] == pytest.approx(np.mean(np.abs(effects[1])), rel=1e-9)


def test_grouped_cli_run_and_a_shortlist_of_groups_expands_to_their_parameters(tmp_path, capsys, tiny):
    out = tmp_path / "grouped"
    code, io = run_cli(
        [
            str(BASELINE),
            *TINY_ARGS,
            "--params",
            "contact.*",
            "--params",
            "costs.*",
            "--groups",
            "section",
            "--trajectories",
            "2",
            "-n",
            "2",
            "--kpis",
            "contacted,total_cost_gbp",
            "--no-plots",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0, io.err
    assert "2 trajectories x (2 groups of" in io.out
    frame = pd.read_csv(out / "sensitivity.csv")
    assert set(frame["parameter"]) == {"contact.*", "costs.*"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["design"]["groups"]) == {"contact.*", "costs.*"}
    # costs move no KPI but cost: within noise (exactly 0) for contacted
    row = frame[(frame["kpi"] == "contacted") & (frame["parameter"] == "costs.*")].iloc[0]
    assert row["mu_star"] == 0.0 and row["within_noise"]
    plan = plan_sensitivity(
        tiny, [], SensitivityRequest(method="sobol", shortlist=str(out / "sensitivity.csv"), top=1, samples=2)
    )
    groups = sa.shortlist(frame, 1)
    assert groups and set(groups) <= {"contact.*", "costs.*"}
    members = {u.path for u in ranges(tiny) if any(u.path.startswith(g[:-1]) for g in groups)}
    assert {u.path for u in plan.parameters} == members  # each KPI's top group, expanded
    assert len(members) > len(groups)


def test_bad_groups_option_exits_2(tmp_path, capsys):
    out = tmp_path / "never"
    code, io = run_cli([str(BASELINE), *TINY_ARGS, "--groups", "module", "--out", str(out)], capsys)
    assert code == 2 and "--groups" in io.err and "Traceback" not in io.err
    assert not out.exists()
    with pytest.raises(Exception, match="--groups"):
        plan_sensitivity(load_scenario(BASELINE), [], SensitivityRequest(groups="module"))


def test_a_policy_keeps_a_value_it_changes_inside_the_range_and_shares_the_scales(tiny):
    """More beds (60, inside the assumption's 20-80 range) is the policy's lever: every design point
    keeps its 60 beds while the reference's beds vary; a scale multiplies the policy's values too.
    (Before this rule a design overwrote the lever, and every difference was exactly 0.)"""
    policy = load_scenario(REPO / "scenarios" / "more_detention_capacity.yaml").with_overrides(TINY)
    assert policy.detention.beds == 60
    request = SensitivityRequest(
        params=("detention.beds", "reporting.miss_probability"), kpis=("removed_enforced",), trajectories=3
    )
    plan = plan_sensitivity(tiny, [policy], request)
    assert plan.kept == {policy.name: ["detention.beds"]}
    assert {s.detention.beds for s in plan.points[1]} == {60}
    assert len({s.detention.beds for s in plan.points[0]}) > 1
    for ref, pol in zip(plan.points[0], plan.points[1], strict=True):
        assert pol.reporting.miss_probability == ref.reporting.miss_probability  # same drawn scale


@pytest.mark.parametrize("command", ["sensitivity", "calibrate"])
def test_design_commands_check_out_and_scheduler_before_writing_anything(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``experiment_folder``: --out must be a folder (or absent) and the executor must start before the
    folder is touched, so a bad --out or --scheduler leaves nothing behind."""
    args = [command, str(BASELINE), *TINY_ARGS, "-q"]
    a_file = tmp_path / "a_file"
    a_file.write_text("keep me", encoding="utf-8")
    assert cli.main([*args, "--out", str(a_file)]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "exists and is not a folder" in err and "Traceback" not in err
    assert a_file.read_text(encoding="utf-8") == "keep me"
    out = tmp_path / "out"
    assert cli.main([*args, "--out", str(out), "--scheduler", "nosuch://nowhere"]) == 2
    err = capsys.readouterr().err
    assert "--scheduler: cannot connect to Dask scheduler nosuch://nowhere" in err and "Traceback" not in err
    assert not out.exists()
