"""Model measures that a published figure can be compared with: a Series of one value per
replication, from a finished scenario folder's tables (``summary`` and
``sim.experiment.output.TABLE_FILES``), named by ``validation/targets.yaml``. A missing table or
column raises ``MissingDataError`` (an older model's folder never gives a silent NaN); a ratio
whose denominator is 0 in a replication is NaN there (the statistics drop it and report n).
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


def _per_replication(tables: Tables, rows: pd.DataFrame, column: str) -> pd.Series:
    """The sum of ``column`` over ``rows`` in each replication (0 in one without rows)."""
    sums = rows.groupby("replication")[column].sum()
    return sums.reindex(_replications(tables), fill_value=0).astype(float)


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
    return _per_replication(tables, t[keep], "count")


def person_days(tables: Tables, state: str) -> pd.Series:
    """Person-days spent in ``state`` per replication."""
    o = table(tables, "occupancy", ["replication", "state", "person_days"])
    return _per_replication(tables, o[o["state"] == state], "person_days")


def end_count(tables: Tables, states: Sequence[str]) -> pd.Series:
    """People in one of ``states`` at the horizon, per replication."""
    e = table(tables, "end_states", ["replication", "state", "count"])
    return _per_replication(tables, e[e["state"].isin(states)], "count")


MEASURES: dict[str, Measure] = {}
"""Every measure, by name (the ``measure`` of a target in validation/targets.yaml), in the order
defined below."""
Compute = Callable[[Tables], pd.Series]


def _measure(title: str, unit: str) -> Callable[[Compute], Compute]:
    """Register the decorated function as the measure named after it, defined by its docstring."""

    def register(compute: Compute) -> Compute:
        definition = " ".join((compute.__doc__ or "").split())
        MEASURES[compute.__name__] = Measure(compute.__name__, title, unit, definition, compute)
        return compute

    return register


def _summary_ratio(name: str, columns: str, title: str, unit: str, definition: str) -> None:
    """Register the measure ``name``: the ratio ``columns`` (``"numerator / denominator"``) of two
    summary.csv columns; its definition ends by naming them."""
    numerator, denominator = columns.split(" / ")

    def ratio(t: Tables) -> pd.Series:
        s = _summary(t, numerator, denominator)
        return _ratio(s[numerator], s[denominator])

    MEASURES[name] = Measure(name, title, unit, f"{definition} (summary.csv {columns})", ratio)


LIABLE: tuple[str, ...] = tuple(state.label for state in NON_TERMINAL)
"""States of people still liable for removal at the horizon (not departed, removed, granted or closed)."""

_summary_ratio(
    "contacted_share",
    "contacted / cohort_size",
    "Contacted",
    "share",
    "people contacted at least once by the horizon / people who entered the contact process",
)
_summary_ratio(
    "departed_share_of_contacted",
    "departed_contacted / contacted",
    "Departed, of contacted",
    "share",
    "people contacted who left the UK by the horizon (voluntary departure, removal or closed as "
    "already departed on contact) / people contacted, as scripts/calibrate.py computes it",
)
_summary_ratio(
    "complaint_share",
    "complaints / cohort_size",
    "Complaints",
    "share",
    "complaints about contact made in error / people who entered the contact process",
)


@_measure("Departures recorded as removals", "share")
def departures_recorded_as_removals_share(t: Tables) -> pd.Series:
    """contractor-confirmed departures logged as enforced removals (summary.csv
    recorded_removals - removed_enforced) / contractor-confirmed departures (transitions with cause
    assisted_return, voluntary_departure or evidence_of_departure_on_contact)"""
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


@_measure("SL: departures", "share")
def service_level_departures_share(t: Tables) -> pd.Series:
    """people who left without enforcement (summary.csv departed_voluntary +
    closed_already_departed) / cases with a contact-management outcome (summary.csv contacted +
    transitions pool -> closed_already_departed)"""
    s = _summary(t, "departed_voluntary", "closed_already_departed")
    return _ratio(s["departed_voluntary"] + s["closed_already_departed"], _contact_outcomes(t))


@_measure("SL: barrier referrals", "share")
def service_level_barrier_referrals_share(t: Tables) -> pd.Series:
    """referrals to casework with a barrier on contact (transitions
    in_contact -> casework, cause barrier_referral; a recycled case referred again counts again) /
    cases with a contact-management outcome (as service_level_departures_share)"""
    referrals = transition_count(
        t, from_states=[State.IN_CONTACT.label], to_states=[State.CASEWORK.label], causes=[BARRIER_REFERRAL]
    )
    return _ratio(referrals, _contact_outcomes(t))


@_measure("Left within 6 months of contact", "share")
def voluntary_departure_within_6_months_of_contact(t: Tables) -> pd.Series:
    """cumulative incidence of voluntary departure (assisted or not) by
    day 182 (``SIX_MONTHS_DAYS``) since first contact, Aalen-Johansen on life_table.csv clock
    since_contact (competing outcomes; people contacted late are censored at the horizon, not
    counted as staying)"""
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


@_measure("Detention leavers removed", "share")
def detention_leavers_removed_share(t: Tables) -> pd.Series:
    """transitions detained -> removed / all transitions out of detained
    before the horizon (released to reporting or casework, or removed): the share of detention
    leavers removed"""
    return _ratio(
        transition_count(t, from_states=[State.DETAINED.label], to_states=[State.REMOVED.label]),
        transition_count(t, from_states=[State.DETAINED.label]),
    )


@_measure("Loss of contact from reporting", "per 1,000 on reporting per month")
def loss_of_contact_per_1000_reporting_per_month(t: Tables) -> pd.Series:
    """transitions reporting -> out_of_contact (any cause: missed
    reports, never reported, notice not received, absconded before departure) / person-days on
    reporting x 30.44 (``DAYS_PER_MONTH``) x 1,000, over the whole run"""
    lost = transition_count(t, from_states=[State.REPORTING.label], to_states=[State.OUT_OF_CONTACT.label])
    return _ratio(lost * DAYS_PER_MONTH * 1000.0, person_days(t, State.REPORTING.label))


@_measure("Missed reports", "per 1,000 on reporting per month")
def missed_reports_per_1000_reporting_per_month(t: Tables) -> pd.Series:
    """reports missed before the horizon (summary.csv
    missed_reports) / person-days on reporting x 30.44 (``DAYS_PER_MONTH``) x 1,000"""
    s = _summary(t, "missed_reports")
    return _ratio(s["missed_reports"] * DAYS_PER_MONTH * 1000.0, person_days(t, State.REPORTING.label))


_summary_ratio(
    "declared_absconders_per_person_reporting",
    "declared_absconders_end / reporting_end",
    "Declared absconders per reportee",
    "declared absconders per person on reporting",
    "people out of contact at the horizon already formally declared absconders / people on "
    "reporting conditions at the horizon",
)
_summary_ratio(
    "detention_stays_under_29_days_share",
    "detention_stays_under_29d / detention_leavers",
    "Detention stays < 29 days",
    "share",
    "detention leavers (stays ended before the horizon) whose stay was shorter than 29 days / "
    "detention leavers",
)
_summary_ratio(
    "detention_stays_within_4_months_share",
    "detention_stays_under_122d / detention_leavers",
    "Detention stays <= 4 months",
    "share",
    "detention leavers whose stay was at most 4 months (122 days) / detention leavers",
)


@_measure("Liable for removal, not detained", "share")
def not_detained_share_of_liable(t: Tables) -> pd.Series:
    """1 - people detained at the horizon / people in a non-terminal state at
    the horizon (pool, in contact, reporting, out of contact, casework, detained; outcomes.csv)"""
    liable = end_count(t, LIABLE)
    return 1.0 - _ratio(end_count(t, [State.DETAINED.label]), liable)


GPS_PILOT_DAY = 483
"""16 months (483 days, a weekly snapshot day): when the GPS pilot evaluation counted its control
arm out of contact (FIGURES 'Present day')."""


@_measure("Out of contact at 16 months", "share")
def out_of_contact_share_at_16_months(t: Tables) -> pd.Series:
    """people out of contact on day 483 (``GPS_PILOT_DAY``, timeseries.csv) / entrants (summary.csv
    cohort_size); for a cohort that all enters on day 0"""
    ts = table(t, "timeseries", ["replication", "day", "state", "count"])
    at = ts[(ts["day"] == GPS_PILOT_DAY) & (ts["state"] == State.OUT_OF_CONTACT.label)]
    if at.empty:
        raise MissingDataError(
            f"timeseries: no snapshot on day {GPS_PILOT_DAY} (a horizon past it is needed)"
        )
    return _ratio(_per_replication(t, at, "count"), _summary(t, "cohort_size")["cohort_size"])


_summary_ratio(
    "declared_share_of_entrants",
    "declared_people / cohort_size",
    "Declared absconders (ever)",
    "share",
    "people formally declared absconders at least once by the horizon / entrants",
)


_summary_ratio(
    "withdrawn_out_of_contact_share",
    "claims_withdrawn_out_of_contact / claims_withdrawn",
    "Withdrawn claims out of contact",
    "share",
    "asylum claims withdrawn implicitly because the claimant was out of contact at the decision day / "
    "all claims withdrawn, by the horizon",
)
_summary_ratio(
    "granted_share_of_entrants",
    "claims_granted / cohort_size",
    "Claims granted",
    "share",
    "asylum claims granted at the initial decision by the horizon / claims lodged (entrants)",
)


@_measure("Grant rate at initial decision", "share")
def grant_rate(t: Tables) -> pd.Series:
    """initial decisions that granted protection / initial decisions (grants and refusals, incl.
    inadmissible; withdrawals are not decisions), by the horizon (summary.csv claims_granted,
    claims_refused)"""
    s = _summary(t, "claims_granted", "claims_refused")
    return _ratio(s["claims_granted"], s["claims_granted"] + s["claims_refused"])


@_measure("Loss of contact to declaration", "days")
def declaration_lag_mean_days(t: Tables) -> pd.Series:
    """mean days from losing contact to being declared, over the declarations made by the horizon
    (summary.csv declaration_lag_mean_days)"""
    return _summary(t, "declaration_lag_mean_days")["declaration_lag_mean_days"]


def compute(name: str, tables: Tables) -> pd.Series:
    """The measure ``name`` for every replication (MissingDataError if its data is absent)."""
    return MEASURES[name].compute(tables).astype(float)
