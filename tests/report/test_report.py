"""The briefing report's content, without a browser: sections present or "not run" with the files,
the headline marks, exact parameter differences, escaping of hostile text, embedded images only
from the folder, and the command line's exit codes. (tests/report/test_report_browser.py renders it.)"""

from __future__ import annotations

import base64
import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
import yaml
from report_data import (
    COST_EFFECTIVENESS,
    MORRIS_PARAMETERS,
    POLICIES,
    add_optional_files,
    add_simultaneous_intervals,
    copy_folder,
    read_json,
    write_json,
)

from sim import cli
from sim.analysis.kpis import TABLE_KPIS, kpi
from sim.report import ReportError, write_report
from sim.report.findings import POLICIES_SHOWN, change_sentences
from sim.report.policies import ParamChange, parameter_changes
from sim.report.results import Change
from sim.scenario.describe import parameter_rows
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario
from sim.studies.report_parts import outcome_label

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"
LABELS = {
    "baseline": "Baseline (2012-14 contract)",
    "remote_reporting": "Telephone and digital reporting",
    "more_detention_capacity": "More detention beds (+50%)",
}


# ----------------------------------------------------------------------------------------------
# Reading the HTML back
# ----------------------------------------------------------------------------------------------


class Page(HTMLParser):
    """Element ids, links, images, script tags and every table (rows of (text, classes) cells)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.images: list[str] = []
        self.scripts = 0
        self.tables: list[list[list[tuple[str, set[str]]]]] = []
        self._cell: list[str] | None = None
        self._classes: set[str] = set()
        self._depth = 0
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "a" and a.get("href") is not None:
            self.links.append(str(a["href"]))
        if tag == "img":
            self.images.append(str(a.get("src")))
        if tag == "script":
            self.scripts += 1
        if tag == "table":
            self.tables.append([])
        if tag == "tr":
            self.tables[-1].append([])
        if tag in ("td", "th"):
            self._cell, self._classes = [], set(str(a.get("class") or "").split())
        if tag == "br" and self._cell is not None:
            self._cell.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(("".join(self._cell).strip(), self._classes))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def section(html: str, anchor: str) -> str:
    found = re.search(rf'<section id="{anchor}">(.*?)</section>', html, re.DOTALL)
    assert found, f"no section {anchor!r}"
    return found.group(1)


def text_of(fragment: str) -> str:
    """The visible text of an HTML fragment, entities decoded, whitespace folded."""
    parts: list[str] = []
    parser = HTMLParser()
    parser.handle_data = parts.append  # type: ignore[method-assign]
    parser.feed(fragment)
    return " ".join(" ".join(parts).split())


def table_by_header(html: str, first: str) -> list[list[tuple[str, set[str]]]]:
    """The first table whose header row starts with ``first`` (header row included)."""
    for table in Page(html).tables:
        if table and table[0] and table[0][0][0] == first:
            return table
    raise AssertionError(f"no table headed {first!r}")


@pytest.fixture
def folder(report_comparison: Path, tmp_path: Path) -> Path:
    return copy_folder(report_comparison, tmp_path / "results")


def report(folder: Path) -> str:
    return write_report(folder).read_text(encoding="utf-8")


# ----------------------------------------------------------------------------------------------
# A comparison folder as compare writes it
# ----------------------------------------------------------------------------------------------


def test_comparison_report_has_every_section_and_is_self_contained(folder: Path) -> None:
    html = report(folder)
    page = Page(html)
    sections = {"findings", "question", "policies", "headline", "cost", "time", "sensitivity", "uncertainty"}
    sections |= {"targets", "all-kpis", "methods", "stress", "appendix", "policy-0", "policy-1", "policy-2"}
    assert sections <= page.ids
    assert page.links and all(link.startswith("#") and link[1:] in page.ids for link in page.links)
    assert page.scripts == 0
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|file:)""", html)

    # images: the comparison plots and the reference's state flow, byte for byte
    manifest = read_json(folder / "comparison_manifest.json")
    plots = [f for f in manifest["files"] if f.endswith(".png")]
    state_flow = [
        f for f in read_json(folder / "baseline" / "manifest.json")["files"] if f.startswith("state_flow_")
    ]
    assert len(plots) == 5 and len(state_flow) == 1  # outcomes, cumulative, forest, cost, time to outcome
    assert len(page.images) == 6
    embedded = {base64.b64decode(src.split(",", 1)[1]) for src in page.images}
    files = [folder / p for p in plots] + [folder / "baseline" / state_flow[0]]
    assert embedded == {f.read_bytes() for f in files}
    assert all(src.startswith("data:image/png;base64,") for src in page.images)

    # the optional analyses the folder lacks say so
    for anchor, file in (("sensitivity", "sensitivity.csv"), ("targets", "targets.csv")):
        assert f"Not run: no {file} in this folder." in text_of(section(html, anchor))
    assert "Not run" in text_of(section(html, "uncertainty"))
    cost = text_of(section(html, "cost"))
    # every comparison writes cost_effectiveness.csv: its table is there
    assert "Paired differences from the reference (cost_effectiveness.csv)" in cost
    # every comparison writes time_to_outcome.csv: its table is there
    assert "Cumulative incidence of each outcome by day since entering the pool" in text_of(
        section(html, "time")
    )
    assert "Quick look" in text_of(section(html, "findings"))


