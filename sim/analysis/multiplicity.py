"""Simultaneous confidence intervals for many policies' differences from one reference.

Why. With 13 policies and an unadjusted 95% interval each, a KPI that no policy changes still gets
a false ``*`` in about half of comparisons (1 - 0.95^13; tests/validation/test_multiplicity.py
measures it). The intervals of one KPI's family (every policy's paired difference from the
reference) hold together with probability 1 - alpha; families are not combined across KPIs.

Method: max-|t| (Dunnett-type) with the paired correlation, by Monte Carlo. Replication k of every
policy shares its random numbers with replication k of the reference, so the paired differences of
replication k form one correlated J-vector (independent over replications, close to normal). The
critical value c is the 1 - alpha quantile of max_j |T_j|, T_j = sqrt(n) mean_j / sd_j, for normal
vectors with the differences' sample correlation; each interval is mean_j +- c sd_j / sqrt(n). Not
``scipy.stats.dunnett`` (independent groups, one pooled variance: it ignores the pairing) nor
``scipy.stats.multivariate_t`` (one shared variance estimate: too small a quantile).

c is kept between the unadjusted t quantile (so the simultaneous interval contains the unadjusted
one) and the Bonferroni quantile t(1 - alpha/2J), as a per-comparison level alpha* in [alpha/J,
alpha]; with fewer than J + 2 complete replications Bonferroni is used. A paired difference equal
in every replication (0 for a KPI a policy cannot reach) is exact, [d, d], and left out of the
family; NaNs are dropped per policy; fewer than two values give NaN bounds.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as _st

from sim.analysis.statistics import COMPARE_COLUMNS, compare, kpi_values, paired_tables, t_interval

SIM_COLUMNS: list[str] = ["diff_sim_ci_low", "diff_sim_ci_high"]
"""Columns appended to ``statistics.COMPARE_COLUMNS`` in comparison.csv."""
COMPARISON_COLUMNS: list[str] = [*COMPARE_COLUMNS, *SIM_COLUMNS]
"""The columns of comparison.csv: the unadjusted columns first, then the simultaneous interval."""

DRAWS = 10_000
"""Monte Carlo draws of max-|t|. The tail probability of the simulated quantile is within about
+-0.002 (one standard error, sqrt(0.05 * 0.95 / 10,000)) of alpha = 0.05."""
SEED = 20_140_401
"""Fixed seed of the Monte Carlo draws, so a comparison's intervals are reproducible."""

MAX_T = "max-t"
BONFERRONI = "bonferroni"
SINGLE = "single"
NONE = "none"
METHODS: Mapping[str, str] = {
    MAX_T: "max-|t| over the policies' paired differences, correlation estimated (Monte Carlo)",
    BONFERRONI: "Bonferroni (too few replications to estimate the correlation of the differences)",
    SINGLE: "one policy with a varying difference: the unadjusted interval",
    NONE: "no policy with a varying difference: every interval is exact or undefined",
}
"""What each method name recorded in the comparison manifest means."""


@dataclass(frozen=True)
class Family:
    """How the simultaneous intervals of one KPI were made."""

    method: str
    """One of ``METHODS``."""
    size: int
    """Policies in the family: those whose paired difference varies between replications."""
    alpha: float
    """Family-wise error rate asked for."""
    per_comparison_alpha: float
    """alpha*: each interval of the family is the t interval at level 1 - alpha*."""
    replications: int
    """Replications with a value for every policy of the family (used for the correlation)."""


def _varies(values: np.ndarray) -> bool:
    """At least two values, not all equal: the difference has a sampling error."""
    clean = values[~np.isnan(values)]
    return clean.size >= 2 and bool(np.any(clean != clean[0]))


def _correlation_factor(data: np.ndarray) -> np.ndarray:
    """F with F @ F.T = the columns' sample correlation (by eigen-decomposition: a singular
    correlation, e.g. two policies with identical differences, is fine)."""
    corr = np.corrcoef(data, rowvar=False)
    corr = np.atleast_2d(corr)
    values, vectors = np.linalg.eigh((corr + corr.T) / 2.0)
    return vectors * np.sqrt(np.clip(values, 0.0, None))


