"""The experiment runner and output layer: run keys, part files, atomic writes, assembly order."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import pandas as pd
import pytest

import sim.experiment as experiment
from sim.cli import parser as cli  # the CLI parser takes its defaults from sim.experiment
from sim.experiment import assemble, engine, files, output
from sim.model.results import ReplicationResult, run_replication
from sim.scenario.schema import Scenario
from sim.studies import options  # the shared run options take the same defaults

STEER = {"enforcement": {"hidden_barrier_probability": 0.0}}  # see the note in test_cli.py


def small(name: str = "t", **over: object) -> Scenario:
    return Scenario(name=name).with_overrides(
        {"horizon_days": 120.0, "cohort": {"initial_size": 300}, **STEER, **over}
    )


def test_lazy_names_are_the_type_checked_ones() -> None:
    """``sim.experiment`` lists its lazily imported names twice: for type checkers (the
    TYPE_CHECKING imports) and for ``__getattr__`` (``_MODULES``); the two lists must agree, and
    ``__all__`` has every one of them."""
    import ast

    tree = ast.parse(Path(experiment.__file__).read_text(encoding="utf-8"))
    block = next(n for n in tree.body if isinstance(n, ast.If))
    typed = {
        (node.module.rsplit(".", 1)[1], alias.name)
        for node in block.body
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }
    lazy = {(module, name) for module, names in experiment._MODULES.items() for name in names}
    assert typed == lazy
    assert {name for _, name in lazy} <= set(experiment.__all__)
    for name in experiment.__all__:
        assert getattr(experiment, name) is not None


# ----------------------------------------------------------------------------------------------
# One replication and the run key
# ----------------------------------------------------------------------------------------------


def test_run_one_from_json_equals_run_from_object() -> None:
    s = small()
    a = experiment.run_one(s.model_dump_json(), 1, 5, False)
    b = run_replication(s, 1, 5)
    assert a.summary == b.summary
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    pd.testing.assert_frame_equal(a.transitions, b.transitions)


def test_run_key_identifies_what_results_depend_on() -> None:
    s = small()
    key = experiment.run_key(s, 1, False)
    assert experiment.run_key(small(), 1, False) == key
    assert experiment.run_key(s.with_overrides({"title": "Pretty", "description": "x"}), 1, False) == key
    assert experiment.run_key(s, 2, False) != key
    assert experiment.run_key(s, 1, True) != key
    assert experiment.run_key(s.with_overrides({"contact": {"agents": 7}}), 1, False) != key
    assert len(experiment.model_code_hash()) == 64


def test_cli_defaults_match_library_defaults() -> None:
    assert options.DEFAULT_REPLICATIONS == experiment.DEFAULT_REPLICATIONS == 20
    assert options.DEFAULT_SEED == experiment.DEFAULT_SEED == 12345
    assert cli.DEFAULT_MAX_REPLICATIONS == experiment.DEFAULT_MAX_REPLICATIONS


# ----------------------------------------------------------------------------------------------
# Files
# ----------------------------------------------------------------------------------------------


def test_atomic_write_keeps_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "a.csv"
    files.write_text(target, "old\n")
    with pytest.raises(RuntimeError), files.atomic_open(target) as fh:
        fh.write("half a fi")
        raise RuntimeError("crash")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]
    files.write_text(target, "new\n")
    assert target.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]


def test_begin_and_finish_folder(tmp_path: Path) -> None:
    """An older version's run folder (no owner marker; its manifest shows a run): only names a run
    writes that its manifest lists are removed, never other names the manifest lists."""
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "summary.csv").write_text("old")
    (folder / "state_flow_old.png").write_text("old")
    (folder / "notes.txt").write_text("mine")
    (folder / ".parts").mkdir()
    listed = ["summary.csv", "state_flow_old.png", "notes.txt", "manifest.json"]
    (folder / "manifest.json").write_text(json.dumps({"run_key": "k", "files": listed}))
    assert output.is_complete(folder)
    files.begin_folder(folder, "run")
    assert not output.is_complete(folder)
    assert (folder / ".incomplete").exists() and (folder / ".parts").is_dir()
    assert sorted(p.name for p in folder.iterdir()) == [
        ".incomplete",
        ".lock",
        ".owner.json",
        ".parts",
        "notes.txt",
    ]
    files.finish_folder(folder, {"files": []})
    assert output.is_complete(folder)


def test_summary_frame_orders_rows_and_columns() -> None:
    rows = [run_replication(small(), k, 3).summary for k in (2, 0, 1)]
    rows[0] = {"extra": 1, **rows[0]}
    frame = assemble.summary_frame(rows)
    assert frame["replication"].tolist() == [0, 1, 2]
    assert list(frame.columns[:3]) == ["replication", "seed", "cohort_size"]
    assert frame.columns[-1] == "extra"
    costs = [c for c in frame.columns if c.startswith("cost_")]
    assert list(frame.columns).index(costs[0]) == list(frame.columns).index("total_cost_gbp") + 1


# ----------------------------------------------------------------------------------------------
# run_experiment
# ----------------------------------------------------------------------------------------------

QUIET = experiment.ExecutionOptions(plots=False)
"""Options of the tests that need no figures."""


class ReversedRunner(experiment.SerialRunner):
    """Delivers results in reverse order, as a parallel executor might."""

    name = "reversed"

    def results(
        self,
        calls: Iterable[tuple[int, int]],
        payloads: Sequence[str],
        root_seed: int,
        keep_log: bool,
        notify: object = None,
    ) -> Iterator[tuple[tuple[int, int], ReplicationResult]]:
        for call in reversed(list(calls)):
            yield call, experiment.run_one(payloads[call[0]], call[1], root_seed, keep_log)


def test_output_does_not_depend_on_completion_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    scenarios = [small("a"), small("b", contact={"agents": 60})]
    kw = {"replications": 3, "root_seed": 4, "options": QUIET}
    first = experiment.run_comparison(scenarios, tmp_path / "serial", **kw)
    monkeypatch.setattr(engine, "make_runner", lambda workers, scheduler, replicate: ReversedRunner())
    second = experiment.run_comparison(scenarios, tmp_path / "reversed", **kw)
    assert second.executor == "reversed" and first.executor == "serial"
    for name in ("a", "b"):
        for file in ("summary.csv", "timeseries.csv", "transitions.csv", "outcomes.csv"):
            assert (tmp_path / "serial" / name / file).read_bytes() == (
                tmp_path / "reversed" / name / file
            ).read_bytes()
    assert (tmp_path / "serial" / "comparison.csv").read_bytes() == (
        tmp_path / "reversed" / "comparison.csv"
    ).read_bytes()
    assert capfd.readouterr() == ("", "")  # library code never prints


def test_resume_reports_discarded_parts(tmp_path: Path) -> None:
    messages: list[str] = []
    progress: list[tuple[int, int]] = []
    options = experiment.ExecutionOptions(plots=False, resume=True, on_message=messages.append)
    kw = {"replications": 2, "options": options}
    experiment.run_experiment([small()], tmp_path, root_seed=1, **kw)
    assert messages == []
    kw["options"] = dataclasses.replace(options, on_progress=lambda *a: progress.append(a))
    again = experiment.run_experiment([small()], tmp_path, root_seed=1, **kw)
    assert again.ran_this_time == 0 and progress[-1] == (2, 2)
    other = experiment.run_experiment([small()], tmp_path, root_seed=2, **kw)
    assert other.ran_this_time == 2
    assert len(messages) == 1 and "starting over" in messages[0]


def test_bad_requests_raise_before_writing(tmp_path: Path) -> None:
    taken = tmp_path / "file"
    taken.write_text("")
    with pytest.raises(experiment.ExperimentError, match="not a folder"):
        experiment.run_experiment([small()], taken)
    out = tmp_path / "out"
    with pytest.raises(experiment.ExperimentError, match="unique"):
        experiment.run_experiment([small(), small()], out)
    with pytest.raises(experiment.ExperimentError, match="did you mean 'absconded'"):
        experiment.run_comparison([small("a"), small("b")], out, targets={"abscondd": 1.0})
    with pytest.raises(experiment.ExperimentError, match="compare needs a reference"):
        experiment.run_comparison([small()], out, targets={"absconded": 1.0})
    with pytest.raises(experiment.ExperimentError, match="workers"):
        experiment.run_experiment([small()], out, options=experiment.ExecutionOptions(workers=0))
    assert not out.exists()


def test_display_labels_are_unique() -> None:
    a = Scenario(name="a", title="Same")
    b = Scenario(name="b", title="Same")
    c = Scenario(name="c")
    assert experiment.display_labels([a, b, c]) == {"a": "Same [a]", "b": "Same [b]", "c": "c"}


def test_manifest_facts() -> None:
    version = experiment.package_version()
    assert version is None or version[0].isdigit()
    commit, dirty = experiment.git_state()
    assert commit is None or len(commit) == 40
    assert (commit is None) == (dirty is None)