def test_headline_table_marks_by_the_unadjusted_interval_and_says_so(folder: Path) -> None:
    # a folder written before simultaneous intervals existed: no diff_sim_* columns
    comparison = pd.read_csv(folder / "comparison.csv")
    comparison = comparison.drop(columns=["diff_sim_ci_low", "diff_sim_ci_high"])
    comparison.to_csv(folder / "comparison.csv", index=False)
    html = report(folder)
    table = table_by_header(section(html, "headline"), "Policy")
    header = [c for c, _ in table[0]]
    assert header == ["Policy", *(kpi(k).heading for k in TABLE_KPIS)]
    assert [row[0][0] for row in table[1:]] == [
        LABELS["baseline"] + " (reference)",
        *(LABELS[p] for p in POLICIES[1:]),
    ]
    assert "not adjusted for multiple comparisons" in text_of(section(html, "headline"))
    for row, name in zip(table[2:], POLICIES[1:], strict=True):
        for (cell, classes), column in zip(row[1:], TABLE_KPIS, strict=True):
            r = comparison[(comparison["scenario"] == name) & (comparison["kpi"] == column)].iloc[0]
            excludes = r["diff_ci_low"] > 0 or r["diff_ci_high"] < 0
            assert ("mark" in classes) == excludes, (name, column, cell)
            assert cell.endswith("*") == excludes or "|" in cell
            if r["diff_vs_reference"] == r["diff_ci_low"] == r["diff_ci_high"] == 0:
                assert cell == "0 | same in every replication"
    # extra beds are never needed by so small a cohort: every difference is exactly 0 (CRN)
    assert all(cell == "0 | same in every replication" for cell, _ in table[3][1:])
    # the reference row gives means with intervals in display units (money in £ million)
    cost = comparison[(comparison["scenario"] == "baseline") & (comparison["kpi"] == "total_cost_gbp")].iloc[
        0
    ]
    assert table[1][-1][0].startswith(f"{cost['mean'] / 1e6:,.2f} | [{cost['ci_low'] / 1e6:,.2f}, ")


def test_every_kpi_lists_what_losing_contact_costs_where_anyone_can_reach_it(folder: Path) -> None:
    # a 2012-14 comparison has no asylum claims: those KPIs are in comparison.csv, all 0, and left
    # out of the report's every-KPI table; one that a scenario reaches is listed with its label
    comparison = pd.read_csv(folder / "comparison.csv")
    asylum = (
        "claims_withdrawn",
        "claims_withdrawn_out_of_contact",
        "withdrawn_would_have_been_granted",
        "support_discontinued",
    )
    assert set(asylum) <= set(comparison["kpi"]) and "wasted_arrest_visits" in set(comparison["kpi"])
    assert (comparison.loc[comparison["kpi"].isin(asylum), "mean"] == 0).all()
    every = {row[0][0] for row in table_by_header(section(report(folder), "all-kpis"), "KPI")[1:]}
    assert not {kpi(k).label for k in asylum} & every
    reached = comparison["kpi"] == "claims_withdrawn_out_of_contact"
    comparison.loc[reached & (comparison["scenario"] == "baseline"), "mean"] = 12.0
    comparison.to_csv(folder / "comparison.csv", index=False)
    every = {row[0][0] for row in table_by_header(section(report(folder), "all-kpis"), "KPI")[1:]}
    assert kpi("claims_withdrawn_out_of_contact").label in every
    assert kpi("claims_withdrawn").label not in every


