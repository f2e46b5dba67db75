"""Confidence intervals and scenario comparisons over replication summaries (tidy tables: a row
per replication, a column per KPI and ``replication``).

Replication ``i`` of every scenario uses the same random-number streams, so differences are
analysed *paired*: the shared noise cancels and the intervals are far narrower. Student t
quantiles, because replication counts are small. NaN values (a KPI undefined in a replication)
are dropped and ``n`` counts those used.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats as _st

from sim.analysis import kpis as _kpis
from sim.analysis.kpis import DEFAULT_KPIS  # the default selection; defined with every KPI there

COMPARE_COLUMNS: list[str] = [
    "scenario",
    "kpi",
    "mean",
    "ci_low",
    "ci_high",
    "diff_vs_reference",
    "diff_ci_low",
    "diff_ci_high",
]
STATS_COLUMNS: list[str] = ["kpi", "mean", "ci_low", "ci_high", "sd", "n"]


def _clean(values: Iterable[float] | np.ndarray | pd.Series) -> np.ndarray:
    """Values as a 1-d float array with NaNs removed."""
    arr = np.asarray(values, dtype=float).ravel()
    return arr[~np.isnan(arr)]


def _check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level must lie strictly between 0 and 1, got {level}")


def t_interval(
    values: Iterable[float] | np.ndarray | pd.Series, level: float = 0.95
) -> tuple[float, float, float]:
    """Mean and two-sided Student-t confidence interval ``(mean, low, high)`` of the values: NaN
    bounds with fewer than two values (not a misleading zero width), the mean when all are equal
    (checked exactly, so rounding in the variance cannot give a spurious tiny width)."""
    _check_level(level)
    arr = _clean(values)
    n = arr.size
    if n == 0:
        return (math.nan, math.nan, math.nan)
    if np.all(arr == arr[0]):
        mean = float(arr[0])
        return (mean, math.nan, math.nan) if n == 1 else (mean, mean, mean)
    mean = float(arr.mean())
    half = float(_t_quantile(level, n - 1)) * float(arr.std(ddof=1)) / math.sqrt(n)
    return (mean, mean - half, mean + half)


def _t_quantile(level: float, df: float | np.ndarray) -> np.ndarray:
    """Two-sided Student-t quantile for ``level`` with ``df`` degrees of freedom (NaN below 1)."""
    return np.asarray(_st.t.ppf((1.0 + level) / 2.0, df), dtype=float)


def t_interval_by_group(
    frame: pd.DataFrame, by: str | list[str], level: float = 0.95
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``t_interval`` of every column within each group of index level(s) ``by``, vectorised, as
    ``(mean, low, high)`` frames indexed by the group: e.g. people in each state (columns) on each
    day (``by="day"``) over replications, for confidence bands over time."""
    _check_level(level)
    grouped = frame.groupby(level=by)
    mean, sd, n = grouped.mean(), grouped.std(ddof=1), grouped.count()
    quantile = _t_quantile(level, np.where(n.to_numpy() >= 2, n.to_numpy() - 1, np.nan))
    half = pd.DataFrame(quantile, index=n.index, columns=n.columns) * sd / np.sqrt(n)
    constant = (grouped.max() == grouped.min()) & (n >= 2)
    half = half.mask(constant, 0.0)
    return mean, mean - half, mean + half


def paired_difference(
    a: Sequence[float] | np.ndarray | pd.Series,
    b: Sequence[float] | np.ndarray | pd.Series,
    level: float = 0.95,
) -> tuple[float, float, float]:
    """Mean of ``b - a`` with its t interval on the per-pair differences ``(mean_diff, low, high)``;
    ``a[i]`` and ``b[i]`` come from replication ``i`` (common random numbers)."""
    x = np.asarray(a, dtype=float).ravel()
    y = np.asarray(b, dtype=float).ravel()
    if x.size != y.size:
        raise ValueError(f"paired samples must have equal length, got {x.size} and {y.size}")
    return t_interval(y - x, level)


