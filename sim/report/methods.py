"""The methods section and the STRESS-DES checklist (Monks et al. 2019, "Strengthening the
reporting of empirical simulation studies"): the facts of this run from the manifests and the
resolved scenarios, the facts of the model (its logic and algorithms) stated once here, in the
words of docs/model.md.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sim.analysis.kpis import KPIS, kpi
from sim.analysis.numbers import fmt_number
from sim.experiment import output
from sim.model.states import STATES
from sim.report.folder import ResultsFolder, ScenarioFolder
from sim.scenario.describe import format_value, parameter_rows
from sim.scenario.paths import value_at
from sim.studies import report_parts as rp
from sim.studies.base import NOT_RECORDED, mapping, recorded
from sim.studies.registry import BY_KIND
from sim.studies.report_parts import AnalysisFolder, Cell, Table


def confidence_level(manifest: Mapping[str, Any]) -> float:
    """The confidence level of the comparison's intervals: 1 - ``alpha`` when the manifest records
    an alpha, else 0.95 (the level every interval used before ``--alpha`` existed)."""
    alpha = rp.number(manifest.get("alpha"))
    return 1.0 - alpha if alpha is not None and 0.0 < alpha < 1.0 else 0.95


def percent(level: float) -> str:
    return f"{level * 100:.10g}%"


def days_text(value: Any) -> str:
    days = rp.number(value)
    if days is None:
        return NOT_RECORDED
    return f"{fmt_number(days, 0 if days.is_integer() else 1)} days (about {days / 30.44:.0f} months)"


def commit_text(manifest: Mapping[str, Any]) -> str:
    """The git commit a run used, and whether the checkout had uncommitted changes."""
    commit = manifest.get("git_commit")
    if not commit:
        return NOT_RECORDED + " (not run from a git checkout)"
    dirty = manifest.get("git_dirty")
    if not isinstance(dirty, bool):
        return f"{commit}, uncommitted changes not recorded"
    return f"{commit}{' with uncommitted changes' if dirty else ' (clean)'}"


def cohort_text(reference: ScenarioFolder) -> str:
    raw = reference.raw
    size = rp.number(value_at(raw, "cohort.initial_size"))
    ramp = rp.number(value_at(raw, "cohort.entry_ramp_days"))
    inflow = rp.number(value_at(raw, "cohort.inflow_per_week"))
    if size is None:
        return f"a cohort ({NOT_RECORDED} size)"
    out = f"a cohort of {fmt_number(size, 0)} people"
    if ramp:
        out += f" entering over {fmt_number(ramp, 0)} days"
    if inflow:
        out += f" plus {fmt_number(inflow, 1)} new entrants a week"
    return out


@dataclass(frozen=True)
class StressItem:
    """One checklist item: its code and title in Monks et al. (2019), and what this run reports."""

    code: str
    title: str
    paragraphs: list[str]
    bullets: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StressSection:
    """One of the six sections of the checklist."""

    number: int
    title: str
    items: list[StressItem]


def _library(manifest: Mapping[str, Any], name: str) -> str:
    return recorded(mapping(manifest, "library_versions").get(name) or None)


def _replications_text(manifest: Mapping[str, Any]) -> str:
    n = manifest.get("replications")
    text_ = f"{n} per scenario" if isinstance(n, int) else NOT_RECORDED
    adaptive = manifest.get("adaptive")
    if isinstance(adaptive, Mapping):
        wanted = ", ".join(f"{k} ±{format_value(v)}" for k, v in mapping(adaptive, "targets").items())
        met = adaptive.get("met")
        text_ += (
            f", chosen adaptively in batches of {adaptive.get('batch')} up to "
            f"{adaptive.get('max_replications')} until the paired-difference half-widths were below the "
            f"targets ({wanted}); targets "
            + ("met" if met is True else "not met at the cap" if met is False else NOT_RECORDED)
        )
    return text_


CRN_SENTENCE = (
    "Common random numbers: replication k of every scenario uses the random streams of (root seed, "
    "k), and every random number is keyed to one person and one decision, so two policies make "
    "exactly the same draws wherever a person's path is the same and each difference is measured "
    "on a pair of replications that differ only by the policy."
)


def methods_table(folder: ResultsFolder, level: float) -> Table:
    """How the results were made: design, random numbers, versions, commit and command line."""
    m = folder.manifest
    ref = folder.reference
    executor = recorded(m.get("executor"))
    if m.get("workers") is not None:
        executor += f", {m.get('workers')} worker(s)"
    if m.get("scheduler"):
        executor += f", scheduler {m.get('scheduler')}"
    overrides = rp.overrides_text(m.get("overrides"))
    wall = rp.number(m.get("wall_time_seconds"))
    comparison = folder.kind == "comparison"
    paired = "; differences paired by replication" if comparison else ""
    named = f"{ref.label} ({ref.name})"
    compared = [("Reference", named), ("Policies compared", str(len(folder.scenarios) - 1))]
    rows = compared if comparison else [("Scenario", named)]
    rows += [
        ("Horizon", days_text(value_at(ref.raw, "horizon_days"))),
        ("Cohort", cohort_text(ref)[0].upper() + cohort_text(ref)[1:]),
        ("Replications", _replications_text(m)),
        ("Root seed", recorded(m.get("root_seed"))),
        ("Random numbers", CRN_SENTENCE if comparison else CRN_SENTENCE.split(":", 1)[1].strip()),
        ("Intervals", f"{percent(level)} Student t intervals over replications{paired}"),
        ("Warm-up", "none: a fixed cohort followed from day 0 (results are per cohort, not a steady state)"),
        ("Command-line overrides", overrides or "none"),
        ("Executor", executor),
        ("Started", recorded(m.get("start_time"))),
        ("Wall time", f"{fmt_number(wall, 1)} s" if wall is not None else NOT_RECORDED),
        ("contact-sim version", recorded(m.get("package_version"))),
        ("Git commit", commit_text(m)),
        ("Python", recorded(m.get("python_version"))),
        ("SimPy", _library(m, "simpy")),
        ("Platform", recorded(m.get("platform"))),
        ("Command line", recorded(m.get("command_line"))),
    ]
    return Table(
        ["Item", "Value"],
        [[Cell(a), Cell(b)] for a, b in rows],
        caption="From the folder's manifests.",
        css="keyvalue",
    )


def runs_table(folder: ResultsFolder) -> Table:
    """One row per scenario folder, so a resumed or mixed-version run shows itself."""
    rows = []
    for s in folder.scenarios:
        m = s.manifest
        events = rp.number(m.get("total_events"))
        key = str(m.get("run_key") or "")
        rows.append(
            [
                Cell(s.label),
                Cell(recorded(m.get("replications")), numeric=True),
                Cell(recorded(m.get("replications_run_this_time")), numeric=True),
                Cell(recorded(m.get("replications_resumed")), numeric=True),
                Cell(fmt_number(events, 0) if events is not None else NOT_RECORDED, numeric=True),
                Cell(str(m.get("git_commit") or NOT_RECORDED)[:12]),
                Cell(key[:12] or NOT_RECORDED),
            ]
        )
    return Table(
        ["Scenario", "Replications", "Run this time", "Resumed", "Events", "Git commit", "Run key"],
        rows,
        [False, True, True, True, True, False, False],
        "Each scenario folder's manifest.json. The run key hashes the resolved scenario, seed and "
        "model code: replications stored under it were reused by --resume.",
    )


def analyses_table(analyses: Sequence[AnalysisFolder]) -> Table | None:
    """One row per ``report --with`` folder: what it varied and how, seed and command line."""
    if not analyses:
        return None
    rows = [
        [
            Cell(a.kind),
            Cell(a.given),
            Cell(BY_KIND[a.kind].varied(a.manifest) + f". Seed {recorded(a.manifest.get('root_seed'))}."),
            Cell(recorded(a.manifest.get("command_line"))),
        ]
        for a in analyses
    ]
    return Table(
        ["Analysis", "Folder", "What was varied and how", "Command line"],
        rows,
        caption="The design analyses included with --with, from each folder's manifest.",
    )


def _source_class(source: str) -> str:
    """Where a parameter's value comes from, by how its source begins."""
    starts = (
        ("calibrated", ("calibrated", "history matching")),
        ("assumption", ("assumption",)),
        ("documented", ("seed", "figures")),
    )
    return next((c for c, words in starts if source.lower().startswith(words)), "other")


