"""Outcomes over time: cumulative incidence of competing outcomes, censored at the horizon.

People enter over a year and the run stops at the horizon, so counting outcomes at the horizon
mixes people watched for 18 months with people watched for 6. The Aalen-Johansen estimator handles
that censoring and the competing outcomes together: CIF_k(t) = sum over days s <= t of
S(s-1) d_k(s) / n(s), with n(s) at risk on day s, d_k(s) with outcome k that day and S the
Kaplan-Meier probability of no outcome yet. Written out because lifelines' ``AalenJohansenFitter``
breaks ties (whole days here) by random jitter (``tests/unit/test_survival.py`` checks it against
lifelines on data without ties). Across replications (the independent units): a mean and a
Student-t interval per day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.statistics import t_interval_by_group

NO_OUTCOME_YET = "no_outcome_yet"
"""The curve S(t): the share with no outcome yet by day t (so each clock's curves add up to 1)."""
CENSORED = "censored"
TIME_COLUMNS: list[str] = ["clock", "outcome", "day", "cumulative_incidence", "ci_low", "ci_high", "n"]


def aalen_johansen(table: pd.DataFrame, days: int) -> pd.DataFrame:
    """``outcome, day, cumulative_incidence`` by day ``0..days`` of each event (and
    ``no_outcome_yet``) in one life table ``day, event, count`` of one clock; censorings are at
    risk on their own day."""
    grid = np.arange(days + 1)
    total = float(table["count"].sum())
    wide = table.pivot_table(index="day", columns="event", values="count", aggfunc="sum", fill_value=0)
    wide = wide.reindex(grid, fill_value=0) if len(wide) else pd.DataFrame(index=grid)
    outcomes = [c for c in wide.columns if c != CENSORED]
    censored = wide[CENSORED].to_numpy(float) if CENSORED in wide.columns else np.zeros(len(grid))
    events = wide[outcomes].to_numpy(float) if outcomes else np.zeros((len(grid), 0))
    leaving = events.sum(axis=1) + censored
    at_risk = total - np.concatenate([[0.0], np.cumsum(leaving)[:-1]])  # before day s's exits
    hazard = np.divide(events, at_risk[:, None], out=np.zeros_like(events), where=at_risk[:, None] > 0)
    survival = np.cumprod(1.0 - hazard.sum(axis=1))
    before = np.concatenate([[1.0], survival[:-1]])
    cif = np.cumsum(before[:, None] * hazard, axis=0)
    rows = [
        pd.DataFrame({"outcome": name, "day": grid, "cumulative_incidence": cif[:, j]})
        for j, name in enumerate(outcomes)
    ]
    rows.append(pd.DataFrame({"outcome": NO_OUTCOME_YET, "day": grid, "cumulative_incidence": survival}))
    return pd.concat(rows, ignore_index=True)


def incidence_by_replication(life_tables: pd.DataFrame, days: int) -> pd.DataFrame:
    """:func:`aalen_johansen` for every (replication, clock): ``replication, clock, outcome, day,
    cumulative_incidence``. An outcome that never happens in a replication has a zero curve."""
    parts = []
    for (rep, clock), table in life_tables.groupby(["replication", "clock"], sort=True):
        curves = aalen_johansen(table, days)
        curves.insert(0, "clock", str(clock))
        curves.insert(0, "replication", int(rep))  # type: ignore[call-overload]
        parts.append(curves)
    if not parts:
        return pd.DataFrame(columns=["replication", "clock", "outcome", "day", "cumulative_incidence"])
    curves = pd.concat(parts, ignore_index=True)
    # an outcome seen in some replications only is 0 throughout in the others
    pairs = curves[["clock", "outcome"]].drop_duplicates()
    reps = curves["replication"].unique()
    # every (replication, clock, outcome, day), in that order: built from arrays, not one tuple
    # per row (a thousand full-cohort replications have ~9 million rows)
    per_rep, grid = len(pairs) * (days + 1), days + 1
    index = pd.MultiIndex.from_arrays(
        [
            np.repeat(reps, per_rep),
            np.tile(np.repeat(pairs["clock"].to_numpy(), grid), len(reps)),
            np.tile(np.repeat(pairs["outcome"].to_numpy(), grid), len(reps)),
            np.tile(np.arange(grid), len(reps) * len(pairs)),
        ],
        names=["replication", "clock", "outcome", "day"],
    )
    return (
        curves.set_index(["replication", "clock", "outcome", "day"])
        .reindex(index, fill_value=0.0)
        .reset_index()
    )


def time_to_outcome(life_tables: pd.DataFrame, days: int, level: float = 0.95) -> pd.DataFrame:
    """``TIME_COLUMNS``: mean cumulative incidence over replications with a t interval, by clock,
    outcome and day, from one scenario's ``life_table.csv`` (n = replications)."""
    curves = incidence_by_replication(life_tables, days)
    if curves.empty:
        return pd.DataFrame(columns=TIME_COLUMNS)
    keys = ["clock", "outcome", "day"]
    values = curves.set_index([*keys, "replication"])[["cumulative_incidence"]]
    mean, low, high = t_interval_by_group(values, keys, level)
    n = values.groupby(level=keys).count()
    # a share lies in [0, 1], so its interval is clipped there (few replications near 0 or 1)
    out = pd.DataFrame(
        {
            "cumulative_incidence": mean["cumulative_incidence"],
            "ci_low": low["cumulative_incidence"].clip(0.0, 1.0),
            "ci_high": high["cumulative_incidence"].clip(0.0, 1.0),
            "n": n["cumulative_incidence"],
        }
    ).reset_index()
    return out[TIME_COLUMNS].sort_values(keys, kind="stable").reset_index(drop=True)
