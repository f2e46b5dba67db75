"""Running experiments: many replications of scenarios, stored, assembled and documented (the
modules and what each owns: docs/architecture.md).

Public names are re-exported here but imported on first use (PEP 562): a worker unpickling
``sim.experiment.worker.run_one`` imports this package first and must not pay for pandas-heavy
assembly, pyarrow or analysis code it never uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sim.experiment.defaults import DEFAULT_MAX_REPLICATIONS, DEFAULT_REPLICATIONS, DEFAULT_SEED  # noqa: F401
from sim.experiment.errors import ExperimentError  # noqa: F401

if TYPE_CHECKING:  # the names of _MODULES, for type checkers (``__getattr__`` imports them at run time)
    from sim.experiment.compare import run_comparison  # noqa: F401
    from sim.experiment.engine import (  # noqa: F401
        DesignResult,
        ExecutionOptions,
        experiment_folder,
        run_batches,
        run_design,
    )
    from sim.experiment.output import PARTS_DIR, is_complete  # noqa: F401
    from sim.experiment.provenance import git_state, model_code_hash, package_version, run_key  # noqa: F401
    from sim.experiment.run import (  # noqa: F401
        ExperimentResult,
        ScenarioRun,
        StopRule,
        check_scenarios,
        display_labels,
        run_experiment,
        run_scenarios,
    )
    from sim.experiment.runners import (  # noqa: F401
        DaskRunner,
        ProcessRunner,
        Runner,
        SerialRunner,
        WorkerLostError,
        make_runner,
    )
    from sim.experiment.worker import run_one  # noqa: F401

_MODULES: dict[str, tuple[str, ...]] = {
    "engine": ("DesignResult", "ExecutionOptions", "experiment_folder", "run_batches", "run_design"),
    "output": ("PARTS_DIR", "is_complete"),
    "provenance": ("git_state", "model_code_hash", "package_version", "run_key"),
    "run": (
        "ExperimentResult",
        "ScenarioRun",
        "StopRule",
        "check_scenarios",
        "display_labels",
        "run_experiment",
        "run_scenarios",
    ),
    "compare": ("run_comparison",),
    "runners": ("WorkerLostError", "DaskRunner", "ProcessRunner", "Runner", "SerialRunner", "make_runner"),
    "worker": ("run_one",),
}
"""Module of this package -> the public names it defines."""
_LAZY: dict[str, str] = {name: module for module, names in _MODULES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = sorted(
    ["DEFAULT_MAX_REPLICATIONS", "DEFAULT_REPLICATIONS", "DEFAULT_SEED", "ExperimentError", *_LAZY]
)
