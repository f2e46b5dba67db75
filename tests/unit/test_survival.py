"""Outcomes over time: the Aalen-Johansen estimator, the life tables it reads, and the outputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.survival import NO_OUTCOME_YET, aalen_johansen, time_to_outcome
from sim.model.results import run_replication
from sim.scenario.loading import load_scenario

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"


def untied(n: int, seed: int) -> pd.DataFrame:
    """A life table where no two people share a day: two competing events and censoring."""
    rng = np.random.default_rng(seed)
    days = rng.permutation(np.arange(1, 4 * n))[:n]
    event = rng.choice(["a", "b", "censored"], size=n, p=[0.3, 0.2, 0.5])
    return pd.DataFrame({"day": days, "event": event, "count": 1})


@pytest.mark.parametrize("seed", [1, 2])
def test_agrees_with_lifelines_without_ties(seed: int) -> None:
    import lifelines  # a test dependency: the reference implementation

    table = untied(400, seed)
    days = int(table["day"].max())
    ours = aalen_johansen(table, days).set_index(["outcome", "day"])["cumulative_incidence"]
    codes = table["event"].map({"censored": 0, "a": 1, "b": 2}).to_numpy()
    for code, name in ((1, "a"), (2, "b")):
        fitter = lifelines.AalenJohansenFitter(calculate_variance=False)
        fitter.fit(table["day"], codes, event_of_interest=code)
        theirs = fitter.cumulative_density_.iloc[:, 0]
        at = np.arange(days + 1)
        expected = np.interp(at, theirs.index.to_numpy(float), theirs.to_numpy(), left=0.0)
        # lifelines' step function evaluated on whole days (right-continuous)
        step = np.array(
            [theirs[theirs.index <= d].iloc[-1] if (theirs.index <= d).any() else 0.0 for d in at]
        )
        np.testing.assert_allclose(ours.loc[name].to_numpy(), step, atol=1e-12)
        assert expected.shape == step.shape


def test_curves_rise_and_add_up_to_one_with_ties() -> None:
    rng = np.random.default_rng(3)
    table = pd.DataFrame(
        {"day": rng.integers(0, 60, 3000), "event": rng.choice(["x", "y", "censored"], 3000), "count": 1}
    )
    table = table.groupby(["day", "event"], as_index=False)["count"].sum()
    curves = aalen_johansen(table, 80).pivot(index="day", columns="outcome", values="cumulative_incidence")
    for outcome in ("x", "y"):
        assert (np.diff(curves[outcome]) >= -1e-15).all()
    assert (np.diff(curves[NO_OUTCOME_YET]) <= 1e-15).all()
    np.testing.assert_allclose(curves.sum(axis=1), 1.0, atol=1e-12)


def test_without_censoring_the_curves_are_the_outcome_shares() -> None:
    """Everyone entering on day 0 and watched to the horizon: the cumulative incidence at the
    horizon is exactly each outcome's share of the cohort (no censoring to correct for)."""
    s = load_scenario(BASELINE).with_overrides(
        {"cohort": {"initial_size": 3000, "entry_ramp_days": 0.0}, "horizon_days": 300.0}
    )
    result = run_replication(s, 0, 11)
    table = time_to_outcome(result.life_table, 300)
    end = table[(table["clock"] == "since_entry") & (table["day"] == 300)].set_index("outcome")
    counts = result.end_states.set_index("state")["count"]
    n = result.summary["cohort_size"]
    for outcome in (
        "departed_voluntary",
        "removed",
        "granted_leave",
        "closed_already_departed",
        "closed_other",
    ):
        assert end.loc[outcome, "cumulative_incidence"] == pytest.approx(counts[outcome] / n, abs=1e-12)
    contact = table[(table["clock"] == "first_contact") & (table["day"] == 300)].set_index("outcome")
    assert contact.loc["first_contact", "cumulative_incidence"] == pytest.approx(
        result.summary["contacted"] / n, abs=1e-12
    )


def test_life_table_accounts_for_everyone_once_per_clock() -> None:
    s = load_scenario(BASELINE).with_overrides({"cohort": {"initial_size": 2000}})
    result = run_replication(s, 2, 5)
    lt = result.life_table
    totals = lt.groupby("clock")["count"].sum()
    assert totals["since_entry"] == totals["first_contact"] == result.summary["cohort_size"]
    assert totals["since_contact"] == result.summary["contacted"]
    ended = lt[(lt.clock == "since_entry") & (lt.event != "censored")].groupby("event")["count"].sum()
    counts = result.end_states.set_index("state")["count"]
    for state, n in ended.items():
        assert n == counts[state]
    assert (lt["day"] >= 0).all() and (lt["day"] <= s.horizon_days).all()


def test_time_to_outcome_across_replications() -> None:
    s = load_scenario(BASELINE).with_overrides({"cohort": {"initial_size": 1500}, "horizon_days": 200.0})
    tables = pd.concat([run_replication(s, k, 9).life_table for k in range(3)], ignore_index=True)
    table = time_to_outcome(tables, 200)
    assert set(table.columns) == {"clock", "outcome", "day", "cumulative_incidence", "ci_low", "ci_high", "n"}
    assert (table["n"] == 3).all()
    assert (
        (table["ci_low"] <= table["cumulative_incidence"] + 1e-12)
        & (table["cumulative_incidence"] <= table["ci_high"] + 1e-12)
    ).all()
    assert table["ci_low"].min() >= 0 and table["ci_high"].max() <= 1
    sums = table.groupby(["clock", "day"])["cumulative_incidence"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-9)
