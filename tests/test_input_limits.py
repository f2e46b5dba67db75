"""Issue 19, part B: the adversarial corpus of input limits, YAML surprises and late crashes.

Every case is a scenario file a new user could write (or be sent). Each must be refused when the
file is read or validated, before anything runs: exit code 2, a message naming the file and the
field (or line), no traceback, and no output folder. Cases that used to hang or exhaust memory
(``extends: /dev/zero``, a FIFO, an alias bomb) run in a subprocess with a timeout, so a
regression fails the test instead of the machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from sim import cli
from sim.experiment import output
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.files import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES
from sim.scenario.schema import MAX_NAME_LENGTH, MAX_TITLE_LENGTH

REPO = Path(__file__).resolve().parents[1]
RUN_SIM = REPO / "run_sim.py"
BASELINE = REPO / "scenarios" / "baseline.yaml"
SMALL = ["--horizon", "60", "--cohort-size", "200", "-n", "2", "-q"]
"""Run options that keep a run to seconds if a bad file were (wrongly) accepted."""

BOMB = """\
a: &a {a: 1, b: 1, c: 1, d: 1, e: 1, f: 1, g: 1, h: 1, i: 1}
b: &b {a: *a, b: *a, c: *a, d: *a, e: *a, f: *a, g: *a, h: *a, i: *a}
c: &c {a: *b, b: *b, c: *b, d: *b, e: *b, f: *b, g: *b, h: *b, i: *b}
d: &d {a: *c, b: *c, c: *c, d: *c, e: *c, f: *c, g: *c, h: *c, i: *c}
e: &e {a: *d, b: *d, c: *d, d: *d, e: *d, f: *d, g: *d, h: *d, i: *d}
f: &f {a: *e, b: *e, c: *e, d: *e, e: *e, f: *e, g: *e, h: *e, i: *e}
g: &g {a: *f, b: *f, c: *f, d: *f, e: *f, f: *f, g: *f, h: *f, i: *f}
h: &h {a: *g, b: *g, c: *g, d: *g, e: *g, f: *g, g: *g, h: *g, i: *g}
"""
"""Eight lines that expand to 9**8 (43 million) values; under ``detention:`` of a change they took
35 s and 3.8 GB before a traceback."""


def indent(text: str, spaces: int) -> str:
    return "".join(" " * spaces + line + "\n" for line in text.splitlines())


def scenario(tmp_path: Path, body: str, name: str = "bad.yaml") -> Path:
    """A scenario file extending the real baseline, with ``body`` added."""
    path = tmp_path / name
    path.write_text(f"extends: {BASELINE}\n{body}", encoding="utf-8")
    return path


def refused(
    capsys: pytest.CaptureFixture[str], args: list[str], *expected: str, out: Path | None = None
) -> str:
    """Run the command line in-process; assert exit 2, every ``expected`` text on stderr, nothing on
    stdout, no traceback and (for a run) no output folder. The stderr text."""
    assert cli.main(args) == 2
    captured = capsys.readouterr()
    for text in expected:
        assert text in captured.err, captured.err
    assert captured.out == "" and "Traceback" not in captured.err
    if out is not None:
        assert not out.exists()
    return captured.err


def run_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], file: Path, *expected: str) -> None:
    """``validate`` and ``run`` both refuse ``file`` with ``expected`` (and the file) on stderr."""
    refused(capsys, ["validate", str(file)], str(file), *expected)
    out = tmp_path / "out"
    refused(capsys, ["run", str(file), "--out", str(out), *SMALL], str(file), *expected, out=out)


def subprocess_refused(args: list[str], *expected: str, timeout: float = 60) -> str:
    """The command line in a fresh process that must end (exit 2) within ``timeout`` seconds."""
    result = subprocess.run(
        [sys.executable, str(RUN_SIM), *args], capture_output=True, text=True, timeout=timeout, cwd=REPO
    )
    assert result.returncode == 2, result.stderr
    for text in expected:
        assert text in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


# ----------------------------------------------------------------------------------------------
# Files that are not files, or too big
# ----------------------------------------------------------------------------------------------


def test_extends_dev_zero_is_refused_without_reading_it(tmp_path: Path) -> None:
    bad = tmp_path / "zero.yaml"
    bad.write_text("extends: /dev/zero\n", encoding="utf-8")
    subprocess_refused(["validate", str(bad)], f"{bad}: extends: parent /dev/zero is a device")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    parent = tmp_path / "child.yaml"
    parent.write_text("extends: pipe.yaml\n", encoding="utf-8")
    subprocess_refused(["validate", str(parent)], f"{parent}: extends: parent", "is a named pipe (FIFO)")
    out = tmp_path / "out"
    subprocess_refused(["run", str(fifo), "--out", str(out), *SMALL], f"{fifo}: is a named pipe (FIFO)")
    assert not out.exists()


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    big = scenario(tmp_path, "# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    run_refused(tmp_path, capsys, big, f"a YAML file read here may be at most {MAX_FILE_BYTES:,} bytes")


# ----------------------------------------------------------------------------------------------
# Alias bombs and deep nesting, at every depth
# ----------------------------------------------------------------------------------------------

BOMB_PLACES = {
    "top level": "x:\n" + indent(BOMB, 2),
    "changes[].set": "changes:\n  - from_day: 100\n    set:\n      detention:\n" + indent(BOMB, 8),
    "uncertainty": "uncertainty:\n" + indent(BOMB, 2),
}


@pytest.mark.parametrize("place", BOMB_PLACES)
def test_an_alias_bomb_is_refused_in_under_a_second(
    place: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = scenario(tmp_path, BOMB_PLACES[place])
    started = time.perf_counter()
    with pytest.raises(ScenarioError) as info:
        load_scenario(bad)
    assert time.perf_counter() - started < 1.0
    assert f"holds more than {MAX_NODES:,} values" in str(info.value)
    run_refused(tmp_path, capsys, bad, "holds more than", "aliases")


def test_an_alias_bomb_in_a_change_ends_within_seconds_in_a_fresh_process(tmp_path: Path) -> None:
    bad = scenario(tmp_path, BOMB_PLACES["changes[].set"])
    subprocess_refused(["validate", str(bad)], str(bad), "holds more than", timeout=30)


def test_an_alias_that_contains_itself_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = scenario(tmp_path, "detention: &d {beds: 40, x: *d}\n")
    run_refused(tmp_path, capsys, bad, "refers to a mapping or list that contains it")


@pytest.mark.parametrize("style", ["flow", "block"])
def test_nesting_1000_levels_deep_is_refused(
    style: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if style == "flow":
        body = "x: " + "[" * 1000 + "]" * 1000 + "\n"
    else:
        body = "x:\n" + "".join(" " * (i + 1) + "k:\n" for i in range(1000))
    bad = scenario(tmp_path, body)
    run_refused(tmp_path, capsys, bad, f"nested more than {MAX_DEPTH} levels deep")


def test_nesting_through_aliases_counts_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each anchor nests the previous one ten levels further down: no line is deep, the tree is."""

    def nest(inner: str) -> str:
        return "{k: " * 10 + inner + "}" * 10

    deep = "a: &a " + nest("1") + "\n"
    for name, previous in zip("bcd", "abc", strict=True):
        deep += f"{name}: &{name} {nest('*' + previous)}\n"
    bad = scenario(tmp_path, "x:\n" + indent(deep, 2))
    run_refused(tmp_path, capsys, bad, f"nested more than {MAX_DEPTH} levels deep")


