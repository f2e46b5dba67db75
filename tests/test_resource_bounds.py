"""Issue 19, part C: resource bounds. Every size-like request is estimated (time and memory) before
anything that grows with it is built or run, and past the budget it stops with exit 2 unless
given --yes; --workers is capped at what helps; killing the parent leaves no worker alive.

None of these runs anything at size: the big cases must be refused (the design samplers are made
to fail the test if reached), and the small ones use tiny cohorts.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from sim import cli
from sim.experiment import design, runners
from sim.experiment.design import Budget, afford, estimate
from sim.experiment.errors import ExperimentError
from sim.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = str(ROOT / "scenarios" / "baseline.yaml")
POLICY = str(ROOT / "scenarios" / "remote_reporting.yaml")
TINY = ["--cohort-size", "200", "--horizon", "60"]


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def no_designs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sampling a design or drawing the uncertainty's hypercube fails the test: the estimate must
    stop the command before it builds what grows with the request."""

    def built(*args: object, **kwargs: object) -> None:
        raise AssertionError("the design was built before the estimate stopped it")

    from sim.studies.sensitivity import analysis
    from sim.studies.uncertainty import analysis as ua

    monkeypatch.setattr(analysis, "morris_design", built)
    monkeypatch.setattr(analysis, "sobol_design", built)
    monkeypatch.setattr(ua, "latin_hypercube", built)


# ---------------------------------------------------------------------------------------------
# --workers: capped at the simulations and the CPUs
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "simulations", "cpus", "workers", "why"),
    [
        (16, 2, 8, 2, "no more than the 2 simulations to run"),
        (1000, 500, 4, 4, "no more than the 4 CPUs this process may use"),
        (3, 100, 2, 2, "no more than the 2 CPUs"),
        (2, 100, 8, 2, ""),
        (1, 1, 1, 1, ""),
    ],
)
def test_workers_are_capped_at_what_helps(
    monkeypatch: pytest.MonkeyPatch, requested: int, simulations: int, cpus: int, workers: int, why: str
) -> None:
    monkeypatch.setattr(runners, "cpu_count", lambda: cpus)
    got, reason = runners.useful_workers(requested, simulations)
    assert got == workers
    assert reason.startswith(why) and (reason == "") == (why == "")


def test_cpu_count_is_this_process_affinity() -> None:
    if hasattr(os, "sched_getaffinity"):
        assert runners.cpu_count() == len(os.sched_getaffinity(0))
    assert runners.cpu_count() >= 1


def test_workers_16_for_2_replications_start_2_processes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(runners, "cpu_count", lambda: 8)
    out = tmp_path / "r"
    code, _, err = run_cli(
        ["run", BASELINE, *TINY, "-n", "2", "-w", "16", "--no-plots", "--out", str(out)], capsys
    )
    assert code == 0, err
    assert "note: --workers 16 capped at 2: no more than the 2 simulations to run" in err
    manifest = json.loads((out / "baseline" / "manifest.json").read_text())
    assert manifest["workers"] == 2 and manifest["executor"] == "process"


def test_workers_capped_at_cpus_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(runners, "cpu_count", lambda: 1)
    out = tmp_path / "r"
    code, _, err = run_cli(
        ["run", BASELINE, *TINY, "-n", "2", "-w", "1000", "--no-plots", "--out", str(out)], capsys
    )
    assert code == 0, err
    assert "note: --workers 1000 capped at 1: no more than the 1 CPUs this process may use" in err
    assert json.loads((out / "baseline" / "manifest.json").read_text())["executor"] == "serial"


# ---------------------------------------------------------------------------------------------
# the estimate: time and memory, from the scenarios and counts only
# ---------------------------------------------------------------------------------------------


def test_estimate_counts_memory_of_people_snapshots_attempts_and_workers() -> None:
    base = load_scenario(BASELINE)
    full = estimate([base], 1, 1)
    # the measured full cohort: ~130 MB of process and ~214 MB of replication
    assert 300e6 < full.memory < 400e6
    bigger = base.with_overrides({"cohort": {"initial_size": 2 * base.cohort.initial_size}})
    assert estimate([bigger], 1, 1).memory - full.memory == pytest.approx(
        base.cohort.initial_size * design.BYTES_PER_PERSON, rel=0.01
    )
    longer = base.with_overrides({"cohort": {"initial_size": 1}, "horizon_days": 70_000})
    assert estimate([longer], 1, 1).memory > design.PROCESS_BYTES + 10_000 * design.BYTES_PER_SNAPSHOT
    attempts = base.with_overrides({"contact": {"max_attempts": 60_000}})
    assert estimate([attempts], 1, 1).memory > 30e9  # chunks of 16,384 people x 60,000 slots
    assert estimate([attempts], 1, 1).seconds > full.seconds * 10
    # two workers each hold a replication, and a process of their own
    replication = full.memory - design.PROCESS_BYTES - design.BYTES_PER_VARIANT - design.BYTES_PER_SIMULATION
    parent = design.PROCESS_BYTES + design.BYTES_PER_VARIANT + 4 * design.BYTES_PER_SIMULATION
    two = estimate([base], 4, 2)
    assert two.memory == pytest.approx(parent + 2 * (design.PROCESS_BYTES + replication))
    assert two.seconds == pytest.approx(full.seconds * 2)
    # a design of N points: N variants held by the parent, N x R simulations
    points = estimate([base], 2, 1, repeat=1000)
    assert points.simulations == 2000
    assert points.memory > full.memory + 1000 * design.BYTES_PER_VARIANT


