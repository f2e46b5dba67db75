"""Probabilistic sensitivity analysis: how sure is a policy difference once the assumptions vary?

A simulation's confidence interval covers only its own randomness. Here each policy's paired
difference from the reference under each Latin-hypercube draw of the ranged parameters (``diffs``:
one row per scenario, KPI and draw) is summarised across draws: percentiles, the probability of
being better than the reference and of being the best, acceptability curves, and scenario
discovery (a shallow decision tree read as boxes of parameter ranges, as PRIM would) of where a
difference changes sign. "Better" follows the registry's ``higher_is_better`` (no direction: NaN);
a tie (exactly 0, where a policy cannot change a KPI) counts half.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import qmc

from sim.analysis.kpis import kpi

UNCERTAINTY_COLUMNS = ["scenario", "kpi", "draw", "diff"]
"""Columns of uncertainty.csv: a policy's paired difference from the reference under one draw."""
SUMMARY_COLUMNS = ["scenario", "kpi", "mean_diff", "p05", "p50", "p95", "prob_better", "prob_best"]
"""Columns of uncertainty_summary.csv."""
CEAC_COLUMNS = ["scenario", "outcome", "value_per_outcome", "prob_cost_effective"]
"""Columns of the cost-effectiveness acceptability curves."""
DISCOVERY_COLUMNS = ["scenario", "kpi", "rule", "share_worse", "draws", "parameter", "low", "high"]
"""Columns of scenario discovery: one row per (box, parameter bound) of a sign-flipping region."""


def latin_hypercube(bounds: Sequence[tuple[float, float]], n: int, seed: int) -> np.ndarray:
    """``n`` draws (rows) of ``len(bounds)`` parameters: one draw in each of ``n`` equal strata of
    every parameter's range, strata paired at random (scipy's LatinHypercube, fixed by ``seed``)."""
    if n < 1:
        raise ValueError(f"the number of draws must be >= 1, got {n}")
    if not bounds:
        return np.zeros((n, 0))
    low = np.array([b[0] for b in bounds], dtype=float)
    high = np.array([b[1] for b in bounds], dtype=float)
    unit = qmc.LatinHypercube(d=len(bounds), seed=seed).random(n)
    return low + unit * (high - low)


def _direction(name: str) -> float:
    """+1 if higher is better, -1 if lower is better, NaN if the registry states no direction
    (summary.csv columns and derived KPIs alike)."""
    better = kpi(name).higher_is_better
    return math.nan if better is None else (1.0 if better else -1.0)


def _better_share(signed: np.ndarray) -> float:
    """Share of draws better than 0, ties counted half."""
    if signed.size == 0:
        return math.nan
    return float(np.mean((signed > 0) + 0.5 * (signed == 0)))


def summarise(diffs: pd.DataFrame) -> pd.DataFrame:
    """``SUMMARY_COLUMNS`` per (scenario, kpi): the distribution of the difference across draws,
    the probability the policy beats the reference, and the probability it is the best of all
    policies compared (the reference, whose difference is 0, included; ties shared equally)."""
    rows = []
    for name, by_kpi in diffs.groupby("kpi", sort=False):
        sign = _direction(str(name))
        wide = by_kpi.pivot_table(
            index="draw", columns="scenario", values="diff", aggfunc="first", sort=False
        )
        best = _best_shares(wide, sign)
        for scenario in wide.columns:
            d = wide[scenario].dropna().to_numpy(dtype=float)
            spread = [d.mean(), *np.percentile(d, (5, 50, 95))] if d.size else [math.nan] * 4
            better = _better_share(sign * d) if not math.isnan(sign) else math.nan
            rows.append((scenario, name, *spread, better, best.get(scenario, math.nan)))
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def _best_shares(wide: pd.DataFrame, sign: float) -> dict[str, float]:
    """Per policy, the share of draws in which it is the best (reference = 0 included)."""
    if math.isnan(sign) or wide.empty:
        return {}
    values = sign * wide.to_numpy(dtype=float)
    values = np.column_stack([values, np.zeros(len(values))])  # the reference
    top = np.nanmax(values, axis=1, keepdims=True)
    winners = np.isclose(values, top, rtol=0.0, atol=1e-12)
    shares = (winners / winners.sum(axis=1, keepdims=True)).mean(axis=0)
    return {str(s): float(v) for s, v in zip(wide.columns, shares[:-1], strict=True)}


