"""Global sensitivity of the KPIs to the ranged parameters (``run_sim.py sensitivity``): SALib's
seeded design (``--resume`` regenerates it) run for the reference and each policy (scales multiply a
policy's own values; a value it changes is its lever and stays, as in ``uncertainty``), then each
KPI, or each policy's paired difference from the reference, analysed.
"""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from sim.analysis.statistics import kpi_values
from sim.experiment.design import Budget
from sim.experiment.engine import ExecutionOptions, experiment_folder, run_design
from sim.experiment.errors import ExperimentError
from sim.experiment.files import finish_folder, write_plots, write_tables
from sim.experiment.output import PARTS_DIR
from sim.experiment.provenance import environment
from sim.experiment.worker import run_summary
from sim.scenario.errors import error_text
from sim.scenario.schema import Scenario
from sim.scenario.uncertainty import Uncertain, apply, ranges, shared_paths
from sim.studies.options import check_kpis
from sim.studies.sensitivity import analysis as sa
from sim.studies.sensitivity.request import GROUPINGS, SECTION_GROUPS, SensitivityRequest

SENSITIVITY_FILE = "sensitivity.csv"
DESIGN_FILE = "design.csv"
OUTPUTS_FILE = "outputs.csv"
MANIFEST = "manifest.json"
FIXED_FILES = (SENSITIVITY_FILE, DESIGN_FILE, OUTPUTS_FILE, MANIFEST)


def parameter_records(params: Sequence[Uncertain], note: str = "base") -> list[dict[str, Any]]:
    """The manifest's record of each ranged parameter: path, kind, range, ``note`` (its ``base``
    value, or ``why`` it is uncertain) and where the range comes from."""
    return [{k: getattr(u, k) for k in ("path", "kind", "low", "high", note, "origin")} for u in params]


def parameter_frame(x: np.ndarray, params: Sequence[Uncertain]) -> pd.DataFrame:
    """Parameter values (rows of ``x``), a column per path; integer parameters as whole numbers."""
    frame = pd.DataFrame(x, columns=[u.path for u in params])
    for u in params:
        if u.integer:
            frame[u.path] = frame[u.path].round().astype(int)
    return frame


def section_group(path: str) -> str:
    """The group of a parameter under ``--groups section``: its top-level section as a glob
    (``contact.enrichment.delay_days`` -> ``contact.*``), which ``--params`` and ``--shortlist``
    read back as the pattern of its members."""
    return path.split(".", 1)[0] + ".*"


@dataclass
class SensitivityPlan:
    """A checked request: the parameters, SALib's problem and sample, the scenarios to run."""

    request: SensitivityRequest
    reference: Scenario
    policies: list[Scenario]
    parameters: list[Uncertain]
    problem: dict[str, Any]
    X: np.ndarray
    points: list[list[Scenario]]
    """``points[s][i]``: scenario s (reference first, then each policy) at design point i."""
    kept: dict[str, list[str]] = field(default_factory=dict)
    """Per policy, parameters it keeps at its own value (the values it changes: its levers)."""
    notes: list[str] = field(default_factory=list)

    @property
    def simulations(self) -> int:
        return len(self.points) * len(self.X) * self.request.replications


@dataclass
class SensitivityResult:
    frame: pd.DataFrame
    files: list[str]
    ran: int
    resumed: int
    wall_seconds: float


def select_parameters(available: Sequence[Uncertain], patterns: Sequence[str]) -> list[Uncertain]:
    """The ranged parameters whose path matches any pattern (all with no pattern); ExperimentError
    for a pattern that matches nothing, listing the available paths."""
    if not patterns:
        return list(available)
    paths = [u.path for u in available]
    for pattern in patterns:
        if not fnmatch.filter(paths, pattern):
            raise ExperimentError(
                f"--params: {pattern!r} matches no ranged parameter of the scenario; available: "
                + ", ".join(paths)
            )
    return [u for u in available if any(fnmatch.fnmatchcase(u.path, p) for p in patterns)]


def read_given_csv(file: str | Path, option: str, what: str) -> pd.DataFrame:
    """The CSV file given to ``option``; ExperimentError if it is missing (saying to give ``what``)
    or cannot be read."""
    if not Path(file).is_file():
        raise ExperimentError(f"{option}: {file} not found; give {what}")
    try:
        return pd.read_csv(file)
    except (OSError, ValueError) as exc:
        raise ExperimentError(f"{option}: cannot read {file} as CSV ({exc})") from None


def read_shortlist(file: str, available: Sequence[Uncertain], top: int) -> list[str]:
    """The top ``top`` parameters per KPI of a Morris sensitivity.csv (not within noise)."""
    frame = read_given_csv(file, "--shortlist", "the sensitivity.csv of a Morris run")
    needed = {"method", "kpi", "parameter", "mu_star", "within_noise", "scenario"}
    if not needed <= set(frame.columns) or not (frame["method"] == sa.MORRIS).any():
        raise ExperimentError(
            f"--shortlist: {file} is not a Morris sensitivity.csv (needs method 'morris' rows with "
            f"columns {', '.join(sorted(needed))})"
        )
    names = sa.shortlist(frame, top)
    paths = [u.path for u in available]
    unknown = [n for n in names if not fnmatch.filter(paths, n)]
    if unknown:
        raise ExperimentError(
            f"--shortlist: {file} names parameters this scenario has no range for: {', '.join(unknown)}"
        )
    if not names:
        raise ExperimentError(f"--shortlist: every parameter in {file} is within noise; nothing to analyse")
    # a group of a grouped Morris run ('contact.*') stands for all its members
    return [p for n in names for p in fnmatch.filter(paths, n)]


