"""Analysis of replication results: pure functions over tidy tables.

- ``kpis``: the one definition of every KPI (label, unit, display scale) and the named selections.
- ``statistics``: t intervals, paired differences between policies (common random numbers).
- ``multiplicity``: simultaneous intervals for many policies' differences from the reference.
- ``cost_effectiveness``: cost per extra outcome (Fieller intervals) and net benefit.
- ``selection``: which policy is best on a KPI (KN ranking and selection, indifference zone).
- ``tables``: readable text tables (the CLI prints them).
- ``plots``: briefing-ready figures (``plot_run``, ``plot_comparison``).
"""
