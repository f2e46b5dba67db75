"""The sensitivity study in the briefing report: the ``TOP`` parameters of each KPI by mu* (Morris,
in the KPI's display unit) or ST (Sobol), whether within noise, a table per scenario."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from sim.analysis.figures import MORRIS_PREFIX, TORNADO_PREFIX
from sim.analysis.kpis import DERIVED_KPIS, KPIS
from sim.analysis.numbers import significant
from sim.studies import report_parts as rp
from sim.studies.base import listing, mapping
from sim.studies.report_parts import AnalysisFolder, Cell, Part, Table
from sim.studies.sensitivity.analysis import ranking_column
from sim.studies.sensitivity.request import METHODS, MORRIS
from sim.studies.sensitivity.run import SENSITIVITY_FILE

TOP = 5
"""Parameters (or groups) shown per scenario and KPI: the ones a reader can act on."""
MORRIS_CAPTION = (
    "Morris screening, a panel per KPI: mu* (the mean absolute change in the KPI for a step of "
    "a parameter) against sigma (the spread of those changes: interactions or non-linearity)."
)
TORNADO_CAPTION = "The parameters ranked by mu* (Morris) or ST (Sobol), largest on top, with their intervals."


def method_of(frame: pd.DataFrame) -> str | None:
    """Morris or Sobol, from the table's own ``method`` column; None if it does not say."""
    said = frame["method"].iloc[0] if "method" in frame.columns and frame["method"].nunique() == 1 else None
    return str(said) if said in METHODS else None


def columns(method: str) -> list[str]:
    """The columns the summary reads (``sim.studies.sensitivity.analysis``'s own names)."""
    rank = ranking_column(method)
    return ["kpi", "parameter", "scenario", "within_noise", rank, f"{rank}_ci", _second(method)]


def _second(method: str) -> str:
    return "sigma" if method == MORRIS else "S1"


def _kpi_rows(name: str, group: pd.DataFrame, method: str) -> list[list[Cell]]:
    """One KPI's rows of a sensitivity table: its ``TOP`` parameters by the ranking index."""
    rank, second = ranking_column(method), _second(method)
    d = rp.definition(name)
    scale = d.scale if d is not None and method == MORRIS else 1.0
    ranked = group.sort_values(rank, ascending=False, kind="stable", na_position="last").head(TOP)
    # an index of exactly 0 says the parameter cannot reach the KPI (common random
    # numbers): listing five such rows tells the reader less than one line
    ranked = ranked[ranked[rank].isna() | (ranked[rank] != 0)]
    if ranked.empty:
        zero, none = Cell("0", numeric=True), Cell("none: every parameter's index is exactly 0", css="zero")
        return [[Cell(rp.kpi_text(name)), none, zero, zero, Cell("", css="zero")]]
    rows = []
    for i, r in enumerate(ranked.to_dict("records")):
        noise = rp.is_true(r["within_noise"])
        index = significant(r[rank] / scale)
        rows.append(
            [
                Cell(rp.kpi_text(name) if i == 0 else ""),
                Cell(str(r["parameter"])),
                Cell(
                    index, f"± {significant(r[f'{rank}_ci'] / scale)}", True, not noise and bool(r[rank] > 0)
                ),
                Cell(significant(r[second] / scale), numeric=True),
                Cell("within noise" if noise else "no", css="zero" if noise else ""),
            ]
        )
    return rows


def _headings(method: str, what: str, noun: str) -> tuple[list[str], str]:
    """The headings of a sensitivity table and its caption: what the indices mean."""
    if method == MORRIS:
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
    """One table per scenario, the reference's own KPIs first, then each policy's difference."""
    rank = ranking_column(method)
    frame = rp.numeric(frame, [rank, f"{rank}_ci", _second(method)])
    frame = frame.assign(scenario=frame["scenario"].astype(str), kpi=frame["kpi"].astype(str))
    tables = []
    for scenario in sorted(dict.fromkeys(frame["scenario"]), key=lambda s: s != reference):  # reference first
        part = frame[frame["scenario"] == scenario]
        rows: list[list[Cell]] = []
        groups = set()
        for name, group in part.groupby("kpi", sort=False):
            groups.add(len(rows))
            rows += _kpi_rows(str(name), group, method)
        grouped = part["parameter"].astype(str).str.endswith(".*").any()
        shown = rp.label(labels, scenario)
        what = (
            f"{shown} (the reference): its KPIs"
            if scenario == reference
            else f"{shown} minus {rp.label(labels, reference)}: the policy's paired difference"
        )
        headings, caption = _headings(method, what, "groups" if grouped else "parameters")
        tables.append(
            Table(headings, rows, [False, False, True, True, False], caption, groups=frozenset(groups))
        )
    return tables


