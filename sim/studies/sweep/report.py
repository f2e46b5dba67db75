"""The sweep study in the briefing report: a grid point a row, each KPI's mean with its interval."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from sim.analysis.figures import SWEEP_PREFIX
from sim.analysis.kpis import MONEY_UNIT, TABLE_KPIS
from sim.analysis.numbers import count_decimals, kpi_decimals, value_text
from sim.experiment import output
from sim.studies import report_parts as rp
from sim.studies.base import listing
from sim.studies.report_parts import NO_VALUE, AnalysisFolder, Cell, Part, Table
from sim.studies.sweep.analysis import SWEEP_COLUMNS_1D, SWEEP_COLUMNS_2D, grid_rows

SWEEP_MAX_KPIS = 8
"""A sweep of more KPIs than this shows the headline and plotted ones (sweep.csv has them all)."""


def sweep_table(frame: pd.DataFrame, manifest: Mapping[str, Any]) -> Table:
    """Each grid point of sweep.csv a row, each KPI a column: the mean with its 95% interval,
    highlighted where the paired difference from the first point excludes 0."""
    frame = rp.numeric(frame, ["mean", "ci_low", "ci_high", "diff_ci_low", "diff_ci_high"])
    frame = frame.assign(kpi=frame["kpi"].astype(str))
    present = list(dict.fromkeys(frame["kpi"]))
    if len(present) > SWEEP_MAX_KPIS:
        plotted = listing(manifest, "plotted_kpis")
        present = [k for k in present if k in TABLE_KPIS or k in plotted]
    heads, points, cells = grid_rows(frame)
    rows = []
    for point in points:
        row = [Cell(str(v), numeric=True) for v in point]
        for name in present:
            r = cells.get((point, name))
            if r is None:
                row.append(Cell(NO_VALUE, numeric=True))
                continue
            d = rp.definition(name)
            scale = d.scale if d is not None else 1.0
            dec = kpi_decimals(d, r["mean"] / scale) if d is not None else count_decimals(abs(r["mean"]))
            # highlighted by the paired difference from the first point, not by the mean's interval
            mark = rp.excludes_zero(r["diff_ci_low"], r["diff_ci_high"])
            row.append(rp.estimate(r["mean"], r["ci_low"], r["ci_high"], dec, scale, mark=mark))
        rows.append(row)
    return Table(
        [*heads, *(rp.kpi_text(k) for k in present)],
        rows,
        [True] * (len(heads) + len(present)),
        "Mean per cohort at each grid point with its 95% t interval (sweep.csv; money in "
        f"{MONEY_UNIT}); highlighted where the 95% interval of the paired difference from the first "
        "grid point excludes 0. Every KPI with its interval is in sweep.csv.",
    )


def _line(m: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """What was swept, from the manifest: each path at its values, and the replications."""
    parts = []
    for p in listing(m, "params"):
        if isinstance(p, Mapping):
            values = ", ".join(value_text(float(v)) for v in p.get("values", []) if rp.number(v) is not None)
            parts.append(f"{p.get('path', '?')} at {values} ({p.get('unit', 'unit not recorded')})")
    scenario = m.get("label") or rp.label(labels, m.get("scenario", "?"))
    return (
        f"{scenario}: {' x '.join(parts) or 'parameters not recorded'}; "
        f"{m.get('replications', '?')} replications per grid point, paired by replication "
        f"(common random numbers); seed {m.get('root_seed', '?')}."
    )


def part(folder: AnalysisFolder, labels: Mapping[str, str], reference: str) -> Part:
    frame = folder.needed(output.SWEEP_FILE)
    rp.require(
        frame,
        SWEEP_COLUMNS_2D if "param2" in frame.columns else SWEEP_COLUMNS_1D,
        f"--with {folder.given}: {output.SWEEP_FILE}",
    )
    return Part(
        f"Sweep ({folder.given})", [_line(folder.manifest, labels)], [sweep_table(frame, folder.manifest)]
    )


def figure(name: str) -> tuple[str, str]:
    """``sweep_<kpi>``: the KPI's mean at each value of the swept parameter."""
    if not name.startswith(SWEEP_PREFIX):
        return rp.plain_title(name), ""
    kpi = name.rsplit(".", 1)[0][len(SWEEP_PREFIX) :]
    title = (
        f"{rp.kpi_text(kpi)} against the swept parameter"
        if rp.definition(kpi) is not None
        else rp.plain_title(name)
    )
    return title, "The KPI's mean at each value of the swept parameter, with its 95% band."


REPORT = rp.StudyReport(part, figure)
