"""What the report says, built from a results folder: every section as plain data for the template.

The template lays out; this module decides what is true. Each section is built only from files
in the folder (manifests, CSVs, resolved scenarios, listed plots) and from the KPI definitions in
``sim.analysis.kpis``; where the folder does not record something, the text says "not recorded"
rather than guessing. Optional analyses (cost-effectiveness table, time to outcome, sensitivity,
uncertainty, calibration targets) are shown when their file is in the folder and marked "not
run" when it is not, so a reader knows the difference between "no effect" and "not looked at".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from sim.analysis.cost_effectiveness import CE_COLUMNS
from sim.analysis.figures import (
    COST_PLOT,
    CUMULATIVE_PLOT,
    FOREST_PLOT,
    OUTCOMES_PLOT,
    RUN_CUMULATIVE_PREFIX,
    RUN_OUTCOMES_PREFIX,
    STATE_FLOW_PREFIX,
)
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
from sim.report.analyses import (
    analysis_part,
    folder_sensitivity,
    folder_uncertainty,
    reference_warning,
    targets_table,
)
from sim.report.cells import (
    NO_VALUE,
    Cell,
    Figure,
    Part,
    Table,
    excludes_zero,
    frame_table,
    interval,
    text,
)
from sim.report.folder import (
    AnalysisFolder,
    ReportError,
    ResultsFolder,
    ScenarioFolder,
    listed_files,
    png_data_uri,
)
from sim.report.methods import StressSection, analyses_table, methods_table, runs_table, stress_checklist
from sim.report.policies import ParamChange, parameter_changes, raw_changes, schema_defaults
from sim.report.wording import (
    cohort_text,
    confidence_level,
    days_text,
    outcome_label,
    overrides_text,
    paragraphs,
    percent,
)
from sim.scenario.paths import value_at
from sim.studies.registry import STUDIES
from sim.studies.sensitivity.run import SENSITIVITY_FILE
from sim.studies.targets.analysis import TARGET_COLUMNS as _TARGET_COLUMNS

SIM_COLUMNS = ("diff_sim_ci_low", "diff_sim_ci_high")
"""Simultaneous-interval columns of comparison.csv, when the comparison computed them."""
# Files of the analyses other commands add to a comparison folder, and the columns they promise.
COST_EFFECTIVENESS_FILE = output.COST_EFFECTIVENESS_FILE
COST_EFFECTIVENESS_COLUMNS = tuple(c for c in CE_COLUMNS if c != "cpo_note")
"""The cost-effectiveness columns the report needs (the note is optional: older folders lack it)."""
TIME_TO_OUTCOME_FILE = output.TIME_TO_OUTCOME_FILE
TIME_TO_OUTCOME_COLUMNS = ("scenario", "outcome", "day", "cumulative_incidence", "ci_low", "ci_high")
UNCERTAINTY_FILES = (output.UNCERTAINTY_SUMMARY_FILE, output.UNCERTAINTY_FILE)
TARGETS_FILE = output.TARGETS_FILE
TARGET_COLUMNS = _TARGET_COLUMNS
"""The columns targets.csv starts with (``run_sim.py targets``; more may follow, e.g. role)."""
MILESTONE_DAYS = (90, 180, 365)
"""Days at which cumulative incidence is tabulated (with the last day of the horizon)."""


# ----------------------------------------------------------------------------------------------
# What the template receives
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """A scenario as the reader needs it: what it is, why, and exactly what it changes."""

    anchor: str
    name: str
    label: str
    is_reference: bool
    paragraphs: list[str]
    changes: list[ParamChange]
    note: str = ""


@dataclass
class Section:
    """A results section: present (tables and figures) or absent (``absent`` says why)."""

    anchor: str
    title: str
    intro: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    absent: str = ""
    parts: list[Part] = field(default_factory=list)
    """One per ``report --with`` folder of this section's analysis, after the section's own content."""


@dataclass(frozen=True)
class Report:
    """Everything the template shows, in reading order."""

    kind: str
    title: str
    subtitle: str
    written: str
    question: list[str]
    warnings: list[str]
    policies_title: str
    policies_intro: str
    policies: list[Policy]
    sections: list[Section]
    methods: Table
    runs: Table
    stress: list[StressSection]
    analyses: Table | None = None
    """What each ``--with`` analysis varied and how (None when none was given)."""

    @property
    def contents(self) -> list[tuple[str, str]]:
        """(anchor, title) of every section, for the contents list."""
        return [
            ("question", "The question"),
            ("policies", self.policies_title),
            *((s.anchor, s.title) for s in self.sections),
            ("methods", "Methods"),
            ("stress", "STRESS-DES checklist"),
        ]


# ----------------------------------------------------------------------------------------------
# Small helpers
# ----------------------------------------------------------------------------------------------


def _require(frame: pd.DataFrame, columns: Iterable[str], file: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ReportError(f"{file}: missing column(s) {', '.join(missing)}")


# ----------------------------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------------------------

FIGURE_TEXT: dict[str, tuple[str, str, str]] = {
    OUTCOMES_PLOT: (
        "headline",
        "Outcomes per policy",
        "Each dot is one replication; the diamond is the mean and the whisker its 95% t interval.",
    ),
    FOREST_PLOT: (
        "headline",
        "Paired differences from the reference",
        "Each policy minus the reference, replication by replication (common random numbers), with "
        "the 95% interval of the mean difference; a whisker clear of the zero line is a difference "
        "the replications can distinguish.",
    ),
    COST_PLOT: (
        "cost",
        "Cost against departures and removals",
        "Total cost against people who left the UK (voluntary departures, enforced removals, cases "
        "closed as already departed), one point per policy with 95% intervals both ways: "
        "right is more departures, up is more cost.",
    ),
    CUMULATIVE_PLOT: (
        "time",
        "Outcomes over time",
        "How each outcome builds up: mean over replications with a 95% band. Departures, removals and "
        "closures are cumulative; out of contact is the number out of contact at the time.",
    ),
}
"""Known comparison plots: section, title and caption (the plot functions' own descriptions)."""

RUN_FIGURE_PREFIXES: dict[str, tuple[str, str, str]] = {
    STATE_FLOW_PREFIX: (
        "time",
        "Where the cohort is over time",
        "Mean number of people in each state, stacked: the cohort drains from the pool and the live "
        "caseload (top) into settled outcomes (bottom).",
    ),
    RUN_OUTCOMES_PREFIX: (
        "headline",
        "Outcomes per cohort",
        "Each dot is one replication; the diamond is the mean and the whisker its 95% t interval.",
    ),
    RUN_CUMULATIVE_PREFIX: (
        "time",
        "Outcomes over time",
        "How each outcome builds up: mean over replications with a 95% band.",
    ),
}
"""Per-scenario plots (``plot_run``), whose names end with the scenario's label slug."""

SECTION_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("cost", ("cost",)),
    ("time", ("time_to", "cumulative", "incidence", "over_time")),
    ("sensitivity", ("sensitiv", "tornado")),
    ("uncertainty", ("uncertain",)),
    ("targets", ("target", "calibrat", "validat")),
)
"""Section of any other listed plot, by words in its file name (new analyses add new plots)."""


