"""The calibrated values are the schema's own defaults, from one checked package data file.

Every scenario gets them (whether or not it extends the baseline); the file holds exactly the
calibrated fields; a broken file is an error naming the file and the path; ``scripts/calibrate.py
--write`` replaces the file atomically with one the schema accepts. (Whether the values still hit
the published targets is ``tests/validation/test_calibration.py``, which runs the full cohort.)
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pydantic import BaseModel, Field

from sim.scenario import CALIBRATED_PATHS, Scenario, load_scenario
from sim.scenario.calibration import (
    CALIBRATION_FILE,
    Calibration,
    CalibrationError,
    calibrated_fields,
    check_calibration,
)
from sim.scenario.paths import flatten
from sim.scenario.schema import CALIBRATION

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "scenarios" / "baseline.yaml"
REQUIRED = {"name": "calibration"}


def _at(tree: dict[str, Any], path: str) -> Any:
    for key in path.split("."):
        tree = tree[key]
    return tree


def _calibrated_leaves(scenario: Scenario) -> dict[str, Any]:
    dump = scenario.model_dump()
    leaves: dict[str, Any] = {}
    for path in CALIBRATED_PATHS:
        value = _at(dump, path)
        leaves.update(flatten(value, path + ".") if isinstance(value, dict) else {path: value})
    return leaves


def _file_leaves() -> dict[str, Any]:
    return flatten(Calibration.read().values)


def test_the_calibrated_fields() -> None:
    assert CALIBRATED_PATHS == (
        "cohort.already_departed_share",
        "contact.success",
        "contact.complaint_probability",
    )


def test_file_paths_are_exactly_the_calibrated_fields() -> None:
    assert CALIBRATION.file == CALIBRATION_FILE and CALIBRATION_FILE.is_file()
    assert set(_file_leaves()) == set(_calibrated_leaves(Scenario(name="x")))


def test_schema_defaults_are_the_file_values() -> None:
    assert _calibrated_leaves(Scenario(name="x")) == _file_leaves()


def test_scenario_not_extending_the_baseline_gets_exactly_the_calibrated_values(tmp_path: Path) -> None:
    standalone = tmp_path / "standalone.yaml"
    standalone.write_text("title: Standalone\ncontact: {agents: 7}\n", encoding="utf-8")
    scenario = load_scenario(standalone)
    assert _calibrated_leaves(scenario) == _file_leaves()
    assert _calibrated_leaves(scenario) == _calibrated_leaves(load_scenario(BASELINE))
    assert scenario.contact.agents == 7


def test_partial_override_of_the_success_table_keeps_the_other_calibrated_rows(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("contact: {success: {phone: {good: 0.5}}}\n", encoding="utf-8")
    success = load_scenario(policy).contact.success
    assert success.phone.good == 0.5
    assert success.phone.partial == CALIBRATION.value("contact.success.phone.partial")
    assert success.email.model_dump() == CALIBRATION.value("contact.success.email")


def test_baseline_runs_with_exactly_the_calibrated_values() -> None:
    """The baseline sets none of the calibrated values itself: each one is the file's (written by
    scripts/calibrate.py --write), so a recalibration reaches every scenario."""
    scenario = load_scenario(BASELINE).model_dump()
    for path in CALIBRATED_PATHS:
        value: object = scenario
        for key in path.split("."):
            assert isinstance(value, dict)
            value = value[key]
        assert value == CALIBRATION.value(path), path


def test_file_header_says_who_writes_it_and_the_targets() -> None:
    header = [
        line for line in CALIBRATION_FILE.read_text(encoding="utf-8").splitlines() if line.startswith("#")
    ]
    text = " ".join(header)
    for needed in ("scripts/calibrate.py", "24,753", "120,545", "2,474", "210 complaints", "seed 2014"):
        assert needed in text, needed


def test_package_data_ships_the_file() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    package_data = pyproject["tool"]["setuptools"]["package-data"]
    assert CALIBRATION_FILE.name in package_data["sim.scenario"]


# ----------------------------------------------------------------------------------------------
# A broken calibration file is an error naming the file and the path
# ----------------------------------------------------------------------------------------------


def _good_values() -> dict[str, Any]:
    return Calibration.read().values


def _check(tmp_path: Path, values: dict[str, Any]) -> CalibrationError:
    with pytest.raises(CalibrationError) as info:
        check_calibration(Scenario, Calibration(tmp_path / "calibration.yaml", values), REQUIRED)
    return info.value


def test_current_file_passes_the_check() -> None:
    check_calibration(Scenario, Calibration.read(), REQUIRED)


def test_unknown_path_is_an_error(tmp_path: Path) -> None:
    values = _good_values()
    values["contact"] = {**values["contact"], "agents": 9}
    error = _check(tmp_path, values)
    [p] = error.problems
    assert (p.file, p.path, p.message) == (
        str(tmp_path / "calibration.yaml"),
        "contact.agents",
        "not a calibrated parameter",
    )
    assert "contact.complaint_probability" in (p.allowed or "")
    assert str(error).startswith("1 problem in the calibration file:")


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    values = _good_values()
    values["cohort"] = {}
    [p] = _check(tmp_path, values).problems
    assert (p.path, p.message) == ("cohort.already_departed_share", "missing")


def test_bad_value_is_an_error(tmp_path: Path) -> None:
    values = _good_values()
    values["contact"] = {**values["contact"], "complaint_probability": 1.5}
    [p] = _check(tmp_path, values).problems
    assert (p.file, p.path, p.message) == (
        str(tmp_path / "calibration.yaml"),
        "contact.complaint_probability",
        "got 1.5",
    )


def test_unknown_key_inside_the_calibrated_table_is_an_error(tmp_path: Path) -> None:
    values = _good_values()
    values["contact"] = {
        **values["contact"],
        "success": {**values["contact"]["success"], "fax": {"good": 0.1}},
    }
    [p] = _check(tmp_path, values).problems
    assert p.path == "contact.success.fax" and "unknown key" in p.message


def test_unreadable_files_are_errors_naming_the_file(tmp_path: Path) -> None:
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("# calibrated 2026 §4.2\ncohort: {}\n".encode("cp1252"))
    with pytest.raises(CalibrationError, match=re.escape("latin.yaml: not UTF-8 text")):
        Calibration.read(latin)
    listing = tmp_path / "list.yaml"
    listing.write_text("- 1\n", encoding="utf-8")
    with pytest.raises(
        CalibrationError, match=re.escape("list.yaml: expected a mapping of calibrated values")
    ):
        Calibration.read(listing)
    with pytest.raises(CalibrationError, match=re.escape("missing.yaml: file not found")):
        Calibration.read(tmp_path / "missing.yaml")


def test_declared_path_must_match_where_the_field_is() -> None:
    class Inner(BaseModel):
        share: float = Field(0.1, json_schema_extra={"calibrated": "inner.share"})

    class Outer(BaseModel):
        group: Inner = Field(default_factory=Inner)

    with pytest.raises(RuntimeError, match=re.escape("group.share is declared calibrated as 'inner.share'")):
        calibrated_fields(Outer)
    assert set(calibrated_fields(Scenario)) == set(CALIBRATED_PATHS)


# ----------------------------------------------------------------------------------------------
# scripts/calibrate.py --write
# ----------------------------------------------------------------------------------------------


@pytest.fixture
def calibrate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """scripts/calibrate.py, writing to a file in tmp_path instead of the package's."""
    spec = importlib.util.spec_from_file_location("calibrate_script", REPO / "scripts" / "calibrate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "CALIBRATION_FILE", tmp_path / "calibration.yaml")
    return module


def _knobs(calibrate: ModuleType, scale: float) -> dict[str, Any]:
    base = Scenario(name="x")
    return calibrate.knobs_to_overrides(base, scale, 0.03, 0.4)


def test_write_replaces_the_file_with_one_the_schema_accepts(calibrate: ModuleType, tmp_path: Path) -> None:
    target = tmp_path / "calibration.yaml"
    target.write_text("# old\n", encoding="utf-8")
    overrides = _knobs(calibrate, 1.1)
    calibrate.write_calibration(calibrate.calibration_text(overrides, 4, 6, ["check line"]), overrides)
    written = Calibration.read(target)
    assert written.values == overrides
    check_calibration(Scenario, written, REQUIRED)
    header = target.read_text(encoding="utf-8").split("cohort:")[0]
    assert "Written by scripts/calibrate.py --write" in header and "seed 2014" in header
    assert "#   check line" in header
    assert [p.name for p in tmp_path.iterdir()] == ["calibration.yaml"]  # no temporary file left


def test_write_scales_the_whole_success_table(calibrate: ModuleType) -> None:
    base = Scenario(name="x").contact.success.model_dump()
    scaled = _knobs(calibrate, 1.1)["contact"]["success"]
    for channel, row in base.items():
        for quality, value in row.items():
            assert scaled[channel][quality] == pytest.approx(min(1.0, value * 1.1), abs=1e-5)


def test_failed_write_keeps_the_old_file(calibrate: ModuleType, tmp_path: Path) -> None:
    target = tmp_path / "calibration.yaml"
    target.write_text("# old\n", encoding="utf-8")
    overrides = _knobs(calibrate, 1.0)
    overrides["contact"]["complaint_probability"] = 2.0  # not a probability
    with pytest.raises(CalibrationError, match=re.escape("contact.complaint_probability: got 2")):
        calibrate.write_calibration(calibrate.calibration_text(overrides, 4, 6, []), overrides)
    assert target.read_text(encoding="utf-8") == "# old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["calibration.yaml"]
