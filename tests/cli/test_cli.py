"""The command line: files written, determinism across executors, errors, resume, help."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO, RUN_SIM, run_cli

from sim import cli
from sim.analysis.kpis import DEFAULT_KPIS, TABLE_KPIS, kpi
from sim.analysis.multiplicity import COMPARISON_COLUMNS
from sim.experiment import output
from sim.model.results import COST_ITEMS, SUMMARY_COLUMNS
from sim.scenario.describe import value_sources
from sim.scenario.loading import load_scenario

SMALL = ["--horizon", "120", "--cohort-size", "300"]
"""Overrides that make a replication take a few milliseconds."""

CSV_FILES = [
    "summary.csv",
    "outcomes.csv",
    "timeseries.csv",
    "resources.csv",
    "transitions.csv",
    "occupancy.csv",
    "summary_stats.csv",
]
STEER = "enforcement:\n  hidden_barrier_probability: 0.0\n"
SUMMARY_HEADER = [*SUMMARY_COLUMNS, *(f"cost_{item}_gbp" for item in COST_ITEMS)]


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def scenarios(tmp_path: Path) -> Path:
    d = tmp_path / "scenarios"
    d.mkdir()
    # hidden_barrier_probability 0 steers clear of a model InvariantError (a barrier emerging at
    # the detention gatekeeper for someone referred from casework leaves them in casework without
    # a state change); these tests are about the command line, not the model.
    write(d, "t.yaml", f"name: t\n{STEER}")
    write(d, "base.yaml", f"name: base\ntitle: Baseline\ncontact:\n  agents: 50\n  max_attempts: 4\n{STEER}")
    write(
        d,
        "digital.yaml",
        "extends: base.yaml\ntitle: Digital reporting\ncontact:\n  agents: 60\n"
        "reporting:\n  channel_mix: {in_person: 0.5, telephone: 0.2, digital: 0.3}\n",
    )
    return d


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def read_bytes(folder: Path, names: list[str] = CSV_FILES) -> dict[str, bytes]:
    return {n: (folder / n).read_bytes() for n in names}


# ----------------------------------------------------------------------------------------------
# run
# ----------------------------------------------------------------------------------------------


def test_run_writes_every_file_with_stable_columns(
    scenarios: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = cli.main(
        ["run", str(scenarios / "base.yaml"), "-n", "3", "--out", str(out), "--event-log", *SMALL]
    )
    assert code == 0
    folder = out / "base"
    for name in [*CSV_FILES, "event_log.parquet", "scenario.yaml", "manifest.json"]:
        assert (folder / name).is_file(), name
    assert not (folder / ".incomplete").exists()
    assert output.is_complete(folder)
    assert not list(folder.glob(".*.tmp"))
    assert len(list(folder.glob("*.png"))) >= 1

    summary = pd.read_csv(folder / "summary.csv")
    assert list(summary.columns) == SUMMARY_HEADER
    assert summary["replication"].tolist() == [0, 1, 2]
    assert list(pd.read_csv(folder / "outcomes.csv").columns) == ["replication", "state", "count"]
    assert list(pd.read_csv(folder / "timeseries.csv").columns) == ["replication", "day", "state", "count"]
    assert list(pd.read_csv(folder / "transitions.csv").columns) == [
        "replication",
        "from_state",
        "to_state",
        "cause",
        "count",
    ]
    for name in ("resources.csv", "occupancy.csv"):
        table = pd.read_csv(folder / name)
        assert table.columns[0] == "replication"
        assert sorted(table["replication"].unique()) == [0, 1, 2]
    stats = pd.read_csv(folder / "summary_stats.csv")
    assert list(stats.columns) == ["kpi", "mean", "ci_low", "ci_high", "sd", "n"]
    assert stats["kpi"].tolist() == list(DEFAULT_KPIS)
    log = pd.read_parquet(folder / "event_log.parquet")
    assert list(log.columns)[:2] == ["replication", "person"]
    assert sorted(log["replication"].unique()) == [0, 1, 2]

    m = manifest(folder)
    assert m["root_seed"] == 12345 and m["replications"] == 3
    assert m["overrides"] == {"horizon_days": 120.0, "cohort": {"initial_size": 300}}
    assert m["scenario"]["horizon_days"] == 120.0 and m["scenario"]["cohort"]["initial_size"] == 300
    assert m["scenario"]["contact"]["agents"] == 50
    assert m["executor"] == "serial" and m["workers"] == 1
    assert m["replications_run_this_time"] == 3
    assert m["total_events"] > 0
    assert m["python_version"].count(".") == 2
    assert "run" in m["command_line"] and "--event-log" in m["command_line"]
    for key in ("package_version", "git_commit", "start_time", "wall_time_seconds"):
        assert key in m
    assert set(m["files"]) == {p.name for p in folder.iterdir() if not p.name.startswith(".")}
    # scenario.yaml reproduces the run's resolved scenario
    resolved = load_scenario(folder / "scenario.yaml")
    assert resolved.model_dump(mode="json") == m["scenario"]

    printed = capsys.readouterr().out
    assert "95% CI" in printed
    for name in DEFAULT_KPIS:
        assert kpi(name).label in printed
    # money in £ million, like the plots: the mean is summary.csv's GBP mean / 1e6, 2 decimals
    cost_line = next(line for line in printed.splitlines() if line.startswith("Total cost (£ million)"))
    assert cost_line.split()[4] == f"{summary['total_cost_gbp'].mean() / 1e6:,.2f}"


def test_same_seed_gives_byte_identical_summary(scenarios: Path, tmp_path: Path) -> None:
    args = ["run", str(scenarios / "t.yaml"), "-n", "3", "--quiet", "--no-plots", *SMALL]
    assert cli.main([*args, "--out", str(tmp_path / "a")]) == 0
    assert cli.main([*args, "--out", str(tmp_path / "b")]) == 0
    assert cli.main([*args, "--out", str(tmp_path / "c"), "--seed", "7"]) == 0
    a, b, c = (tmp_path / x / "t" / "summary.csv" for x in "abc")
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_quiet_prints_nothing(scenarios: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["run", str(scenarios / "t.yaml"), "-n", "2", "-q", "--no-plots", "--out", str(tmp_path), *SMALL]
    assert cli.main(args) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_process_pool_gives_identical_results(
    scenarios: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sim.experiment.runners.cpu_count", lambda: 8)  # a pool even on 1 CPU
    common = ["run", str(scenarios / "t.yaml"), "-n", "4", "-q", "--no-plots", *SMALL]
    assert cli.main([*common, "--out", str(tmp_path / "serial")]) == 0
    assert cli.main([*common, "--out", str(tmp_path / "pool"), "--workers", "2"]) == 0
    serial, pool = tmp_path / "serial" / "t", tmp_path / "pool" / "t"
    assert read_bytes(serial) == read_bytes(pool)
    m = manifest(pool)
    assert m["executor"] == "process" and m["workers"] == 2
    assert m["replications_run_this_time"] == 4
    assert manifest(serial)["executor"] == "serial"


def test_dask_local_cluster_gives_identical_results(
    scenarios: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sim.experiment.runners.cpu_count", lambda: 8)  # 2 workers even on 1 CPU
    common = ["run", str(scenarios / "t.yaml"), "-n", "3", "-q", "--no-plots", *SMALL]
    assert cli.main([*common, "--out", str(tmp_path / "serial")]) == 0
    dask_args = [*common, "--out", str(tmp_path / "dask"), "--scheduler", "local", "--workers", "2"]
    assert cli.main(dask_args) == 0
    assert read_bytes(tmp_path / "serial" / "t") == read_bytes(tmp_path / "dask" / "t")
    m = manifest(tmp_path / "dask" / "t")
    assert m["executor"] == "dask" and m["scheduler"] == "local"


# ----------------------------------------------------------------------------------------------
# compare
# ----------------------------------------------------------------------------------------------


def test_compare_writes_comparison_and_each_scenario(
    scenarios: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    files = [str(scenarios / "base.yaml"), str(scenarios / "digital.yaml")]
    assert cli.main(["compare", *files, "-n", "3", "--out", str(out), *SMALL]) == 0
    comparison = pd.read_csv(out / "comparison.csv")
    assert list(comparison.columns) == COMPARISON_COLUMNS
    assert comparison["scenario"].unique().tolist() == ["base", "digital"]
    assert comparison["kpi"].tolist() == list(DEFAULT_KPIS) * 2
    ref = comparison[comparison["scenario"] == "base"]
    assert (ref[["diff_vs_reference", "diff_ci_low", "diff_ci_high"]] == 0).all().all()
    for name in ("base", "digital"):
        folder = out / name
        assert output.is_complete(folder)
        assert list(pd.read_csv(folder / "summary.csv")["replication"]) == [0, 1, 2]
    # common random numbers: same replication seeds in both scenarios
    seeds = [pd.read_csv(out / n / "summary.csv")["seed"].tolist() for n in ("base", "digital")]
    assert seeds[0] == seeds[1]
    assert output.is_complete(out, output.COMPARISON_MANIFEST)
    cm = json.loads((out / output.COMPARISON_MANIFEST).read_text())
    assert cm["reference"] == "base" and cm["replications"] == 3
    for name in cm["files"]:
        assert (out / name).is_file(), name
    assert len(list(out.glob("*.png"))) >= 1

    printed = capsys.readouterr().out
    assert "Baseline (reference)" in printed and "Digital reporting" in printed
    header = next(line for line in printed.splitlines() if line.startswith("Policy"))
    assert header.split("  ")[0] == "Policy"  # policies in rows, the main KPIs in columns
    assert [h.strip() for h in header.split("  ")[1:] if h.strip()] == [kpi(k).heading for k in TABLE_KPIS]
    assert "Cost (£m)" in header
    assert "* = its 95% simultaneous CI excludes 0" in printed


def test_compare_adaptive_stops_at_target_or_cap(scenarios: Path, tmp_path: Path) -> None:
    files = [str(scenarios / "base.yaml"), str(scenarios / "digital.yaml")]
    common = ["compare", *files, "-n", "2", "-q", "--no-plots", *SMALL]
    # an easy target is met by the first batch
    assert cli.main([*common, "--out", str(tmp_path / "easy"), "--target-halfwidth", "contacted=1e9"]) == 0
    m = manifest(tmp_path / "easy" / "base")
    assert m["replications"] == 2 and m["adaptive"]["met"] is True
    # an impossible target stops at the cap
    hard = [*common, "--out", str(tmp_path / "hard"), "--target-halfwidth", "total_cost_gbp=1e-9"]
    assert cli.main([*hard, "--max-replications", "4"]) == 0
    m = manifest(tmp_path / "hard" / "digital")
    assert m["replications"] == 4 and m["adaptive"]["met"] is False
    assert len(pd.read_csv(tmp_path / "hard" / "digital" / "summary.csv")) == 4


# ----------------------------------------------------------------------------------------------
# resume and incomplete folders
# ----------------------------------------------------------------------------------------------


def test_resume_runs_only_missing_replications(
    scenarios: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    args = ["run", str(scenarios / "t.yaml"), "-n", "4", "-q", "--no-plots", "--out", str(out), *SMALL]
    assert cli.main(args) == 0
    folder = out / "t"
    first = read_bytes(folder)
    # an interrupted run: one replication and the final files missing
    shutil.rmtree(folder / ".parts" / "rep_000002")
    for name in ("summary.csv", "timeseries.csv", "manifest.json"):
        (folder / name).unlink()
    assert cli.main([*args, "--resume"]) == 0
    m = manifest(folder)
    assert m["replications_run_this_time"] == 1 and m["replications_resumed"] == 3
    assert read_bytes(folder) == first

    # resuming with another seed must not reuse the parts
    capsys.readouterr()
    assert cli.main([*args, "--resume", "--seed", "99"]) == 0
    assert "starting over" in capsys.readouterr().err
    assert manifest(folder)["replications_run_this_time"] == 4

    # without --resume everything is run again
    assert cli.main([*args, "--seed", "99"]) == 0
    assert manifest(folder)["replications_run_this_time"] == 4


def test_failed_run_leaves_folder_marked_incomplete(
    scenarios: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    args = ["run", str(scenarios / "t.yaml"), "-n", "2", "-q", "--out", str(out), *SMALL]
    assert cli.main([*args, "--no-plots"]) == 0
    assert output.is_complete(out / "t")

    import sim.analysis.plots

    def broken(*_args: object, **_kw: object) -> list[Path]:
        raise RuntimeError("plotting bug")

    monkeypatch.setattr(sim.analysis.plots, "plot_run", broken)
    with pytest.raises(RuntimeError, match="plotting bug"):
        cli.main(args)
    folder = out / "t"
    assert (folder / ".incomplete").exists()
    assert not (folder / "manifest.json").exists()  # the old run's manifest is gone too
    assert not output.is_complete(folder)
    assert not list(folder.glob(".*.tmp"))


# ----------------------------------------------------------------------------------------------
# bad input: exit code 2, a message naming the file and field, no traceback, nothing written
# ----------------------------------------------------------------------------------------------

BAD_FILES = {
    "yaml_syntax": ("name: [oops\n", "YAML syntax error"),
    "unknown_key": ("contact:\n  agnets: 3\n", "contact.agnets"),
    "wrong_type": ("contact:\n  agents: many\n", "contact.agents"),
    "probability": ("departure:\n  assisted_share: 1.5\n", "departure.assisted_share"),
    "negative_capacity": ("detention:\n  beds: -1\n", "detention.beds"),
    "distribution": ("contact:\n  call_minutes: {dist: uniform, low: 5, high: 2}\n", "contact.call_minutes"),
    "shares": ("cohort:\n  details: {none: 0.5, partial: 0.4, good: 0.2}\n", "cohort.details"),
    "extends_cycle": ("extends: other.yaml\n", "extends cycle"),
    "dot_name": ("name: '..'\n", "name: got '..'"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_scenario_exits_2_without_writing(case: str, scenarios: Path, tmp_path: Path) -> None:
    text, expected = BAD_FILES[case]
    bad = write(scenarios, f"{case}.yaml", text)
    if case == "extends_cycle":
        write(scenarios, "other.yaml", f"extends: {bad.name}\n")
    out = tmp_path / "out"
    # the good reference comes first: nothing may be written before every file is validated
    result = run_cli("compare", scenarios / "t.yaml", bad, "--out", out, *SMALL, "-n", "1")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{case}.yaml" in result.stderr
    assert expected in result.stderr
    if case == "unknown_key":
        assert "did you mean 'agents'" in result.stderr
    assert not out.exists()


def test_missing_file_exits_2(scenarios: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("run", scenarios / "nope.yaml", "--out", out)
    assert result.returncode == 2
    assert "nope.yaml" in result.stderr and "not found" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    "extra",
    [
        ["--replications", "0"],
        ["--workers", "0"],
        ["--seed", "-1"],
        ["--horizon", "abc"],
        ["--horizon", "-5"],
        ["--cohort-size", "-1"],
        ["--bogus"],
    ],
)
def test_bad_cli_values_exit_2(extra: list[str], scenarios: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = cli.main(["run", str(scenarios / "t.yaml"), "--out", str(out), *extra])
    assert code == 2
    assert not out.exists()


def test_bad_target_and_out_path_exit_2(
    scenarios: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [str(scenarios / "base.yaml"), str(scenarios / "digital.yaml")]
    out = tmp_path / "out"
    code = cli.main(["compare", *files, "--out", str(out), "--target-halfwidth", "contactd=5"])
    assert code == 2 and "did you mean 'contacted'" in capsys.readouterr().err
    assert cli.main(["compare", *files, "--out", str(out), "--target-halfwidth", "contacted"]) == 2
    assert not out.exists()
    a_file = write(tmp_path, "taken", "")
    assert cli.main(["run", files[0], "--out", str(a_file)]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert a_file.read_text() == ""


# ----------------------------------------------------------------------------------------------
# validate, describe, help
# ----------------------------------------------------------------------------------------------


def test_validate(scenarios: Path) -> None:
    bad = write(scenarios, "bad.yaml", "departure:\n  assisted_share: 2\n")
    result = run_cli("validate", scenarios / "base.yaml", scenarios / "digital.yaml", bad)
    assert result.returncode == 2
    assert f"OK {scenarios / 'base.yaml'} (base)" in result.stdout
    assert f"OK {scenarios / 'digital.yaml'} (digital)" in result.stdout
    assert "bad.yaml: departure.assisted_share" in result.stderr
    assert "Traceback" not in result.stderr
    assert run_cli("validate", scenarios / "t.yaml").returncode == 0


def test_describe_names_the_file_that_set_each_value(
    scenarios: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(scenarios)
    assert cli.main(["describe", "digital.yaml"]) == 0
    text = capsys.readouterr().out
    flat = " ".join(text.split())  # cells wrap within their columns
    assert "Digital reporting" in text
    assert "base.yaml -> digital.yaml" in text
    assert "[set in digital.yaml]" in flat and "[set in base.yaml]" in flat
    assert value_sources("digital.yaml") == {
        "contact.agents": "digital.yaml",  # set in both files: the child, which set it last
        "contact.max_attempts": "base.yaml",
        "enforcement.hidden_barrier_probability": "base.yaml",
        "reporting.channel_mix.in_person": "digital.yaml",
        "reporting.channel_mix.telephone": "digital.yaml",
        "reporting.channel_mix.digital": "digital.yaml",
    }

    assert cli.main(["describe", "digital.yaml", "--markdown"]) == 0
    md = capsys.readouterr().out
    row = next(line for line in md.splitlines() if line.startswith("| contact.max_attempts |"))
    assert row.endswith("[set in base.yaml] |")
    row = next(line for line in md.splitlines() if line.startswith("| contact.agents |"))
    assert "| 60 |" in row and row.endswith("[set in digital.yaml] |")
    row = next(line for line in md.splitlines() if line.startswith("| contact.call_minutes.mean |"))
    assert "[set in" not in row  # a documented default


def test_describe_bad_file_exits_2(scenarios: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = write(scenarios, "bad.yaml", "contact:\n  agnets: 3\n")
    assert cli.main(["describe", str(bad)]) == 2
    assert "contact.agnets" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["run", "compare", "validate", "describe"])
def test_help_teaches(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([command, "--help"]) == 0
    text = capsys.readouterr().out
    assert "examples:" in text and "exit codes:" in text and "run_sim.py " + command in text
    if command in ("run", "compare"):
        assert "summary.csv" in text or "comparison.csv" in text
        assert "--replications" in text and "(default: 20)" in text


def test_no_command_and_help_via_subprocess() -> None:
    result = run_cli("--help")
    assert result.returncode == 0 and "exit codes:" in result.stdout
    assert run_cli().returncode == 2


# ----------------------------------------------------------------------------------------------
# the package: entry points, defaults, exit codes, start-up cost, wording
# ----------------------------------------------------------------------------------------------

HEAVY = ("pandas", "scipy", "matplotlib", "simpy")
"""Packages that take seconds to import; validate and --help must not load them."""


def imported_modules(*args: str | Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``python -X importtime run_sim.py ARGS`` and return the result and every module it imported."""
    result = run_cli(*args, cwd=REPO, flags=("-X", "importtime"))
    modules = {
        line.split("|")[-1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    return result, modules


@pytest.mark.parametrize(
    "args",
    [["validate", "scenarios/baseline.yaml"], ["--help"], ["run", "--help"], ["compare", "--help"]],
    ids=["validate", "help", "run-help", "compare-help"],
)
def test_validate_and_help_do_not_import_heavy_packages(args: list[str]) -> None:
    result, modules = imported_modules(*args)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "sim.cli" in modules and "sim.cli.parser" in modules  # the listing was read
    assert sorted(m for m in modules if m.split(".")[0] in HEAVY) == []
    if args[0] == "validate":
        assert "OK scenarios/baseline.yaml (baseline)" in result.stdout


def test_heavy_import_check_can_fail() -> None:
    """The listing does show a heavy package when one is imported (so the test above can fail)."""
    _, modules = imported_modules("run", "--help")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    probe = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import sim.cli, pandas"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert probe.returncode == 0
    assert "pandas" in {ln.split("|")[-1].strip() for ln in probe.stderr.splitlines() if "|" in ln}
    assert "pandas" not in modules


def test_parser_defaults_come_from_the_experiment_defaults() -> None:
    from sim.cli import build_parser
    from sim.experiment import defaults

    parser = build_parser()
    for command in (["run", "s.yaml"], ["compare", "a.yaml", "b.yaml"]):
        args = parser.parse_args(command)
        assert args.replications == defaults.DEFAULT_REPLICATIONS
        assert args.seed == defaults.DEFAULT_SEED
    assert parser.parse_args(["compare", "a.yaml", "b.yaml"]).max_replications is None  # cap set later
    cli_sources = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "sim" / "cli").glob("*.py"))
    for name in ("DEFAULT_REPLICATIONS", "DEFAULT_SEED", "DEFAULT_MAX_REPLICATIONS"):
        assert f"{name} =" not in cli_sources and f"{name}: int =" not in cli_sources


