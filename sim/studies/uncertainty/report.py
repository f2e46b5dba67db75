"""The uncertainty study in the briefing report: each policy's difference across draws of the
assumptions, with P(better) and P(best); acceptability at a few values of an outcome; and where
in the ranges a policy tends to do worse (scenario discovery). Values in the KPI's display unit.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from sim.analysis.figures import CEAC_PLOT, DIFFERENCES_PLOT
from sim.analysis.numbers import count_decimals, fmt_number, kpi_decimals, value_text
from sim.experiment import output
from sim.studies import report_parts as rp
from sim.studies.report_parts import NO_VALUE, AnalysisFolder, Cell, Part, Table, text
from sim.studies.uncertainty.analysis import (
    CEAC_COLUMNS,
    DISCOVERY_COLUMNS,
    SUMMARY_COLUMNS,
    UNCERTAINTY_COLUMNS,
    summarise,
)

CEAC_SHOWN = (0.0, 11_000.0, 20_000.0, 30_000.0)
"""Values of one outcome (GBP) at which acceptability is tabulated: nothing, the NAO's cost of an
enforced removal (compare's default value per outcome), and two higher values."""
DISCOVERY_CAPTION = (
    "Scenario discovery (discovery.csv): boxes of the ranges in which the policy did worse than "
    "the reference in most draws, from a shallow decision tree. A place to look, not a finding: "
    "with few draws and many parameters a box can be chance."
)
FILES = (output.UNCERTAINTY_SUMMARY_FILE, output.UNCERTAINTY_FILE)
"""What older versions wrote into a comparison folder: the summary, or the per-draw differences."""
ROBUST = 0.95
"""P(better) from which (or 1 - it, below which) a policy's ranking against the reference on a
KPI is called robust to the assumptions' uncertainty: the share of draws it holds in."""
ROBUST_SHOWN = 6
"""Robust rankings named in the findings; the rest are counted."""


def uncertainty_table(frame: pd.DataFrame, labels: Mapping[str, str]) -> Table:
    """Each policy's paired difference across draws of the assumptions: median (p05 to p95) in
    the KPI's display unit, P(better) and P(best) (``SUMMARY_COLUMNS``)."""
    frame = rp.numeric(frame, SUMMARY_COLUMNS[2:])
    starts = frame["scenario"].ne(frame["scenario"].shift()).tolist()  # a policy's first row
    rows: list[list[Cell]] = []
    for r, first in zip(frame.to_dict("records"), starts, strict=True):
        d = rp.definition(str(r["kpi"]))
        scale = d.scale if d is not None else 1.0
        magnitude = max((abs(r[c] / scale) for c in ("p05", "p50", "p95") if pd.notna(r[c])), default=0)
        dec = kpi_decimals(d, magnitude) if d is not None else count_decimals(magnitude)
        low, high = (fmt_number(r[c] / scale, dec, sign=True) for c in ("p05", "p95"))
        rows.append(
            [
                text(rp.label(labels, r["scenario"]) if first else ""),
                text(rp.kpi_text(str(r["kpi"]))),
                Cell(
                    fmt_number(r["p50"] / scale, dec, sign=True),
                    f"({low} to {high})",
                    numeric=True,
                    mark=rp.excludes_zero(r["p05"], r["p95"]),
                ),
                rp.probability(r["prob_better"]),
                rp.probability(r["prob_best"]),
            ]
        )
    return Table(
        ["Policy", "KPI (display unit)", "Median (p05 to p95)", "P(better)", "P(best)"],
        rows,
        [False, False, True, True, True],
        "Each policy (named on its first row) minus the reference, across the draws of the "
        "assumptions (uncertainty_summary.csv): the median of the paired differences and their 5th "
        "to 95th percentiles (highlighted where that range excludes 0); P(better), the share of draws "
        "in which the policy does better than the reference (a tie counts half); P(best), the share "
        "in which it is the best of those compared. n/a: the KPI has no stated direction.",
        groups=frozenset(i for i, first in enumerate(starts) if first),
    )


def ceac_table(frame: pd.DataFrame, labels: Mapping[str, str]) -> Table:
    """P(cost-effective) of each policy at a few values of one outcome (``CEAC_COLUMNS``)."""
    frame = rp.numeric(frame, ["value_per_outcome", "prob_cost_effective"]).dropna(
        subset=["value_per_outcome"]
    )
    values = sorted(set(frame["value_per_outcome"]))
    shown = [v for v in CEAC_SHOWN if v in values] or sorted(
        {values[0], values[len(values) // 2], values[-1]}
    )
    rows = []
    for (scenario, outcome), group in frame.groupby(["scenario", "outcome"], sort=False):
        at = dict(zip(group["value_per_outcome"], group["prob_cost_effective"], strict=True))
        rows.append(
            [
                text(rp.label(labels, scenario)),
                text(rp.outcome_label(str(outcome))),
                *(rp.probability(at.get(v)) if v in at else Cell(NO_VALUE, numeric=True) for v in shown),
            ]
        )
    return Table(
        ["Policy", "Outcome", *(f"£{fmt_number(v, 0)}" for v in shown)],
        rows,
        [False, False, *(True for _ in shown)],
        "Acceptability (ceac.csv): the share of draws in which the outcome, valued at the amount per "
        "person shown, is worth more than the policy's extra cost; the full curve is in the figure.",
    )


def discovery_table(frame: pd.DataFrame, labels: Mapping[str, str]) -> Table:
    """Scenario discovery's boxes (``DISCOVERY_COLUMNS``), one row per box, its bounds as text."""
    frame = rp.numeric(frame, ["share_worse", "draws", "low", "high"])
    rows = []
    for (scenario, name, _), box in frame.groupby(["scenario", "kpi", "rule"], sort=False):
        first = box.iloc[0]
        bounds = "; ".join(
            f"{p} from {value_text(lo)} to {value_text(hi)}"
            for p, lo, hi in zip(box["parameter"], box["low"], box["high"], strict=True)
        )
        draws = rp.finite(first["draws"])
        rows.append(
            [
                text(rp.label(labels, scenario)),
                text(rp.kpi_text(str(name))),
                text(bounds),
                Cell(f"{fmt_number(first['share_worse'] * 100, 0)}%", numeric=True),
                Cell(fmt_number(draws, 0) if draws is not None else "n/a", numeric=True),
            ]
        )
    heads = ["Policy", "KPI", "Where it tends to do worse", "Share worse", "Draws in box"]
    return Table(heads, rows, [False, False, False, True, True], DISCOVERY_CAPTION)


def part(folder: AnalysisFolder, labels: Mapping[str, str], reference: str) -> Part:
    m = folder.manifest
    overrides = rp.overrides_text(m.get("overrides"))
    summary = folder.needed(output.UNCERTAINTY_SUMMARY_FILE, SUMMARY_COLUMNS)
    parameters = m.get("parameters")
    intro = (
        f"{m.get('samples', '?')} Latin-hypercube draws of "
        f"{len(parameters) if isinstance(parameters, list) else '?'} ranged parameters of "
        f"{rp.label(labels, m.get('reference', '?'))}, drawn together; the reference and every "
        f"policy run under every draw, {m.get('replications', '?')} replication(s) each, with "
        f"common random numbers; seed {m.get('root_seed', '?')}; cohort "
        + (f"as overridden ({overrides})." if overrides else "as in the scenario files.")
    )
    done = Part(f"Differences across draws of the assumptions ({folder.given})", [intro])
    done.tables.append(uncertainty_table(summary, labels))
    ceac = folder.optional(output.CEAC_FILE, CEAC_COLUMNS)
    if ceac is not None and not ceac.empty:
        done.tables.append(ceac_table(ceac, labels))
    found = folder.optional(output.DISCOVERY_FILE, DISCOVERY_COLUMNS)
    if found is not None and found.empty:
        done.notes.append(
            "Scenario discovery found no box of the ranges where a policy tends to do worse "
            "(discovery.csv is empty: a policy always or never worse, or too few draws)."
        )
    elif found is not None:
        done.tables.append(discovery_table(found, labels))
    return done


def _in_results(
    frames: Mapping[str, pd.DataFrame], labels: Mapping[str, str], reference: str
) -> tuple[list[Table], list[str]]:
    """uncertainty_summary.csv (or, without it, the per-draw differences of uncertainty.csv
    summarised the same way) as the summary table; a table with other columns as written."""
    summary = _summary(frames)
    if summary is not None:
        return [uncertainty_table(summary, labels)], []
    return [rp.as_written(f, labels, name) for name, f in frames.items()], []


def _summary(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame | None:
    """uncertainty_summary.csv, or the per-draw differences of uncertainty.csv summarised the same
    way; None if neither has the columns this version writes."""
    summary, draws = (frames.get(name) for name in FILES)
    if summary is not None and not rp.missing_columns(summary, SUMMARY_COLUMNS):
        return summary
    if summary is None and draws is not None and not rp.missing_columns(draws, UNCERTAINTY_COLUMNS):
        return summarise(rp.numeric(draws, ["diff"]))
    return None


def findings(frames: Mapping[str, pd.DataFrame], labels: Mapping[str, str]) -> list[str]:
    """The rankings against the reference that hold in at least ``ROBUST`` of the draws (P(better)),
    strongest first, or that none does; nothing from a table this version does not know."""
    summary = _summary(frames)
    if summary is None:
        return []
    rows = rp.numeric(summary, ["prob_better"]).dropna(subset=["prob_better"])
    held = rows[(rows["prob_better"] >= ROBUST) | (rows["prob_better"] <= 1 - ROBUST)]
    held = held.assign(strength=(held["prob_better"] - 0.5).abs()).sort_values(
        "strength", ascending=False, kind="stable"
    )
    share = f"{ROBUST * 100:.10g}%"
    if held.empty:
        return [
            f"No policy's ranking against the reference holds in {share} of the draws of the assumptions."
        ]
    named = [
        f"“{rp.label(labels, r['scenario'])}” {'better' if r['prob_better'] >= ROBUST else 'worse'} on "
        f"{rp.kpi_text(str(r['kpi']))} (P(better) {fmt_number(r['prob_better'], 2)})"
        for r in held.head(ROBUST_SHOWN).to_dict("records")
    ]
    more = rp.more(len(held) - ROBUST_SHOWN, "more", "Parameter uncertainty")
    return [
        f"Robust to the uncertainty in the assumptions (the ranking against the reference holds in at "
        f"least {share} of the draws): {rp.joined(named)}{more}."
    ]


FIGURES = {
    DIFFERENCES_PLOT: (
        "Differences across draws of the assumptions",
        "Each policy's paired difference from the reference across the draws of the assumptions.",
    ),
    CEAC_PLOT: (
        "Cost-effectiveness acceptability",
        "Acceptability: the share of draws in which a policy's extra outcomes, valued at the "
        "amount on the x axis, exceed its extra cost.",
    ),
}
REPORT = rp.StudyReport(part, rp.named_plots(FIGURES), FILES, _in_results, findings)
