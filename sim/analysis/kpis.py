"""Which KPIs each output shows (presentation choices of the analysis layer), and the KPI
vocabulary of ``sim.model.kpis`` (defined next to the summary row it describes) re-exported, so
analysis, report and CLI code import it from one place.
"""

from __future__ import annotations

from sim.model.kpis import (
    DERIVED_KPIS,
    KPIS,
    MONEY_DECIMALS,
    MONEY_SCALE,
    MONEY_UNIT,
    Kpi,
    UnknownKpi,
    kpi,
    resolve,
)

DEFAULT_KPIS: tuple[str, ...] = (
    "contacted",
    "departed_contacted",
    "departed_voluntary",
    "removed_enforced",
    "closed_already_departed",
    "granted_leave",
    "absconded",
    "out_of_contact_end",
    "detention_rejections",
    "complaints",
    "recorded_removals",
    "total_cost_gbp",
    "wasted_arrest_visits",
    "claims_withdrawn",
    "claims_withdrawn_out_of_contact",
    "withdrawn_would_have_been_granted",
    "support_discontinued",
)
"""KPIs summarised per scenario (summary_stats.csv) and compared between scenarios
(comparison.csv), in that order: the outcomes of contact management and what they cost, then what
losing contact costs the Home Office and the claimant (issue 18; the asylum ones are 0 where nobody
claims, as in 2012-14)."""

TABLE_KPIS: tuple[str, ...] = (
    "contacted",
    "departed_contacted",
    "departed_voluntary",
    "removed_enforced",
    "out_of_contact_end",
    "detention_rejections",
    "total_cost_gbp",
)
"""Columns of the comparison table printed in the terminal (few enough that the whole policy
library fits a screen)."""

PLOT_KPIS: tuple[str, ...] = (
    "departed_voluntary",
    "removed_enforced",
    "closed_already_departed",
    "out_of_contact_end",
    "complaints",
    "total_cost_gbp",
)
"""Headline KPIs drawn in the outcome-distribution plots (per run and per comparison)."""

DEPARTURE_KPIS: tuple[str, ...] = DERIVED_KPIS["departures_and_removals"].parts
"""Outcomes of the contact process in which the person leaves the UK, summed as
``departures_and_removals`` (not cases closed as already departed: they had gone before)."""

CE_OUTCOMES: tuple[str, ...] = ("departed_voluntary", "removed_enforced", "departures_and_removals")
"""Outcomes of the cost-effectiveness analysis (cost_effectiveness.csv), in that order; the last
is the one drawn on the cost-effectiveness plane and printed."""
CE_COST = "total_cost_gbp"
"""The cost of the cost-effectiveness analysis: every cost item summed (GBP)."""

__all__ = [
    "CE_COST",
    "CE_OUTCOMES",
    "DEFAULT_KPIS",
    "DEPARTURE_KPIS",
    "DERIVED_KPIS",
    "KPIS",
    "MONEY_DECIMALS",
    "MONEY_SCALE",
    "MONEY_UNIT",
    "PLOT_KPIS",
    "TABLE_KPIS",
    "Kpi",
    "UnknownKpi",
    "kpi",
    "resolve",
]
