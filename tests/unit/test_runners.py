"""Executors and lost workers: a dead worker process costs a re-run, not the whole comparison."""

from __future__ import annotations

import functools
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import lost_worker
import pytest

from sim.experiment import engine, output, parts
from sim.experiment import run as run_module
from sim.experiment.compare import run_comparison
from sim.experiment.engine import ExecutionOptions
from sim.experiment.runners import (
    MAX_RETRIES,
    DaskRunner,
    ProcessRunner,
    Runner,
    WorkerLostError,
    lost_worker_error,
)
from sim.experiment.worker import ReplicationFn
from sim.scenario.schema import Scenario

STEER = {"enforcement": {"hidden_barrier_probability": 0.0}}  # see the note in test_cli.py
COMPARED = [*output.TABLE_FILES.values(), output.SUMMARY_FILE, output.STATS_FILE]


QUIET = ExecutionOptions(plots=False)
"""Options of the tests that need no figures."""


def small(name: str = "t", **over: object) -> Scenario:
    return Scenario(name=name).with_overrides(
        {"horizon_days": 120.0, "cohort": {"initial_size": 300}, **STEER, **over}
    )


def use_runner(monkeypatch: pytest.MonkeyPatch, make: Callable[[], Runner]) -> list[Runner]:
    """Make the engine use ``make()`` as its executor; returns the runners made."""
    made: list[Runner] = []

    def factory(workers: int, scheduler: str | None, replicate: ReplicationFn) -> Runner:
        made.append(make())
        return made[-1]

    monkeypatch.setattr(engine, "make_runner", factory)
    return made


def pool(replicate: ReplicationFn) -> Callable[[], Runner]:
    return lambda: ProcessRunner(2, replicate)


def dask(replicate: ReplicationFn) -> Callable[[], Runner]:
    return lambda: DaskRunner("local", 2, replicate)


def same_tables(a: Path, b: Path, names: list[str]) -> None:
    for name in names:
        for file in COMPARED:
            assert (a / name / file).read_bytes() == (b / name / file).read_bytes(), f"{name}/{file}"


def test_pool_replaces_a_worker_killed_mid_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scenarios = [small("a"), small("b", contact={"agents": 60})]
    kw = {"replications": 4, "root_seed": 3}
    run_comparison(scenarios, tmp_path / "calm", options=QUIET, **kw)

    marks = tmp_path / "marks"
    marks.mkdir()
    kill_1_once = functools.partial(lost_worker.die_once, str(marks), frozenset({1}))
    made = use_runner(monkeypatch, pool(kill_1_once))
    messages: list[str] = []
    options = ExecutionOptions(plots=False, on_message=messages.append)
    done = run_comparison(scenarios, tmp_path / "stormy", options=options, **kw)

    assert (marks / "died_1").exists()  # the worker running replication 1 really died
    runner = made[0]
    assert isinstance(runner, ProcessRunner) and runner.restarts == 1
    assert done.ran_this_time == 8
    assert len(messages) == 1 and "worker process died" in messages[0] and "#1" in messages[0]
    same_tables(tmp_path / "calm", tmp_path / "stormy", ["a", "b"])
    assert (tmp_path / "calm" / output.COMPARISON_FILE).read_bytes() == (
        tmp_path / "stormy" / output.COMPARISON_FILE
    ).read_bytes()


def test_pool_gives_up_on_a_replication_that_always_kills_its_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    use_runner(monkeypatch, pool(functools.partial(lost_worker.always_die, str(marks), 2)))
    with pytest.raises(WorkerLostError) as info:
        run_module.run_experiment(
            [small("doomed")], tmp_path / "out", replications=5, root_seed=1, options=QUIET
        )

    err = info.value
    assert (err.scenario, err.replication, err.attempts) == ("doomed", 2, MAX_RETRIES + 1)
    assert lost_worker.attempts(marks, 2) == MAX_RETRIES + 1  # the first run and the retries alone
    text = str(err)
    assert "replication 2" in text and "'doomed'" in text and f"{MAX_RETRIES + 1} attempts" in text
    assert "kept" in text and "--resume" in text
    # every other replication finished and is stored; the folder is not complete
    folder = tmp_path / "out" / "doomed"
    store = parts.PartStore(folder, run_module.run_key(small("doomed"), 1, False), keep_log=False)
    assert store.existing() == [0, 1, 3, 4]
    assert all(store.read(k) is not None for k in (0, 1, 3, 4))
    assert not output.is_complete(folder)


