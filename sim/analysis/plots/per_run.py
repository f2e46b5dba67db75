"""The figures of a single scenario (``plot_run``): where the cohort is over time, and its
outcomes, drawn by the comparison plots for one policy so a run's pictures and a comparison's
look alike."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.ticker import MaxNLocator

from sim.analysis import figures
from sim.analysis.kpis import PLOT_KPIS
from sim.analysis.plots.comparison import plot_cumulative_outcomes, plot_outcome_distribution, state_intervals
from sim.analysis.plots.style import (
    DAYS_PER_WEEK,
    counts_axis,
    figure,
    no_data,
    save,
    slug,
    state_colour,
    state_label,
    wrap,
)

STACK_ORDER: tuple[str, ...] = (
    "departed_voluntary",
    "removed",
    "closed_already_departed",
    "granted_leave",
    "closed_other",
    "out_of_contact",
    "detained",
    "casework",
    "reporting",
    "in_contact",
    "pool",
)
"""Stack order for the state-flow plot: settled outcomes at the bottom, the live caseload on top."""


def plot_state_flow(timeseries: pd.DataFrame, title: str, path: str | Path) -> Path:
    """Where the cohort is over time: the mean number of people in each state, stacked (the pool
    and live caseload on top draining into settled outcomes below)."""
    mean, _, _ = state_intervals(timeseries)
    order = [s for s in STACK_ORDER if s in mean] + [str(s) for s in mean if s not in STACK_ORDER]
    with figure(1, 1, (9.5, 4.8)) as (fig, axes):
        ax = axes[0]
        if mean.empty:
            no_data(ax)
        else:
            weeks = mean.index.to_numpy(dtype=float) / DAYS_PER_WEEK
            ax.stackplot(
                weeks,
                [mean[s].to_numpy() for s in order],
                colors=[state_colour(s) for s in order],
                labels=[state_label(s) for s in order],
                edgecolor="white",
                linewidth=0.3,
            )
            ax.set_xlim(weeks.min(), weeks.max() if weeks.max() > weeks.min() else weeks.min() + 1)
            ax.set_ylim(0, max(1.0, float(mean.sum(axis=1).max())))
            handles, labels = ax.get_legend_handles_labels()
            ax.legend(
                handles[::-1],
                labels[::-1],
                loc="upper left",
                bbox_to_anchor=(1.01, 1.0),
                frameon=False,
                title="State (top to bottom)",
            )
        ax.set_xlabel("Time since start (weeks)")
        ax.xaxis.set_major_locator(MaxNLocator(nbins=10, steps=[1, 2, 4, 5, 10], integer=True))
        ax.set_ylabel("People (mean across replications)")
        counts_axis(ax.yaxis)
        ax.grid(False)
        ax.set_title(wrap(title, 80))
        return save(fig, path)


def plot_run(summary: pd.DataFrame, timeseries: pd.DataFrame, label: str, outdir: str | Path) -> list[Path]:
    """One scenario's state flow, outcome distribution (``kpis.PLOT_KPIS``) and cumulative outcomes
    in ``outdir``, named by ``figures``' prefixes and the label's ``slug``."""
    outdir, s = Path(outdir), slug(label)
    n_reps = int(summary["replication"].nunique()) if "replication" in summary else len(summary)
    shown = [k for k in PLOT_KPIS if k in summary]
    return [
        plot_state_flow(
            timeseries,
            f"{label}: where the cohort is over time",
            outdir / f"{figures.STATE_FLOW_PREFIX}{s}.png",
        ),
        plot_outcome_distribution(
            {label: summary},
            shown,
            outdir / f"{figures.RUN_OUTCOMES_PREFIX}{s}.png",
            title=f"{label}: outcomes per cohort",
        ),
        plot_cumulative_outcomes(
            {label: timeseries},
            outdir / f"{figures.RUN_CUMULATIVE_PREFIX}{s}.png",
            title=f"{label}: outcomes over time" + (" (mean with 95% confidence band)" if n_reps > 1 else ""),
        ),
    ]
