"""Plots of a probabilistic sensitivity analysis, in the KPIs' display units: each policy's
differences across the draws (``plot_differences``) and acceptability curves (``plot_ceac``, told
apart by colour, line style and marker so they read in grey)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.figures import CEAC_PLOT, DIFFERENCES_PLOT
from sim.analysis.kpis import kpi
from sim.analysis.plots.style import LINESTYLES, MARKERS, figure, grid, policy_colours, save, wrap


def plot_differences(
    diffs: pd.DataFrame, summary: pd.DataFrame, labels: dict[str, str], outdir: str | Path
) -> Path:
    """Each policy's paired difference from the reference across draws, one panel per KPI."""
    kpis = list(dict.fromkeys(summary.kpi))
    policies = list(dict.fromkeys(summary.scenario))
    nrows, ncols = grid(len(kpis), max_cols=2)
    height = max(2.2, 0.45 * len(policies) + 1.2)
    with figure(nrows, ncols, (6.5 * ncols, height * nrows), len(kpis)) as (fig, axes):
        fig.suptitle("Policy differences from the reference across draws of the assumptions")
        for ax, name in zip(axes, kpis, strict=False):
            k = kpi(name)
            for row, policy in enumerate(reversed(policies)):
                d = diffs[(diffs.scenario == policy) & (diffs.kpi == name)]["diff"].to_numpy(float) / k.scale
                y = np.full(d.size, float(row))
                ax.plot(d, y, "o", color="#8a8a8a", ms=3, alpha=0.6, zorder=2)
                if d.size:
                    lo, med, hi = np.percentile(d, [5, 50, 95])
                    ax.plot([lo, hi], [row, row], color="#1f4e79", lw=3, zorder=3, solid_capstyle="butt")
                    ax.plot([med], [row], "|", color="black", ms=14, mew=2, zorder=4)
                s = summary[(summary.scenario == policy) & (summary.kpi == name)]
                p = float(s.prob_better.iloc[0]) if len(s) else math.nan
                text = "P(better) n/a" if math.isnan(p) else f"P(better) {p:.2f}"
                ax.annotate(
                    text,
                    (1.0, row),
                    xycoords=("axes fraction", "data"),
                    xytext=(4, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=8,
                )
            ax.axvline(0.0, color="black", lw=0.8, zorder=1)
            ax.set_yticks(range(len(policies)), [wrap(labels.get(p, p), 28) for p in reversed(policies)])
            ax.set_xlabel(f"difference from the reference ({k.display_unit})")
            ax.set_title(k.title, fontsize=10)
        return save(
            fig,
            Path(outdir) / DIFFERENCES_PLOT,
            "Dots: draws; bar: 5th to 95th percentile; tick: median. Paired with the reference within "
            "each draw (common random numbers).",
        )


def plot_ceac(ceac: pd.DataFrame, labels: dict[str, str], outdir: str | Path) -> Path:
    """Probability of being cost-effective against the value of an extra departure or removal."""
    policies = list(dict.fromkeys(ceac.scenario))
    colours = policy_colours(len(policies))
    with figure(1, 1, (7.5, 4.5)) as (fig, axes):
        ax = axes[0]
        for i, policy in enumerate(policies):
            c = ceac[ceac.scenario == policy]
            ax.plot(
                c.value_per_outcome / 1000.0,
                c.prob_cost_effective,
                color=colours[i],
                ls=LINESTYLES[i % len(LINESTYLES)],
                marker=MARKERS[i % len(MARKERS)],
                markevery=5,
                label=labels.get(policy, policy),
            )
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("value of one extra departure or removal (£ thousand)")
        ax.set_ylabel("probability cost-effective")
        ax.set_title("Cost-effectiveness acceptability across draws of the assumptions")
        ax.legend(fontsize=8, frameon=False, loc="best")
        return save(
            fig, Path(outdir) / CEAC_PLOT, "Share of draws in which value x extra outcomes - extra cost > 0."
        )