def test_a_replications_own_exception_is_not_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    made = use_runner(monkeypatch, pool(functools.partial(lost_worker.fail, str(marks), 1)))
    with pytest.raises(ValueError, match="replication 1 is broken"):
        run_module.run_experiment([small()], tmp_path / "out", replications=3, root_seed=1, options=QUIET)
    assert lost_worker.attempts(marks, 1) == 1
    assert isinstance(made[0], ProcessRunner) and made[0].restarts == 0


def test_dask_killed_worker_becomes_worker_lost_error() -> None:
    """Dask's own retries (the scheduler's allowed-failures) end in KilledWorker; its translation."""
    from distributed import KilledWorker

    payload = small("dask_one").model_dump_json()
    err = lost_worker_error(KilledWorker("run_one-abc", None, 3), payload, 7)  # type: ignore[arg-type]
    assert isinstance(err, WorkerLostError)
    assert (err.scenario, err.replication, err.attempts) == ("dask_one", 7, 4)
    assert "--resume" in str(err) and "replication 7" in str(err)


def test_dask_reschedules_a_lost_worker_then_gives_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A local Dask cluster: a worker killed once costs a re-run; one killed every time, the run."""
    scenarios = [small("a")]
    kw = {"replications": 4, "root_seed": 3, "options": QUIET}
    run_module.run_experiment(scenarios, tmp_path / "calm", **kw)

    marks = tmp_path / "marks"
    marks.mkdir()
    use_runner(monkeypatch, dask(functools.partial(lost_worker.die_once, str(marks), frozenset({1}))))
    run_module.run_experiment(scenarios, tmp_path / "stormy", **kw)
    assert (marks / "died_1").exists() and lost_worker.attempts(marks, 1) == 2
    same_tables(tmp_path / "calm", tmp_path / "stormy", ["a"])

    again = tmp_path / "again"  # results lost with a dead worker are recomputed: count afresh
    again.mkdir()
    use_runner(monkeypatch, dask(functools.partial(lost_worker.always_die, str(again), 2)))
    with pytest.raises(WorkerLostError) as info:
        run_module.run_experiment(scenarios, tmp_path / "doomed", **kw)
    assert (info.value.scenario, info.value.replication, info.value.attempts) == ("a", 2, MAX_RETRIES + 1)
    assert lost_worker.attempts(again, 2) == MAX_RETRIES + 1
    assert "--resume" in str(info.value)
    assert not output.is_complete(tmp_path / "doomed" / "a")


def test_worker_imports_only_what_a_replication_needs() -> None:
    """A spawned worker imports the module of run_one: it must not drag in the rest. (The model
    itself needs scipy.special for gamma and lognormal quantiles, and the schema reads its
    calibrated values with yaml, so those are allowed.)"""
    code = (
        "import sys, sim.experiment.worker as w; "
        "heavy = ['matplotlib', 'scipy.stats', 'distributed', 'pyarrow.parquet', 'sim.analysis', "
        "'sim.experiment.run', 'sim.experiment.parts', 'sim.experiment.assemble']; "
        "print([m for m in heavy if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_cli_reports_a_lost_worker_with_exit_code_3_and_no_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sim.cli import main
    from sim.studies.options import EXIT_WORKER_LOST

    marks = tmp_path / "marks"
    marks.mkdir()
    use_runner(monkeypatch, pool(functools.partial(lost_worker.always_die, str(marks), 1)))
    scenario = tmp_path / "doomed.yaml"
    scenario.write_text(
        "horizon_days: 120\ncohort: {initial_size: 300}\nenforcement: {hidden_barrier_probability: 0.0}\n",
        encoding="utf-8",
    )
    code = main(["run", str(scenario), "-n", "3", "-q", "--no-plots", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == EXIT_WORKER_LOST == 3
    assert "replication 1" in err and "--resume" in err
    assert "Traceback" not in err