def test_simultaneous_intervals_mark_the_headline_when_present(folder: Path) -> None:
    frame = add_simultaneous_intervals(folder, widen=3.0)
    # one difference the unadjusted interval finds but the simultaneous one does not, one both find
    for column, sim in (("out_of_contact_end", (-1.0, 7.0)), ("departed_voluntary", (0.5, 5.5))):
        row = (frame["scenario"] == "remote_reporting") & (frame["kpi"] == column)
        frame.loc[row, ["diff_vs_reference", "diff_ci_low", "diff_ci_high"]] = (3.0, 1.0, 5.0)
        frame.loc[row, ["diff_sim_ci_low", "diff_sim_ci_high"]] = sim
    frame.to_csv(folder / "comparison.csv", index=False)
    html = report(folder)
    headline = text_of(section(html, "headline"))
    assert "simultaneous 95% intervals" in headline and "not adjusted" not in headline
    table = table_by_header(section(html, "headline"), "Policy")
    for row, name in zip(table[2:], POLICIES[1:], strict=True):
        for (_, classes), column in zip(row[1:], TABLE_KPIS, strict=True):
            r = frame[(frame["scenario"] == name) & (frame["kpi"] == column)].iloc[0]
            assert ("mark" in classes) == (r["diff_sim_ci_low"] > 0 or r["diff_sim_ci_high"] < 0)
    cells = dict(zip(TABLE_KPIS, table[2][1:], strict=True))
    assert re.fullmatch(r"\+3\.00? \| \[-1\.00?, \+7\.00?\]", cells["out_of_contact_end"][0])
    assert re.fullmatch(r"\+3\.00?\* \| \[\+0\.50?, \+5\.50?\] \| better", cells["departed_voluntary"][0])
    assert cells["out_of_contact_end"][1] == {"num"}
    assert cells["departed_voluntary"][1] == {"num", "mark", "better"}
    every = table_by_header(section(html, "all-kpis"), "KPI")
    assert [c for c, _ in every[0]][-1] == "Simultaneous 95% CI"


# ----------------------------------------------------------------------------------------------
# The findings, first; better and worse
# ----------------------------------------------------------------------------------------------

REMOTE = "remote_reporting"
CHANGED = {
    "out_of_contact_end": (3.0, 1.0, 5.0),  # up, and lower is better: worse
    "departed_voluntary": (2.0, 0.5, 3.5),  # up, and higher is better: better
    "total_cost_gbp": (-20_000.0, -30_000.0, -10_000.0),  # down, and lower is better: better
}


def with_changes(folder: Path) -> None:
    """comparison.csv (unadjusted intervals only) in which the remote-reporting policy changes
    exactly the KPIs of ``CHANGED`` distinguishably; its other intervals are widened to include 0."""
    frame = pd.read_csv(folder / "comparison.csv").drop(columns=["diff_sim_ci_low", "diff_sim_ci_high"])
    remote = frame["scenario"] == REMOTE
    frame.loc[remote, "diff_ci_low"] = frame.loc[remote, "diff_ci_low"].clip(upper=-1.0)
    frame.loc[remote, "diff_ci_high"] = frame.loc[remote, "diff_ci_high"].clip(lower=1.0)
    for column, values in CHANGED.items():
        frame.loc[remote & (frame["kpi"] == column), ["diff_vs_reference", "diff_ci_low", "diff_ci_high"]] = (
            values
        )
    frame.to_csv(folder / "comparison.csv", index=False)


def headline_cells(html: str, row: int) -> dict[str, tuple[str, set[str]]]:
    table = table_by_header(section(html, "headline"), "Policy")
    return dict(zip(TABLE_KPIS, table[row][1:], strict=True))


def test_the_report_opens_with_findings_then_the_headline_table_then_the_appendix(folder: Path) -> None:
    html = report(folder)
    at = {a: html.index(f'<section id="{a}">') for a in ("findings", "question", "headline", "appendix")}
    assert at["findings"] < html.index("<nav") < at["question"] < at["headline"] < at["appendix"]
    # the parameter tables are all in the appendix, which the policy list near the top links to
    tables = [m.start() for m in re.finditer('<table class="changes">', html)]
    assert len(tables) == 2 and all(t > at["appendix"] for t in tables)
    assert html.rindex("</section>") > at["appendix"] > html.index('<section id="stress">')
    links = Page(section(html, "policies")).links
    assert links[:3] == ["#policy-0", "#policy-1", "#policy-2"]
    assert all(f'id="policy-{i}"' in section(html, "appendix") for i in range(3))


