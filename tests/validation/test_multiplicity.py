"""Simultaneous intervals of many policies' paired differences from one reference.

The family-wise coverage is checked on a null example (many policies identical to the reference
up to noise with a realistic correlation): the share of experiments with any false ``*`` must be
within binomial noise of alpha, while the unadjusted intervals' share is far above it (so the
check can fail). Degenerate cases of common random numbers (exactly constant differences), NaN,
too few replications and a single policy are checked exactly.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.analysis import multiplicity as mult
from sim.analysis.statistics import COMPARE_COLUMNS, compare, t_interval


def null_differences(rng: np.random.Generator, n: int, j: int) -> np.ndarray:
    """Paired differences of ``j`` policies that do nothing on average: a component shared by all
    (the reference's own noise, which every difference subtracts), one shared by half of them with
    opposite signs (policies acting on the same lever), and their own noise; scales from 1 to 1000
    (people to GBP), as in the policy library."""
    shared = rng.standard_normal((n, 1))
    lever = rng.standard_normal((n, 1)) * np.sign(np.arange(j) - j // 2)
    own = rng.standard_normal((n, j))
    return (0.8 * shared + 0.4 * lever + 0.45 * own) * np.geomspace(1.0, 1000.0, j)


def any_star(low: np.ndarray, high: np.ndarray) -> bool:
    return bool(np.any((low > 0) | (high < 0)))


@pytest.mark.slow
def test_family_wise_error_is_alpha_on_a_null_example() -> None:
    """2,000 comparisons of 13 null policies with 20 replications: any false * in alpha of them."""
    rng = np.random.default_rng(2014)
    experiments, n, j, alpha = 2000, 20, 13, 0.05
    simultaneous = unadjusted = 0
    critical = stats.t.ppf(1 - alpha / 2, n - 1)
    for _ in range(experiments):
        d = null_differences(rng, n, j)
        _, low, high, family = mult.simultaneous_intervals(d, alpha)
        assert family.method == mult.MAX_T
        simultaneous += any_star(low, high)
        half = critical * d.std(axis=0, ddof=1) / math.sqrt(n)  # statistics.t_interval, vectorised
        unadjusted += any_star(d.mean(axis=0) - half, d.mean(axis=0) + half)
    band = 3 * math.sqrt(alpha * (1 - alpha) / experiments)  # 3 binomial standard errors: 0.0146
    assert abs(simultaneous / experiments - alpha) < band
    assert unadjusted / experiments > 0.2  # without the adjustment: about 0.26 here


def test_simultaneous_contains_unadjusted_and_is_within_bonferroni() -> None:
    rng = np.random.default_rng(1)
    d = null_differences(rng, 20, 13) + np.linspace(-50, 50, 13)
    mean, low, high, family = mult.simultaneous_intervals(d, 0.05)
    assert family.method == mult.MAX_T and family.size == 13 and family.replications == 20
    assert 0.05 / 13 <= family.per_comparison_alpha <= 0.05
    for k in range(13):
        m, ulo, uhi = t_interval(d[:, k], 0.95)
        _, blo, bhi = t_interval(d[:, k], 1 - 0.05 / 13)
        assert mean[k] == pytest.approx(m)
        assert low[k] <= ulo and high[k] >= uhi
        assert low[k] >= blo - 1e-9 and high[k] <= bhi + 1e-9
    # correlated differences need less than Bonferroni: the max-t critical value is smaller
    assert family.per_comparison_alpha > 0.05 / 13


def test_critical_value_matches_the_simulated_statistic_not_the_pooled_multivariate_t() -> None:
    """Independent differences: max-|t| with separate variances has a known law (the product of
    J independent t's), slightly above the pooled multivariate t's quantile."""
    j, n, alpha = 6, 12, 0.05
    q = mult.max_t_quantile(np.eye(j), n, alpha)
    exact = stats.t.ppf(1 - (1 - (1 - alpha) ** (1 / j)) / 2, n - 1)  # Sidak, exact for independence
    assert q == pytest.approx(exact, rel=0.02)
    pooled = stats.multivariate_t(shape=np.eye(j), df=n - 1, seed=1).rvs(size=200_000)
    assert np.quantile(np.abs(pooled).max(axis=1), 1 - alpha) < exact


def test_identical_differences_need_no_adjustment() -> None:
    """Five policies with the same paired differences are one comparison (a singular correlation)."""
    d = np.repeat(np.random.default_rng(2).normal(0, 1, (20, 1)), 5, axis=1)
    _, low, high, family = mult.simultaneous_intervals(d, 0.05)
    assert family.method == mult.MAX_T
    assert family.per_comparison_alpha == pytest.approx(0.05, abs=0.003)
    _, ulo, uhi = t_interval(d[:, 0], 0.95)
    assert low[0] <= ulo and high[0] >= uhi and low[0] == pytest.approx(ulo, rel=0.02)


def test_constant_differences_are_exact_and_left_out_of_the_family() -> None:
    rng = np.random.default_rng(3)
    d = np.column_stack([np.zeros(20), np.full(20, 450.0), rng.normal(0, 1, 20), rng.normal(0, 1, 20)])
    mean, low, high, family = mult.simultaneous_intervals(d, 0.05)
    assert (low[0], high[0]) == (0.0, 0.0) and not mult.excludes_zero(low[0], high[0])
    assert (low[1], mean[1], high[1]) == (450.0, 450.0, 450.0) and mult.excludes_zero(low[1], high[1])
    assert family.size == 2  # only the two varying differences compete


def test_one_varying_policy_gets_the_unadjusted_interval() -> None:
    rng = np.random.default_rng(4)
    d = np.column_stack([rng.normal(0, 1, 10), np.zeros(10)])
    _, low, high, family = mult.simultaneous_intervals(d, 0.1)
    assert family.method == mult.SINGLE and family.per_comparison_alpha == 0.1
    assert (low[0], high[0]) == t_interval(d[:, 0], 0.9)[1:]


def test_too_few_replications_and_nan() -> None:
    rng = np.random.default_rng(5)
    one = rng.normal(0, 1, (1, 4))
    _, low, high, family = mult.simultaneous_intervals(one, 0.05)
    assert np.isnan(low).all() and np.isnan(high).all() and family.method == mult.NONE
    # 5 replications of 13 policies: the correlation cannot be estimated, so Bonferroni
    few = rng.normal(0, 1, (5, 13))
    _, low, high, family = mult.simultaneous_intervals(few, 0.05)
    assert family.method == mult.BONFERRONI and family.per_comparison_alpha == pytest.approx(0.05 / 13)
    assert (low[0], high[0]) == pytest.approx(t_interval(few[:, 0], 1 - 0.05 / 13)[1:])
    # a NaN drops that replication for its policy (as the unadjusted interval does) and from the
    # correlation estimate
    d = rng.normal(0, 1, (20, 3))
    d[4, 1] = np.nan
    mean, low, high, family = mult.simultaneous_intervals(d, 0.05)
    assert family.method == mult.MAX_T and family.replications == 19
    assert mean[1] == pytest.approx(np.nanmean(d[:, 1]))
    assert low[1] < t_interval(d[:, 1], 0.95)[1]


def test_monte_carlo_is_reproducible() -> None:
    d = null_differences(np.random.default_rng(6), 20, 8)
    assert mult.family_alpha(d, 0.05) == mult.family_alpha(d, 0.05)
    assert mult.family_alpha(d, 0.05).per_comparison_alpha > mult.family_alpha(d, 0.01).per_comparison_alpha


def _summaries(n: int = 20) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(7)
    ref = rng.normal(1000, 50, n)
    out = {"base": pd.DataFrame({"replication": range(n), "contacted": ref, "complaints": 3.0})}
    for i in range(4):
        contacted = ref + rng.normal(10 * i, 5, n)
        out[f"p{i}"] = pd.DataFrame({"replication": range(n), "contacted": contacted, "complaints": 3.0})
    return out


def test_simultaneous_comparison_appends_columns_to_compare() -> None:
    summaries = _summaries()
    table, families = mult.simultaneous_comparison(summaries, "base", ["contacted", "complaints"], 0.05)
    assert list(table.columns) == [*COMPARE_COLUMNS, "diff_sim_ci_low", "diff_sim_ci_high"]
    pd.testing.assert_frame_equal(
        table[COMPARE_COLUMNS], compare(summaries, "base", ["contacted", "complaints"])
    )
    ref = table[table["scenario"] == "base"]
    assert (ref[["diff_sim_ci_low", "diff_sim_ci_high"]] == 0).all().all()
    others = table[table["scenario"] != "base"]
    assert (others["diff_sim_ci_low"] <= others["diff_ci_low"]).all()
    assert (others["diff_sim_ci_high"] >= others["diff_ci_high"]).all()
    complaints = others[others["kpi"] == "complaints"]
    assert (complaints[["diff_sim_ci_low", "diff_sim_ci_high"]] == 0).all().all()
    assert families["contacted"].method == mult.MAX_T and families["complaints"].method == mult.NONE
    # the level follows alpha
    wide, _ = mult.simultaneous_comparison(summaries, "base", ["contacted"], 0.01)
    narrow = table[(table["kpi"] == "contacted") & (table["scenario"] == "p1")]
    assert wide.loc[wide["scenario"] == "p1", "diff_sim_ci_low"].item() < narrow["diff_sim_ci_low"].item()
