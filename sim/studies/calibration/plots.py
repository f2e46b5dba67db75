"""Figures of a calibration: the non-implausible share after each wave; each parameter's range
and the part not ruled out (a blue bar as long as the grey one: a parameter the targets do not
constrain alone); the sets kept in pairs (a diagonal band: two parameters making up for each other).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis import figures
from sim.analysis.plots.style import figure, no_data, save
from sim.scenario.uncertainty import Uncertain

NROY_COLOUR = "#0072B2"
RANGE_COLOUR = "#DDDDDD"
PAIRS_POINTS = 1500
"""Points drawn in the pairs plot (a random subset of a larger set, seeded)."""


def _label(path: str) -> str:
    """A dotted path on two lines (group, then the rest), so long names fit under a small panel."""
    head, _, rest = path.partition(".")
    return f"{head}.\n{rest}" if rest else path


def plot_waves(waves: pd.DataFrame, outdir: Path) -> Path:
    """The non-implausible share of the space after each wave."""
    per = waves.drop_duplicates("wave")
    with figure(1, 1, (6.0, 3.8)) as (fig, axes):
        ax = axes[0]
        share = per["nroy_share"].to_numpy(float)
        if not len(per):
            no_data(ax)
        else:
            shown = np.where(share > 0, share, np.nan)
            ax.bar(per["wave"].astype(str), 100 * np.nan_to_num(shown, nan=0.0), color=NROY_COLOUR)
            if (share > 0).any():
                ax.set_yscale("log")
            for i, (s, k) in enumerate(zip(share, per["nroy_candidates"], strict=True)):
                label = f"{100 * s:.3g}%\n({int(k):,} kept)" if s > 0 else "none left"
                ax.annotate(label, (i, 100 * s if s > 0 else 1e-3), ha="center", va="bottom", fontsize=8)
        ax.set_xlabel("wave")
        ax.set_ylabel("non-implausible share of the space (%)")
        ax.set_title("Parameter space not ruled out, by wave", fontsize=10)
        return save(fig, outdir / figures.WAVES_PLOT)


def plot_ranges(nroy: pd.DataFrame, parameters: Sequence[Uncertain], outdir: Path) -> Path:
    """Each parameter's original range and the range of the non-implausible sets."""
    n = len(parameters)
    with figure(1, 1, (8.0, 0.5 * n + 1.6)) as (fig, axes):
        ax = axes[0]
        for i, u in enumerate(parameters):
            y = n - 1 - i
            ax.barh(y, 1.0, left=0.0, color=RANGE_COLOUR, height=0.6)
            ax.text(-0.02, y, f"{u.low:.3g}", ha="right", va="center", fontsize=7)
            ax.text(1.02, y, f"{u.high:.3g}", ha="left", va="center", fontsize=7)
            if len(nroy) and u.path in nroy:
                col = nroy[u.path].to_numpy(float)
                lo, hi = (col.min() - u.low) / (u.high - u.low), (col.max() - u.low) / (u.high - u.low)
                ax.barh(y, max(hi - lo, 0.005), left=lo, color=NROY_COLOUR, height=0.35)
                kept = f"{col.min():.3g} to {col.max():.3g}"
                ax.text((lo + hi) / 2, y + 0.32, kept, ha="center", fontsize=7)
        ax.set_yticks(range(n))
        ax.set_yticklabels([u.path + (" (scale)" if u.kind == "scale" else "") for u in reversed(parameters)])
        ax.set_xlim(-0.15, 1.15)
        ax.set_xticks([0, 0.5, 1])
        ax.set_xticklabels(["low", "middle", "high"])
        ax.set_title(
            "Original ranges (grey) and values not ruled out (blue)"
            if len(nroy)
            else "Every value was ruled out",
            fontsize=10,
        )
        return save(fig, outdir / figures.RANGES_PLOT)


def plot_pairs(nroy: pd.DataFrame, parameters: Sequence[Uncertain], outdir: Path) -> Path:
    """Every pair of parameters: the non-implausible sets on the original ranges."""
    n = len(parameters)
    size = max(1.4 * n, 4.0)
    sample = nroy.sample(min(len(nroy), PAIRS_POINTS), random_state=0) if len(nroy) else nroy
    with figure(n, n, (size, size)) as (fig, axes):
        grid_axes = axes.reshape(n, n)
        for i, ui in enumerate(parameters):
            for j, uj in enumerate(parameters):
                ax = grid_axes[i, j]
                ax.set_xlim(uj.low, uj.high)
                ax.tick_params(labelsize=6)
                if i == j:
                    if len(sample):
                        ax.hist(sample[uj.path], bins=20, range=(uj.low, uj.high), color=NROY_COLOUR)
                    ax.set_yticks([])
                else:
                    ax.set_ylim(ui.low, ui.high)
                    if len(sample):
                        ax.scatter(sample[uj.path], sample[ui.path], s=2, color=NROY_COLOUR, alpha=0.4)
                if i == n - 1:
                    ax.set_xlabel(_label(uj.path), fontsize=6)
                else:
                    ax.set_xticklabels([])
                if j == 0 and i != 0:
                    ax.set_ylabel(_label(ui.path), fontsize=6)
                elif i != j:
                    ax.set_yticklabels([])
        fig.suptitle("Values not ruled out, every pair of parameters")
        return save(fig, outdir / figures.PAIRS_PLOT)


def plot_calibration(
    waves: pd.DataFrame, nroy: pd.DataFrame, parameters: Sequence[Uncertain], outdir: Path
) -> list[Path]:
    """Every figure of a calibration folder (the pairs plot only when something is left and there
    are at least two parameters)."""
    paths = [plot_waves(waves, outdir), plot_ranges(nroy, parameters, outdir)]
    if len(nroy) and len(parameters) >= 2:
        paths.append(plot_pairs(nroy, parameters, outdir))
    return paths