def test_a_significant_rise_where_lower_is_better_is_marked_worse(folder: Path) -> None:
    assert kpi("out_of_contact_end").higher_is_better is False
    assert kpi("departed_voluntary").higher_is_better and kpi("total_cost_gbp").higher_is_better is False
    with_changes(folder)
    html = report(folder)
    cells = headline_cells(html, 2)
    verdicts = {k: classes & {"better", "worse", "neutral"} for k, (_, classes) in cells.items()}
    assert verdicts == {
        k: ({"worse"} if k == "out_of_contact_end" else {"better"} if k in CHANGED else set())
        for k in TABLE_KPIS
    }
    assert cells["out_of_contact_end"][0].endswith("| worse")
    assert cells["total_cost_gbp"][0].endswith("| better")
    # the every-KPI table marks the interval that excludes 0 the same way
    every = table_by_header(section(html, "all-kpis"), "KPI")
    group = ""
    for row in every[1:]:
        group = row[0][0] or group
        if group == kpi("out_of_contact_end").label and row[1][0] == LABELS[REMOTE]:
            assert "worse" in row[5][1] and "mark" in row[5][1]
    legend = text_of(section(html, "headline"))
    assert "better / worse : a difference whose interval excludes 0, judged by the KPI's aim" in legend


def test_a_finding_quotes_the_difference_and_interval_the_table_shows(folder: Path) -> None:
    with_changes(folder)
    html = report(folder)
    findings = text_of(section(html, "findings"))
    cells = headline_cells(html, 2)
    for column in CHANGED:
        text, _ = cells[column]
        found = re.fullmatch(r"([+-][\d.,]+)\* \| \[([+-][\d.,]+), ([+-][\d.,]+)\] \| (better|worse)", text)
        assert found, text
        value, low, high, word = found.groups()
        verb = "raises" if value.startswith("+") else "lowers"
        a, b = sorted((low.lstrip("+-"), high.lstrip("+-")), key=lambda x: float(x.replace(",", "")))
        name = f"{kpi(column).title.lower()} ({kpi(column).display_unit})"
        quoted = f"{verb} {name} by {value.lstrip('+-')} (95% CI {a} to {b}; {word})"
        assert quoted in findings, (quoted, findings)
    assert f"“{LABELS[REMOTE]}” " in findings
    assert f"“{LABELS['more_detention_capacity']}” changed no headline outcome distinguishably." in findings
    nothing = re.search(r"No policy changed (.*?) distinguishably\.", findings)
    assert nothing and "contacted (people)" in nothing.group(1) and "out of contact" not in nothing.group(1)


def test_findings_name_the_best_net_benefit_with_its_interval(folder: Path) -> None:
    both = COST_EFFECTIVENESS.assign(outcome="departures_and_removals")
    pd.concat([COST_EFFECTIVENESS, both]).to_csv(folder / "cost_effectiveness.csv", index=False)
    html = report(folder)
    ce = table_by_header(section(html, "cost"), "Policy")
    both_label = outcome_label("departures_and_removals")
    best = next(r for r in ce[1:] if r[0][0] == LABELS["more_detention_capacity"] and r[1][0] == both_label)
    value, interval = best[6][0].replace("*", "").split(" | ")
    low, high = interval.strip("[]").split(", ")
    findings = text_of(section(html, "findings"))
    assert (
        "Valuing voluntary departures and removals at £20,000 per person, "
        f"“{LABELS['more_detention_capacity']}” has the highest net benefit: {value} £ million per cohort "
        f"(95% CI {low} to {high})."
    ) in findings
    # the best whose interval includes 0 is said to be indistinguishable from the reference
    both.loc[1, "net_benefit"] = -50_000.0
    pd.concat([COST_EFFECTIVENESS, both]).to_csv(folder / "cost_effectiveness.csv", index=False)
    findings = text_of(section(report(folder), "findings"))
    assert f"“{LABELS[REMOTE]}” has the highest net benefit: +0.03 £ million" in findings
    assert "its interval includes 0: not distinguishable from the reference" in findings


def test_findings_say_which_rankings_are_robust_only_with_an_uncertainty_analysis(folder: Path) -> None:
    findings = text_of(section(report(folder), "findings"))
    assert "draws" not in findings and "Robust" not in findings
    add_optional_files(folder)  # uncertainty_summary.csv: P(better) 0.05 (out of contact), 0.85 (cost)
    findings = text_of(section(report(folder), "findings"))
    robust = re.search(r"Robust to the uncertainty in the assumptions [^:]*: (.*)\.$", findings)
    assert robust, findings
    assert (
        robust.group(1) == f"“{LABELS[REMOTE]}” worse on {kpi('out_of_contact_end').label} (P(better) 0.05)"
    )


