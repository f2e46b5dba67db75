"""One definition per KPI: complete, consistent, and the only source of labels, units and scales."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from sim.analysis import kpis, tables
from sim.analysis.cost_effectiveness import cost_effectiveness
from sim.analysis.kpis import (
    CE_COST,
    CE_OUTCOMES,
    DEFAULT_KPIS,
    DEPARTURE_KPIS,
    DERIVED_KPIS,
    KPIS,
    PLOT_KPIS,
    TABLE_KPIS,
    kpi,
)
from sim.analysis.multiplicity import simultaneous_comparison
from sim.analysis.plots import comparison as comparison_plots
from sim.analysis.plots import cost_effectiveness as ce_plots
from sim.analysis.statistics import summarise
from sim.model import kpis as model_kpis
from sim.model.results import COST_ITEMS, SUMMARY_COLUMNS

SIM = Path(__file__).resolve().parents[2] / "sim"
KPI_COLUMNS = [c for c in SUMMARY_COLUMNS if c not in ("replication", "seed")] + [
    f"cost_{item}_gbp" for item in COST_ITEMS
]


def test_every_summary_column_has_exactly_one_definition() -> None:
    names = Counter(k.name for k in model_kpis._DEFINITIONS)
    assert [n for n, count in names.items() if count > 1] == []
    assert list(KPIS) == KPI_COLUMNS  # all of them, nothing else, in summary.csv order
    for name, definition in KPIS.items():
        assert definition.name == name


def test_selections_name_defined_kpis() -> None:
    for selection in (DEFAULT_KPIS, TABLE_KPIS, PLOT_KPIS, DEPARTURE_KPIS):
        assert len(set(selection)) == len(selection)
        assert set(selection) <= set(KPIS)
    # derived KPIs add up summary columns of one unit, and are named like no column
    for name, definition in DERIVED_KPIS.items():
        assert definition.name == name and name not in KPIS and kpi(name) is definition
        assert definition.parts and set(definition.parts) <= set(KPIS)
        assert {kpi(p).unit for p in definition.parts} == {definition.unit}
    assert set(CE_OUTCOMES) <= {*KPIS, *DERIVED_KPIS} and kpi(CE_COST).unit == "GBP"
    # the printed comparison table is read from comparison.csv, which holds DEFAULT_KPIS
    assert set(TABLE_KPIS) <= set(DEFAULT_KPIS)
    # "departures + removals" adds these up, so they must count the same thing
    assert {kpi(k).display_unit for k in DEPARTURE_KPIS} == {"people"}


def test_money_and_count_conventions() -> None:
    for definition in KPIS.values():
        assert definition.description and definition.heading and definition.title
        assert definition.label == f"{definition.title} ({definition.display_unit})"
        if definition.name.endswith("_gbp"):
            assert definition.unit == "GBP" and definition.display_unit == "£ million"
            assert definition.scale == 1e6 and definition.decimals == 2
            assert definition.heading.endswith("(£m)")
            assert definition.display(2_500_000.0) == 2.5
        else:
            assert definition.scale == 1.0 and definition.display_unit == definition.unit
            assert definition.decimals is None
            assert "£" not in definition.label and "GBP" not in definition.label
    labels = [k.label for k in KPIS.values()]
    headings = [k.heading for k in KPIS.values()]
    assert len(set(labels)) == len(labels) and len(set(headings)) == len(headings)


def test_unknown_kpi_names_the_closest() -> None:
    with pytest.raises(KeyError, match="did you mean 'contacted'"):
        kpi("contactd")
    assert kpi("total_cost_gbp").label == "Total cost (£ million)"


def test_resolve_checks_every_name_against_the_known_ones() -> None:
    assert kpis.resolve(["contacted", "departures_and_removals"]) == ("contacted", "departures_and_removals")
    with pytest.raises(kpis.UnknownKpi) as caught:
        kpis.resolve(["contacted", "absconder"])
    assert str(caught.value) == "unknown KPI 'absconder'; did you mean 'absconded'?"
    with pytest.raises(kpis.UnknownKpi, match=r"^unknown KPI 'zzz'; choose from: contacted, absconded$"):
        kpis.resolve(["zzz"], known=("contacted", "absconded"))
    with pytest.raises(kpis.UnknownKpi, match=r"^unknown KPI 'departures_and_removals'"):
        kpis.resolve(["contacted", "departures_and_removals"], known=KPIS)  # derived ones not allowed


# ----------------------------------------------------------------------------------------------
# No other module defines KPI labels, units or scales
# ----------------------------------------------------------------------------------------------

OLD_NAMES = {
    "KPI_LABELS",
    "DEFAULT_KPIS",
    "TABLE_KPIS",
    "PLOT_KPIS",
    "DEPARTURE_KPIS",
    "DEPARTURE_COLUMNS",
    "kpi_label",
    "kpi_scale",
    "mean_ci",
    "t975",
}
"""Names of the old, disagreeing KPI lists and helpers (and the selections now in kpis.py)."""


def _sim_modules() -> list[Path]:
    own = {SIM / "model" / "kpis.py", SIM / "analysis" / "kpis.py"}  # the definitions, the selections
    return sorted(p for p in SIM.rglob("*.py") if p not in own)


def _defined_names(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def _string_constants(tree: ast.AST) -> list[str]:
    """String literals that are not docstrings (a docstring may explain the conventions)."""
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    return [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings
    ]


def _problems(where: str, source: str) -> list[str]:
    """Old KPI list names defined, KPI labels spelled out, or the money unit hard-coded."""
    labels = {k.label for k in KPIS.values()} | {k.heading for k in KPIS.values() if "(" in k.heading}
    tree = ast.parse(source)
    found = [f"{where} defines {n}" for n in sorted(_defined_names(tree) & OLD_NAMES)]
    for text in _string_constants(tree):
        found += [f"{where} spells out {lab!r}" for lab in sorted(labels) if lab in text]
        found += [f"{where} hard-codes {u!r} in {text!r}" for u in ("£ million", "£m", "GBP m") if u in text]
    return found


def test_no_other_module_defines_kpi_labels() -> None:
    found = []
    for path in _sim_modules():
        found += _problems(str(path.relative_to(SIM)), path.read_text(encoding="utf-8"))
    assert found == []


def test_the_scan_catches_a_hard_coded_label() -> None:
    """The scan above must be able to fail: old names and spelled-out labels are caught."""
    source = (
        '"""A docstring may say Total cost (£ million)."""\n'
        'KPI_LABELS = {"total_cost_gbp": "Total cost (£ million)"}\n'
        "def kpi_scale(name):\n"
        '    return "Cost (GBP m)"\n'
    )
    assert _problems("m.py", source) == [
        "m.py defines KPI_LABELS",
        "m.py defines kpi_scale",
        "m.py spells out 'Total cost (£ million)'",
        "m.py hard-codes '£ million' in 'Total cost (£ million)'",
        "m.py hard-codes 'GBP m' in 'Cost (GBP m)'",
    ]


# ----------------------------------------------------------------------------------------------
# Tables and plots show the same KPI the same way
# ----------------------------------------------------------------------------------------------


def _summaries() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(3)
    out = {}
    for i, name in enumerate(("Baseline", "Policy")):
        frame = pd.DataFrame({"replication": range(5), "seed": range(5)})
        for column in KPI_COLUMNS:
            frame[column] = rng.normal(1000.0 + 100 * i, 30.0, 5)
        frame["total_cost_gbp"] = rng.normal(24.3e6 + 1e6 * i, 1e5, 5)
        out[name] = frame
    return out


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every figure the comparison plots save, as panel titles, x labels and y data."""
    seen: list[dict[str, Any]] = []
    real_save = comparison_plots.save

    def spy(fig: Figure, path: str | Path, caption: str | None = None) -> Path:
        axes = [ax for ax in fig.axes if ax.get_visible()]
        seen.append(
            {
                "titles": [" ".join(ax.get_title().split()) for ax in axes],
                "xlabels": [ax.get_xlabel() for ax in axes],
                "ylabels": [ax.get_ylabel() for ax in axes],
                "diamond_y": [[float(y) for ln in ax.lines for y in np.ravel(ln.get_ydata())] for ax in axes],
            }
        )
        return real_save(fig, path, caption)

    monkeypatch.setattr(comparison_plots, "save", spy)
    monkeypatch.setattr(ce_plots, "save", spy)
    return seen


