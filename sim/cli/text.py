"""Text the commands print around the result tables: headers, footers, adaptive replications.

Pure functions from results to strings (the commands print them), kept apart so the wording
analysts read is in one place and can be tested without running anything.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.analysis.kpis import kpi

if TYPE_CHECKING:
    from sim.analysis.selection import Selection
    from sim.experiment.run import ExperimentResult
    from sim.scenario.schema import Scenario
    from sim.studies.calibration.plan import CalibrationPlan
    from sim.studies.calibration.run import CalibrationResult


def flat_overrides(overrides: Mapping[str, Any], prefix: str = "") -> list[str]:
    """``path=value`` for each overridden parameter, e.g. ``cohort.initial_size=300``."""
    out = []
    for key, value in overrides.items():
        if isinstance(value, Mapping):
            out += flat_overrides(value, f"{prefix}{key}.")
        else:
            out.append(f"{prefix}{key}={value:g}" if isinstance(value, float) else f"{prefix}{key}={value}")
    return out


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


def footer(result: ExperimentResult, where: Path) -> str:
    """Where the files are, how many replications ran or were resumed, wall time in seconds."""
    ran = result.ran_this_time
    resumed = result.replications * len(result.runs) - ran
    how = result.executor if result.executor == "serial" else f"{result.executor}, {result.workers} workers"
    text = f"Results in {where}{os.sep} ({ran} replication{'' if ran == 1 else 's'} run"
    if resumed:
        text += f", {resumed} resumed"
    return text + f"; {result.wall_seconds:.1f} s; {how})"


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
    others = len(result.runs) - 1
    if "bonferroni" in methods:
        how = "Bonferroni where too few replications to estimate the correlation"
        if "max-t" in methods:
            how = "max-t with the paired correlation; " + how
    else:
        how = "max-t with the paired correlation"
    return f"all {others} policies of a column at once, {how}"


def cost_effectiveness_intro(result: ExperimentResult, where: Path, shown: bool) -> str:
    """What the cost-effectiveness table shows, or where it is when it is too wide to print."""
    pct = f"{100 * (1 - result.alpha):g}%"
    cost = kpi("total_cost_gbp")
    value = f"{cost.unit} {result.value_per_outcome:,.0f}"
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


SUMMARY_TOP = 5
"""Parameters printed per KPI by ``sensitivity``."""


def _index(x: float, scale: float) -> str:
    return "nan" if x != x else f"{x / scale:.3g}"


def sensitivity_text(frame: Any, method: str, reference: str) -> str:
    """The top parameters of each KPI (and each policy's difference), with their index and CI;
    '(noise)' marks an index within simulation noise."""
    col = "mu_star" if method == "morris" else "ST"
    lines = []
    for (scenario, name), part in frame.groupby(["scenario", "kpi"], sort=False):
        k = kpi(name)
        scale = k.scale if method == "morris" else 1.0
        what = k.title if scenario == reference else f"{k.title}, {scenario} - {reference}"
        unit = f" ({k.display_unit})" if method == "morris" else ""
        lines.append(f"{what}: top parameters by {col}{unit}")
        ranked = part.sort_values(col, ascending=False, kind="stable").head(SUMMARY_TOP)
        for r in ranked.to_dict("records"):
            flag = "  (noise)" if r["within_noise"] else ""
            extra = (
                f"  sigma {_index(r['sigma'], scale)}" if method == "morris" else f"  S1 {_index(r['S1'], 1)}"
            )
            lines.append(
                f"  {r['parameter']:<48} {_index(r[col], scale):>9} ± {_index(r[col + '_ci'], scale):<8}"
                f"{extra}{flag}"
            )
    return "\n".join(lines) + "\n\n"


def _num(x: float) -> str:
    return "n/a" if x != x else f"{x:.4g}"


def _table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for n, row in enumerate(rows):
        cells = (
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        out.append("  ".join(cells).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def uncertainty_text(
    summary: Any, labels: Mapping[str, str], reference: str, samples: int, replications: int, seed: int
) -> str:
    """Each policy's paired difference from the reference across the draws: median (p05 to p95),
    P(better), P(best), in the KPI's display unit."""
    rows = [["Policy", "KPI", "Median (p05 to p95)", "P(better)", "P(best)"]]
    for r in summary.to_dict("records"):
        k = kpi(str(r["kpi"]))

        def show(x: float, k: Any = k) -> str:
            return f"{k.display(x):+,.2f}" if k.decimals else f"{k.display(x):+,.1f}"

        rows.append(
            [
                labels.get(str(r["scenario"]), str(r["scenario"])),
                k.label,
                f"{show(r['p50'])} ({show(r['p05'])} to {show(r['p95'])})",
                "n/a" if r["prob_better"] != r["prob_better"] else f"{r['prob_better']:.2f}",
                "n/a" if r["prob_best"] != r["prob_best"] else f"{r['prob_best']:.2f}",
            ]
        )
    intro = (
        f"Paired differences from {reference} across {samples} draws of the assumptions "
        f"({replications} replications each, seed {seed}): median (5th to 95th percentile), "
        "P(better than the reference), P(best of those compared)"
    )
    return "\n".join([intro, *_table(rows, right={2, 3, 4})])


def calibration_text(plan: CalibrationPlan, result: CalibrationResult) -> str:
    """What a calibration kept: the waves, each parameter's original and non-implausible range,
    and each target's published figure against the emulated range over the sets kept."""
    lines = []
    for w in result.waves:
        lines.append(
            f"Wave {w.wave}: {w.points} points, {w.simulations:,} simulations; {w.nroy_candidates:,} of "
            f"{w.candidates:,} candidates not ruled out: {100 * w.nroy_share:.3g}% of the space"
        )
    if result.status == "empty" and result.closest is not None:
        worst, target = result.closest
        lines.append(
            f"Every candidate is ruled out: no values within these ranges are consistent with the targets "
            f"at cut-off {plan.request.cutoff:g}. The closest has implausibility {worst:.2f}, worst on "
            f"{target}. Widen the ranges, add parameters, or question the target (or the reduced cohort)."
        )
    elif result.status == "stable":
        lines.append("Stopped early: the non-implausible share no longer shrinks.")
    for m, why in result.not_emulated.items():
        lines.append(f"Not matched ({m}): {why}")
    lines.append("")
    rows = [["Parameter", "Original range", "Not ruled out"]]
    for u in plan.parameters:
        if len(result.nroy):
            col = result.nroy[u.path]
            kept = f"{_num(float(col.min()))} to {_num(float(col.max()))}"
        else:
            kept = "none"
        rows.append(
            [u.path + (" (scale)" if u.kind == "scale" else ""), f"{_num(u.low)} to {_num(u.high)}", kept]
        )
    lines += _table(rows, {1, 2})
    lines.append("")
    rows = [["Target", "Role", "Published", "Emulated over kept sets", "Within", "Last wave simulated"]]
    for r in result.targets.to_dict("records"):
        sign = {"at_least": ">= ", "at_most": "<= "}.get(str(r["comparison"]), "")
        role = str(r["role"]) + ("" if r["used"] else " (check)")
        share = r["share_within"]
        rows.append(
            [
                str(r["target"]),
                role,
                f"{sign}{_num(r['published'])} ± {_num(r['tolerance'])}",
                f"{_num(r['emulator_min'])} to {_num(r['emulator_max'])}",
                "n/a" if share != share else f"{100 * share:.0f}%",
                f"{_num(r['simulated_min'])} to {_num(r['simulated_max'])}",
            ]
        )
    lines += _table(rows, {2, 3, 4, 5})
    lines.append(
        "Within: share of the kept sets whose emulated mean is within the tolerance; (check): a "
        "validation target not used in the fit."
    )
    return "\n".join(lines) + "\n\n"


__all__ = [
    "adaptive_text",
    "calibration_text",
    "comparison_intro",
    "cost_effectiveness_intro",
    "flat_overrides",
    "footer",
    "header",
    "selection_text",
    "sensitivity_text",
    "uncertainty_text",
]
