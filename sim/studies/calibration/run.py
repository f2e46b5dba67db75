"""Running a history-matching calibration (``run_sim.py calibrate``), wave by wave: each wave runs
its design points (``run_design``: paired by replication, stored, resumable), fits an emulator per
measure on every point so far and keeps the candidates that pass every wave's cut-off. The waves
stop early when nothing is left (reported, not an error) or the non-implausible share stops shrinking.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiment import output
from sim.experiment.engine import ExecutionOptions, MessageCallback, experiment_folder, run_design
from sim.experiment.files import finish_folder, write_plots, write_tables
from sim.experiment.output import PARTS_DIR
from sim.experiment.provenance import environment
from sim.experiment.runners import Runner
from sim.experiment.worker import MEASURE_PREFIX, run_measures
from sim.scenario.schema import Scenario
from sim.studies.calibration import analysis as hm
from sim.studies.calibration.plan import CalibrationPlan
from sim.studies.sensitivity.run import design_point, parameter_frame, parameter_records
from sim.studies.targets.analysis import band
from sim.studies.uncertainty.analysis import latin_hypercube

MANIFEST = output.CALIBRATION_MANIFEST
MAX_CANDIDATE_BATCHES = 5
"""At most this many batches of ``candidates`` are drawn in a wave (see KEEP_FACTOR)."""
KEEP_FACTOR = 2
"""Batches of candidates are drawn until this many times ``points`` are not ruled out (or
MAX_CANDIDATE_BATCHES), so the next wave's design has room to spread."""
CANDIDATE_CHUNK = 50_000
"""Candidates whose implausibility is computed at once: the emulators' kernel between them and the
design points is this many rows (~0.4 MB a design point), however large --candidates is."""
STABLE_RATIO = 0.95
"""Stop early when a wave keeps at least this share of the previous wave's non-implausible share."""


@dataclass
class WaveOutcome:
    """What one wave found."""

    wave: int
    points: int
    simulations: int
    candidates: int
    box_share: float
    """Share of the original (scaled) space covered by the box the candidates were drawn in."""
    nroy_candidates: int
    nroy_share: float
    """Estimated non-implausible share of the original space."""
    checks: dict[str, tuple[float, float, float]]
    """Per measure: LOO share within 3 sd, LOO RMSE, sd of one replication."""


def _rounded(plan: CalibrationPlan, x: np.ndarray) -> np.ndarray:
    """Integer parameters rounded, as ``apply`` will: the emulator sees the values that ran."""
    x = np.array(x, dtype=float, copy=True)
    for j, u in enumerate(plan.parameters):
        if u.integer:
            x[:, j] = np.round(x[:, j])
    return x


def _scenarios(plan: CalibrationPlan, x: np.ndarray) -> list[Scenario]:
    """Each design point on each of the plan's scenarios (point-major: point i on scenario j is
    item ``i * len(plan.scenarios) + j``)."""
    names = [u.path for u in plan.parameters]
    return [
        design_point(s, dict(zip(names, map(float, row), strict=True))) for row in x for s in plan.scenarios
    ]


def _candidates(plan: CalibrationPlan, box: Sequence[tuple[float, float]], seed: int) -> np.ndarray:
    """Latin-hypercube candidates in ``box`` (unit coordinates), integers rounded, in [0, 1]."""
    u = latin_hypercube(box, plan.request.candidates, seed)
    return hm.scale_unit(_rounded(plan, hm.from_unit(u, plan.bounds)), plan.bounds)


def candidate_bytes(plan: CalibrationPlan) -> float:
    """The most memory a wave's candidates hold (bytes): up to MAX_CANDIDATE_BATCHES batches of
    --candidates rows of 8-byte coordinates with their worst implausibility and target, kept and
    then joined into one copy, and ~3 temporary copies while a batch is drawn (``_candidates``)."""
    row = 8.0 * (len(plan.parameters) + 2)
    return (2 * MAX_CANDIDATE_BATCHES + 3) * plan.request.candidates * row


