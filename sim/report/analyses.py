"""Readable summaries of the design analyses: sensitivity, uncertainty, sweeps and targets.

``sensitivity``, ``uncertainty``, ``sweep`` and ``targets`` each write their own folder, with tables
far longer than a briefing can hold (sensitivity.csv has a row per parameter, KPI and scenario).
The report shows what a reader acts on: the top parameters of each KPI with their interval and
whether they are within simulation noise; each policy's difference across draws of the
assumptions with P(better) and P(best); each KPI against a swept parameter; published figures
against the model. Values are in the KPI's display unit (``sim.analysis.kpis``).

A table read from a ``report --with`` folder must have the columns its writer promises
(``strict``): a folder that claims to be an analysis but holds something else is refused with
a message rather than shown half-understood. The same tables found in a comparison folder itself
(the older way of adding them) are shown "as written" when their columns are unknown.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from sim.analysis.figures import (
    CEAC_PLOT,
    DIFFERENCES_PLOT,
    MORRIS_PREFIX,
    PAIRS_PLOT,
    RANGES_PLOT,
    SWEEP_PREFIX,
    TARGETS_PLOT,
    TORNADO_PREFIX,
    WAVES_PLOT,
)
from sim.analysis.kpis import DERIVED_KPIS, KPIS, MONEY_UNIT, TABLE_KPIS, Kpi
from sim.analysis.numbers import count_decimals, fmt_number, significant, value_text
from sim.experiment import output
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
from sim.report.folder import AnalysisFolder, ReportError, listed_files, number, png_data_uri
from sim.report.wording import outcome_label, overrides_text
from sim.studies.calibration import analysis as hm
from sim.studies.registry import BY_KIND
from sim.studies.sensitivity import analysis as sa
from sim.studies.sensitivity.run import SENSITIVITY_FILE
from sim.studies.sweep.analysis import SWEEP_COLUMNS_1D, SWEEP_COLUMNS_2D
from sim.studies.targets.analysis import TARGET_COLUMNS
from sim.studies.uncertainty.analysis import (
    CEAC_COLUMNS,
    DISCOVERY_COLUMNS,
    SUMMARY_COLUMNS,
    UNCERTAINTY_COLUMNS,
    summarise,
)

TOP = 5
"""Parameters (or groups) shown per scenario and KPI: the ones a reader can act on."""
CEAC_SHOWN = (0.0, 11_000.0, 20_000.0, 30_000.0)
"""Values of one outcome (GBP) at which acceptability is tabulated: nothing, the NAO's cost of an
enforced removal (compare's default value per outcome), and two higher values."""
SWEEP_MAX_KPIS = 8
"""A sweep of more KPIs than this shows the headline and plotted ones (sweep.csv has them all)."""
MAX_ANALYSIS_IMAGE_BYTES = 4 * 1024 * 1024
"""PNG bytes embedded per analysis folder: a full sensitivity run draws a tornado per scenario and
KPI, and the report must stay emailable; the rest are named in a note."""

FIGURE_CAPTIONS: tuple[tuple[str, str], ...] = (
    (
        MORRIS_PREFIX,
        "Morris screening, a panel per KPI: mu* (the mean absolute change in the KPI for a step of "
        "a parameter) against sigma (the spread of those changes: interactions or non-linearity).",
    ),
    (
        TORNADO_PREFIX,
        "The parameters ranked by mu* (Morris) or ST (Sobol), largest on top, with their intervals.",
    ),
    (
        DIFFERENCES_PLOT,
        "Each policy's paired difference from the reference across the draws of the assumptions.",
    ),
    (
        CEAC_PLOT,
        "Acceptability: the share of draws in which a policy's extra outcomes, valued at the "
        "amount on the x axis, exceed its extra cost.",
    ),
    (SWEEP_PREFIX, "The KPI's mean at each value of the swept parameter, with its 95% band."),
    (TARGETS_PLOT, "Published value, the model's mean with its 95% interval, and the tolerance band."),
    (WAVES_PLOT, "The share of the searched space not ruled out after each wave."),
    (RANGES_PLOT, "Each parameter's searched range and the part of it not ruled out."),
    (PAIRS_PLOT, "The parameter sets kept, two parameters at a time."),
)


# ----------------------------------------------------------------------------------------------
# Small helpers
# ----------------------------------------------------------------------------------------------


def definition(name: str) -> Kpi | None:
    """The KPI's definition (a summary column or a derived KPI), None for a name it does not know."""
    return KPIS.get(name) or DERIVED_KPIS.get(name)


def kpi_text(name: str) -> str:
    """A KPI's label with its display unit, or the raw name for a KPI this version does not know."""
    d = definition(name)
    return d.label if d is not None else name


def missing_columns(frame: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    return [c for c in columns if c not in frame.columns]


def require(frame: pd.DataFrame, columns: Sequence[str], where: str) -> None:
    """ReportError naming the file and the columns it lacks (a table this report cannot read)."""
    missing = missing_columns(frame, columns)
    if missing:
        raise ReportError(
            f"{where}: missing column(s) {', '.join(missing)} (it has {', '.join(map(str, frame.columns))}); "
            "it was not written by this version's command, or was edited"
        )


def numeric(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``frame`` with ``columns`` as numbers (anything else becomes NaN, shown as "n/a")."""
    return frame.assign(**{c: pd.to_numeric(frame[c], errors="coerce") for c in columns})


def is_true(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes")


def _label(labels: Mapping[str, str], name: Any) -> str:
    return labels.get(str(name), str(name))


# ----------------------------------------------------------------------------------------------
# Sensitivity
# ----------------------------------------------------------------------------------------------


def sensitivity_method(frame: pd.DataFrame, manifest: Mapping[str, Any] | None = None) -> str | None:
    """Morris or Sobol, from the manifest or else the table's own ``method`` column; None if
    neither says (a table this report cannot rank)."""
    said = manifest.get("method") if manifest else None
    if said is None and "method" in frame.columns and frame["method"].nunique() == 1:
        said = frame["method"].iloc[0]
    return str(said) if said in sa.METHODS else None


def sensitivity_columns(method: str) -> list[str]:
    """The columns the summary reads (``sim.studies.sensitivity.analysis``'s own names)."""
    second = "sigma" if method == sa.MORRIS else "S1"
    rank = sa.ranking_column(method)
    return ["kpi", "parameter", "scenario", "within_noise", rank, f"{rank}_ci", second]


def _kpi_rows(name: str, group: pd.DataFrame, method: str, rank: str, second: str) -> list[list[Cell]]:
    """One KPI's rows of a sensitivity table: its ``TOP`` parameters by the ranking index."""
    d = definition(name)
    scale = d.scale if d is not None and method == sa.MORRIS else 1.0
    ranked = group.sort_values(rank, ascending=False, kind="stable", na_position="last").head(TOP)
    # an index of exactly 0 says the parameter cannot reach the KPI (common random
    # numbers): listing five such rows tells the reader less than one line
    ranked = ranked[ranked[rank].isna() | (ranked[rank] != 0)]
    if ranked.empty:
        return [
            [
                Cell(kpi_text(name)),
                Cell("none: every parameter's index is exactly 0", css="zero"),
                *(Cell("0", numeric=True) for _ in range(2)),
                Cell("", css="zero"),
            ]
        ]
    rows = []
    for i, r in enumerate(ranked.to_dict("records")):
        noise = is_true(r["within_noise"])
        rows.append(
            [
                Cell(kpi_text(name) if i == 0 else ""),
                Cell(str(r["parameter"])),
                Cell(
                    significant(r[rank] / scale),
                    f"± {significant(r[f'{rank}_ci'] / scale)}",
                    numeric=True,
                    mark=not noise and bool(r[rank] > 0),
                ),
                Cell(significant(r[second] / scale), numeric=True),
                Cell("within noise" if noise else "no", css="zero" if noise else ""),
            ]
        )
    return rows


def _sensitivity_caption(method: str, what: str, noun: str) -> tuple[list[str], str]:
    """The headings of a sensitivity table and its caption: what the indices mean."""
    if method == sa.MORRIS:
        index = (
            "mu*, the mean absolute change in the KPI (in its display unit) for a step of a "
            "parameter across its range, ± the 95% bootstrap half-width; sigma, the spread of "
            "those changes (interactions, non-linearity)"
        )
        headings = ["KPI (display unit)", "Parameter", "mu*", "sigma", "Within noise"]
    else:
        index = (
            "ST, the share of the KPI's variance over the ranges due to the parameter with all "
            "its interactions, ± the 95% bootstrap half-width; S1, its share alone"
        )
        headings = ["KPI", "Parameter", "ST", "S1", "Within noise"]
    caption = (
        f"{what}. The top {TOP} {noun} of each KPI by {index}. An index of exactly 0 (a "
        f"{noun[:-1]} that cannot reach the KPI) is left out. Highlighted where the "
        "index is larger than simulation noise; 'within noise': no larger than the noise of "
        "the replications, so not distinguishable from no effect."
    )
    return headings, caption


def sensitivity_tables(
    frame: pd.DataFrame, method: str, labels: Mapping[str, str], reference: str
) -> list[Table]:
    """One table per scenario (the reference's KPIs, then each policy's difference): the ``TOP``
    parameters of each KPI by mu* (Morris, in the KPI's display unit) or ST (Sobol, a share of
    the variance), with the CI half-width and whether the index is within simulation noise."""
    rank = sa.ranking_column(method)
    second = "sigma" if method == sa.MORRIS else "S1"
    frame = numeric(frame, [rank, f"{rank}_ci", second])
    frame = frame.assign(scenario=frame["scenario"].astype(str), kpi=frame["kpi"].astype(str))
    scenarios = list(dict.fromkeys(frame["scenario"]))
    if reference in scenarios:  # the reference's own KPIs first
        scenarios.remove(reference)
        scenarios.insert(0, reference)
    tables = []
    for scenario in scenarios:
        part = frame[frame["scenario"] == scenario]
        rows: list[list[Cell]] = []
        groups = set()
        for name, group in part.groupby("kpi", sort=False):
            groups.add(len(rows))
            rows += _kpi_rows(str(name), group, method, rank, second)
        grouped = part["parameter"].astype(str).str.endswith(".*").any()
        what = (
            f"{_label(labels, scenario)} (the reference): its KPIs"
            if scenario == reference
            else f"{_label(labels, scenario)} minus {_label(labels, reference)}: "
            "the policy's paired difference"
        )
        headings, caption = _sensitivity_caption(method, what, "groups" if grouped else "parameters")
        tables.append(
            Table(headings, rows, [False, False, True, True, False], caption, groups=frozenset(groups))
        )
    return tables


def _sensitivity_line(manifest: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    design = manifest.get("design") if isinstance(manifest.get("design"), Mapping) else {}
    assert isinstance(design, Mapping)
    parameters = manifest.get("parameters")
    k = len(parameters) if isinstance(parameters, list) else None
    groups = design.get("groups")
    method = manifest.get("method")
    if method == sa.MORRIS:
        how = (
            f"Morris screening: {design.get('trajectories', '?')} trajectories over "
            f"{design.get('levels', '?')} levels of each range"
        )
    else:
        how = f"Sobol indices: Saltelli's design with N = {design.get('samples', '?')}"
    policies = manifest.get("policies") if isinstance(manifest.get("policies"), list) else []
    assert isinstance(policies, list)
    reference = manifest.get("reference", "?")
    varied = f"{k} ranged parameter{'s' if k != 1 else ''}" if k is not None else "its ranged parameters"
    varied += f" of {_label(labels, reference)}"
    if isinstance(groups, Mapping) and groups:
        varied += f", moved as {len(groups)} group{'s' if len(groups) != 1 else ''} (one per section)"
    line = (
        f"{how}; {varied}"
        + (f"; also the differences of {', '.join(_label(labels, p) for p in policies)}" if policies else "")
        + f"; {design.get('points', '?')} design points x {1 + len(policies)} scenario(s) x "
        f"{manifest.get('replications', '?')} replications = {manifest.get('simulations', '?')} "
        f"simulations; seed {manifest.get('root_seed', '?')}."
    )
    if design.get("shortlist"):
        line += f" Parameters: the top {design.get('top')} of {design.get('shortlist')}."
    return line


# ----------------------------------------------------------------------------------------------
# Uncertainty
# ----------------------------------------------------------------------------------------------


def finite(value: Any) -> float | None:
    """A finite number from a table cell (numpy integers and floats included), else None."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _probability(value: Any) -> Cell:
    x = finite(value) if not isinstance(value, str) else None
    return Cell(fmt_number(x, 2) if x is not None else "n/a", numeric=True)


def uncertainty_table(frame: pd.DataFrame, labels: Mapping[str, str]) -> Table:
    """Each policy's paired difference across draws of the assumptions: median (p05 to p95) in
    the KPI's display unit, P(better) and P(best) (``psa.SUMMARY_COLUMNS``)."""
    frame = numeric(frame, SUMMARY_COLUMNS[2:])
    rows: list[list[Cell]] = []
    groups = set()
    last = None
    for r in frame.to_dict("records"):
        d = definition(str(r["kpi"]))
        scale = d.scale if d is not None else 1.0
        if d is not None and d.decimals is not None:
            dec = d.decimals
        else:
            dec = count_decimals(
                max((abs(r[c] / scale) for c in ("p05", "p50", "p95") if pd.notna(r[c])), default=0)
            )
        first = r["scenario"] != last
        if first:
            groups.add(len(rows))
            last = r["scenario"]
        rows.append(
            [
                text(_label(labels, r["scenario"]) if first else ""),
                text(kpi_text(str(r["kpi"]))),
                Cell(
                    fmt_number(r["p50"] / scale, dec, sign=True),
                    f"({fmt_number(r['p05'] / scale, dec, sign=True)} to "
                    f"{fmt_number(r['p95'] / scale, dec, sign=True)})",
                    numeric=True,
                    mark=excludes_zero(r["p05"], r["p95"]),
                ),
                _probability(r["prob_better"]),
                _probability(r["prob_best"]),
            ]
        )
    return Table(
        ["Policy", "KPI (display unit)", "Median (p05 to p95)", "P(better)", "P(best)"],
        rows,
        [False, False, True, True, True],
        "Each policy (named on its first row) minus the reference, across the draws of the assumptions "
        "(uncertainty_summary.csv): "
        "the median of the paired differences and their 5th to 95th percentiles (highlighted where that "
        "range excludes 0); P(better), the share of draws in which the policy does better than the "
        "reference (a tie counts half); P(best), the share in which it is the best of those compared. "
        "n/a: the KPI has no stated direction.",
        groups=frozenset(groups),
    )


def ceac_table(frame: pd.DataFrame, labels: Mapping[str, str]) -> Table:
    """P(cost-effective) of each policy at a few values of one outcome (``psa.CEAC_COLUMNS``)."""
    frame = numeric(frame, ["value_per_outcome", "prob_cost_effective"]).dropna(subset=["value_per_outcome"])
    values = sorted(set(frame["value_per_outcome"]))
    shown = [v for v in CEAC_SHOWN if v in values] or sorted(
        {values[0], values[len(values) // 2], values[-1]}
    )
    rows = []
    for (scenario, outcome), group in frame.groupby(["scenario", "outcome"], sort=False):
        at = dict(zip(group["value_per_outcome"], group["prob_cost_effective"], strict=True))
        rows.append(
            [
                text(_label(labels, scenario)),
                text(outcome_label(str(outcome))),
                *(_probability(at.get(v)) if v in at else Cell(NO_VALUE, numeric=True) for v in shown),
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
    """Scenario discovery's boxes (``psa.DISCOVERY_COLUMNS``), one row per box, its bounds as text."""
    frame = numeric(frame, ["share_worse", "draws", "low", "high"])
    rows = []
    for (scenario, name, _), box in frame.groupby(["scenario", "kpi", "rule"], sort=False):
        first = box.iloc[0]
        bounds = "; ".join(
            f"{p} from {value_text(lo)} to {value_text(hi)}"
            for p, lo, hi in zip(box["parameter"], box["low"], box["high"], strict=True)
        )
        draws = finite(first["draws"])
        rows.append(
            [
                text(_label(labels, scenario)),
                text(kpi_text(str(name))),
                text(bounds),
                Cell(f"{fmt_number(first['share_worse'] * 100, 0)}%", numeric=True),
                Cell(fmt_number(draws, 0) if draws is not None else "n/a", numeric=True),
            ]
        )
    return Table(
        ["Policy", "KPI", "Where it tends to do worse", "Share worse", "Draws in box"],
        rows,
        [False, False, False, True, True],
        "Scenario discovery (discovery.csv): boxes of the ranges in which the policy did worse than "
        "the reference in most draws, from a shallow decision tree. A place to look, not a finding: "
        "with few draws and many parameters a box can be chance.",
    )


# ----------------------------------------------------------------------------------------------
# Sweeps
# ----------------------------------------------------------------------------------------------


def sweep_table(frame: pd.DataFrame, manifest: Mapping[str, Any]) -> Table:
    """Each grid point of sweep.csv a row, each KPI a column: the mean with its 95% interval,
    highlighted where the paired difference from the first point excludes 0."""
    two = "param2" in frame.columns
    require(frame, SWEEP_COLUMNS_2D if two else SWEEP_COLUMNS_1D, output.SWEEP_FILE)
    frame = numeric(frame, ["mean", "ci_low", "ci_high", "diff_ci_low", "diff_ci_high"])
    frame = frame.assign(kpi=frame["kpi"].astype(str))
    present = list(dict.fromkeys(frame["kpi"]))
    if len(present) > SWEEP_MAX_KPIS:
        plotted = manifest.get("plotted_kpis") if isinstance(manifest.get("plotted_kpis"), list) else []
        assert isinstance(plotted, list)
        present = [k for k in present if k in TABLE_KPIS or k in plotted]
    keys = ["value", "value2"] if two else ["value"]
    points = list(dict.fromkeys(tuple(r) for r in frame[keys].astype(str).itertuples(index=False)))
    cells = {(tuple(str(r[k]) for k in keys), str(r["kpi"])): r for r in frame.to_dict("records")}
    rows = []
    for point in points:
        row = [Cell(v, numeric=True) for v in point]
        for name in present:
            r = cells.get((point, name))
            if r is None:
                row.append(Cell(NO_VALUE, numeric=True))
                continue
            d = definition(name)
            scale = d.scale if d is not None else 1.0
            dec = (
                d.decimals
                if d is not None and d.decimals is not None
                else count_decimals(abs(r["mean"] / scale))
            )
            has_diff = "diff_ci_low" in r and pd.notna(r.get("diff_ci_low"))
            row.append(
                Cell(
                    fmt_number(r["mean"] / scale, dec),
                    interval(r["ci_low"], r["ci_high"], dec, scale),
                    numeric=True,
                    mark=has_diff and excludes_zero(r["diff_ci_low"], r["diff_ci_high"]),
                )
            )
        rows.append(row)
    first = frame.iloc[0]
    heads = [str(first["param"])] + ([str(first["param2"])] if two else [])
    return Table(
        [*heads, *(kpi_text(k) for k in present)],
        rows,
        [True for _ in heads] + [True for _ in present],
        "Mean per cohort at each grid point with its 95% t interval (sweep.csv; money in "
        f"{MONEY_UNIT}); highlighted where the 95% interval of the paired difference from the first "
        "grid point excludes 0. Every KPI with its interval is in sweep.csv.",
    )


def _sweep_line(manifest: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    params = manifest.get("params") if isinstance(manifest.get("params"), list) else []
    assert isinstance(params, list)
    parts = []
    for p in params:
        if isinstance(p, Mapping):
            values = ", ".join(value_text(float(v)) for v in p.get("values", []) if number(v) is not None)
            parts.append(f"{p.get('path', '?')} at {values} ({p.get('unit', 'unit not recorded')})")
    scenario = manifest.get("label") or _label(labels, manifest.get("scenario", "?"))
    return (
        f"{scenario}: {' x '.join(parts) or 'parameters not recorded'}; "
        f"{manifest.get('replications', '?')} replications per grid point, paired by replication "
        f"(common random numbers); seed {manifest.get('root_seed', '?')}."
    )


# ----------------------------------------------------------------------------------------------
# Targets
# ----------------------------------------------------------------------------------------------


def _target_decimals(row: Mapping[Any, Any]) -> int:
    """Decimals for one target's numbers: four for shares and rates (below 1), none for whole
    counts, else by magnitude."""
    values = [abs(float(row[c])) for c in ("published", "model_mean") if pd.notna(row[c])]
    size = max(values, default=math.inf)
    if size < 1:
        return 4
    whole = all(float(row[c]).is_integer() for c in ("published", "tolerance") if pd.notna(row[c]))
    return 0 if whole else count_decimals(size)


def targets_table(frame: pd.DataFrame, labels: Mapping[str, str]) -> tuple[Table, str]:
    """The calibration/validation targets: published value against the model's, and whether the
    model lies within the tolerance; and a one-line count. A table with other columns is shown as
    written."""
    if missing_columns(frame, TARGET_COLUMNS):
        return frame_table(
            frame, labels, "targets.csv as written (its columns are not the ones this report knows)."
        ), ""
    frame = numeric(frame, ["published", "model_mean", "model_ci_low", "model_ci_high", "tolerance"])
    rows = []
    within_count = 0
    for r in frame.to_dict("records"):
        dec = _target_decimals(r)
        within = is_true(r["within"])
        within_count += within
        rows.append(
            [
                text(r["target"]),
                text(r["source"]),
                Cell(fmt_number(r["published"], dec), numeric=True),
                Cell(
                    fmt_number(r["model_mean"], dec),
                    interval(r["model_ci_low"], r["model_ci_high"], dec),
                    numeric=True,
                ),
                Cell(fmt_number(r["tolerance"], dec), numeric=True),
                Cell("yes" if within else "no", css="yes" if within else "no"),
            ]
        )
    summary = f"{within_count} of {len(rows)} target{'s' if len(rows) != 1 else ''} within tolerance."
    table = Table(
        ["Target", "Source", "Published", "Model (mean, CI)", "Tolerance", "Within"],
        rows,
        [False, False, True, True, True, False],
        "Published figures against the model's mean with its interval (targets.csv); "
        "'within' as the file records it.",
    )
    return table, summary


# ----------------------------------------------------------------------------------------------
# Calibration (history matching)
# ----------------------------------------------------------------------------------------------


def _range_text(low: Any, high: Any) -> str:
    """``low to high`` as parameter values ("n/a" for an undefined end)."""
    return f"{value_text(low)} to {value_text(high)}"


def _share_text(x: float | None) -> str:
    """A share of the parameter space or of the sets kept, as a percentage to three figures."""
    return "n/a" if x is None else f"{significant(100 * x)}%"


def calibration_waves_table(frame: pd.DataFrame) -> Table:
    """A row per wave of calibration_waves.csv (which has a row per wave and measure): points,
    simulations, candidates, how many were not ruled out and what share of the space that is, and
    the worst leave-one-out check of that wave's emulators."""
    counts = ["wave", "points", "simulations", "candidates", "nroy_candidates"]
    frame = numeric(frame, [*counts, "nroy_share", "loo_within_3sd"])
    rows = []
    for _, part in frame.groupby("wave", sort=True, dropna=True):
        first = part.iloc[0]
        checks = part.dropna(subset=["loo_within_3sd"])
        if checks.empty:
            check = Cell("n/a")
        else:
            worst = checks.loc[checks["loo_within_3sd"].idxmin()]
            check = Cell(f"{_share_text(finite(worst['loo_within_3sd']))} ({worst['measure']})")
        rows.append(
            [
                *(Cell(value_text(first[c]), numeric=True) for c in counts),
                Cell(_share_text(finite(first["nroy_share"])), numeric=True),
                check,
            ]
        )
    return Table(
        [
            "Wave",
            "Points",
            "Simulations",
            "Candidates",
            "Not ruled out",
            "Share of the space",
            "Emulator check",
        ],
        rows,
        [True, True, True, True, True, True, False],
        "Each wave: the emulators, fitted on every point simulated so far, evaluated at the candidates; "
        "'share of the space': the estimated share of the searched ranges not ruled out. Emulator check: "
        "the worst measure's share of points predicted within 3 sd when left out of the fit "
        "(calibration_waves.csv; nearly all is expected of a good emulator).",
    )


def calibration_ranges_table(
    kept: pd.DataFrame, parameters: Sequence[Mapping[str, Any]], where: str
) -> Table:
    """Each matched parameter: the range searched, and the range (and median) of the sets not ruled
    out (calibration.csv). ReportError if calibration.csv lacks a parameter the manifest lists."""
    paths = [str(p.get("path")) for p in parameters]
    require(kept, paths, where)
    kept = numeric(kept, paths)
    rows = []
    for par in parameters:
        path = str(par.get("path"))
        low, high = number(par.get("low")), number(par.get("high"))
        searched = _range_text(low, high) if low is not None and high is not None else "not recorded"
        col = kept[path].dropna()
        rows.append(
            [
                Cell(path + (" (scale)" if par.get("kind") == "scale" else "")),
                Cell(searched, numeric=True),
                Cell(_range_text(float(col.min()), float(col.max())) if len(col) else "none", numeric=True),
                Cell(value_text(float(col.median())) if len(col) else NO_VALUE, numeric=True),
            ]
        )
    return Table(
        ["Parameter", "Range searched", "Not ruled out", "Median of the sets kept"],
        rows,
        [False, True, True, True],
        f"The values consistent with the targets ({len(kept):,} parameter sets kept, calibration.csv; "
        "a scale multiplies the scenario's values). 'uncertainty --from-calibration' samples these sets.",
    )


def calibration_targets_table(frame: pd.DataFrame) -> Table:
    """Each target: published figure and tolerance, the emulated range of its measure over the sets
    kept, the share of them within tolerance, and the last wave's simulated range."""
    numbers = ["published", "tolerance", "share_within"]
    frame = numeric(frame, [*numbers, "emulator_min", "emulator_max", "simulated_min", "simulated_max"])
    rows = []
    for r in frame.to_dict("records"):
        sign = {"at_least": "≥ ", "at_most": "≤ "}.get(str(r["comparison"]), "")
        used = is_true(r["used"])
        rows.append(
            [
                text(r["target"]),
                Cell(str(r["role"]) + ("" if used else " (check)")),
                Cell(f"{sign}{value_text(r['published'])} ± {value_text(r['tolerance'])}", numeric=True),
                Cell(_range_text(r["emulator_min"], r["emulator_max"]), numeric=True),
                Cell(_share_text(finite(r["share_within"])), numeric=True),
                Cell(_range_text(r["simulated_min"], r["simulated_max"]), numeric=True),
            ]
        )
    return Table(
        ["Target", "Role", "Published", "Emulated over the sets kept", "Within", "Last wave simulated"],
        rows,
        [False, False, True, True, True, True],
        "Within: the share of the sets kept whose emulated mean lies within the tolerance; (check): a "
        "target not used in the fit, checked out of sample (calibration_targets.csv).",
    )


def _calibration_line(manifest: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    design = manifest.get("design") if isinstance(manifest.get("design"), Mapping) else {}
    assert isinstance(design, Mapping)
    targets = manifest.get("targets") if isinstance(manifest.get("targets"), list) else []
    assert isinstance(targets, list)
    used = [str(t.get("id")) for t in targets if isinstance(t, Mapping)]
    parameters = manifest.get("parameters") if isinstance(manifest.get("parameters"), list) else []
    assert isinstance(parameters, list)
    implausibility = manifest.get("implausibility")
    cutoff = implausibility.get("cutoff", "?") if isinstance(implausibility, Mapping) else "?"
    k, n = len(parameters), len(used)
    line = (
        f"History matching of {k} ranged parameter{'s' if k != 1 else ''} of "
        f"{_label(labels, manifest.get('scenario', '?'))} to {n} target{'s' if n != 1 else ''} "
        f"({', '.join(used) or 'none recorded'}) with Gaussian-process emulators: "
        f"{design.get('waves_run', '?')} wave(s) of {design.get('points_per_wave', '?')} points x "
        f"{manifest.get('replications', '?')} replication(s) "
        f"({manifest.get('simulations', '?')} simulations); "
        f"a point is ruled out when a target's implausibility exceeds {cutoff}; seed "
        f"{manifest.get('root_seed', '?')}."
    )
    status = manifest.get("status")
    closest = manifest.get("closest")
    if status == "empty" and isinstance(closest, Mapping):
        worst = number(closest.get("max_implausibility"))
        line += (
            " Every candidate was ruled out: no values within these ranges are consistent with the "
            f"targets; the closest has implausibility {significant(worst) if worst is not None else '?'}, "
            f"worst on {closest.get('target', '?')}."
        )
    elif status == "stable":
        line += " It stopped early: the share not ruled out no longer shrank."
    return line


# ----------------------------------------------------------------------------------------------
# Tables found in the results folder itself (the older way)
# ----------------------------------------------------------------------------------------------


def folder_sensitivity(frame: pd.DataFrame, labels: Mapping[str, str], reference: str) -> list[Table]:
    """sensitivity.csv in a comparison folder: the summary if its columns are known, else as written."""
    method = sensitivity_method(frame)
    if method is None or missing_columns(frame, sensitivity_columns(method)):
        return [
            frame_table(
                frame,
                labels,
                f"{SENSITIVITY_FILE} as written (its columns are not the ones this report knows).",
            )
        ]
    return sensitivity_tables(frame, method, labels, reference)


def folder_uncertainty(
    summary: pd.DataFrame | None, draws: pd.DataFrame | None, labels: Mapping[str, str]
) -> list[Table]:
    """uncertainty_summary.csv (or, without it, the per-draw differences of uncertainty.csv
    summarised the same way) as the summary table; a table with other columns as written."""
    if summary is not None and not missing_columns(summary, SUMMARY_COLUMNS):
        return [uncertainty_table(summary, labels)]
    if summary is None and draws is not None and not missing_columns(draws, UNCERTAINTY_COLUMNS):
        return [uncertainty_table(summarise(numeric(draws, ["diff"])), labels)]
    tables = []
    for name, frame in ((output.UNCERTAINTY_SUMMARY_FILE, summary), (output.UNCERTAINTY_FILE, draws)):
        if frame is not None:
            tables.append(
                frame_table(
                    frame, labels, f"{name} as written (its columns are not the ones this report knows)."
                )
            )
    return tables


# ----------------------------------------------------------------------------------------------
# A --with folder as one part of its section
# ----------------------------------------------------------------------------------------------


def _caption(name: str) -> str:
    for prefix, caption in FIGURE_CAPTIONS:
        if name.startswith(prefix):
            return caption
    return ""


FIXED_TITLES = {
    DIFFERENCES_PLOT: "Differences across draws of the assumptions",
    CEAC_PLOT: "Cost-effectiveness acceptability",
    TARGETS_PLOT: "Published figures against the model",
    WAVES_PLOT: "Calibration: what each wave ruled out",
    RANGES_PLOT: "Calibration: the ranges not ruled out",
    PAIRS_PLOT: "Calibration: the sets kept, in pairs",
}


def figure_title(name: str) -> str:
    """A reader's title for an analysis plot, from the names its writer gives them
    (``morris_<scenario>``, ``tornado_<scenario>_<kpi>``, ``sweep_<kpi>``)."""
    if name in FIXED_TITLES:
        return FIXED_TITLES[name]
    stem = name.rsplit(".", 1)[0]
    kind, _, rest = stem.partition("_")
    kind += "_"
    if kind == MORRIS_PREFIX:
        return f"Morris screening: {rest.replace('_', ' ')}"
    if kind == SWEEP_PREFIX and definition(rest) is not None:
        return f"{kpi_text(rest)} against the swept parameter"
    if kind == TORNADO_PREFIX:
        for k in sorted((*KPIS, *DERIVED_KPIS), key=len, reverse=True):
            if rest.endswith("_" + k):
                return f"Tornado: {kpi_text(k)}, {rest[: -len(k) - 1].replace('_', ' ')}"
    return stem.replace("_", " ").capitalize()


def analysis_figures(folder: AnalysisFolder) -> tuple[list[Figure], list[str]]:
    """The PNGs the folder's manifest lists, embedded in its order up to
    ``MAX_ANALYSIS_IMAGE_BYTES`` in all; and a note naming those left out for size."""
    figures: list[Figure] = []
    left_out: list[str] = []
    used = 0
    for name in listed_files(folder.manifest):
        uri = png_data_uri(folder.path, name)
        if uri is None:
            continue
        used += (folder.path / name).stat().st_size
        if left_out or used > MAX_ANALYSIS_IMAGE_BYTES:  # in the writer's order: overviews first
            left_out.append(name)
            continue
        figures.append(Figure(figure_title(name), _caption(name), uri, f"{folder.path.name}/{name}"))
    notes = (
        [
            f"Not embedded, to keep the report emailable ({len(left_out)} more figure"
            f"{'s' if len(left_out) != 1 else ''}): {', '.join(left_out)} in {folder.given}."
        ]
        if left_out
        else []
    )
    return figures, notes


def _strict_csv(
    folder: AnalysisFolder, name: str, columns: Sequence[str], needed: bool
) -> pd.DataFrame | None:
    frame = folder.csv(name)
    if frame is None:
        if needed:
            raise ReportError(
                f"--with {folder.given}: no readable {name} (a regular file inside the folder): "
                f"a {folder.kind} folder must have it"
            )
        return None
    require(frame, columns, f"--with {folder.given}: {name}")
    return frame


def _sensitivity_part(folder: AnalysisFolder, part: Part, labels: Mapping[str, str], reference: str) -> None:
    m = folder.manifest
    method = str(m.get("method"))
    if method not in sa.METHODS:
        raise ReportError(
            f"--with {folder.given}: manifest.json names method {method!r}; expected one of "
            f"{', '.join(sa.METHODS)}"
        )
    frame = _strict_csv(folder, SENSITIVITY_FILE, sensitivity_columns(method), needed=True)
    assert frame is not None
    part.title = f"{'Morris screening' if method == sa.MORRIS else 'Sobol indices'} ({folder.given})"
    part.intro.append(_sensitivity_line(m, labels))
    part.tables += sensitivity_tables(frame, method, labels, str(m.get("reference", reference)))


def _uncertainty_part(folder: AnalysisFolder, part: Part, labels: Mapping[str, str], reference: str) -> None:
    m = folder.manifest
    overrides = overrides_text(m.get("overrides"))
    summary = _strict_csv(folder, output.UNCERTAINTY_SUMMARY_FILE, SUMMARY_COLUMNS, needed=True)
    assert summary is not None
    part.title = f"Differences across draws of the assumptions ({folder.given})"
    parameters = m.get("parameters")
    k = len(parameters) if isinstance(parameters, list) else "?"
    part.intro.append(
        f"{m.get('samples', '?')} Latin-hypercube draws of {k} ranged parameters of "
        f"{_label(labels, m.get('reference', '?'))}, drawn together; the reference and every "
        f"policy run under every draw, {m.get('replications', '?')} replication(s) each, with "
        f"common random numbers; seed {m.get('root_seed', '?')}; cohort "
        + (f"as overridden ({overrides})." if overrides else "as in the scenario files.")
    )
    part.tables.append(uncertainty_table(summary, labels))
    ceac = _strict_csv(folder, output.CEAC_FILE, CEAC_COLUMNS, needed=False)
    if ceac is not None and not ceac.empty:
        part.tables.append(ceac_table(ceac, labels))
    found = _strict_csv(folder, output.DISCOVERY_FILE, DISCOVERY_COLUMNS, needed=False)
    if found is None:
        return
    if found.empty:
        part.notes.insert(
            0,
            "Scenario discovery found no box of the ranges where a policy tends to do worse "
            "(discovery.csv is empty: a policy always or never worse, or too few draws).",
        )
    else:
        part.tables.append(discovery_table(found, labels))


def _sweep_part(folder: AnalysisFolder, part: Part, labels: Mapping[str, str], reference: str) -> None:
    frame = folder.csv(output.SWEEP_FILE)
    if frame is None:
        raise ReportError(
            f"--with {folder.given}: no readable {output.SWEEP_FILE}: a sweep folder must have it"
        )
    part.title = f"Sweep ({folder.given})"
    part.intro.append(_sweep_line(folder.manifest, labels))
    try:
        part.tables.append(sweep_table(frame, folder.manifest))
    except ReportError as exc:
        raise ReportError(f"--with {folder.given}: {exc}") from None


def _calibration_part(folder: AnalysisFolder, part: Part, labels: Mapping[str, str], reference: str) -> None:
    m = folder.manifest
    parameters = m.get("parameters")
    if not isinstance(parameters, list) or not all(isinstance(p, Mapping) for p in parameters):
        raise ReportError(
            f"--with {folder.given}: {output.CALIBRATION_MANIFEST} does not list the parameters "
            "matched; it was not written by this version's calibrate, or was edited"
        )
    kept = _strict_csv(folder, output.CALIBRATION_FILE, hm.NROY_COLUMNS, needed=True)
    waves = _strict_csv(folder, output.CALIBRATION_WAVES_FILE, hm.WAVE_COLUMNS, needed=True)
    matched = _strict_csv(folder, output.CALIBRATION_TARGETS_FILE, hm.TARGET_COLUMNS, needed=True)
    assert kept is not None and waves is not None and matched is not None
    part.title = f"Calibration: history matching ({folder.given})"
    part.intro.append(_calibration_line(m, labels))
    part.tables.append(calibration_waves_table(waves))
    where = f"--with {folder.given}: {output.CALIBRATION_FILE}"
    part.tables.append(calibration_ranges_table(kept, parameters, where))
    part.tables.append(calibration_targets_table(matched))


def _targets_part(folder: AnalysisFolder, part: Part, labels: Mapping[str, str], reference: str) -> None:
    frame = _strict_csv(folder, output.TARGETS_FILE, TARGET_COLUMNS, needed=True)
    assert frame is not None
    part.title = f"Targets ({folder.given})"
    table, count = targets_table(frame, labels)
    part.intro.append(count)
    part.tables.append(table)


PARTS: dict[str, Callable[[AnalysisFolder, Part, Mapping[str, str], str], None]] = {
    "sensitivity": _sensitivity_part,
    "uncertainty": _uncertainty_part,
    "sweep": _sweep_part,
    "calibration": _calibration_part,
    "targets": _targets_part,
}
"""How the report reads each study's folder (``Study.kind``): its title, intro and tables."""


def analysis_part(folder: AnalysisFolder, labels: Mapping[str, str], reference: str) -> Part:
    """A ``--with`` folder's summary: the line saying what was run (from its manifest), the
    readable tables, and its figures. ReportError if its tables are not what its kind writes."""
    figures, notes = analysis_figures(folder)
    part = Part(f"{folder.given}", figures=figures, notes=notes)
    overrides = overrides_text(folder.manifest.get("overrides"))
    if overrides:
        part.notes.append(f"Run with command-line overrides: {overrides}.")
    PARTS[folder.kind](folder, part, labels, reference)
    return part


def reference_warning(folder: AnalysisFolder, reference: str, labels: Mapping[str, str]) -> str:
    """A warning when the analysis was run on another reference than the report's ("" if not):
    its manifest names the scenario it ran on, or a mapping of them (``Study.reference``)."""
    theirs = folder.manifest.get(BY_KIND[folder.kind].reference)
    if isinstance(theirs, Mapping):
        if reference in theirs:
            return ""
        return (
            f"--with {folder.given}: the targets were computed on {', '.join(map(str, theirs))}, "
            f"not on this report's reference {_label(labels, reference)} ({reference})."
        )
    if isinstance(theirs, str) and theirs != reference:
        return (
            f"--with {folder.given}: its reference scenario is {theirs}, not this report's reference "
            f"{_label(labels, reference)} ({reference}): its numbers are about another scenario."
        )
    return ""


__all__ = [
    "MAX_ANALYSIS_IMAGE_BYTES",
    "PARTS",
    "TOP",
    "analysis_figures",
    "analysis_part",
    "calibration_ranges_table",
    "calibration_targets_table",
    "calibration_waves_table",
    "ceac_table",
    "definition",
    "discovery_table",
    "folder_sensitivity",
    "folder_uncertainty",
    "kpi_text",
    "reference_warning",
    "sensitivity_method",
    "sensitivity_tables",
    "sweep_table",
    "targets_table",
    "uncertainty_table",
]