def design_point(base: Scenario, values: dict[str, float], what: str = "") -> Scenario:
    """``base`` with a design point's parameter values, or ExperimentError (prefixed ``what: ``)
    saying which values the schema rejects and why (sensitivity, calibrate)."""
    try:
        scenario: Scenario = apply(base, values)
        return scenario
    except ValidationError as exc:
        lines = "; ".join(map(error_text, exc.errors()))
        shown = ", ".join(f"{k}={v:g}" for k, v in values.items())
        prefix = f"{what}: " if what else ""
        raise ExperimentError(
            f"{prefix}the design point {shown} gives an invalid scenario ({lines}); "
            "narrow the range (the scenario's uncertainty: key) or leave the parameter out with --params"
        ) from None


def plan_sensitivity(
    reference: Scenario,
    policies: Sequence[Scenario],
    request: SensitivityRequest,
    budget: Budget | None = None,
) -> SensitivityPlan:
    """Check ``request`` and build the design (ExperimentError before anything is run or written);
    with a ``budget``, check the design's size against it before the design is sampled."""
    if request.method not in sa.METHODS:
        raise ExperimentError(f"--method: got {request.method!r}; choose morris or sobol")
    if request.groups not in GROUPINGS:
        raise ExperimentError(f"--groups: got {request.groups!r}; choose {' or '.join(GROUPINGS)}")
    request = SensitivityRequest(**{**request.__dict__, "kpis": tuple(check_kpis(request.kpis))})
    names = {reference.name}
    for p in policies:
        if p.name in names:
            raise ExperimentError(
                f"policy {p.name!r}: has the same name as the reference or another policy; every "
                "scenario needs its own name"
            )
        names.add(p.name)
    available = ranges(reference)
    if request.shortlist is not None:
        if request.params:
            raise ExperimentError("--shortlist and --params: give one or the other")
        wanted = set(read_shortlist(request.shortlist, available, request.top))
        chosen = [u for u in available if u.path in wanted]
    else:
        chosen = select_parameters(available, request.params)
    notes = []
    fixed = [u.path for u in chosen if not u.high > u.low]
    if fixed:
        notes.append(f"left out (range of zero width): {', '.join(fixed)}")
    chosen = [u for u in chosen if u.high > u.low]
    groups = [section_group(u.path) for u in chosen] if request.groups == SECTION_GROUPS else None
    n_factors = len(set(groups)) if groups else len(chosen)
    if not chosen or (n_factors < 2 and request.method == sa.SOBOL):
        what = "group(s)" if groups else "parameter(s)"
        raise ExperimentError(
            f"--params: {n_factors} {what} selected; {request.method} needs at least "
            f"{2 if request.method == sa.SOBOL else 1}"
        )
    prob = sa.problem([u.path for u in chosen], [(u.low, u.high) for u in chosen], groups)
    if budget is not None:
        size = (
            request.trajectories * (n_factors + 1)
            if request.method == sa.MORRIS
            else request.samples * (n_factors + 2)
        )
        budget.check([reference, *policies], request.replications, repeat=size)
    if request.method == sa.MORRIS:
        if request.levels % 2:
            notes.append(f"--levels {request.levels} is odd; SALib recommends an even number of levels")
        X = sa.morris_design(prob, request.trajectories, request.levels, request.seed)
    else:
        if not sa.is_power_of_two(request.samples):
            notes.append(
                f"--samples {request.samples} is not a power of 2; Sobol sequences balance best at powers "
                "of 2 (SALib's advice)"
            )
        X = sa.sobol_design(prob, request.samples, request.seed)
    names_ = list(prob["names"])
    rows = [dict(zip(names_, map(float, x), strict=True)) for x in X]
    points = [[design_point(reference, r, reference.name) for r in rows]]
    kept: dict[str, list[str]] = {}
    for policy in policies:
        own = shared_paths(policy, reference)
        kept[policy.name] = [n for n in names_ if n not in own]
        points.append(
            [design_point(policy, {k: v for k, v in r.items() if k in own}, policy.name) for r in rows]
        )
        if kept[policy.name]:
            notes.append(f"{policy.name} keeps its own value of {', '.join(kept[policy.name])} (its levers)")
    return SensitivityPlan(request, reference, list(policies), chosen, prob, X, points, kept, notes)


def _values(rows: list[list[dict[str, Any]]], kpi: str) -> np.ndarray:
    """A KPI per design point (rows) and replication (columns)."""
    return np.array([kpi_values(pd.DataFrame(reps), kpi).to_numpy(float) for reps in rows])