def test_findings_are_capped_at_a_screen() -> None:
    names = (
        "contacted",
        "departed_contacted",
        "departed_voluntary",
        "removed_enforced",
        "detention_rejections",
    )
    kpis = [kpi(k) for k in names]
    changes = [Change("A", d, float(i), 0.5, i + 0.5, 0, i / 100) for i, d in enumerate(kpis, 1)]
    changes.append(Change("B", kpi("total_cost_gbp"), -1e5, -2e5, -5e4, 2, 0.01))
    out = change_sentences(changes, ["A", "B", "C"], [*kpis, kpi("total_cost_gbp"), kpi("complaints")], "95%")
    assert out[0] == (
        "“A” raises detention rejections (count) by 5 (95% CI 0 to 6; worse), raises enforced removals "
        "(people) by 4 (95% CI 0 to 4; better) and raises voluntary departures (people) by 3 (95% CI 0 to 4; "
        "better); and 2 more changes (see the headline table)."
    )
    assert out[1] == "“B” lowers total cost (£ million) by 0.10 (95% CI 0.05 to 0.20; better)."
    assert out[2:] == [
        "“C” changed no headline outcome distinguishably.",
        "No policy changed complaints (count) distinguishably.",
    ]
    many = [Change(f"P{i}", kpis[0], 1.0, 0.5, 1.5, 0, i) for i in range(POLICIES_SHOWN + 2)]
    out = change_sentences(many, [c.policy for c in many], kpis[:1], "95%")
    assert (
        len(out) == POLICIES_SHOWN + 1
        and out[-1] == "2 more policies changed a headline outcome (see the headline table)."
    )
    assert out[0].startswith(f"“P{POLICIES_SHOWN + 1}” raises")  # the largest change first


def test_optional_analyses_are_shown_when_their_files_are_present(folder: Path) -> None:
    add_optional_files(folder)
    html = report(folder)
    for anchor in ("cost", "time", "sensitivity", "uncertainty", "targets"):
        assert "not run" not in text_of(section(html, anchor)).lower(), anchor

    ce = table_by_header(section(html, "cost"), "Policy")
    assert [c for c, _ in ce[0]][2:5] == [
        "Extra cost (£ million)",
        "Extra outcome",
        "Cost per extra outcome (£)",
    ]
    remote, beds = ce[1], ce[2]
    assert remote[0][0] == LABELS["remote_reporting"] and remote[1][0] == kpi("departed_voluntary").label
    assert remote[2] == ("-0.02* | [-0.03, -0.01]", {"num", "mark"})
    assert remote[3][0] == "+0.60 | [-1.80, +3.00]" and "mark" not in remote[3][1]
    assert remote[4][0].startswith("n/a")  # no cost per outcome where the file has none
    assert beds[4][0] == "12,000 | [8,000, 19,500]"
    assert beds[6][0] == "+0.10* | [+0.02, +0.18]"
    assert len(ce) == len(COST_EFFECTIVENESS) + 1

    tto = table_by_header(section(html, "time"), "Outcome")
    assert [c for c, _ in tto[0]] == ["Outcome", "Policy", "Day 90", "Day 120"]
    assert tto[1][2][0] == "0.4% | [0.0, 1.4]" and tto[1][3][0] == "1.8% | [0.8, 2.8]"
    assert len(tto) == 1 + 2 * len(POLICIES)

    # sensitivity.csv is summarised, not dumped: per scenario, the top 5 parameters of each KPI
    # by mu* in the KPI's display unit, the one within noise marked, the exactly-0 one left out
    sens = section(html, "sensitivity")
    tables = [t for t in Page(sens).tables if t and t[0][0][0].startswith("KPI")]
    assert len(tables) == 2  # the reference's KPIs, then the policy's difference
    assert "Telephone and digital reporting minus Baseline (2012-14 contract)" in text_of(sens)
    rows = tables[0][1:]
    first_of_each = [kpi("out_of_contact_end").label, "", "", "", "", kpi("total_cost_gbp").label]
    assert [r[0][0] for r in rows] == [*first_of_each, "", "", "", ""]
    assert [r[1][0] for r in rows[:5]] == list(MORRIS_PARAMETERS[:5])
    assert rows[0][2] == ("60.0* | ± 2.50", {"num", "mark"})
    assert rows[3][2] == ("30.0 | ± 2.50", {"num"}) and rows[3][4][0] == "within noise"
    assert rows[5][2][0] == "6.00* | ± 0.250"  # GBP 600,000 as £ million
    assert MORRIS_PARAMETERS[6] not in text_of(sens) and "every column as written" not in text_of(sens)

    # uncertainty: the summary's median (p05 to p95) in display units, P(better), P(best); the
    # per-draw differences of uncertainty.csv are not dumped
    unc = table_by_header(section(html, "uncertainty"), "Policy")
    assert [c for c, _ in unc[0]] == [
        "Policy",
        "KPI (display unit)",
        "Median (p05 to p95)",
        "P(better)",
        "P(best)",
    ]
    assert [c for c, _ in unc[1]] == [
        LABELS["remote_reporting"],
        kpi("out_of_contact_end").label,
        "+9.5* | (+2.5 to +17.5)",
        "0.05",
        "0.00",
    ]
    assert unc[2][2][0] == "-0.11 | (-0.25 to +0.05)" and unc[2][3][0] == "0.85"
    assert "rows." not in text_of(section(html, "uncertainty"))

    targets = section(html, "targets")
    assert "1 of 2 targets within tolerance." in text_of(targets)
    rows = table_by_header(targets, "Target")
    assert [rows[1][-1], rows[2][-1]] == [("yes", {"yes"}), ("no", {"no"})]
    assert rows[1][3][0] == "0.2055 | [0.2041, 0.2069]" and rows[2][2][0] == "210"


