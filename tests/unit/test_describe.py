"""Tests for sim.describe: every parameter has provenance, and the tables render."""

from __future__ import annotations

from pathlib import Path

from sim.scenario import CALIBRATED_PATHS, Scenario, load_scenario
from sim.scenario.describe import (
    ParamRow,
    explicit_paths,
    format_value,
    markdown_table,
    parameter_rows,
    parameter_table,
    render_text,
    value_sources,
)
from sim.scenario.schema import CALIBRATION


def _rows() -> dict[str, ParamRow]:
    return {r.path: r for r in parameter_rows(Scenario(name="x"))}


def test_every_parameter_has_unit_and_source() -> None:
    """Nobody can add a parameter without stating its unit and where its value comes from."""
    missing = [
        r.path for r in parameter_rows(Scenario(name="x")) if not r.unit.strip() or not r.source.strip()
    ]
    assert not missing, f"parameters without unit/source (use param()/group() in the schema): {missing}"


def test_paths_values_and_inheritance() -> None:
    rows = _rows()
    assert not {"name", "title", "description"} & set(rows)
    assert rows["contact.call_minutes.dist"].value == "exponential"
    call = rows["contact.call_minutes.mean"]
    assert (call.value, call.unit) == ("8", "minutes")
    assert call.source == "assumption: outbound call incl. wrap-up"
    assert rows["cohort.initial_size"].value == "120545"
    assert rows["tracing.passive_rate_per_day"].value == "0.0005"
    # A leaf of a mix inherits the group's unit and source.
    assert rows["cohort.case_type.family"].unit == "share of entrants"
    # A leaf with its own unit/source keeps it even inside a group without one.
    assert rows["contact.enrichment.max_rounds"].unit == "rounds"
    # A coefficient of variation is not in days.
    assert rows["departure.delay_days.cv"].unit.startswith("coefficient of variation")


def test_sources_mark_the_setting_file() -> None:
    sources = {"contact.agents": "policy_more_agents.yaml", "cohort": "baseline.yaml", "tracing": ""}
    rows = {r.path: r for r in parameter_rows(Scenario(name="x"), sources)}
    assert rows["contact.agents"].source.endswith(" [set in policy_more_agents.yaml]")
    assert rows["cohort.case_type.family"].source.endswith(" [set in baseline.yaml]")
    assert "[set in" not in rows["contact.max_attempts"].source
    assert "[set in" not in rows["tracing.team_size"].source


def test_parameter_table_and_markdown() -> None:
    table = parameter_table(Scenario(name="x"))
    assert list(table.columns) == ["path", "value", "unit", "range", "source"]
    assert len(table) == len(parameter_rows(Scenario(name="x")))
    md = markdown_table(Scenario(name="x"), {"contact.agents": "a|b.yaml"})
    lines = md.strip().splitlines()
    assert lines[0] == "| path | value | unit | range | source |"
    assert len(lines) == len(table) + 2
    agents = next(line for line in lines if line.startswith("| contact.agents |"))
    assert "[set in a\\|b.yaml]" in agents
    # Unescaped pipes are exactly the 6 column separators on every row.
    assert all(line.replace("\\|", "").count("|") == 6 for line in lines)


def test_explicit_paths() -> None:
    raw = {"title": "More agents", "contact": {"agents": 60, "call_minutes": {"dist": "fixed", "value": 5}}}
    assert explicit_paths(raw) == {
        "title": "",
        "contact.agents": "",
        "contact.call_minutes.dist": "",
        "contact.call_minutes.value": "",
    }


def test_render_text() -> None:
    text = render_text(Scenario(name="x"), width=100)
    lines = text.splitlines()
    assert lines[0] == "GENERAL"
    for heading in ("COHORT", "CONTACT", "COSTS"):
        assert heading in lines
    assert max(len(line) for line in lines) <= 100
    assert any(line.startswith("agents ") for line in lines)


def test_calibrated_values_are_labelled_calibrated_and_nothing_else_is() -> None:
    """Each calibrated row says so and where its value lives; no other row claims calibration."""
    rows = parameter_rows(Scenario(name="x"))
    calibrated = [r for r in rows if any(r.path == p or r.path.startswith(p + ".") for p in CALIBRATED_PATHS)]
    assert len(calibrated) == 14  # the 12 cells of the success table and two probabilities
    for r in calibrated:
        assert r.source.startswith("calibrated to seed 002 §"), r
        assert "sim/scenario/calibration.yaml" in r.source and "scripts/calibrate.py" in r.source, r
    others = [r.path for r in rows if r not in calibrated and r.source.startswith("calibrated")]
    assert not others


def test_baseline_describe_shows_calibrated_values_from_the_calibration_file() -> None:
    baseline = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
    rows = {r.path: r for r in parameter_rows(load_scenario(baseline), value_sources(baseline))}
    row = rows["contact.complaint_probability"]
    assert row.value == format_value(CALIBRATION.value("contact.complaint_probability"))
    assert "[set in" not in row.source  # no scenario file sets it: it is the calibrated default
    assert rows["horizon_days"].source.endswith(f"[set in {baseline}]")
