"""Checks on the policy libraries, ``scenarios/`` (2012-14) and ``scenarios/2024/`` (present day): each
policy is a documented variant of its library's baseline.

Every file other than a library's ``baseline.yaml`` must extend that baseline, carry a short title and a
description that cites its source (a seed document ``000``-``004`` or ``FIGURES``), be named after its
file, and change at least one parameter; a present-day policy also names its source in its header
comment. The files state only what they change: every parameter they set differs from their baseline,
carries a ``# baseline ...`` comment, and no file (the 2012-14 baseline included) pins a calibrated
parameter, whose value is the schema's default from ``sim/scenario/calibration.yaml`` (a file that set
one would silently undo the calibration). The present-day baseline is the one exception: the
calibration reproduces the 2012-14 pool (seed 002 §4.2), which it does not describe.
The combined package restates its components' changes (``extends`` takes one parent), so it is
checked against them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml

from sim.scenario import CALIBRATED_PATHS, IDENTITY_KEYS, Scenario, load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
BASELINE = SCENARIOS / "baseline.yaml"
PRESENT_DAY = SCENARIOS / "2024"
LIBRARIES = {SCENARIOS: 9, PRESENT_DAY: 7}
"""Each policy library's folder (its baseline is its ``baseline.yaml``) and the policies it must hold."""
POLICIES = sorted(p for folder in LIBRARIES for p in folder.glob("*.yaml") if p.name != BASELINE.name)
NOT_PARAMETERS = {*IDENTITY_KEYS, "extends", "uncertainty"}
"""Top-level keys that set no parameter (``uncertainty`` gives ranges, not values)."""
CITATION = re.compile(r"00[0-4]|FIGURES")
MAX_TITLE = 40  # characters; titles label plots and tables

COMBINED = {
    "combined_package": (
        "integrated_voluntary_returns",
        "better_tasking",
        "five_day_further_submissions",
        "prioritised_tracing",
        "family_returns_focus",
        "data_enrichment",
    )
}
"""Packages and the policy files whose changes they restate."""


def _id(path: Path) -> str:
    return str(path.relative_to(SCENARIOS).with_suffix(""))


by_stem = pytest.mark.parametrize("path", POLICIES, ids=[_id(p) for p in POLICIES])


def _own(path: Path) -> dict[str, Any]:
    """The file's own mapping, as written (no ``extends`` resolution)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: the top level must be a mapping"
    return data


def _leaves(tree: dict[str, Any], prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """Dotted paths to the values a mapping sets; a distribution (a mapping with ``dist``) is one leaf."""
    out: dict[tuple[str, ...], Any] = {}
    for key, value in tree.items():
        path = (*prefix, key)
        if isinstance(value, dict) and "dist" not in value:
            out.update(_leaves(value, path))
        else:
            out[path] = value
    return out


def _parameters(path: Path) -> dict[tuple[str, ...], Any]:
    return _leaves({k: v for k, v in _own(path).items() if k not in NOT_PARAMETERS})


def _at(dump: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        dump = dump[key]
    return dump


def _parameter_dump(scenario: Scenario) -> dict[str, Any]:
    return scenario.model_dump(exclude=set(IDENTITY_KEYS))


@pytest.fixture(scope="module")
def baselines() -> dict[Path, dict[str, Any]]:
    return {folder: _parameter_dump(load_scenario(folder / BASELINE.name)) for folder in LIBRARIES}


@pytest.mark.parametrize("folder", list(LIBRARIES), ids=[f.name for f in LIBRARIES])
def test_there_are_policies(folder: Path) -> None:
    found = [p.name for p in POLICIES if p.parent == folder]
    assert len(found) >= LIBRARIES[folder], found


@by_stem
def test_extends_baseline(path: Path) -> None:
    """``extends`` is relative to the file, so each policy extends its own library's baseline."""
    assert _own(path).get("extends") == BASELINE.name, f"{path.name} must say 'extends: {BASELINE.name}'"


PRESENT_DAY_POLICIES = [p for p in POLICIES if p.parent == PRESENT_DAY]


@pytest.mark.parametrize("path", PRESENT_DAY_POLICIES, ids=[p.stem for p in PRESENT_DAY_POLICIES])
def test_header_comment_names_a_source(path: Path) -> None:
    header = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        header.append(line)
    assert CITATION.search("\n".join(header)), (
        f"{path.name}: name its source (FIGURES, 000-004) in the header"
    )


@by_stem
def test_name_is_file_stem(path: Path) -> None:
    assert _own(path).get("name") == path.stem
    assert load_scenario(path).name == path.stem


