"""Tests for sim.stats: intervals against scipy, properties, pairing and coverage."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.analysis.kpis import DEFAULT_KPIS
from sim.analysis.statistics import (
    compare,
    halfwidth_below,
    paired_difference,
    summarise,
    t_interval,
    t_interval_by_group,
)


@pytest.mark.parametrize("n", [2, 5, 30])
@pytest.mark.parametrize("level", [0.8, 0.95, 0.99])
def test_t_interval_matches_scipy(n: int, level: float) -> None:
    x = np.random.default_rng(n).normal(10.0, 3.0, n)
    mean, low, high = t_interval(x, level)
    ref_low, ref_high = stats.t.interval(level, n - 1, loc=x.mean(), scale=stats.sem(x))
    assert mean == pytest.approx(x.mean())
    assert low == pytest.approx(ref_low)
    assert high == pytest.approx(ref_high)


def test_t_interval_degenerate_cases() -> None:
    assert t_interval([4.0])[0] == 4.0 and all(math.isnan(v) for v in t_interval([4.0])[1:])
    assert all(math.isnan(v) for v in t_interval([np.nan, np.nan]))
    assert t_interval([0.1] * 7) == (0.1, 0.1, 0.1)
    assert t_interval([1.0, np.nan, 3.0]) == t_interval([1.0, 3.0])
    with pytest.raises(ValueError):
        t_interval([1.0, 2.0], level=1.0)


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(finite, min_size=2, max_size=40), st.floats(0.5, 0.98), st.floats(0.001, 0.019))
def test_interval_contains_mean_and_widens_with_level(values: list[float], level: float, step: float) -> None:
    mean, low, high = t_interval(values, level)
    assert low <= mean <= high
    _, low2, high2 = t_interval(values, level + step)
    assert high2 - low2 >= high - low


def test_t_interval_by_group_equals_t_interval_per_group() -> None:
    """The vectorised bands over time must be exactly the scalar interval of each group."""
    gen = np.random.default_rng(5)
    rows = []
    for rep in range(6):
        for day in (0, 7, 14, 21):
            rows.append({"replication": rep, "day": day, "a": gen.normal(50, 5), "b": 3.0, "c": np.nan})
    rows.append({"replication": 6, "day": 28, "a": 1.0, "b": 2.0, "c": 4.0})  # one value: no CI
    rows[0]["a"] = np.nan  # a missing value is dropped, as t_interval drops it
    frame = pd.DataFrame(rows).set_index(["replication", "day"])
    for level in (0.9, 0.95):
        mean, low, high = t_interval_by_group(frame, "day", level)
        for day, group in frame.groupby(level="day"):
            for column in frame.columns:
                expected = t_interval(group[column], level)
                got = (mean.at[day, column], low.at[day, column], high.at[day, column])
                np.testing.assert_allclose(got, expected, rtol=1e-12, equal_nan=True)
    # equal values collapse to zero width exactly, as in t_interval
    assert (low["b"].iloc[:4] == 3.0).all() and (high["b"].iloc[:4] == 3.0).all()
    with pytest.raises(ValueError):
        t_interval_by_group(frame, "day", level=0.0)


def test_paired_difference_identical_is_zero() -> None:
    a = np.random.default_rng(1).normal(size=12)
    assert paired_difference(a, a.copy()) == (0.0, 0.0, 0.0)


def test_paired_difference_direction_and_errors() -> None:
    a = np.array([1.0, 2.0, 3.0, 4.0])
    b = a + np.array([1.0, 2.0, 1.0, 2.0])
    mean, low, high = paired_difference(a, b)
    assert mean == pytest.approx(1.5) and low < 1.5 < high
    assert (mean, low, high) == t_interval(b - a)
    with pytest.raises(ValueError, match="equal length"):
        paired_difference([1.0, 2.0], [1.0])


def test_halfwidth_below() -> None:
    diffs = np.random.default_rng(2).normal(0.0, 1.0, 50)
    _, low, high = t_interval(diffs)
    half = (high - low) / 2
    assert halfwidth_below(diffs, half * 1.01)
    assert not halfwidth_below(diffs, half * 0.99)
    assert not halfwidth_below([1.0], 100.0)


def _summary(seed: int, shift: float = 0.0, reps: range = range(5)) -> pd.DataFrame:
    gen = np.random.default_rng(seed)
    data = {k: gen.normal(100.0, 10.0, len(reps)) + shift for k in DEFAULT_KPIS}
    return pd.DataFrame({"replication": list(reps), **data})


def test_summarise() -> None:
    table = summarise(_summary(3))
    assert list(table.columns) == ["kpi", "mean", "ci_low", "ci_high", "sd", "n"]
    assert list(table["kpi"]) == list(DEFAULT_KPIS)
    assert (table["n"] == 5).all()
    with pytest.raises(KeyError, match="nope"):
        summarise(_summary(3), ["nope"])


def test_compare_columns_reference_and_pairing() -> None:
    base = _summary(4)
    # Same replications in another order, shifted by a constant: the paired difference is exact.
    policy = base.copy()
    policy[list(DEFAULT_KPIS)] += 7.0
    policy = policy.iloc[::-1]
    out = compare({"baseline": base, "policy": policy}, "baseline", ["contacted", "complaints"])
    assert list(out.columns) == [
        "scenario",
        "kpi",
        "mean",
        "ci_low",
        "ci_high",
        "diff_vs_reference",
        "diff_ci_low",
        "diff_ci_high",
    ]
    assert len(out) == 4
    ref = out[out["scenario"] == "baseline"]
    assert (ref[["diff_vs_reference", "diff_ci_low", "diff_ci_high"]] == 0.0).all().all()
    pol = out[out["scenario"] == "policy"].iloc[0]
    assert pol["diff_vs_reference"] == pytest.approx(7.0)
    assert pol["diff_ci_low"] == pytest.approx(7.0) and pol["diff_ci_high"] == pytest.approx(7.0)


def test_compare_rejects_mismatched_replications() -> None:
    with pytest.raises(ValueError, match="replications"):
        compare({"a": _summary(5), "b": _summary(6, reps=range(1, 6))}, "a")
    with pytest.raises(ValueError, match="reference"):
        compare({"a": _summary(5)}, "zzz")


def test_coverage_of_95_percent_intervals() -> None:
    gen = np.random.default_rng(20240601)
    true_mean, trials = 5.0, 400
    hits = 0
    for _ in range(trials):
        _, low, high = t_interval(gen.normal(true_mean, 2.0, 10), 0.95)
        hits += low <= true_mean <= high
    tolerance = 3 * math.sqrt(0.95 * 0.05 / trials)
    assert abs(hits / trials - 0.95) <= tolerance