def _line(m: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """What was run, from the manifest: the design, the parameters and the simulations."""
    design = mapping(m, "design")
    parameters, groups, policies = m.get("parameters"), design.get("groups"), listing(m, "policies")
    if m.get("method") == MORRIS:
        how = (
            f"Morris screening: {design.get('trajectories', '?')} trajectories over "
            f"{design.get('levels', '?')} levels of each range"
        )
    else:
        how = f"Sobol indices: Saltelli's design with N = {design.get('samples', '?')}"
    varied = (
        rp.counted(len(parameters), "ranged parameter")
        if isinstance(parameters, list)
        else "its ranged parameters"
    )
    varied += f" of {rp.label(labels, m.get('reference', '?'))}"
    if isinstance(groups, Mapping) and groups:
        varied += f", moved as {rp.counted(len(groups), 'group')} (one per section)"
    also = f"; also the differences of {', '.join(rp.label(labels, p) for p in policies)}" if policies else ""
    line = (
        f"{how}; {varied}{also}; {design.get('points', '?')} design points x {1 + len(policies)} "
        f"scenario(s) x {m.get('replications', '?')} replications = {m.get('simulations', '?')} "
        f"simulations; seed {m.get('root_seed', '?')}."
    )
    if design.get("shortlist"):
        line += f" Parameters: the top {design.get('top')} of {design.get('shortlist')}."
    return line


def part(folder: AnalysisFolder, labels: Mapping[str, str], reference: str) -> Part:
    m = folder.manifest
    method = str(m.get("method"))
    if method not in METHODS:
        raise rp.ReportError(
            f"--with {folder.given}: manifest.json names method {method!r}; "
            f"expected one of {', '.join(METHODS)}"
        )
    frame = folder.needed(SENSITIVITY_FILE, columns(method))
    return Part(
        f"{'Morris screening' if method == MORRIS else 'Sobol indices'} ({folder.given})",
        [_line(m, labels)],
        sensitivity_tables(frame, method, labels, str(m.get("reference", reference))),
    )


def figure(name: str) -> tuple[str, str]:
    """``morris_<scenario>``: a scenario's screening; ``tornado_<scenario>_<kpi>``: a KPI's ranking."""
    stem = name.rsplit(".", 1)[0]
    if name.startswith(MORRIS_PREFIX):
        return f"Morris screening: {stem[len(MORRIS_PREFIX) :].replace('_', ' ')}", MORRIS_CAPTION
    if not name.startswith(TORNADO_PREFIX):
        return rp.plain_title(name), ""
    rest = stem[len(TORNADO_PREFIX) :]
    for k in sorted((*KPIS, *DERIVED_KPIS), key=len, reverse=True):
        if rest.endswith("_" + k):
            return f"Tornado: {rp.kpi_text(k)}, {rest[: -len(k) - 1].replace('_', ' ')}", TORNADO_CAPTION
    return rp.plain_title(name), TORNADO_CAPTION


def _in_results(
    frames: Mapping[str, pd.DataFrame], labels: Mapping[str, str], reference: str
) -> tuple[list[Table], list[str]]:
    """sensitivity.csv in a results folder: the summary if its columns are known, else as written."""
    frame = frames[SENSITIVITY_FILE]
    method = method_of(frame)
    if method is None or rp.missing_columns(frame, columns(method)):
        return [rp.as_written(frame, labels, SENSITIVITY_FILE)], []
    return sensitivity_tables(frame, method, labels, reference), []


REPORT = rp.StudyReport(part, figure, (SENSITIVITY_FILE,), _in_results)
