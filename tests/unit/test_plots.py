"""Plots: each function writes a readable PNG, and degenerate inputs do not raise."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from sim.analysis import plots
from sim.analysis.cost_effectiveness import cost_effectiveness
from sim.analysis.plots import style
from sim.analysis.plots.comparison import state_intervals
from sim.analysis.statistics import t_interval
from sim.model.states import STATE_NAMES

SUMMARY_INT_COLUMNS = [
    "cohort_size",
    "contacted",
    "departed_contacted",
    "departed_voluntary",
    "departed_assisted",
    "removed_enforced",
    "granted_leave",
    "closed_already_departed",
    "closed_other",
    "absconded",
    "out_of_contact_end",
    "detention_rejections",
    "complaints",
    "recorded_removals",
]


def make_summary(n_reps: int, shift: float = 0.0, seed: int = 0, constant: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for r in range(n_reps):
        row = {"replication": r, "seed": 1000 + r}
        for k, col in enumerate(SUMMARY_INT_COLUMNS):
            base = 100 + 10 * k + shift
            row[col] = int(base if constant else base + rng.integers(-8, 9))
        row["cohort_size"] = 1000
        row["complaints"] = 0  # an all-zero KPI
        row["total_cost_gbp"] = 2.5e6 + 1e4 * shift + (0 if constant else rng.normal(0, 5e4))
        rows.append(row)
    return pd.DataFrame(rows)


def make_timeseries(n_reps: int, shift: float = 0.0, seed: int = 0, weeks: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for r in range(n_reps):
        for w in range(weeks + 1):
            frac = w / weeks
            for k, state in enumerate(STATE_NAMES):
                count = 500 * (1 - frac) if state == "pool" else (20 + k + shift) * frac * 3
                rows.append(
                    {
                        "replication": r,
                        "day": 7 * w,
                        "state": state,
                        "count": max(0, int(count + rng.integers(0, 6))),
                    }
                )
    return pd.DataFrame(rows)


def make_comparison(names: list[str], kpis: list[str], single_rep: bool = False) -> pd.DataFrame:
    rows = []
    for i, name in enumerate(names):
        for kpi in kpis:
            scale = 1e5 if kpi.endswith("_gbp") else 1.0
            diff = 0.0 if i == 0 else (5.0 * i - 4) * scale
            half = np.nan if (i == 0 or single_rep) else 3.0 * scale
            rows.append(
                {
                    "scenario": name,
                    "kpi": kpi,
                    "mean": 100 * scale + diff,
                    "ci_low": np.nan,
                    "ci_high": np.nan,
                    "diff_vs_reference": diff,
                    "diff_ci_low": diff - half,
                    "diff_ci_high": diff + half,
                }
            )
    return pd.DataFrame(rows)


def ce_table(summaries: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """cost_effectiveness.csv of the synthetic summaries, the first policy as reference."""
    return cost_effectiveness(summaries, next(iter(summaries)), alpha=0.05, value_per_outcome=11_000.0)


def assert_png(path: Path, min_px: int = 300) -> None:
    assert path.exists() and path.stat().st_size > 1000
    with Image.open(path) as im:
        assert im.format == "PNG"
        w, h = im.size
        assert min_px <= w <= 6000 and min_px <= h <= 6000
    assert plt.imread(path).ndim == 3


POLICIES = ["Baseline", "More contact officers", "Reporting centre expansion with extended hours pilot"]
KPIS = ["departed_voluntary", "removed_enforced", "complaints", "total_cost_gbp"]


@pytest.fixture(params=[1, 5], ids=["1rep", "5reps"])
def data(request):
    n = request.param
    summaries = {p: make_summary(n, 8 * i, seed=i) for i, p in enumerate(POLICIES)}
    timeseries = {p: make_timeseries(n, 4 * i, seed=i) for i, p in enumerate(POLICIES)}
    comparison = make_comparison(POLICIES, KPIS, single_rep=n == 1)
    return summaries, timeseries, comparison


def test_each_function_writes_png(data, tmp_path):
    summaries, timeseries, comparison = data
    paths = [
        plots.plot_outcome_distribution(summaries, KPIS, tmp_path / "a.png"),
        plots.plot_cumulative_outcomes(timeseries, tmp_path / "b.png"),
        plots.plot_forest(comparison, POLICIES[0], tmp_path / "c.png"),
        plots.plot_cost_effectiveness(ce_table(summaries), POLICIES[0], tmp_path / "d.png"),
        plots.plot_state_flow(timeseries[POLICIES[1]], "State flow", tmp_path / "e.png"),
    ]
    for p in paths:
        assert_png(p)
    assert plt.get_fignums() == []  # every figure closed


def test_sets_have_stable_names(data, tmp_path):
    summaries, timeseries, comparison = data
    run = plots.plot_run(summaries["Baseline"], timeseries["Baseline"], "Baseline", tmp_path)
    assert [p.name for p in run] == [
        "state_flow_baseline.png",
        "outcomes_baseline.png",
        "cumulative_outcomes_baseline.png",
    ]
    ce = ce_table(summaries)
    comp = plots.plot_comparison(
        summaries, timeseries, comparison, "Baseline", tmp_path, cost_effectiveness=ce
    )
    assert [p.name for p in comp] == [
        "outcomes_by_policy.png",
        "cumulative_outcomes.png",
        "differences_vs_reference.png",
        "cost_vs_outcomes.png",
    ]
    for p in run + comp:
        assert_png(p)
    assert plt.get_fignums() == []


def test_zero_variance_and_many_policies(tmp_path):
    names = [f"Policy {i}: a fairly long descriptive policy name" for i in range(12)]
    summaries = {p: make_summary(3, i, constant=True) for i, p in enumerate(names)}
    timeseries = {p: make_timeseries(2, i, weeks=3) for i, p in enumerate(names)}
    comparison = make_comparison(names, KPIS)
    ce = ce_table(summaries)
    plots.plot_comparison(summaries, timeseries, comparison, names[0], tmp_path, cost_effectiveness=ce)
    for name in ["outcomes_by_policy", "cumulative_outcomes", "differences_vs_reference", "cost_vs_outcomes"]:
        assert_png(tmp_path / f"{name}.png")


def test_degenerate_inputs_do_not_raise(tmp_path):
    one = {"Only": make_summary(1)}
    plots.plot_outcome_distribution(one, ["complaints", "not_a_column"], tmp_path / "a.png")
    plots.plot_cost_effectiveness(ce_table(one), "Only", tmp_path / "b.png")
    plots.plot_forest(make_comparison(["Only"], KPIS), "Only", tmp_path / "c.png")
    single_day = make_timeseries(1, weeks=1).query("day == 0")
    plots.plot_state_flow(single_day, "One snapshot", tmp_path / "d.png")
    plots.plot_cumulative_outcomes({"Only": single_day}, tmp_path / "e.png", states=["removed"])
    empty = make_timeseries(1).iloc[0:0]
    plots.plot_state_flow(empty, "Empty", tmp_path / "f.png")
    for name in "abcdef":
        assert_png(tmp_path / f"{name}.png", min_px=100)
    assert plt.get_fignums() == []


def test_every_state_has_a_colour_and_a_label():
    assert set(STATE_NAMES) <= set(style.STATES)  # each a (colour, label)
    assert all(label for _, label in style.STATES.values())
    assert len({colour for colour, _ in style.STATES.values()}) == len(style.STATES)


def test_confidence_bands_are_t_intervals_over_replications():
    """The bands over time use the same interval as every table (statistics.t_interval)."""
    ts = make_timeseries(5, seed=3, weeks=2)
    mean, low, high = state_intervals(ts)
    for day in (0, 7, 14):
        for state in ("pool", "removed"):
            counts = ts[(ts["day"] == day) & (ts["state"] == state)]["count"]
            expected = t_interval(counts)
            np.testing.assert_allclose(
                (mean.at[day, state], low.at[day, state], high.at[day, state]), expected, equal_nan=True
            )
    one = state_intervals(make_timeseries(1, weeks=1))
    assert one[1].isna().all().all()  # a single replication: no band
