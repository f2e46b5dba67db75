"""Text ``run`` and ``compare`` print around their result tables (each study's is in its ``cli.py``):
pure functions from results to strings, so the wording analysts read is in one place and can be
tested without running anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.analysis.kpis import kpi
from sim.studies.options import flat_overrides

if TYPE_CHECKING:
    from sim.analysis.selection import Selection
    from sim.experiment.run import ExperimentResult
    from sim.scenario.schema import Scenario


def header(scenario: Scenario, result: ExperimentResult, overrides: Mapping[str, Any]) -> str:
    """One line naming what was run (replications, seed, horizon in days, cohort in people)."""
    bits = [
        f"{result.replications} replication{'s' if result.replications != 1 else ''}",
        f"seed {result.runs[0].manifest['root_seed']}",
        f"horizon {scenario.horizon_days:g} days",
        f"cohort {scenario.cohort.initial_size:,}",
    ]
    text = f"{scenario.label} ({scenario.name}): " + ", ".join(bits)
    if overrides:
        text += "\noverrides: " + ", ".join(flat_overrides(overrides))
    return text


def _amount(x: float) -> str:
    """A half-width for reading: whole numbers with separators from 100, else 3 significant digits."""
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def adaptive_text(adaptive: Mapping[str, Any], n: int) -> str:
    """Whether each --target-halfwidth was met after ``n`` replications per policy, and by how much.

    Half-widths are in the KPI's summary.csv unit (GBP for costs, not the £ million of the
    tables), because that is the unit the targets are given in on the command line.
    """
    state = "all targets met" if adaptive["met"] else f"stopped at the cap of {adaptive['max_replications']}"
    lines = [f"Adaptive replications: {state} after {n} replications per policy."]
    for name, widths in adaptive["halfwidths"].items():
        for column, width in widths.items():
            target = adaptive["targets"][column]
            unit = kpi(column).unit
            mark = "ok" if width < target else "not met"
            lines.append(
                f"  {name}: {column} half-width {_amount(width)} {unit} "
                f"(target {_amount(target)} {unit}) {mark}"
            )
    return "\n".join(lines)


def comparison_intro(
    reference: Scenario, result: ExperimentResult, seed: int, overrides: Mapping[str, Any]
) -> str:
    """What the comparison table shows, so it is read correctly when pasted on its own."""
    lines = [
        f"Comparison with {result.labels[reference.name]} ({reference.name}): {result.replications} "
        f"paired replications per policy, seed {seed} (common random numbers)"
    ]
    if overrides:
        lines.append("overrides: " + ", ".join(flat_overrides(overrides)))
    pct = f"{100 * (1 - result.alpha):g}%"
    lines.append(
        "Reference row: means per replication. Other rows: paired difference from the reference;"
        f" * = its {pct} simultaneous CI excludes 0 ({_simultaneous_how(result)})."
        " Means, unadjusted and simultaneous CIs of every KPI: comparison.csv"
    )
    return "\n".join(lines)


def _simultaneous_how(result: ExperimentResult) -> str:
    """How the simultaneous intervals of the printed comparison were made, in a few words."""
    methods = {f["method"] for f in result.multiplicity.values()}
    how = "max-t with the paired correlation"
    if "bonferroni" in methods:
        bonferroni = "Bonferroni where too few replications to estimate the correlation"
        how = f"{how}; {bonferroni}" if "max-t" in methods else bonferroni
    return f"all {len(result.runs) - 1} policies of a column at once, {how}"


def cost_effectiveness_intro(result: ExperimentResult, where: Path, shown: bool) -> str:
    """What the cost-effectiveness table shows, or where it is when it is too wide to print."""
    pct = f"{100 * (1 - result.alpha):g}%"
    value = f"{kpi('total_cost_gbp').unit} {result.value_per_outcome:,.0f}"
    if not shown:
        return (
            f"Cost-effectiveness (too wide for this terminal): {where} (cost per extra outcome with "
            f"Fieller {pct} CI, net benefit at {value} per outcome)"
        )
    return (
        f"Cost-effectiveness: paired differences from the reference in voluntary departures + removals "
        f"and cost; cost per extra outcome = ratio of the mean differences with its Fieller {pct} CI "
        f"(n/a: outcome difference not distinguishable from 0); net benefit = {value} per outcome x "
        f"extra outcomes - extra cost; * = {pct} CI excludes 0. Every outcome, with notes: {where}"
    )


def selection_text(selection: Selection, labels: Mapping[str, str]) -> str:
    """The outcome of ``--select-best`` in plain words: the best policy, a tie, or the policies
    still in contention when the cap was reached. The indifference zone is in the KPI's
    summary.csv unit (as given on the command line)."""
    definition = kpi(selection.kpi)
    way = "higher is better" if selection.maximize else "lower is better"
    zone = f"{_amount(selection.indifference)} {definition.unit}"
    pcs = f"{100 * (1 - selection.alpha):g}%"
    head = f"Best on {definition.label}, {way}; KN procedure with indifference zone {zone}"

    def named(names: tuple[str, ...] | list[str]) -> str:
        return "; ".join(f"{labels.get(n, n)} (mean {_amount(selection.means[n])})" for n in names)

    if selection.decided and selection.tied:
        return (
            f"{head}: tied, identical in every replication: {named(selection.contenders)} "
            f"(after {selection.replications} replications)."
        )
    if selection.decided:
        assert selection.selected is not None
        return (
            f"{head}: {named([selection.selected])}, selected after {selection.replications} replications. "
            f"Probability of a correct selection at least {pcs} if the best is at least {zone} better "
            "than every other; any policy within the zone of the best would be as good a choice."
        )
    return (
        f"{head}: cannot separate them after {selection.replications} replications (the cap). "
        f"Still in contention: {named(selection.contenders)}. KN would need up to "
        f"{selection.max_replications_needed} replications: raise --max-replications, or widen "
        "--indifference if a smaller difference does not matter."
    )
