"""The comparison figures: each headline KPI's spread per policy, outcomes over time, each
policy's paired difference from the reference (forest plot) and the cost-effectiveness plane.
Policies in the order given (first = reference, in black)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from sim.analysis import figures
from sim.analysis.kpis import KPIS, PLOT_KPIS, kpi
from sim.analysis.multiplicity import excludes_zero
from sim.analysis.plots.cost_effectiveness import plot_cost_effectiveness
from sim.analysis.plots.style import (
    DAYS_PER_WEEK,
    counts_axis,
    figure,
    grid,
    legend_below,
    no_data,
    policy_colours,
    policy_linestyle,
    save,
    state_label,
    wrap,
)
from sim.analysis.statistics import t_interval, t_interval_by_group
from sim.model.states import STATE_NAMES

DEFAULT_OUTCOME_STATES: tuple[str, ...] = (
    "departed_voluntary",
    "removed",
    "closed_already_departed",
    "out_of_contact",
)
"""States drawn by ``plot_cumulative_outcomes``: the three ways of leaving the UK, and contact lost."""


def state_intervals(ts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Mean, 95% CI low and high over replications of the people in each state (columns) on each
    day (index), from a tidy ``timeseries.csv`` table."""
    if ts.empty:
        empty = pd.DataFrame(columns=list(STATE_NAMES), dtype=float)
        return empty, empty, empty
    wide = ts.pivot_table(
        index=["replication", "day"],
        columns="state",
        values="count",
        aggfunc="sum",
        fill_value=0,
        observed=False,
    )
    extra = [s for s in wide.columns if s not in STATE_NAMES]
    wide = wide.reindex(columns=list(STATE_NAMES) + extra, fill_value=0).astype(float)
    return t_interval_by_group(wide, "day")


