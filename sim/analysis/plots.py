"""Briefing-ready figures from the tidy output tables (summary, timeseries, comparison).

Every figure: titled, axes labelled with units, colour-blind-safe colours (Okabe-Ito), 95% t
confidence intervals over replications, written as a 150 dpi PNG and closed. One colour per state
(``STATE_COLOURS``) and per policy position (``policy_colours``) is used across every plot, so a
reader can move between pictures without re-reading legends. Nothing here prints.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter, MaxNLocator
from scipy import stats

from sim.model.states import STATE_NAMES

matplotlib.use("Agg")  # non-interactive: figures are only ever written to files

DPI = 150
DAYS_PER_WEEK = 7

OKABE_ITO: tuple[str, ...] = (
    "#000000",  # black (first policy = reference)
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#999999",  # grey (instead of yellow, which is unreadable as a line or dot on white)
)
LINESTYLES: tuple[str, ...] = ("-", "--", ":", "-.")
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P")

STATE_COLOURS: dict[str, str] = {
    "pool": "#D9D9D9",
    "in_contact": "#56B4E9",
    "reporting": "#0072B2",
    "out_of_contact": "#D55E00",
    "casework": "#F0E442",
    "detained": "#CC79A7",
    "departed_voluntary": "#009E73",
    "removed": "#E69F00",
    "granted_leave": "#332288",
    "closed_already_departed": "#99DDCC",
    "closed_other": "#777777",
}
STATE_LABELS: dict[str, str] = {
    "pool": "Pool (not yet contacted)",
    "in_contact": "In contact",
    "reporting": "On reporting conditions",
    "out_of_contact": "Out of contact",
    "casework": "Casework (barrier to removal)",
    "detained": "Detained",
    "departed_voluntary": "Departed voluntarily",
    "removed": "Removed (enforced)",
    "granted_leave": "Granted leave",
    "closed_already_departed": "Closed: already departed",
    "closed_other": "Closed: other reason",
}
# Stack order for the state-flow plot: settled outcomes at the bottom, the live caseload on top.
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
DEFAULT_OUTCOME_STATES: tuple[str, ...] = (
    "departed_voluntary",
    "removed",
    "closed_already_departed",
    "out_of_contact",
)
DEFAULT_KPIS: tuple[str, ...] = (
    "departed_voluntary",
    "removed_enforced",
    "closed_already_departed",
    "out_of_contact_end",
    "complaints",
    "total_cost_gbp",
)
DEPARTURE_COLUMNS: tuple[str, ...] = ("departed_voluntary", "removed_enforced", "closed_already_departed")

KPI_LABELS: dict[str, str] = {
    "cohort_size": "Cohort size (people)",
    "contacted": "Contacted (people)",
    "departed_contacted": "Departed after contact (people)",
    "departed_voluntary": "Voluntary departures (people)",
    "departed_assisted": "Assisted voluntary departures (people)",
    "removed_enforced": "Enforced removals (people)",
    "granted_leave": "Granted leave (people)",
    "closed_already_departed": "Closed as already departed (people)",
    "closed_other": "Closed for other reasons (people)",
    "absconded": "Absconded (people)",
    "out_of_contact_end": "Out of contact at end (people)",
    "detention_rejections": "Detention requests rejected (count)",
    "complaints": "Complaints (count)",
    "recorded_removals": "Recorded removals (people)",
    "total_cost_gbp": "Total cost (£ million)",
}
STYLE = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "figure.titlesize": 13,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
}


# ----------------------------------------------------------------------------------- helpers


class Thousands(Formatter):
    """Tick labels with thousands separators, a true minus sign and just enough decimals for the step."""

    def __init__(self) -> None:
        super().__init__()
        self._step = 1.0

    def set_locs(self, locs) -> None:
        locs = np.sort(np.asarray(locs, dtype=float))
        self._step = float(np.min(np.diff(locs))) if locs.size > 1 else 1.0

    def __call__(self, x: float, pos: int | None = None) -> str:
        step = self._step
        decimals = next((d for d in range(7) if abs(round(step, d) - step) < 1e-9 * max(1.0, step)), 6)
        text = f"{x:,.{decimals}f}"
        return "0" if float(text.replace(",", "")) == 0 else text.replace("-", "\u2212")


def _counts_axis(axis, integer: bool = True) -> None:
    """Readable ticks: round steps (integers for counts), thousands separators."""
    axis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10], integer=integer))
    axis.set_major_formatter(Thousands())


def t975(df: int) -> float:
    """97.5% quantile of Student's t with ``df`` degrees of freedom (NaN below 1)."""
    return float(stats.t.ppf(0.975, df)) if df >= 1 else math.nan