def test_entry_point_and_run_sim_call_the_same_main() -> None:
    from importlib.metadata import entry_points

    import sim.cli

    (script,) = [ep for ep in entry_points(group="console_scripts") if ep.name == "contact-sim"]
    assert script.value == "sim.cli:main"
    assert script.load() is sim.cli.main
    assert "from sim.cli import main" in RUN_SIM.read_text(encoding="utf-8")


def test_interrupt_exits_130_and_says_how_to_resume(
    scenarios: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sim.experiment.run

    def interrupted(*_args: object, **_kw: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.experiment.run, "run_experiment", interrupted)
    code = cli.main(["run", str(scenarios / "t.yaml"), "--out", str(tmp_path / "out"), *SMALL])
    assert code == 130
    err = capsys.readouterr().err
    assert "interrupted" in err and "--resume" in err and str(tmp_path / "out" / "t" / ".parts") in err


def test_text_helpers() -> None:
    from sim.cli.text import adaptive_text
    from sim.studies.options import flat_overrides

    assert flat_overrides({"horizon_days": 120.0, "cohort": {"initial_size": 300}}) == [
        "horizon_days=120",
        "cohort.initial_size=300",
    ]
    adaptive = {
        "met": False,
        "max_replications": 40,
        "targets": {"total_cost_gbp": 50_000.0, "contacted": 5.0},
        "halfwidths": {"digital": {"total_cost_gbp": 61_234.4, "contacted": 4.25}},
    }
    assert adaptive_text(adaptive, 40).splitlines() == [
        "Adaptive replications: stopped at the cap of 40 after 40 replications per policy.",
        "  digital: total_cost_gbp half-width 61,234 GBP (target 50,000 GBP) not met",
        "  digital: contacted half-width 4.25 people (target 5 people) ok",
    ]


def test_study_option_defaults_are_the_request_defaults() -> None:
    """sensitivity's and calibrate's options default to their request's fields (written once)."""
    from sim.cli import build_parser
    from sim.studies.calibration.request import CalibrationRequest
    from sim.studies.sensitivity.request import SensitivityRequest

    parser = build_parser()
    for argv, request, names in (
        (
            ["sensitivity", "s.yaml"],
            SensitivityRequest(),
            ("method", "groups", "top", "trajectories", "levels", "samples", "replications"),
        ),
        (
            ["calibrate"],
            CalibrationRequest(),
            ("waves", "replications", "candidates", "cutoff", "discrepancy"),
        ),
    ):
        args = vars(parser.parse_args(argv))
        assert {n: args[n] for n in names} == {n: getattr(request, n) for n in names}
