"""What the report says, as plain data for the template (which only lays it out), from the folder's
files and the KPI definitions: what the folder does not record is "not recorded", an optional
analysis without its file "not run", so a reader can tell "no effect" from "not looked at". Each
study's part comes from the study itself (``Study.report``): nothing here branches on its name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sim.analysis.figures import (
    COST_PLOT,
    CUMULATIVE_PLOT,
    FOREST_PLOT,
    OUTCOMES_PLOT,
    RUN_CUMULATIVE_PREFIX,
    RUN_OUTCOMES_PREFIX,
    STATE_FLOW_PREFIX,
)
from sim.analysis.kpis import DEFAULT_KPIS
from sim.experiment import output
from sim.report.findings import Findings, change_sentences, net_benefit_sentence
from sim.report.folder import ResultsFolder, ScenarioFolder
from sim.report.methods import (
    StressSection,
    analyses_table,
    confidence_level,
    methods_table,
    percent,
    runs_table,
    stress_checklist,
)
from sim.report.policies import Policy, policies, question
from sim.report.results import (
    Headline,
    comparison_frame,
    cost_effectiveness,
    headline,
    run_headline,
    time_to_outcome,
)
from sim.studies import report_parts as rp
from sim.studies.registry import BY_KIND, STUDIES
from sim.studies.report_parts import AnalysisFolder, Part, Table

STUDY_SECTIONS = (
    ("sensitivity", "Sensitivity analysis"),
    ("uncertainty", "Parameter uncertainty"),
    ("targets", "Calibration and validation targets"),
    ("sweep", "Parameter sweeps"),
)
"""The sections the studies' parts go in (``Study.section``), in reading order. A section whose
studies never wrote into a results folder itself (a sweep) is shown only when a folder is given."""


@dataclass
class Section:
    """A results section: present (tables and figures) or absent (``absent`` says why)."""

    anchor: str
    title: str
    intro: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[rp.Figure] = field(default_factory=list)
    absent: str = ""
    parts: list[Part] = field(default_factory=list)
    """One per ``report --with`` folder of this section's analysis, after the section's own content."""


@dataclass(frozen=True)
class Report:
    """Everything the template shows, in reading order."""

    kind: str
    title: str
    subtitle: str
    written: str
    question: list[str]
    warnings: list[str]
    policies_title: str
    policies_intro: str
    policies: list[Policy]
    sections: list[Section]
    methods: Table
    runs: Table
    stress: list[StressSection]
    analyses: Table | None = None
    """What each ``--with`` analysis varied and how (None when none was given)."""
    findings: Findings | None = None
    """What the comparison found, first (None for a single run: nothing to compare)."""

    @property
    def contents(self) -> list[tuple[str, str]]:
        """(anchor, title) of every section, for the contents list."""
        return [
            *([("findings", "Findings")] if self.findings else []),
            ("question", "The question"),
            ("policies", self.policies_title),
            *((s.anchor, s.title) for s in self.sections),
            ("methods", "Methods"),
            ("stress", "STRESS-DES checklist"),
            ("appendix", self.appendix_title),
        ]

    @property
    def appendix_title(self) -> str:
        return f"Appendix: {'each policy' if self.kind == 'comparison' else 'the scenario'} in full"


DOTS = "Each dot is one replication; the diamond is the mean and the whisker its 95% t interval."
BUILD_UP = "How each outcome builds up: mean over replications with a 95% band."
FIGURE_TEXT: tuple[tuple[str, str, str, str], ...] = (
    (OUTCOMES_PLOT, "headline", "Outcomes per policy", DOTS),
    (
        FOREST_PLOT,
        "headline",
        "Paired differences from the reference",
        "Each policy minus the reference, replication by replication (common random numbers), with "
        "the 95% interval of the mean difference; a whisker clear of the zero line is a difference "
        "the replications can distinguish.",
    ),
    (
        COST_PLOT,
        "cost",
        "Cost against departures and removals",
        "Total cost against people who left the UK (voluntary departures, enforced removals, cases "
        "closed as already departed), one point per policy with 95% intervals both ways: "
        "right is more departures, up is more cost.",
    ),
    (
        CUMULATIVE_PLOT,
        "time",
        "Outcomes over time",
        f"{BUILD_UP} Departures, removals and closures are cumulative; out of contact is the number "
        "out of contact at the time.",
    ),
    (
        STATE_FLOW_PREFIX,
        "time",
        "Where the cohort is over time",
        "Mean number of people in each state, stacked: the cohort drains from the pool and the live "
        "caseload (top) into settled outcomes (bottom).",
    ),
    (RUN_OUTCOMES_PREFIX, "headline", "Outcomes per cohort", DOTS),
    (RUN_CUMULATIVE_PREFIX, "time", "Outcomes over time", BUILD_UP),
)
"""Known plots, by the start of their file name: a comparison's plots by their whole name, then
the per-scenario plots (``plot_run``, whose names end with the scenario's label slug) by prefix;
their section, title and caption (the plot functions' own descriptions). The whole names come
first: "outcomes_by_policy.png" also starts with "outcomes_"."""

SECTION_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("cost", ("cost",)),
    ("time", ("time_to", "cumulative", "incidence", "over_time")),
    ("sensitivity", ("sensitiv", "tornado")),
    ("uncertainty", ("uncertain",)),
    ("targets", ("target", "calibrat", "validat")),
)
"""Section of any other listed plot, by words in its file name (new analyses add new plots)."""


def _figure_info(name: str) -> tuple[str, str, str]:
    for start, section, title, caption in FIGURE_TEXT:
        if name.startswith(start):
            return section, title, caption
    stem = name.rsplit(".", 1)[0].lower()
    found = next((s for s, words in SECTION_WORDS if any(w in stem for w in words)), "other")
    return found, rp.plain_title(name), ""


def _figures(
    folder: ScenarioFolder | ResultsFolder, only: Sequence[str] | None = None
) -> dict[str, list[rp.Figure]]:
    """The PNGs the manifest lists (those starting with ``only`` if given), embedded, by section."""
    out: dict[str, list[rp.Figure]] = {}
    for name, uri in rp.listed_pngs(folder.path, folder.manifest):
        if only is not None and not name.startswith(tuple(only)):
            continue
        section, title, caption = _figure_info(name)
        relative = name if isinstance(folder, ResultsFolder) else f"{folder.path.name}/{name}"
        out.setdefault(section, []).append(rp.Figure(title, caption, uri, relative))
    return out


def _cost_and_time(folder: ResultsFolder, figures: dict[str, list[rp.Figure]]) -> list[Section]:
    """Cost-effectiveness and time to outcome, from the results folder's own files."""
    cost = Section("cost", "Cost-effectiveness", figures=figures.get("cost", []))
    ce = folder.csv(output.COST_EFFECTIVENESS_FILE)
    if ce is not None:
        cost.tables.append(cost_effectiveness(folder, ce))
    elif folder.kind == "comparison":
        cost.intro.append(
            "Incremental cost-effectiveness (cost per extra outcome, net benefit): not run "
            f"(no {output.COST_EFFECTIVENESS_FILE} in this folder). The headline table gives each policy's "
            "extra cost; the figure puts cost against departures and removals."
        )
    if not cost.tables and not cost.figures:
        cost.absent = f"Not run: no {output.COST_EFFECTIVENESS_FILE} and no cost plot in this folder."
    time = Section("time", "Outcomes over time", figures=figures.get("time", []))
    tto = folder.csv(output.TIME_TO_OUTCOME_FILE)
    if tto is not None:
        time.tables.append(time_to_outcome(folder, tto))
    elif time.figures:
        time.intro.append(
            f"Time-to-outcome table: not run (no {output.TIME_TO_OUTCOME_FILE} in this folder)."
        )
    else:
        time.absent = f"Not run: no {output.TIME_TO_OUTCOME_FILE} and no plots over time in this folder."
    return [cost, time]


def analysis_part(folder: AnalysisFolder, labels: Mapping[str, str], reference: str) -> Part:
    """A ``--with`` folder's part as its study reads it (ReportError if its tables are not what
    the study writes), with the figures its manifest lists and the overrides it ran with."""
    report = rp.study_report(BY_KIND[folder.kind])
    part = report.part(folder, labels, reference)
    part.figures, notes = rp.analysis_figures(folder, report.figure)
    overrides = rp.overrides_text(folder.manifest.get("overrides"))
    part.notes += notes + ([f"Run with command-line overrides: {overrides}."] if overrides else [])
    return part


def _study_sections(
    folder: ResultsFolder, figures: dict[str, list[rp.Figure]], analyses: Sequence[AnalysisFolder]
) -> list[Section]:
    """A section per ``STUDY_SECTIONS``: the study files older versions wrote into the results
    folder itself, then a part per ``--with`` folder (in the registry's order, then as given)."""
    labels, reference = folder.labels, folder.reference.name
    parts = {
        s.kind: [analysis_part(a, labels, reference) for a in analyses if a.kind == s.kind] for s in STUDIES
    }
    sections = []
    for anchor, title in STUDY_SECTIONS:
        section = Section(anchor, title, figures=figures.get(anchor, []))
        files: list[str] = []
        commands: list[str] = []
        for study in (s for s in STUDIES if s.section == anchor):
            report = rp.study_report(study)
            frames = {name: f for name in report.files if (f := folder.csv(name)) is not None}
            if report.tables is not None and frames:
                tables, intro = report.tables(frames, labels, reference)
                section.tables += tables
                section.intro += intro
            files += report.files
            commands += [f"'{study.command}'"] if report.files else []
            section.parts += parts[study.kind]
        if not section.tables and not section.figures and not section.parts:
            if not files:
                continue
            section.absent = (
                f"Not run: no {' or '.join(files)} in this folder. "
                f"Add the folder a {' or '.join(commands)} run wrote with report --with DIR."
            )
        sections.append(section)
    return sections


def _findings(
    folder: ResultsFolder, head: Headline, pct: str, analyses: Sequence[AnalysisFolder]
) -> Findings:
    """The headline table's changes, the best net benefit, and what each study with ``findings``
    says (from the first of its files present in the results folder or a ``--with`` folder)."""
    labels = folder.labels
    items = change_sentences(head.changes, [s.label for s in folder.scenarios[1:]], head.kpis, pct)
    ce = folder.csv(output.COST_EFFECTIVENESS_FILE)
    items += net_benefit_sentence(ce, labels, pct) if ce is not None else []
    for study in STUDIES:
        report = rp.study_report(study)
        if report.findings is None:
            continue
        readers = [folder.csv, *(lambda n, a=a: a.optional(n, ()) for a in analyses if a.kind == study.kind)]
        for read in readers:
            frames = next(({n: f} for n in report.files if (f := read(n)) is not None), None)
            items += report.findings(frames, labels) if frames else []
    lead = (
        f"Each policy against {folder.reference.label}, per cohort: the differences whose {head.interval} "
        "interval excludes 0 (those marked in the headline table), the largest relative change first."
    )
    return Findings(lead, items)


def _warnings(folder: ResultsFolder) -> list[str]:
    m = folder.manifest
    out = []
    overrides = rp.overrides_text(m.get("overrides"))
    if overrides:
        out.append(
            f"Quick look: {'every scenario was' if folder.kind == 'comparison' else 'this was'} run "
            f"with command-line overrides ({overrides}), so these "
            "are not results for the full calibrated cohort."
        )
    n = m.get("replications")
    if isinstance(n, int) and n < 2:
        out.append("One replication per scenario: no confidence intervals can be given.")
    if m.get("git_dirty") is True:
        out.append(
            "The code had uncommitted changes when this was run: the git commit alone does not reproduce it."
        )
    commits = {s.manifest.get("git_commit") for s in folder.scenarios} | {m.get("git_commit")}
    if len(commits) > 1:
        out.append(
            "The scenario folders record different git commits (replications resumed across code "
            "versions?): see the table of runs under Methods."
        )
    out += [f"{s.label}: {s.problem}." for s in folder.scenarios if s.problem]
    return out


def _analysis_warnings(folder: ResultsFolder, analyses: Sequence[AnalysisFolder]) -> list[str]:
    """Where a ``--with`` folder was run on another reference (its manifest names the scenario it
    ran on, or a mapping of them: ``Study.reference``) or another cohort than the results: worth a
    line at the top, not a refusal (a sensitivity run is often on a smaller cohort)."""
    out = []
    reference, ours = folder.reference.name, rp.overrides_text(folder.manifest.get("overrides")) or "none"
    shown = f"this report's reference {rp.label(folder.labels, reference)} ({reference})"
    for a in analyses:
        theirs = a.manifest.get(BY_KIND[a.kind].reference)
        if isinstance(theirs, Mapping) and reference not in theirs:
            computed = ", ".join(map(str, theirs))
            out.append(f"--with {a.given}: the targets were computed on {computed}, not on {shown}.")
        elif isinstance(theirs, str) and theirs != reference:
            out.append(
                f"--with {a.given}: its reference scenario is {theirs}, not {shown}: its numbers are about "
                "another scenario."
            )
        if "overrides" in a.manifest:
            cohort = rp.overrides_text(a.manifest.get("overrides")) or "none"
            if cohort != ours:
                out.append(
                    f"--with {a.given}: run with command-line overrides {cohort}, the results "
                    f"folder with {ours}: its numbers are for another cohort or horizon."
                )
    return out


def build_report(
    folder: ResultsFolder, written: datetime | None = None, analyses: Sequence[AnalysisFolder] = ()
) -> Report:
    """Every section of the report of ``folder`` and of the ``analyses`` given with ``--with``
    (ReportError if its core tables, or an analysis's tables, are unusable)."""
    written = written or datetime.now(timezone.utc).astimezone()
    ref = folder.reference
    comparison = folder.kind == "comparison"
    figures = _figures(folder if comparison else ref)
    if comparison:
        level = confidence_level(folder.manifest)
        frame = comparison_frame(folder)
        head = headline(folder, frame, level)
        table, every = head.table, head.every
        for section, items in _figures(ref, only=(STATE_FLOW_PREFIX,)).items():
            figures.setdefault(section, []).extend(items)
        kpis_compared = list(dict.fromkeys(frame["kpi"]))
        n = len(folder.scenarios) - 1
        title = f"{n} polic{'y' if n == 1 else 'ies'} compared with {ref.label}"
    else:
        level, table, kpis_compared, title = 0.95, run_headline(folder), list(DEFAULT_KPIS), ref.label
    optional = [*_cost_and_time(folder, figures), *_study_sections(folder, figures, analyses)]
    sections = [
        Section(
            "headline",
            "Headline results" if comparison else "Results",
            tables=[table],
            figures=figures.get("headline", []),
        ),
        # a comparison says "not run" for an analysis it lacks; a single run, to which most of
        # them do not apply, leaves them out
        *(optional if comparison else [s for s in optional if not s.absent]),
        *([Section("all-kpis", "Every KPI compared", tables=[every])] if comparison else []),
    ]
    if figures.get("other"):
        sections.append(Section("other-figures", "Other figures", figures=figures["other"]))
    return Report(
        kind=folder.kind,
        title=title,
        subtitle="Simulated contact management: "
        + ("a comparison under common random numbers" if comparison else "results of one scenario"),
        written=written.isoformat(timespec="seconds"),
        question=question(folder),
        warnings=_warnings(folder) + _analysis_warnings(folder, analyses),
        policies_title="Policies compared" if comparison else "The scenario",
        policies_intro=(
            "Each policy's description (from its scenario file) and exactly which parameters it "
            "changes from the reference: the resolved scenario.yaml of its folder compared with the "
            "reference's, with each parameter's unit and source."
            if comparison
            else "The scenario's description and the parameters it sets differently from the schema's "
            "documented or calibrated defaults, with each parameter's unit and source."
        ),
        policies=policies(folder),
        sections=sections,
        methods=methods_table(folder, level),
        runs=runs_table(folder),
        analyses=analyses_table(analyses),
        stress=stress_checklist(folder, level, kpis_compared),
        findings=_findings(folder, head, percent(level), analyses) if comparison else None,
    )
