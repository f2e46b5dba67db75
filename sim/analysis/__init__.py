"""Analysis of replication results: pure functions over tidy tables (KPI selections, statistics,
simultaneous intervals, cost-effectiveness, selection of the best policy, measures, survival,
text tables, figure names and ``plots``)."""
