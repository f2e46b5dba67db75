"""Briefing-ready figures from the tidy output tables: titled, axes labelled with units,
colour-blind-safe colours, t intervals over replications, 150 dpi PNGs. Nothing here prints.
"""

from __future__ import annotations

from sim.analysis.plots.comparison import (
    plot_comparison,
    plot_cumulative_outcomes,
    plot_forest,
    plot_outcome_distribution,
)
from sim.analysis.plots.cost_effectiveness import plot_cost_effectiveness
from sim.analysis.plots.per_run import plot_run, plot_state_flow

__all__ = [
    "plot_comparison",
    "plot_cost_effectiveness",
    "plot_cumulative_outcomes",
    "plot_forest",
    "plot_outcome_distribution",
    "plot_run",
    "plot_state_flow",
]