def test_table_and_plots_use_the_same_labels_units_and_scales(
    drawn: list[dict[str, Any]], tmp_path: Path
) -> None:
    summaries = _summaries()
    stats = summarise(summaries["Baseline"], DEFAULT_KPIS)
    table_rows = tables.format_kpi_table(stats).splitlines()[2:]
    table_labels = [r.split("  ")[0] for r in table_rows]
    assert table_labels == [kpi(k).label for k in DEFAULT_KPIS]

    comparison_plots.plot_outcome_distribution(summaries, DEFAULT_KPIS, tmp_path / "a.png")
    comparison, _ = simultaneous_comparison(summaries, "Baseline", DEFAULT_KPIS, 0.05)
    comparison_plots.plot_forest(comparison, "Baseline", tmp_path / "b.png")
    ce = cost_effectiveness(summaries, "Baseline", alpha=0.05, value_per_outcome=11_000.0)
    ce_plots.plot_cost_effectiveness(ce, "Baseline", tmp_path / "c.png")
    outcomes, forest, cost = drawn

    assert outcomes["titles"] == table_labels
    assert forest["titles"] == table_labels
    assert forest["xlabels"] == [f"Difference ({kpi(k).display_unit})" for k in DEFAULT_KPIS]
    assert cost["ylabels"] == ["Difference in total cost (£ million)"]
    assert cost["xlabels"] == ["Difference in voluntary departures and removals (people)"]

    # the same scale: the table's mean cost and the plotted mean cost are both in £ million
    cost_row = table_rows[DEFAULT_KPIS.index("total_cost_gbp")]
    table_mean = float(cost_row.split()[4])
    plotted = outcomes["diamond_y"][DEFAULT_KPIS.index("total_cost_gbp")]
    baseline_mean = summaries["Baseline"]["total_cost_gbp"].mean() / 1e6
    assert table_mean == pytest.approx(baseline_mean, abs=0.005)
    assert any(y == pytest.approx(baseline_mean) for y in plotted)
