"""The calibration study in the briefing report: what each history-matching wave ruled out, the
parameter values not ruled out, and how the sets kept meet each target."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from sim.analysis.figures import PAIRS_PLOT, RANGES_PLOT, WAVES_PLOT
from sim.analysis.numbers import significant, value_text
from sim.experiment import output
from sim.studies import report_parts as rp
from sim.studies.base import listing, mapping
from sim.studies.calibration.analysis import NROY_COLUMNS, TARGET_COLUMNS, WAVE_COLUMNS
from sim.studies.report_parts import NO_VALUE, AnalysisFolder, Cell, Part, Table, text


def _range_text(low: Any, high: Any) -> str:
    """``low to high`` as parameter values ("n/a" for an undefined end)."""
    return f"{value_text(low)} to {value_text(high)}"


def _share_text(x: float | None) -> str:
    """A share of the parameter space or of the sets kept, as a percentage to three figures."""
    return "n/a" if x is None else f"{significant(100 * x)}%"


def waves_table(frame: pd.DataFrame) -> Table:
    """A row per wave of calibration_waves.csv (which has a row per wave and measure), with the
    worst leave-one-out check of that wave's emulators."""
    counts = ["wave", "points", "simulations", "candidates", "nroy_candidates"]
    frame = rp.numeric(frame, [*counts, "nroy_share", "loo_within_3sd"])
    rows = []
    for _, part in frame.groupby("wave", sort=True, dropna=True):
        first = part.iloc[0]
        checks = part.dropna(subset=["loo_within_3sd"])
        if checks.empty:
            check = Cell("n/a")
        else:
            worst = checks.loc[checks["loo_within_3sd"].idxmin()]
            check = Cell(f"{_share_text(rp.finite(worst['loo_within_3sd']))} ({worst['measure']})")
        shares = Cell(_share_text(rp.finite(first["nroy_share"])), numeric=True)
        rows.append([*(Cell(value_text(first[c]), numeric=True) for c in counts), shares, check])
    heads = ["Wave", "Points", "Simulations", "Candidates", "Not ruled out"]  # of ``counts``
    return Table(
        [*heads, "Share of the space", "Emulator check"],
        rows,
        [*(True for _ in heads), True, False],
        "Each wave: the emulators, fitted on every point simulated so far, evaluated at the candidates; "
        "'share of the space': the estimated share of the searched ranges not ruled out. Emulator check: "
        "the worst measure's share of points predicted within 3 sd when left out of the fit "
        "(calibration_waves.csv; nearly all is expected of a good emulator).",
    )


def ranges_table(kept: pd.DataFrame, parameters: Sequence[Mapping[str, Any]], where: str) -> Table:
    """Each matched parameter: the range searched, and the range (and median) of the sets not ruled
    out (calibration.csv). ReportError if calibration.csv lacks a parameter the manifest lists."""
    paths = [str(p.get("path")) for p in parameters]
    rp.require(kept, paths, where)
    kept = rp.numeric(kept, paths)
    rows = []
    for par, path in zip(parameters, paths, strict=True):
        low, high = rp.number(par.get("low")), rp.number(par.get("high"))
        searched = _range_text(low, high) if low is not None and high is not None else "not recorded"
        col = kept[path].dropna()
        rows.append(
            [
                Cell(path + (" (scale)" if par.get("kind") == "scale" else "")),
                Cell(searched, numeric=True),
                Cell(_range_text(float(col.min()), float(col.max())) if len(col) else "none", numeric=True),
                Cell(value_text(float(col.median())) if len(col) else NO_VALUE, numeric=True),
            ]
        )
    return Table(
        ["Parameter", "Range searched", "Not ruled out", "Median of the sets kept"],
        rows,
        [False, True, True, True],
        f"The values consistent with the targets ({len(kept):,} parameter sets kept, calibration.csv; "
        "a scale multiplies the scenario's values). 'uncertainty --from-calibration' samples these sets.",
    )


