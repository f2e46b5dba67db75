"""The probabilistic sensitivity analysis core (``sim.studies.uncertainty.analysis``) on tables whose
answers are known: Latin-hypercube strata, probabilities of being better and best (a policy identical to the
reference: 0.5; one dominated by construction: 0), acceptability curves, and scenario discovery
finding the parameter and the cut that flip a sign."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.studies.uncertainty.analysis import (
    CEAC_COLUMNS,
    SUMMARY_COLUMNS,
    ceac,
    discover,
    discovery_table,
    latin_hypercube,
    summarise,
)


def test_latin_hypercube_respects_ranges_and_has_one_draw_per_stratum() -> None:
    bounds = [(0.0, 1.0), (20.0, 80.0), (0.5, 2.0)]
    n = 50
    x = latin_hypercube(bounds, n, seed=3)
    assert x.shape == (n, 3)
    for j, (lo, hi) in enumerate(bounds):
        assert np.all((x[:, j] >= lo) & (x[:, j] <= hi))
        strata = np.floor((x[:, j] - lo) / (hi - lo) * n).astype(int)
        assert sorted(strata.tolist()) == list(range(n))  # exactly one draw in each stratum
    assert np.array_equal(x, latin_hypercube(bounds, n, seed=3))  # fixed by the seed
    assert not np.array_equal(x, latin_hypercube(bounds, n, seed=4))
    with pytest.raises(ValueError, match="draws must be >= 1"):
        latin_hypercube(bounds, 0, seed=1)


def _diffs(values: dict[str, list[float]], kpi: str) -> pd.DataFrame:
    rows = [
        {"scenario": s, "kpi": kpi, "draw": i, "diff": v}
        for s, vs in values.items()
        for i, v in enumerate(vs)
    ]
    return pd.DataFrame(rows)


def test_identical_policy_is_a_coin_and_dominated_policy_never_better() -> None:
    draws = 40
    rng = np.random.default_rng(1)
    values = {
        "identical": [0.0] * draws,  # common random numbers: exactly 0 in every draw
        "dominated": list(-1.0 - rng.random(draws)),  # always fewer departures
        "good": list(1.0 + rng.random(draws)),
    }
    out = summarise(_diffs(values, "departed_voluntary")).set_index("scenario")  # higher is better
    assert list(out.reset_index().columns) == SUMMARY_COLUMNS
    assert out.loc["identical", "prob_better"] == 0.5
    assert out.loc["dominated", "prob_better"] == 0.0
    assert out.loc["good", "prob_better"] == 1.0
    assert out.loc["good", "prob_best"] == 1.0
    assert out.loc["dominated", "prob_best"] == 0.0 and out.loc["identical", "prob_best"] == 0.0
    assert out.loc["good", "p05"] <= out.loc["good", "p50"] <= out.loc["good", "p95"]


def test_lower_is_better_kpis_flip_the_sign_and_undirected_kpis_have_none() -> None:
    values = {"cheaper": [-5.0, -1.0, 2.0, -3.0]}
    cost = summarise(_diffs(values, "total_cost_gbp")).iloc[0]
    assert cost.prob_better == 0.75
    derived = summarise(_diffs({"more": [1.0, 2.0, -1.0, 3.0]}, "departures_and_removals")).iloc[0]
    assert derived.prob_better == 0.75  # a derived KPI's direction comes from the registry too
    undirected = summarise(_diffs(values, "granted_leave")).iloc[0]
    assert np.isnan(undirected.prob_better) and np.isnan(undirected.prob_best)


def test_prob_best_shares_ties_and_includes_the_reference() -> None:
    # draw 0: a and b tie as best; draw 1: both worse than the reference (0)
    values = {"a": [1.0, -1.0], "b": [1.0, -2.0]}
    out = summarise(_diffs(values, "departed_voluntary")).set_index("scenario")
    assert out.loc["a", "prob_best"] == pytest.approx(0.25)
    assert out.loc["b", "prob_best"] == pytest.approx(0.25)  # the reference wins draw 1


def test_ceac_rises_with_the_value_of_an_outcome() -> None:
    draws = range(4)
    d_cost = pd.DataFrame({"scenario": "p", "draw": list(draws), "diff": [1000.0, 2000.0, 3000.0, 4000.0]})
    d_out = pd.DataFrame({"scenario": "p", "draw": list(draws), "diff": [1.0, 1.0, 1.0, 1.0]})
    curve = ceac(d_cost, d_out, [0.0, 1500.0, 2500.0, 3000.0, 5000.0])
    assert list(curve.columns) == CEAC_COLUMNS
    assert curve.prob_cost_effective.tolist() == [0.0, 0.25, 0.5, 0.625, 1.0]  # a tie counts half


def test_discovery_finds_the_parameter_and_cut_that_flip_the_sign() -> None:
    n = 400
    x = latin_hypercube([(0.0, 1.0), (20.0, 80.0)], n, seed=7)
    params = pd.DataFrame(x, columns=["reporting.miss_probability", "detention.beds"])
    worse = params["detention.beds"] < 35.0  # the policy does worse with few beds, whatever else
    ranges = {"reporting.miss_probability": (0.0, 1.0), "detention.beds": (20.0, 80.0)}
    boxes = discover(params, worse.to_numpy(), ranges, max_depth=2)
    assert boxes
    top = boxes[0]
    lo, hi = top.bounds["detention.beds"]
    assert lo == 20.0 and hi == pytest.approx(35.0, abs=1.0)
    assert top.share_worse > 0.95
    table = discovery_table("p", "removed_enforced", boxes, ranges)
    assert "detention.beds" in set(table.parameter)
    assert discover(params, np.zeros(n, dtype=bool), ranges) == []  # never worse: nothing to find
