"""``run_sim.py sweep``: parsing --param, every bad input (exit 2, nothing written), the grid, the
columns of sweep.csv, common random numbers across grid points, a monotone response (more beds never
more rejections for want of a bed) and the command end to end on a tiny cohort."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import cli
from sim.analysis.statistics import paired_difference
from sim.experiment.design import estimate
from sim.experiment.engine import ExecutionOptions
from sim.experiment.run import run_experiment
from sim.scenario.loading import load_scenario
from sim.studies.sweep.analysis import (
    EXTRA_COLUMNS,
    SWEEP_COLUMNS_1D,
    SWEEP_COLUMNS_2D,
    SWEEP_KPIS,
    sweep_table,
)
from sim.studies.sweep.grid import ParamSpec, build_grid, parse_spec, resolve
from sim.studies.sweep.run import run_sweep

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "scenarios" / "baseline.yaml"
TINY = ["--cohort-size", "300", "--horizon", "120"]
"""A replication in a few milliseconds."""
BUSY = {"cohort": {"initial_size": 2000}, "horizon_days": 365.0}
"""A small cohort with enough referrals to detention in a year for beds to bind."""


@pytest.fixture(scope="module")
def baseline():  # type: ignore[no-untyped-def]
    return load_scenario(BASELINE)


QUIET = ExecutionOptions(plots=False)
"""Options of the tests that need no figures."""

# ----------------------------------------------------------------------------------------------
# --param: the two forms
# ----------------------------------------------------------------------------------------------


def test_list_and_range_forms() -> None:
    assert parse_spec("detention.beds=10,20,40") == ParamSpec(
        "detention.beds", "detention.beds=10,20,40", values=(10.0, 20.0, 40.0)
    )
    assert parse_spec(" detention.beds = 20:120:6").span == (20.0, 120.0, 6)


def test_range_gives_evenly_spaced_values_whole_numbers_for_int_fields(baseline) -> None:  # type: ignore[no-untyped-def]
    (beds,) = resolve(baseline, [parse_spec("detention.beds=20:120:6")])
    assert beds.values == (20, 40, 60, 80, 100, 120) and beds.integer and beds.unit == "beds"
    assert all(isinstance(v, int) for v in beds.values)
    (odd,) = resolve(baseline, [parse_spec("detention.beds=0:10:4")])
    assert odd.values == (0, 3, 7, 10)
    (share,) = resolve(baseline, [parse_spec("cohort.already_departed_share=0.1:0.3:3")])
    assert share.values == (0.1, 0.2, 0.3) and not share.integer


def test_grid_1d_and_2d_product_names_and_distribution_fields(baseline) -> None:  # type: ignore[no-untyped-def]
    params = resolve(
        baseline,
        [
            parse_spec("detention.beds=10,40"),
            parse_spec("reporting.abscond_hazard_per_day=0.001,0.002,0.004"),
        ],
    )
    points = build_grid(baseline, params)
    assert [p.values for p in points] == [
        (10, 0.001), (10, 0.002), (10, 0.004), (40, 0.001), (40, 0.002), (40, 0.004)
    ]  # fmt: skip
    assert points[1].scenario.name == "baseline__detention.beds_10__reporting.abscond_hazard_per_day_0.002"
    assert points[1].scenario.detention.beds == 10
    assert points[1].scenario.reporting.abscond_hazard_per_day == 0.002
    assert "detention.beds = 10" in points[1].scenario.label
    # everything else is the scenario's own value
    assert points[0].scenario.contact == baseline.contact
    # a distribution's field: the family and its other fields are kept
    (mean,) = resolve(baseline, [parse_spec("detention.removal_planning_days.mean=15,60")])
    dist = build_grid(baseline, [mean])[1].scenario.detention.removal_planning_days
    old = baseline.detention.removal_planning_days
    assert (dist.dist, dist.mean, dist.cv) == (old.dist, 60.0, old.cv)


def test_estimate_scales_with_people_horizon_replications_and_workers(baseline) -> None:  # type: ignore[no-untyped-def]
    full = estimate([baseline], 1, 1).seconds
    assert 3 < full < 15
    small = baseline.with_overrides({"cohort": {"initial_size": 12_054}, "horizon_days": 274})
    assert estimate([small], 10, 2).seconds == pytest.approx(full * 0.1 * 0.5 * 10 / 2, rel=0.01)


# ----------------------------------------------------------------------------------------------
# Bad input: exit 2, a message naming the option and what is allowed, nothing written
# ----------------------------------------------------------------------------------------------

BAD = [
    (["--param", "detention.beds"], ["--param", "PATH=V1,V2"]),
    (["--param", "detention.beds=10"], ["at least two values"]),
    (["--param", "detention.beds=10,,20"], ["empty value"]),
    (["--param", "detention.beds=10,abc"], ["'abc' is not a number"]),
    (["--param", "detention.beds=10,inf"], ["not a finite number"]),
    (["--param", "detention.beds=1:5"], ["LO:HI:N"]),
    (["--param", "detention.beds=5:1:3"], ["LO must be below HI"]),
    (["--param", "detention.beds=1:5:1"], ["N must be at least 2"]),
    (["--param", "detention.beds=1:5:x"], ["not a whole number"]),
    (["--param", "detention.beds=1,2:3"], ["either a list", "or a range"]),
    (
        ["--param", "detention.bedz=1,2"],
        ["--param detention.bedz=1,2", "unknown parameter", "'detention.beds'"],
    ),
    (["--param", "nothing.like.it=1,2"], ["unknown parameter", "describe"]),
    (
        ["--param", "detention=1,2"],
        ["group of parameters", "detention.beds", "detention.bail_hazard_per_day"],
    ),
    (
        ["--param", "detention.removal_planning_days=1,2"],
        ["distribution", "removal_planning_days.mean", ".cv"],
    ),
    (["--param", "cohort.compliance.dist=1,2"], ["not a number", "'beta'"]),
    (["--param", "detention.beds=-1,5"], ["--param detention.beds=-1", "detention.beds: got -1", ">= 0"]),
    (["--param", "detention.beds=1.5,5"], ["detention.beds: got 1.5", "whole number"]),
    (["--param", "cohort.already_departed_share=0.5,1.5"], ["already_departed_share", "got 1.5"]),
    (["--param", "detention.beds=10,20,10"], ["value 10 given more than once"]),
    (["--param", "detention.beds=0:3:10"], ["whole number", "only 4 distinct"]),
    (["--param", "detention.beds=1,2", "--param", "detention.beds=3,4"], ["given twice"]),
    (
        [
            "--param",
            "detention.beds=1,2",
            "--param",
            "contact.max_attempts=2,3",
            "--param",
            "contact.agents=1,2",
        ],
        ["one parameter or two"],
    ),
    (
        ["--param", "cohort.initial_size=100,200", "--cohort-size", "300"],
        ["--cohort-size", "use one of them"],
    ),
    (["--param", "detention.beds=1,2", "--kpis", "removals"], ["--kpis", "unknown KPI 'removals'"]),
    (
        ["--param", "detention.beds=1,2", "--kpis", "removed_enforced,,contacted"],
        ["--kpis", "separated by commas"],
    ),
    (["--param", "detention.beds=1,2", "--kpis", "contacted,contacted"], ["--kpis", "given twice"]),
    ([], ["needs --param"]),
    (["--param", "detention.beds=1,2", "--replications", "0"], ["--replications", "at least 1"]),
]


@pytest.mark.parametrize(("extra", "expected"), BAD, ids=[" ".join(b[0])[:60] for b in BAD])
def test_bad_input_exits_2_naming_the_problem_and_writes_nothing(
    extra: list[str], expected: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    quick = TINY[2:] if "--cohort-size" in extra else TINY
    code = cli.main(["sweep", str(BASELINE), *quick, *extra, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    for text in expected:
        assert text in err, f"{text!r} not in {err!r}"
    assert not out.exists()


def test_bad_scenario_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("detention:\n  bedz: 3\n", encoding="utf-8")
    out = tmp_path / "out"
    assert cli.main(["sweep", str(bad), "--param", "detention.beds=1,2", "--out", str(out)]) == 2
    assert "detention.bedz" in capsys.readouterr().err and not out.exists()


# ----------------------------------------------------------------------------------------------
# sweep.csv
# ----------------------------------------------------------------------------------------------


def _summary(values: list[float], column: str = "removed_enforced") -> pd.DataFrame:
    return pd.DataFrame({"replication": range(len(values)), column: values})


def test_columns_exactly_as_required_then_extras() -> None:
    summaries = {"a": _summary([1, 2, 3]), "b": _summary([2, 4, 4])}
    one = sweep_table(["detention.beds"], [((10,), "a"), ((20,), "b")], summaries, ["removed_enforced"])
    assert list(one.columns) == [*SWEEP_COLUMNS_1D, *EXTRA_COLUMNS]
    assert list(SWEEP_COLUMNS_1D) == ["param", "value", "kpi", "mean", "ci_low", "ci_high", "n"]
    assert list(EXTRA_COLUMNS[:3]) == ["diff_vs_first", "diff_ci_low", "diff_ci_high"]
    first, second = one.to_dict("records")
    assert (first["param"], first["value"], first["kpi"], first["n"]) == (
        "detention.beds",
        10,
        "removed_enforced",
        3,
    )
    assert (first["diff_vs_first"], first["diff_ci_low"], first["diff_ci_high"]) == (0.0, 0.0, 0.0)
    assert second["mean"] == pytest.approx(10 / 3)
    want = paired_difference([1, 2, 3], [2, 4, 4])
    assert (second["diff_vs_first"], second["diff_ci_low"], second["diff_ci_high"]) == pytest.approx(want)
    two = sweep_table(["x", "y"], [((1, 5), "a"), ((1, 6), "b")], summaries, ["removed_enforced"])
    assert list(two.columns) == [*SWEEP_COLUMNS_2D, *EXTRA_COLUMNS]
    assert list(SWEEP_COLUMNS_2D[:4]) == ["param", "value", "param2", "value2"]
    assert two[["param2", "value2"]].values.tolist() == [["y", 5], ["y", 6]]


def test_pairing_is_by_replication_index() -> None:
    a = _summary([1.0, 2.0, 3.0])
    b = _summary([3.0, 4.0, 6.0]).iloc[::-1]  # same replications, other order
    table = sweep_table(["p"], [((0,), "a"), ((1,), "b")], {"a": a, "b": b}, ["removed_enforced"])
    assert table["diff_vs_first"].iloc[1] == pytest.approx(np.mean([2.0, 2.0, 3.0]))


# ----------------------------------------------------------------------------------------------
# Common random numbers and a monotone response
# ----------------------------------------------------------------------------------------------


def test_a_grid_point_equal_to_the_scenario_reproduces_run(baseline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    small = baseline.with_overrides({"cohort": {"initial_size": 300}, "horizon_days": 120.0})
    params = resolve(small, [parse_spec(f"detention.beds=5,{small.detention.beds}")])
    points = build_grid(small, params)
    sweep = run_sweep(small, params, points, tmp_path / "sweep", replications=3, root_seed=7, options=QUIET)
    alone = run_experiment([small], tmp_path / "run", replications=3, root_seed=7, options=QUIET)
    same = sweep.experiment.runs[1].summary
    assert same is not None and alone.runs[0].summary is not None
    pd.testing.assert_frame_equal(same.reset_index(drop=True), alone.runs[0].summary.reset_index(drop=True))


def test_more_beds_never_more_rejections_for_want_of_a_bed(baseline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    busy = baseline.with_overrides(BUSY)
    params = resolve(busy, [parse_spec("detention.beds=0,2,5,20")])
    points = build_grid(busy, params)
    kpis = ["detention_rejections_no_bed"]
    result = run_sweep(busy, params, points, tmp_path, kpis=kpis, replications=6, root_seed=3, options=QUIET)
    runs = result.experiment.runs
    column = [
        r.summary["detention_rejections_no_bed"].to_numpy(dtype=float) for r in runs if r.summary is not None
    ]
    for fewer, more in itertools.pairwise(column):
        _, low, _ = paired_difference(fewer, more)  # more beds minus fewer beds
        assert np.mean(more) <= np.mean(fewer) or low <= 0, "more beds gave more rejections for want of a bed"
    # and the test can fail: with no beds every referral is rejected, with 20 almost none are
    d, _, high = paired_difference(column[0], column[-1])
    assert d < 0 and high < 0
    means = result.table.set_index("value")["mean"]
    assert means[0] > means[20]


# ----------------------------------------------------------------------------------------------
# The command end to end
# ----------------------------------------------------------------------------------------------


def test_sweep_command_writes_csv_plots_and_manifest_and_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sweep"
    args = [
        "sweep",
        str(BASELINE),
        *TINY,
        "--param",
        "detention.beds=0,5",
        "-n",
        "2",
        "--seed",
        "5",
        "--out",
        str(out),
    ]
    assert cli.main(args) == 0
    printed = capsys.readouterr().out
    assert "2 grid points x 2 replications = 4 simulations" in printed and "estimate" in printed
    assert "detention.beds" in printed and "Removals" in printed
    frame = pd.read_csv(out / "sweep.csv")
    assert list(frame.columns) == [*SWEEP_COLUMNS_1D, *EXTRA_COLUMNS]
    assert set(frame["kpi"]) == set(SWEEP_KPIS)
    assert sorted(frame["value"].unique()) == [0, 5]
    manifest = json.loads((out / "sweep_manifest.json").read_text(encoding="utf-8"))
    assert manifest["root_seed"] == 5 and manifest["replications"] == 2
    assert manifest["params"][0]["path"] == "detention.beds" and manifest["params"][0]["values"] == [0, 5]
    assert "git_commit" in manifest and "sweep" in manifest["command_line"]
    for name in manifest["files"]:
        assert (out / name).is_file(), name
    assert any(f.endswith(".png") for f in manifest["files"])
    assert not (out / ".incomplete").exists()
    assert (out / "baseline__detention.beds_5" / "summary.csv").is_file()
    # --resume runs nothing again and writes the same table
    before = (out / "sweep.csv").read_bytes()
    assert cli.main([*args, "--resume", "--no-plots", "-q"]) == 0
    assert capsys.readouterr().out == ""
    again = json.loads((out / "sweep_manifest.json").read_text(encoding="utf-8"))
    assert again["replications_run_this_time"] == 0
    assert (out / "sweep.csv").read_bytes() == before
    assert not list(out.glob("*.png"))  # the old plots went with the old manifest


def test_help_lists_sweep_and_teaches(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    assert "sweep" in capsys.readouterr().out
    assert cli.main(["sweep", "--help"]) == 0
    text = capsys.readouterr().out
    needed_texts = ("examples:", "exit codes:", "sweep.csv", "PATH=LO:HI:N", "--resume", "--scheduler")
    for needed in (*needed_texts, "(default: 20)"):
        assert needed in text, needed