@functools.lru_cache(maxsize=8)
def _null_draws(n: int, j: int, draws: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``draws`` pairs (sqrt(n) * mean, (n - 1) * covariance) of ``n`` standard normal J-vectors:
    N(0, I) and Wishart(n - 1, I). Sufficient statistics, so the cost does not grow with ``n``;
    independent of the data, so every KPI of a comparison reuses them (cached)."""
    rng = np.random.default_rng(seed)
    mean = rng.standard_normal((draws, j))
    cov = np.asarray(_st.wishart(df=n - 1, scale=np.eye(j)).rvs(size=draws, random_state=rng), dtype=float)
    cov = cov.reshape(draws, j, j)
    mean.setflags(write=False)
    cov.setflags(write=False)
    return mean, cov


def max_t_quantile(factor: np.ndarray, n: int, alpha: float) -> float:
    """The 1 - ``alpha`` quantile of max_j |sqrt(n) mean_j / sd_j| over ``n`` replications of
    normal vectors with correlation ``factor @ factor.T``, by Monte Carlo: with X = F Z,
    sqrt(n) mean(X) = F sqrt(n) mean(Z) and (n - 1) cov(X) = F W F'. Needs ``n - 1 >= J``."""
    j = factor.shape[0]
    if n - 1 < j:
        raise ValueError(f"need at least {j + 1} replications for {j} policies, got {n}")
    z, w = _null_draws(n, j, DRAWS, SEED)
    mean = z @ factor.T
    # diag(F W F')_j = sum_ab F_ja W_ab F_jb for every draw at once: one matrix product
    pairs = np.einsum("ja,jb->abj", factor, factor).reshape(j * j, j)
    ss = w.reshape(len(w), j * j) @ pairs
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.abs(mean) / np.sqrt(ss / (n - 1))
    maxima = np.nanmax(np.where(np.isfinite(t), t, np.nan), axis=1)
    return float(np.quantile(maxima, 1.0 - alpha))


def family_alpha(diffs: np.ndarray, alpha: float) -> Family:
    """The per-comparison level alpha* that makes the family of intervals simultaneous;
    ``diffs``: replications x policies, the paired differences from the reference on one KPI."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha}")
    diffs = np.asarray(diffs, dtype=float)
    if diffs.ndim != 2:
        raise ValueError(f"expected a replications x policies array, got shape {diffs.shape}")
    varying = [k for k in range(diffs.shape[1]) if _varies(diffs[:, k])]
    size = len(varying)
    if size == 0:
        return Family(NONE, 0, alpha, alpha, 0)
    data = diffs[:, varying]
    data = data[~np.isnan(data).any(axis=1)]
    n = int(data.shape[0])
    if size == 1:
        return Family(SINGLE, 1, alpha, alpha, n)
    bonferroni = alpha / size
    if n < size + 2 or not all(_varies(data[:, k]) for k in range(size)):
        return Family(BONFERRONI, size, alpha, bonferroni, n)
    q = max_t_quantile(_correlation_factor(data), n, alpha)
    per_comparison = float(2.0 * _st.t.sf(q, n - 1))
    return Family(MAX_T, size, alpha, min(alpha, max(bonferroni, per_comparison)), n)


def simultaneous_intervals(
    diffs: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Family]:
    """``(mean, low, high, family)``: each policy's (column of ``diffs``) mean paired difference
    with its simultaneous interval, and how the intervals were made."""
    family = family_alpha(diffs, alpha)
    diffs = np.asarray(diffs, dtype=float)
    level = 1.0 - family.per_comparison_alpha
    intervals = [t_interval(diffs[:, k], level) for k in range(diffs.shape[1])]
    rows = np.array(intervals, dtype=float).reshape(-1, 3)
    return rows[:, 0], rows[:, 1], rows[:, 2], family


def simultaneous_comparison(
    summaries: Mapping[str, pd.DataFrame],
    reference: str,
    kpis: Sequence[str],
    alpha: float,
) -> tuple[pd.DataFrame, dict[str, Family]]:
    """``statistics.compare`` at level 1 - ``alpha`` with each paired difference's simultaneous
    interval appended (``COMPARISON_COLUMNS``; (0, 0) for the reference), and each KPI's family."""
    table = compare(summaries, reference, kpis, level=1.0 - alpha)
    tables = paired_tables(summaries, reference)
    ref = tables[reference]
    others = [name for name in summaries if name != reference]
    low = pd.Series(0.0, index=table.index)
    high = pd.Series(0.0, index=table.index)
    families: dict[str, Family] = {}
    for column in kpis:
        base = kpi_values(ref, column).to_numpy()
        diffs = np.empty((len(ref), len(others)))
        for k, name in enumerate(others):
            diffs[:, k] = kpi_values(tables[name], column).to_numpy() - base
        _, lo, hi, families[column] = simultaneous_intervals(diffs, alpha)
        for k, name in enumerate(others):
            row = table.index[(table["scenario"] == name) & (table["kpi"] == column)]
            low[row], high[row] = lo[k], hi[k]
    return table.assign(diff_sim_ci_low=low, diff_sim_ci_high=high)[COMPARISON_COLUMNS], families


def excludes_zero(low: float, high: float) -> bool:
    """Whether an interval lies wholly above or below zero (the ``*``); False for NaN bounds."""
    return bool(low > 0 or high < 0)
