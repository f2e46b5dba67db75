"""The findings that open a comparison's report: a screen of sentences written from the numbers
the tables below show (the headline table's marked differences, the net benefit of
cost_effectiveness.csv), never recomputed, so a sentence and its table cannot disagree. The
wording of these findings is here (a study's own, e.g. which rankings its draws say are robust,
is in its ``report.py``); the caps keep them to one screen, the tables have the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import pandas as pd

from sim.analysis.cost_effectiveness import CE_COLUMNS
from sim.analysis.kpis import CE_OUTCOMES, MONEY_DECIMALS, MONEY_SCALE, MONEY_UNIT, Kpi
from sim.analysis.numbers import fmt_number
from sim.report.results import Change, verdict
from sim.studies import report_parts as rp

CHANGES_PER_POLICY = 3
"""Changes named per policy; the rest are counted ("and 2 more")."""
POLICIES_SHOWN = 6
"""Policies given a sentence, those with the largest change first; the rest are counted."""


@dataclass(frozen=True)
class Findings:
    lead: str
    items: list[str]


def kpi_name(d: Kpi) -> str:
    """The KPI's label (title and display unit) inside a sentence."""
    return f"{d.label[0].lower()}{d.label[1:]}"


def change_text(c: Change, pct: str) -> str:
    """A change as the table shows it, its signs given by the verb instead: "raises contacted
    (people) by 7.2 (95% CI 2.0 to 12.5; better)"."""
    low, high = sorted(abs(x) / c.kpi.scale for x in (c.low, c.high))
    number = partial(fmt_number, decimals=c.decimals)
    word = verdict(c.kpi, c.diff)
    return (
        f"{'raises' if c.diff > 0 else 'lowers'} {kpi_name(c.kpi)} by {number(abs(c.diff) / c.kpi.scale)} "
        f"({pct} CI {number(low)} to {number(high)}{'; ' + word if word != 'neutral' else ''})"
    )


def change_sentences(
    changes: Sequence[Change], policies: Sequence[str], kpis: Sequence[Kpi], pct: str
) -> list[str]:
    """A sentence per policy with changes, the largest relative change first, then which policies
    and which KPIs changed nothing the intervals can distinguish."""
    by_policy = {p: sorted((c for c in changes if c.policy == p), key=lambda c: -c.size) for p in policies}
    ranked = sorted((p for p in policies if by_policy[p]), key=lambda p: -by_policy[p][0].size)
    out = [
        f"“{p}” {rp.joined([change_text(c, pct) for c in by_policy[p][:CHANGES_PER_POLICY]])}"
        f"{rp.more(len(by_policy[p]) - CHANGES_PER_POLICY, 'more change', 'the headline table')}."
        for p in ranked[:POLICIES_SHOWN]
    ]
    if len(ranked) > POLICIES_SHOWN:
        n = len(ranked) - POLICIES_SHOWN
        out.append(
            f"{n} more polic{'y' if n == 1 else 'ies'} changed a headline outcome (see the headline table)."
        )
    still = [p for p in policies if not by_policy[p]]
    if still:
        out.append(f"{rp.joined([f'“{p}”' for p in still])} changed no headline outcome distinguishably.")
    unchanged = [d for d in kpis if not any(c.kpi == d for c in changes)]
    if unchanged:
        out.append(f"No policy changed {rp.joined([kpi_name(d) for d in unchanged])} distinguishably.")
    return out


def net_benefit_sentence(frame: pd.DataFrame, labels: Mapping[str, str], pct: str) -> list[str]:
    """The policy of highest net benefit on ``CE_OUTCOMES[-1]`` (the outcome of the cost-
    effectiveness plane) with its interval; nothing if the file is not as compare writes it."""
    columns = [c for c in CE_COLUMNS if c != "cpo_note"]
    if rp.missing_columns(frame, columns):
        return []
    rows = rp.numeric(frame, ["net_benefit", "nb_ci_low", "nb_ci_high", "value_per_outcome"])
    rows = rows[(rows["outcome"].astype(str) == CE_OUTCOMES[-1]) & rows["net_benefit"].notna()]
    if rows.empty:
        return []
    best = rows.loc[rows["net_benefit"].idxmax()]

    def money(x: float) -> str:  # as the cost-effectiveness table shows it
        return fmt_number(x / MONEY_SCALE, MONEY_DECIMALS, sign=True)

    d = rp.definition(CE_OUTCOMES[-1])
    what = d.title.lower() if d is not None else CE_OUTCOMES[-1]
    low, high = float(best["nb_ci_low"]), float(best["nb_ci_high"])
    caveat = (
        ""
        if rp.excludes_zero(low, high)
        else "; its interval includes 0: not distinguishable from the reference"
    )
    name = rp.label(labels, best["scenario"])
    who = (
        f"“{name}” has the highest net benefit"
        if best["net_benefit"] > 0
        else f"no policy has a positive net benefit; the highest is “{name}”'s"
    )
    return [
        f"Valuing {what} at £{fmt_number(best['value_per_outcome'], 0)} per person, {who}: "
        f"{money(best['net_benefit'])} {MONEY_UNIT} per cohort "
        f"({pct} CI {money(low)} to {money(high)}){caveat}."
    ]