@by_stem
def test_title_is_short_and_present(path: Path) -> None:
    title = load_scenario(path).title.strip()
    assert title, f"{path.name}: give a title (short policy name for plots)"
    assert len(title) < MAX_TITLE, f"{path.name}: title {title!r} has {len(title)} characters"


@by_stem
def test_description_cites_a_source(path: Path) -> None:
    description = load_scenario(path).description
    assert description.strip(), f"{path.name}: give a description"
    assert CITATION.search(description), f"{path.name}: cite a seed paragraph (000-004) or FIGURES"


@by_stem
def test_changes_something(path: Path, baselines: dict[Path, dict[str, Any]]) -> None:
    assert _parameter_dump(load_scenario(path)) != baselines[path.parent], f"{path.name} changes no parameter"


@by_stem
def test_every_parameter_set_differs_from_baseline(path: Path, baselines: dict[Path, dict[str, Any]]) -> None:
    """A policy states only what it changes: no parameter restated at its baseline value."""
    baseline = baselines[path.parent]
    resolved = _parameter_dump(load_scenario(path))
    same = [".".join(k) for k in _parameters(path) if _at(resolved, k) == _at(baseline, k)]
    assert not same, f"{path.name} sets these to their baseline values: {same}"


@by_stem
def test_every_parameter_line_states_the_baseline_value(path: Path) -> None:
    """Each value the file sets is on a line whose comment gives the baseline value."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    root = yaml.compose(text)
    missing: list[str] = []

    def walk(node: yaml.Node, prefix: str) -> None:
        for key_node, value_node in node.value:
            key = f"{prefix}{key_node.value}"
            if prefix == "" and key in NOT_PARAMETERS:
                continue
            if prefix == "" and key == "changes" and isinstance(value_node, yaml.SequenceNode):
                # each change's parameters carry their own baseline comments
                for i, item in enumerate(value_node.value):
                    for item_key, item_value in item.value:
                        if item_key.value == "set" and isinstance(item_value, yaml.MappingNode):
                            walk(item_value, f"changes[{i}].set.")
                continue
            if isinstance(value_node, yaml.MappingNode) and not value_node.flow_style:
                walk(value_node, key + ".")
            elif "# baseline" not in lines[value_node.start_mark.line]:
                missing.append(key)

    assert isinstance(root, yaml.MappingNode)
    walk(root, "")
    assert not missing, f"{path.name}: add a '# baseline <value>' comment on the line of {missing}"


ALL_FILES = [BASELINE, *POLICIES]
"""Every file but the present-day baseline (see the module docstring)."""


def _pinned_calibrated(parameters: Iterable[tuple[str, ...]]) -> list[str]:
    """The parameter paths that set, or lie inside, or contain a calibrated field."""
    calibrated = [tuple(p.split(".")) for p in CALIBRATED_PATHS]
    return [".".join(k) for k in parameters if any(k[: len(c)] == c or c[: len(k)] == k for c in calibrated)]


def test_pinning_check_finds_calibrated_paths() -> None:
    """The check below sees a file setting a calibrated value, a leaf of a calibrated table, or
    a whole section holding one; and not a sibling parameter."""
    assert CALIBRATED_PATHS, "no calibrated fields in the schema"
    found = _pinned_calibrated(
        [
            ("cohort", "already_departed_share"),
            ("contact", "success", "phone", "good"),
            ("contact",),
            ("contact", "agents"),
        ]
    )
    assert found == ["cohort.already_departed_share", "contact.success.phone.good", "contact"]


@pytest.mark.parametrize("path", ALL_FILES, ids=[_id(p) for p in ALL_FILES])
def test_does_not_pin_calibrated_parameters(path: Path) -> None:
    pinned = _pinned_calibrated(_parameters(path))
    assert not pinned, (
        f"{path.name} overrides calibrated parameters (their values are in sim/scenario/calibration.yaml; "
        f"re-run scripts/calibrate.py instead): {pinned}"
    )


@pytest.mark.parametrize("package", sorted(COMBINED))
def test_package_restates_its_components(package: str) -> None:
    """Every change of every component is in the package with the same value, and nothing else."""
    combined = _parameter_dump(load_scenario(SCENARIOS / f"{package}.yaml"))
    combined_paths = set(_parameters(SCENARIOS / f"{package}.yaml"))
    covered: set[tuple[str, ...]] = set()
    for part in COMBINED[package]:
        part_path = SCENARIOS / f"{part}.yaml"
        resolved = _parameter_dump(load_scenario(part_path))
        for key in _parameters(part_path):
            assert _at(combined, key) == _at(resolved, key), f"{package}: {'.'.join(key)} differs from {part}"
            covered.add(key)
    extra = sorted(".".join(k) for k in combined_paths - covered)
    assert not extra, f"{package} changes parameters that none of its components change: {extra}"
