"""Readable text tables of results (the CLI prints them): numbers right-aligned with thousands
separators and decimals for their size; labels, units and display scales from ``kpis``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd

from sim.analysis.kpis import TABLE_KPIS, Kpi, kpi
from sim.analysis.multiplicity import excludes_zero
from sim.analysis.numbers import fmt_number, kpi_decimals


def render_table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> str:
    """Columns padded to width, under a rule: column i left-aligned where ``align[i]`` is ``l``,
    else right-aligned (the first column left when ``align`` is empty)."""
    align = align or "l" + "r" * (len(header) - 1)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        out = [c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(cells, widths, align, strict=True)]
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)]) + "\n"


def format_kpi_table(stats: pd.DataFrame) -> str:
    """KPI (with its unit), mean and 95% CI of a ``statistics.summarise`` table in display units."""
    rows = []
    for r in stats.to_dict("records"):
        definition = kpi(str(r["kpi"]))
        mean, low, high = (definition.display(float(r[c])) for c in ("mean", "ci_low", "ci_high"))
        d = kpi_decimals(definition, mean)
        rows.append(
            [definition.label, fmt_number(mean, d), fmt_number(low, d), fmt_number(high, d), str(int(r["n"]))]
        )
    return render_table(["KPI", "Mean", "95% CI low", "95% CI high", "n"], rows)


def format_comparison_table(
    comparison: pd.DataFrame, names: Sequence[str], display: Mapping[str, str]
) -> str:
    """Rows = policies (``names``, reference first, by their ``display`` labels), columns =
    ``kpis.TABLE_KPIS`` present: the reference's means, the others' paired differences, ``*``
    where the *simultaneous* interval excludes zero (a false ``*`` in alpha of KPIs no policy
    changes, however many policies)."""
    ref = names[0]
    cells = {(str(r["scenario"]), str(r["kpi"])): r for r in comparison.to_dict("records")}
    shown = [kpi(k) for k in TABLE_KPIS if any((n, k) in cells for n in names)]
    header = ["Policy", *(k.heading for k in shown)]
    rows = []
    for n in names:
        row = [display[n] + (" (reference)" if n == ref else "")]
        for definition in shown:
            c = cells.get((n, definition.name))
            if c is None:
                row.append("")
                continue
            ref_cell = cells.get((ref, definition.name))
            ref_mean = definition.display(float(ref_cell["mean"])) if ref_cell is not None else math.inf
            d = kpi_decimals(definition, ref_mean)
            if n == ref:
                row.append(fmt_number(definition.display(float(c["mean"])), d))
                continue
            diff = fmt_number(definition.display(float(c["diff_vs_reference"])), d, sign=True)
            row.append(diff + _star(float(c["diff_sim_ci_low"]), float(c["diff_sim_ci_high"])))
        rows.append(row)
    return render_table(header, rows)


def _star(low: float, high: float) -> str:
    """``*`` after a number whose interval excludes zero, else a space (keeps the column aligned)."""
    return "*" if excludes_zero(low, high) else " "


def _signed(x: float, definition: Kpi) -> str:
    """``x`` in the KPI's display scale, signed, with its decimals (``numbers.kpi_decimals``)."""
    value = x / definition.scale
    return fmt_number(value, kpi_decimals(definition, value), sign=True)


def format_cost_effectiveness_table(
    ce: pd.DataFrame, names: Sequence[str], display: Mapping[str, str], outcome: str, level: float
) -> str:
    """A row per policy (in the order of ``names``) of ``cost_effectiveness.csv`` for ``outcome``:
    paired differences in the outcome (people) and cost (£ million), the cost per extra outcome
    (GBP) with its Fieller interval (``n/a`` if unbounded: see ``cpo_note``) and the net benefit
    (£ million); ``*`` where the ``level`` interval excludes zero."""
    out, cost = kpi(outcome), kpi("total_cost_gbp")
    rows_by_name = {str(r["scenario"]): r for r in ce[ce["outcome"] == outcome].to_dict("records")}
    pct = f"{100 * level:g}%"
    header = [
        "Policy",
        f"Δ {out.heading}",
        f"Δ {cost.heading}",
        f"{cost.unit} per extra outcome ({pct} CI)",
        f"Net benefit, {cost.display_unit} ({pct} CI)",
    ]
    rows = []
    for n in names:
        r = rows_by_name.get(n)
        if r is None:
            continue
        d_out = _signed(r["d_outcome"], out) + _star(r["d_outcome_ci_low"], r["d_outcome_ci_high"])
        d_cost = _signed(r["d_cost"], cost) + _star(r["d_cost_ci_low"], r["d_cost_ci_high"])
        cpo = fmt_number(float(r["cost_per_outcome"]), 0)
        lo, hi = float(r["cpo_ci_low"]), float(r["cpo_ci_high"])
        cpo += f" ({fmt_number(lo, 0)} to {fmt_number(hi, 0)})" if math.isfinite(lo) else " (n/a)"
        nb, nb_lo, nb_hi = (_signed(r[c], cost) for c in ("net_benefit", "nb_ci_low", "nb_ci_high"))
        nb += _star(r["nb_ci_low"], r["nb_ci_high"])
        rows.append([display.get(n, n), d_out, d_cost, cpo, f"{nb} ({nb_lo} to {nb_hi})"])
    return render_table(header, rows)
