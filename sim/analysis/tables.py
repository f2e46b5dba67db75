"""Readable text tables of results (the CLI prints them; nothing here prints).

Numbers are right-aligned with thousands separators and just enough decimals for their size, so
a table of the whole policy library stays readable in a terminal. Labels, headings, units and
display scales come from ``sim.analysis.kpis`` (money in £ million, two decimals).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd

from sim.analysis.kpis import TABLE_KPIS, kpi
from sim.analysis.numbers import count_decimals, fmt_number, kpi_decimals


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
    """KPI, mean and 95% CI of a ``statistics.summarise`` table in display units (money in £
    million), one row per KPI labelled with its unit, numbers right-aligned."""
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
    """Rows = policies (``names``, reference first, shown by their ``display`` labels), columns =
    ``kpis.TABLE_KPIS`` present (money in £ million): the reference's means, the others' paired
    differences, ``*`` where the *simultaneous* interval (``sim.analysis.multiplicity``) excludes
    zero, so a KPI no policy changes gets a false ``*`` in alpha of comparisons however many
    policies there are.
    """
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
            excludes_zero = float(c["diff_sim_ci_low"]) > 0 or float(c["diff_sim_ci_high"]) < 0
            row.append(diff + ("*" if excludes_zero else " "))
        rows.append(row)
    return render_table(header, rows)


def _money_or_count(x: float, scale: float, decimals: int | None, sign: bool) -> str:
    value = x / scale
    return fmt_number(value, decimals if decimals is not None else count_decimals(abs(value)), sign)


def format_cost_effectiveness_table(
    ce: pd.DataFrame, names: Sequence[str], display: Mapping[str, str], outcome: str, level: float
) -> str:
    """One row per policy of ``cost_effectiveness.csv`` for one ``outcome``: the paired difference
    in the outcome (people) and in cost (£ million), the cost per extra outcome in GBP with its
    Fieller interval (``n/a`` where it is unbounded or undefined: see ``cpo_note`` in the CSV),
    and the net benefit at the stated value per outcome (£ million) with its interval. ``*`` marks
    a difference or net benefit whose ``level`` interval excludes zero. ``names`` give the row
    order (the reference, if among them, is skipped); ``display`` their labels.
    """
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

    def star(low: float, high: float) -> str:
        return "*" if (low > 0 or high < 0) else " "

    rows = []
    for n in names:
        r = rows_by_name.get(n)
        if r is None:
            continue
        d_out = _money_or_count(r["d_outcome"], out.scale, out.decimals, True)
        d_cost = _money_or_count(r["d_cost"], cost.scale, cost.decimals, True)
        cpo = fmt_number(float(r["cost_per_outcome"]), 0)
        lo, hi = float(r["cpo_ci_low"]), float(r["cpo_ci_high"])
        cpo += f" ({fmt_number(lo, 0)} to {fmt_number(hi, 0)})" if math.isfinite(lo) else " (n/a)"
        nb = _money_or_count(r["net_benefit"], cost.scale, cost.decimals, True)
        nb_lo = _money_or_count(r["nb_ci_low"], cost.scale, cost.decimals, True)
        nb_hi = _money_or_count(r["nb_ci_high"], cost.scale, cost.decimals, True)
        rows.append(
            [
                display.get(n, n),
                d_out + star(r["d_outcome_ci_low"], r["d_outcome_ci_high"]),
                d_cost + star(r["d_cost_ci_low"], r["d_cost_ci_high"]),
                cpo,
                f"{nb}{star(r['nb_ci_low'], r['nb_ci_high'])} ({nb_lo} to {nb_hi})",
            ]
        )
    return render_table(header, rows)
