"""What every study declares (``Study``), so the command line, the report and the methods need no
branch on a study's name. Only the standard library is imported: the report and the argument
parser read the registry before anything heavy is needed.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sim.experiment.design import Budget
    from sim.experiment.engine import ExecutionOptions
    from sim.scenario.schema import Scenario

NOT_RECORDED = "not recorded"
"""Said wherever the folder does not record what the report would show."""


def recorded(value: Any) -> str:
    """A manifest value as text, or "not recorded" for a missing or empty one."""
    return NOT_RECORDED if value is None or value == "" else str(value)


def manifest_paths(manifest: Mapping[str, Any], limit: int = 6) -> str:
    """The first ``limit`` paths of the manifest's ranged ``parameters``, and how many more."""
    paths = [str(e.get("path")) for e in listing(manifest, "parameters") if isinstance(e, Mapping)]
    if not paths:
        return NOT_RECORDED
    more = len(paths) - limit
    return ", ".join(paths[:limit]) + (f" and {more} more" if more > 0 else "")


def parameter_count(manifest: Mapping[str, Any]) -> str:
    """How many ranged parameters the manifest lists, as text ("not recorded" if it lists none)."""
    parameters = manifest.get("parameters")
    return str(len(parameters)) if isinstance(parameters, list) else NOT_RECORDED


def mapping(manifest: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """The manifest's mapping under ``key``, empty if absent or not a mapping (an edited file)."""
    value = manifest.get(key)
    return value if isinstance(value, Mapping) else {}


def listing(manifest: Mapping[str, Any], key: str) -> list[Any]:
    """The manifest's list under ``key``, empty if absent or not a list (an edited file)."""
    value = manifest.get(key)
    return value if isinstance(value, list) else []


Load = Callable[[Sequence[str]], list["Scenario"]]
"""Loads scenario files for a study's plan, with --horizon and --cohort-size applied."""


@dataclass(frozen=True)
class Job:
    """A study's command once planned: ``intro`` is printed before ``run(out, options)`` and
    ``summary(result, out)`` after (neither with --quiet); ``kept`` are the paths under ``out``
    where finished replications are kept for --resume (said on Ctrl-C)."""

    name: str
    intro: str
    run: Callable[[Path, ExecutionOptions], Any]
    summary: Callable[[Any, Path], str]
    kept: tuple[str, ...]


class StudyCli(Protocol):
    """A study's command: the module ``sim/studies/<name>/cli.py``. ``plan`` raises
    ``ExperimentError`` or ``ScenarioError`` for bad input before anything is written (exit 2),
    and checks its size with ``budget.check`` before it builds anything that grows with it (a
    design, draws): past the budget, an ``ExperimentError`` saying the estimate."""

    HELP: str
    DESCRIPTION: str
    EPILOG: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def plan(self, args: argparse.Namespace, argv: Sequence[str], load: Load, budget: Budget) -> Job: ...


@dataclass(frozen=True)
class Study:
    """One study as the command line, the report and the methods see it: ``manifest`` is the file
    its writer leaves last (holding ``key`` where the name alone does not tell it from a run
    folder's), ``reference`` the manifest key naming the scenario(s) it ran on, ``report`` the
    module whose ``REPORT`` (a ``StudyReport``, which needs pandas) shows its folder."""

    kind: str
    command: str
    manifest: str
    varied: Callable[[Mapping[str, Any]], str]
    cli: StudyCli
    reference: str
    section: str
    report: str
    key: str = ""

    @property
    def wrote(self) -> str:
        """How to recognise its folder, for messages."""
        return f'{self.manifest} with a "{self.key}"' if self.key else self.manifest