def ceac(
    d_cost: pd.DataFrame,
    d_outcome: pd.DataFrame,
    values: Sequence[float],
    outcome: str = "departures_and_removals",
) -> pd.DataFrame:
    """Cost-effectiveness acceptability curves: for each policy and each value of an extra outcome
    (GBP), the share of draws whose net benefit ``value x d_outcome - d_cost`` is positive.

    ``d_cost`` and ``d_outcome`` are (scenario, draw, diff) tables of the paired differences in
    cost (GBP) and in the outcome (people). A net benefit of exactly 0 counts half.
    """
    merged = d_cost.merge(d_outcome, on=["scenario", "draw"], suffixes=("_cost", "_outcome"))
    rows = []
    for scenario, g in merged.groupby("scenario", sort=False):
        cost = g["diff_cost"].to_numpy(dtype=float)
        gain = g["diff_outcome"].to_numpy(dtype=float)
        rows += [(scenario, outcome, float(v), _better_share(v * gain - cost)) for v in values]
    return pd.DataFrame(rows, columns=CEAC_COLUMNS)


@dataclass(frozen=True)
class Box:
    """A region of the parameter space (a leaf of the tree) where the difference tends to one sign."""

    bounds: dict[str, tuple[float, float]]
    share_worse: float
    """Share of the draws in the box in which the policy does worse than the reference."""
    draws: int


def discover(
    parameters: pd.DataFrame,
    worse: Sequence[bool] | np.ndarray,
    ranges: Mapping[str, tuple[float, float]],
    max_depth: int = 2,
    min_share: float = 0.1,
    min_draws: int = 10,
    seed: int = 0,
) -> list[Box]:
    """Scenario discovery: boxes of parameter ranges where a policy tends to do worse.

    ``parameters`` has a row per draw and a column per ranged parameter, ``worse`` whether the
    policy did worse in each. The leaves of a decision tree of depth ``max_depth`` (each at least
    ``min_share`` of the draws and ``min_draws``, so a box is not two draws that fell together)
    where most draws are worse are the boxes. None if the policy is never or always worse, or for
    too few draws. With many parameters and few draws a box is a place to look, not a finding.
    """
    from sklearn.tree import DecisionTreeClassifier

    y = np.asarray(worse, dtype=bool)
    leaf = max(1, math.ceil(min_share * len(y)), min_draws)
    if y.size < 2 * leaf or y.all() or not y.any():
        return []
    x = parameters.to_numpy(dtype=float)
    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=leaf, random_state=seed).fit(x, y)
    t = tree.tree_
    names = list(parameters.columns)
    boxes: list[Box] = []

    def walk(node: int, bounds: dict[str, tuple[float, float]]) -> None:
        left, right = t.children_left[node], t.children_right[node]
        if left == right:  # a leaf
            members = tree.apply(x) == node
            share = float(y[members].mean()) if members.any() else math.nan
            if share > 0.5:
                boxes.append(Box(dict(bounds), share, int(members.sum())))
            return
        name = names[t.feature[node]]
        cut = float(t.threshold[node])
        lo, hi = bounds[name]
        walk(left, {**bounds, name: (lo, min(hi, cut))})
        walk(right, {**bounds, name: (max(lo, cut), hi)})

    walk(0, {name: (float(ranges[name][0]), float(ranges[name][1])) for name in names})
    boxes.sort(key=lambda b: (-b.share_worse, -b.draws))
    return boxes


def discovery_table(
    scenario: str, kpi: str, boxes: Sequence[Box], ranges: Mapping[str, tuple[float, float]]
) -> pd.DataFrame:
    """``DISCOVERY_COLUMNS``: each box's bounds that differ from the full range, one row each."""
    rows = []
    for i, box in enumerate(boxes, start=1):
        for name, (lo, hi) in box.bounds.items():
            if (lo, hi) != tuple(map(float, ranges[name])):
                rows.append((scenario, kpi, i, box.share_worse, box.draws, name, lo, hi))
    return pd.DataFrame(rows, columns=DISCOVERY_COLUMNS)