def mean_ci(values: Sequence[float] | np.ndarray | pd.Series) -> tuple[float, float, float]:
    """Mean and 95% t-interval; the interval is NaN with fewer than two finite values."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return math.nan, math.nan, math.nan
    m = float(x.mean())
    if x.size < 2:
        return m, math.nan, math.nan
    half = t975(x.size - 1) * float(x.std(ddof=1)) / math.sqrt(x.size)
    return m, m - half, m + half


def kpi_scale(kpi: str) -> float:
    """Divisor that puts a KPI in its display unit (money in GBP -> £ million)."""
    return 1e6 if kpi.endswith("_gbp") else 1.0


def kpi_label(kpi: str) -> str:
    """Readable label with unit for a KPI column name."""
    if kpi in KPI_LABELS:
        return KPI_LABELS[kpi]
    if kpi.endswith("_gbp"):
        return kpi[: -len("_gbp")].replace("_", " ").capitalize() + " (£ million)"
    return kpi.replace("_", " ").capitalize()


def state_label(state: str) -> str:
    return STATE_LABELS.get(state, state.replace("_", " ").capitalize())


def state_colour(state: str) -> str:
    return STATE_COLOURS.get(state, "#BBBBBB")


def policy_colours(n: int) -> list[str]:
    """Colour of the i-th policy (first = reference, black); cycles after eight."""
    return [OKABE_ITO[i % len(OKABE_ITO)] for i in range(n)]


def wrap(text: str, width: int = 18) -> str:
    return textwrap.fill(str(text), width=width, break_long_words=True) or str(text)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_") or "scenario"


def _grid(n: int, max_cols: int = 3) -> tuple[int, int]:
    """Balanced panel grid (4 -> 2x2, 5-6 -> 2x3) with at most ``max_cols`` columns."""
    n = max(n, 1)
    nrows = math.ceil(n / max_cols)
    return nrows, math.ceil(n / nrows)


@contextmanager
def _figure(nrows: int, ncols: int, size: tuple[float, float], **kw) -> Iterator[tuple[Figure, np.ndarray]]:
    """A styled figure whose axes come back as a flat array; the figure is always closed."""
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(nrows, ncols, figsize=size, squeeze=False, **kw)
        try:
            yield fig, axes.ravel()
        finally:
            plt.close(fig)


def _save(fig: Figure, path: str | Path, caption: str | None = None) -> Path:
    path = Path(path)
    if caption:
        fig.text(0.01, 0.0, caption, ha="left", va="top", fontsize=8, color="#444444", wrap=True)
    top = 1.0
    suptitle = getattr(fig, "_suptitle", None)
    if suptitle is not None:
        # keep ~0.5 inch above the panels for the title, whatever the figure's height (tall
        # forest plots otherwise put it on top of the first row's panel titles)
        height = fig.get_figheight()
        suptitle.set_y(1.0 - 0.1 / height)
        suptitle.set_va("top")
        top = 1.0 - 0.55 / height
    fig.tight_layout(rect=(0, 0, 1, top))
    fig.savefig(path, dpi=DPI, bbox_inches="tight", facecolor="white")
    return path


def _no_data(ax, text: str = "No data", clear_ticks: bool = True) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#666666")
    if clear_ticks:
        ax.set_xticks([])
        ax.set_yticks([])


def _state_stats(ts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Mean, CI low and CI high of the count in each state (columns) by day (index)."""
    if ts.empty:
        empty = pd.DataFrame(columns=list(STATE_NAMES), dtype=float)
        return empty, empty, empty
    wide = ts.pivot_table(
        index=["replication", "day"], columns="state", values="count", aggfunc="sum", fill_value=0
    )
    extra = [s for s in wide.columns if s not in STATE_NAMES]
    wide = wide.reindex(columns=list(STATE_NAMES) + extra, fill_value=0).astype(float)
    grouped = wide.groupby(level="day")
    mean, sd, n = grouped.mean(), grouped.std(ddof=1), grouped.count()
    half = sd / np.sqrt(n) * n.map(lambda k: t975(int(k) - 1))
    return mean, mean - half, mean + half