def analyse(plan: SensitivityPlan, results: list[list[list[dict[str, Any]]]]) -> pd.DataFrame:
    """sensitivity.csv: per KPI, the reference's indices, then each policy's paired difference's."""
    req = plan.request
    frames = []
    ref_name = plan.reference.name
    for kpi in req.kpis:
        ref = _values(results[0], kpi)
        outputs = [(ref_name, ref)]
        outputs += [(p.name, _values(results[s + 1], kpi) - ref) for s, p in enumerate(plan.policies)]
        for name, values in outputs:
            if req.method == sa.MORRIS:
                frame = sa.analyse_morris(plan.problem, plan.X, values, req.levels, req.seed)
            else:
                frame = sa.analyse_sobol(plan.problem, values, req.seed)
            frames.append(frame.assign(method=req.method, kpi=kpi, scenario=name))
    table = pd.concat(frames, ignore_index=True)
    return table[sa.columns(req.method)]


def _outputs_table(plan: SensitivityPlan, results: list[list[list[dict[str, Any]]]]) -> pd.DataFrame:
    frames = []
    names = [plan.reference.name, *(p.name for p in plan.policies)]
    for name, rows in zip(names, results, strict=True):
        for i, reps in enumerate(rows):
            f = pd.DataFrame(reps)
            data = {"scenario": name, "point": i, "replication": range(len(reps))}
            data.update({k: kpi_values(f, k).to_numpy(float) for k in plan.request.kpis})
            frames.append(pd.DataFrame(data))
    return pd.concat(frames, ignore_index=True)


def run_sensitivity(
    plan: SensitivityPlan,
    out: str | Path,
    *,
    options: ExecutionOptions | None = None,
) -> SensitivityResult:
    """Run the design, analyse it and write the folder, manifest.json last."""
    started = time.perf_counter()
    out = Path(out)
    req = plan.request
    options = options or ExecutionOptions()
    with experiment_folder(out, options, "sensitivity", MANIFEST, FIXED_FILES, run_summary) as runner:
        every = [s for scenarios in plan.points for s in scenarios]
        design = run_design(every, req.replications, out, runner, req.seed, options)
    n = len(plan.X)
    results = [design.rows[s * n : (s + 1) * n] for s in range(len(plan.points))]
    frame = analyse(plan, results)
    points = parameter_frame(plan.X, plan.parameters)
    points.insert(0, "point", range(n))
    files = write_tables(
        out, {SENSITIVITY_FILE: frame, DESIGN_FILE: points, OUTPUTS_FILE: _outputs_table(plan, results)}
    )
    if options.plots:
        from sim.studies.sensitivity.plots import plot_sensitivity

        files += write_plots(out, plot_sensitivity, frame, req.method, plan.reference.name)
    manifest = {
        "method": req.method,
        "reference": plan.reference.name,
        "policies": [p.name for p in plan.policies],
        "kpis": list(req.kpis),
        "parameters": parameter_records(plan.parameters),
        "policies_keep_own_value": plan.kept,
        "design": {
            "sampler": "SALib.sample.morris" if req.method == sa.MORRIS else "SALib.sample.sobol (Saltelli)",
            "trajectories": req.trajectories if req.method == sa.MORRIS else None,
            "levels": req.levels if req.method == sa.MORRIS else None,
            "samples": req.samples if req.method == sa.SOBOL else None,
            "shortlist": req.shortlist,
            "top": req.top if req.shortlist else None,
            "points": n,
            "distinct_scenarios": design.unique,
            "sampler_seed": req.seed,
            "groups": sa.group_members(plan.problem) if req.groups == SECTION_GROUPS else None,
        },
        "replications": req.replications,
        "overrides": dict(options.overrides),
        "root_seed": req.seed,
        "simulations": plan.simulations,
        "simulations_run_this_time": design.ran,
        "reuse": options.reuse,
        "sections_reused": dict(design.reused),
        "simulations_resumed": design.resumed,
        "noise": {
            "morris": f"within_noise: mu_star <= noise = {sa.NOISE_FACTOR:g} x the RMS over trajectories of "
            "the standard error of an elementary effect, from its paired per-replication values",
            "sobol": "within_noise: ST <= noise + ST_ci, noise = the variance of a point's mean due to "
            "replication noise as a share of the variance of the means over the design",
            "ci": f"SALib bootstrap, {sa.BOOTSTRAP_RESAMPLES} resamples, {sa.CONF_LEVEL:.0%} (half-widths)",
        },
        "notes": plan.notes,
        **environment(runner.name, runner.workers, runner.address, runner.start_time, options.command_line),
        "files": [*files, MANIFEST],
        "store": PARTS_DIR,
        "wall_time_seconds": round(time.perf_counter() - started, 3),
        "scenario": plan.reference.model_dump(mode="json"),
    }
    finish_folder(out, manifest, MANIFEST)
    return SensitivityResult(
        frame, [*files, MANIFEST], design.ran, design.resumed, time.perf_counter() - started
    )