def targets_table(frame: pd.DataFrame) -> Table:
    """Each target of calibration_targets.csv against the emulated and simulated ranges of its measure."""
    numbers = ["published", "tolerance", "share_within"]
    frame = rp.numeric(frame, [*numbers, "emulator_min", "emulator_max", "simulated_min", "simulated_max"])
    rows = []
    for r in frame.to_dict("records"):
        sign = {"at_least": "≥ ", "at_most": "≤ "}.get(str(r["comparison"]), "")
        rows.append(
            [
                text(r["target"]),
                Cell(str(r["role"]) + ("" if rp.is_true(r["used"]) else " (check)")),
                Cell(f"{sign}{value_text(r['published'])} ± {value_text(r['tolerance'])}", numeric=True),
                Cell(_range_text(r["emulator_min"], r["emulator_max"]), numeric=True),
                Cell(_share_text(rp.finite(r["share_within"])), numeric=True),
                Cell(_range_text(r["simulated_min"], r["simulated_max"]), numeric=True),
            ]
        )
    return Table(
        ["Target", "Role", "Published", "Emulated over the sets kept", "Within", "Last wave simulated"],
        rows,
        [False, False, True, True, True, True],
        "Within: the share of the sets kept whose emulated mean lies within the tolerance; (check): a "
        "target not used in the fit, checked out of sample (calibration_targets.csv).",
    )


def _line(m: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """What was matched, from the manifest: parameters, targets, waves, and how it ended."""
    design, implausibility = mapping(m, "design"), mapping(m, "implausibility")
    used = [str(t.get("id")) for t in listing(m, "targets") if isinstance(t, Mapping)]
    line = (
        f"History matching of {rp.counted(len(listing(m, 'parameters')), 'ranged parameter')} of "
        f"{rp.label(labels, m.get('scenario', '?'))} to {rp.counted(len(used), 'target')} "
        f"({', '.join(used) or 'none recorded'}) with Gaussian-process emulators: "
        f"{design.get('waves_run', '?')} wave(s) of {design.get('points_per_wave', '?')} points x "
        f"{m.get('replications', '?')} replication(s) ({m.get('simulations', '?')} simulations); "
        f"a point is ruled out when a target's implausibility exceeds {implausibility.get('cutoff', '?')}; "
        f"seed {m.get('root_seed', '?')}."
    )
    closest = m.get("closest")
    if m.get("status") == "empty" and isinstance(closest, Mapping):
        worst = rp.number(closest.get("max_implausibility"))
        line += (
            " Every candidate was ruled out: no values within these ranges are consistent with the "
            f"targets; the closest has implausibility {significant(worst) if worst is not None else '?'}, "
            f"worst on {closest.get('target', '?')}."
        )
    elif m.get("status") == "stable":
        line += " It stopped early: the share not ruled out no longer shrank."
    return line


def part(folder: AnalysisFolder, labels: Mapping[str, str], reference: str) -> Part:
    parameters = folder.manifest.get("parameters")
    if not isinstance(parameters, list) or not all(isinstance(p, Mapping) for p in parameters):
        raise rp.ReportError(
            f"--with {folder.given}: {output.CALIBRATION_MANIFEST} does not list the parameters "
            "matched; it was not written by this version's calibrate, or was edited"
        )
    kept = folder.needed(output.CALIBRATION_FILE, NROY_COLUMNS)
    waves = folder.needed(output.CALIBRATION_WAVES_FILE, WAVE_COLUMNS)
    matched = folder.needed(output.CALIBRATION_TARGETS_FILE, TARGET_COLUMNS)
    where = f"--with {folder.given}: {output.CALIBRATION_FILE}"
    return Part(
        f"Calibration: history matching ({folder.given})",
        [_line(folder.manifest, labels)],
        [waves_table(waves), ranges_table(kept, parameters, where), targets_table(matched)],
    )


FIGURES = {
    WAVES_PLOT: (
        "Calibration: what each wave ruled out",
        "The share of the searched space not ruled out after each wave.",
    ),
    RANGES_PLOT: (
        "Calibration: the ranges not ruled out",
        "Each parameter's searched range and the part of it not ruled out.",
    ),
    PAIRS_PLOT: (
        "Calibration: the sets kept, in pairs",
        "The parameter sets kept, two parameters at a time.",
    ),
}
REPORT = rp.StudyReport(part, rp.named_plots(FIGURES))
