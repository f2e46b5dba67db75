"""The combined process-mining log: columns and types, order, the XES round trip through pm4py,
and the files a run with ``--event-log`` writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.process_log import COLUMNS, START, process_log, write_xes
from sim.experiment import run_experiment
from sim.experiment.engine import ExecutionOptions
from sim.experiment.output import ACTIVITY_LOG_FILE, EVENT_LOG_FILE, PROCESS_LOG_FILE, PROCESS_XES_FILE
from sim.model.results import ReplicationResult, run_replication
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario


@pytest.fixture(scope="module")
def small() -> Scenario:
    return load_scenario("scenarios/baseline.yaml").with_overrides(
        {"cohort": {"initial_size": 400}, "horizon_days": 400.0}
    )


@pytest.fixture(scope="module")
def result(small: Scenario) -> ReplicationResult:
    return run_replication(small, 2, 5, keep_log=True)


@pytest.fixture(scope="module")
def combined(result: ReplicationResult) -> pd.DataFrame:
    assert result.event_log is not None and result.activity_log is not None
    return process_log(result.event_log.assign(replication=2), result.activity_log.assign(replication=2))


def test_columns_types_and_rows(result: ReplicationResult, combined: pd.DataFrame) -> None:
    assert result.event_log is not None and result.activity_log is not None
    assert tuple(combined.columns) == COLUMNS
    assert len(combined) == len(result.event_log) + len(result.activity_log)
    assert str(combined["time:timestamp"].dtype) == "datetime64[ns, UTC]"
    for name in ("case:concept:name", "concept:name", "org:resource", "lifecycle:transition", "kind"):
        assert pd.api.types.is_string_dtype(combined[name]), name
    assert combined["replication"].dtype == np.int32 and combined["person"].dtype == np.int64
    assert set(combined["lifecycle:transition"]) == {"complete"}
    assert set(combined["kind"]) == {"state", "activity"}
    assert (combined["case:concept:name"] == "2-" + combined["person"].astype(str)).all()
    # day 0 is START; the timestamps are the model's days after it
    days = (combined["time:timestamp"] - pd.Timestamp(START, tz="UTC")) / pd.Timedelta(days=1)
    times = np.sort(np.concatenate([result.event_log.time.to_numpy(), result.activity_log.time.to_numpy()]))
    np.testing.assert_allclose(np.sort(days.to_numpy()), times, atol=1e-9)
    states = combined[combined["kind"] == "state"]
    assert (states["concept:name"].str.startswith("enter ")).all()
    assert (states["org:resource"] == "").all() and (states["cause"] != "").all()


def test_order_within_cases(combined: pd.DataFrame) -> None:
    persons = combined["person"].to_numpy()
    assert np.all(np.diff(persons) >= 0), "cases are not contiguous in person order"
    same = persons[1:] == persons[:-1]
    stamps = combined["time:timestamp"].to_numpy()
    assert np.all(stamps[1:][same] >= stamps[:-1][same]), "time decreases within a case"
    first = np.r_[True, ~same]
    assert (combined["concept:name"][first] == "enter pool").all()
    # a written contact: the successful attempt, then entering in_contact at the same instant
    contact = combined.index[combined["cause"].isin(["contact_text", "contact_letter", "contact_email"])]
    assert len(contact)
    before = combined.loc[contact - 1]
    assert (before["concept:name"].to_numpy() == "contact_attempt").all()
    assert (before["outcome"].to_numpy() == "success").all()
    assert (before["time:timestamp"].to_numpy() == combined.loc[contact, "time:timestamp"].to_numpy()).all()


def test_start_date_is_an_argument(result: ReplicationResult) -> None:
    assert result.event_log is not None and result.activity_log is not None
    a = process_log(result.event_log, result.activity_log, start="2020-01-01")
    assert a["time:timestamp"].min() >= pd.Timestamp("2020-01-01", tz="UTC")
    assert (a["replication"] == 0).all()


def test_xes_round_trip_with_pm4py(tmp_path: Path, combined: pd.DataFrame) -> None:
    import pm4py  # in the [test] extra (from [mining]): CI runs this

    path = tmp_path / "log.xes.gz"
    write_xes(combined, path)
    back = pm4py.read_xes(str(path))
    assert len(back) == len(combined)
    assert back["case:concept:name"].nunique() == combined["case:concept:name"].nunique()
    back = back.reset_index(drop=True)
    for name in ("case:concept:name", "concept:name", "lifecycle:transition", "kind"):
        assert back[name].astype(str).tolist() == combined[name].astype(str).tolist(), name
    for name in ("org:resource", "outcome", "cause"):  # empty values are left out of the XES
        assert back[name].fillna("").astype(str).tolist() == combined[name].astype(str).tolist(), name
    lag = (back["time:timestamp"] - combined["time:timestamp"]).abs()
    assert lag.max() < pd.Timedelta(microseconds=1)
    assert (back["case:person"].to_numpy() == combined["person"].to_numpy()).all()
    assert (back["case:replication"].to_numpy() == combined["replication"].to_numpy()).all()


def test_xes_escapes_text(tmp_path: Path, combined: pd.DataFrame) -> None:
    import pm4py

    odd = combined.head(3).copy()
    odd["org:resource"] = pd.Series(['a "quoted" <b> & c', "é\tx", "plain"], dtype="string[pyarrow]")
    path = tmp_path / "odd.xes"
    write_xes(odd, path)
    back = pm4py.read_xes(str(path))
    assert back["org:resource"].tolist() == odd["org:resource"].tolist()


def test_run_with_event_log_writes_the_logs(tmp_path: Path, small: Scenario) -> None:
    options = ExecutionOptions(plots=False)
    run_experiment([small], tmp_path, replications=2, root_seed=3, keep_log=True, options=options)
    folder = tmp_path / small.name
    states = pd.read_parquet(folder / EVENT_LOG_FILE)
    activities = pd.read_parquet(folder / ACTIVITY_LOG_FILE)
    combined = pd.read_parquet(folder / PROCESS_LOG_FILE)
    assert sorted(activities["replication"].unique()) == [0, 1]
    assert len(combined) == len(states) + len(activities)
    assert tuple(combined.columns) == COLUMNS
    expected = pd.concat(
        [
            process_log(states[states.replication == k], activities[activities.replication == k])
            for k in (0, 1)
        ],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(combined, expected, check_dtype=False)
    import pm4py

    back = pm4py.read_xes(str(folder / PROCESS_XES_FILE))
    assert len(back) == len(combined)
    assert back["case:concept:name"].tolist() == combined["case:concept:name"].tolist()
