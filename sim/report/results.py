"""The tables of a results folder's own files (headline, every KPI, cost-effectiveness, time to
outcome) in each KPI's display unit. A difference exactly 0 in every replication (the policy cannot
reach the KPI: common under common random numbers) says so instead of showing an interval of zero
width; a table with columns the report does not know is shown as written.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from sim.analysis.cost_effectiveness import CE_COLUMNS
from sim.analysis.kpis import (
    DEFAULT_KPIS,
    KPIS,
    MONEY_DECIMALS,
    MONEY_SCALE,
    MONEY_UNIT,
    TABLE_KPIS,
    Kpi,
    kpi,
)
from sim.analysis.numbers import count_decimals, fmt_number, kpi_decimals
from sim.analysis.statistics import COMPARE_COLUMNS, STATS_COLUMNS
from sim.experiment import output
from sim.report.folder import ResultsFolder
from sim.report.methods import percent
from sim.studies import report_parts as rp
from sim.studies.report_parts import NO_VALUE, Cell, Table, text

SIM_COLUMNS = ("diff_sim_ci_low", "diff_sim_ci_high")
"""Simultaneous-interval columns of comparison.csv, when the comparison computed them."""
COST_EFFECTIVENESS_COLUMNS = tuple(c for c in CE_COLUMNS if c != "cpo_note")
"""The cost-effectiveness columns the report needs (the note is optional: older folders lack it)."""
TIME_TO_OUTCOME_COLUMNS = ("scenario", "outcome", "day", "cumulative_incidence", "ci_low", "ci_high")
MILESTONE_DAYS = (90, 180, 365)
"""Days at which cumulative incidence is tabulated (with the last day of the horizon)."""
SAME = "same in every replication"


@dataclass(frozen=True)
class Change:
    """A difference of the headline table whose interval excludes 0, as the table shows it: policy
    minus reference in the KPI's stored unit (GBP, people) with the interval that marks it."""

    policy: str
    """The policy's label."""
    kpi: Kpi
    diff: float
    low: float
    high: float
    decimals: int
    """Decimals of the displayed value, as in the table."""
    size: float
    """|diff| / |reference mean|: how large the change is, to order changes of different units
    (infinite where the reference mean is 0)."""


def verdict(d: Kpi, diff: float) -> str:
    """Whether a difference is better or worse for the Home Office's aims by the KPI's registered
    direction (``higher_is_better``), or neutral where the registry states none: a CSS class."""
    if d.higher_is_better is None or diff == 0:
        return "neutral"
    return "better" if (diff > 0) == d.higher_is_better else "worse"


def comparison_frame(folder: ResultsFolder) -> pd.DataFrame:
    frame = folder.csv(output.COMPARISON_FILE)
    assert frame is not None  # open_folder checked it exists
    rp.require(frame, COMPARE_COLUMNS, output.COMPARISON_FILE)
    columns = ["mean", "ci_low", "ci_high", "diff_vs_reference", "diff_ci_low", "diff_ci_high"]
    frame = rp.numeric(frame, columns + [c for c in SIM_COLUMNS if c in frame.columns])
    return frame.assign(scenario=frame["scenario"].astype(str), kpi=frame["kpi"].astype(str))


def _kpi_order(present: Iterable[str], preferred: Sequence[str]) -> list[Kpi]:
    """KPIs of ``preferred`` that are present, then any other known KPI present (in file order)."""
    seen = list(dict.fromkeys(present))
    return [
        kpi(k)
        for k in [k for k in preferred if k in seen] + [k for k in seen if k not in preferred and k in KPIS]
    ]


def _exactly_zero(record: Mapping[Hashable, Any], low: str, high: str) -> bool:
    return all(float(record[c]) == 0.0 for c in ("diff_vs_reference", low, high))


@dataclass(frozen=True)
class Headline:
    """The headline table (policies x ``kpis``), the table of every KPI compared, and the headline
    table's marked differences with the name of the intervals that mark them (the findings quote them)."""

    table: Table
    every: Table
    kpis: list[Kpi]
    changes: list[Change]
    interval: str


