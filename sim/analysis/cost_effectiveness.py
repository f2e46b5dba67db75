"""Cost-effectiveness of each policy against the reference: what an extra outcome costs.

For each policy and outcome of ``kpis.CE_OUTCOMES``, from the paired per-replication differences
from the reference (GBP and people per cohort over the horizon): ``d_cost`` and ``d_outcome`` with
paired t intervals; ``cost_per_outcome`` = mean d_cost / mean d_outcome (GBP per extra person)
with **Fieller's** interval, the ratios R for which mean d_cost - R mean d_outcome is not
distinguishable from 0 (Willan and O'Brien 1996, Statistics in Medicine 15:1207); ``net_benefit``
= value_per_outcome * d_outcome - d_cost (GBP) with a paired t interval.

Fieller, not a paired bootstrap: means of sums over a cohort of thousands are close to bivariate
normal, where Fieller is exact without resampling noise, and when d_outcome is not distinguishable
from 0 Fieller says the ratio is unbounded (NaN bounds; ``cpo_note`` says why) where a percentile
bootstrap gives a finite, unstable and misleading interval. A negative ratio means dominant or
dominated; the note says which.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as _st

from sim.analysis.kpis import CE_COST, CE_OUTCOMES
from sim.analysis.statistics import kpi_values, paired_tables, t_interval

CE_COLUMNS: list[str] = [
    "scenario",
    "outcome",
    "d_cost",
    "d_cost_ci_low",
    "d_cost_ci_high",
    "d_outcome",
    "d_outcome_ci_low",
    "d_outcome_ci_high",
    "cost_per_outcome",
    "cpo_ci_low",
    "cpo_ci_high",
    "net_benefit",
    "nb_ci_low",
    "nb_ci_high",
    "value_per_outcome",
    "method",
    "cpo_note",
]
"""Columns of cost_effectiveness.csv: money in GBP, outcomes in people, per cohort."""

BOUNDED = "bounded"
EXCLUSIVE = "exclusive"
UNBOUNDED = "unbounded"
UNDEFINED = "undefined"


@dataclass(frozen=True)
class Fieller:
    """Fieller's confidence set for a ratio of paired means (see the module docstring)."""

    ratio: float
    """Mean numerator difference / mean denominator difference (NaN when undefined)."""
    low: float
    """Lower bound (``exclusive``: the set is (-inf, low] and [high, inf)); NaN if unbounded."""
    high: float
    kind: str
    """``bounded``, ``exclusive``, ``unbounded`` (every ratio) or ``undefined`` (no ratio)."""


def fieller(numerator: np.ndarray, denominator: np.ndarray, alpha: float) -> Fieller:
    """Fieller's 1 - ``alpha`` confidence set for mean(numerator) / mean(denominator) of paired
    per-replication values (t quantile on n - 1 df)."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha}")
    num = np.asarray(numerator, dtype=float).ravel()
    den = np.asarray(denominator, dtype=float).ravel()
    keep = ~(np.isnan(num) | np.isnan(den))
    num, den = num[keep], den[keep]
    n = num.size
    if n == 0:
        return Fieller(math.nan, math.nan, math.nan, UNDEFINED)
    a, b = float(num.mean()), float(den.mean())
    if np.all(den == den[0]) and b == 0.0:
        return Fieller(math.nan, math.nan, math.nan, UNDEFINED)
    ratio = a / b if b != 0.0 else math.nan
    if n < 2:
        return Fieller(ratio, math.nan, math.nan, UNDEFINED)
    cov = np.cov(np.vstack([num, den]), ddof=1) / n
    v11, v12, v22 = float(cov[0, 0]), float(cov[0, 1]), float(cov[1, 1])
    t2 = float(_st.t.ppf(1.0 - alpha / 2.0, n - 1)) ** 2
    qa = b * b - t2 * v22
    qb = a * b - t2 * v12
    qc = a * a - t2 * v11
    disc = qb * qb - qa * qc
    if qa > 0.0:
        root = math.sqrt(max(disc, 0.0))
        return Fieller(ratio, (qb - root) / qa, (qb + root) / qa, BOUNDED)
    if qa < 0.0 and disc > 0.0:
        root = math.sqrt(disc)
        return Fieller(ratio, (qb + root) / qa, (qb - root) / qa, EXCLUSIVE)
    return Fieller(ratio, math.nan, math.nan, UNBOUNDED)


def _note(
    f: Fieller, cost: tuple[float, float, float], outcome: tuple[float, float, float], level: float
) -> str:
    """Plain-English reading of a cost per outcome (empty when the interval reads as it is)."""
    pct = f"{100 * level:g}%"
    d_outcome = outcome[0]
    cost_unclear = " (cost difference not distinguishable from 0)" if cost[1] <= 0 <= cost[2] else ""
    if f.kind == UNDEFINED:
        if math.isnan(f.ratio) and d_outcome == 0.0:
            return "outcome difference exactly 0 in every replication: cost per outcome undefined"
        return "fewer than 2 replications: no interval"
    if f.kind == EXCLUSIVE:
        return (
            f"outcome difference not distinguishable from 0: cost per outcome unbounded; the {pct} "
            f"Fieller set is <= {f.low:,.0f} or >= {f.high:,.0f}"
        )
    if f.kind == UNBOUNDED:
        return (
            f"outcome difference not distinguishable from 0: cost per outcome undefined (the {pct} "
            "Fieller set is every value)"
        )
    if f.ratio < 0 and d_outcome > 0:
        return "more outcomes at lower cost: negative ratio, a saving per extra outcome" + cost_unclear
    if f.ratio < 0:
        return "fewer outcomes at higher cost: negative ratio" + cost_unclear
    if d_outcome < 0:
        return "fewer outcomes at lower cost: the ratio is the saving per outcome forgone" + cost_unclear
    return cost_unclear.strip(" ()")


def cost_effectiveness(
    summaries: Mapping[str, pd.DataFrame],
    reference: str,
    *,
    alpha: float,
    value_per_outcome: float,
) -> pd.DataFrame:
    """``CE_COLUMNS`` for each policy but the reference and each of ``CE_OUTCOMES``, from summary.csv
    tables by scenario; ``value_per_outcome`` in GBP per person; intervals at level 1 - alpha."""
    if not (math.isfinite(value_per_outcome) and value_per_outcome >= 0):
        raise ValueError(f"value per outcome must be a non-negative number of GBP, got {value_per_outcome}")
    level = 1.0 - alpha
    tables = paired_tables(summaries, reference)
    ref = tables[reference]
    method = (
        f"paired differences from {reference}; t intervals at {100 * level:g}%; cost per outcome: ratio "
        "of mean differences, Fieller interval; net benefit: paired t interval"
    )
    rows = []
    for name, table in tables.items():
        if name == reference:
            continue
        d_cost = (kpi_values(table, CE_COST) - kpi_values(ref, CE_COST)).to_numpy()
        for outcome in CE_OUTCOMES:
            d_out = (kpi_values(table, outcome) - kpi_values(ref, outcome)).to_numpy()
            c = t_interval(d_cost, level)
            o = t_interval(d_out, level)
            f = fieller(d_cost, d_out, alpha)
            nb = t_interval(value_per_outcome * d_out - d_cost, level)
            cpo = (f.ratio, f.low, f.high) if f.kind == BOUNDED else (f.ratio, math.nan, math.nan)
            rows.append((name, outcome, *c, *o, *cpo, *nb, value_per_outcome, method, _note(f, c, o, level)))
    return pd.DataFrame(rows, columns=CE_COLUMNS)
