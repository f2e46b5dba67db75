"""The file name of every figure the workbench draws: one place for writers and readers.

The plots (``sim.analysis.plots`` and each study's ``plots.py``) save under these names and the
report finds, titles and captions figures by them, so a renamed figure cannot go missing from the
briefing. A name ending in ``_`` is a prefix: the writer adds a slug (a scenario label, a KPI) and
``.png``. Tables and manifests are in ``sim.experiment.output``; this module sits below it
(analysis layer) because the plots that write these files do, and imports nothing.
"""

from __future__ import annotations

OUTCOMES_PLOT = "outcomes_by_policy.png"
"""compare: each KPI's replications per policy."""
CUMULATIVE_PLOT = "cumulative_outcomes.png"
"""compare: each outcome built up over time, a line per policy."""
FOREST_PLOT = "differences_vs_reference.png"
"""compare: each policy's paired difference from the reference."""
COST_PLOT = "cost_vs_outcomes.png"
"""compare: the cost-effectiveness plane."""
TIME_TO_OUTCOME_PLOT = "time_to_outcome.png"
"""run and compare: cumulative incidence of each outcome by day since entry and since contact."""
STATE_FLOW_PREFIX = "state_flow_"
"""run: where the cohort is over time, per scenario (``state_flow_<slug>.png``)."""
RUN_OUTCOMES_PREFIX = "outcomes_"
"""run: the outcomes per cohort, per scenario (``outcomes_<slug>.png``)."""
RUN_CUMULATIVE_PREFIX = "cumulative_outcomes_"
"""run: outcomes over time, per scenario (``cumulative_outcomes_<slug>.png``)."""
MORRIS_PREFIX = "morris_"
"""sensitivity: Morris screening per scenario (``morris_<scenario>.png``)."""
TORNADO_PREFIX = "tornado_"
"""sensitivity: parameters ranked per scenario and KPI (``tornado_<scenario>_<kpi>.png``)."""
SWEEP_PREFIX = "sweep_"
"""sweep: a KPI against the swept parameter(s) (``sweep_<kpi>.png``)."""
DIFFERENCES_PLOT = "uncertainty_differences.png"
"""uncertainty: each policy's paired difference across the draws."""
CEAC_PLOT = "ceac.png"
"""uncertainty: cost-effectiveness acceptability curves."""
TARGETS_PLOT = "targets.png"
"""targets: published figures against the model."""
WAVES_PLOT = "calibration_waves.png"
"""calibrate: the share of the space not ruled out after each wave."""
RANGES_PLOT = "calibration_ranges.png"
"""calibrate: each parameter's range not ruled out."""
PAIRS_PLOT = "calibration_pairs.png"
"""calibrate: the parameter sets kept, two parameters at a time."""
