"""Response curves of a parameter sweep (sweep.csv), one figure per KPI: the mean at each value
of the swept parameter with its 95% t band; with a second parameter a line per value of it, told
apart by colour, line style and marker (it reads in grey). Nothing here prints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis import figures
from sim.analysis.kpis import kpi
from sim.analysis.plots.style import (
    LINESTYLES,
    MARKERS,
    counts_axis,
    figure,
    policy_colours,
    save,
    slug,
    wrap,
)
from sim.studies.sweep.analysis import value_text


def plot_sweep_kpi(
    frame: pd.DataFrame, column: str, units: Mapping[str, str], path: str | Path, scenario: str = ""
) -> Path:
    """The response curve of one KPI against the first swept parameter; ``frame`` is sweep.csv's
    rows, ``units`` each swept path's unit."""
    definition = kpi(column)
    rows = frame[frame["kpi"] == column]
    param = str(rows["param"].iloc[0])
    two = "param2" in rows.columns
    groups = list(dict.fromkeys(rows["value2"])) if two else [None]
    colours = policy_colours(len(groups))
    scale = definition.scale

    def with_unit(path: str) -> str:
        return f"{path} ({units[path]})" if units.get(path) else path

    with figure(1, 1, (6.4, 4.2)) as (fig, axes):
        ax = axes[0]
        for i, g in enumerate(groups):
            part = rows if g is None else rows[rows["value2"] == g]
            part = part.sort_values("value")
            x = part["value"].to_numpy(dtype=float)
            mean, low, high = (part[c].to_numpy(dtype=float) / scale for c in ("mean", "ci_low", "ci_high"))
            label = None if g is None else value_text(g)
            ls = LINESTYLES[i % len(LINESTYLES)]
            marker = MARKERS[i % len(MARKERS)]
            ax.plot(x, mean, color=colours[i], ls=ls, marker=marker, ms=5, lw=1.8, label=label, zorder=3)
            ok = np.isfinite(low) & np.isfinite(high)
            if ok.any():
                ax.fill_between(x, low, high, where=ok, color=colours[i], alpha=0.18, lw=0, zorder=2)
        ax.set_xlabel(wrap(with_unit(param), 70))
        ax.set_ylabel(wrap(definition.display_unit.capitalize(), 30))
        counts_axis(ax.yaxis, integer=scale == 1.0)
        counts_axis(ax.xaxis, integer=bool(np.all(np.mod(rows["value"].to_numpy(dtype=float), 1) == 0)))
        ax.set_title(wrap(f"{definition.label} against {param}", 60))
        if two:
            ax.legend(title=wrap(with_unit(str(rows["param2"].iloc[0])), 40), frameon=False, fontsize=8)
        n = sorted(set(rows["n"].astype(int)))
        band = (
            "shaded: 95% t confidence interval"
            if np.isfinite(rows["ci_low"]).any()
            else "no band: one replication"
        )
        caption = (
            (f"Scenario {scenario}. " if scenario else "")
            + f"Line: mean over {', '.join(map(str, n))} replications per value ({band}); replications "
            "paired across values (common random numbers)."
        )
        return save(fig, path, wrap(caption, 110))


def plot_sweep(
    frame: pd.DataFrame, kpis: Sequence[str], units: Mapping[str, str], outdir: str | Path, scenario: str = ""
) -> list[Path]:
    """One PNG per KPI in ``kpis`` (those present in ``frame``): ``sweep_<kpi>.png``."""
    outdir = Path(outdir)
    present = set(frame["kpi"])
    return [
        plot_sweep_kpi(frame, k, units, outdir / f"{figures.SWEEP_PREFIX}{slug(k)}.png", scenario)
        for k in kpis
        if k in present
    ]
