"""contact-sim: the Python API for analysts who work in notebooks (``docs/python-api.md``).

``load_scenario`` reads a scenario file; ``run`` and ``compare`` do what ``run_sim.py run`` and
``run_sim.py compare`` do, with the same defaults, and return the typed ``ExperimentResult``
whose tables are DataFrames (``result.runs[i].summary``, ``result.comparison``,
``result.cost_effectiveness``). They write the same folders as the command line, so ``run_sim.py
report`` can open them afterwards.

The heavy modules are imported on first use: a worker process imports ``sim`` before
``sim.model`` and must not pay for the experiment code it never uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.experiment.defaults import (
    DEFAULT_ALPHA,
    DEFAULT_REPLICATIONS,
    DEFAULT_SEED,
    DEFAULT_VALUE_PER_OUTCOME_GBP,
)

if TYPE_CHECKING:
    from sim.experiment.engine import ExecutionOptions
    from sim.experiment.run import ExperimentResult
    from sim.scenario.schema import Scenario


def load_scenario(path: str | Path) -> Scenario:
    """The scenario of a YAML file, merged over its ``extends`` chain and validated
    (``ScenarioError`` says which file and field is wrong, and what is allowed)."""
    from sim.scenario.loading import load_scenario as load

    return load(path)


def _prepare(
    scenarios: Sequence[Scenario | str | Path],
    horizon: int | None,
    cohort_size: int | None,
    workers: int,
    scheduler: str | None,
    resume: bool,
    plots: bool,
) -> tuple[list[Scenario], ExecutionOptions]:
    """Load paths and apply ``horizon`` / ``cohort_size`` as the command line's ``--horizon`` and
    ``--cohort-size`` do (recorded as the manifest's overrides)."""
    from sim.experiment.engine import ExecutionOptions

    overrides: dict[str, Any] = {}
    if horizon is not None:
        overrides["horizon_days"] = horizon
    if cohort_size is not None:
        overrides["cohort"] = {"initial_size": cohort_size}
    loaded = [load_scenario(s) if isinstance(s, (str, Path)) else s for s in scenarios]
    if overrides:
        loaded = [s.with_overrides(overrides) for s in loaded]
    return loaded, ExecutionOptions(workers, scheduler, resume, plots, overrides)


def run(
    scenario: Scenario | str | Path,
    *,
    replications: int = DEFAULT_REPLICATIONS,
    seed: int = DEFAULT_SEED,
    out: str | Path = "results",
    horizon: int | None = None,
    cohort_size: int | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    event_log: bool = False,
    plots: bool = True,
    resume: bool = False,
) -> ExperimentResult:
    """Replications of one scenario into ``out/<name>/``, as ``run_sim.py run``;
    ``result.runs[0].summary`` has one row per replication."""
    from sim.experiment.run import run_experiment

    loaded, options = _prepare([scenario], horizon, cohort_size, workers, scheduler, resume, plots)
    return run_experiment(
        loaded, out, replications=replications, root_seed=seed, keep_log=event_log, options=options
    )


def compare(
    reference: Scenario | str | Path,
    *others: Scenario | str | Path,
    replications: int = DEFAULT_REPLICATIONS,
    seed: int = DEFAULT_SEED,
    out: str | Path = "results",
    horizon: int | None = None,
    cohort_size: int | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    event_log: bool = False,
    plots: bool = True,
    resume: bool = False,
    alpha: float = DEFAULT_ALPHA,
    value_per_outcome: float = DEFAULT_VALUE_PER_OUTCOME_GBP,
) -> ExperimentResult:
    """Each scenario against the reference with common random numbers, as ``run_sim.py compare``;
    ``result.comparison`` has one row per scenario and KPI with the paired difference from the
    reference and its intervals (level 1 - ``alpha``), ``result.cost_effectiveness`` the cost per
    extra outcome and the net benefit at ``value_per_outcome`` GBP."""
    from sim.experiment.compare import run_comparison

    loaded, options = _prepare([reference, *others], horizon, cohort_size, workers, scheduler, resume, plots)
    return run_comparison(
        loaded,
        out,
        replications=replications,
        root_seed=seed,
        keep_log=event_log,
        alpha=alpha,
        value_per_outcome=value_per_outcome,
        options=options,
    )


__all__ = ["compare", "load_scenario", "run"]
