"""Analysis of replication results: pure functions over tidy tables.

- ``kpis``: the one definition of every KPI (label, unit, display scale) and the named selections.
- ``statistics``: t intervals, paired differences between policies (common random numbers).
- ``tables``: readable text tables (the CLI prints them).
- ``plots``: briefing-ready figures (``plot_run``, ``plot_comparison``).
"""
