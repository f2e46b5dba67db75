"""Published figures against the model: a measure's mean over replications, its 95% t interval,
and whether the mean lies within the target's tolerance band (``band``; the rule
``run_sim.py targets --help`` states). The rule is on the mean, not the interval: with many
replications an interval is narrow and would reject any figure not hit exactly, while the
tolerance says how far the published figure itself can be trusted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from sim.analysis.statistics import t_interval
from sim.analysis.tables import render_table

TARGET_COLUMNS: tuple[str, ...] = (
    "target",
    "source",
    "published",
    "model_mean",
    "model_ci_low",
    "model_ci_high",
    "tolerance",
    "within",
)
"""The required columns of targets.csv, first and in this order (the report reads them)."""
EXTRA_COLUMNS: tuple[str, ...] = ("role", "comparison", "ci_overlaps", "n", "measure", "scenario", "note")
"""Columns after the required ones (described in ``run_sim.py targets --help``)."""
COMPARISONS = ("two_sided", "at_least", "at_most")
ROLES = ("calibration", "parameter", "validation")


def band(published: float, tolerance: float, comparison: str) -> tuple[float, float]:
    """The values a model mean may take to be within the target: ``(low, high)``."""
    if comparison == "two_sided":
        return published - tolerance, published + tolerance
    if comparison == "at_least":
        return published - tolerance, math.inf
    if comparison == "at_most":
        return -math.inf, published + tolerance
    raise ValueError(f"comparison must be one of {', '.join(COMPARISONS)}, got {comparison!r}")


def within(mean: float, published: float, tolerance: float, comparison: str = "two_sided") -> bool:
    """Whether the model mean is within the tolerance band (never for a NaN mean)."""
    if not math.isfinite(mean):
        return False
    low, high = band(published, tolerance, comparison)
    # a tiny allowance for rounding: 0.3 - 0.1 is not exactly 0.2 in binary
    eps = 1e-12 * max(1.0, abs(published), abs(tolerance))
    return low - eps <= mean <= high + eps


def ci_overlaps(low: float, high: float, published: float, tolerance: float, comparison: str) -> bool:
    """Whether the interval [low, high] meets the tolerance band (False when it is undefined)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return False
    b_low, b_high = band(published, tolerance, comparison)
    return low <= b_high and high >= b_low


def evaluate(values: Sequence[float] | pd.Series) -> tuple[float, float, float, int]:
    """Mean, 95% t interval and n of one measure's per-replication values (NaNs dropped)."""
    series = pd.Series(values, dtype=float).dropna()
    mean, low, high = t_interval(series)
    return mean, low, high, int(series.size)


def _fmt(value: float, share: bool) -> str:
    if not math.isfinite(value):
        return "n/a"
    return f"{100 * value:.2f}%" if share else f"{value:,.3g}" if abs(value) >= 100 else f"{value:.3f}"


def format_targets_table(frame: pd.DataFrame, shares: set[str]) -> str:
    """targets.csv as a text table: shares (targets named in ``shares``) in %."""
    headings = ["Target", "Role", "Published", "Model mean (95% CI)", "Tolerance", "Within"]
    rows = []
    for r in frame.to_dict("records"):
        share = r["target"] in shares
        sign = {"at_least": ">= ", "at_most": "<= "}.get(str(r.get("comparison", "")), "")
        ci = f"({_fmt(r['model_ci_low'], share)} to {_fmt(r['model_ci_high'], share)})"
        model = _fmt(r["model_mean"], share) + (f" {ci}" if math.isfinite(r["model_ci_low"]) else "")
        verdict = "yes" if r["within"] else "no" + (" (CI meets band)" if r.get("ci_overlaps") else "")
        rows.append(
            [
                str(r["target"]),
                str(r.get("role", "")),
                sign + _fmt(r["published"], share),
                model,
                "±" + _fmt(r["tolerance"], share),
                verdict,
            ]
        )
    return render_table(headings, rows, "llrrrl")
