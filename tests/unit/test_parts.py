"""The part store behind --resume: data formats only, exact round trips, foreign parts ignored."""

from __future__ import annotations

import ast
import json
import os
import pickle
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim.experiment import engine, files, output, parts
from sim.experiment import run as run_module
from sim.experiment.compare import run_comparison
from sim.experiment.engine import ExecutionOptions
from sim.experiment.runners import SerialRunner
from sim.experiment.worker import run_one
from sim.model.results import ReplicationResult, run_replication
from sim.scenario.schema import Scenario

STEER = {"enforcement": {"hidden_barrier_probability": 0.0}}  # see the note in test_cli.py
TABLES = ("end_states", "timeseries", "resources", "transitions", "occupancy", "life_table")
EXPERIMENT_DIR = Path(__file__).resolve().parents[2] / "sim" / "experiment"


def small(name: str = "t", **over: object) -> Scenario:
    return Scenario(name=name).with_overrides(
        {"horizon_days": 120.0, "cohort": {"initial_size": 300}, **STEER, **over}
    )


def assert_same_result(a: ReplicationResult, b: ReplicationResult) -> None:
    """Equal table by table (dtypes, values bit for bit) and equal CSV text."""
    assert a.summary == b.summary
    assert [type(v) for v in a.summary.values()] == [type(v) for v in b.summary.values()]
    assert (a.events, a.wall_seconds) == (b.events, b.wall_seconds)
    names = [*TABLES, *parts.LOGS] if a.event_log is not None else list(TABLES)
    assert (a.event_log is None) == (b.event_log is None)
    assert (a.activity_log is None) == (b.activity_log is None)
    for name in names:
        x, y = getattr(a, name), getattr(b, name)
        pd.testing.assert_frame_equal(x, y, check_exact=True)
        assert x.to_csv(index=False, lineterminator="\n") == y.to_csv(index=False, lineterminator="\n")