def headline(folder: ResultsFolder, frame: pd.DataFrame, level: float) -> Headline:
    """The headline and every-KPI tables of comparison.csv (``Headline``)."""
    simultaneous = all(c in frame.columns for c in SIM_COLUMNS)
    pct = percent(level)
    cells = {(r["scenario"], r["kpi"]): r for r in frame.to_dict("records")}
    names = [s.name for s in folder.scenarios]
    ref = names[0]
    shown = [d for d in _kpi_order(frame["kpi"], TABLE_KPIS) if d.name in TABLE_KPIS]
    decimals = {
        d: kpi_decimals(d, d.display(float(cells[(ref, d.name)]["mean"])))
        for d in shown
        if (ref, d.name) in cells
    }
    lo_col, hi_col = SIM_COLUMNS if simultaneous else ("diff_ci_low", "diff_ci_high")
    rows = []
    changes = []
    for name in names:
        row = [Cell(folder.labels[name] + (" (reference)" if name == ref else ""))]
        for d in shown:
            c, dec = cells.get((name, d.name)), decimals.get(d, 0)
            if c is None:
                row.append(Cell(NO_VALUE, numeric=True))
            elif name == ref:
                row.append(rp.estimate(c["mean"], c["ci_low"], c["ci_high"], dec, d.scale, mark=False))
            elif _exactly_zero(c, lo_col, hi_col):
                row.append(Cell("0", SAME, numeric=True, css="zero"))
            else:
                diff, lo, hi = (float(c[k]) for k in ("diff_vs_reference", lo_col, hi_col))
                cell = rp.estimate(diff, lo, hi, dec, d.scale, True)
                if cell.mark:
                    cell = replace(cell, css=verdict(d, diff))
                    mean = abs(float(cells[(ref, d.name)]["mean"])) if (ref, d.name) in cells else 0.0
                    size = abs(diff) / mean if mean else math.inf
                    changes.append(Change(folder.labels[name], d, diff, lo, hi, dec, size))
                row.append(cell)
        rows.append(row)
    which = (
        f"simultaneous {pct} intervals (adjusted for comparing several policies and KPIs at once; "
        "columns diff_sim_ci_low/high of comparison.csv)"
        if simultaneous
        else f"{pct} t intervals of the paired difference, not adjusted for multiple comparisons "
        "(comparison.csv has no simultaneous intervals): with many policies and KPIs, expect some "
        f"intervals to exclude 0 by chance ({100 - level * 100:.10g}% of true zero effects)"
    )
    caption = (
        f"Reference row: mean per cohort with its {pct} t interval. Other rows: paired difference "
        f"from the reference (policy minus reference) with {which}. Highlighted with * where that "
        "interval excludes 0. “Same in every replication”: the paired difference is exactly 0 in "
        "every replication, because the policy cannot reach that KPI (common random numbers)."
    )
    table = Table(["Policy", *(d.heading for d in shown)], rows, [False, *(True for _ in shown)], caption)
    every = _every_kpi(folder, cells, _kpi_order(frame["kpi"], DEFAULT_KPIS), pct, simultaneous)
    return Headline(table, every, shown, changes, f"simultaneous {pct}" if simultaneous else pct)


