"""Loading scenario files into validated ``Scenario`` objects, and writing one back as YAML.

Loading a file goes:

1. ``sim.scenario.files`` reads it and its ``extends`` chain safely and merges the chain.
2. ``load_scenario`` merges the result onto the schema defaults (calibrated values included) and
   validates it with pydantic.
3. Every problem found on the way becomes a ``Problem`` (file, dotted path, what was wrong, what is
   allowed; ``sim.scenario.errors``) and is raised as one ``ScenarioError``, whose text the CLI
   prints as-is (no traceback).

The names other packages imported from here before the split (``ScenarioError``, ``Problem``,
``IDENTITY_KEYS``, ``deep_merge``, ``load_raw``) are still importable from this module; new code
should import them from ``sim.scenario``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import yaml
from pydantic import ValidationError

from sim.scenario.errors import Problem, ScenarioError, validation_problems, yes_no_problems
from sim.scenario.files import IDENTITY_KEYS, load_raw
from sim.scenario.merge import deep_merge
from sim.scenario.schema import Scenario


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """A validated scenario from a file: ``load_raw``, merged onto the schema defaults, validated.

    Merging onto the defaults (rather than validating the file's mapping directly) is what lets a
    file override one key of a group: pydantic alone would reject ``miss_probability: {digital:
    0.2}`` for missing ``in_person``/``telephone``, since those groups have no per-key defaults.
    """
    file = str(path)
    raw = load_raw(path)
    defaults = Scenario.model_validate({"name": "defaults"}).model_dump()
    merged = deep_merge(defaults, raw)
    yes_no = yes_no_problems(file, merged, Scenario)
    try:
        scenario = Scenario.model_validate(merged)
    except ValidationError as exc:
        flagged = {p.path for p in yes_no}
        others = [p for p in validation_problems(file, exc, Scenario, ("extends",)) if p.path not in flagged]
        raise ScenarioError(yes_no + others) from None
    if yes_no:
        raise ScenarioError(yes_no)
    return scenario


def load_scenarios(paths: Iterable[str | os.PathLike[str]]) -> list[Scenario]:
    """Every file's scenario, or one ScenarioError with the problems of all files.

    Also rejects two files with the same ``name``: outputs are written per name and would collide.
    """
    scenarios: list[Scenario] = []
    problems: list[Problem] = []
    first_file: dict[str, str] = {}
    for path in paths:
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        if scenario.name in first_file:
            problems.append(
                Problem(
                    str(path),
                    "name",
                    f"{scenario.name!r} is also the name of {first_file[scenario.name]}",
                    "give each scenario a unique name (outputs are stored by name); "
                    "the name defaults to the file name without .yaml",
                )
            )
        else:
            first_file[scenario.name] = str(path)
        scenarios.append(scenario)
    if problems:
        raise ScenarioError(problems)
    return scenarios


def scenario_to_yaml(scenario: Scenario) -> str:
    """The fully resolved scenario as YAML (every parameter, defaults included), for run manifests.

    Loading the text back gives an equal scenario, so a manifest reproduces its run even after the
    calibration file changes.
    """
    return yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


__all__ = [
    "IDENTITY_KEYS",
    "Problem",
    "ScenarioError",
    "deep_merge",
    "load_raw",
    "load_scenario",
    "load_scenarios",
    "scenario_to_yaml",
]