def _distribution_layout(
    names: Sequence[str], n_kpis: int
) -> tuple[bool, int, int, tuple[float, float], int]:
    """Whether policies run down the y-axis (many: long names stay readable), the panel grid, the
    figure size (inches) and the wrap width of a policy's tick label (characters)."""
    n = max(len(names), 1)
    if n > 6:
        nrows, ncols = grid(n_kpis)
        return True, nrows, ncols, (3.6 * ncols + 2.2, (0.36 * n + 1.2) * nrows), 30
    long_names = any(len(name) > 14 for name in names)
    panel_w = max(3.4, 0.55 * n + 1.2, (1.1 * n + 0.8) if long_names else 0)
    nrows, ncols = grid(n_kpis, max_cols=max(1, min(3, int(16 // panel_w))))
    return False, nrows, ncols, (panel_w * ncols, 3.6 * nrows), max(8, int(14 * (panel_w - 0.8) / n))


def _draw_policy(
    ax: Any, i: int, vals: np.ndarray, colour: Any, rng: np.random.Generator, horizontal: bool
) -> None:
    """Policy ``i``'s replications (jittered dots), its mean (diamond) and 95% t interval."""

    def xy(cat: float | np.ndarray, val: float | np.ndarray) -> tuple[object, object]:
        return (val, cat) if horizontal else (cat, val)

    if vals.size > 1:  # a single replication: the mean alone is drawn
        jitter = rng.uniform(-0.18, 0.18, vals.size)
        ax.scatter(*xy(i - 0.1 + jitter, vals), s=14, color=colour, alpha=0.45, linewidths=0, zorder=2)
    m, lo, hi = t_interval(vals)
    if np.isfinite(lo):
        err = {"xerr" if horizontal else "yerr": [[m - lo], [hi - m]]}
        ax.errorbar(*xy(i + 0.28, m), fmt="none", ecolor="black", capsize=3, elinewidth=1.4, zorder=3, **err)
    ax.plot(
        *xy(i + (0.28 if vals.size > 1 else 0.0), m), marker="D", ms=6, color=colour, mec="black", zorder=4
    )


def _mark_flat(ax: Any, finite: np.ndarray, scale: float, horizontal: bool) -> None:
    """A panel whose replications all agree: a readable range around the value, and the value."""
    v = float(finite[0])
    pad = max(1.0, abs(v) * 0.05) if scale == 1.0 else max(abs(v) * 0.05, 0.01)
    lims = (-0.3, 1.0) if v == 0 else (v - pad, v + pad)
    ax.set_xlim(*lims) if horizontal else ax.set_ylim(*lims)
    ax.text(
        0.5,
        1.0,
        f"All replications: {v:,.6g}",
        ha="center",
        va="top",
        transform=ax.transAxes,
        color="#444444",
        fontsize=9,
        bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},
    )


def plot_outcome_distribution(
    summaries: Mapping[str, pd.DataFrame], kpis: Sequence[str], path: str | Path, title: str | None = None
) -> Path:
    """Spread of each KPI across replications, a panel per KPI and a column per policy: dots for
    replications (jittered), a diamond for the mean and a whisker for its 95% t interval."""
    kpis = list(kpis) or ["cohort_size"]
    names = list(summaries)
    colours = policy_colours(len(names))
    horizontal, nrows, ncols, size, label_w = _distribution_layout(names, len(kpis))
    rng = np.random.default_rng(0)
    n_reps = sorted({len(df) for df in summaries.values()})
    with figure(nrows, ncols, size, len(kpis), sharey=horizontal) as (fig, axes):
        for ax, column in zip(axes, kpis, strict=False):
            definition = KPIS.get(column)
            if definition is None:
                ax.set_title(column)
                no_data(ax, f"{column}: not a summary KPI")
                continue
            scale = definition.scale
            value_axis, cat_axis = (ax.xaxis, ax.yaxis) if horizontal else (ax.yaxis, ax.xaxis)
            all_vals = []
            for i, df in enumerate(summaries.values()):
                vals = (df[column].to_numpy(dtype=float) / scale) if column in df else np.array([])
                all_vals.append(vals)
                if vals.size:
                    _draw_policy(ax, i, vals, colours[i], rng, horizontal)
            ax.set_title(wrap(definition.label, 34))
            cat_axis.set_ticks(range(len(names)))
            cat_axis.set_ticklabels([wrap(name, label_w) for name in names])
            if horizontal:
                ax.set_ylim(len(names) - 0.5, -0.6)
                ax.set_xlabel(definition.display_unit.capitalize())
            else:
                ax.set_xlim(-0.6, len(names) - 0.4)
            ax.grid(axis="y" if horizontal else "x", visible=False)
            ax.margins(**{"x" if horizontal else "y": 0.1})
            counts_axis(value_axis, integer=scale == 1.0)
            finite = np.concatenate(all_vals) if all_vals else np.array([])
            finite = finite[np.isfinite(finite)]
            if finite.size and np.ptp(finite) == 0:
                _mark_flat(ax, finite, scale, horizontal)
            if not finite.size:
                no_data(ax, f"{column}: not in summary", clear_ticks=False)
        fig.suptitle(title or "Outcomes by policy, per cohort")
        reps = ", ".join(map(str, n_reps))
        caption = (
            f"Dots: individual replications ({reps} per policy). Diamond: mean. "
            "Whisker: 95% t confidence interval of the mean."
        )
        if n_reps == [1]:
            caption = "Single replication per policy: the value is shown without a confidence interval."
        return save(fig, path, caption)


def plot_cumulative_outcomes(
    timeseries: Mapping[str, pd.DataFrame],
    path: str | Path,
    states: Sequence[str] | None = None,
    title: str | None = None,
) -> Path:
    """How each outcome builds up over time (early vs late gains), a panel per state, a line per
    policy: mean across replications with its 95% t band. Terminal states are cumulative,
    non-terminal ones (e.g. out of contact) the number in that state at the time."""
    states = list(states) if states else list(DEFAULT_OUTCOME_STATES)
    names = list(timeseries)
    colours = policy_colours(len(names))
    nrows, ncols = grid(len(states), max_cols=2)
    by_policy = {name: state_intervals(ts) for name, ts in timeseries.items()}
    with figure(nrows, ncols, (5.6 * ncols, 3.4 * nrows), len(states), sharex=True) as (fig, axes):
        for ax, state in zip(axes, states, strict=False):
            for i, name in enumerate(names):
                mean, lo, hi = by_policy[name]
                if state not in mean or mean.empty:
                    continue
                weeks = mean.index.to_numpy(dtype=float) / DAYS_PER_WEEK
                ls = policy_linestyle(i)
                ax.plot(weeks, mean[state], color=colours[i], lw=1.8, ls=ls, label=wrap(name, 40))
                band_ok = hi[state].notna().to_numpy()
                if band_ok.any():
                    ax.fill_between(
                        weeks, lo[state], hi[state], where=band_ok, color=colours[i], alpha=0.18, lw=0
                    )
            ax.set_title(state_label(state))
            ax.set_ylabel("People")
            ax.set_ylim(bottom=0)
            counts_axis(ax.yaxis)
            if not ax.lines:
                no_data(ax)
        for ax in axes[(nrows - 1) * ncols :]:
            ax.set_xlabel("Time since start (weeks)")
            ax.xaxis.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 4, 5, 10], integer=True))
        for ax in axes[: (nrows - 1) * ncols]:
            ax.tick_params(labelbottom=True)
        has_band = any(ax.collections for ax in axes)
        default = "mean with 95% confidence band" if has_band else "single replication: no confidence band"
        fig.suptitle(title or f"Outcomes over time ({default})")
        legend_below(fig, axes[0])
        return save(fig, path)