SEED_DOCUMENT = re.compile(r"(?<![\w.,])(00\d)(?![\w.,])")
"""A seed document's number as sources cite it ("002 §4.2", "seed 000 scope"), not digits of a
larger number ("0.002", "56,000")."""


def _data_sources(reference: ScenarioFolder) -> tuple[list[str], list[str]]:
    """Paragraphs on the reference scenario's parameter provenance, and the sources citing FIGURES."""
    if reference.scenario is None:
        return [f"Parameter provenance {NOT_RECORDED}: {reference.problem}."], []
    rows = parameter_rows(reference.scenario)
    classes = Counter(_source_class(r.source) for r in rows)
    cites = Counter(document for r in rows for document in set(SEED_DOCUMENT.findall(r.source)))
    figures = sorted({r.source for r in rows if "FIGURES" in r.source})
    paragraphs_ = [
        f"The reference scenario has {len(rows)} parameters, each with a unit and a source: "
        f"{classes['documented']} taken directly from the seed documents or the FIGURES compilation, "
        f"{classes['calibrated']} calibrated to published figures (scripts/calibrate.py, values in "
        "sim/scenario/calibration.yaml; or by history matching, run_sim.py calibrate, docs/validation.md), "
        f"{classes['assumption']} stated assumptions (many informed "
        "by the documents, as their sources say)"
        + (f", {classes['other']} other" if classes["other"] else "")
        + ".",
    ]
    if cites:
        paragraphs_.append(
            "Seed documents cited: "
            + "; ".join(f"{d} by {rp.counted(n, 'parameter')}" for d, n in sorted(cites.items()))
            + "."
        )
    if figures:
        paragraphs_.append(f"Sources citing FIGURES ({len(figures)} distinct):")
    return paragraphs_, figures