def test_afford_stops_past_the_budget_unless_yes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(design, "machine_memory", lambda: 16e9)
    slow = design.Estimate(seconds=31 * 60, memory=1e9, simulations=10, workers=1)
    with pytest.raises(
        ExperimentError, match=r"estimated 31 min .* over 30 minutes, so nothing was run; give --yes"
    ):
        afford(slow, yes=False)
    afford(slow, yes=True)
    afford(design.Estimate(29 * 60, 7.9e9, 10, 1), yes=False)  # under both thresholds
    big = design.Estimate(seconds=60, memory=9e9, simulations=10, workers=1)
    with pytest.raises(ExperimentError, match=r"over 50% of this machine's 16 GB of memory"):
        afford(big, yes=False)
    afford(big, yes=True)
    huge = design.Estimate(seconds=60, memory=17e9, simulations=10, workers=1)
    with pytest.raises(ExperimentError, match="cannot run, even with --yes"):
        afford(huge, yes=True)


def test_budget_caps_workers_only_for_local_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runners, "cpu_count", lambda: 2)
    base = load_scenario(BASELINE).with_overrides({"cohort": {"initial_size": 200}})
    local = Budget(workers=64)
    assert local.check([base], 3).workers == 2 and local.notes
    remote = Budget(workers=64, scheduler="tcp://10.0.0.5:8786")
    remote.check([base], 3)
    assert remote.workers == 64 and not remote.notes


# ---------------------------------------------------------------------------------------------
# the adversarial corpus: huge requests stop before any work, exit 2, no traceback
# ---------------------------------------------------------------------------------------------

HUGE = [
    pytest.param(["run", BASELINE, "--cohort-size", "1000000000000", "-n", "2"], id="cohort-1e12"),
    pytest.param(["run", BASELINE, "--cohort-size", "100000000", "-n", "2"], id="cohort-1e8"),
    pytest.param(["run", BASELINE, "--horizon", "1e9", "--cohort-size", "200", "-n", "2"], id="horizon-1e9"),
    pytest.param(
        ["run", BASELINE, "--cohort-size", "200", "--replications", "1000000000"], id="replications-1e9"
    ),
    pytest.param(["compare", BASELINE, POLICY, "--replications", "1000000"], id="compare-replications"),
    pytest.param(  # the first batch (20 each) is within the threshold, the cap (200 each) is not
        ["compare", BASELINE, POLICY, "--target-halfwidth", "total_cost_gbp=1", "--horizon", "1500"],
        id="compare-stopping-rule",
    ),
    pytest.param(["sensitivity", BASELINE, "--trajectories", "100000"], id="sensitivity-trajectories"),
    pytest.param(["sensitivity", BASELINE, "--method", "sobol", "--samples", "1048576"], id="sobol-samples"),
    pytest.param(["uncertainty", BASELINE, POLICY, "--samples", "100000000"], id="uncertainty-samples"),
    pytest.param(["sweep", BASELINE, "--param", "detention.beds=10:400:30"], id="sweep-full-cohort"),
    pytest.param(
        ["calibrate", BASELINE, "--points", "100000", "--candidates", "100000"], id="calibrate-points"
    ),
    pytest.param(["calibrate", BASELINE, "--candidates", "1000000000"], id="calibrate-candidates"),
    pytest.param(["targets", "-n", "100000"], id="targets-replications"),
]


@pytest.mark.parametrize("args", HUGE)
@pytest.mark.usefixtures("no_designs")
def test_huge_requests_stop_with_their_estimate(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)  # targets and calibrate read their default files from the repository
    out = tmp_path / "out"
    code, stdout, err = run_cli([*args, "--out", str(out)], capsys)
    assert code == 2, err
    assert "Traceback" not in err and stdout == ""
    assert err.startswith("run_sim.py: error: ") and " simulations, estimated " in err
    assert "so nothing was run; give --yes" in err or "cannot run, even with --yes" in err
    assert not out.exists()