def _max_implausibility(
    waves: Sequence[Mapping[str, hm.Emulator]], observations: Sequence[hm.Observation], u: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Over every wave's emulators: the largest implausibility of each candidate, and the target
    (index into ``observations``) giving it at the last wave. In chunks of ``CANDIDATE_CHUNK``."""
    if len(u) > CANDIDATE_CHUNK:
        parts = [
            _max_implausibility(waves, observations, u[i : i + CANDIDATE_CHUNK])
            for i in range(0, len(u), CANDIDATE_CHUNK)
        ]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    worst = np.zeros(len(u))
    which = np.full(len(u), -1)
    for emulators in waves:
        used = [o for o in observations if o.measure in emulators]
        if not used:
            continue
        frame = hm.wave_implausibility(emulators, used, u)
        worst = np.maximum(worst, frame["max"].to_numpy(float))
        index = [observations.index(o) for o in used]
        which = np.array(index)[frame.drop(columns="max").to_numpy(float).argmax(axis=1)]
    return worst, which


def _fit(
    measures: Sequence[str],
    xs: Sequence[np.ndarray],
    values: Mapping[str, Sequence[np.ndarray]],
    bounds: Sequence[tuple[float, float]],
    seed: int,
) -> tuple[dict[str, hm.Emulator], dict[str, tuple[float, float, float]], dict[str, str]]:
    """An emulator of each measure on every point run so far (waves stacked), its check (LOO share
    within 3 sd, LOO RMSE, sd of one replication), and the measures that could not be emulated
    (undefined almost everywhere, e.g. no departures at all on a tiny cohort) with the reason."""
    u = hm.scale_unit(np.vstack(xs), bounds)
    emulators: dict[str, hm.Emulator] = {}
    checks: dict[str, tuple[float, float, float]] = {}
    failed: dict[str, str] = {}
    for m in measures:
        width = max(v.shape[1] for v in values[m])
        stacked = np.vstack(
            [np.pad(v, ((0, 0), (0, width - v.shape[1])), constant_values=np.nan) for v in values[m]]
        )
        try:
            em = hm.fit_emulator(m, u, stacked, seed=seed)
        except ValueError as exc:
            failed[m] = str(exc)
            continue
        emulators[m] = em
        within, rmse = hm.loo_check(em)
        checks[m] = (within, rmse, math.sqrt(em.var_sim))
    return emulators, checks, failed


def _measures(plan: CalibrationPlan) -> list[str]:
    return list(dict.fromkeys(t.measure for t in [*plan.targets, *plan.checks]))


@dataclass
class CalibrationResult:
    """What the waves have run and found: the state ``run_calibration`` carries from one wave to
    the next, then the tables and files it wrote."""

    plan: CalibrationPlan
    xs: list[np.ndarray] = field(default_factory=list)
    """Each wave's design points (parameter values, integers rounded)."""
    values: dict[str, list[np.ndarray]] = field(default_factory=dict)
    """Per measure, each wave's (points x replications) values."""
    runs: list[pd.DataFrame] = field(default_factory=list)
    emulators: list[dict[str, hm.Emulator]] = field(default_factory=list)
    outcomes: list[WaveOutcome] = field(default_factory=list)
    last_means: dict[str, np.ndarray] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    """Measures that could not be emulated (undefined at almost every design point, so their
    targets constrained nothing), and why."""
    nroy_u: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    nroy_max: np.ndarray = field(default_factory=lambda: np.zeros(0))
    status: str = "completed"
    """``completed``, ``stable`` or ``empty`` (nothing is left: no value is consistent)."""
    closest: tuple[float, str] | None = None
    """With ``empty``: the smallest max implausibility of any candidate and its worst target."""
    ran: int = 0
    resumed: int = 0
    reused: Counter[str] = field(default_factory=Counter)
    """Of the simulations run, how many took each section from an earlier one (``engine``)."""
    emulator_seconds: float = 0.0
    nroy: pd.DataFrame = field(default_factory=pd.DataFrame)
    """calibration.csv."""
    targets: pd.DataFrame = field(default_factory=pd.DataFrame)
    files: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0
    manifest: dict[str, Any] = field(default_factory=dict)


def _design(w: CalibrationResult, wave: int) -> np.ndarray:
    """Wave 1: a Latin hypercube over the ranges; later: a maximin subset of what is left."""
    plan, req = w.plan, w.plan.request
    if wave == 1:
        u = latin_hypercube([(0.0, 1.0)] * len(plan.parameters), plan.points, req.seed)
    else:
        u = w.nroy_u[hm.wave_design(w.nroy_u, plan.points, req.seed + wave)]
    return _rounded(plan, hm.from_unit(u, plan.bounds))


def _simulate(
    w: CalibrationResult, wave: int, x: np.ndarray, runner: Runner, out: Path, options: ExecutionOptions
) -> int:
    """Run the wave's points (``run_design``: stored, resumable, identical points once), record
    each measure's values, means and sds, and return the simulations the wave holds."""
    req = w.plan.request
    offset, total = sum(o.simulations for o in w.outcomes), w.plan.simulations

    def progress(done: int, _total: int) -> None:
        options.progress(offset + done, total)

    # later waves keep the earlier waves' rows
    wave_options = dataclasses.replace(options, resume=options.resume or wave > 1, on_progress=progress)
    design = run_design(_scenarios(w.plan, x), req.replications, out, runner, req.seed, wave_options)
    w.ran += design.ran
    w.reused.update(design.reused)
    w.resumed += design.resumed
    w.xs.append(x)
    frame = pd.DataFrame(x, columns=[u.path for u in w.plan.parameters])
    frame.insert(0, "point", range(len(x)))
    frame.insert(0, "wave", wave)
    frame["replications"] = req.replications
    n = len(w.plan.scenarios)
    for m in _measures(w.plan):
        rows = design.rows[w.plan.where.get(m, 0) :: n]  # the rows of the scenario of m's targets
        v = np.array([[float(r.get(MEASURE_PREFIX + m, math.nan)) for r in reps] for reps in rows])
        w.values.setdefault(m, []).append(v)
        mean, var, _ = hm.point_statistics(v)
        frame[f"{m}_mean"] = mean
        frame[f"{m}_sd"] = np.sqrt(var)
        w.last_means[m] = mean
    w.runs.append(frame)
    return design.ran + design.resumed


def _match(w: CalibrationResult, wave: int, simulations: int, say: MessageCallback) -> bool:
    """Fit the emulators on every point so far, draw candidates and keep those every wave's
    emulators find not implausible, and record the wave (``simulations`` it ran or reused); whether
    the next wave should run."""
    plan, req = w.plan, w.plan.request
    fit_started = time.perf_counter()
    matched = list(dict.fromkeys(t.measure for t in plan.targets))
    emulators, checks, failed = _fit(matched, w.xs, w.values, plan.bounds, req.seed)
    for m, why in failed.items():
        if m not in w.skipped:
            say(f"wave {wave}: not matched, {why} (raise --cohort-size or --horizon)")
    w.skipped = {m: f"wave {wave}: {why}" for m, why in failed.items()}
    w.emulators.append(emulators)
    box = [(0.0, 1.0)] * len(plan.parameters) if wave == 1 else hm.bounding_box(w.nroy_u)
    box_share = float(np.prod([b - a for a, b in box]))
    observations = plan.observations()
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for batch in range(MAX_CANDIDATE_BATCHES):
        # a small non-implausible share leaves few candidates: draw more batches until the
        # next wave has enough to choose from (each batch a new Latin hypercube)
        cand = _candidates(plan, box, req.seed + 1000 * wave + batch)
        worst, which = _max_implausibility(w.emulators, observations, cand)
        parts.append((cand, worst, which))
        if sum(int(hm.nroy(p[1], req.cutoff).sum()) for p in parts) >= KEEP_FACTOR * plan.points:
            break
    cand, worst, which = (np.concatenate(batches) for batches in zip(*parts, strict=True))
    keep = hm.nroy(worst, req.cutoff)
    share = float(keep.mean()) * box_share
    w.emulator_seconds += time.perf_counter() - fit_started
    points = len(w.xs[-1])
    w.outcomes.append(
        WaveOutcome(wave, points, simulations, len(cand), box_share, int(keep.sum()), share, checks)
    )
    say(
        f"wave {wave}: {points} points x {req.replications} replications; "
        f"{int(keep.sum()):,} of {len(cand):,} candidates not implausible "
        f"({100 * share:.3g}% of the space)"
    )
    if not keep.any():
        best = int(np.argmin(worst))
        w.closest = (float(worst[best]), observations[int(which[best])].name)
        w.status = "empty"
        w.nroy_u, w.nroy_max = cand[:0], worst[:0]
        return False
    previous = w.outcomes[-2].nroy_share if len(w.outcomes) > 1 else None
    w.nroy_u, w.nroy_max = cand[keep], worst[keep]
    if previous is not None and share >= STABLE_RATIO * previous and wave < req.waves:
        w.status = "stable"
        return False
    return True


def _final_emulators(w: CalibrationResult) -> dict[str, hm.Emulator]:
    """The last wave's emulators, and those of the measures only checked (fitted once, on every
    point run)."""
    fit_started = time.perf_counter()
    final = dict(w.emulators[-1])
    others = [m for m in _measures(w.plan) if m not in final and m not in w.skipped]
    if others:
        extra, _, failed = _fit(others, w.xs, w.values, w.plan.bounds, w.plan.request.seed)
        final.update(extra)
        w.skipped.update({m: f"checked target: {why}" for m, why in failed.items()})
    w.emulator_seconds += time.perf_counter() - fit_started
    return final


def _nroy_frame(w: CalibrationResult) -> pd.DataFrame:
    """calibration.csv: the parameter sets not ruled out, most plausible first."""
    frame = parameter_frame(hm.from_unit(w.nroy_u, w.plan.bounds), w.plan.parameters)
    frame["max_implausibility"] = w.nroy_max
    frame["wave"] = len(w.outcomes)
    return frame.sort_values("max_implausibility", kind="stable").reset_index(drop=True)


def _manifest(w: CalibrationResult, nroy_sets: int, options: ExecutionOptions) -> dict[str, Any]:
    """The manifest's account of the run: targets, parameters, design, implausibility, counts."""
    plan, req = w.plan, w.plan.request
    return {
        "method": "history matching (Gaussian-process emulators, scikit-learn)",
        "scenario": plan.scenario.name,
        "other_scenarios": [o.name for o in plan.scenarios[1:]],
        "status": w.status,
        "closest": {"max_implausibility": w.closest[0], "target": w.closest[1]} if w.closest else None,
        "targets_file": str(plan.targets_file),
        "roles": list(req.roles),
        "targets": [
            {k: getattr(t, k) for k in ("id", "role", "measure", "published", "tolerance", "comparison")}
            for t in plan.targets
        ],
        "excluded": list(req.exclude),
        "checked_out_of_sample": [t.id for t in plan.checks],
        "parameters": parameter_records(plan.parameters),
        "parameters_default": not req.params,
        "design": {
            "waves_requested": req.waves,
            "waves_run": len(w.outcomes),
            "points_per_wave": plan.points,
            "replications": req.replications,
            "candidates": req.candidates,
            "wave_1": "Latin hypercube over the ranges (scipy.stats.qmc), seeded by the root seed",
            "later_waves": "greedy maximin subset of the previous wave's non-implausible candidates",
            "candidate_sampling": "Latin hypercube over the ranges (wave 1) or the box around the "
            "previous non-implausible set (5% of each range added on each side); a candidate must pass "
            "every wave's cut-off",
            "stop": f"nothing left, or the non-implausible share >= {STABLE_RATIO:g} x the previous wave's",
        },
        "implausibility": {
            "formula": "|z - E[f(x)]| / sqrt(V_obs + V_disc + V_em(x) + V_sim); one-sided targets count "
            "only a shortfall (at_least) or an excess (at_most)",
            "V_obs": f"(tolerance / {hm.TOLERANCE_SDS:g})^2",
            "V_disc": f"(discrepancy x tolerance)^2, discrepancy {req.discrepancy:g}",
            "V_em": "the emulator's predictive variance of the mean, without its white noise",
            "V_sim": "the variance of one replication, pooled over the design points",
            "cutoff": req.cutoff,
            "emulator": "GaussianProcessRegressor(ConstantKernel x Matern(nu=2.5, one length scale per "
            "parameter) + WhiteKernel, normalize_y), inputs scaled to [0, 1], fitted on every point run "
            "so far",
        },
        "replications": req.replications,
        "root_seed": req.seed,
        "pairing": "replication k at every design point uses the streams of (seed, k)",
        "overrides": dict(options.overrides),
        "simulations": int(sum(o.simulations for o in w.outcomes)),
        "simulations_run_this_time": w.ran,
        "simulations_resumed": w.resumed,
        "reuse": options.reuse,
        "sections_reused": dict(w.reused),
        "nroy_sets": nroy_sets,
        "emulator_seconds": round(w.emulator_seconds, 3),
        "not_emulated": w.skipped,
        "notes": plan.notes,
    }


def run_calibration(
    plan: CalibrationPlan,
    out: str | Path,
    *,
    options: ExecutionOptions | None = None,
) -> CalibrationResult:
    """Run the waves, match and write the folder (see the module doc)."""
    started = time.perf_counter()
    out = Path(out)
    options = options or ExecutionOptions()
    w = CalibrationResult(plan, nroy_u=np.zeros((0, len(plan.parameters))))
    with experiment_folder(
        out, options, "calibrate", MANIFEST, output.CALIBRATION_CSVS, run_measures
    ) as runner:
        for wave in range(1, plan.request.waves + 1):
            simulations = _simulate(w, wave, _design(w, wave), runner, out, options)
            if not _match(w, wave, simulations, options.notify):
                break
    final = _final_emulators(w)
    w.nroy = _nroy_frame(w)
    w.targets = _targets_table(plan, final, w.nroy_u, w.last_means)
    waves_frame = _waves_table(w.outcomes)
    frames = (w.nroy, pd.concat(w.runs, ignore_index=True), waves_frame, w.targets)
    files = write_tables(out, dict(zip(output.CALIBRATION_CSVS, frames, strict=True)))
    if options.plots:
        from sim.studies.calibration.plots import plot_calibration

        files += write_plots(out, plot_calibration, waves_frame, w.nroy, plan.parameters)
    w.files = [*files, MANIFEST]
    w.manifest = {
        **_manifest(w, len(w.nroy), options),
        **environment(runner.name, runner.workers, runner.address, runner.start_time, options.command_line),
        "files": w.files,
        "store": PARTS_DIR,
        "wall_time_seconds": round(time.perf_counter() - started, 3),
        "resolved_scenario": plan.scenario.model_dump(mode="json"),
    }
    finish_folder(out, w.manifest, MANIFEST)
    w.wall_seconds = time.perf_counter() - started
    return w


def _waves_table(outcomes: Sequence[WaveOutcome]) -> pd.DataFrame:
    rows = []
    for o in outcomes:
        wave = (o.wave, o.points, o.simulations, o.candidates, o.box_share, o.nroy_candidates, o.nroy_share)
        rows += [(*wave, m, *check) for m, check in o.checks.items()]
    return pd.DataFrame(rows, columns=list(hm.WAVE_COLUMNS))


def _targets_table(
    plan: CalibrationPlan,
    emulators: Mapping[str, hm.Emulator],
    nroy_u: np.ndarray,
    last: Mapping[str, np.ndarray],
) -> pd.DataFrame:
    """Per target (matched or checked): the emulated mean's range over the non-implausible set, the
    share of that set whose emulated mean is within the tolerance band, and the range of the last
    wave's simulated point means."""
    rows = []
    for t in [*plan.targets, *plan.checks]:
        if len(nroy_u) and t.measure in emulators:
            mean, _ = emulators[t.measure].predict(nroy_u)
            low, high = band(t.published, t.tolerance, t.comparison)
            lo, hi = float(mean.min()), float(mean.max())
            share = float(np.mean((mean >= low) & (mean <= high)))
        else:
            lo = hi = share = math.nan
        sim = last[t.measure][np.isfinite(last[t.measure])]
        simulated = (float(sim.min()), float(sim.max())) if sim.size else (math.nan, math.nan)
        described = (t.id, t.role, t in plan.targets, t.measure, t.comparison, t.published, t.tolerance)
        rows.append((*described, lo, hi, share, *simulated))
    return pd.DataFrame(rows, columns=list(hm.TARGET_COLUMNS))
