"""The up-front time estimate every command that runs replications prints (``estimate_seconds``).

Designs themselves (N scenario variants x R replications, summary rows only) run on the engine:
``sim.experiment.engine.run_design``.
"""

from __future__ import annotations

from collections.abc import Sequence

from sim.scenario.schema import Scenario

SECONDS_PER_FULL_REPLICATION = 6.5
"""Measured seconds of one replication of the full baseline cohort (120,545 people, 548 days) on
the 2-core development machine (README "Performance": 6.3-6.9 s); estimates scale it by people
entering and by horizon."""
FULL_COHORT = 120_545
FULL_DAYS = 548.0
MIN_SECONDS_PER_REPLICATION = 0.02
"""A replication of a tiny cohort still costs its set-up (and the trip to a worker)."""


def people(scenario: Scenario) -> float:
    """People entering over the horizon: the initial cohort and the inflow."""
    c = scenario.cohort
    return c.initial_size + c.inflow_per_week * scenario.horizon_days / 7.0


def estimate_seconds(scenarios: Sequence[Scenario], replications: int, workers: int) -> float:
    """Rough wall time of ``replications`` of each scenario on ``workers`` workers: the measured
    full-cohort replication scaled by people and by horizon (an estimate: cost is not exactly
    proportional, and depends on the machine and its load). The one estimate every command prints."""
    per = [
        max(
            MIN_SECONDS_PER_REPLICATION,
            SECONDS_PER_FULL_REPLICATION * (people(s) / FULL_COHORT) * (s.horizon_days / FULL_DAYS),
        )
        for s in scenarios
    ]
    return sum(per) * replications / max(1, workers)