def test_too_many_attempts_in_a_scenario_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """100,000,000 attempts a round: the schema's bound (a round's random numbers would overlap the
    next's past 65,535), with the file and field, in validate as in run."""
    file = tmp_path / "attempts.yaml"
    file.write_text(f"extends: {BASELINE}\nname: attempts\ncontact:\n  max_attempts: 100000000\n")
    out = tmp_path / "out"
    code, _, err = run_cli(["run", str(file), "-n", "2", *TINY, "--out", str(out)], capsys)
    assert code == 2 and "Traceback" not in err
    assert f"{file}: contact.max_attempts: got 100000000; must be in [1, 65535]" in err
    assert not out.exists()
    code, _, err = run_cli(["validate", str(file)], capsys)
    assert code == 2 and "contact.max_attempts" in err


def test_a_run_of_nobody_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--cohort-size 0 on a closed cohort would finish at once with every outcome 0 and read as a
    result; with an inflow (the 2024 baseline) an empty start is an open population, and allowed."""
    out = tmp_path / "out"
    code, _, err = run_cli(["run", BASELINE, "--cohort-size", "0", "-n", "1", "--out", str(out)], capsys)
    assert code == 2 and "Traceback" not in err and not out.exists()
    assert "cohort: nobody enters: initial_size and inflow_per_week are both 0" in err
    open_population = str(ROOT / "scenarios" / "2024" / "baseline.yaml")
    code, _, err = run_cli(["validate", open_population], capsys)  # initial_size: 0
    assert code == 0, err


def test_many_attempts_within_the_bound_are_estimated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """60,000 attempts a round on the full cohort: tens of GB for the contact plan."""
    file = tmp_path / "attempts.yaml"
    file.write_text(f"extends: {BASELINE}\nname: attempts\ncontact:\n  max_attempts: 60000\n")
    code, _, err = run_cli(["run", str(file), "-n", "2", "--out", str(tmp_path / "out")], capsys)
    assert code == 2 and " GB of memory" in err and "Traceback" not in err


def test_yes_runs_past_the_time_threshold(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(design, "MAX_SECONDS", 0.0)  # every run is "too long"
    args = ["sweep", BASELINE, "--param", "detention.beds=10,20", *TINY, "-n", "2", "-q", "--no-plots"]
    code, _, err = run_cli([*args, "--out", str(tmp_path / "no")], capsys)
    assert code == 2 and "over 0 minutes, so nothing was run; give --yes" in err
    assert not (tmp_path / "no").exists()
    code, _, err = run_cli([*args, "--yes", "--out", str(tmp_path / "yes")], capsys)
    assert code == 0, err
    assert (tmp_path / "yes" / "sweep.csv").is_file()


def test_intro_prints_time_and_memory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["sensitivity", BASELINE, "--groups", "section", "--trajectories", "2", *TINY, "-n", "1"]
    code, out, err = run_cli([*args, "--no-plots", "--out", str(tmp_path / "s")], capsys)
    assert code == 0, err
    assert " simulations; estimated " in out and " of memory on 1 worker" in out


# ---------------------------------------------------------------------------------------------
# no orphans: killing the parent leaves no worker alive
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGKILL", "SIGHUP", "SIGINT"])
def test_no_worker_outlives_its_parent(sig: str, tmp_path: Path) -> None:
    number = getattr(signal, sig)
    args = [sys.executable, str(ROOT / "run_sim.py"), "compare", BASELINE, POLICY, "--cohort-size", "3000"]
    args += ["-n", "200", "-w", "2", "--yes", "-q", "--no-plots", "--out", str(tmp_path / "c")]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open(tmp_path / "stderr", "w") as err:  # a file: a live worker would hold a pipe open
        parent = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=err)
    workers: list[psutil.Process] = []
    try:
        me = psutil.Process(parent.pid)
        deadline = time.monotonic() + 180  # seconds when idle; a loaded machine can take a minute
        while time.monotonic() < deadline and parent.poll() is None:
            workers = [p for p in me.children(recursive=True) if "spawn_main" in " ".join(p.cmdline())]
            if len(workers) >= 2 and any(p.cpu_times().user > 1.0 for p in workers):
                break  # started and running replications
            time.sleep(0.2)
        assert len(workers) == 2, "the pool did not start"
        every = me.children(recursive=True)  # the workers and multiprocessing's resource tracker
        parent.send_signal(number)
        code = parent.wait(timeout=60)  # ending the pool takes seconds; a loaded machine, more
        _, alive = psutil.wait_procs(every, timeout=5)
        assert not alive, f"alive 5 s after the parent's {sig}: {[p.pid for p in alive]}"
        if sig != "SIGKILL":
            assert code in (128 + number, -number)
            text = (tmp_path / "stderr").read_text()
            assert "Traceback" not in text and "--resume" in text
    finally:
        for p in [*workers, psutil.Process(parent.pid) if parent.poll() is None else None]:
            if p is not None and p.is_running():
                p.kill()
