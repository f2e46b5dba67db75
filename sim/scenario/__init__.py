"""Scenarios: the parameter schema, scenario files, and the errors a policy analyst sees.

Modules, bottom to top (imports only point down):

- ``merge``: ``deep_merge`` of nested mappings (a child file over its parent).
- ``distributions``: the validated delay and share distributions.
- ``errors``: ``Problem``, ``ScenarioError``, and pydantic errors in plain English.
- ``files``: reading a YAML file safely and resolving its ``extends`` chain.
- ``calibration``: the calibrated values in ``calibration.yaml``, checked at import.
- ``fields``: how a parameter is declared: its type in code, its default, unit and provenance
  in ``parameters.yaml`` (``@section``).
- ``categories``: the category vocabularies (``CASE_TYPES``, ...) and the tables keyed by them.
- ``sections``: the scenario's sections, every parameter with its type.
- ``schema``: ``Scenario``, its changes from a given day; the calibrated paths.
- ``loading``: ``load_scenario``, ``load_scenarios``, ``scenario_to_yaml``.
- ``describe``: the parameter table with provenance.

Other packages import the public names from here.
"""

from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.files import IDENTITY_KEYS
from sim.scenario.loading import load_scenario, load_scenarios, scenario_to_yaml
from sim.scenario.merge import deep_merge
from sim.scenario.schema import (
    BARRIERS,
    CALIBRATED_PATHS,
    CASE_TYPES,
    CONTACT_CHANNELS,
    QUALITIES,
    REPORT_CHANNELS,
    Scenario,
)

__all__ = [
    "BARRIERS",
    "CALIBRATED_PATHS",
    "CASE_TYPES",
    "CONTACT_CHANNELS",
    "IDENTITY_KEYS",
    "QUALITIES",
    "REPORT_CHANNELS",
    "Problem",
    "Scenario",
    "ScenarioError",
    "deep_merge",
    "load_scenario",
    "load_scenarios",
    "scenario_to_yaml",
]
