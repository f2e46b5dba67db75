"""Labelling points directly (a name next to each point is read at once, a legend of 14 policies
in recycled colours is not). Each label goes greedily to the nearest free spot around its point,
scored by overlap with labels placed, points and the axes' edge, with a thin leader line when
placed away; crowded points first. Deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
from matplotlib.axes import Axes
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox

RADII: tuple[float, ...] = (7.0, 14.0, 22.0, 32.0, 44.0, 58.0, 74.0, 92.0, 115.0)
"""Distances from the point tried, in points (1/72 inch)."""
ANGLES: tuple[float, ...] = tuple(
    math.radians(a) for a in (30, 0, 60, 330, 90, 300, 150, 180, 120, 210, 270, 240)
)
"""Directions tried at each distance, upper right first (where a reader looks for a label)."""
LEADER_FROM = 1
"""Labels placed from this ring outwards get a leader line to their point."""
_PAD_PX = 2.0
POINT_RADIUS = 5.0
"""Kept clear around every point, in points."""


def _overlap(a: Bbox, b: Bbox) -> float:
    """Area shared by two boxes (display pixels squared)."""
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0


def _outside(box: Bbox, frame: Bbox) -> float:
    """Area of ``box`` outside ``frame``."""
    return box.width * box.height - _overlap(box, frame)


HAlign = Literal["left", "center", "right"]
VAlign = Literal["bottom", "center", "top"]


def _alignment(angle: float) -> tuple[HAlign, VAlign]:
    """Text alignment that puts the label on the far side of its anchor, seen from the point."""
    c, s = math.cos(angle), math.sin(angle)
    ha: HAlign = "left" if c > 0.3 else "right" if c < -0.3 else "center"
    va: VAlign = "bottom" if s > 0.3 else "top" if s < -0.3 else "center"
    return ha, va


def _segment_boxes(
    ax: Axes, segments: Sequence[tuple[float, float, float, float]], scale: float
) -> list[Bbox]:
    """The display boxes around segments given in data coordinates (non-finite ones left out)."""
    boxes = []
    for x0, y0, x1, y1 in segments:
        (a, b), (c, d) = ax.transData.transform([(x0, y0), (x1, y1)])
        if np.all(np.isfinite([a, b, c, d])):
            boxes.append(Bbox.from_extents(min(a, c), min(b, d), max(a, c), max(b, d)).padded(1.5 * scale))
    return boxes


def _best_spot(
    probe: Annotation, renderer: Any, score: Callable[[Bbox], float]
) -> tuple[int, dict[str, Any], Bbox]:
    """The ring, text placement (offset in points, alignment) and display box of ``probe``'s best
    position: the first free one from near to far, else the lowest-scoring."""
    best: tuple[float, Any] | None = None
    for ring, radius in enumerate(RADII):
        for angle in ANGLES:
            ha, va = _alignment(angle)
            place = {"xytext": (radius * math.cos(angle), radius * math.sin(angle)), "ha": ha, "va": va}
            probe.set(position=place["xytext"], horizontalalignment=ha, verticalalignment=va)
            box = probe.get_window_extent(renderer).expanded(1.0, 1.0).padded(_PAD_PX)
            s = score(box)
            if best is None or s < best[0]:
                best = (s, (ring, place, box))
            if s == 0.0:
                return ring, place, box
    assert best is not None
    return best[1]


def place_labels(
    ax: Axes,
    xs: Sequence[float] | np.ndarray,
    ys: Sequence[float] | np.ndarray,
    texts: Sequence[str],
    *,
    segments: Sequence[tuple[float, float, float, float]] = (),
) -> list[Annotation]:
    """Annotate each point (data coordinates) with its text at a free spot; returns the labels.

    Call once the axes limits and layout are final (placement is in display coordinates).
    ``POINT_RADIUS`` is kept clear around every point; ``segments`` (x0, y0, x1, y1 in
    data coordinates, e.g. whiskers) are avoided at half a point's weight. The labels are left out
    of the layout."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    frame = ax.get_window_extent(renderer)
    scale = fig.dpi / 72.0
    pts = ax.transData.transform(np.column_stack([np.asarray(xs, float), np.asarray(ys, float)]))
    r = POINT_RADIUS * scale
    point_boxes = [Bbox.from_extents(px - r, py - r, px + r, py + r) for px, py in pts]
    line_boxes = _segment_boxes(ax, segments, scale)
    crowding = [int(np.sum(np.hypot(*(pts - p).T) < 80 * scale)) for p in pts]
    order = sorted(range(len(texts)), key=lambda i: (-crowding[i], i))
    placed: list[Bbox] = []
    labels: list[Annotation] = []
    text: dict[str, Any] = {"textcoords": "offset points", "fontsize": 8.0}
    box_style = {"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 0.6}
    drawn: dict[str, Any] = {"color": "#222222", "bbox": box_style, "annotation_clip": False, "zorder": 5}
    for i in order:
        if not np.all(np.isfinite(pts[i])):
            continue
        xy = (float(xs[i]), float(ys[i]))
        probe = ax.annotate(texts[i], xy, xytext=(0, 0), **text)

        def score(box: Bbox) -> float:
            return (
                sum(_overlap(box, b) for b in placed)
                + sum(_overlap(box, b) for b in point_boxes)
                + 0.5 * sum(_overlap(box, b) for b in line_boxes)
                + 10.0 * _outside(box, frame)
            )

        ring, place, box = _best_spot(probe, renderer, score)
        probe.remove()
        arrow = (
            {"arrowstyle": "-", "color": "#888888", "lw": 0.6, "shrinkA": 0.0, "shrinkB": POINT_RADIUS * 0.8}
            if ring >= LEADER_FROM
            else None
        )
        label = ax.annotate(texts[i], xy, arrowprops=arrow, **place, **text, **drawn)

        label.set_in_layout(False)
        placed.append(box)
        labels.append(label)
    return labels


def label_boxes(labels: Sequence[Annotation]) -> list[Bbox]:
    """The display boxes of the labels' texts, without their leader lines (to check overlaps)."""
    if not labels:
        return []
    renderer = labels[0].figure.canvas.get_renderer()  # type: ignore[attr-defined]
    boxes = []
    for label in labels:
        label.update_positions(renderer)  # where the text is drawn (relative to its point)
        boxes.append(Text.get_window_extent(label, renderer))
    return boxes