def _resources_text(reference: ScenarioFolder) -> str:
    frame = rp.read_csv(reference.path, output.TABLE_FILES["resources"])
    if frame is None or not {"resource", "capacity"} <= set(frame.columns):
        return NOT_RECORDED
    capacity = frame.groupby("resource", sort=False)["capacity"].mean()
    return ", ".join(
        f"{str(name).replace('_', ' ')} ({fmt_number(float(c), 0)})" for name, c in capacity.items()
    )


PURPOSE = (
    "To estimate how Home Office policies for making, keeping and re-establishing contact with "
    "people who have no leave to enter or remain change voluntary departure, enforced removal, "
    "absconding and cost, for the Migration Refusal Pool cohort of the 2012-14 contact contract "
    "(the calibrated baseline)."
)
LOGIC = (
    "Process-based discrete-event simulation (SimPy): each person runs one process that "
    "hands control to the part (module) owning their state; every state change goes "
    "through one recorder that checks invariants (one state at a time, terminal states "
    "never left, time never decreasing)."
)
ALGORITHMS = (
    "Delays are sampled by inverse CDF from keyed uniforms (exponential, gamma, "
    "lognormal, triangular, uniform, fixed); the next eventful report is drawn from a "
    "geometric distribution in one step; the contact phase is planned for the whole "
    "cohort at once (vectorised) and only steps that need the clock become events; "
    "first-come-first-served queues without reneging compute the start of service on "
    "arrival."
)
COMPONENTS = (
    "Activities: contact attempts (phone, text, letter, e-mail), data-enrichment checks, "
    "notices, reports (in person, telephone, digital), tracing actions, casework "
    "decisions, arrest visits, detention and removal.",
    "Queues: first come, first served; detention is a loss system (no free bed: the "
    "referral is turned away).",
    "Entry and exit: people enter the pool over the entry ramp; they leave the model "
    "only through a terminal state, or are still live at the horizon.",
)
PRE_PROCESSING = (
    "None in the model: published figures were turned into parameter values by hand, "
    "as each source says; three unpublished values are calibrated to published totals "
    "by scripts/calibrate.py."
)
ASSUMPTIONS = (
    "Parameters whose source begins 'assumption' are the modellers' stated assumptions "
    "(counted under 3.1). People who leave the UK while out of contact are not modelled "
    "apart from those still here; staff capacity runs round the clock in simulated "
    "time (docs/model.md, 'Limitations')."
)
INITIALISATION = (
    "No warm-up: a fixed cohort enters from day 0 and is followed to the horizon; there "
    "is no steady state to reach."
)


STRESS_SECTIONS = ("Objectives", "Logic", "Data", "Experimentation", "Implementation", "Code access")
"""The checklist's six sections, numbered from 1: an item's code starts with its section's number."""


