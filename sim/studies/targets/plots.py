"""Published figures against the model (targets.csv), a panel per target on its own scale (shares
in %): the tolerance band shaded, the published figure a black diamond, the model's mean a dot with
its 95% t interval. Nothing here prints.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from sim.analysis.plots.style import figure, grid, no_data, save, wrap
from sim.studies.targets.analysis import band

MODEL_COLOUR = "#0072B2"
BAND_COLOUR = "#009E73"
MISS_COLOUR = "#D55E00"


def _limits(values: list[float]) -> tuple[float, float]:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return 0.0, 1.0
    low, high = min(finite), max(finite)
    span = high - low or max(abs(high), 1e-9)
    return low - 0.25 * span, high + 0.25 * span


def plot_targets(frame: pd.DataFrame, path: str | Path, titles: dict[str, str]) -> Path:
    """The figure of ``frame`` (targets.csv rows with ``unit``: "share" shows in %); ``titles``
    maps a target id to its short name (the id itself otherwise)."""
    n = len(frame)
    nrows, ncols = grid(n, max_cols=3)
    with figure(nrows, ncols, (4.2 * ncols, 1.9 * nrows + 0.8), max(n, 1)) as (fig, axes):
        fig.suptitle("Published figures against the model (mean, 95% CI; band = tolerance)")
        if n == 0:
            no_data(axes[0], "No targets")
            return save(fig, path)
        for ax, row in zip(axes, frame.to_dict("records"), strict=False):
            share = str(row.get("unit", "")) == "share"
            k = 100.0 if share else 1.0
            pub, tol = float(row["published"]) * k, float(row["tolerance"]) * k
            mean, low, high = (float(row[c]) * k for c in ("model_mean", "model_ci_low", "model_ci_high"))
            comparison = str(row.get("comparison", "two_sided"))
            b_low, b_high = band(pub, tol, comparison)
            x_low, x_high = _limits([pub, b_low, b_high, mean, low, high])
            ax.axvspan(max(b_low, x_low), min(b_high, x_high), color=BAND_COLOUR, alpha=0.18, lw=0)
            ax.plot([pub], [1], marker="D", color="black", ms=7, ls="none", label="published")
            inside = str(row["within"]).lower() in ("true", "1")
            colour = MODEL_COLOUR if inside else MISS_COLOUR
            if math.isfinite(mean):
                if math.isfinite(low) and math.isfinite(high):
                    ax.errorbar(
                        [mean],
                        [0],
                        xerr=[[mean - low], [high - mean]],
                        fmt="o",
                        color=colour,
                        capsize=4,
                        ms=6,
                        label="model (95% CI)",
                    )
                else:
                    ax.plot([mean], [0], "o", color=colour, ms=6, label="model")
            else:
                ax.text(
                    0.5,
                    0.25,
                    "model: not computed",
                    transform=ax.transAxes,
                    ha="center",
                    color="#666666",
                    fontsize=8,
                )
            ax.set_xlim(x_low, x_high)
            ax.set_ylim(-0.8, 1.8)
            ax.set_yticks([0, 1], ["model", "published"])
            ax.grid(axis="y", visible=False)
            unit = "%" if share else wrap(str(row.get("unit", "")), 40)
            ax.set_xlabel(unit, fontsize=8)
            name = titles.get(str(row["target"]), str(row["target"]))
            verdict = "within" if inside else "outside" if math.isfinite(mean) else "not computed"
            ax.set_title(wrap(f"{name} [{row.get('role', '')}; {verdict}]", 42), fontsize=9)
        handles, labels = axes[0].get_legend_handles_labels()
        if handles:
            fig.legend(
                handles, labels, loc="lower center", ncol=2, frameon=False, bbox_to_anchor=(0.5, -0.02)
            )
        return save(fig, path)