def _every_kpi(
    folder: ResultsFolder,
    cells: Mapping[tuple[str, str], Mapping[Hashable, Any]],
    every: Sequence[Kpi],
    pct: str,
    simultaneous: bool,
) -> Table:
    """Every KPI of comparison.csv: a group of rows per KPI, a row per scenario."""
    names = [s.name for s in folder.scenarios]
    columns = ["KPI", "Policy", "Mean", f"{pct} CI", "Difference", f"{pct} CI of difference"]
    columns += [f"Simultaneous {pct} CI"] if simultaneous else []
    intervals = [
        ("diff_ci_low", "diff_ci_high", not simultaneous),
        *([(*SIM_COLUMNS, True)] if simultaneous else []),
    ]
    rows: list[list[Cell]] = []
    groups = set()
    for d in every:
        if all(float(cells[(n, d.name)]["mean"]) == 0 for n in names if (n, d.name) in cells):
            continue  # nobody in any scenario can reach it (e.g. asylum claims in 2012-14)
        groups.add(len(rows))
        ref_cell = cells.get((names[0], d.name))
        dec = kpi_decimals(d, d.display(float(ref_cell["mean"])) if ref_cell is not None else math.inf)
        for i, name in enumerate(names):
            c = cells.get((name, d.name))
            if c is None:
                continue
            row = [
                Cell(d.label if i == 0 else ""),
                Cell(folder.labels[name]),
                Cell(fmt_number(d.display(c["mean"]), dec), numeric=True),
                Cell(rp.interval(c["ci_low"], c["ci_high"], dec, d.scale), numeric=True),
            ]
            if name == names[0]:
                row += [Cell("reference", numeric=True), *(Cell("") for _ in columns[5:])]
            elif _exactly_zero(c, "diff_ci_low", "diff_ci_high"):
                row += [Cell("0", numeric=True), *(Cell(SAME, numeric=True, css="zero") for _ in columns[5:])]
            else:
                row.append(Cell(fmt_number(d.display(c["diff_vs_reference"]), dec, sign=True), numeric=True))
                for low, high, highlighted in intervals:
                    lo, hi = float(c[low]), float(c[high])
                    mark = highlighted and rp.excludes_zero(lo, hi)
                    css = verdict(d, float(c["diff_vs_reference"])) if mark else ""
                    shown = rp.interval(lo, hi, dec, d.scale, sign=True)
                    row.append(Cell(shown, numeric=True, mark=mark, css=css))
            rows.append(row)
    marked = "simultaneous interval" if simultaneous else "interval of the difference"
    return Table(
        columns,
        rows,
        [False, False, *(True for _ in columns[2:])],
        caption=f"Every KPI of comparison.csv that is not 0 in every scenario, in display units "
        f"({MONEY_UNIT} for money). Intervals are {pct} t intervals over replications; differences "
        f"are paired by replication. Highlighted with * where the {marked} excludes 0.",
        groups=frozenset(groups),
    )


def run_headline(folder: ResultsFolder) -> Table:
    """A single run's KPIs: mean and interval of each (summary_stats.csv)."""
    frame = folder.csv(output.STATS_FILE)
    if frame is None:
        raise rp.ReportError(f"{folder.path}: no {output.STATS_FILE}")
    rp.require(frame, STATS_COLUMNS, output.STATS_FILE)
    rows = []
    for r in frame.to_dict("records"):
        if str(r["kpi"]) not in KPIS:
            continue
        d, mean = kpi(str(r["kpi"])), float(r["mean"])
        dec = kpi_decimals(d, d.display(mean))
        rows.append(
            [
                Cell(d.label),
                Cell(fmt_number(d.display(mean), dec), numeric=True),
                Cell(rp.interval(float(r["ci_low"]), float(r["ci_high"]), dec, d.scale), numeric=True),
                Cell(fmt_number(d.display(float(r["sd"])), dec), numeric=True),
                Cell(str(int(r["n"])), numeric=True),
            ]
        )
    return Table(
        ["KPI", "Mean", "95% CI", "SD between replications", "Replications"],
        rows,
        [False, True, True, True, True],
        "Mean per cohort over replications with its 95% t interval (summary_stats.csv).",
    )


def cost_effectiveness(folder: ResultsFolder, frame: pd.DataFrame) -> Table:
    """cost_effectiveness.csv: a row per policy and outcome, each difference with its interval."""
    if rp.missing_columns(frame, COST_EFFECTIVENESS_COLUMNS):
        return rp.as_written(frame, folder.labels, output.COST_EFFECTIVENESS_FILE)
    frame = rp.numeric(
        frame, [c for c in COST_EFFECTIVENESS_COLUMNS if c not in ("scenario", "outcome", "method")]
    )
    rows = []
    for r in frame.to_dict("records"):
        dec = count_decimals(abs(float(r["d_outcome"])) if pd.notna(r["d_outcome"]) else math.inf)
        rows.append(
            [
                text(folder.labels.get(str(r["scenario"]), r["scenario"])),
                text(rp.outcome_label(str(r["outcome"]))),
                rp.estimate(
                    r["d_cost"], r["d_cost_ci_low"], r["d_cost_ci_high"], MONEY_DECIMALS, MONEY_SCALE, True
                ),
                rp.estimate(r["d_outcome"], r["d_outcome_ci_low"], r["d_outcome_ci_high"], dec, sign=True),
                rp.estimate(r["cost_per_outcome"], r["cpo_ci_low"], r["cpo_ci_high"], 0, mark=False),
                Cell(fmt_number(r["value_per_outcome"], 0), numeric=True),
                rp.estimate(
                    r["net_benefit"], r["nb_ci_low"], r["nb_ci_high"], MONEY_DECIMALS, MONEY_SCALE, True
                ),
                text(r["method"]),
            ]
        )
    return Table(
        [
            "Policy",
            "Outcome",
            f"Extra cost ({MONEY_UNIT})",
            "Extra outcome",
            "Cost per extra outcome (£)",
            "Value per outcome (£)",
            f"Net benefit ({MONEY_UNIT})",
            "Interval method",
        ],
        rows,
        [False, False, True, True, True, True, True, False],
        "Paired differences from the reference (cost_effectiveness.csv): extra cost and extra outcome "
        "per cohort, the cost of each extra outcome, and the net benefit (outcome valued at the "
        "stated value per outcome, minus cost). Intervals by the method named; * where the interval "
        "of a difference excludes 0. A cost per outcome is not meaningful where the extra outcome's "
        "interval includes 0.",
    )


