"""Briefing-ready figures from the tidy output tables (summary, timeseries, comparison).

Every figure: titled, axes labelled with units (from ``sim.analysis.kpis``), colour-blind-safe
colours (Okabe-Ito), t confidence intervals over replications, written as a 150 dpi PNG and
closed. ``style`` holds the shared look, ``per_run`` the figures of one scenario,
``comparison`` the figures that compare policies, ``cost_effectiveness`` the cost-effectiveness
plane and ``labels`` the direct labelling of points. The experiment layer calls ``plot_run`` and
``plot_comparison``. Nothing here prints.
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
