"""Design commands (``sensitivity``, ``calibrate``): their output folder and executor, and time estimates.

A design is N scenario variants x R replications of which only the summary rows are wanted; the
engine runs it (``sim.experiment.engine.run_design``: common random numbers, identical variants run
once, resumable). ``design_folder`` gives a design command its executor and output folder, checked
and opened in the order that leaves nothing behind on bad input; ``estimate_seconds`` gives the
up-front time estimate the commands print. Nothing here prints.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path

from sim.experiment.engine import ExecutionOptions
from sim.experiment.errors import ExperimentError
from sim.experiment.files import begin_folder
from sim.experiment.runners import Runner, make_runner
from sim.experiment.worker import ReplicationFn, run_summary
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


@contextlib.contextmanager
def design_folder(
    out: Path,
    manifest: str,
    fixed: Sequence[str],
    options: ExecutionOptions,
    replicate: ReplicationFn = run_summary,
) -> Iterator[Runner]:
    """The executor of a design command writing into ``out`` (``sensitivity``, ``calibrate``).

    In this order, so a bad ``--out`` or ``--scheduler`` leaves nothing behind: ``out`` must be a
    folder or absent, then the executor starts (``ExperimentError`` if it cannot), and only then is
    ``out`` marked incomplete and cleared of the previous run's outputs (``begin_folder``; the
    part store stays for ``--resume``). The executor is closed on the way out; after an error
    or Ctrl-C without waiting for replications in flight (they are stored or not; ``--resume``
    re-runs what is missing). The caller writes its outputs and ``finish_folder`` afterwards.
    """
    if out.exists() and not out.is_dir():
        raise ExperimentError(f"--out: {out} exists and is not a folder")
    runner = make_runner(options.workers, options.scheduler, replicate)
    clean = False
    try:
        begin_folder(out, manifest, fixed)
        yield runner
        clean = True
    finally:
        runner.close(wait=clean)


__all__ = [
    "FULL_COHORT",
    "FULL_DAYS",
    "SECONDS_PER_FULL_REPLICATION",
    "design_folder",
    "estimate_seconds",
    "people",
]