def time_to_outcome(folder: ResultsFolder, frame: pd.DataFrame) -> Table:
    """Cumulative incidence of each outcome at a few milestone days, per policy."""
    if rp.missing_columns(frame, TIME_TO_OUTCOME_COLUMNS):
        return rp.as_written(frame, folder.labels, output.TIME_TO_OUTCOME_FILE)
    if "clock" in frame.columns:
        # the outcomes since entering the pool, and first contact; the curves since first
        # contact and the share with no outcome yet are in the CSV and the figure
        clocks, outcomes = frame["clock"].astype(str), frame["outcome"].astype(str)
        keep = ((clocks == "since_entry") & (outcomes != "no_outcome_yet")) | (
            (clocks == "first_contact") & (outcomes == "first_contact")
        )
        frame = frame[keep]
    frame = rp.numeric(frame, ["day", "cumulative_incidence", "ci_low", "ci_high"]).dropna(subset=["day"])
    if frame.empty:
        return Table(["Outcome"], [], caption="time_to_outcome.csv has no rows.")
    last = float(frame["day"].max())
    wanted = [float(d) for d in MILESTONE_DAYS if d < last] + [last]
    values = frame[["cumulative_incidence", "ci_low", "ci_high"]].to_numpy(dtype=float)
    known = values[pd.notna(values)]
    proportion = bool(known.size) and float(known.min()) >= 0.0 and float(known.max()) <= 1.0
    order = {s.name: i for i, s in enumerate(folder.scenarios)}
    rows = []
    for (outcome, scenario), group in sorted(
        frame.groupby(["outcome", "scenario"], sort=False),
        key=lambda kv: (str(kv[0][0]), order.get(str(kv[0][1]), len(order))),
    ):
        group = group.sort_values("day")
        row = [text(rp.outcome_label(str(outcome))), text(folder.labels.get(str(scenario), scenario))]
        for day in wanted:
            before = group[group["day"] <= day]
            if before.empty:
                row.append(Cell(NO_VALUE, numeric=True))
                continue
            r = before.iloc[-1]
            if proportion:
                shown = f"{fmt_number(r['cumulative_incidence'] * 100, 1)}%"
                row.append(Cell(shown, rp.interval(r["ci_low"] * 100, r["ci_high"] * 100, 1), numeric=True))
            else:
                dec = count_decimals(abs(float(r["cumulative_incidence"])))
                row.append(rp.estimate(r["cumulative_incidence"], r["ci_low"], r["ci_high"], dec, mark=False))
        rows.append(row)
    unit = "share of the cohort (%)" if proportion else "as written in the file"
    return Table(
        ["Outcome", "Policy", *(f"Day {fmt_number(d, 0)}" for d in wanted)],
        rows,
        [False, False, *(True for _ in wanted)],
        f"Cumulative incidence of each outcome by day since entering the pool ({unit}) with its "
        f"interval, at {', '.join(fmt_number(d, 0) for d in wanted)} days (time_to_outcome.csv; the "
        "last is the horizon; competing outcomes, people censored at the horizon).",
    )