def _draw_difference(ax: Any, r: pd.Series, y: float, scale: float, c: Any, simultaneous: bool) -> None:
    """One policy's paired difference on a forest panel (see ``plot_forest``)."""
    d = r["diff_vs_reference"] / scale
    lo, hi = r["diff_ci_low"] / scale, r["diff_ci_high"] / scale
    slo, shi = (lo, hi)
    if simultaneous:
        slo, shi = r["diff_sim_ci_low"] / scale, r["diff_sim_ci_high"] / scale
    if simultaneous and np.isfinite(slo) and np.isfinite(shi):
        ax.plot([slo, shi], [y, y], color=c, lw=4.0, alpha=0.45, solid_capstyle="butt", zorder=2)
    if np.isfinite(lo) and np.isfinite(hi):
        ax.errorbar(
            d, y, xerr=[[max(d - lo, 0)], [max(hi - d, 0)]], fmt="none", ecolor=c,
            capsize=3, elinewidth=1.0, zorder=3,
        )  # fmt: skip
    ax.plot(d, y, "o", color=c, mfc=c if excludes_zero(slo, shi) else "white", mec=c, mew=1.4, ms=6, zorder=4)


def _forest_key(fig: Any, pct: str) -> None:
    """The legend of the two intervals and the two dots, above the panels."""
    grey = "#555555"
    key = [
        Line2D([], [], color=grey, lw=4.0, alpha=0.45, label=f"simultaneous {pct} CI"),
        Line2D([], [], color=grey, lw=1.0, marker="|", ms=8, label=f"unadjusted {pct} CI"),
        Line2D([], [], color=grey, ls="none", marker="o", label="simultaneous CI excludes 0 (*)"),
        Line2D([], [], color=grey, ls="none", marker="o", mfc="white", label="does not"),
    ]
    fig.legend(
        handles=key, loc="upper center", bbox_to_anchor=(0.5, 1.0 - 0.3 / fig.get_figheight()),
        ncol=4, frameon=False, fontsize=9,
    )  # fmt: skip


def _forest_caption(comparison: pd.DataFrame, pct: str, simultaneous: bool) -> str:
    """What the forest plot's marks mean, for the intervals this comparison has."""
    if not np.isfinite(comparison[["diff_ci_low", "diff_ci_high"]].to_numpy(dtype=float)).any():
        return "Dot: difference (policy minus reference); no confidence intervals (single replication)."
    if simultaneous:
        return (
            "Dot: mean paired difference (policy minus reference). Thick bar: simultaneous "
            f"{pct} interval (holds for all policies of a panel at once: max-t over the paired "
            f"differences). Thin whisker: unadjusted {pct} interval of one policy. Filled dot: "
            "the simultaneous interval excludes 0 (* in the table); hollow: it does not."
        )
    return (
        f"Dot: mean paired difference (policy minus reference). Whisker: unadjusted {pct} "
        "interval; filled dot: it excludes 0 (no simultaneous intervals in this table)."
    )