def _objectives_and_logic(folder: ResultsFolder, kpis_compared: Sequence[str]) -> list[StressItem]:
    ref = folder.reference
    labels = "; ".join(kpi(k).label for k in kpis_compared if k in KPIS) or NOT_RECORDED
    policies = [s.label for s in folder.scenarios[1:]] if folder.kind == "comparison" else []
    n = len(policies)
    aims = (
        f"Compare {n} polic{'y' if n == 1 else 'ies'} with the reference “{ref.label}”: "
        + "; ".join(policies)
        if policies
        else f"Estimate the outcomes of “{ref.label}”"
    )
    live = ", ".join(s.label.replace("_", " ") for s in STATES if not s.terminal)
    terminal = ", ".join(s.label.replace("_", " ") for s in STATES if s.terminal)
    where = "under 'Policies compared'" if folder.kind == "comparison" else "under 'The scenario'"
    overview = (
        f"States a person moves between: {live} (live), and {terminal} (terminal). The figure "
        "of where the cohort is over time shows the flow; docs/model.md ('Process overview') "
        "tabulates each state and the process that runs it."
    )
    scenario_logic = (
        "Scenarios change parameter values only; the model logic is the same for all. The "
        f"parameters each one changes are listed {where}, with unit and source."
    )
    entities = f"Entities: people, {cohort_text(ref)}."
    resources = f"Resources (capacity in the reference): {_resources_text(ref)}."
    outputs = f"Per replication and cohort (summary.csv); compared here: {labels}."
    return [
        StressItem("1.1", "Purpose of the model", [PURPOSE]),
        StressItem("1.2", "Model outputs", [outputs]),
        StressItem("1.3", "Experimentation aims", [aims + "."]),
        StressItem("2.1", "Base model overview", [overview]),
        StressItem("2.2", "Base model logic", [LOGIC]),
        StressItem("2.3", "Scenario logic", [scenario_logic]),
        StressItem("2.4", "Algorithms", [ALGORITHMS]),
        StressItem("2.5", "Components", [entities, COMPONENTS[0], resources, *COMPONENTS[1:]]),
    ]


def stress_checklist(
    folder: ResultsFolder, level: float, kpis_compared: Sequence[str]
) -> list[StressSection]:
    """The six STRESS-DES sections, filled from the folder (``kpis_compared``: the KPIs reported)."""
    m = folder.manifest
    overrides = rp.overrides_text(m.get("overrides"))
    comparison = folder.kind == "comparison"
    parameters = (
        "Every parameter of every scenario is in its folder's scenario.yaml (resolved: defaults, "
        "extends chain and overrides applied); 'run_sim.py describe' and docs/parameters.md list each with "
        "unit and source." + (f" Overrides applied to every scenario: {overrides}." if overrides else "")
    )
    paired = "; policy effects as paired differences under common random numbers" if comparison else ""
    estimation = (
        f"Replications: {_replications_text(m)}. Root seed {recorded(m.get('root_seed'))}. "
        f"Means with {percent(level)} Student t intervals over replications{paired}."
    )
    versions = m.get("library_versions")
    others = (
        "; also " + ", ".join(f"{k} {v or 'not installed'}" for k, v in versions.items() if k != "simpy")
        if isinstance(versions, Mapping)
        else ""
    )
    software = (
        f"Python {recorded(m.get('python_version'))}, SimPy {_library(m, 'simpy')}, "
        f"contact-sim {recorded(m.get('package_version'))}{others}."
    )
    sampling = (
        "Every random number is a pure function of (root seed, replication, purpose, "
        "person, index): a SplitMix64 hash of a counter under a key from numpy's "
        f"SeedSequence. Root seed {recorded(m.get('root_seed'))}."
    )
    scheduler = f", scheduler {m.get('scheduler')}" if m.get("scheduler") else ""
    execution = (
        f"Executor: {recorded(m.get('executor'))}, {recorded(m.get('workers'))} worker(s)"
        f"{scheduler}; results do not depend on the executor or the number of workers. "
        "Events are scheduled only when something happens (SimPy's event queue)."
    )
    sharing = (
        f"contact-sim {recorded(m.get('package_version'))}, MIT licence. Git commit: {commit_text(m)}. "
        f"Repository: {recorded(m.get('repository'))}. To reproduce: {recorded(m.get('command_line'))}."
    )
    horizon = f"{days_text(value_at(folder.reference.raw, 'horizon_days'))} (horizon_days)."
    items = [
        *_objectives_and_logic(folder, kpis_compared),
        StressItem("3.1", "Data sources", *_data_sources(folder.reference)),
        StressItem("3.2", "Pre-processing", [PRE_PROCESSING]),
        StressItem("3.3", "Input parameters", [parameters]),
        StressItem("3.4", "Assumptions", [ASSUMPTIONS]),
        StressItem("4.1", "Initialisation", [INITIALISATION]),
        StressItem("4.2", "Run length", [horizon]),
        StressItem("4.3", "Estimation approach", [estimation]),
        StressItem("5.1", "Software", [software]),
        StressItem("5.2", "Random sampling", [sampling]),
        StressItem("5.3", "Model execution", [execution]),
        StressItem("5.4", "System specification", [f"{recorded(m.get('platform'))}."]),
        StressItem("6.1", "Computer model sharing statement", [sharing]),
    ]
    return [
        StressSection(n, title, [i for i in items if i.code.split(".")[0] == str(n)])
        for n, title in enumerate(STRESS_SECTIONS, 1)
    ]
