"""The one definition of every KPI: what it counts, its unit, and how it is shown.

A KPI is a column of ``summary.csv`` (one row per replication; values are per cohort over the
horizon). The model builds the summary row in the order defined here (``sim.model.results``), and
tables, plots, statistics and the command line take labels, units and display scales from here
and nowhere else, so a number reads the same in the terminal, in comparison.csv and on a figure
pasted into a briefing. It lives in the model (layer 1) so that the summary row and its
presentation cannot drift apart; the selections of KPIs shown by default are analysis choices and
stay in ``sim.analysis.kpis``.

Conventions:

* Counts are shown as they are (scale 1): "people" where people are counted (each once), "count"
  for events (attempts, reports, arrest visits, complaints, rejected referrals; a person can
  account for several), "person-days" for time spent in a state.
* Money is stored in GBP in every CSV, and shown in £ million (scale 1e6, two decimals, i.e. to the
  nearest £10,000) in tables and plots, because cohort costs run to tens of millions and a
  seven-digit GBP figure is hard to compare at a glance.
* A label is ``"<title> (<display unit>)"``: the unit is always in the label. The short heading
  of the printed comparison table names the unit where it is not people (``"Cost (£m)"``).

The CSV files keep the raw summary units; only what is displayed is scaled. This module depends
on nothing else (no pandas either), so anything may import it cheaply.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

MONEY_SCALE = 1e6
"""GBP per displayed unit of money (£ million)."""
MONEY_UNIT = "£ million"
MONEY_DECIMALS = 2
"""Decimals of money in £ million: to the nearest £10,000, finer than any policy difference of note."""


@dataclass(frozen=True)
class Kpi:
    """One summary.csv column and how it is presented.

    ``scale`` divides the stored value to give the displayed one (``display``); ``decimals`` is a
    fixed number of decimals for display, or None to choose by magnitude (counts).
    """

    name: str  # the summary.csv column
    title: str  # readable name without unit, e.g. "Total cost"
    unit: str  # unit of the value in summary.csv, e.g. "people", "GBP"
    display_unit: str  # unit of the displayed value, e.g. "people", "£ million"
    scale: float  # stored value / scale = displayed value
    heading: str  # short column heading of the printed comparison table
    description: str  # what is counted, in one line
    decimals: int | None = None
    higher_is_better: bool | None = None
    """Which way is better for the Home Office's aims (seed 000-002: contact, departure and removal
    up; absconding, lost contact, rejected referrals, complaints and cost down); None where the
    documents state no aim (activity counts, recording artefacts, grants of leave), so a procedure
    that needs a direction (``compare --select-best``) must be told one."""
    parts: tuple[str, ...] = ()
    """For a derived KPI: the summary.csv columns it adds up (per replication); empty for a column."""

    @property
    def label(self) -> str:
        """Title with the display unit, for table rows, panel titles and axes."""
        return f"{self.title} ({self.display_unit})"

    def display(self, value: float) -> float:
        """The stored value in the display unit (e.g. GBP -> £ million)."""
        return value / self.scale


def _count(
    name: str, title: str, unit: str, heading: str, description: str, better: bool | None = None
) -> Kpi:
    return Kpi(name, title, unit, unit, 1.0, heading, description, higher_is_better=better)


def _money(name: str, title: str, heading: str, description: str) -> Kpi:
    """Money: lower is better (a cost)."""
    return Kpi(name, title, "GBP", MONEY_UNIT, MONEY_SCALE, heading, description, MONEY_DECIMALS, False)


def cost_column(item: str) -> str:
    """The summary.csv column of a cost item (GBP), e.g. ``cost_staff_gbp``."""
    return f"cost_{item}_gbp"


def _cost_item(item: str, title: str, description: str) -> Kpi:
    return _money(cost_column(item), f"Cost: {title}", f"{title.capitalize()} (£m)", description)


_COSTS: tuple[tuple[str, str, str], ...] = (
    ("contact", "contact attempts", "Telecoms and postage per contact attempt, by channel"),
    ("enrichment", "data enrichment", "Data-enrichment (credit-reference) checks"),
    ("notices", "notices", "Producing and serving notices"),
    ("reporting", "reporting", "Staff time per attended report, by channel"),
    ("missed_reports", "missed reports", "Following up each missed report"),
    ("tracing", "tracing actions", "Checks and travel per tracing action (tracer time: staff)"),
    ("staff", "staff", "Agents, caseworkers and tracers paid per day for the whole horizon, busy or not"),
    ("arrests", "arrests", "Arrest visits"),
    ("detention", "detention", "Detention per person-day"),
    ("removals", "removals", "Enforced removals: documents, representations and travel"),
    ("assisted_returns", "assisted returns", "Assisted voluntary returns"),
    ("electronic_monitoring", "electronic monitoring", "GPS tags per tagged person-day on reporting"),
)
"""Cost items (item, title, description), in summary.csv column order after ``total_cost_gbp``."""
COST_ITEMS: tuple[str, ...] = tuple(item for item, _, _ in _COSTS)
"""The cost items; each is the column ``cost_column(item)`` of summary.csv (GBP)."""


_DEFINITIONS: tuple[Kpi, ...] = (
    _count("cohort_size", "Cohort size", "people", "Cohort", "People who entered the cohort by the horizon"),
    _count(
        "contacted",
        "Contacted",
        "people",
        "Contacted",
        "People contacted at least once (each person counted once)",
        better=True,
    ),
    _count(
        "departed_contacted",
        "Departed after contact",
        "people",
        "Departed (contacted)",
        "People contacted who then left the UK: voluntary departure, removal or closed as already departed",
        better=True,
    ),
    _count(
        "departed_voluntary",
        "Voluntary departures",
        "people",
        "Voluntary dep.",
        "People who departed voluntarily after contact, assisted or not",
        better=True,
    ),
    _count(
        "departed_assisted",
        "Assisted voluntary departures",
        "people",
        "Assisted dep.",
        "Voluntary departures that used assisted return",
    ),
    _count(
        "removed_enforced",
        "Enforced removals",
        "people",
        "Removals",
        "People removed by enforcement (the true outcome, not as recorded)",
        better=True,
    ),
    _count("granted_leave", "Granted leave", "people", "Granted leave", "People granted leave to remain"),
    _count(
        "closed_already_departed",
        "Closed as already departed",
        "people",
        "Already departed",
        "Cases closed on evidence that the person had already left the UK",
    ),
    _count(
        "closed_other",
        "Closed for other reasons",
        "people",
        "Closed other",
        "Cases closed for another reason, such as people listed in the pool in error",
    ),
    _count(
        "absconded",
        "Absconded",
        "people",
        "Absconded",
        "People who lost contact at least once (each person counted once)",
        better=False,
    ),
    _count(
        "out_of_contact_end",
        "Out of contact at end",
        "people",
        "Out of contact",
        "People out of contact at the horizon (known to have lost contact, declared or not)",
        better=False,
    ),
    _count(
        "declared_absconders_end",
        "Declared absconders at end",
        "people",
        "Declared",
        "People out of contact at the horizon who have been formally declared absconders",
        better=False,
    ),
    _count(
        "declarations",
        "Absconder declarations",
        "count",
        "Declarations",
        "Declarations of absconders made before the horizon; a person may be declared again after "
        "being found and losing contact again",
        better=False,
    ),
    _count(
        "declared_people",
        "People declared absconders",
        "people",
        "Declared (ever)",
        "People formally declared absconders at least once before the horizon (the GPS pilot's measure)",
        better=False,
    ),
    Kpi(
        "declaration_lag_mean_days",
        "Loss of contact to declaration",
        "days",
        "days",
        1.0,
        "Decl. lag",
        "Mean days from losing contact to being declared an absconder, over the declarations (0 if none)",
    ),
    _count(
        "absconded_from_reporting",
        "Stopped reporting",
        "people",
        "Stopped rep.",
        "Reportees who decided to stop reporting (the hazard of absconding on reporting); a person may recur",
        better=False,
    ),
    _count(
        "reporting_end",
        "On reporting at end",
        "people",
        "On reporting",
        "People on reporting conditions at the horizon",
    ),
    _count(
        "detention_rejections",
        "Detention rejections",
        "count",
        "Det. rejections",
        "Referrals turned away by the detention gatekeeper (a barrier or no free bed); a person may recur",
        better=False,
    ),
    _count(
        "detention_rejections_barrier",
        "Detention rejections for a barrier",
        "count",
        "Det. rej. barrier",
        "Referrals turned away because a barrier to removal was known or emerged at detention",
        better=False,
    ),
    _count(
        "detention_rejections_no_bed",
        "Detention rejections for want of a bed",
        "count",
        "Det. rej. no bed",
        "Referrals turned away because no detention bed was free (a loss system: no queue)",
        better=False,
    ),
    _count(
        "complaints",
        "Complaints",
        "count",
        "Complaints",
        "Complaints from people contacted although listed in the pool in error",
        better=False,
    ),
    _count(
        "recorded_removals",
        "Recorded removals",
        "people",
        "Rec. removals",
        "Removals as recorded: enforced removals plus departures mis-recorded as removals (seed 002 §5.4)",
    ),
    _count(
        "recorded_departures",
        "Recorded departures",
        "people",
        "Rec. departures",
        "Voluntary departures and closures as already departed, less those mis-recorded as removals",
    ),
    _count(
        "contact_attempts",
        "Contact attempts",
        "count",
        "Attempts",
        "Contact attempts by phone, text, letter and e-mail, including those skipped over in time",
    ),
    _count(
        "reports",
        "Reports attended",
        "count",
        "Reports",
        "Reporting events attended, in person, by telephone or digitally",
    ),
    _count(
        "missed_reports",
        "Reports missed",
        "count",
        "Missed",
        "Reporting events missed (by chance, after absconding, or because the notice was never acted on)",
        better=False,
    ),
    _count(
        "notices",
        "Notices served",
        "count",
        "Notices",
        "Reporting notices served, by post or in person",
    ),
    _count(
        "notices_in_person",
        "Notices served in person",
        "count",
        "Notices in person",
        "Reporting notices handed over in person (on release from detention, at the gatekeeper, when traced)",
    ),
    _count(
        "tracing_actions",
        "Tracing actions",
        "count",
        "Tracing actions",
        "Active tracing actions started by the tracing team before the horizon",
    ),
    _count(
        "arrests",
        "Arrest visits",
        "count",
        "Arrest visits",
        "Arrest visits by enforcement teams, whether or not the person was found",
    ),
    _count(
        "wasted_arrest_visits",
        "Wasted arrest visits",
        "count",
        "Wasted visits",
        "Arrest visits at which the person was not found (the visit's cost buys nothing; issue 18)",
        better=False,
    ),
    _count(
        "tagged_reportees",
        "Tags fitted",
        "count",
        "Tags",
        "Electronic (GPS) tags fitted to people joining reporting; a person may be tagged again",
    ),
    _count(
        "claims_granted",
        "Asylum claims granted",
        "claims",
        "Claims granted",
        "Initial decisions that granted protection (leave: a terminal outcome), before the horizon",
    ),
    _count(
        "claims_refused",
        "Asylum claims refused",
        "claims",
        "Claims refused",
        "Initial decisions that refused the claim or declared it inadmissible (an adverse notice)",
    ),
    _count(
        "claims_inadmissible",
        "Asylum claims inadmissible",
        "claims",
        "Inadmissible",
        "Refusals that declared the claim inadmissible (counted in claims refused too)",
    ),
    _count(
        "claims_withdrawn",
        "Asylum claims withdrawn",
        "claims",
        "Claims withdrawn",
        "Claims withdrawn at the decision day: by people in contact, or implicitly for people out of contact",
    ),
    _count(
        "claims_withdrawn_out_of_contact",
        "Claims withdrawn out of contact",
        "claims",
        "Withdrawn (OOC)",
        "Claims treated as implicitly withdrawn because the claimant was out of contact at the decision day",
        better=False,
    ),
    _count(
        "withdrawn_would_have_been_granted",
        "Withdrawn claims that would have been granted",
        "claims",
        "Lost grants",
        "Claims withdrawn out of contact that would have been granted (protection lost with contact)",
        better=False,
    ),
    _count(
        "support_discontinued",
        "Asylum support discontinued",
        "people",
        "Support ended",
        "Supported claimants out of contact at their decision day, or at the horizon with the claim pending: "
        "the provider reported the absence",
        better=False,
    ),
    _count(
        "detention_days",
        "Detention",
        "person-days",
        "Det. days",
        "Days spent in detention, summed over people",
    ),
    _count(
        "detention_leavers",
        "Detention leavers",
        "people",
        "Det. leavers",
        "Stays in detention that ended before the horizon, by any exit",
    ),
    _count(
        "detention_removed",
        "Removed from detention",
        "people",
        "Det. removed",
        "Detention leavers whose stay ended in removal",
    ),
    _count(
        "detention_stays_under_29d",
        "Detention stays under 29 days",
        "people",
        "Det. < 29 d",
        "Detention leavers held less than 29 days",
    ),
    _count(
        "detention_stays_under_122d",
        "Detention stays up to 4 months",
        "people",
        "Det. <= 4 m",
        "Detention leavers held at most 122 days (4 months)",
    ),
    _money("total_cost_gbp", "Total cost", "Cost (£m)", "Every cost item summed"),
    *(_cost_item(*cost) for cost in _COSTS),
)

KPIS: Mapping[str, Kpi] = MappingProxyType({k.name: k for k in _DEFINITIONS})
"""Every KPI by summary.csv column name, in summary.csv column order."""

DERIVED_KPIS: Mapping[str, Kpi] = MappingProxyType(
    {
        "departures_and_removals": Kpi(
            "departures_and_removals",
            "Voluntary departures and removals",
            "people",
            "people",
            1.0,
            "Dep. + removals",
            "Voluntary departures plus enforced removals: people the contact process saw leave the UK",
            higher_is_better=True,
            parts=("departed_voluntary", "removed_enforced"),
        ),
    }
)
"""KPIs computed per replication from summary.csv columns (the sum of ``parts``); they are not
columns of summary.csv but are analysed like one (cost-effectiveness, ``--select-best``)."""


class UnknownKpi(KeyError):
    """A KPI name that is not one of those allowed; the message names the closest or the choices."""

    def __str__(self) -> str:
        return str(self.args[0])


def resolve(
    names: Iterable[str],
    known: Iterable[str] | None = None,
    option: str = "",
    error: type[Exception] = UnknownKpi,
) -> tuple[str, ...]:
    """``names`` as given, each checked against ``known`` (default: every summary.csv KPI and
    every derived KPI); ``error`` (``UnknownKpi`` unless the caller's layer has its own) for the
    first unknown one, naming the closest known KPI (or, with none close, the choices) after the
    command-line ``option`` it came from, so every option that takes KPIs says the same thing."""
    choices = [*KPIS, *DERIVED_KPIS] if known is None else list(known)
    out = tuple(names)
    for name in out:
        if name not in choices:
            close = difflib.get_close_matches(name, choices, n=1)
            hint = f"did you mean {close[0]!r}?" if close else "choose from: " + ", ".join(choices)
            raise error(f"{option}: " * bool(option) + f"unknown KPI {name!r}; {hint}")
    return out


def kpi(name: str) -> Kpi:
    """The definition of a summary.csv column or a derived KPI; ``UnknownKpi`` (a KeyError) naming
    the closest known KPI otherwise."""
    (known,) = resolve([name])
    return KPIS.get(known) or DERIVED_KPIS[known]


__all__ = [
    "COST_ITEMS",
    "DERIVED_KPIS",
    "KPIS",
    "MONEY_DECIMALS",
    "MONEY_SCALE",
    "MONEY_UNIT",
    "Kpi",
    "UnknownKpi",
    "cost_column",
    "kpi",
    "resolve",
]
