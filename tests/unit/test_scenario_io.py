"""Scenario files: extends resolution, merging, and error messages an analyst can act on."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from sim.scenario import (
    Problem,
    Scenario,
    ScenarioError,
    deep_merge,
    load_scenario,
    load_scenarios,
    scenario_to_yaml,
)
from sim.scenario.distributions import Exponential, Uniform
from sim.scenario.files import load_raw


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value.problems


def only_problem(path: Path) -> Problem:
    problems = problems_of(path)
    assert len(problems) == 1, problems
    return problems[0]


# ----------------------------------------------------------------------------------------------
# Reading files
# ----------------------------------------------------------------------------------------------


def test_minimal_file_is_valid_and_name_defaults_to_stem(tmp_path: Path) -> None:
    assert load_scenario(write(tmp_path, "t.yaml", "name: t\n")).name == "t"
    assert load_scenario(write(tmp_path, "my_policy.yaml", "title: T\n")) == Scenario(
        name="my_policy", title="T"
    )


def test_yaml_syntax_error_names_file_line_and_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "contact:\n  agents: 3\n max_attempts: 2\n")
    p = only_problem(path)
    assert p.file == str(path)
    assert "YAML syntax error at line 3, column 2" in p.message
    assert "bad.yaml: YAML syntax error" in str(ScenarioError([p]))


def test_duplicate_key_is_an_error_not_silently_dropped(tmp_path: Path) -> None:
    p = only_problem(write(tmp_path, "dup.yaml", "contact: {agents: 1}\ncontact: {agents: 2}\n"))
    assert "line 2: duplicate key 'contact'" in p.message


def test_missing_file_lists_yaml_files_in_directory(tmp_path: Path) -> None:
    write(tmp_path, "baseline.yaml", "")
    write(tmp_path, "digital.yaml", "")
    p = only_problem(tmp_path / "nothing.yaml")
    assert p.file.endswith("nothing.yaml") and p.message == "file not found"
    assert "baseline.yaml, digital.yaml" in (p.allowed or "")
    assert "did you mean digital.yaml?" in (only_problem(tmp_path / "digitl.yaml").allowed or "")


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    p = only_problem(write(tmp_path, "list.yaml", "- a\n- b\n"))
    assert "top level must be a mapping" in p.message and "(list)" in p.message


# ----------------------------------------------------------------------------------------------
# Validation messages
# ----------------------------------------------------------------------------------------------


def test_unknown_key_suggests_the_close_one(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yaml", "reporting:\n  chanel_mix: {in_person: 1, telephone: 0, digital: 0}\n")
    p = only_problem(path)
    assert (p.path, p.allowed) == ("reporting.chanel_mix", "did you mean 'channel_mix'?")
    assert "unknown key 'chanel_mix'" in p.message


def test_unknown_key_without_close_match_lists_allowed_keys(tmp_path: Path) -> None:
    p = only_problem(write(tmp_path, "x.yaml", "detention: {zzz: 1}\n"))
    assert p.path == "detention.zzz"
    assert p.allowed is not None and "beds" in p.allowed and "max_removal_attempts" in p.allowed


def test_wrong_type_shows_value_and_expected_type(tmp_path: Path) -> None:
    p = only_problem(write(tmp_path, "x.yaml", "horizon_days: abc\n"))
    assert (p.path, p.message, p.allowed) == (
        "horizon_days",
        "got 'abc' (str)",
        "expected a number (unit: days)",
    )


def test_empty_group_says_it_has_no_value(tmp_path: Path) -> None:
    p = only_problem(write(tmp_path, "x.yaml", "contact:\n  # agents: 3\n"))
    assert (p.path, p.message, p.allowed) == (
        "contact",
        "got nothing (the key has no value)",
        "expected a mapping of keys",
    )


def test_probability_outside_unit_interval(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yaml", "reporting: {miss_probability: {digital: 1.5}}\n")
    p = only_problem(path)  # the other channels come from the defaults, not reported missing
    assert str(p) == f"{path}: reporting.miss_probability.digital: got 1.5; must be a probability in [0, 1]"


def test_negative_capacity(tmp_path: Path) -> None:
    p = only_problem(write(tmp_path, "x.yaml", "contact: {agents: -1}\n"))
    assert (p.path, p.message, p.allowed) == ("contact.agents", "got -1", "must be >= 0")


def test_uniform_with_high_below_low(tmp_path: Path) -> None:
    p = only_problem(write(tmp_path, "x.yaml", "contact: {call_minutes: {dist: uniform, low: 5, high: 2}}\n"))
    assert p.path == "contact.call_minutes"  # the union tag 'uniform' is dropped from the path
    assert "high (2.0) must be >= low (5.0)" in p.message and "low: 5, high: 2" in p.message


def test_unknown_distribution_lists_allowed_families(tmp_path: Path) -> None:
    p = only_problem(write(tmp_path, "x.yaml", "contact: {call_minutes: {dist: weibull, mean: 3}}\n"))
    assert p.path == "contact.call_minutes" and "'weibull'" in p.message
    assert p.allowed == "dist must be one of: fixed, exponential, uniform, triangular, gamma, lognormal"


def test_distribution_parameter_path_drops_tag(tmp_path: Path) -> None:
    p = only_problem(write(tmp_path, "x.yaml", "contact: {call_minutes: {dist: exponential, mean: -2}}\n"))
    assert (p.path, p.message, p.allowed) == ("contact.call_minutes.mean", "got -2", "must be > 0")


def test_shares_not_summing_to_one(tmp_path: Path) -> None:
    text = "cohort: {case_type: {failed_asylum: 0.5, overstayer: 0.6, foreign_offender: 0, family: 0}}\n"
    p = only_problem(write(tmp_path, "x.yaml", text))
    assert p.path == "cohort.case_type"
    assert "shares must sum to 1, got 1.1" in p.message and "overstayer=0.6" in p.message


def test_error_text_has_no_traceback_and_one_line_per_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yaml", "horizon_days: -1\ncontact: {agents: -1}\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    lines = str(info.value).splitlines()
    assert lines[0] == "2 problems in scenario files:" and len(lines) == 3
    assert "Traceback" not in str(info.value) and "pydantic" not in str(info.value)


# ----------------------------------------------------------------------------------------------
# extends
# ----------------------------------------------------------------------------------------------


def test_extends_cycle_names_the_chain(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "extends: b.yaml\n")
    write(tmp_path, "b.yaml", "extends: a.yaml\n")
    p = only_problem(tmp_path / "a.yaml")
    assert p.path == "extends" and "a.yaml -> b.yaml -> a.yaml" in p.message


def test_self_extends_is_a_cycle(tmp_path: Path) -> None:
    p = only_problem(write(tmp_path, "a.yaml", "extends: a.yaml\n"))
    assert "a.yaml -> a.yaml" in p.message


def test_extends_target_missing(tmp_path: Path) -> None:
    path = write(tmp_path, "child.yaml", "extends: baseline.yaml\n")
    p = only_problem(path)
    assert (p.file, p.path) == (str(path), "extends")
    assert "baseline.yaml not found" in p.message and "child.yaml" in (p.allowed or "")


def test_extends_merges_child_over_parent_relative_to_file(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    write(tmp_path, "baseline.yaml", "title: Baseline\ncontact: {agents: 10, max_attempts: 4}\n")
    child = write(
        tmp_path / "policies", "more_agents.yaml", "extends: ../baseline.yaml\ncontact: {agents: 20}\n"
    )
    raw = load_raw(child)
    assert raw == {"name": "more_agents", "contact": {"agents": 20, "max_attempts": 4}}
    scenario = load_scenario(child)
    assert (scenario.contact.agents, scenario.contact.max_attempts, scenario.title) == (20, 4, "")


def test_identity_keys_are_not_inherited(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", "name: base\ntitle: Baseline\ndescription: the status quo\n")
    child = load_raw(write(tmp_path, "child.yaml", "extends: base.yaml\n"))
    assert child == {"name": "child"}


def test_duplicate_names_across_files_are_rejected(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", "name: same\n")
    b = write(tmp_path, "b.yaml", "name: same\n")
    c = write(tmp_path, "c.yaml", "horizon_days: 0\n")
    with pytest.raises(ScenarioError) as info:
        load_scenarios([a, b, c])
    files = [(p.file, p.path) for p in info.value.problems]
    assert files == [(str(b), "name"), (str(c), "horizon_days")]
    assert str(a) in info.value.problems[0].message


# ----------------------------------------------------------------------------------------------
# deep_merge and output
# ----------------------------------------------------------------------------------------------


def test_deep_merge_keeps_sibling_keys_and_replaces_lists() -> None:
    base = {"a": {"x": 1, "y": {"p": 1, "q": 2}}, "l": [1, 2]}
    merged = deep_merge(base, {"a": {"y": {"q": 3}}, "l": [9]})
    assert merged == {"a": {"x": 1, "y": {"p": 1, "q": 3}}, "l": [9]}


def test_deep_merge_replaces_distribution_when_dist_changes() -> None:
    base = {"d": {"dist": "exponential", "mean": 14}}
    assert deep_merge(base, {"d": {"dist": "uniform", "low": 1, "high": 2}}) == {
        "d": {"dist": "uniform", "low": 1, "high": 2}
    }
    assert deep_merge(base, {"d": {"mean": 7}}) == {"d": {"dist": "exponential", "mean": 7}}
    assert deep_merge(base, {"d": {"dist": "exponential", "mean": 7}}) == {
        "d": {"dist": "exponential", "mean": 7}
    }


def test_distribution_change_through_extends(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", "contact: {call_minutes: {dist: exponential, mean: 9}}\n")
    child = write(
        tmp_path, "c.yaml", "extends: base.yaml\ncontact: {call_minutes: {dist: uniform, low: 1, high: 2}}\n"
    )
    assert load_scenario(child).contact.call_minutes == Uniform(low=1, high=2)
    tweak = write(tmp_path, "d.yaml", "extends: base.yaml\ncontact: {call_minutes: {mean: 4}}\n")
    assert load_scenario(tweak).contact.call_minutes == Exponential(mean=4)


def test_deep_merge_does_not_mutate_or_alias_inputs() -> None:
    base = {"a": {"x": [1]}, "b": 1}
    override = {"a": {"y": [2]}, "c": {"z": 3}}
    before = copy.deepcopy((base, override))
    merged = deep_merge(base, override)
    merged["a"]["x"].append(99)
    merged["a"]["y"].append(99)
    merged["c"]["z"] = 0
    assert (base, override) == before


def test_scenario_to_yaml_round_trips(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, "p.yaml", "title: P\ncontact: {agents: 7}\n"))
    text = scenario_to_yaml(scenario)
    assert yaml.safe_load(text)["contact"]["agents"] == 7
    assert load_scenario(write(tmp_path, "manifest.yaml", text)) == scenario