@pytest.mark.parametrize("body", ["? [a, b]\n: 1\n", "detention: {[a, b]: 1}\n", "detention: {{a: 1}: 1}\n"])
def test_a_list_or_mapping_used_as_a_key_is_refused(
    body: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = scenario(tmp_path, body)
    run_refused(tmp_path, capsys, bad, "is used as a key", "line 2")


# ----------------------------------------------------------------------------------------------
# YAML 1.1 surprises, at every depth
# ----------------------------------------------------------------------------------------------

SURPRISES = {
    "octal": ("detention: {beds: 010}\n", "detention.beds", "010, which YAML reads as 8", "write 10"),
    "octal in a change": (
        "changes:\n  - from_day: 100\n    set: {detention: {beds: 060}}\n",
        "changes[0].set.detention.beds",
        "060, which YAML reads as 48",
        "write 60",
    ),
    "octal in an uncertainty range": (
        "uncertainty: {detention.beds: [020, 80]}\n",
        "uncertainty.detention.beds[0]",
        "020, which YAML reads as 16",
        "write 20",
    ),
    "base 60": ("detention: {beds: 1:30}\n", "detention.beds", "1:30, which YAML reads as 90", "base 60"),
    "base 60 in a change": (
        "changes:\n  - from_day: 100\n    set: {detention: {removal_planning_days: 1:30.5}}\n",
        "changes[0].set.detention.removal_planning_days",
        "which YAML reads as 90.5",
        "quotes ('1:30.5')",
    ),
    "yes in a change": (
        "changes:\n  - from_day: 100\n    set: {detention: {beds: yes}}\n",
        "changes[0].set.detention.beds",
        "got true (YAML reads an unquoted yes/no",
        "expected a number",
    ),
    "on in a change's distribution": (
        "changes:\n  - from_day: 100\n    set: {departure: {delay_days: {mean: on}}}\n",
        "changes[0].set.departure.delay_days.mean",
        "got true",
        "expected a number",
    ),
    "true in an uncertainty range": (
        "uncertainty: {detention.beds: [true, 80]}\n",
        "uncertainty.detention.beds[0]",
        "got true",
        "expected a number",
    ),
    "no in a scale range": (
        "uncertainty: {reporting.miss_probability: [no, 2]}\n",
        "uncertainty.reporting.miss_probability[0]",
        "got false",
        "expected a number",
    ),
}


@pytest.mark.parametrize("case", SURPRISES)
def test_yaml_1_1_surprises_are_refused_with_what_was_read_and_how_to_write_it(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body, path, read_as, how = SURPRISES[case]
    bad = scenario(tmp_path, body)
    run_refused(tmp_path, capsys, bad, f"{bad}: {path}: ", read_as, how)


def test_quoted_or_plain_decimal_values_are_not_surprises(tmp_path: Path) -> None:
    """The guard refuses only what YAML reads as something else than it looks."""
    ok = scenario(
        tmp_path,
        "title: '010'\ndescription: '1:30'\ndetention: {beds: 10}\nuncertainty: {detention.beds: [0, 80]}\n",
    )
    loaded = load_scenario(ok)
    assert (loaded.title, loaded.description, loaded.detention.beds) == ("010", "1:30", 10)


# ----------------------------------------------------------------------------------------------
# Uncertainty ranges that could never run
# ----------------------------------------------------------------------------------------------

RANGES = {
    "below the bounds": ("detention.beds: [-5, 80]", "range [-5, 80]: got -5; must be >= 0"),
    "a fraction for a count": (
        "detention.beds: [20.5, 80]",
        "range [20.5, 80]: got 20.5; expected a whole number",
    ),
    "above a probability": (
        "reporting.miss_probability.digital: [0, 1.5]",
        "got 1.5; must be a probability in [0, 1]",
    ),
    "in the wrong order": ("detention.beds: [80, 20]", "range [80, 20] is in the wrong order"),
    "a scale past a bound": (
        "reporting.miss_probability: [0.5, 30]",
        "at x30, reporting.miss_probability.in_person: got 1.5; must be a probability in [0, 1]",
    ),
    "not a list": ("detention.beds: 5", "expected a list of 2 values, each a number"),
    "three values": ("detention.beds: [1, 2, 3]", "expected a list of 2 values, each a number"),
}


@pytest.mark.parametrize("case", RANGES)
def test_uncertainty_ranges_are_checked_against_the_schema(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entry, message = RANGES[case]
    bad = scenario(tmp_path, f"uncertainty: {{{entry}}}\n")
    run_refused(tmp_path, capsys, bad, "uncertainty.", message)


# ----------------------------------------------------------------------------------------------
# Names and titles that used to crash after the run
# ----------------------------------------------------------------------------------------------


def test_a_long_title_is_refused_before_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = scenario(tmp_path, f"title: {'T' * 240}\n")
    run_refused(tmp_path, capsys, bad, "title: is 240 characters long", f"at most {MAX_TITLE_LENGTH}")
    assert load_scenario(scenario(tmp_path, f"title: {'T' * MAX_TITLE_LENGTH}\n", "ok.yaml")).title


def test_a_long_name_is_refused_before_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = scenario(tmp_path, f"name: {'n' * 260}\n")
    run_refused(tmp_path, capsys, bad, "name: is 260 characters long", f"at most {MAX_NAME_LENGTH}")


@pytest.mark.parametrize("name", sorted(n for n in output.COMPARISON_OUTPUTS if not n.startswith(".")))
def test_a_name_of_a_file_compare_writes_is_refused_when_validated(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = scenario(tmp_path, f"name: {name}\n")
    refused(capsys, ["validate", str(bad)], f"{bad}: name: got {name!r}", "a file compare writes")
    out = tmp_path / "out"
    refused(capsys, ["compare", str(BASELINE), str(bad), "--out", str(out), *SMALL], name, out=out)


def test_names_like_output_stems_are_still_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only the exact file names clash: a folder 'time_to_outcome' sits beside time_to_outcome.csv."""
    ok = scenario(tmp_path, "name: time_to_outcome\n")
    assert cli.main(["validate", str(ok)]) == 0
    assert "OK" in capsys.readouterr().out


# ----------------------------------------------------------------------------------------------
# Vague messages
# ----------------------------------------------------------------------------------------------

VAGUE = {
    "changes: 5\n": ("changes: got 5 (int)", "expected a list, each item a mapping of keys"),
    "changes: {from_day: 1}\n": ("changes: got {from_day: 1}", "expected a list, each item a mapping"),
    "changes: [{from_day: 10, set: 5}]\n": ("changes[0].set: got 5", "expected a mapping of keys"),
    "uncertainty: {detention.beds: {low: 1}}\n": ("uncertainty.detention.beds: got {low: 1}", "a list of 2"),
    "uncertainty: {detention.beds: [30]}\n": ("uncertainty.detention.beds: got [30]", "a list of 2 values"),
}


@pytest.mark.parametrize("body", VAGUE)
def test_type_errors_say_which_type_was_expected(
    body: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = scenario(tmp_path, body)
    err = refused(capsys, ["validate", str(bad)], str(bad), *VAGUE[body])
    assert "a different type" not in err and "missing; add this key" not in err


def test_an_override_clash_names_the_file_without_pydantic_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    late = REPO / "scenarios" / "integrated_voluntary_returns_from_year_2.yaml"
    out = tmp_path / "out"
    err = refused(
        capsys,
        ["run", str(late), "--out", str(out), *SMALL],
        f"{late}: changes[0].from_day: 365 is not before the horizon (60 days)",
        "with the command line's horizon_days=60",
        out=out,
    )
    assert "Value error" not in err and ": :" not in err


# ----------------------------------------------------------------------------------------------
# Glyph warnings
# ----------------------------------------------------------------------------------------------


def test_a_title_in_cjk_draws_without_a_warning_per_character(tmp_path: Path) -> None:
    from sim.analysis.plots.style import figure, save

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with figure(1, 1, (4, 3)) as (fig, axes):
            axes[0].set_title("中文标题政策方案 policy")
            save(fig, tmp_path / "cjk.png")
    assert not [w for w in caught if "Glyph" in str(w.message)]
    assert (tmp_path / "cjk.png").stat().st_size > 0


def test_run_with_a_cjk_title_prints_nothing_under_quiet(tmp_path: Path) -> None:
    cjk = scenario(tmp_path, "title: 中文标题政策方案\n", "cjk.yaml")
    result = subprocess.run(
        [sys.executable, str(RUN_SIM), "run", str(cjk), "--out", str(tmp_path / "out"), *SMALL],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
