"""Text tables for the terminal: number formats, alignment, units and the comparison layout.

(The number-format and alignment tests moved here from tests/unit/test_experiment.py with the tables.)
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sim.analysis import numbers, tables
from sim.analysis.kpis import TABLE_KPIS, kpi


def test_number_formatting() -> None:
    assert numbers.fmt_number(1234567.89, 0) == "1,234,568"
    assert numbers.fmt_number(12.345, 1, sign=True) == "+12.3"
    assert numbers.fmt_number(-0.001, 2, sign=True) == "0.00"
    assert numbers.fmt_number(float("nan"), 0) == "n/a"


def test_kpi_table_is_right_aligned_with_units() -> None:
    stats = pd.DataFrame(
        {
            "kpi": ["contacted", "total_cost_gbp"],
            "mean": [12.5, 1234567.0],
            "ci_low": [10.0, 1200000.0],
            "ci_high": [15.0, 1270000.0],
            "sd": [1.0, 2.0],
            "n": [5, 5],
        }
    )
    lines = tables.format_kpi_table(stats).splitlines()
    assert lines[0].startswith("KPI") and "95% CI low" in lines[0]
    assert lines[2].startswith("Contacted (people)")
    assert lines[3].startswith("Total cost (£ million)")
    mean_end = lines[0].index("Mean") + len("Mean")
    assert lines[2][:mean_end].endswith("12.5") and lines[3][:mean_end].endswith("1.23")
    assert lines[3].split()[-4:] == ["1.23", "1.20", "1.27", "5"]


def test_kpi_table_rejects_unknown_kpi() -> None:
    stats = pd.DataFrame({"kpi": ["contactd"], "mean": [1.0], "ci_low": [1.0], "ci_high": [1.0], "n": [2]})
    with pytest.raises(KeyError, match="did you mean 'contacted'"):
        tables.format_kpi_table(stats)


def _comparison(kpis: list[str], sim_factor: float = 1.2) -> pd.DataFrame:
    """Rows of comparison.csv; the simultaneous half-width is ``sim_factor`` x the unadjusted."""
    rows = []
    for name, diff, half in (("base", 0.0, 0.0), ("a", 2.5e5, 1e5), ("b", -3.0, 5.0)):
        for k in kpis:
            mean = 24_300_000.0 if k.endswith("_gbp") else 1234.0
            sim = half * sim_factor
            rows.append(
                (
                    name,
                    k,
                    mean + diff,
                    math.nan,
                    math.nan,
                    diff,
                    diff - half,
                    diff + half,
                    diff - sim,
                    diff + sim,
                )
            )
    return pd.DataFrame(
        rows,
        columns=[
            "scenario",
            "kpi",
            "mean",
            "ci_low",
            "ci_high",
            "diff_vs_reference",
            "diff_ci_low",
            "diff_ci_high",
            "diff_sim_ci_low",
            "diff_sim_ci_high",
        ],
    )


def test_comparison_table_layout_units_and_stars() -> None:
    comparison = _comparison([*TABLE_KPIS, "complaints"])  # complaints is not a table column
    display = {"base": "Base", "a": "A", "b": "B"}
    text = tables.format_comparison_table(comparison, ["base", "a", "b"], display)
    header, rule, base, a, b = text.splitlines()
    cells = [c.strip() for c in header.split("  ") if c.strip()]
    assert cells == ["Policy", *(kpi(k).heading for k in TABLE_KPIS)]
    assert set(rule) <= {"-", " "}
    assert base.startswith("Base (reference)") and a.startswith("A ") and b.startswith("B ")
    # reference: means, money in £ million with 2 decimals, counts with separators
    assert base.split()[-1] == "24.30" and "1,234" in base
    # others: signed paired differences, * where the 95% CI excludes zero
    n_counts = len(TABLE_KPIS) - 1
    assert a.split() == ["A", *["+250,000*"] * n_counts, "+0.25*"]  # CI (150k, 350k) excludes 0
    assert b.split() == ["B", *["-3"] * n_counts, "0.00"]  # CI (-8, 2) crosses 0; -£3 is 0.00 £m
    assert "Complaints" not in header


def test_comparison_table_stars_by_the_simultaneous_interval() -> None:
    """a's unadjusted CI (150k, 350k) excludes 0, its simultaneous CI (-50k, 550k) does not."""
    comparison = _comparison(list(TABLE_KPIS), sim_factor=3.0)
    text = tables.format_comparison_table(
        comparison, ["base", "a", "b"], {"base": "Base", "a": "A", "b": "B"}
    )
    a = text.splitlines()[3]
    assert "*" not in a and "+250,000" in a


def test_comparison_table_leaves_out_kpis_not_compared() -> None:
    comparison = _comparison(["contacted"])
    text = tables.format_comparison_table(comparison, ["base", "a"], {"base": "Base", "a": "A"})
    assert text.splitlines()[0].split() == ["Policy", kpi("contacted").heading]
