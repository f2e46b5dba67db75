"""Outcomes over time since entry: cumulative incidence with censoring at the horizon
(``sim.analysis.survival``), answering "of the people who enter, what share has left voluntarily
within a year?"; shares in per cent, 95% t bands across replications.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator, PercentFormatter

from sim.analysis import figures
from sim.analysis.plots import style
from sim.analysis.survival import NO_OUTCOME_YET

CLOCKS: dict[str, tuple[str, str]] = {
    "since_entry": ("Outcomes since entering the pool", "Days since entering the pool"),
    "first_contact": ("First contact since entering the pool", "Days since entering the pool"),
    "since_contact": ("Outcomes since first contact", "Days since first contact"),
}
"""Each clock's panel title and x-axis label."""
OUTCOME_LABELS: dict[str, str] = {
    "first_contact": "First contact",
    "closed_before_contact": "Closed before contact",
}
COMPARED: tuple[tuple[str, str], ...] = (
    ("first_contact", "first_contact"),
    ("since_entry", "departed_voluntary"),
    ("since_entry", "removed"),
    ("since_contact", "departed_voluntary"),
    ("since_contact", "removed"),
    ("since_entry", "closed_already_departed"),
)
"""(clock, outcome) panels of the comparison figure."""
CAPTION = (
    "Aalen-Johansen cumulative incidence (competing outcomes, people censored at the horizon); "
    "line: mean over replications, band: 95% confidence interval."
)


def outcome_label(outcome: str) -> str:
    return OUTCOME_LABELS.get(outcome, style.state_label(outcome))


def _percent_axes(ax: Axes, clock: str) -> None:
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=None))
    ax.set_ylim(bottom=0)
    ax.set_xlabel(CLOCKS[clock][1])
    ax.set_ylabel("Share of people")
    ax.xaxis.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 5, 10], integer=True))


def _draw_curve(ax: Axes, curve: pd.DataFrame, colour: str, band_alpha: float, **line: Any) -> None:
    """A cumulative incidence curve (``line``: its style and label) over its confidence band."""
    ax.plot(curve["day"], curve["cumulative_incidence"], color=colour, **line)
    ax.fill_between(curve["day"], curve["ci_low"], curve["ci_high"], color=colour, alpha=band_alpha, lw=0)


def plot_time_to_outcome(table: pd.DataFrame, label: str, outdir: str | Path) -> list[Path]:
    """One scenario: a panel per clock, a line per outcome (``time_to_outcome.png``)."""
    clocks = [c for c in CLOCKS if c in set(table["clock"])]
    path = Path(outdir) / figures.TIME_TO_OUTCOME_PLOT
    with style.figure(1, max(len(clocks), 1), (5.4 * max(len(clocks), 1), 4.2)) as (fig, axes):
        for ax, clock in zip(axes, clocks, strict=False):
            rows = table[(table["clock"] == clock) & (table["outcome"] != NO_OUTCOME_YET)]
            for i, (outcome, curve) in enumerate(rows.groupby("outcome", sort=True)):
                colour = style.OKABE_ITO[(i + 1) % len(style.OKABE_ITO)]
                _draw_curve(ax, curve, colour, 0.18, lw=1.8, label=outcome_label(str(outcome)))
            ax.set_title(CLOCKS[clock][0])
            _percent_axes(ax, clock)
            if ax.lines:
                ax.legend(frameon=False, fontsize=8)
            else:
                style.no_data(ax)
        if not clocks:
            style.no_data(axes[0])
        fig.suptitle(f"{label}: time to outcome")
        return [style.save(fig, path, CAPTION)]


def plot_time_to_outcome_comparison(
    table: pd.DataFrame, labels: Mapping[str, str], order: Sequence[str], outdir: str | Path
) -> list[Path]:
    """Policies compared: a panel per key (clock, outcome), a line per policy
    (``time_to_outcome.png``)."""
    path = Path(outdir) / figures.TIME_TO_OUTCOME_PLOT
    colours = style.policy_colours(len(order))
    with style.figure(2, 3, (16.5, 8.4)) as (fig, axes):
        for ax, (clock, outcome) in zip(axes, COMPARED, strict=False):
            for i, name in enumerate(order):
                curve = table[
                    (table["scenario"] == name) & (table["clock"] == clock) & (table["outcome"] == outcome)
                ]
                if curve.empty:
                    continue
                label = style.wrap(labels.get(name, name), 40)
                _draw_curve(ax, curve, colours[i], 0.12, ls=style.policy_linestyle(i), lw=1.6, label=label)
            ax.set_title(f"{outcome_label(outcome)} ({CLOCKS[clock][1].lower().replace('days ', '')})")
            _percent_axes(ax, clock)
            if not ax.lines:
                style.no_data(ax)
        fig.suptitle("Time to outcome by policy (cumulative incidence, censored at the horizon; 95% bands)")
        style.legend_below(fig, axes[0], ncol=3)
        return [style.save(fig, path, None)]
