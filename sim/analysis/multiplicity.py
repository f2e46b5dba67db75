"""Simultaneous confidence intervals for many policies' differences from one reference.

Why. With 13 policies against the baseline and an unadjusted 95% interval each, a KPI that no
policy changes still gets a false ``*`` in about half of comparisons (1 - 0.95^13;
tests/validation/test_multiplicity.py measures it). The intervals of one KPI's family (every
policy's paired difference from the reference) hold together with probability 1 - alpha, so the
chance of any false ``*`` on a KPI is alpha. Families are not combined across KPIs: each KPI
answers its own question.

Method: max-|t| (Dunnett-type) with the paired correlation, by Monte Carlo. Replication k of
every policy shares its random numbers with replication k of the reference, so the paired
differences of replication k form one correlated J-vector; over replications the vectors are
independent and, for cohort totals, close to normal. The critical value c is the 1 - alpha
quantile of max_j |T_j|, T_j = sqrt(n) mean_j / sd_j, for normal vectors with the differences'
sample correlation R. It depends on R and n only, so it is simulated (``DRAWS`` draws, fixed
seed, through the sufficient statistics: mean by ``numpy``, covariance by
``scipy.stats.wishart``), and each policy's interval is mean_j +- c sd_j / sqrt(n). Not the
libraries: ``scipy.stats.dunnett`` assumes independent groups with one pooled variance (it would
ignore the pairing, and the variances differ by orders of magnitude), and
``scipy.stats.multivariate_t`` shares one variance estimate across the T_j, which gives a smaller
quantile and too narrow intervals.

c is kept between the unadjusted t quantile (so the simultaneous interval always contains the
unadjusted one) and the Bonferroni quantile t(1 - alpha/2J) (valid for any correlation), and is
expressed as a per-comparison level alpha* in [alpha/J, alpha]. With fewer than J + 2 replications
with a value for every policy, R cannot be estimated and Bonferroni is used.

Degenerate cases: a paired difference that is the same in every replication (common random
numbers: 0 for a KPI a policy cannot reach) is known without error, its interval is [d, d] and it
is left out of the family. NaN values are dropped per policy as in ``statistics``; fewer than two
values give NaN bounds; a family of one policy gets the unadjusted interval.
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
    """F with F @ F.T = the sample correlation of the columns (F from its eigen-decomposition,
    so a singular correlation, e.g. two policies with identical differences, is fine)."""
    corr = np.corrcoef(data, rowvar=False)
    corr = np.atleast_2d(corr)
    values, vectors = np.linalg.eigh((corr + corr.T) / 2.0)
    return vectors * np.sqrt(np.clip(values, 0.0, None))


@functools.lru_cache(maxsize=8)
def _null_draws(n: int, j: int, draws: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``draws`` independent pairs (sqrt(n) * mean, (n - 1) * covariance) of ``n`` standard normal
    J-vectors: N(0, I) and Wishart(n - 1, I) (``scipy.stats.wishart``, Bartlett decomposition).

    These are the sufficient statistics of the null experiment, so its cost does not grow with
    ``n``; they do not depend on the data, so every KPI of a comparison reuses them (cached).
    """
    rng = np.random.default_rng(seed)
    mean = rng.standard_normal((draws, j))
    cov = np.asarray(_st.wishart(df=n - 1, scale=np.eye(j)).rvs(size=draws, random_state=rng), dtype=float)
    cov = cov.reshape(draws, j, j)
    mean.setflags(write=False)
    cov.setflags(write=False)
    return mean, cov


def max_t_quantile(factor: np.ndarray, n: int, alpha: float, draws: int = DRAWS, seed: int = SEED) -> float:
    """The 1 - ``alpha`` quantile of max_j |sqrt(n) mean_j / sd_j| over ``n`` replications of
    normal vectors with correlation ``factor @ factor.T``, by Monte Carlo. With X = F Z,
    sqrt(n) mean(X) = F sqrt(n) mean(Z) and (n - 1) cov(X) = F W F', W ~ Wishart(n - 1, I), so a
    draw costs a J-vector and a J x J matrix whatever ``n``. Needs ``n - 1 >= J``.
    """
    j = factor.shape[0]
    if n - 1 < j:
        raise ValueError(f"need at least {j + 1} replications for {j} policies, got {n}")
    z, w = _null_draws(n, j, draws, seed)
    mean = z @ factor.T
    # diag(F W F')_j = sum_ab F_ja W_ab F_jb for every draw at once: one matrix product
    pairs = np.einsum("ja,jb->abj", factor, factor).reshape(j * j, j)
    ss = w.reshape(len(w), j * j) @ pairs
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.abs(mean) / np.sqrt(ss / (n - 1))
    maxima = np.nanmax(np.where(np.isfinite(t), t, np.nan), axis=1)
    return float(np.quantile(maxima, 1.0 - alpha))


def family_alpha(diffs: np.ndarray, alpha: float, draws: int = DRAWS, seed: int = SEED) -> Family:
    """The per-comparison level alpha* that makes the family of intervals simultaneous.

    ``diffs`` is replications x policies: the paired differences from the reference on one KPI,
    NaN where a value is missing. See the module docstring for the method and its bounds.
    """
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
    q = max_t_quantile(_correlation_factor(data), n, alpha, draws, seed)
    per_comparison = float(2.0 * _st.t.sf(q, n - 1))
    return Family(MAX_T, size, alpha, min(alpha, max(bonferroni, per_comparison)), n)


def simultaneous_intervals(
    diffs: np.ndarray, alpha: float, draws: int = DRAWS, seed: int = SEED
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Family]:
    """Mean paired difference of each policy (column of ``diffs``) with its simultaneous interval.

    Returns ``(mean, low, high, family)``: arrays with one entry per column, and how they were
    made. Columns whose difference does not vary get [d, d]; columns with fewer than two values
    get NaN bounds (``statistics.t_interval``).
    """
    family = family_alpha(diffs, alpha, draws, seed)
    diffs = np.asarray(diffs, dtype=float)
    rows = [t_interval(diffs[:, k], 1.0 - family.per_comparison_alpha) for k in range(diffs.shape[1])]
    mean, low, high = (np.array(v, dtype=float) for v in zip(*rows, strict=True)) if rows else ([], [], [])
    return np.asarray(mean), np.asarray(low), np.asarray(high), family


def simultaneous_comparison(
    summaries: Mapping[str, pd.DataFrame],
    reference: str,
    kpis: Sequence[str],
    alpha: float,
    draws: int = DRAWS,
    seed: int = SEED,
) -> tuple[pd.DataFrame, dict[str, Family]]:
    """``statistics.compare`` at level 1 - ``alpha`` with the simultaneous interval of each paired
    difference appended (``COMPARISON_COLUMNS``), and the family of each KPI.

    The reference's own simultaneous interval is (0, 0), like its unadjusted one. Pairing is on
    the ``replication`` column and is checked by ``compare``.
    """
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
        _, lo, hi, families[column] = simultaneous_intervals(diffs, alpha, draws, seed)
        for k, name in enumerate(others):
            row = table.index[(table["scenario"] == name) & (table["kpi"] == column)]
            low[row], high[row] = lo[k], hi[k]
    return table.assign(diff_sim_ci_low=low, diff_sim_ci_high=high)[COMPARISON_COLUMNS], families


def excludes_zero(low: float, high: float) -> bool:
    """Whether an interval lies wholly above or below zero (the ``*`` of the tables and plots);
    False for NaN bounds."""
    return bool(low > 0 or high < 0)
