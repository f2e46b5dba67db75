"""Readable text tables of results (the CLI prints them; nothing here prints).

Numbers are right-aligned with thousands separators and just enough decimals for their size, so
a table of the whole policy library stays readable in a terminal.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd


def _decimals(scale: float) -> int:
    if not math.isfinite(scale) or scale >= 1000:
        return 0
    return 1 if scale >= 10 else 2


def fmt_number(x: float, decimals: int, sign: bool = False) -> str:
    """Thousands separators, fixed decimals, optional explicit sign; n/a for NaN."""
    if x is None or not math.isfinite(x):
        return "n/a"
    text = f"{x:{'+' if sign else ''},.{decimals}f}"
    if float(text.replace(",", "")) == 0:  # no "-0" or "+0.00" noise
        text = text.lstrip("+-")
    return text


def _render(header: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> str:
    """Columns padded to width: the first ``left`` columns left-aligned, the rest right-aligned."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        out = [
            c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)]) + "\n"


def format_kpi_table(stats: pd.DataFrame, labels: Mapping[str, str]) -> str:
    """KPI, mean and 95% CI of a ``stats.summarise`` table, numbers right-aligned."""
    rows = []
    for r in stats.itertuples(index=False):
        d = _decimals(abs(r.mean))
        rows.append(
            [
                labels.get(r.kpi, r.kpi),
                fmt_number(r.mean, d),
                fmt_number(r.ci_low, d),
                fmt_number(r.ci_high, d),
                str(int(r.n)),
            ]
        )
    return _render(["KPI", "Mean", "95% CI low", "95% CI high", "n"], rows)


TABLE_KPIS = {
    "contacted": ("Contacted", 1.0),
    "departed_contacted": ("Departed (contacted)", 1.0),
    "departed_voluntary": ("Voluntary dep.", 1.0),
    "removed_enforced": ("Removals", 1.0),
    "out_of_contact_end": ("Out of contact", 1.0),
    "detention_rejections": ("Det. rejections", 1.0),
    "total_cost_gbp": ("Cost (GBP m)", 1e-6),
}
"""The KPIs of the printed comparison (short heading, scale); comparison.csv has them all."""


def format_comparison_table(
    comparison: pd.DataFrame, names: Sequence[str], display: Mapping[str, str], labels: Mapping[str, str]
) -> str:
    """Rows = policies, columns = the main KPIs (``TABLE_KPIS``), so it stays readable for a
    whole policy library. The reference row gives means; the other rows give the paired
    difference from the reference, with ``*`` where its 95% CI excludes zero.

    ``names`` are the scenario names in row order (the first is the reference); ``display``
    maps each name to its label. ``labels`` is kept for KPIs missing from ``TABLE_KPIS``.
    """
    ref = names[0]
    cells = {(r.scenario, r.kpi): r for r in comparison.itertuples(index=False)}
    kpis = [k for k in TABLE_KPIS if any((n, k) in cells for n in names)]
    header = ["Policy", *(TABLE_KPIS[k][0] for k in kpis)]
    rows = []
    for n in names:
        row = [display[n] + (" (reference)" if n == ref else "")]
        for kpi in kpis:
            c = cells.get((n, kpi))
            if c is None:
                row.append("")
                continue
            scale = TABLE_KPIS[kpi][1]
            d = 2 if scale != 1.0 else _decimals(abs(cells[(ref, kpi)].mean)) if (ref, kpi) in cells else 0
            if n == ref:
                row.append(fmt_number(c.mean * scale, d))
                continue
            diff = fmt_number(c.diff_vs_reference * scale, d, sign=True)
            excludes_zero = c.diff_ci_low > 0 or c.diff_ci_high < 0
            row.append(diff + ("*" if excludes_zero else " "))
        rows.append(row)
    return _render(header, rows)


__all__ = ["TABLE_KPIS", "fmt_number", "format_comparison_table", "format_kpi_table"]