def plot_forest(
    comparison: pd.DataFrame,
    reference: str,
    path: str | Path,
    *,
    alpha: float = 0.05,
) -> Path:
    """Paired difference of each policy from the reference, a panel per KPI, at level 1 - ``alpha``:
    the thick whisker is the simultaneous interval (``sim.analysis.multiplicity``), the thin capped
    one the unadjusted interval; a filled dot has a simultaneous interval clear of zero (the
    table's ``*``). An older comparison.csv without simultaneous columns gets unadjusted ones only."""
    kpis = list(dict.fromkeys(comparison["kpi"]))
    policies = [p for p in dict.fromkeys(comparison["scenario"]) if p != reference]
    all_policies = [reference, *policies]
    colours = dict(zip(all_policies, policy_colours(len(all_policies)), strict=True))
    simultaneous = {"diff_sim_ci_low", "diff_sim_ci_high"} <= set(comparison.columns)
    pct = f"{100 * (1 - alpha):g}%"
    nrows, ncols = grid(len(kpis))
    height = max(2.6, 0.42 * len(policies) + 1.4)
    with figure(nrows, ncols, (4.4 * ncols + 1.2, height * nrows), len(kpis), sharey=True) as (fig, axes):
        ypos = {p: k for k, p in enumerate(policies)}
        for ax, column in zip(axes, kpis, strict=False):
            definition = kpi(column)
            rows = comparison[(comparison["kpi"] == column) & (comparison["scenario"] != reference)]
            scale = definition.scale
            for _, r in rows.iterrows():
                _draw_difference(ax, r, ypos[r["scenario"]], scale, colours[r["scenario"]], simultaneous)
            ax.axvline(0, color="#444444", ls="--", lw=1, zorder=0)
            ax.set_title(wrap(definition.label, 34))
            ax.set_xlabel(f"Difference ({definition.display_unit})")
            counts_axis(ax.xaxis, integer=False)
            ax.grid(axis="y", visible=False)
            if rows.empty:
                no_data(ax, "No policies to compare", clear_ticks=False)
            elif np.allclose(ax.get_xlim(), 0) or abs(np.diff(ax.get_xlim())[0]) < 1e-12:
                ax.set_xlim(-1, 1)
        axes[0].set_yticks(range(len(policies)))
        axes[0].set_yticklabels([wrap(p, 26) for p in policies])
        axes[0].set_ylim(max(len(policies), 1) - 0.5, -0.5)
        kind = "simultaneous and unadjusted" if simultaneous else "unadjusted"
        fig.suptitle(f"Difference vs {wrap(reference, 60)} (paired, {pct} {kind} CIs)")
        if simultaneous:
            _forest_key(fig, pct)
        caption = _forest_caption(comparison, pct, simultaneous)
        return save(fig, path, caption)


def plot_comparison(
    summaries: Mapping[str, pd.DataFrame],
    timeseries: Mapping[str, pd.DataFrame],
    comparison: pd.DataFrame,
    reference: str,
    outdir: str | Path,
    *,
    cost_effectiveness: pd.DataFrame,
    alpha: float = 0.05,
) -> list[Path]:
    """The four comparison plots in ``outdir`` (``figures``' names). Every table is keyed by the
    policies' display labels (reference first); intervals are at level 1 - ``alpha``."""
    outdir = Path(outdir)
    first = next(iter(summaries.values()), pd.DataFrame())
    shown = [k for k in PLOT_KPIS if k in first]
    return [
        plot_outcome_distribution(summaries, shown, outdir / figures.OUTCOMES_PLOT),
        plot_cumulative_outcomes(timeseries, outdir / figures.CUMULATIVE_PLOT),
        plot_forest(comparison, reference, outdir / figures.FOREST_PLOT, alpha=alpha),
        plot_cost_effectiveness(cost_effectiveness, reference, outdir / figures.COST_PLOT, alpha=alpha),
    ]