def test_an_analysis_file_with_other_columns_is_shown_as_written(folder: Path) -> None:
    pd.DataFrame({"scenario": ["remote_reporting"], "icer": [12.34], "dominant": [False]}).to_csv(
        folder / "cost_effectiveness.csv", index=False
    )
    html = report(folder)
    assert "cost_effectiveness.csv as written" in text_of(section(html, "cost"))
    table = table_by_header(section(html, "cost"), "scenario")
    assert table[1] == [(LABELS["remote_reporting"], set()), ("12.3", {"num"}), ("no", {"no"})]


# ----------------------------------------------------------------------------------------------
# Which parameters each policy changes
# ----------------------------------------------------------------------------------------------


def test_policies_list_exactly_the_parameters_they_change_with_provenance(folder: Path) -> None:
    html = report(folder)
    base = {r.path: r for r in parameter_rows(load_scenario(SCENARIOS / "baseline.yaml"))}
    remote = table_by_header(section(html, "appendix"), "Parameter")
    assert [c for c, _ in remote[0]] == ["Parameter", "Reference", "Policy", "Unit", "Source"]
    expected = {"in_person": ("0.9", "0.5"), "telephone": ("0.1", "0.25"), "digital": ("0", "0.25")}
    assert [[c for c, _ in row] for row in remote[1:]] == [
        [path, a, b, base[path].unit, base[path].source]
        for channel, (a, b) in expected.items()
        for path in [f"reporting.channel_mix.{channel}"]
    ]
    policies = text_of(section(html, "appendix"))
    assert (
        "detention.beds" in policies
        and "3 parameters changed" in policies
        and "1 parameter changed" in policies
    )
    description = " ".join(load_scenario(SCENARIOS / "remote_reporting.yaml").description.split())
    assert description in policies


def test_parameter_changes_cover_family_changes_and_ignore_labels() -> None:
    base = load_scenario(SCENARIOS / "baseline.yaml")
    assert base.departure.delay_days.dist == "gamma"
    data = base.model_dump()
    data["departure"]["delay_days"] = {"dist": "exponential", "mean": base.departure.delay_days.mean}
    data.update(name="other", title="<b>another title</b>", description="different")
    changes = parameter_changes(base, Scenario.model_validate(data))
    source = {r.path: r for r in parameter_rows(base)}["departure.delay_days.cv"].source
    assert changes == [
        ParamChange("departure.delay_days.dist", "gamma", "exponential", "distribution family", source),
        ParamChange("departure.delay_days.cv", "0.8", "—", "coefficient of variation (sd/mean)", source),
    ]
    assert parameter_changes(base, base) == []


def test_a_scenario_this_schema_cannot_read_still_gets_its_values(folder: Path) -> None:
    path = folder / "remote_reporting" / "scenario.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["future_feature"] = {"switch": 7}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    html = report(folder)
    policy = text_of(section(html, "appendix"))
    assert (
        "does not match this version's parameter schema" in policy and "Units and sources not shown" in policy
    )
    rows = table_by_header(section(html, "appendix"), "Parameter")
    shown = [[c for c, _ in r] for r in rows[1:]]
    assert ["reporting.channel_mix.in_person", "0.9", "0.5", "", ""] in shown
    assert ["future_feature.switch", "—", "7", "", ""] in shown
    assert len(shown) == 4


# ----------------------------------------------------------------------------------------------
# Nothing from the folder runs, and nothing outside it is read
# ----------------------------------------------------------------------------------------------

HOSTILE = '<script>alert("report")</script><img src=x onerror=alert(1)>'


