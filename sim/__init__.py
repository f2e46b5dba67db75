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

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

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


@dataclass(frozen=True)
class Options:
    """The keywords ``run`` and ``compare`` share, with the command line's defaults (a keyword
    the two functions do not know is a ``TypeError``, as for any function)."""

    replications: int = DEFAULT_REPLICATIONS
    seed: int = DEFAULT_SEED
    out: str | Path = "results"
    horizon: int | None = None
    """Days simulated, as ``--horizon`` (None: the scenario's)."""
    cohort_size: int | None = None
    """People in the initial cohort, as ``--cohort-size`` (None: the scenario's)."""
    workers: int = 1
    scheduler: str | None = None
    event_log: bool = False
    plots: bool = True
    resume: bool = False
    force: bool = False
    """Move aside a folder this call may not write into instead of refusing it (as ``--force``)."""
    reuse: bool = True
    """Reuse identical contact phases across scenarios (False as ``--no-reuse``; same results)."""

    def prepare(self, scenarios: Sequence[Scenario | str | Path]) -> tuple[list[Scenario], ExecutionOptions]:
        """Load paths and apply ``horizon`` / ``cohort_size`` as the command line does (recorded as
        the manifest's overrides)."""
        from sim.experiment.engine import ExecutionOptions

        overrides: dict[str, Any] = {}
        if self.horizon is not None:
            overrides["horizon_days"] = self.horizon
        if self.cohort_size is not None:
            overrides["cohort"] = {"initial_size": self.cohort_size}
        loaded = [load_scenario(s) if isinstance(s, (str, Path)) else s for s in scenarios]
        if overrides:
            loaded = [s.with_overrides(overrides) for s in loaded]
        return loaded, ExecutionOptions(
            self.workers,
            self.scheduler,
            self.resume,
            self.plots,
            overrides,
            force=self.force,
            reuse=self.reuse,
        )


F = TypeVar("F", bound=Callable[..., Any])


def _taking_options(function: F) -> F:
    """Show the ``Options`` keywords in ``function``'s signature (``help``, notebooks' completion and
    ``inspect`` see them) in place of its ``**options``: they are declared once, in ``Options``."""
    own = inspect.signature(function)
    shared = [
        inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=f.type)
        for f in fields(Options)
    ]
    kept = [p for p in own.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    function.__signature__ = own.replace(parameters=[*kept, *shared])  # type: ignore[attr-defined]
    return function


@_taking_options
def run(scenario: Scenario | str | Path, **options: Any) -> ExperimentResult:
    """Replications of one scenario into ``out/<name>/``, as ``run_sim.py run``; the keywords are
    ``Options``'. ``result.runs[0].summary`` has one row per replication."""
    from sim.experiment.run import run_experiment

    o = Options(**options)
    loaded, execution = o.prepare([scenario])
    return run_experiment(
        loaded, o.out, replications=o.replications, root_seed=o.seed, keep_log=o.event_log, options=execution
    )


@_taking_options
def compare(
    reference: Scenario | str | Path,
    *others: Scenario | str | Path,
    alpha: float = DEFAULT_ALPHA,
    value_per_outcome: float = DEFAULT_VALUE_PER_OUTCOME_GBP,
    **options: Any,
) -> ExperimentResult:
    """Each scenario against the reference with common random numbers, as ``run_sim.py compare``;
    the other keywords are ``Options``'. ``result.comparison`` has one row per scenario and KPI with
    the paired difference from the reference and its intervals (level 1 - ``alpha``),
    ``result.cost_effectiveness`` the cost per extra outcome and the net benefit at
    ``value_per_outcome`` GBP."""
    from sim.experiment.compare import run_comparison

    o = Options(**options)
    loaded, execution = o.prepare([reference, *others])
    return run_comparison(
        loaded,
        o.out,
        replications=o.replications,
        root_seed=o.seed,
        keep_log=o.event_log,
        alpha=alpha,
        value_per_outcome=value_per_outcome,
        options=execution,
    )


__all__ = ["Options", "compare", "load_scenario", "run"]
