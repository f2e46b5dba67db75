"""The cost-effectiveness plane: each policy's extra outcomes (x, people per cohort) against its
extra cost (y, £ million), paired differences from the reference at the origin. Right and below:
dominant; left and above: dominated; up and right, the slope from the origin is the cost per extra
outcome, and below the dotted line (the stated value per outcome) the net benefit is positive.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from sim.analysis.kpis import CE_COST, CE_OUTCOMES, kpi
from sim.analysis.plots.labels import place_labels
from sim.analysis.plots.style import counts_axis, figure, no_data, save, wrap

POINT_COLOUR = "#0072B2"
"""Okabe-Ito blue: one colour for every policy (they are named, not colour-coded)."""


def _limits(values: np.ndarray, pad: float = 0.14) -> tuple[float, float]:
    """Axis limits around the finite values and 0, padded on both sides for the labels."""
    finite = values[np.isfinite(values)]
    low, high = float(min(finite.min(initial=0.0), 0.0)), float(max(finite.max(initial=0.0), 0.0))
    span = high - low
    if span == 0:
        span = 1.0
    return low - pad * span, high + pad * span


def plot_cost_effectiveness(
    ce: pd.DataFrame,
    reference: str,
    path: str | Path,
    *,
    alpha: float = 0.05,
    outcome: str = CE_OUTCOMES[-1],
) -> Path:
    """The plane for one outcome of ``cost_effectiveness.cost_effectiveness`` (keyed by display
    labels) at level 1 - alpha, policies named next to their points."""
    out, cost = kpi(outcome), kpi(CE_COST)
    rows = ce[ce["outcome"] == outcome] if not ce.empty else ce
    pct = f"{100 * (1 - alpha):g}%"
    with figure(1, 1, (10.0, 7.0)) as (fig, axes):
        ax = axes[0]
        ax.set_title(f"Cost-effectiveness plane: difference from {wrap(reference, 50)}")
        if rows.empty:
            no_data(ax, "No policies to compare")
            return save(fig, path)
        x, xlo, xhi = (rows[f"d_outcome{s}"].to_numpy(float) for s in ("", "_ci_low", "_ci_high"))
        y, ylo, yhi = (rows[f"d_cost{s}"].to_numpy(float) / cost.scale for s in ("", "_ci_low", "_ci_high"))

        has_ci = bool(np.isfinite(xlo).any() or np.isfinite(ylo).any())
        for k in range(len(rows)):
            xerr = [[x[k] - xlo[k]], [xhi[k] - x[k]]] if np.isfinite(xlo[k]) else None
            yerr = [[y[k] - ylo[k]], [yhi[k] - y[k]]] if np.isfinite(ylo[k]) else None
            ax.errorbar(
                x[k], y[k], xerr=xerr, yerr=yerr, fmt="o", color=POINT_COLOUR, ecolor=POINT_COLOUR,
                elinewidth=1.1, capsize=2.5, ms=6, alpha=0.9, zorder=3,
            )  # fmt: skip
        ax.plot(0, 0, "s", color="black", ms=7, zorder=4)
        ax.axhline(0, color="#444444", lw=0.9, zorder=1)
        ax.axvline(0, color="#444444", lw=0.9, zorder=1)
        ax.set_xlim(*_limits(np.concatenate([x, xlo, xhi])))
        ax.set_ylim(*_limits(np.concatenate([y, ylo, yhi])))
        value = float(rows["value_per_outcome"].iloc[0]) if "value_per_outcome" in rows else math.nan
        handles = [
            Line2D([], [], marker="o", color=POINT_COLOUR, ls="-", lw=1.1, label=f"policy: mean, {pct} CIs"),
            Line2D([], [], marker="s", color="black", ls="none", label=f"reference: {wrap(reference, 40)}"),
        ]
        if math.isfinite(value) and value > 0:
            ax.axline((0, 0), slope=value / cost.scale, color="#444444", ls=":", lw=1.2, zorder=1)
            handles.append(
                Line2D([], [], color="#444444", ls=":", lw=1.2,
                       label=f"{cost.unit} {value:,.0f} per outcome: below, net benefit > 0")
            )  # fmt: skip
        corner = {"fontsize": 8, "color": "#777777", "style": "italic", "transform": ax.transAxes}
        ax.text(0.99, 0.01, "more outcomes, lower cost", ha="right", va="bottom", **corner)
        ax.text(0.01, 0.99, "fewer outcomes, higher cost", ha="left", va="top", **corner)
        ax.set_xlabel(f"Difference in {out.title.lower()} ({out.display_unit})")
        ax.set_ylabel(f"Difference in {cost.title.lower()} ({cost.display_unit})")
        counts_axis(ax.xaxis, integer=False)
        counts_axis(ax.yaxis, integer=False)
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.09), ncol=3, frameon=False)

        fig.tight_layout()
        names = [wrap(str(s), 24) for s in rows["scenario"]]
        whiskers = [(a, c, b, c) for a, b, c in zip(xlo, xhi, y, strict=True)]
        whiskers += [(c, a, c, b) for a, b, c in zip(ylo, yhi, x, strict=True)]
        place_labels(ax, x, y, names, segments=whiskers)
        caption = (
            "Per cohort over the horizon, paired by replication (common random numbers). "
            f"x: {out.description}. "
            + (f"Whiskers: {pct} t intervals of the paired differences. " if has_ci else "No CIs. ")
            + "Cost per extra outcome (Fieller interval) and net benefit: cost_effectiveness.csv."
        )
        return save(fig, path, caption)
