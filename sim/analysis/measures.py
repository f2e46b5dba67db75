"""Model measures that a published figure can be compared with: one value per replication.

Each measure is defined once here (name, definition, unit) with the function that computes it from
a finished scenario folder's tables (``summary`` and ``sim.experiment.output.TABLE_FILES``, by
name); ``validation/targets.yaml`` names them and ``run_sim.py targets`` evaluates them. A measure
is a Series indexed by replication, so its t interval is computed as for every KPI. A missing
table or column raises ``MissingDataError`` naming it (a folder of an older model never gives a
silent NaN); a ratio whose denominator is 0 in a replication is NaN there (the statistics drop it
and report n).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.model.processes.departure import BARRIER_REFERRAL, RECORDED_DEPARTURE_CAUSES
from sim.model.states import NON_TERMINAL, State

DAYS_PER_MONTH = 30.44
"""Mean length of a calendar month in days (365.25 / 12), for rates per month."""
SIX_MONTHS_DAYS = 182
"""Day of the time-to-outcome curve read as 'within 6 months' (half of 365 days, rounded down)."""

Tables = Mapping[str, pd.DataFrame]
"""Table name -> the table for every replication of one scenario."""


class MissingDataError(LookupError):
    """A table or column a measure needs is not in the results folder."""


@dataclass(frozen=True)
class Measure:
    """One model measure: what it is, in what unit, and how it is computed."""

    name: str
    title: str  # short readable name, for plots and tables
    unit: str  # "share" (0-1) or a rate's unit
    definition: str  # precise plain-English definition
    compute: Callable[[Tables], pd.Series]

    @property
    def is_share(self) -> bool:
        return self.unit == "share"


# Reading tables and columns (loudly)


def table(tables: Tables, name: str, columns: Sequence[str]) -> pd.DataFrame:
    """The table ``name`` with at least ``columns``; MissingDataError naming what is absent."""
    if name not in tables:
        raise MissingDataError(f"table {name!r} is missing from the results folder")
    frame = tables[name]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MissingDataError(
            f"{name}: column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))} missing "
            f"(written by a model version without {'them' if len(missing) > 1 else 'it'})"
        )
    return frame


def _summary(tables: Tables, *columns: str) -> pd.DataFrame:
    frame = table(tables, "summary", ["replication", *columns])
    return frame.set_index("replication")[list(columns)].astype(float)


def _replications(tables: Tables) -> pd.Index:
    return pd.Index(sorted(_summary(tables).index.unique()), name="replication")


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    num, den = num.astype(float), den.astype(float)
    out = num / den.where(den != 0)
    out.index.name = "replication"
    return out


def _summary_ratio(numerator: str, denominator: str) -> Callable[[Tables], pd.Series]:
    """The measure ``numerator / denominator`` of two summary.csv columns."""

    def measure(t: Tables) -> pd.Series:
        s = _summary(t, numerator, denominator)
        return _ratio(s[numerator], s[denominator])

    return measure


def transition_count(
    tables: Tables,
    *,
    from_states: Sequence[str] | None = None,
    to_states: Sequence[str] | None = None,
    causes: Sequence[str] | None = None,
) -> pd.Series:
    """Number of transitions per replication matching every filter given (0 where none)."""
    t = table(tables, "transitions", ["replication", "from_state", "to_state", "cause", "count"])
    keep = pd.Series(True, index=t.index)
    if from_states is not None:
        keep &= t["from_state"].isin(from_states)
    if to_states is not None:
        keep &= t["to_state"].isin(to_states)
    if causes is not None:
        keep &= t["cause"].isin(causes)
    counts = t[keep].groupby("replication")["count"].sum()
    return counts.reindex(_replications(tables), fill_value=0).astype(float)


def person_days(tables: Tables, state: str) -> pd.Series:
    o = table(tables, "occupancy", ["replication", "state", "person_days"])
    days = o[o["state"] == state].groupby("replication")["person_days"].sum()
    return days.reindex(_replications(tables), fill_value=0.0).astype(float)


def end_count(tables: Tables, states: Sequence[str]) -> pd.Series:
    e = table(tables, "end_states", ["replication", "state", "count"])
    counts = e[e["state"].isin(states)].groupby("replication")["count"].sum()
    return counts.reindex(_replications(tables), fill_value=0).astype(float)


# The measures

LIABLE: tuple[str, ...] = tuple(state.label for state in NON_TERMINAL)
"""States of people still liable for removal at the horizon (not departed, removed, granted or closed)."""


def departures_recorded_as_removals_share(t: Tables) -> pd.Series:
    s = _summary(t, "recorded_removals", "removed_enforced")
    misrecorded = s["recorded_removals"] - s["removed_enforced"]
    return _ratio(misrecorded, transition_count(t, causes=RECORDED_DEPARTURE_CAUSES))


def _contact_outcomes(t: Tables) -> pd.Series:
    """Cases with a contact-management outcome: first contacts plus closures before contact."""
    s = _summary(t, "contacted")
    closed_before = transition_count(
        t, from_states=[State.POOL.label], to_states=[State.CLOSED_ALREADY_DEPARTED.label]
    )
    return s["contacted"] + closed_before


def service_level_departures_share(t: Tables) -> pd.Series:
    s = _summary(t, "departed_voluntary", "closed_already_departed")
    return _ratio(s["departed_voluntary"] + s["closed_already_departed"], _contact_outcomes(t))


def service_level_barrier_referrals_share(t: Tables) -> pd.Series:
    referrals = transition_count(
        t, from_states=[State.IN_CONTACT.label], to_states=[State.CASEWORK.label], causes=[BARRIER_REFERRAL]
    )
    return _ratio(referrals, _contact_outcomes(t))


def voluntary_departure_within_6_months_of_contact(t: Tables) -> pd.Series:
    from sim.analysis.survival import incidence_by_replication

    life = table(t, "life_table", ["replication", "clock", "day", "event", "count"])
    since = life[life["clock"] == "since_contact"]
    reps = _replications(t)
    if since.empty:
        return pd.Series(np.nan, index=reps, dtype=float)
    curves = incidence_by_replication(since, SIX_MONTHS_DAYS)
    at = curves[(curves["outcome"] == State.DEPARTED_VOLUNTARY.label) & (curves["day"] == SIX_MONTHS_DAYS)]
    out = at.set_index("replication")["cumulative_incidence"].astype(float).reindex(reps)
    # a replication with contacted people none of whom departed voluntarily has no curve: 0
    out[reps.isin(since["replication"].unique()) & out.isna().to_numpy()] = 0.0
    out.index.name = "replication"
    return out


def detention_leavers_removed_share(t: Tables) -> pd.Series:
    return _ratio(
        transition_count(t, from_states=[State.DETAINED.label], to_states=[State.REMOVED.label]),
        transition_count(t, from_states=[State.DETAINED.label]),
    )


def loss_of_contact_per_1000_reporting_per_month(t: Tables) -> pd.Series:
    lost = transition_count(t, from_states=[State.REPORTING.label], to_states=[State.OUT_OF_CONTACT.label])
    return _ratio(lost * DAYS_PER_MONTH * 1000.0, person_days(t, State.REPORTING.label))


def missed_reports_per_1000_reporting_per_month(t: Tables) -> pd.Series:
    s = _summary(t, "missed_reports")
    return _ratio(s["missed_reports"] * DAYS_PER_MONTH * 1000.0, person_days(t, State.REPORTING.label))


def not_detained_share_of_liable(t: Tables) -> pd.Series:
    liable = end_count(t, LIABLE)
    return 1.0 - _ratio(end_count(t, [State.DETAINED.label]), liable)


MEASURES: dict[str, Measure] = {
    m.name: m
    for m in (
        Measure(
            "contacted_share",
            "Contacted",
            "share",
            "people contacted at least once by the horizon / people who entered the contact process "
            "(summary.csv contacted / cohort_size)",
            _summary_ratio("contacted", "cohort_size"),
        ),
        Measure(
            "departed_share_of_contacted",
            "Departed, of contacted",
            "share",
            "people contacted who left the UK by the horizon (voluntary departure, removal or "
            "closed as already departed on contact) / people contacted (summary.csv "
            "departed_contacted / contacted), as scripts/calibrate.py computes it",
            _summary_ratio("departed_contacted", "contacted"),
        ),
        Measure(
            "complaint_share",
            "Complaints",
            "share",
            "complaints about contact made in error / people who entered the contact process "
            "(summary.csv complaints / cohort_size)",
            _summary_ratio("complaints", "cohort_size"),
        ),
        Measure(
            "departures_recorded_as_removals_share",
            "Departures recorded as removals",
            "share",
            "contractor-confirmed departures logged as enforced removals (summary.csv "
            "recorded_removals - removed_enforced) / contractor-confirmed departures (transitions "
            "with cause assisted_return, voluntary_departure or evidence_of_departure_on_contact)",
            departures_recorded_as_removals_share,
        ),
        Measure(
            "service_level_departures_share",
            "SL: departures",
            "share",
            "people who left without enforcement (summary.csv departed_voluntary + "
            "closed_already_departed) / cases with a contact-management outcome (summary.csv "
            "contacted + transitions pool -> closed_already_departed)",
            service_level_departures_share,
        ),
        Measure(
            "service_level_barrier_referrals_share",
            "SL: barrier referrals",
            "share",
            "referrals to casework with a barrier on contact (transitions in_contact -> casework, "
            "cause barrier_referral; a recycled case referred again counts again) / cases with a "
            "contact-management outcome (as service_level_departures_share)",
            service_level_barrier_referrals_share,
        ),
        Measure(
            "voluntary_departure_within_6_months_of_contact",
            "Left within 6 months of contact",
            "share",
            f"cumulative incidence of voluntary departure (assisted or not) by day {SIX_MONTHS_DAYS} "
            "since first contact, Aalen-Johansen on life_table.csv clock since_contact (competing "
            "outcomes; people contacted late are censored at the horizon, not counted as staying)",
            voluntary_departure_within_6_months_of_contact,
        ),
        Measure(
            "detention_leavers_removed_share",
            "Detention leavers removed",
            "share",
            "transitions detained -> removed / all transitions out of detained before the horizon "
            "(released to reporting or casework, or removed): the share of detention leavers removed",
            detention_leavers_removed_share,
        ),
        Measure(
            "loss_of_contact_per_1000_reporting_per_month",
            "Loss of contact from reporting",
            "per 1,000 on reporting per month",
            "transitions reporting -> out_of_contact (any cause: missed reports, never reported, "
            f"notice not received, absconded before departure) / person-days on reporting x "
            f"{DAYS_PER_MONTH} x 1,000, over the whole run",
            loss_of_contact_per_1000_reporting_per_month,
        ),
        Measure(
            "missed_reports_per_1000_reporting_per_month",
            "Missed reports",
            "per 1,000 on reporting per month",
            f"reports missed before the horizon (summary.csv missed_reports) / person-days on "
            f"reporting x {DAYS_PER_MONTH} x 1,000",
            missed_reports_per_1000_reporting_per_month,
        ),
        Measure(
            "declared_absconders_per_person_reporting",
            "Declared absconders per reportee",
            "declared absconders per person on reporting",
            "people out of contact at the horizon already formally declared absconders / people on "
            "reporting conditions at the horizon (summary.csv declared_absconders_end / reporting_end)",
            _summary_ratio("declared_absconders_end", "reporting_end"),
        ),
        Measure(
            "detention_stays_under_29_days_share",
            "Detention stays < 29 days",
            "share",
            "detention leavers (stays ended before the horizon) whose stay was shorter than 29 days / "
            "detention leavers (summary.csv detention_stays_under_29d / detention_leavers)",
            _summary_ratio("detention_stays_under_29d", "detention_leavers"),
        ),
        Measure(
            "detention_stays_within_4_months_share",
            "Detention stays <= 4 months",
            "share",
            "detention leavers whose stay was at most 4 months (122 days) / detention leavers "
            "(summary.csv detention_stays_under_122d / detention_leavers)",
            _summary_ratio("detention_stays_under_122d", "detention_leavers"),
        ),
        Measure(
            "not_detained_share_of_liable",
            "Liable for removal, not detained",
            "share",
            "1 - people detained at the horizon / people in a non-terminal state at the horizon "
            "(pool, in contact, reporting, out of contact, casework, detained; outcomes.csv)",
            not_detained_share_of_liable,
        ),
    )
}
"""Every measure, by name (the ``measure`` of a target in validation/targets.yaml)."""


def compute(name: str, tables: Tables) -> pd.Series:
    """The measure ``name`` for every replication (MissingDataError if its data is absent)."""
    return MEASURES[name].compute(tables).astype(float)
