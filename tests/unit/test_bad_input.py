"""Bad scenario input that used to slip through, or to end in a traceback, is a clear ScenarioError.

Each case is checked twice: in the library (a ``ScenarioError`` whose ``Problem`` names the right
file and field path, says what is wrong and what is allowed) and through the command line
(``validate``, ``run`` and ``describe`` exit with code 2, print the message on stderr, no traceback,
and no output folder is created).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import run_cli
from pydantic import BaseModel

from sim import cli
from sim.scenario import Problem, Scenario, ScenarioError, load_scenario, load_scenarios
from sim.scenario.errors import model_of, union_members
from sim.scenario.files import MINIMAL_FILE

SMALL = ["--horizon", "120", "--cohort-size", "300", "-n", "1", "-q", "--no-plots"]
"""Run options that keep a run to milliseconds if a bad file were (wrongly) accepted: a test fails
on the exit code instead of hanging on, say, an infinite horizon."""

LATIN1 = "extends: baseline.yaml\ndescription: Seed 002 §4.2 figures\n".encode("cp1252")


def write(directory: Path, name: str, content: str | bytes) -> Path:
    path = directory / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert "Traceback" not in str(info.value)
    return info.value.problems


def only_problem(path: Path) -> Problem:
    problems = problems_of(path)
    assert len(problems) == 1, problems
    return problems[0]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A scenario folder with a valid baseline to extend."""
    d = tmp_path / "scenarios"
    d.mkdir()
    write(d, "baseline.yaml", "title: Baseline\nhorizon_days: 548\n")
    return d


# ----------------------------------------------------------------------------------------------
# Non-finite numbers
# ----------------------------------------------------------------------------------------------

NON_FINITE = {
    "horizon": ("horizon_days: .inf\n", "horizon_days", "inf"),
    "negative_inf_share": (
        "cohort: {already_departed_share: -.inf}\n",
        "cohort.already_departed_share",
        "-inf",
    ),
    "nan_probability": ("departure: {assisted_share: .nan}\n", "departure.assisted_share", "nan"),
    "inf_capacity": ("contact: {agents: .inf}\n", "contact.agents", "inf"),
    "inf_cost": ("costs: {removal: .inf}\n", "costs.removal", "inf"),
    "inf_in_mix": (
        "reporting: {interval_days: {digital: .inf}}\n",
        "reporting.interval_days.digital",
        "inf",
    ),
    "nan_distribution_mean": (
        "contact: {call_minutes: {dist: exponential, mean: .nan}}\n",
        "contact.call_minutes.mean",
        "nan",
    ),
    "inf_gamma_cv": ("departure: {delay_days: {cv: .inf}}\n", "departure.delay_days.cv", "inf"),
    "inf_uniform_high": (
        "correspondence: {delivery_days: {high: .inf}}\n",
        "correspondence.delivery_days.high",
        "inf",
    ),
    "nan_beta": ("cohort: {compliance: {dist: beta, a: .nan, b: 2}}\n", "cohort.compliance.a", "nan"),
    "quoted_inf": ("horizon_days: 'inf'\n", "horizon_days", "'inf'"),
    "overflowing_exponent": ("horizon_days: 1.0e+999\n", "horizon_days", "inf"),
}


@pytest.mark.parametrize("case", sorted(NON_FINITE))
def test_non_finite_number_is_rejected(case: str, folder: Path) -> None:
    text, path, shown = NON_FINITE[case]
    file = write(folder, f"{case}.yaml", "extends: baseline.yaml\n" + text)
    p = only_problem(file)
    assert (p.file, p.path, p.message, p.allowed) == (
        str(file),
        path,
        f"got {shown}",
        "must be a finite number",
    )


def test_infinite_horizon_message(folder: Path) -> None:
    file = write(folder, "forever.yaml", "extends: baseline.yaml\nhorizon_days: .inf\n")
    assert str(only_problem(file)) == f"{file}: horizon_days: got inf; must be a finite number"


