"""The targets study in the briefing report: published figures against the model, and how many
lie within their tolerance."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from sim.analysis.figures import TARGETS_PLOT
from sim.analysis.numbers import count_decimals, fmt_number
from sim.experiment.output import TARGETS_FILE
from sim.studies import report_parts as rp
from sim.studies.report_parts import AnalysisFolder, Cell, Part, Table, text
from sim.studies.targets.analysis import TARGET_COLUMNS


def _decimals(row: Mapping[Any, Any]) -> int:
    """Decimals for one target's numbers: four for shares and rates (below 1), none for whole
    counts, else by magnitude."""
    size = max(
        (abs(float(row[c])) for c in ("published", "model_mean") if pd.notna(row[c])), default=math.inf
    )
    if size < 1:
        return 4
    whole = all(float(row[c]).is_integer() for c in ("published", "tolerance") if pd.notna(row[c]))
    return 0 if whole else count_decimals(size)


def targets_table(frame: pd.DataFrame, labels: Mapping[str, str]) -> tuple[Table, str]:
    """The targets: published value against the model's, and whether the model lies within the
    tolerance; and a one-line count. A table with other columns is shown as written."""
    if rp.missing_columns(frame, TARGET_COLUMNS):
        return rp.as_written(frame, labels, TARGETS_FILE), ""
    frame = rp.numeric(frame, ["published", "model_mean", "model_ci_low", "model_ci_high", "tolerance"])
    rows = []
    for r in frame.to_dict("records"):
        dec, within = _decimals(r), rp.is_true(r["within"])
        rows.append(
            [
                text(r["target"]),
                text(r["source"]),
                Cell(fmt_number(r["published"], dec), numeric=True),
                rp.estimate(r["model_mean"], r["model_ci_low"], r["model_ci_high"], dec, mark=False),
                Cell(fmt_number(r["tolerance"], dec), numeric=True),
                rp.yes_no(within),
            ]
        )
    within_count = sum(map(rp.is_true, frame["within"]))
    table = Table(
        ["Target", "Source", "Published", "Model (mean, CI)", "Tolerance", "Within"],
        rows,
        [False, False, True, True, True, False],
        "Published figures against the model's mean with its interval (targets.csv); "
        "'within' as the file records it.",
    )
    return table, f"{within_count} of {rp.counted(len(rows), 'target')} within tolerance."


def part(folder: AnalysisFolder, labels: Mapping[str, str], reference: str) -> Part:
    table, count = targets_table(folder.needed(TARGETS_FILE, TARGET_COLUMNS), labels)
    return Part(f"Targets ({folder.given})", [count], [table])


def _in_results(
    frames: Mapping[str, pd.DataFrame], labels: Mapping[str, str], reference: str
) -> tuple[list[Table], list[str]]:
    table, count = targets_table(frames[TARGETS_FILE], labels)
    return [table], [count] if count else []


FIGURES = {
    TARGETS_PLOT: (
        "Published figures against the model",
        "Published value, the model's mean with its 95% interval, and the tolerance band.",
    )
}
REPORT = rp.StudyReport(part, rp.named_plots(FIGURES), (TARGETS_FILE,), _in_results)
