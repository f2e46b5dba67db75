"""The look shared by every figure: one colour per state and per policy position across every
plot (so a reader need not re-read legends; policies in Okabe-Ito, distinct for the common forms
of colour blindness), state names, tick formats, 150 dpi PNGs (sharp at page width), always closed.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter, MaxNLocator

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
"""Line styles that tell policies apart once the eight colours have been used."""
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P")
"""Marker shapes that tell policies apart once the eight colours have been used."""

STATES: dict[str, tuple[str, str]] = {
    "pool": ("#D9D9D9", "Pool (not yet contacted)"),
    "in_contact": ("#56B4E9", "In contact"),
    "reporting": ("#0072B2", "On reporting conditions"),
    "out_of_contact": ("#D55E00", "Out of contact"),
    "casework": ("#F0E442", "Casework (barrier to removal)"),
    "detained": ("#CC79A7", "Detained"),
    "departed_voluntary": ("#009E73", "Departed voluntarily"),
    "removed": ("#E69F00", "Removed (enforced)"),
    "granted_leave": ("#332288", "Granted leave"),
    "closed_already_departed": ("#99DDCC", "Closed: already departed"),
    "closed_other": ("#777777", "Closed: other reason"),
}
"""Each state's colour in every figure and its readable name."""
FALLBACK_FONTS: tuple[str, ...] = (
    "Noto Sans CJK JP",
    "Noto Sans CJK SC",
    "Source Han Sans",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "SimHei",
    "Hiragino Sans",
    "Arial Unicode MS",
    "Last Resort High-Efficiency",
)
"""Fonts tried, in order, for characters the default sans-serif font (DejaVu Sans) lacks, such as a
title in Chinese: the CJK fonts common on Linux, Windows and macOS, then matplotlib's own "last
resort" font, which draws a labelled box instead of printing a warning per character (48 for one
title in CJK). Only installed fonts are listed (a missing one would be a warning of its own); text
DejaVu Sans covers is drawn exactly as before."""


def _font_family() -> list[str]:
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return ["sans-serif", *(name for name in FALLBACK_FONTS if name in installed)]


STYLE: dict[Any, Any] = {  # keys are matplotlib rcParams names
    "font.family": _font_family(),
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


class Thousands(Formatter):
    """Tick labels with thousands separators, a true minus sign and just enough decimals for the step."""

    def __init__(self) -> None:
        super().__init__()
        self._step = 1.0

    def set_locs(self, locs: Sequence[float] | np.ndarray) -> None:
        ordered = np.sort(np.asarray(locs, dtype=float))
        self._step = float(np.min(np.diff(ordered))) if ordered.size > 1 else 1.0

    def __call__(self, x: float, pos: int | None = None) -> str:
        step = self._step
        decimals = next((d for d in range(7) if abs(round(step, d) - step) < 1e-9 * max(1.0, step)), 6)
        text = f"{x:,.{decimals}f}"
        return "0" if float(text.replace(",", "")) == 0 else text.replace("-", "\u2212")


def counts_axis(axis: Axis, integer: bool = True) -> None:
    """Readable ticks: round steps (integers for counts), thousands separators."""
    axis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10], integer=integer))
    axis.set_major_formatter(Thousands())


def state_label(state: str) -> str:
    """Readable name of a state (the stable state names of the model's output tables)."""
    return STATES[state][1] if state in STATES else state.replace("_", " ").capitalize()


def state_colour(state: str) -> str:
    return STATES[state][0] if state in STATES else "#BBBBBB"


def policy_colours(n: int) -> list[str]:
    """Colour of the i-th policy (first = reference, black); cycles after eight."""
    return [OKABE_ITO[i % len(OKABE_ITO)] for i in range(n)]


def policy_linestyle(i: int) -> str:
    """Line style of the i-th policy: the next style each time the colours cycle (32 distinct)."""
    return LINESTYLES[(i // len(OKABE_ITO)) % len(LINESTYLES)]


def wrap(text: str, width: int = 18) -> str:
    """Text broken into lines of at most ``width`` characters (long policy names on axes)."""
    return textwrap.fill(str(text), width=width, break_long_words=True) or str(text)


def slug(text: str) -> str:
    """File-name form of a label: lower case, runs of other characters replaced by ``_``."""
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_") or "scenario"


def grid(n: int, max_cols: int = 3) -> tuple[int, int]:
    """Balanced panel grid (4 -> 2x2, 5-6 -> 2x3) with at most ``max_cols`` columns."""
    n = max(n, 1)
    nrows = math.ceil(n / max_cols)
    return nrows, math.ceil(n / nrows)


@contextmanager
def figure(
    nrows: int, ncols: int, size: tuple[float, float], panels: int | None = None, **kw: Any
) -> Iterator[tuple[Figure, np.ndarray]]:
    """A styled figure (inches), its axes as a flat array (those past ``panels`` hidden); closed."""
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(nrows, ncols, figsize=size, squeeze=False, **kw)
        for ax in axes.ravel()[nrows * ncols if panels is None else panels :]:
            ax.set_visible(False)
        try:
            yield fig, axes.ravel()
        finally:
            plt.close(fig)


def save(fig: Figure, path: str | Path, caption: str | None = None) -> Path:
    """Lay out and write the figure as a PNG, with an optional caption under the panels."""
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


def legend_below(fig: Figure, ax: Axes, ncol: int | None = None) -> None:
    """Lay the figure out, then put ``ax``'s legend (if more than one entry) under the panels, in
    ``ncol`` columns (default: up to 4, or 3 for over 6 entries)."""
    handles, labels = ax.get_legend_handles_labels()
    fig.tight_layout()
    n = len(labels)
    if len(handles) > 1:
        columns = ncol or min(n, 3 if n > 6 else 4)
        fig.legend(
            handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=columns, frameon=False
        )


def no_data(ax: Axes, text: str = "No data", clear_ticks: bool = True) -> None:
    """Say so in the panel, rather than leave an empty frame that looks like a drawing error."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#666666")
    if clear_ticks:
        ax.set_xticks([])
        ax.set_yticks([])
