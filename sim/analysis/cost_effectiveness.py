"""Cost-effectiveness of each policy against the reference: what an extra outcome costs.

For each policy and outcome of ``kpis.CE_OUTCOMES``, from the paired per-replication differences
from the reference (GBP and people per cohort over the horizon):

* ``d_cost``, ``d_outcome``: mean paired differences with paired t intervals (as comparison.csv);
* ``cost_per_outcome`` = mean d_cost / mean d_outcome (the incremental cost-effectiveness ratio,
  GBP per extra person), with **Fieller's** interval: the ratios R for which mean d_cost - R mean
  d_outcome is not distinguishable from 0 at level 1 - alpha, using the variances and covariance
  of the two differences (Willan and O'Brien 1996, Statistics in Medicine 15:1207). Not a paired
  bootstrap: the means of sums over a cohort of thousands are close to bivariate normal, where
  Fieller is exact without resampling noise, and when d_outcome is not distinguishable from 0
  Fieller says the ratio is unbounded while a percentile bootstrap gives a finite, unstable and
  misleading interval;
* ``net_benefit`` = value_per_outcome * d_outcome - d_cost (GBP), a paired t interval; positive
  means the outcomes gained are worth more than they cost at the stated value.

When d_outcome's interval includes 0, Fieller's set is the whole line or two rays: the bounds are
NaN and ``cpo_note`` says which (with the rays' ends). The ratio is NaN when d_outcome is exactly 0
in every replication (the policy cannot change it). A negative ratio means dominant or dominated;
the note says which, and when the cost difference itself is not distinguishable from 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
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
    """Lower bound when ``kind`` is bounded; for ``exclusive`` the end of the lower ray (the set
    is (-inf, low] and [high, inf)); NaN otherwise."""
    high: float
    kind: str
    """``bounded``, ``exclusive``, ``unbounded`` (every ratio) or ``undefined`` (no ratio)."""


def fieller(numerator: np.ndarray, denominator: np.ndarray, alpha: float) -> Fieller:
    """Fieller's 1 - ``alpha`` confidence set for mean(numerator) / mean(denominator), from paired
    per-replication values (pairs with a NaN dropped), with the t quantile on n - 1 df."""
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
    """Plain-English reading of a cost per outcome (empty when the interval reads as it is);
    ``cost`` and ``outcome`` are the (mean, low, high) of the paired differences."""
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
    outcomes: Sequence[str] = CE_OUTCOMES,
    cost: str = CE_COST,
) -> pd.DataFrame:
    """One row per policy (other than the reference) and outcome: ``CE_COLUMNS``.

    ``summaries`` maps scenario names to summary.csv tables (the reference among them), paired on
    ``replication``; ``value_per_outcome`` is in GBP per person; intervals are at level 1 - alpha.
    """
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
        d_cost = (kpi_values(table, cost) - kpi_values(ref, cost)).to_numpy()
        for outcome in outcomes:
            d_out = (kpi_values(table, outcome) - kpi_values(ref, outcome)).to_numpy()
            c = t_interval(d_cost, level)
            o = t_interval(d_out, level)
            f = fieller(d_cost, d_out, alpha)
            nb = t_interval(value_per_outcome * d_out - d_cost, level)
            bounded = f.kind == BOUNDED
            rows.append(
                (
                    name,
                    outcome,
                    *c,
                    *o,
                    f.ratio,
                    f.low if bounded else math.nan,
                    f.high if bounded else math.nan,
                    *nb,
                    value_per_outcome,
                    method,
                    _note(f, c, o, level),
                )
            )
    return pd.DataFrame(rows, columns=CE_COLUMNS)