# ----------------------------------------------------------------------------------- plots


def plot_outcome_distribution(
    summaries: Mapping[str, pd.DataFrame], kpis: Sequence[str], path: str | Path, title: str | None = None
) -> Path:
    """Spread of each KPI across replications, one panel per KPI and one column per policy.

    The reader sees each replication as a dot (jittered sideways), the policy mean as a bar-end
    marker and its 95% t-interval as a black whisker: overlapping whiskers mean the policies are
    not distinguishable on that KPI with this many replications (use the forest plot for paired
    differences). Policies keep the dict order (first = reference, drawn in black).
    """
    kpis = list(kpis) or ["cohort_size"]
    names = list(summaries)
    colours = policy_colours(len(names))
    n = max(len(names), 1)
    horizontal = n > 6  # many policies: policies down the y-axis so long names stay readable
    if horizontal:
        nrows, ncols = _grid(len(kpis))
        size = (3.6 * ncols + 2.2, (0.36 * n + 1.2) * nrows)
        label_w = 30
    else:
        long_names = any(len(name) > 14 for name in names)
        panel_w = max(3.4, 0.55 * n + 1.2, (1.1 * n + 0.8) if long_names else 0)
        nrows, ncols = _grid(len(kpis), max_cols=max(1, min(3, int(16 // panel_w))))
        size = (panel_w * ncols, 3.6 * nrows)
        label_w = max(8, int(14 * (panel_w - 0.8) / n))
    rng = np.random.default_rng(0)
    n_reps = sorted({len(df) for df in summaries.values()})
    with _figure(nrows, ncols, size, sharey=horizontal) as (fig, axes):
        for ax, kpi in zip(axes, kpis, strict=False):
            scale = kpi_scale(kpi)
            value_axis, cat_axis = (ax.xaxis, ax.yaxis) if horizontal else (ax.yaxis, ax.xaxis)

            def xy(cat, val):
                return (val, cat) if horizontal else (cat, val)

            all_vals = []
            for i, df in enumerate(summaries.values()):
                vals = (df[kpi].to_numpy(dtype=float) / scale) if kpi in df else np.array([])
                all_vals.append(vals)
                if vals.size == 0:
                    continue
                if vals.size > 1:  # a single replication: the mean alone is drawn
                    jitter = rng.uniform(-0.18, 0.18, vals.size)
                    ax.scatter(
                        *xy(i - 0.1 + jitter, vals),
                        s=14,
                        color=colours[i],
                        alpha=0.45,
                        linewidths=0,
                        zorder=2,
                    )
                m, lo, hi = mean_ci(vals)
                if np.isfinite(lo):
                    err = {"xerr" if horizontal else "yerr": [[m - lo], [hi - m]]}
                    ax.errorbar(
                        *xy(i + 0.28, m),
                        fmt="none",
                        ecolor="black",
                        capsize=3,
                        elinewidth=1.4,
                        zorder=3,
                        **err,
                    )
                ax.plot(
                    *xy(i + (0.28 if vals.size > 1 else 0.0), m),
                    marker="D",
                    ms=6,
                    color=colours[i],
                    mec="black",
                    zorder=4,
                )
            ax.set_title(wrap(kpi_label(kpi), 34))
            cat_axis.set_ticks(range(len(names)))
            cat_axis.set_ticklabels([wrap(name, label_w) for name in names])
            if horizontal:
                ax.set_ylim(len(names) - 0.5, -0.6)
                ax.set_xlabel(kpi_label(kpi).rsplit("(", 1)[-1].rstrip(")").capitalize())
            else:
                ax.set_xlim(-0.6, len(names) - 0.4)
            ax.grid(axis="y" if horizontal else "x", visible=False)
            ax.margins(**{"x" if horizontal else "y": 0.1})
            _counts_axis(value_axis, integer=scale == 1.0)
            finite = np.concatenate(all_vals) if all_vals else np.array([])
            finite = finite[np.isfinite(finite)]
            if finite.size and np.ptp(finite) == 0:
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
            if not finite.size:
                _no_data(ax, f"{kpi}: not in summary", clear_ticks=False)
        for ax in axes[len(kpis) :]:
            ax.set_visible(False)
        fig.suptitle(title or "Outcomes by policy, per cohort")
        reps = ", ".join(map(str, n_reps))
        caption = (
            f"Dots: individual replications ({reps} per policy). Diamond: mean. "
            "Whisker: 95% t confidence interval of the mean."
        )
        if n_reps == [1]:
            caption = "Single replication per policy: the value is shown without a confidence interval."
        return _save(fig, path, caption)


def plot_cumulative_outcomes(
    timeseries: Mapping[str, pd.DataFrame],
    path: str | Path,
    states: Sequence[str] | None = None,
    title: str | None = None,
) -> Path:
    """How each outcome builds up over time, one panel per state, one line per policy.

    The reader sees when outcomes happen (early vs late gains), not just the end total: the line
    is the mean across replications, the shaded band its 95% t-interval. Terminal states are
    cumulative; non-terminal states (e.g. out of contact) are the number in that state at the time.
    """
    states = list(states) if states else list(DEFAULT_OUTCOME_STATES)
    names = list(timeseries)
    colours = policy_colours(len(names))
    nrows, ncols = _grid(len(states), max_cols=2)
    by_policy = {name: _state_stats(ts) for name, ts in timeseries.items()}
    with _figure(nrows, ncols, (5.6 * ncols, 3.4 * nrows), sharex=True) as (fig, axes):
        for ax, state in zip(axes, states, strict=False):
            for i, name in enumerate(names):
                mean, lo, hi = by_policy[name]
                if state not in mean or mean.empty:
                    continue
                weeks = mean.index.to_numpy(dtype=float) / DAYS_PER_WEEK
                ls = LINESTYLES[(i // len(OKABE_ITO)) % len(LINESTYLES)]
                ax.plot(weeks, mean[state], color=colours[i], lw=1.8, ls=ls, label=wrap(name, 40))
                band_ok = hi[state].notna().to_numpy()
                if band_ok.any():
                    ax.fill_between(
                        weeks, lo[state], hi[state], where=band_ok, color=colours[i], alpha=0.18, lw=0
                    )
            ax.set_title(state_label(state))
            ax.set_ylabel("People")
            ax.set_ylim(bottom=0)
            _counts_axis(ax.yaxis)
            if not ax.lines:
                _no_data(ax)
        for ax in axes[len(states) :]:
            ax.set_visible(False)
        for ax in axes[(nrows - 1) * ncols :]:
            ax.set_xlabel("Time since start (weeks)")
            ax.xaxis.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 4, 5, 10], integer=True))
        for ax in axes[: (nrows - 1) * ncols]:
            ax.tick_params(labelbottom=True)
        has_band = any(ax.collections for ax in axes)
        default = "mean with 95% confidence band" if has_band else "single replication: no confidence band"
        fig.suptitle(title or f"Outcomes over time ({default})")
        handles, labels = axes[0].get_legend_handles_labels()
        fig.tight_layout()
        if len(handles) > 1:
            fig.legend(
                handles,
                labels,
                loc="upper center",
                bbox_to_anchor=(0.5, 0.0),
                ncol=min(len(labels), 3 if len(labels) > 6 else 4),
                frameon=False,
            )
        return _save(fig, path)


def plot_forest(
    comparison: pd.DataFrame, reference: str, path: str | Path, kpis: Sequence[str] | None = None
) -> Path:
    """Paired difference of each policy from the reference, one panel per KPI.

    The reader sees how much each policy changes the KPI versus the reference and whether the
    95% interval of the paired (common-random-numbers) difference crosses zero: a whisker clear of
    the dashed zero line is a difference the replications can distinguish.
    """
    kpis = list(kpis) if kpis else list(dict.fromkeys(comparison["kpi"]))
    policies = [p for p in dict.fromkeys(comparison["scenario"]) if p != reference]
    all_policies = [reference, *policies]
    colours = dict(zip(all_policies, policy_colours(len(all_policies)), strict=True))
    nrows, ncols = _grid(len(kpis))
    height = max(2.6, 0.42 * len(policies) + 1.4)
    with _figure(nrows, ncols, (4.4 * ncols + 1.2, height * nrows), sharey=True) as (fig, axes):
        ypos = {p: k for k, p in enumerate(policies)}
        for ax, kpi in zip(axes, kpis, strict=False):
            rows = comparison[(comparison["kpi"] == kpi) & (comparison["scenario"] != reference)]
            scale = kpi_scale(kpi)
            for _, r in rows.iterrows():
                y, d = ypos[r["scenario"]], r["diff_vs_reference"] / scale
                lo, hi = r["diff_ci_low"] / scale, r["diff_ci_high"] / scale
                c = colours[r["scenario"]]
                if np.isfinite(lo) and np.isfinite(hi):
                    ax.errorbar(
                        d,
                        y,
                        xerr=[[max(d - lo, 0)], [max(hi - d, 0)]],
                        fmt="o",
                        color=c,
                        ecolor=c,
                        capsize=4,
                        elinewidth=1.6,
                        ms=6,
                    )
                else:
                    ax.plot(d, y, "o", color=c, ms=6)
            ax.axvline(0, color="#444444", ls="--", lw=1, zorder=0)
            ax.set_title(wrap(kpi_label(kpi), 34))
            unit = kpi_label(kpi).rsplit("(", 1)[-1].rstrip(")") if "(" in kpi_label(kpi) else "units"
            ax.set_xlabel(f"Difference ({unit})")
            _counts_axis(ax.xaxis, integer=False)
            ax.grid(axis="y", visible=False)
            if rows.empty:
                ax.text(
                    0.5,
                    0.5,
                    "No policies to compare",
                    ha="center",
                    va="center",
                    transform=ax.transAxes,
                    color="#666666",
                )
            elif np.allclose(ax.get_xlim(), 0) or abs(np.diff(ax.get_xlim())[0]) < 1e-12:
                ax.set_xlim(-1, 1)
        axes[0].set_yticks(range(len(policies)))
        axes[0].set_yticklabels([wrap(p, 26) for p in policies])
        axes[0].set_ylim(max(len(policies), 1) - 0.5, -0.5)
        for ax in axes[len(kpis) :]:
            ax.set_visible(False)
        fig.suptitle(f"Difference vs {wrap(reference, 60)} (paired, 95% CI)")
        caption = "Dot: mean paired difference (policy minus reference). Whisker: 95% confidence interval."
        if not np.isfinite(comparison[["diff_ci_low", "diff_ci_high"]].to_numpy(dtype=float)).any():
            caption = (
                "Dot: difference (policy minus reference); no confidence intervals (single replication)."
            )
        return _save(fig, path, caption)


def plot_cost_effectiveness(summaries: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Cost against people who left the UK, one point per policy with 95% CI whiskers both ways.

    The reader sees trade-offs: up-and-right costs more and achieves more, down-and-right
    dominates. Departures + removals = voluntary departures + enforced removals + cases closed
    as already departed, per cohort.
    """
    names = list(summaries)
    colours = policy_colours(len(names))
    direct_labels = len(names) <= 6
    with _figure(1, 1, (7.5 if direct_labels else 9.5, 5.2)) as (fig, axes):
        ax, has_ci = axes[0], False
        for i, (name, df) in enumerate(summaries.items()):
            cols = [c for c in DEPARTURE_COLUMNS if c in df]
            if df.empty or not cols or "total_cost_gbp" not in df:
                continue
            x, xlo, xhi = mean_ci(df[cols].sum(axis=1))
            y, ylo, yhi = mean_ci(df["total_cost_gbp"] / 1e6)
            xerr = [[x - xlo], [xhi - x]] if np.isfinite(xlo) else None
            yerr = [[y - ylo], [yhi - y]] if np.isfinite(ylo) else None
            marker = MARKERS[(i // len(OKABE_ITO)) % len(MARKERS)]
            has_ci = has_ci or xerr is not None or yerr is not None
            ax.errorbar(
                x,
                y,
                xerr=xerr,
                yerr=yerr,
                fmt=marker,
                color=colours[i],
                ecolor=colours[i],
                capsize=4,
                ms=7,
                elinewidth=1.4,
                label=wrap(name, 30),
            )
            if direct_labels:
                ax.annotate(
                    wrap(name, 22),
                    (x, y),
                    xytext=(10, 6),
                    textcoords="offset points",
                    fontsize=9,
                    color="#222222",
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1},
                )
        ax.set_xlabel("Departures + removals per cohort (people)")
        ax.set_ylabel("Total cost (£ million)")
        _counts_axis(ax.xaxis, integer=False)
        _counts_axis(ax.yaxis, integer=False)
        ax.margins(x=0.15, y=0.15)
        if not ax.lines:
            _no_data(ax)
        elif not direct_labels:
            ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, title="Policy")
        ax.set_title("Cost vs departures and removals (mean, 95% CI)")
        caption = (
            "Departures + removals = voluntary departures + enforced removals + closed as already "
            "departed. "
            + (
                "Whiskers: 95% confidence intervals across replications."
                if has_ci
                else "Single replication: no CI."
            )
        )
        return _save(fig, path, caption)


def plot_state_flow(timeseries: pd.DataFrame, title: str, path: str | Path) -> Path:
    """Where the cohort is over time: stacked mean number of people in each state.

    The reader sees the cohort draining from the pool and live caseload (top bands) into settled
    outcomes (bottom bands); the total height is the cohort. Colours match every other plot.
    """
    mean, _, _ = _state_stats(timeseries)
    order = [s for s in STACK_ORDER if s in mean] + [s for s in mean if s not in STACK_ORDER]
    with _figure(1, 1, (9.5, 4.8)) as (fig, axes):
        ax = axes[0]
        if mean.empty:
            _no_data(ax)
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
        _counts_axis(ax.yaxis)
        ax.grid(False)
        ax.set_title(wrap(title, 80))
        return _save(fig, path)


# ----------------------------------------------------------------------------------- sets


def plot_run(summary: pd.DataFrame, timeseries: pd.DataFrame, label: str, outdir: str | Path) -> list[Path]:
    """Per-scenario set in ``outdir``: state flow, outcome distribution and cumulative outcomes.

    Files: ``state_flow_<slug>.png``, ``outcomes_<slug>.png``, ``cumulative_outcomes_<slug>.png``
    where ``<slug>`` is the label lower-cased with non-alphanumerics replaced by ``_``.
    """
    outdir, s = Path(outdir), slug(label)
    n_reps = int(summary["replication"].nunique()) if "replication" in summary else len(summary)
    kpis = [k for k in DEFAULT_KPIS if k in summary] or [
        c for c in summary if c not in ("replication", "seed")
    ]
    return [
        plot_state_flow(
            timeseries, f"{label}: where the cohort is over time", outdir / f"state_flow_{s}.png"
        ),
        plot_outcome_distribution(
            {label: summary}, kpis, outdir / f"outcomes_{s}.png", title=f"{label}: outcomes per cohort"
        ),
        plot_cumulative_outcomes(
            {label: timeseries},
            outdir / f"cumulative_outcomes_{s}.png",
            title=f"{label}: outcomes over time" + (" (mean with 95% confidence band)" if n_reps > 1 else ""),
        ),
    ]


def plot_comparison(
    summaries: Mapping[str, pd.DataFrame],
    timeseries: Mapping[str, pd.DataFrame],
    comparison: pd.DataFrame,
    reference: str,
    outdir: str | Path,
) -> list[Path]:
    """The four comparison plots, with stable file names, in ``outdir``."""
    outdir = Path(outdir)
    first = next(iter(summaries.values()), pd.DataFrame())
    kpis = [k for k in DEFAULT_KPIS if k in first]
    return [
        plot_outcome_distribution(summaries, kpis, outdir / "outcomes_by_policy.png"),
        plot_cumulative_outcomes(timeseries, outdir / "cumulative_outcomes.png"),
        plot_forest(comparison, reference, outdir / "differences_vs_reference.png"),
        plot_cost_effectiveness(summaries, outdir / "cost_vs_outcomes.png"),
    ]