def _figure_info(name: str) -> tuple[str, str, str]:
    if name in FIGURE_TEXT:
        return FIGURE_TEXT[name]
    for prefix, info in RUN_FIGURE_PREFIXES.items():
        if name.startswith(prefix):
            return info
    stem = name.rsplit(".", 1)[0]
    title = stem.replace("_", " ").capitalize()
    for section, words in SECTION_WORDS:
        if any(w in stem.lower() for w in words):
            return section, title, ""
    return "other", title, ""


def _figures(
    folder: ScenarioFolder | ResultsFolder, only: Sequence[str] | None = None
) -> dict[str, list[Figure]]:
    """Every PNG the folder's manifest lists (optionally only names starting with ``only``),
    embedded, grouped by section."""
    path = folder.path
    out: dict[str, list[Figure]] = {}
    for name in listed_files(folder.manifest):
        if only is not None and not name.startswith(tuple(only)):
            continue
        uri = png_data_uri(path, name)
        if uri is None:
            continue
        section, title, caption = _figure_info(name)
        relative = name if isinstance(folder, ResultsFolder) else f"{folder.path.name}/{name}"
        out.setdefault(section, []).append(Figure(title, caption, uri, relative))
    return out


# ----------------------------------------------------------------------------------------------
# The question and the policies
# ----------------------------------------------------------------------------------------------