def test_hostile_text_in_the_folder_is_escaped(folder: Path) -> None:
    path = folder / "remote_reporting" / "scenario.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["description"] = HOSTILE
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    manifest = read_json(folder / "comparison_manifest.json")
    manifest["scenarios"][1]["label"] = HOSTILE
    manifest["command_line"] = HOSTILE
    write_json(folder / "comparison_manifest.json", manifest)
    pd.DataFrame({"parameter": [HOSTILE], "swing": [1.0]}).to_csv(folder / "sensitivity.csv", index=False)

    html = report(folder)
    page = Page(html)
    assert page.scripts == 0 and "<script>" not in html and "<img src=x" not in html
    assert all(src.startswith("data:image/png;base64,") for src in page.images)
    escaped = "&lt;script&gt;alert(&#34;report&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
    assert html.count(escaped) >= 4  # description, label (heading, contents, table), command line, CSV
    assert HOSTILE in text_of(section(html, "sensitivity"))


def test_only_real_pngs_listed_by_the_manifest_and_inside_the_folder_are_embedded(
    folder: Path, tmp_path: Path
) -> None:
    png = (folder / "cost_vs_outcomes.png").read_bytes()
    outside = tmp_path / "outside.png"
    outside.write_bytes(png + b"outside")
    (folder / "link.png").symlink_to(outside)
    (folder / "fake.png").write_text("<svg onload=alert(1)>", encoding="utf-8")
    (folder / "tornado_sensitivity.png").write_bytes(png + b"tornado")
    (folder / "unlisted.png").write_bytes(png + b"unlisted")
    manifest = read_json(folder / "comparison_manifest.json")
    manifest["files"] += ["../outside.png", str(outside), "link.png", "fake.png", "tornado_sensitivity.png"]
    write_json(folder / "comparison_manifest.json", manifest)

    html = report(folder)
    embedded = [base64.b64decode(src.split(",", 1)[1]) for src in Page(html).images]
    assert len(embedded) == 7  # the folder's six and the new listed plot
    assert png + b"tornado" in embedded
    assert not any(e.endswith((b"outside", b"unlisted")) or e.startswith(b"<svg") for e in embedded)
    assert len(Page(section(html, "sensitivity")).images) == 1  # a new plot goes to its section


# ----------------------------------------------------------------------------------------------
# A single run's folder
# ----------------------------------------------------------------------------------------------


def test_a_run_folder_gets_a_shorter_report(folder: Path) -> None:
    html = report(folder / "baseline")
    page = Page(html)
    assert {"question", "policies", "headline", "time", "methods", "stress", "appendix"} <= page.ids
    # not applicable to one scenario; nothing compared, so no findings
    assert not {"findings", "all-kpis", "sensitivity", "uncertainty", "targets", "cost"} & page.ids
    assert len(page.images) == 4  # state flow, outcomes, cumulative outcomes, time to outcome
    params = table_by_header(section(html, "appendix"), "Parameter")
    assert [c for c, _ in params[0]][:3] == ["Parameter", "Default", "This run"]
    assert [[c for c, _ in r][:3] for r in params[1:]] == [
        ["horizon_days", "548", "120"],
        ["cohort.initial_size", "120,545", "300"],
    ]
    results = table_by_header(section(html, "headline"), "KPI")
    stats = pd.read_csv(folder / "baseline" / "summary_stats.csv")
    assert [r[0][0] for r in results[1:]] == [kpi(k).label for k in stats["kpi"]]


# ----------------------------------------------------------------------------------------------
# Methods and the checklist
# ----------------------------------------------------------------------------------------------


def test_methods_and_checklist_come_from_the_manifests(folder: Path) -> None:
    manifest = read_json(folder / "comparison_manifest.json")
    html = report(folder)
    methods = text_of(section(html, "methods"))
    assert "Root seed 12345" in methods and "Replications 3 per scenario" in methods
    assert manifest["command_line"] in methods and manifest["git_commit"] in methods
    assert f"SimPy {manifest['library_versions']['simpy']}" in methods
    assert "Horizon 120 days (about 4 months)" in methods and "cohort.initial_size = 300" in methods
    stress = section(html, "stress")
    captions = re.findall(r"<caption>(.*?)</caption>", stress)
    assert captions == [
        "1. Objectives",
        "2. Logic",
        "3. Data",
        "4. Experimentation",
        "5. Implementation",
        "6. Code access",
    ]
    text = text_of(stress)
    assert f"SimPy {manifest['library_versions']['simpy']}" in text and "No warm-up" in text
    assert "FIGURES: 40% of planned removals cancelled (ICIBI escorted removals, 2016)" in text
    assert re.search(r"Seed documents cited: 000 by \d+ parameters; 001 by \d+ parameters; 002 by", text)

    # an older folder without library versions or repository says so rather than guessing
    for name in ("library_versions", "repository"):
        manifest.pop(name)
    write_json(folder / "comparison_manifest.json", manifest)
    text = text_of(section(report(folder), "stress"))
    assert "SimPy not recorded" in text and "Repository: not recorded" in text


