"""run_sim.py calibrate (history matching) and uncertainty --from-calibration.

The statistics are tested on toy functions with a known truth (where the non-implausible set must
lie, and that a parameter with no effect keeps its whole range); the command on a tiny cohort
(1,000 people, 200 days, 8 points a wave, one replication: seconds), where the numbers mean little
but the files, the waves, ``--resume`` and the bad inputs can all be checked exactly.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import cli
from sim.analysis.measures import MEASURES
from sim.experiment.output import CALIBRATION_CSVS
from sim.scenario import load_scenario
from sim.scenario.uncertainty import ranges
from sim.studies.calibration import analysis as hm
from sim.studies.calibration.analysis import TARGET_COLUMNS, WAVE_COLUMNS
from sim.studies.calibration.plan import DRIVERS
from sim.studies.calibration.run import MANIFEST
from sim.studies.targets.run import read_targets
from sim.studies.uncertainty.analysis import latin_hypercube
from sim.studies.uncertainty.run import calibrated_design

CALIBRATION_FILE, RUNS_FILE, WAVES_FILE, TARGETS_FILE = CALIBRATION_CSVS
REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "scenarios" / "baseline.yaml"
POLICY = REPO / "scenarios" / "remote_reporting.yaml"
PARAMS = ["contact.success", "cohort.already_departed_share", "contact.complaint_probability"]
PARAMS_IN_SCHEMA_ORDER = [u.path for u in ranges(load_scenario(BASELINE)) if u.path in PARAMS]
TINY_ARGS = ["--cohort-size", "1000", "--horizon", "200", "--points", "8", "--waves", "2", "-n", "1"]
CALIBRATE = [
    "calibrate",
    str(BASELINE),
    *TINY_ARGS,
    "--candidates",
    "500",
    "--roles",
    "calibration",
    *(a for p in PARAMS for a in ("--params", p)),
    "--cutoff",
    "10",
    "--no-plots",
]


# ----------------------------------------------------------------------------------------------
# The statistics, on toy functions
# ----------------------------------------------------------------------------------------------


def _toy_nroy(noise_sd: float = 0.05, seed: int = 1) -> tuple[np.ndarray, pd.DataFrame]:
    """f(x) = 2 x0 + noise (x1 has no effect), target z = f(0.5) = 1 with tolerance 0.1."""
    rng = np.random.default_rng(seed)
    x = latin_hypercube([(0.0, 1.0), (0.0, 1.0)], 30, seed)
    values = (2 * x[:, 0])[:, None] + rng.normal(0.0, noise_sd, (30, 2))
    em = hm.fit_emulator("f", x, values, seed=seed)
    cand = latin_hypercube([(0.0, 1.0), (0.0, 1.0)], 5000, seed + 1)
    frame = hm.wave_implausibility({"f": em}, [hm.Observation("t", "f", 1.0, 0.1)], cand)
    return cand[hm.nroy(frame["max"].to_numpy())], frame


def test_toy_history_matching_keeps_the_truth_and_rules_out_far_values() -> None:
    kept, _ = _toy_nroy()
    assert len(kept)
    lo, hi = kept[:, 0].min(), kept[:, 0].max()
    assert lo < 0.5 < hi  # the truth is not ruled out
    assert lo > 0.25 and hi < 0.75  # values far from it are
    # x1 has no effect: its whole range survives
    assert kept[:, 1].min() < 0.02 and kept[:, 1].max() > 0.98


def test_toy_more_simulation_noise_rules_out_less() -> None:
    narrow, _ = _toy_nroy(noise_sd=0.01)
    wide, _ = _toy_nroy(noise_sd=0.2)
    width = lambda k: k[:, 0].max() - k[:, 0].min()  # noqa: E731
    assert width(wide) > width(narrow)


def test_implausibility_formula() -> None:
    obs = hm.Observation("t", "m", published=1.0, tolerance=0.3, discrepancy=0.1)
    assert obs.var_obs == pytest.approx(0.01) and obs.var_disc == pytest.approx(0.0009)
    # total variance 0.01 + 0.0009 + 0.0016 + 0.0075 = 0.02
    got = hm.implausibility(obs, np.array([0.7, 1.3, 1.0]), np.array([0.0016] * 3), 0.0075)
    assert got == pytest.approx([0.3 / math.sqrt(0.02), 0.3 / math.sqrt(0.02), 0.0])
    floor = hm.Observation("t", "m", 1.0, 0.3, "at_least", 0.1)
    ceiling = hm.Observation("t", "m", 1.0, 0.3, "at_most", 0.1)
    means = np.array([0.7, 1.3])
    assert hm.implausibility(floor, means, np.full(2, 0.0016), 0.0075) == pytest.approx([2.1213203, 0.0])
    assert hm.implausibility(ceiling, means, np.full(2, 0.0016), 0.0075) == pytest.approx([0.0, 2.1213203])
    # no uncertainty at all: the 3-sigma cut-off is exactly the tolerance band
    exact = hm.Observation("t", "m", 1.0, 0.3, discrepancy=0.0)
    i = hm.implausibility(exact, np.array([1.29, 1.31]), np.zeros(2), 0.0)
    assert list(hm.nroy(i)) == [True, False]


def test_nroy_needs_a_positive_cutoff() -> None:
    with pytest.raises(ValueError, match="cut-off"):
        hm.nroy(np.array([1.0]), 0.0)


def test_point_statistics_leave_out_undefined_replications() -> None:
    mean, var, n = hm.point_statistics(np.array([[1.0, 3.0], [np.nan, 2.0], [np.nan, np.nan]]))
    assert mean[:2] == pytest.approx([2.0, 2.0]) and math.isnan(mean[2])
    assert var[0] == pytest.approx(2.0) and math.isnan(var[1])
    assert list(n) == [2, 1, 0]


def test_an_emulator_needs_three_defined_points() -> None:
    x = np.array([[0.1], [0.5], [0.9]])
    with pytest.raises(ValueError, match="at least 3"):
        hm.fit_emulator("f", x, np.array([[1.0], [np.nan], [2.0]]))


def test_wave_design_picks_distinct_spread_candidates() -> None:
    cand = latin_hypercube([(0.0, 1.0), (0.0, 1.0)], 400, 3)
    idx = hm.wave_design(cand, 10, seed=4)
    assert len(set(idx.tolist())) == 10 and idx.max() < 400
    chosen = cand[idx]
    gaps = [np.linalg.norm(chosen[i] - chosen[j]) for i in range(10) for j in range(i)]
    random = cand[np.random.default_rng(4).choice(400, 10, replace=False)]
    rgaps = [np.linalg.norm(random[i] - random[j]) for i in range(10) for j in range(i)]
    assert min(gaps) > min(rgaps)  # maximin spreads the points
    assert list(hm.wave_design(cand[:5], 10, seed=4)) == [0, 1, 2, 3, 4]


def test_every_measure_has_default_parameters_ranged_in_its_scenarios() -> None:
    assert set(DRIVERS) == set(MEASURES)
    table = read_targets()
    for t in table.targets:
        paths = {u.path for u in ranges(load_scenario(table.scenario_path(t)))}
        assert set(DRIVERS[t.measure]) <= paths, t.id


# ----------------------------------------------------------------------------------------------
# The command
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("cal") / "out"
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = cli.main([*CALIBRATE, "--out", str(out)])
    assert code == 0
    return out, buf.getvalue()


def test_calibrate_writes_every_file_with_stable_columns_and_the_manifest_last(
    calibrated: tuple[Path, str],
) -> None:
    out, printed = calibrated
    assert not (out / ".incomplete").exists()
    manifest = json.loads((out / MANIFEST).read_text())
    for name in manifest["files"]:
        assert (out / name).is_file(), name
        assert (out / name).stat().st_mtime_ns <= (out / MANIFEST).stat().st_mtime_ns
    nroy = pd.read_csv(out / CALIBRATION_FILE)
    assert list(nroy.columns) == [*PARAMS_IN_SCHEMA_ORDER, "max_implausibility", "wave"]
    assert len(nroy) and (nroy["max_implausibility"] <= 10).all()
    for u in ranges(load_scenario(BASELINE)):
        if u.path in PARAMS:
            assert nroy[u.path].between(u.low, u.high).all()
    runs = pd.read_csv(out / RUNS_FILE)
    assert list(runs.columns[: 2 + len(PARAMS) + 1]) == [
        "wave",
        "point",
        *PARAMS_IN_SCHEMA_ORDER,
        "replications",
    ]
    assert {"contacted_share_mean", "contacted_share_sd", "complaint_share_mean"} <= set(runs.columns)
    assert set(runs["wave"]) == {1, 2} and (runs["wave"] == 1).sum() == 8
    waves = pd.read_csv(out / WAVES_FILE)
    assert list(waves.columns) == list(WAVE_COLUMNS)
    targets = pd.read_csv(out / TARGETS_FILE)
    assert list(targets.columns) == list(TARGET_COLUMNS)
    # roles calibration: the parameter and validation targets on the baseline are checked, not used
    used = dict(zip(targets["target"], targets["used"], strict=True))
    assert used["contacted_share"] and not used["service_level_departures"]
    assert not used["departures_recorded_as_removals"]
    assert manifest["simulations"] == len(runs) and manifest["root_seed"] == 12345
    assert manifest["roles"] == ["calibration"] and manifest["git_commit"]
    assert [p["path"] for p in manifest["parameters"]] == PARAMS_IN_SCHEMA_ORDER
    assert "Not ruled out" in printed and "contact.success" in printed


def test_wave_two_points_lie_in_the_wave_one_non_implausible_set(calibrated: tuple[Path, str]) -> None:
    """Refit wave 1's emulators from calibration_runs.csv (one replication: the mean is the value;
    the fit is seeded, so the same GP) and check every wave-2 point passes wave 1's cut-off, while
    wave 1 did rule some of the space out (so the check has teeth)."""
    out, _ = calibrated
    manifest = json.loads((out / MANIFEST).read_text())
    bounds = [(p["low"], p["high"]) for p in manifest["parameters"]]
    runs = pd.read_csv(out / RUNS_FILE)
    w1, w2 = runs[runs["wave"] == 1], runs[runs["wave"] == 2]
    names = [p["path"] for p in manifest["parameters"]]
    u1 = hm.scale_unit(w1[names].to_numpy(float), bounds)
    obs = [
        hm.Observation(t["id"], t["measure"], t["published"], t["tolerance"], t["comparison"])
        for t in manifest["targets"]
    ]
    ems = {
        o.measure: hm.fit_emulator(o.measure, u1, w1[[f"{o.measure}_mean"]].to_numpy(float), seed=12345)
        for o in obs
    }
    i2 = hm.wave_implausibility(ems, obs, hm.scale_unit(w2[names].to_numpy(float), bounds))["max"]
    assert (i2 <= manifest["implausibility"]["cutoff"] + 1e-6).all()
    waves = pd.read_csv(out / WAVES_FILE).drop_duplicates("wave")
    assert 0 < waves["nroy_share"].iloc[0] < 1


def test_resume_reuses_every_stored_simulation(calibrated: tuple[Path, str], tmp_path: Path) -> None:
    import shutil

    out, _ = calibrated
    again = tmp_path / "again"
    shutil.copytree(out, again)
    assert cli.main([*CALIBRATE, "--out", str(again), "--resume", "--quiet"]) == 0
    manifest = json.loads((again / MANIFEST).read_text())
    assert manifest["simulations_run_this_time"] == 0
    assert manifest["simulations_resumed"] == manifest["simulations"] > 0
    pd.testing.assert_frame_equal(pd.read_csv(again / CALIBRATION_FILE), pd.read_csv(out / CALIBRATION_FILE))


def test_everything_ruled_out_is_reported_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A cut-off so small that no candidate survives: exit 0, an empty calibration.csv with its
    columns, and a message naming the closest candidate's worst target."""
    out = tmp_path / "empty"
    args = [a if a != "10" else "0.01" for a in CALIBRATE]
    assert cli.main([*args, "--out", str(out), "--waves", "2"]) == 0
    printed = capsys.readouterr().out
    assert "Every candidate is ruled out" in printed and "worst on" in printed
    nroy = pd.read_csv(out / CALIBRATION_FILE)
    assert nroy.empty and list(nroy.columns) == [*PARAMS_IN_SCHEMA_ORDER, "max_implausibility", "wave"]
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["status"] == "empty" and manifest["design"]["waves_run"] == 1
    # and uncertainty refuses to sample it
    code = cli.main(
        ["uncertainty", str(BASELINE), str(POLICY), "--from-calibration", str(out / CALIBRATION_FILE)]
    )
    assert code == 2 and "no rows" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--params", "nosuch.*"], "--params: 'nosuch.*' matches no ranged parameter"),
        (["--waves", "0"], "--waves: must be at least 1"),
        (["--cutoff", "0"], "--cutoff: must be a positive number"),
        (["--cutoff", "-2"], "--cutoff: must be a positive number"),
        (["--roles", "calibration,bogus"], "--roles: unknown role 'bogus'"),
        (["--roles", ""], "--roles: expected roles separated by commas"),
        (["--exclude", "nosuch"], "--exclude: 'nosuch' is not a target"),
        (["--points", "2"], "--points: must be at least 4"),
        (["--discrepancy", "-1"], "--discrepancy: must be zero or a positive number"),
        (["--targets-file", "nosuch.yaml"], "targets file not found"),
    ],
)
def test_bad_options_exit_2_with_a_message_and_write_nothing(
    extra: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert cli.main(["calibrate", str(BASELINE), *TINY_ARGS, *extra, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists()


def test_bad_scenarios_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert cli.main(["calibrate", str(tmp_path / "missing.yaml"), "--out", str(out)]) == 2
    assert "missing.yaml" in capsys.readouterr().err
    # a scenario no target is computed on
    assert cli.main(["calibrate", str(POLICY), *TINY_ARGS, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "no target with role calibration or parameter" in err and "baseline.yaml" in err
    assert not out.exists()


# ----------------------------------------------------------------------------------------------
# uncertainty --from-calibration
# ----------------------------------------------------------------------------------------------


def _calibration_csv(path: Path, rows: dict[str, list[float]]) -> Path:
    n = len(next(iter(rows.values())))
    frame = pd.DataFrame({**rows, "max_implausibility": [1.0] * n, "wave": [2] * n})
    frame.to_csv(path, index=False)
    return path


def test_draws_take_the_calibrated_parameters_from_the_file_rows(tmp_path: Path) -> None:
    ref = load_scenario(BASELINE)
    rows = {"contact.success": [0.95, 1.0, 1.05], "detention.beds": [30, 50, 70]}
    file = _calibration_csv(tmp_path / "calibration.csv", rows)
    pairs = set(zip(rows["contact.success"], rows["detention.beds"], strict=True))
    # a policy's own range on its lever is its effect size, not a calibrated value
    policy = ref.with_overrides(
        {"name": "beds25", "detention": {"beds": 25}, "uncertainty": {"detention.beds": [22, 28]}}
    )
    for samples, replace in ((3, False), (8, True)):
        _, draws, _ = calibrated_design(ref, [policy], samples, seed=5, from_calibration=str(file))
        got = [(d.values["contact.success"], d.values["detention.beds"]) for d in draws]
        assert set(got) <= pairs  # whole rows: the pairs of the file, never a mix
        if not replace:
            assert sorted(got) == sorted(pairs)  # without replacement: each row once
        others = [d.values["contact.agents"] for d in draws]
        assert len(set(others)) == samples  # the rest still by Latin hypercube
        levers = [d.values["beds25:detention.beds"] for d in draws]
        assert len(set(levers)) == samples and all(22 <= v <= 28 for v in levers)  # and the lever too


def test_uncertainty_from_calibration_records_it_and_uses_only_file_rows(tmp_path: Path) -> None:
    rows = {"contact.success": [0.95, 1.05], "cohort.already_departed_share": [0.03, 0.05]}
    file = _calibration_csv(tmp_path / "calibration.csv", rows)
    out = tmp_path / "unc"
    args = ["uncertainty", str(BASELINE), str(POLICY), "--cohort-size", "200", "--horizon", "120"]
    assert (
        cli.main([*args, "-s", "3", "-n", "1", "--from-calibration", str(file), "--out", str(out), "-q"]) == 0
    )
    drawn = pd.read_csv(out / "uncertainty_draws.csv")
    got = set(zip(drawn["contact.success"], drawn["cohort.already_departed_share"], strict=True))
    assert got <= set(zip(*rows.values(), strict=True))
    manifest = json.loads((out / "uncertainty_manifest.json").read_text())
    info = manifest["from_calibration"]
    assert info["file"] == str(file) and info["rows_in_file"] == 2
    assert sorted(info["parameters"]) == sorted(rows) and "with replacement" in info["sampling"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not found"),
        ("a,b\n1,2\n", "is not a calibration.csv"),
        ("nosuch.param,max_implausibility,wave\n1,1,1\n", "the reference has no range for nosuch.param"),
        ("contact.success,max_implausibility,wave\n5,1,1\n", "contact.success, row 2: 5 is outside"),
        ("contact.success,max_implausibility,wave\nabc,1,1\n", "contact.success, row 2: got 'abc'"),
        ("contact.success,max_implausibility,wave\n", "has no rows"),
    ],
)
def test_bad_calibration_files_exit_2(
    content: str | None, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "calibration.csv"
    if content is not None:
        file.write_text(content)
    out = tmp_path / "unc"
    code = cli.main(
        ["uncertainty", str(BASELINE), str(POLICY), "--from-calibration", str(file), "--out", str(out)]
    )
    err = capsys.readouterr().err
    assert code == 2 and message in err and "--from-calibration" in err and "Traceback" not in err
    assert not out.exists()
