"""Figures of sensitivity.csv, in each KPI's display unit: ``morris_<scenario>.png`` (mu* against
sigma, a panel per KPI) and ``tornado_<scenario>_<kpi>.png`` (mu* or ST with CI whiskers); grey:
within simulation noise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis import figures
from sim.analysis.kpis import kpi as kpi_def
from sim.analysis.plots.style import figure, grid, no_data, save, slug

SIGNAL_COLOUR = "#0072B2"
NOISE_COLOUR = "#BBBBBB"
LABELLED = 6
"""Parameters labelled by name in each Morris panel (the highest mu*)."""
TORNADO_BARS = 15
"""Bars in a tornado (the highest-ranked parameters)."""


def _kpi_title(kpi: str, scenario: str, reference: str) -> str:
    k = kpi_def(kpi)
    what = k.title if scenario == reference else f"{k.title}: {scenario} - {reference}"
    return f"{what} ({k.display_unit})"


def plot_morris(frame: pd.DataFrame, scenario: str, reference: str, outdir: Path) -> Path:
    """mu* against sigma, a panel per KPI, for one scenario's rows of a Morris table."""
    rows = frame[frame["scenario"] == scenario]
    kpis = list(dict.fromkeys(rows["kpi"]))
    nrows, ncols = grid(len(kpis), 2)
    with figure(nrows, ncols, (6.2 * ncols, 4.6 * nrows), len(kpis)) as (fig, axes):
        for ax, kpi in zip(axes, kpis, strict=False):
            part = rows[rows["kpi"] == kpi]
            scale = kpi_def(kpi).scale
            mu = part["mu_star"].to_numpy(float) / scale
            sd = part["sigma"].to_numpy(float) / scale
            noise = part["within_noise"].to_numpy(bool)
            ax.set_title(_kpi_title(kpi, scenario, reference), fontsize=10)
            if not np.isfinite(mu).any():
                no_data(ax, "Undefined at some design point")
                continue
            ax.scatter(mu[~noise], sd[~noise], color=SIGNAL_COLOUR, s=24, zorder=3)
            ax.scatter(mu[noise], sd[noise], color=NOISE_COLOUR, s=18, zorder=2)
            order = np.argsort(-np.nan_to_num(mu, nan=-1.0))[:LABELLED]
            for i in order:
                if mu[i] > 0:
                    ax.annotate(
                        str(part["parameter"].iloc[i]),
                        (mu[i], sd[i]),
                        xytext=(4, 3),
                        textcoords="offset points",
                        fontsize=7,
                    )
            ax.set_xlabel("mu* (mean |elementary effect|)")
            ax.set_ylabel("sigma (sd of elementary effects)")
            ax.set_xlim(left=0)
            ax.set_ylim(bottom=0)
        fig.suptitle(f"Morris screening: {scenario} (grey: within simulation noise)")
        return save(fig, outdir / f"{figures.MORRIS_PREFIX}{slug(scenario)}.png")


def plot_tornado(
    frame: pd.DataFrame, method: str, scenario: str, kpi: str, reference: str, outdir: Path
) -> Path:
    """One KPI's parameters as horizontal bars of mu* or ST with CI whiskers, largest on top."""
    col = "mu_star" if method == "morris" else "ST"
    part = frame[(frame["scenario"] == scenario) & (frame["kpi"] == kpi)]
    part = part.sort_values(col, ascending=False, kind="stable").head(TORNADO_BARS)
    scale = kpi_def(kpi).scale if method == "morris" else 1.0
    values = part[col].to_numpy(float) / scale
    ci = part[f"{col}_ci"].to_numpy(float) / scale
    noise = part["within_noise"].to_numpy(bool)
    height = 1.2 + 0.32 * max(len(part), 1)
    with figure(1, 1, (7.5, height)) as (fig, axes):
        ax = axes[0]
        ax.set_title(_kpi_title(kpi, scenario, reference), fontsize=10)
        if not np.isfinite(values).any():
            no_data(ax, "Undefined at some design point")
        else:
            y = np.arange(len(part))[::-1]
            colours = [NOISE_COLOUR if n else SIGNAL_COLOUR for n in noise]
            ax.barh(y, values, xerr=ci, color=colours, ecolor="#333333", capsize=2)
            ax.set_yticks(y)
            ax.set_yticklabels(list(part["parameter"]), fontsize=8)
            what = "mu* (mean |elementary effect|)" if method == "morris" else "ST (total-order index)"
            ax.set_xlabel(f"{what}, 95% bootstrap CI; grey: within simulation noise")
            ax.axvline(0, color="#666666", linewidth=0.8)
        return save(fig, outdir / f"{figures.TORNADO_PREFIX}{slug(scenario)}_{slug(kpi)}.png")


def plot_sensitivity(frame: pd.DataFrame, method: str, reference: str, outdir: Path) -> list[Path]:
    """Every figure of a sensitivity table (Morris: mu*/sigma per scenario; tornadoes always)."""
    paths: list[Path] = []
    for scenario in dict.fromkeys(frame["scenario"]):
        if method == "morris":
            paths.append(plot_morris(frame, scenario, reference, outdir))
        for kpi in dict.fromkeys(frame.loc[frame["scenario"] == scenario, "kpi"]):
            paths.append(plot_tornado(frame, method, scenario, kpi, reference, outdir))
    return paths