# ----------------------------------------------------------------------------------------------
# The command line
# ----------------------------------------------------------------------------------------------


def test_report_command_writes_the_report(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["report", str(folder)]) == 0
    assert (folder / "report.html").is_file()
    assert capsys.readouterr().out.strip() == f"Report: {folder / 'report.html'}"
    out = tmp_path / "briefing.html"
    assert cli.main(["report", str(folder), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def _refused(args: list[str], capsys: pytest.CaptureFixture[str], *words: str) -> None:
    assert cli.main(["report", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("run_sim.py: error: ") and all(w in err for w in words), err


def test_report_command_refuses_what_is_not_a_complete_results_folder(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _refused([str(tmp_path / "missing")], capsys, "no such folder")
    (tmp_path / "empty").mkdir()
    _refused([str(tmp_path / "empty")], capsys, "not a complete comparison or run folder")
    _refused([str(folder), "--out", str(tmp_path)], capsys, "is a folder")
    _refused([str(folder), "--out", str(tmp_path / "no" / "r.html")], capsys, "does not exist")

    (folder / "remote_reporting" / ".incomplete").write_text("", encoding="utf-8")
    _refused([str(folder)], capsys, "remote_reporting", ".incomplete", "--resume")
    (folder / "remote_reporting" / ".incomplete").unlink()
    (folder / ".incomplete").write_text("", encoding="utf-8")
    _refused([str(folder)], capsys, ".incomplete")
    (folder / ".incomplete").unlink()

    comparison = pd.read_csv(folder / "comparison.csv")
    comparison.drop(columns=["diff_ci_low"]).to_csv(folder / "comparison.csv", index=False)
    _refused([str(folder)], capsys, "comparison.csv", "diff_ci_low")
    comparison.to_csv(folder / "comparison.csv", index=False)

    manifest = read_json(folder / "comparison_manifest.json")
    manifest["scenarios"][1]["folder"] = "../elsewhere"
    write_json(folder / "comparison_manifest.json", manifest)
    _refused([str(folder)], capsys, "not a folder name inside the results folder")
    assert not (folder / "report.html").exists()  # nothing written by a refused report
    with pytest.raises(ReportError):
        write_report(folder)


def test_compare_report_writes_it_and_a_rerun_removes_a_stale_one(tmp_path: Path) -> None:
    out = tmp_path / "out"
    files = [str(SCENARIOS / "baseline.yaml"), str(SCENARIOS / "remote_reporting.yaml")]
    small = ["--horizon", "30", "--cohort-size", "40", "-n", "2", "--no-plots", "-q", "--out", str(out)]
    assert cli.main(["compare", *files, *small, "--report"]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert Page(html).images == [] and "Headline results" in html
    simpy = json.loads((out / "comparison_manifest.json").read_text(encoding="utf-8"))["library_versions"][
        "simpy"
    ]
    assert simpy and f"SimPy {simpy}" in text_of(section(html, "stress"))
    assert cli.main(["compare", *files, *small]) == 0
    assert not (out / "report.html").exists()


def test_run_report_writes_it_in_the_scenario_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    small = ["--horizon", "30", "--cohort-size", "40", "-n", "2", "--no-plots", "-q", "--out", str(out)]
    assert cli.main(["run", str(SCENARIOS / "baseline.yaml"), *small, "--report"]) == 0
    assert "Baseline (2012-14 contract)" in (out / "baseline" / "report.html").read_text(encoding="utf-8")


def test_numbers_in_the_report_use_thousands_separators(folder: Path) -> None:
    html = report(folder)
    table = table_by_header(section(html, "methods"), "Scenario")
    events = [row[4][0] for row in table[1:]]
    # under a thousand events per policy at this size since the contact phase takes none (issue
    # 20); separators in larger numbers: test_a_run_folder_gets_a_shorter_report (120,545)
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})*", e) for e in events), events
    total = sum(read_json(folder / p / "manifest.json")["total_events"] for p in POLICIES)
    assert math.isclose(sum(int(e.replace(",", "")) for e in events), total)


def test_the_template_ships_with_the_package() -> None:
    import sim.report.render

    template = Path(sim.report.render.__file__).parent / "templates"
    assert {"report.html.j2", "report.css"} <= {p.name for p in template.iterdir()}
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert '"sim.report" = ["templates/*.j2", "templates/*.css"]' in pyproject
