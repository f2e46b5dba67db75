"""Response curves of a parameter sweep: each KPI's mean and 95% t interval at every grid point,
and the paired difference from the first grid point (common random numbers). Pure functions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from sim.analysis.kpis import DERIVED_KPIS, KPIS, TABLE_KPIS, kpi
from sim.analysis.multiplicity import excludes_zero
from sim.analysis.numbers import fmt_number, kpi_decimals
from sim.analysis.statistics import kpi_values, paired_difference, paired_tables, t_interval
from sim.analysis.tables import render_table

SWEEP_COLUMNS_1D: tuple[str, ...] = ("param", "value", "kpi", "mean", "ci_low", "ci_high", "n")
"""The required columns of sweep.csv for one swept parameter, first and in this order."""
SWEEP_COLUMNS_2D: tuple[str, ...] = (*SWEEP_COLUMNS_1D[:2], "param2", "value2", *SWEEP_COLUMNS_1D[2:])
"""The required columns of sweep.csv for a 2-D grid, first and in this order."""
EXTRA_COLUMNS: tuple[str, ...] = ("diff_vs_first", "diff_ci_low", "diff_ci_high", "scenario")
"""After the required columns: the paired difference from the first grid point (0 at the first
point itself) with its 95% t interval, and the grid point's scenario name (its results folder)."""

SWEEP_KPIS: tuple[str, ...] = (*KPIS, *DERIVED_KPIS)
"""Every KPI of the registry (summary.csv columns, then the derived ones): sweep.csv's default."""


def sweep_columns(dimensions: int) -> list[str]:
    """sweep.csv's columns for a grid of one or two parameters."""
    return [*(SWEEP_COLUMNS_1D if dimensions == 1 else SWEEP_COLUMNS_2D), *EXTRA_COLUMNS]


def sweep_table(
    paths: Sequence[str],
    points: Sequence[tuple[Sequence[float], str]],
    summaries: Mapping[str, pd.DataFrame],
    kpis: Sequence[str] = SWEEP_KPIS,
    level: float = 0.95,
) -> pd.DataFrame:
    """The rows of sweep.csv: one per grid point and KPI. ``points`` are each grid point's values
    (one per path) and scenario name in grid order, ``summaries`` each scenario's summary.csv."""
    first_name = points[0][1]
    paired = paired_tables({name: summaries[name] for _, name in points}, first_name)
    rows = []
    for values, name in points:
        frame = summaries[name]
        keys: list[object] = []
        for path, value in zip(paths, values, strict=True):
            keys += [path, value]
        for column in kpis:
            series = kpi_values(frame, column)
            mean, low, high = t_interval(series, level)
            n = int(series.notna().sum())
            if name == first_name:
                diff = (0.0, 0.0, 0.0)
            else:
                first, this = (kpi_values(paired[n], column) for n in (first_name, name))
                diff = paired_difference(first, this, level)
            rows.append([*keys, column, mean, low, high, n, *diff, name])
    return pd.DataFrame(rows, columns=sweep_columns(len(paths)))


def value_text(value: float) -> str:
    """A swept value as written in tables and legends: ``60``, ``0.005``."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def grid_rows(frame: pd.DataFrame) -> tuple[list[str], list[tuple[Any, ...]], dict[Any, Any]]:
    """sweep.csv's swept parameters, its grid points (their values) in order, and the row of each
    grid point and KPI."""
    keys = ["value", "value2"] if "param2" in frame.columns else ["value"]
    cells = {(tuple(r[c] for c in keys), r["kpi"]): r for r in frame.to_dict("records")}
    heads = [str(frame[p].iloc[0]) for p in ("param", "param2")[: len(keys)]]
    return heads, list(dict.fromkeys(point for point, _ in cells)), cells


def format_sweep_table(frame: pd.DataFrame, kpis: Sequence[str] = TABLE_KPIS) -> str:
    """Rows = grid points, columns = the parameter value(s) and each KPI's mean (display units),
    ``*`` where the paired 95% interval of the difference from the first grid point excludes 0."""
    shown = [kpi(k) for k in kpis if k in set(frame["kpi"])]
    heads, order, cells = grid_rows(frame)
    header = [*heads, *(k.heading for k in shown)]
    decimals = {}
    for definition in shown:
        biggest = frame.loc[frame["kpi"] == definition.name, "mean"].abs().max()
        decimals[definition.name] = kpi_decimals(definition, definition.display(float(biggest)))
    rows = []
    for point in order:
        row = [value_text(v) for v in point]
        for definition in shown:
            r = cells.get((point, definition.name))
            if r is None:
                row.append("")
                continue
            star = "*" if excludes_zero(float(r["diff_ci_low"]), float(r["diff_ci_high"])) else " "
            row.append(fmt_number(definition.display(float(r["mean"])), decimals[definition.name]) + star)
        rows.append(row)
    return render_table(header, rows, "r" * len(header))