def _question(folder: ResultsFolder) -> list[str]:
    ref = folder.reference
    horizon = days_text(value_at(ref.raw, "horizon_days"))
    cohort = cohort_text(ref)
    if folder.kind == "run":
        return [
            f"What happens to {cohort} under “{ref.label}”, followed for {horizon}: how many are "
            "contacted, leave the UK voluntarily, are removed, lose contact, and at what cost?"
        ]
    n = len(folder.scenarios) - 1
    return [
        f"What would each of {n} polic{'y' if n == 1 else 'ies'} change, compared with the reference "
        f"“{ref.label}”, for {cohort}, followed for {horizon}: in contact made, voluntary departures "
        "and removals, loss of contact, and cost?",
        "Every policy is the same model with different parameter values, listed below with each "
        "value's unit and source. All scenarios were run with the same random numbers, so the "
        "differences shown are the policies' effects, measured on paired replications.",
    ]


def _policies(folder: ResultsFolder) -> list[Policy]:
    ref = folder.reference
    out = []
    for i, s in enumerate(folder.scenarios):
        is_reference = folder.kind == "comparison" and i == 0
        note = ""
        if folder.kind == "run":
            if s.scenario is not None:
                changes = parameter_changes(schema_defaults(s.name), s.scenario)
            else:
                changes, note = [], s.problem
        elif is_reference:
            changes = []
        elif s.scenario is not None and ref.scenario is not None:
            changes = parameter_changes(ref.scenario, s.scenario)
        else:
            changes = raw_changes(ref.raw, s.raw)
            note = f"Units and sources not shown: {(s.problem or ref.problem)}."
        out.append(
            Policy(
                anchor=f"policy-{i}",
                name=s.name,
                label=s.label,
                is_reference=is_reference,
                paragraphs=paragraphs(s.description),
                changes=changes,
                note=note,
            )
        )
    return out


# ----------------------------------------------------------------------------------------------
# Headline tables
# ----------------------------------------------------------------------------------------------