def halfwidth_below(
    values_diff: Iterable[float] | np.ndarray | pd.Series, width: float, level: float = 0.95
) -> bool:
    """Whether the t-interval half-width of paired differences is strictly below ``width`` (the
    stopping test for adaptive replications); False with fewer than two values, so a caller never
    stops before it has a variance estimate."""
    _, low, high = t_interval(values_diff, level)
    if math.isnan(low):
        return False
    return (high - low) / 2.0 < width


def _require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"{what} is missing column(s) {missing}; available: {list(frame.columns)}")


def kpi_values(frame: pd.DataFrame, name: str) -> pd.Series:
    """A KPI per replication (row): the summary.csv column, or for a derived KPI
    (``kpis.DERIVED_KPIS``) the sum of its parts, NaN where any part is NaN."""
    parts = _kpis.kpi(name).parts
    if not parts:
        _require_columns(frame, [name], "summary")
        return frame[name].astype(float)
    _require_columns(frame, parts, "summary")
    return frame[list(parts)].astype(float).sum(axis=1, min_count=len(parts)).rename(name)


def summarise(summary: pd.DataFrame, kpis: Sequence[str] = DEFAULT_KPIS, level: float = 0.95) -> pd.DataFrame:
    """One row per KPI: mean, t confidence interval, sample standard deviation between
    replications (NaN with one) and ``n`` over the rows (replications) of ``summary``."""
    _require_columns(summary, kpis, "summary")
    rows = []
    for kpi in kpis:
        arr = _clean(summary[kpi])
        mean, low, high = t_interval(arr, level)
        sd = float(arr.std(ddof=1)) if arr.size > 1 else math.nan
        rows.append((kpi, mean, low, high, sd, int(arr.size)))
    return pd.DataFrame(rows, columns=STATS_COLUMNS)


def _by_replication(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """The table indexed and sorted by replication, refusing duplicate replication indices."""
    _require_columns(frame, ["replication"], f"summary of scenario {name!r}")
    if frame["replication"].duplicated().any():
        dups = sorted(frame.loc[frame["replication"].duplicated(), "replication"].unique().tolist())
        raise ValueError(f"scenario {name!r} has duplicate replication indices {dups}")
    return frame.set_index("replication").sort_index()


def paired_tables(summaries: Mapping[str, pd.DataFrame], reference: str) -> dict[str, pd.DataFrame]:
    """Each summary indexed by replication, in the reference's (sorted) order. ValueError for a
    scenario whose replications repeat or differ from the reference's: pairing would silently mix
    random-number streams."""
    if reference not in summaries:
        raise ValueError(f"reference scenario {reference!r} not among {list(summaries)}")
    ref = _by_replication(summaries[reference], reference)
    out = {}
    for name, frame in summaries.items():
        table = _by_replication(frame, name)
        here, there = set(table.index), set(ref.index)
        if here != there:
            raise ValueError(
                f"scenario {name!r} cannot be paired with reference {reference!r}: replications "
                f"only in {name!r}: {sorted(here - there)}; only in {reference!r}: {sorted(there - here)}"
            )
        out[name] = table.loc[ref.index]
    return out


def compare(
    summaries: Mapping[str, pd.DataFrame],
    reference: str,
    kpis: Sequence[str] = DEFAULT_KPIS,
    level: float = 0.95,
) -> pd.DataFrame:
    """Each scenario's KPI means and its paired difference from the reference scenario (0 with CI
    (0, 0) for the reference itself), paired on ``replication`` (``paired_tables``). Scenarios keep
    the mapping's order, KPIs the order of ``kpis``."""
    tables = paired_tables(summaries, reference)
    ref = tables[reference]
    _require_columns(ref, kpis, f"summary of scenario {reference!r}")
    rows = []
    for name, table in tables.items():
        _require_columns(table, kpis, f"summary of scenario {name!r}")
        for kpi in kpis:
            mean, low, high = t_interval(table[kpi], level)
            if name == reference:
                diff = (0.0, 0.0, 0.0)
            else:
                diff = paired_difference(ref[kpi].to_numpy(), table[kpi].to_numpy(), level)
            rows.append((name, kpi, mean, low, high, *diff))
    return pd.DataFrame(rows, columns=COMPARE_COLUMNS)