class Evil:
    """Unpickling this creates a folder: proof that a pickle was executed."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.mkdir, (str(self.target),))


# ----------------------------------------------------------------------------------------------
# Round trips
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("keep_log", [False, True])
def test_real_result_round_trips_exactly(tmp_path: Path, keep_log: bool) -> None:
    result = run_replication(small(), 2, 7, keep_log=keep_log)
    store = parts.PartStore(tmp_path, "key-a", keep_log)
    store.open(resume=False)
    store.write(2, result)
    back = store.read(2)
    assert back is not None
    assert_same_result(result, back)
    # nothing but data files in the part
    assert sorted(p.name for p in store.path(2).iterdir()) == sorted(
        [parts.PART_META, *(f"{t}.parquet" for t in TABLES)]
        + ([f"{t}.parquet" for t in parts.LOGS] if keep_log else [])
    )


def awkward_frame() -> pd.DataFrame:
    """Every dtype the store promises to rebuild, with values that are easy to get wrong."""
    floats = [0.1 + 0.2, -0.0, 1e-300, np.nextafter(1.0, 2.0)]
    return pd.DataFrame(
        {
            "f64": pd.array(floats, dtype="float64"),
            "f64_special": pd.array([np.nan, np.inf, -np.inf, 5e-324], dtype="float64"),
            "f32": pd.array([0.1, 1.5, -2.25, 3.0], dtype="float32"),
            "i32": pd.array([1, -2, 3, 2**31 - 1], dtype="int32"),
            "u8": pd.array([0, 1, 254, 255], dtype="uint8"),
            "flag": pd.array([True, False, True, True], dtype="bool"),
            "nullable": pd.array([1, None, 3, 4], dtype="Int64"),
            "str_nan": pd.array(["a", None, "ç", ""], dtype=pd.StringDtype("python", na_value=np.nan)),
            "str_na": pd.array(["x", "y", None, "z"], dtype=pd.StringDtype("pyarrow", na_value=pd.NA)),
            "obj": pd.Series(["p", None, "q", "r"], dtype=object),
            "cat": pd.Categorical(["b", "a", None, "b"], categories=["b", "a", "unused"]),
            "cat_int": pd.Categorical([3, 1, 3, 2], categories=[3, 2, 1], ordered=True),
        }
    )


def test_every_supported_dtype_round_trips_exactly(tmp_path: Path) -> None:
    frame = awkward_frame()
    result = ReplicationResult(
        summary={"replication": 0, "x": 0.1 + 0.2, "big": 2**53 + 1, "tiny": 5e-324},
        end_states=frame,
        timeseries=frame.iloc[:0].copy(),
        resources=frame.copy(),
        transitions=frame.copy(),
        occupancy=frame.copy(),
        life_table=frame.copy(),
        events=12,
        wall_seconds=0.125,
        event_log=frame.copy(),
        activity_log=frame.copy(),
    )
    store = parts.PartStore(tmp_path, "k", keep_log=True)
    store.open(resume=False)
    store.write(0, result)
    back = store.read(0)
    assert back is not None
    assert_same_result(result, back)


def test_unsupported_dtype_fails_the_write_and_leaves_no_part(tmp_path: Path) -> None:
    result = run_replication(small(), 0, 1)
    result.timeseries = result.timeseries.assign(when=pd.Timestamp("2020-01-01"))
    store = parts.PartStore(tmp_path, "k", keep_log=False)
    store.open(resume=False)
    with pytest.raises(TypeError, match="cannot keep dtype"):
        store.write(0, result)
    assert store.existing() == [] and store.read(0) is None
    assert [p.name for p in store.dir.iterdir()] == ["key.json"]  # the temporary folder is gone


# ----------------------------------------------------------------------------------------------
# Keys, formats and foreign parts
# ----------------------------------------------------------------------------------------------


def test_keys_decide_what_is_reused(tmp_path: Path) -> None:
    result = run_replication(small(), 0, 1)
    store = parts.PartStore(tmp_path, "key-a", keep_log=False)
    assert store.open(resume=True) is None
    store.write(0, result)
    assert store.existing() == [0]
    assert store.read(1) is None
    # a part claimed by another run's key, or with another event-log setting, is not used
    assert parts.PartStore(tmp_path, "key-b", keep_log=False).read(0) is None
    assert parts.PartStore(tmp_path, "key-a", keep_log=True).read(0) is None
    # resuming with the same key keeps the parts; with another key discards them with a reason
    assert parts.PartStore(tmp_path, "key-a", keep_log=False).open(resume=True) is None
    assert store.existing() == [0]
    why = parts.PartStore(tmp_path, "key-b", keep_log=False).open(resume=True)
    assert why is not None and "starting over" in why and "1 stored" in why
    assert store.existing() == []


def test_half_written_parts_are_cleared_on_resume(tmp_path: Path) -> None:
    store = parts.PartStore(tmp_path, "k", keep_log=False)
    store.open(resume=False)
    leftover = store.dir / f".rep_000003.abc{files.TMP_SUFFIX}"
    leftover.mkdir()
    (leftover / "end_states.parquet").write_bytes(b"half")
    assert store.open(resume=True) is None
    assert not leftover.exists() and store.existing() == []


def stored(tmp_path: Path) -> tuple[parts.PartStore, ReplicationResult]:
    result = run_replication(small(), 0, 1)
    store = parts.PartStore(tmp_path, "k", keep_log=False)
    store.open(resume=False)
    store.write(0, result)
    assert store.read(0) is not None
    return store, result


@pytest.mark.parametrize("target", [parts.PART_META, "timeseries.parquet"])
def test_a_pickle_in_a_part_is_never_executed(tmp_path: Path, target: str) -> None:
    store, _ = stored(tmp_path)
    proof = tmp_path / "proof.txt"
    (store.path(0) / target).write_bytes(pickle.dumps(Evil(proof)))
    assert store.read(0) is None
    assert not proof.exists()


def test_garbage_and_mismatched_parts_are_missing(tmp_path: Path) -> None:
    store, _ = stored(tmp_path)
    folder = store.path(0)
    meta = json.loads((folder / parts.PART_META).read_text())

    def with_meta(**change: object) -> ReplicationResult | None:
        (folder / parts.PART_META).write_text(json.dumps({**meta, **change}))
        return store.read(0)

    assert with_meta(key="other") is None
    assert with_meta(format=1) is None
    assert with_meta(replication=1) is None
    assert with_meta(summary={"replication": "zero"}) is None
    assert with_meta(tables={k: v for k, v in meta["tables"].items() if k != "occupancy"}) is None
    columns = meta["tables"]["end_states"]["columns"]
    wrong_dtype = [{**columns[0], "dtype": {"kind": "numpy", "dtype": "datetime64[ns]"}}, *columns[1:]]
    end_states = {**meta["tables"]["end_states"], "columns": wrong_dtype}
    assert with_meta(tables={**meta["tables"], "end_states": end_states}) is None
    with_meta()
    assert store.read(0) is not None  # the original metadata still reads

    # a copy of replication 0 in the folder of replication 1 says it is replication 0
    os.rename(folder, store.path(1))
    assert store.read(1) is None
    os.rename(store.path(1), folder)

    (folder / "end_states.parquet").write_bytes(b"PAR1 not really")
    assert store.read(0) is None


def test_unexpected_columns_or_types_are_missing(tmp_path: Path) -> None:
    store, result = stored(tmp_path)
    path = store.path(0) / "occupancy.parquet"
    extra = pa.Table.from_pandas(result.occupancy.assign(extra=1), preserve_index=False)
    pq.write_table(extra, path)
    assert store.read(0) is None
    renamed = result.occupancy.rename(columns={"visits": "visitors"})
    pq.write_table(pa.Table.from_pandas(renamed, preserve_index=False), path)
    assert store.read(0) is None
    # same column names, but a type the store never writes (timestamps instead of numbers)
    table = pa.Table.from_pandas(result.occupancy, preserve_index=False)
    i = table.column_names.index("person_days")
    when = pa.array(pd.to_datetime(np.arange(len(result.occupancy)), unit="D"))
    pq.write_table(table.set_column(i, "person_days", when), path)
    assert store.read(0) is None
    # a categorical column with a value outside the recorded categories
    store2, _ = stored(tmp_path / "b")
    meta_path = store2.path(0) / parts.PART_META
    meta = json.loads(meta_path.read_text())
    cols = meta["tables"]["end_states"]["columns"]
    state = next(c for c in cols if c["name"] == "state")
    state["dtype"] = {
        "kind": "category",
        "ordered": False,
        "categories": ["pool"],
        "categories_dtype": state["dtype"],
    }
    meta_path.write_text(json.dumps(meta))
    assert store2.read(0) is None


def test_old_pickled_parts_are_discarded_unread(tmp_path: Path) -> None:
    folder = tmp_path / "t"
    (folder / output.PARTS_DIR).mkdir(parents=True)
    proof = tmp_path / "proof.txt"
    (folder / output.PARTS_DIR / "key.json").write_text(json.dumps({"key": "whatever", "format": 1}))
    for k in range(2):
        (folder / output.PARTS_DIR / f"rep_{k:06d}.pkl").write_bytes(pickle.dumps(Evil(proof)))
    messages: list[str] = []
    done = run_module.run_experiment(
        [small()],
        tmp_path,
        replications=2,
        root_seed=1,
        options=ExecutionOptions(plots=False, resume=True, on_message=messages.append),
    )
    assert done.ran_this_time == 2 and not proof.exists()
    assert len(messages) == 1 and "part format 1" in messages[0] and "2 stored" in messages[0]
    assert not list((folder / output.PARTS_DIR).glob("*.pkl"))


def test_no_pickle_anywhere_in_the_experiment_package() -> None:
    """Parts are data; nothing under sim/experiment may even import a pickle-like module."""
    banned = {"pickle", "_pickle", "cPickle", "cloudpickle", "dill", "shelve", "marshal", "joblib"}
    sources = sorted(EXPERIMENT_DIR.rglob("*.py"))
    assert len(sources) > 5
    for path in sources:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [(node.module or "").split(".")[0]]
            elif isinstance(node, ast.Attribute):
                names = ["pickle"] if "pickle" in node.attr else []
            else:
                continue
            assert not banned.intersection(names), f"{path.name}:{node.lineno} uses {names}"


# ----------------------------------------------------------------------------------------------
# Resume after an interruption
# ----------------------------------------------------------------------------------------------


class InterruptedRunner(SerialRunner):
    """Delivers ``stop_after`` results, then behaves as if the user pressed Ctrl-C."""

    name = "interrupted"

    def __init__(self, stop_after: int) -> None:
        super().__init__()
        self.stop_after = stop_after

    def results(
        self,
        calls: Iterable[tuple[int, int]],
        payloads: Sequence[str],
        root_seed: int,
        keep_log: bool,
        notify: object = None,
    ) -> Iterator[tuple[tuple[int, int], ReplicationResult]]:
        for i, call in enumerate(calls):
            if i == self.stop_after:
                raise KeyboardInterrupt
            yield call, run_one(payloads[call[0]], call[1], root_seed, keep_log)


QUIET = ExecutionOptions(plots=False)
"""Options of the tests that need no figures."""


def test_resume_after_interruption_is_byte_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scenarios = [small("a"), small("b", contact={"agents": 60})]
    kw = {"replications": 3, "root_seed": 4, "keep_log": True}
    run_comparison(scenarios, tmp_path / "straight", options=QUIET, **kw)

    real = engine.make_runner
    monkeypatch.setattr(engine, "make_runner", lambda workers, scheduler, replicate: InterruptedRunner(4))
    with pytest.raises(KeyboardInterrupt):
        run_comparison(scenarios, tmp_path / "resumed", options=ExecutionOptions(plots=False), **kw)
    for name in ("a", "b"):
        assert not output.is_complete(tmp_path / "resumed" / name)
    monkeypatch.setattr(engine, "make_runner", real)
    again = run_comparison(
        scenarios, tmp_path / "resumed", options=ExecutionOptions(plots=False, resume=True), **kw
    )
    assert again.ran_this_time == 2  # 4 of the 6 were stored before the interruption

    for name in ("a", "b"):
        for file in [*output.TABLE_FILES.values(), output.SUMMARY_FILE, output.STATS_FILE]:
            assert (tmp_path / "straight" / name / file).read_bytes() == (
                tmp_path / "resumed" / name / file
            ).read_bytes(), f"{name}/{file}"
        log_a = pd.read_parquet(tmp_path / "straight" / name / output.EVENT_LOG_FILE)
        log_b = pd.read_parquet(tmp_path / "resumed" / name / output.EVENT_LOG_FILE)
        pd.testing.assert_frame_equal(log_a, log_b, check_exact=True)
    assert (tmp_path / "straight" / output.COMPARISON_FILE).read_bytes() == (
        tmp_path / "resumed" / output.COMPARISON_FILE
    ).read_bytes()