def _comparison_frame(folder: ResultsFolder) -> pd.DataFrame:
    frame = folder.csv(output.COMPARISON_FILE)
    assert frame is not None  # open_folder checked it exists
    _require(frame, COMPARE_COLUMNS, output.COMPARISON_FILE)
    for column in ("mean", "ci_low", "ci_high", "diff_vs_reference", "diff_ci_low", "diff_ci_high"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    for column in SIM_COLUMNS:
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    frame["scenario"] = frame["scenario"].astype(str)
    frame["kpi"] = frame["kpi"].astype(str)
    return frame


def _kpi_order(present: Iterable[str], preferred: Sequence[str]) -> list[Kpi]:
    """KPIs of ``preferred`` that are present, then any other known KPI present (in file order)."""
    seen = list(dict.fromkeys(present))
    names = [k for k in preferred if k in seen] + [k for k in seen if k not in preferred and k in KPIS]
    return [kpi(k) for k in names]


def _exactly_zero(record: Mapping[str, Any], low: str, high: str) -> bool:
    return all(float(record[c]) == 0.0 for c in ("diff_vs_reference", low, high))


def _difference_cell(d: Kpi, record: Mapping[str, Any], low: str, high: str, decimals: int) -> Cell:
    """A paired difference with its interval; "0, same in every replication" when the policy
    cannot reach the KPI (every paired difference exactly 0, which CRN makes common)."""
    if _exactly_zero(record, low, high):
        return Cell("0", "same in every replication", numeric=True, css="zero")
    lo, hi = float(record[low]), float(record[high])
    return Cell(
        fmt_number(d.display(record["diff_vs_reference"]), decimals, sign=True),
        interval(lo, hi, decimals, d.scale, sign=True),
        numeric=True,
        mark=excludes_zero(lo, hi),
    )


def _headline(folder: ResultsFolder, frame: pd.DataFrame, level: float) -> tuple[Table, Table]:
    """The headline table (policies x ``TABLE_KPIS``) and the table of every KPI compared."""
    simultaneous = all(c in frame.columns for c in SIM_COLUMNS)
    pct = percent(level)
    cells: dict[tuple[str, str], dict[str, Any]] = {
        (str(r["scenario"]), str(r["kpi"])): {str(k): v for k, v in r.items()}
        for r in frame.to_dict("records")
    }
    names = [s.name for s in folder.scenarios]
    ref = names[0]
    shown = [d for d in _kpi_order(frame["kpi"], TABLE_KPIS) if d.name in TABLE_KPIS]
    decimals = {
        d.name: kpi_decimals(d, d.display(float(cells[(ref, d.name)]["mean"])))
        for d in shown
        if (ref, d.name) in cells
    }
    lo_col, hi_col = SIM_COLUMNS if simultaneous else ("diff_ci_low", "diff_ci_high")

    rows = []
    for name in names:
        label = folder.labels[name] + (" (reference)" if name == ref else "")
        row = [Cell(label)]
        for d in shown:
            c = cells.get((name, d.name))
            dec = decimals.get(d.name, 0)
            if c is None:
                row.append(Cell(NO_VALUE, numeric=True))
            elif name == ref:
                row.append(
                    Cell(
                        fmt_number(d.display(c["mean"]), dec),
                        interval(c["ci_low"], c["ci_high"], dec, d.scale),
                        numeric=True,
                    )
                )
            else:
                row.append(_difference_cell(d, c, lo_col, hi_col, dec))
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
    headline = Table(
        ["Policy", *(d.heading for d in shown)],
        rows,
        [False, *(True for _ in shown)],
        caption,
    )

    return headline, _every_kpi_table(
        folder, cells, _kpi_order(frame["kpi"], DEFAULT_KPIS), level, simultaneous
    )


def _every_kpi_table(
    folder: ResultsFolder,
    cells: Mapping[tuple[str, str], Mapping[str, Any]],
    every: Sequence[Kpi],
    level: float,
    simultaneous: bool,
) -> Table:
    """Every KPI of comparison.csv, one group of rows per KPI: each scenario's mean with its
    interval, and each policy's paired difference with its interval (and the simultaneous one)."""
    pct = percent(level)
    names = [s.name for s in folder.scenarios]
    ref = names[0]
    columns = ["KPI", "Policy", "Mean", f"{pct} CI", "Difference", f"{pct} CI of difference"]
    if simultaneous:
        columns.append(f"Simultaneous {pct} CI")
    rows: list[list[Cell]] = []
    groups = set()
    for d in every:
        groups.add(len(rows))
        ref_cell = cells.get((ref, d.name))
        dec = kpi_decimals(d, d.display(float(ref_cell["mean"])) if ref_cell is not None else math.inf)
        for i, name in enumerate(names):
            c = cells.get((name, d.name))
            if c is None:
                continue
            row = [
                Cell(d.label if i == 0 else ""),
                Cell(folder.labels[name]),
                Cell(fmt_number(d.display(c["mean"]), dec), numeric=True),
                Cell(interval(c["ci_low"], c["ci_high"], dec, d.scale), numeric=True),
            ]
            if name == ref:
                row += [Cell("reference", numeric=True), *(Cell("") for _ in columns[5:])]
            elif _exactly_zero(c, "diff_ci_low", "diff_ci_high"):
                row += [
                    Cell("0", numeric=True),
                    *(Cell("same in every replication", numeric=True, css="zero") for _ in columns[5:]),
                ]
            else:
                low, high = float(c["diff_ci_low"]), float(c["diff_ci_high"])
                row += [
                    Cell(fmt_number(d.display(c["diff_vs_reference"]), dec, sign=True), numeric=True),
                    Cell(
                        interval(low, high, dec, d.scale, sign=True),
                        numeric=True,
                        mark=not simultaneous and excludes_zero(low, high),
                    ),
                ]
                if simultaneous:
                    low, high = float(c[SIM_COLUMNS[0]]), float(c[SIM_COLUMNS[1]])
                    row.append(
                        Cell(
                            interval(low, high, dec, d.scale, sign=True),
                            numeric=True,
                            mark=excludes_zero(low, high),
                        )
                    )
            rows.append(row)
    marked = "simultaneous interval" if simultaneous else "interval of the difference"
    return Table(
        columns,
        rows,
        [False, False, *(True for _ in columns[2:])],
        caption=f"Every KPI of comparison.csv in display units ({MONEY_UNIT} for money). Intervals are "
        f"{pct} t intervals over replications; differences are paired by replication. Highlighted "
        f"with * where the {marked} excludes 0.",
        groups=frozenset(groups),
    )


def _run_headline(folder: ResultsFolder) -> Table:
    """A single run's KPIs: mean and interval of each (summary_stats.csv)."""
    frame = folder.csv(output.STATS_FILE)
    if frame is None:
        raise ReportError(f"{folder.path}: no {output.STATS_FILE}")
    _require(frame, STATS_COLUMNS, output.STATS_FILE)
    rows = []
    for r in frame.to_dict("records"):
        name = str(r["kpi"])
        if name not in KPIS:
            continue
        d = kpi(name)
        mean, low, high = float(r["mean"]), float(r["ci_low"]), float(r["ci_high"])
        dec = kpi_decimals(d, d.display(mean))
        rows.append(
            [
                Cell(d.label),
                Cell(fmt_number(d.display(mean), dec), numeric=True),
                Cell(interval(low, high, dec, d.scale), numeric=True),
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


# ----------------------------------------------------------------------------------------------
# Optional analyses
# ----------------------------------------------------------------------------------------------


def _money_cell(value: float, low: float, high: float) -> Cell:
    return Cell(
        fmt_number(value / MONEY_SCALE, MONEY_DECIMALS, sign=True),
        interval(low, high, MONEY_DECIMALS, MONEY_SCALE, sign=True),
        numeric=True,
        mark=excludes_zero(low, high),
    )


def _cost_effectiveness(folder: ResultsFolder, frame: pd.DataFrame) -> Table:
    """One row per policy and outcome: extra cost, extra outcome, cost per extra outcome and net
    benefit, each with its interval, from cost_effectiveness.csv."""
    if not all(c in frame.columns for c in COST_EFFECTIVENESS_COLUMNS):
        return frame_table(
            frame,
            folder.labels,
            "cost_effectiveness.csv as written (its columns are not the ones this report knows).",
        )
    numeric = [c for c in COST_EFFECTIVENESS_COLUMNS if c not in ("scenario", "outcome", "method")]
    frame = frame.assign(**{c: pd.to_numeric(frame[c], errors="coerce") for c in numeric})
    rows = []
    for r in frame.to_dict("records"):
        outcome = str(r["outcome"])
        dec = count_decimals(abs(float(r["d_outcome"])) if pd.notna(r["d_outcome"]) else math.inf)
        rows.append(
            [
                text(folder.labels.get(str(r["scenario"]), r["scenario"])),
                text(outcome_label(outcome)),
                _money_cell(r["d_cost"], r["d_cost_ci_low"], r["d_cost_ci_high"]),
                Cell(
                    fmt_number(r["d_outcome"], dec, sign=True),
                    interval(r["d_outcome_ci_low"], r["d_outcome_ci_high"], dec, sign=True),
                    numeric=True,
                    mark=excludes_zero(r["d_outcome_ci_low"], r["d_outcome_ci_high"]),
                ),
                Cell(
                    fmt_number(r["cost_per_outcome"], 0),
                    interval(r["cpo_ci_low"], r["cpo_ci_high"], 0),
                    numeric=True,
                ),
                Cell(fmt_number(r["value_per_outcome"], 0), numeric=True),
                _money_cell(r["net_benefit"], r["nb_ci_low"], r["nb_ci_high"]),
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


def _time_to_outcome(folder: ResultsFolder, frame: pd.DataFrame) -> Table:
    """Cumulative incidence of each outcome at a few milestone days, per policy."""
    if not all(c in frame.columns for c in TIME_TO_OUTCOME_COLUMNS):
        return frame_table(
            frame,
            folder.labels,
            "time_to_outcome.csv as written (its columns are not the ones this report knows).",
        )
    if "clock" in frame.columns:
        # the outcomes since entering the pool, and first contact; the curves since first
        # contact and the share with no outcome yet are in the CSV and the figure
        clocks, outcomes = frame["clock"].astype(str), frame["outcome"].astype(str)
        keep = ((clocks == "since_entry") & (outcomes != "no_outcome_yet")) | (
            (clocks == "first_contact") & (outcomes == "first_contact")
        )
        frame = frame[keep]
    frame = frame.assign(
        **{
            c: pd.to_numeric(frame[c], errors="coerce")
            for c in ("day", "cumulative_incidence", "ci_low", "ci_high")
        }
    ).dropna(subset=["day"])
    if frame.empty:
        return Table(["Outcome"], [], caption="time_to_outcome.csv has no rows.")
    last = float(frame["day"].max())
    wanted = [float(d) for d in MILESTONE_DAYS if d < last] + [last]
    values = frame[["cumulative_incidence", "ci_low", "ci_high"]].to_numpy(dtype=float)
    finite = values[pd.notna(values)]
    proportion = bool(finite.size) and float(finite.min()) >= 0.0 and float(finite.max()) <= 1.0
    order = {s.name: i for i, s in enumerate(folder.scenarios)}
    rows = []
    for (outcome, scenario), group in sorted(
        frame.groupby(["outcome", "scenario"], sort=False),
        key=lambda kv: (str(kv[0][0]), order.get(str(kv[0][1]), len(order))),
    ):
        group = group.sort_values("day")
        row = [text(outcome_label(str(outcome))), text(folder.labels.get(str(scenario), scenario))]
        for day in wanted:
            before = group[group["day"] <= day]
            if before.empty:
                row.append(Cell(NO_VALUE, numeric=True))
                continue
            r = before.iloc[-1]
            if proportion:
                row.append(
                    Cell(
                        f"{fmt_number(r['cumulative_incidence'] * 100, 1)}%",
                        interval(r["ci_low"] * 100, r["ci_high"] * 100, 1),
                        numeric=True,
                    )
                )
            else:
                dec = count_decimals(abs(float(r["cumulative_incidence"])))
                row.append(
                    Cell(
                        fmt_number(r["cumulative_incidence"], dec),
                        interval(r["ci_low"], r["ci_high"], dec),
                        numeric=True,
                    )
                )
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


def _optional_sections(
    folder: ResultsFolder, figures: dict[str, list[Figure]], analyses: Sequence[AnalysisFolder] = ()
) -> list[Section]:
    """The optional analyses: from files in the results folder itself, and from each ``--with``
    folder (one part of its kind's section each)."""
    labels = folder.labels
    is_comparison = folder.kind == "comparison"

    cost = Section("cost", "Cost-effectiveness", figures=figures.get("cost", []))
    ce = folder.csv(COST_EFFECTIVENESS_FILE)
    if ce is not None:
        cost.tables.append(_cost_effectiveness(folder, ce))
    elif is_comparison:
        cost.intro.append(
            "Incremental cost-effectiveness (cost per extra outcome, net benefit): not run "
            f"(no {COST_EFFECTIVENESS_FILE} in this folder). The headline table gives each policy's "
            "extra cost; the figure puts cost against departures and removals."
        )
    if not cost.tables and not cost.figures:
        cost.absent = f"Not run: no {COST_EFFECTIVENESS_FILE} and no cost plot in this folder."

    time = Section("time", "Outcomes over time", figures=figures.get("time", []))
    tto = folder.csv(TIME_TO_OUTCOME_FILE)
    if tto is not None:
        time.tables.append(_time_to_outcome(folder, tto))
    elif time.figures:
        time.intro.append(f"Time-to-outcome table: not run (no {TIME_TO_OUTCOME_FILE} in this folder).")
    else:
        time.absent = f"Not run: no {TIME_TO_OUTCOME_FILE} and no plots over time in this folder."

    by_section: dict[str, list[Part]] = {}
    for study in STUDIES:  # in the registry's order within a section, then as given
        for a in (a for a in analyses if a.kind == study.kind):
            by_section.setdefault(study.section, []).append(analysis_part(a, labels, folder.reference.name))
    hint = "Add the folder a '{0}' run wrote with report --with DIR."

    sensitivity = Section("sensitivity", "Sensitivity analysis", figures=figures.get("sensitivity", []))
    frame = folder.csv(SENSITIVITY_FILE)
    if frame is not None:
        sensitivity.tables += folder_sensitivity(frame, labels, folder.reference.name)
    sensitivity.parts = by_section.get("sensitivity", [])
    if frame is None and not sensitivity.figures and not sensitivity.parts:
        sensitivity.absent = f"Not run: no {SENSITIVITY_FILE} in this folder. " + hint.format("sensitivity")

    uncertainty = Section("uncertainty", "Parameter uncertainty", figures=figures.get("uncertainty", []))
    summary, draws = (folder.csv(name) for name in UNCERTAINTY_FILES)
    uncertainty.tables += folder_uncertainty(summary, draws, labels)
    uncertainty.parts = by_section.get("uncertainty", [])
    if not uncertainty.tables and not uncertainty.figures and not uncertainty.parts:
        uncertainty.absent = f"Not run: no {' or '.join(UNCERTAINTY_FILES)} in this folder. " + hint.format(
            "uncertainty"
        )

    targets = Section("targets", "Calibration and validation targets", figures=figures.get("targets", []))
    frame = folder.csv(TARGETS_FILE)
    if frame is not None:
        table, count = targets_table(frame, labels)
        targets.tables.append(table)
        if count:
            targets.intro.append(count)
    targets.parts = by_section.get("targets", [])
    if frame is None and not targets.figures and not targets.parts:
        targets.absent = f"Not run: no {TARGETS_FILE} in this folder. " + hint.format("targets")

    sections = [cost, time, sensitivity, uncertainty, targets]
    if "sweep" in by_section:  # a sweep is never part of a comparison folder: shown only when given
        sections.append(Section("sweep", "Parameter sweeps", parts=by_section["sweep"]))
    # A comparison says "not run" for an analysis it lacks; a single run, to which most of them
    # do not apply, leaves them out.
    return sections if is_comparison else [s for s in sections if not s.absent]


# ----------------------------------------------------------------------------------------------
# The report
# ----------------------------------------------------------------------------------------------


def _warnings(folder: ResultsFolder) -> list[str]:
    m = folder.manifest
    out = []
    overrides = overrides_text(m.get("overrides"))
    if overrides:
        out.append(
            f"Quick look: {'every scenario was' if folder.kind == 'comparison' else 'this was'} run "
            f"with command-line overrides ({overrides}), so these "
            "are not results for the full calibrated cohort."
        )
    n = m.get("replications")
    if isinstance(n, int) and n < 2:
        out.append("One replication per scenario: no confidence intervals can be given.")
    if m.get("git_dirty") is True:
        out.append(
            "The code had uncommitted changes when this was run: the git commit alone does not reproduce it."
        )
    commits = {s.manifest.get("git_commit") for s in folder.scenarios} | {m.get("git_commit")}
    if len(commits) > 1:
        out.append(
            "The scenario folders record different git commits (replications resumed across code "
            "versions?): see the table of runs under Methods."
        )
    out += [f"{s.label}: {s.problem}." for s in folder.scenarios if s.problem]
    return out


def _analysis_warnings(folder: ResultsFolder, analyses: Sequence[AnalysisFolder]) -> list[str]:
    """Where a ``--with`` folder was run on another reference or another cohort than the results:
    worth a line at the top, not a refusal (a sensitivity run is often on a smaller cohort)."""
    out = []
    ours = overrides_text(folder.manifest.get("overrides")) or "none"
    for a in analyses:
        warning = reference_warning(a, folder.reference.name, folder.labels)
        if warning:
            out.append(warning)
        if "overrides" in a.manifest:
            theirs = overrides_text(a.manifest.get("overrides")) or "none"
            if theirs != ours:
                out.append(
                    f"--with {a.given}: run with command-line overrides {theirs}, the results "
                    f"folder with {ours}: its numbers are for another cohort or horizon."
                )
    return out


def build_report(
    folder: ResultsFolder, written: datetime | None = None, analyses: Sequence[AnalysisFolder] = ()
) -> Report:
    """Every section of the report of ``folder`` and of the ``analyses`` given with ``--with``
    (ReportError if its core tables, or an analysis's tables, are unusable)."""
    written = written or datetime.now(timezone.utc).astimezone()
    ref = folder.reference
    if folder.kind == "comparison":
        level = confidence_level(folder.manifest)
        frame = _comparison_frame(folder)
        headline, every = _headline(folder, frame, level)
        figures = _figures(folder)
        for section, items in _figures(ref, only=(STATE_FLOW_PREFIX,)).items():
            figures.setdefault(section, []).extend(items)
        kpis_compared = list(dict.fromkeys(frame["kpi"]))
        n = len(folder.scenarios) - 1
        title = f"{n} polic{'y' if n == 1 else 'ies'} compared with {ref.label}"
        subtitle = "Simulated contact management: a comparison under common random numbers"
        headline_section = Section(
            "headline", "Headline results", tables=[headline], figures=figures.get("headline", [])
        )
        tail = [Section("all-kpis", "Every KPI compared", tables=[every])]
        policies_title = "Policies compared"
        policies_intro = (
            "Each policy's description (from its scenario file) and exactly which parameters it "
            "changes from the reference: the resolved scenario.yaml of its folder compared with the "
            "reference's, with each parameter's unit and source."
        )
    else:
        level = 0.95
        figures = _figures(ref)
        kpis_compared = list(DEFAULT_KPIS)
        title = ref.label
        subtitle = "Simulated contact management: results of one scenario"
        headline_section = Section(
            "headline", "Results", tables=[_run_headline(folder)], figures=figures.get("headline", [])
        )
        tail = []
        policies_title = "The scenario"
        policies_intro = (
            "The scenario's description and the parameters it sets differently from the schema's "
            "documented or calibrated defaults, with each parameter's unit and source."
        )
    sections = [headline_section, *_optional_sections(folder, figures, analyses), *tail]
    other = figures.get("other", [])
    if other:
        sections.append(Section("other-figures", "Other figures", figures=other))
    return Report(
        kind=folder.kind,
        title=title,
        subtitle=subtitle,
        written=written.isoformat(timespec="seconds"),
        question=_question(folder),
        warnings=_warnings(folder) + _analysis_warnings(folder, analyses),
        policies_title=policies_title,
        policies_intro=policies_intro,
        policies=_policies(folder),
        sections=sections,
        methods=methods_table(folder, level),
        runs=runs_table(folder),
        analyses=analyses_table(analyses),
        stress=stress_checklist(folder, level, kpis_compared),
    )


__all__ = ["Figure", "Policy", "Report", "Section", "build_report"]
