"""Cost-effectiveness: ratio of mean paired differences, Fieller intervals, net benefit, the plane.

Fieller's set is checked by its definition (the ratios R at which a paired t test of
d_cost - R d_outcome does not reject), by its coverage on synthetic data where the true ratio is
known, and in the cases where it is not an interval (the outcome difference not distinguishable
from 0): then the CSV's bounds are NaN and the note says why, never a misleading finite interval.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.analysis import cost_effectiveness as ce
from sim.analysis.kpis import CE_OUTCOMES
from sim.analysis.plots import cost_effectiveness as ce_plot
from sim.analysis.plots.labels import label_boxes, place_labels
from sim.analysis.statistics import t_interval


def paired_t(values: np.ndarray) -> float:
    return float(values.mean() / (values.std(ddof=1) / math.sqrt(values.size)))


def test_fieller_bounds_are_where_the_paired_t_test_just_rejects() -> None:
    rng = np.random.default_rng(1)
    d_out = rng.normal(100, 30, 20)
    d_cost = 5000 * d_out + rng.normal(0, 1e5, 20)
    f = ce.fieller(d_cost, d_out, 0.05)
    assert f.kind == ce.BOUNDED
    assert f.ratio == pytest.approx(d_cost.mean() / d_out.mean())
    assert f.low < f.ratio < f.high
    critical = stats.t.ppf(0.975, 19)
    for bound in (f.low, f.high):
        assert abs(paired_t(d_cost - bound * d_out)) == pytest.approx(critical, rel=1e-9)
    assert abs(paired_t(d_cost - f.ratio * d_out)) < 1e-9


def test_fieller_coverage_of_a_known_ratio() -> None:
    """2,000 experiments, true cost per outcome GBP 5,000, correlated noise: 95% coverage."""
    rng = np.random.default_rng(2)
    experiments, hits = 2000, 0
    for _ in range(experiments):
        d_out = rng.normal(40, 30, 20)
        d_cost = 5000 * d_out + rng.normal(0, 1e5, 20) + 2000 * rng.normal(0, 30, 20)
        f = ce.fieller(d_cost, d_out, 0.05)
        if f.kind == ce.BOUNDED:
            hits += f.low <= 5000 <= f.high
        elif f.kind == ce.EXCLUSIVE:
            hits += f.low >= 5000 or f.high <= 5000
        else:
            hits += 1
    assert abs(hits / experiments - 0.95) < 3 * math.sqrt(0.95 * 0.05 / experiments)


def test_outcome_difference_indistinguishable_from_zero_gives_no_finite_interval() -> None:
    rng = np.random.default_rng(3)
    d_out = rng.normal(2, 30, 20)  # CI of the outcome difference includes 0
    assert t_interval(d_out)[1] < 0 < t_interval(d_out)[2]
    exclusive = ce.fieller(5000 * d_out + rng.normal(3e5, 1e4, 20), d_out, 0.05)
    assert exclusive.kind == ce.EXCLUSIVE and exclusive.low < exclusive.high
    unbounded = ce.fieller(rng.normal(0, 1e5, 20), d_out, 0.05)
    assert unbounded.kind == ce.UNBOUNDED and math.isnan(unbounded.low)


def test_exact_and_undefined_ratios() -> None:
    assert ce.fieller(np.full(10, 3000.0), np.full(10, 2.0), 0.05) == ce.Fieller(
        1500.0, 1500.0, 1500.0, ce.BOUNDED
    )
    zero = ce.fieller(np.full(10, 3000.0), np.zeros(10), 0.05)
    assert zero.kind == ce.UNDEFINED and math.isnan(zero.ratio)
    one = ce.fieller(np.array([5.0]), np.array([2.0]), 0.05)
    assert one.kind == ce.UNDEFINED and one.ratio == 2.5


def summaries(n: int = 20) -> dict[str, pd.DataFrame]:
    """A reference and four policies: two that work (one clearly, one dominant), one that only
    costs (no outcome change at all), one whose outcome change is noise."""
    rng = np.random.default_rng(4)
    vol, rem = rng.normal(1200, 30, n), rng.normal(700, 20, n)
    cost = 24e6 + 1e4 * (vol - 1200) + rng.normal(0, 1e5, n)

    def frame(dv: np.ndarray, dr: np.ndarray, dc: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "replication": range(n),
                "departed_voluntary": vol + dv,
                "removed_enforced": rem + dr,
                "total_cost_gbp": cost + dc,
            }
        )

    zero = np.zeros(n)
    return {
        "base": frame(zero, zero, zero),
        "works": frame(rng.normal(200, 20, n), rng.normal(20, 5, n), rng.normal(1e6, 5e4, n)),
        "dominant": frame(rng.normal(100, 10, n), zero, rng.normal(-2e5, 2e4, n)),
        "only_costs": frame(zero, zero, np.full(n, 3e5)),
        "noise": frame(rng.normal(0, 10, n), rng.normal(0, 5, n), rng.normal(5e4, 2e4, n)),
    }


def test_table_columns_values_and_notes() -> None:
    data = summaries()
    table = ce.cost_effectiveness(data, "base", alpha=0.05, value_per_outcome=11_000.0)
    assert list(table.columns) == ce.CE_COLUMNS
    assert table["scenario"].unique().tolist() == ["works", "dominant", "only_costs", "noise"]
    assert table["outcome"].tolist() == list(CE_OUTCOMES) * 4
    rows = table.set_index(["scenario", "outcome"])
    works = rows.loc[("works", "departures_and_removals")]
    d_cost = (data["works"]["total_cost_gbp"] - data["base"]["total_cost_gbp"]).to_numpy()
    d_out = (
        data["works"][["departed_voluntary", "removed_enforced"]].sum(axis=1)
        - data["base"][["departed_voluntary", "removed_enforced"]].sum(axis=1)
    ).to_numpy()
    assert works["cost_per_outcome"] == pytest.approx(d_cost.mean() / d_out.mean())
    f = ce.fieller(d_cost, d_out, 0.05)
    assert (works["cpo_ci_low"], works["cpo_ci_high"]) == pytest.approx((f.low, f.high))
    assert (works["d_cost"], works["d_cost_ci_low"], works["d_cost_ci_high"]) == pytest.approx(
        t_interval(d_cost)
    )
    nb = t_interval(11_000.0 * d_out - d_cost)
    assert (works["net_benefit"], works["nb_ci_low"], works["nb_ci_high"]) == pytest.approx(nb)
    assert works["net_benefit"] == pytest.approx(11_000.0 * d_out.mean() - d_cost.mean())
    assert works["cpo_note"] == "" or pd.isna(works["cpo_note"])
    assert "Fieller" in works["method"] and works["value_per_outcome"] == 11_000.0

    dominant = rows.loc[("dominant", "departed_voluntary")]
    assert dominant["cost_per_outcome"] < 0 and dominant["cpo_note"].startswith("more outcomes at lower cost")
    only_costs = rows.loc[("only_costs", "removed_enforced")]
    assert math.isnan(only_costs["cost_per_outcome"]) and "exactly 0" in only_costs["cpo_note"]
    assert only_costs["net_benefit"] == -3e5 and only_costs["nb_ci_low"] == -3e5
    noise = rows.loc[("noise", "departures_and_removals")]
    assert math.isnan(noise["cpo_ci_low"]) and math.isnan(noise["cpo_ci_high"])
    assert noise["cpo_note"].startswith("outcome difference not distinguishable from 0")


def test_level_and_pairing() -> None:
    data = summaries()
    wide = ce.cost_effectiveness(data, "base", alpha=0.01, value_per_outcome=0.0)
    narrow = ce.cost_effectiveness(data, "base", alpha=0.1, value_per_outcome=0.0)
    assert (wide["d_cost_ci_low"] <= narrow["d_cost_ci_low"]).all()
    assert (wide["net_benefit"] == -wide["d_cost"]).all()  # value 0: the net benefit is the saving
    data["noise"] = data["noise"].iloc[:-1]
    with pytest.raises(ValueError, match="cannot be paired"):
        ce.cost_effectiveness(data, "base", alpha=0.05, value_per_outcome=1.0)


def test_labels_of_thirteen_crowded_points_do_not_overlap(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    xs = np.concatenate([rng.normal(0, 3, 8), rng.uniform(50, 600, 5)])  # most near the origin
    ys = np.concatenate([rng.normal(0, 0.05, 8), rng.uniform(0.2, 3, 5)])
    names = [f"Policy {i}: a fairly long name" for i in range(13)]
    fig, ax = plt.subplots(figsize=(10, 7))
    try:
        ax.plot(xs, ys, "o")
        ax.set_xlim(-100, 700)
        ax.set_ylim(-0.5, 3.5)
        fig.tight_layout()
        labels = place_labels(ax, xs, ys, names)
        boxes = label_boxes(labels)
        assert len(boxes) == 13
        frame = ax.get_window_extent()
        for i, a in enumerate(boxes):
            assert frame.x0 <= a.x0 and a.x1 <= frame.x1 and frame.y0 <= a.y0 and a.y1 <= frame.y1
            for b in boxes[i + 1 :]:
                assert not a.overlaps(b)
        # the points are crowded: labels at a fixed offset would pile up (so the check can fail)
        naive = [ax.annotate(t, (x, y), xytext=(7, 7), textcoords="offset points", fontsize=8)
                 for t, x, y in zip(names, xs, ys, strict=True)]  # fmt: skip
        naive_boxes = label_boxes(naive)
        assert any(a.overlaps(b) for i, a in enumerate(naive_boxes) for b in naive_boxes[i + 1 :])
    finally:
        plt.close(fig)


def test_plane_is_written_for_many_policies_and_none(tmp_path: Path) -> None:
    data = summaries()
    for i in range(9):
        data[f"extra policy with a long name {i}"] = data["noise"].copy()
    table = ce.cost_effectiveness(data, "base", alpha=0.05, value_per_outcome=11_000.0)
    path = ce_plot.plot_cost_effectiveness(table, "base", tmp_path / "plane.png")
    assert path.is_file() and path.stat().st_size > 10_000
    empty = ce.cost_effectiveness({"base": data["base"]}, "base", alpha=0.05, value_per_outcome=1.0)
    assert empty.empty
    assert ce_plot.plot_cost_effectiveness(empty, "base", tmp_path / "none.png").is_file()
    assert plt.get_fignums() == []