def _models(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[type[BaseModel]]:
    """Every model reachable from ``model``: nested groups and every distribution family."""
    if model in seen:
        return seen
    seen.add(model)
    for field in model.model_fields.values():
        for sub in [model_of(field), *union_members(field).values()]:
            if sub is not None:
                _models(sub, seen)
    return seen


def test_every_model_in_the_schema_rejects_non_finite_numbers() -> None:
    models = _models(Scenario, set())
    assert len(models) > 30  # groups, mixes and distribution families
    allowing = sorted(m.__name__ for m in models if m.model_config.get("allow_inf_nan", True))
    assert not allowing, f"models accepting inf/nan (set allow_inf_nan=False): {allowing}"


# ----------------------------------------------------------------------------------------------
# Files that are not UTF-8 text
# ----------------------------------------------------------------------------------------------


def test_latin1_file_names_byte_line_and_fix(folder: Path) -> None:
    file = write(folder, "latin.yaml", LATIN1)
    p = only_problem(file)
    assert (p.file, p.path) == (str(file), "")
    assert p.message.startswith("not UTF-8 text: byte 0xa7 at line 2, column 23 (byte offset 45)")
    assert "'§'" in p.message  # what the byte probably was
    assert p.allowed is not None and p.allowed.startswith("save the file as UTF-8 text")


def test_utf16_file_is_named_as_such(folder: Path) -> None:
    file = write(folder, "wide.yaml", "extends: baseline.yaml\n".encode("utf-16"))
    p = only_problem(file)
    assert "not UTF-8 text: byte 0xff at line 1, column 1 (byte offset 0)" in p.message
    assert "UTF-16" in p.message


def test_binary_file_is_not_a_text_file(folder: Path) -> None:
    file = write(folder, "policy.yaml", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb5U")
    p = only_problem(file)
    assert "not UTF-8 text" in p.message and "not a text file" in p.message


def test_utf8_with_byte_order_mark_is_read(folder: Path) -> None:
    file = write(folder, "bom.yaml", b"\xef\xbb\xbfextends: baseline.yaml\ntitle: BOM\n")
    assert load_scenario(file).title == "BOM"


def test_non_utf8_parent_is_reported_on_the_parent(folder: Path) -> None:
    write(folder, "latin.yaml", LATIN1)
    child = write(folder, "child.yaml", "extends: latin.yaml\ntitle: Child\n")
    p = only_problem(child)
    assert p.file == str(folder / "latin.yaml")
    assert "not UTF-8 text" in p.message and f"extended by {child}" in p.message


# ----------------------------------------------------------------------------------------------
# Empty files
# ----------------------------------------------------------------------------------------------

EMPTY = {
    "empty": ("", "the file is empty"),
    "blank_lines": ("\n  \n\n", "the file is empty"),
    "comments": ("# my policy\n# extends: baseline.yaml\n", "the file has only comments, no keys"),
    "document_marker": ("---\n# nothing yet\n", "the file has only comments, no keys"),
    "empty_mapping": ("{}\n", "the file has no keys (its top level is {})"),
    "null": ("null\n", "the file has no keys (its top level is null)"),
}


@pytest.mark.parametrize("case", sorted(EMPTY))
def test_empty_file_says_what_a_minimal_file_looks_like(case: str, folder: Path) -> None:
    text, message = EMPTY[case]
    file = write(folder, f"{case}.yaml", text)
    p = only_problem(file)
    assert (p.file, p.path, p.message, p.allowed) == (str(file), "", message, MINIMAL_FILE)
    assert "extends: baseline.yaml" in str(p)


def test_empty_parent_is_an_error_too(folder: Path) -> None:
    write(folder, "empty.yaml", "")
    child = write(folder, "child.yaml", "extends: empty.yaml\ncontact: {agents: 3}\n")
    p = only_problem(child)
    assert (p.file, p.message) == (
        str(folder / "empty.yaml"),
        f"the file is empty (this file is extended by {child})",
    )


def test_a_file_of_only_extends_is_a_valid_copy(folder: Path) -> None:
    """Not empty: it deliberately restates its parent under a new name."""
    copy = load_scenario(write(folder, "copy.yaml", "extends: baseline.yaml\n"))
    assert copy.name == "copy" and copy.horizon_days == 548


# ----------------------------------------------------------------------------------------------
# Other silent or unfriendly cases
# ----------------------------------------------------------------------------------------------


def test_directory_given_as_scenario(folder: Path) -> None:
    p = only_problem(folder)
    assert (p.file, p.path, p.message) == (str(folder), "", "is a directory, not a scenario file")
    assert p.allowed is not None and "baseline.yaml" in p.allowed


def test_directory_given_as_parent(folder: Path) -> None:
    (folder / "policies").mkdir()
    child = write(folder, "child.yaml", "extends: policies\n")
    p = only_problem(child)
    assert (p.file, p.path) == (str(child), "extends")
    assert p.message == f"parent {folder / 'policies'} is a directory, not a scenario file"


def test_yaml_list_at_top_level(folder: Path) -> None:
    p = only_problem(write(folder, "list.yaml", "- extends: baseline.yaml\n- contact: {agents: 3}\n"))
    assert "the top level must be a mapping of keys" in p.message and "(list)" in p.message
    assert p.allowed is not None and "not a list" in p.allowed


def test_plain_text_at_top_level(folder: Path) -> None:
    p = only_problem(write(folder, "words.yaml", "more agents please\n"))
    assert p.message == "the top level must be a mapping of keys, got 'more agents please' (str)"


def test_misspelt_distribution_family_suggests_the_right_one(folder: Path) -> None:
    file = write(folder, "d.yaml", "contact: {call_minutes: {dist: exponental, mean: 3}}\n")
    p = only_problem(file)
    assert (p.path, p.message) == ("contact.call_minutes", "unknown distribution dist: 'exponental'")
    assert p.allowed is not None and p.allowed.startswith("did you mean 'exponential'? dist must be one of:")


def test_misspelt_dist_key_suggests_dist(folder: Path) -> None:
    p = only_problem(write(folder, "d.yaml", "contact: {call_minutes: {dsit: uniform, mean: 3}}\n"))
    assert (p.path, p.allowed) == ("contact.call_minutes.dsit", "did you mean 'dist'?")


def test_number_where_a_distribution_is_expected(folder: Path) -> None:
    p = only_problem(write(folder, "d.yaml", "contact: {call_minutes: 8}\n"))
    assert (p.path, p.message) == ("contact.call_minutes", "got 8 (int)")
    assert p.allowed == "expected a distribution mapping like {dist: exponential, mean: 14}"


@pytest.mark.parametrize("word", ["yes", "on", "true", "No"])
def test_yes_no_for_a_number_is_not_silently_one_or_zero(word: str, folder: Path) -> None:
    p = only_problem(write(folder, "y.yaml", f"enforcement: {{pre_arrest_check: {word}}}\n"))
    assert p.path == "enforcement.pre_arrest_check"
    assert p.message.startswith(f"got {'false' if word == 'No' else 'true'} (YAML reads an unquoted yes/no")
    assert p.allowed == "expected a number (write 1 or 0 if that is what you meant)"


def test_yes_no_for_text_says_to_quote_it(folder: Path) -> None:
    p = only_problem(write(folder, "y.yaml", "title: No\n"))
    assert (p.path, p.allowed) == ("title", "for text, put it in quotes: title: 'No'")
    assert load_scenario(write(folder, "q.yaml", "title: 'No'\n")).title == "No"


def test_yes_no_in_a_distribution_parameter(folder: Path) -> None:
    p = only_problem(write(folder, "y.yaml", "contact: {call_minutes: {dist: fixed, value: yes}}\n"))
    assert p.path == "contact.call_minutes.value"


def test_percentages(folder: Path) -> None:
    text = "reporting:\n  miss_probability: {digital: 18}\n  channel_mix: {digital: 25%}\n"
    problems = {p.path: p for p in problems_of(write(folder, "pct.yaml", text))}
    assert problems["reporting.miss_probability.digital"].allowed == (
        "must be a probability in [0, 1] (a percentage? write 18% as 0.18)"
    )
    assert "write a percentage as a fraction, e.g. 25% as 0.25" in (
        problems["reporting.channel_mix.digital"].allowed or ""
    )


def test_tab_indentation(folder: Path) -> None:
    p = only_problem(write(folder, "tab.yaml", "contact:\n\tagents: 3\n"))
    assert "line 2, column 1" in p.message and p.allowed == "indent with spaces, not tabs"


def test_control_character(folder: Path) -> None:
    p = only_problem(write(folder, "nul.yaml", "title: a\x00b\n"))
    assert p.message == "control character #x0000 at line 1, column 9 is not allowed in YAML"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(folder: Path) -> None:
    file = write(folder, "secret.yaml", "title: x\n")
    file.chmod(0)
    try:
        p = only_problem(file)
    finally:
        file.chmod(0o644)
    assert p.message == "cannot read file (permission denied)"


def test_problems_of_several_files_are_all_reported(folder: Path) -> None:
    empty = write(folder, "empty.yaml", "")
    latin = write(folder, "latin.yaml", LATIN1)
    forever = write(folder, "forever.yaml", "horizon_days: .inf\n")
    with pytest.raises(ScenarioError) as info:
        load_scenarios([folder / "baseline.yaml", empty, latin, forever, folder])
    assert [p.file for p in info.value.problems] == [str(empty), str(latin), str(forever), str(folder)]


# ----------------------------------------------------------------------------------------------
# Through the command line: exit code 2, message on stderr, no traceback, nothing written
# ----------------------------------------------------------------------------------------------

CLI_CASES: dict[str, tuple[str | bytes, str]] = {
    "infinite_horizon": (
        "extends: baseline.yaml\nhorizon_days: .inf\n",
        "horizon_days: got inf; must be a finite number",
    ),
    "nan_delay": (
        "extends: baseline.yaml\ncontact: {call_minutes: {mean: .nan}}\n",
        "contact.call_minutes.mean: got nan; must be a finite number",
    ),
    "latin1": (LATIN1, "not UTF-8 text: byte 0xa7 at line 2"),
    "utf16": ("title: wide\n".encode("utf-16"), "UTF-16"),
    "empty": ("", "the file is empty; a minimal scenario file is 'extends: baseline.yaml'"),
    "only_comments": ("# TODO\n", "the file has only comments, no keys"),
    "list": ("- a\n- b\n", "the top level must be a mapping of keys"),
    "dist_typo": ("contact: {call_minutes: {dist: exponental, mean: 3}}\n", "did you mean 'exponential'?"),
    "yes_for_number": ("enforcement: {pre_arrest_check: yes}\n", "enforcement.pre_arrest_check: got true"),
    "latin1_parent": ("extends: latin1_parent_of.yaml\n", "extended by"),
}


def _cli_file(case: str, folder: Path) -> Path:
    content, _ = CLI_CASES[case]
    if case == "latin1_parent":
        write(folder, "latin1_parent_of.yaml", LATIN1)
    return write(folder, f"{case}.yaml", content)


@pytest.mark.parametrize("command", ["validate", "run", "describe"])
@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_cli_exits_2_with_the_message(
    case: str, command: str, folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _cli_file(case, folder)
    out = tmp_path / "out"
    args = {"validate": [str(bad)], "run": [str(bad), "--out", str(out), *SMALL], "describe": [str(bad)]}
    assert cli.main([command, *args[command]]) == 2
    captured = capsys.readouterr()
    assert CLI_CASES[case][1] in captured.err
    assert bad.name in captured.err or "latin1_parent_of.yaml" in captured.err
    assert "Traceback" not in captured.err and captured.out == ""
    assert not out.exists()


def test_cli_directory_argument(folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert cli.main(["run", str(folder), "--out", str(out), *SMALL]) == 2
    assert f"{folder}: is a directory, not a scenario file" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("case", ["infinite_horizon", "latin1", "empty"])
def test_run_sim_exits_2_without_traceback(case: str, command: str, folder: Path, tmp_path: Path) -> None:
    """As users see it: a fresh interpreter, its exit code and stderr."""
    bad = _cli_file(case, folder)
    out = tmp_path / "out"
    extra = ["--out", str(out), *SMALL] if command == "run" else []
    result = run_cli(command, bad, *extra)
    assert result.returncode == 2, result.stderr
    assert CLI_CASES[case][1] in result.stderr and str(bad) in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_misspelt_extends_suggests_extends(folder: Path) -> None:
    p = only_problem(write(folder, "e.yaml", "extend: baseline.yaml\n"))
    assert (p.path, p.allowed) == ("extend", "did you mean 'extends'?")


def test_byte_offset_counts_a_byte_order_mark(folder: Path) -> None:
    p = only_problem(write(folder, "bom_latin.yaml", b"\xef\xbb\xbftitle: \xa7\n"))
    assert "byte 0xa7 at line 1, column 11 (byte offset 10)" in p.message
