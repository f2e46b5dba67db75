"""Running a probabilistic sensitivity analysis: every policy under every draw of the assumptions.

``run_uncertainty`` draws the reference's ranged parameters by Latin hypercube (or takes some from
a calibration.csv), and each policy's own ranges on its levers (``<policy>:<path>``), applies each
draw to the reference and every policy and runs them all as ``compare`` does (one folder per
scenario and draw, ``out/<name>__draw_<d>/``). Replication ``k`` of every scenario and draw uses
the streams of ``(seed, k)``, so within a draw a policy's difference from the reference is its
effect under those assumptions, not noise.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from sim.analysis.kpis import TABLE_KPIS, kpi
from sim.analysis.statistics import kpi_values, paired_tables
from sim.experiment import output
from sim.experiment.engine import ExecutionOptions
from sim.experiment.errors import ExperimentError
from sim.experiment.files import finish_folder, write_plots, write_tables
from sim.experiment.run import ExperimentResult, run_study_scenarios
from sim.scenario.errors import error_text
from sim.scenario.schema import Scenario
from sim.scenario.uncertainty import Uncertain, apply, lever_ranges, ranges, shared_paths
from sim.studies.calibration.read import read_calibration
from sim.studies.options import check_kpis
from sim.studies.sensitivity.run import parameter_records
from sim.studies.uncertainty import analysis as ua

MANIFEST_FILE = output.UNCERTAINTY_MANIFEST
SHARED = ("root_seed", "replications", "overrides", "executor", "workers", "git_commit", "command_line")
"""Entries of the reference folder's manifest that every draw shares, copied into the study's."""
CE_OUTCOME = "departures_and_removals"
"""The outcome of the acceptability curves: voluntary departures plus enforced removals (people)."""
CE_VALUES = tuple(float(v) for v in range(0, 30_001, 1_000))
"""Values of one extra departure or removal (GBP) at which the curves are evaluated."""
LEVER_SEED_OFFSET = 1_000_003
"""Added to the root seed for the Latin hypercube of the policies' lever ranges. A second design
rather than more columns of the first: scipy's LatinHypercube with more columns draws different
first ones, and a study without policy ranges must draw exactly what it drew before. Two
independent Latin hypercubes side by side are still one (every column stratified, pairing random)."""
LEVER_SEP = ":"
"""Between a policy's name and the path of one of its levers (``induction_briefing:reporting...``)."""


@dataclass(frozen=True)
class Draw:
    """One draw of the ranged parameters and the scenarios it gives."""

    index: int
    values: dict[str, float]
    """The reference's ranged parameters by path, then the policies' levers by ``<policy>:<path>``."""
    reference: Scenario
    policies: tuple[Scenario, ...]


@dataclass
class UncertaintyResult:
    """The tables ``run_uncertainty`` wrote (``files``) and the runs of every scenario and draw."""

    diffs: pd.DataFrame
    summary: pd.DataFrame
    experiment: ExperimentResult
    files: list[str]


@dataclass(frozen=True)
class Calibrated:
    """Draws taken from the rows of a calibration.csv (``--from-calibration``)."""

    file: str
    parameters: tuple[str, ...]
    """The parameters drawn from the file's rows (the others: Latin hypercube over their ranges)."""
    rows: int
    """Rows in the file: the parameter sets not ruled out."""
    replace: bool
    """Sampled with replacement (the file has fewer rows than draws)."""
    chosen: tuple[int, ...]
    """The file's row (0-based) used by each draw."""

    def manifest(self) -> dict[str, Any]:
        how = "with replacement (fewer rows than draws)" if self.replace else "without replacement"
        return {
            "file": self.file,
            "parameters": list(self.parameters),
            "rows_in_file": self.rows,
            "sampling": f"rows drawn uniformly {how}, with numpy's default_rng(seed); the other ranged "
            "parameters by Latin hypercube",
            "rows_used": list(self.chosen),
        }


def calibrated_design(
    reference: Scenario,
    policies: Sequence[Scenario],
    samples: int,
    seed: int,
    from_calibration: str | None = None,
) -> tuple[list[Uncertain], list[Draw], Calibrated | None]:
    """The ranged parameters of ``reference`` and ``samples`` Latin-hypercube draws of them, each
    applied to the reference and to every policy. A scale (the level of a group or delay) multiplies
    a policy's own values too (twice the baseline stays twice the drawn baseline); a value a policy
    sets differently is its lever and stays (more beds keeps its 60 beds in every draw), unless the
    policy's own ``uncertainty:`` ranges it (``lever_ranges``): then it is drawn too, for that
    policy only, from a second Latin hypercube (``LEVER_SEED_OFFSET``), and the reference's drawn
    scales multiply the drawn lever. The parameters returned are the reference's, then each
    policy's levers named ``<policy>:<path>``. With
    ``from_calibration`` (a calibration.csv), the parameters it holds are taken from its rows
    instead (``samples`` rows, without replacement when it has that many): values not ruled out by
    the validation targets, drawn together, so their dependence is kept. ExperimentError, before
    anything runs, if a draw gives a scenario the schema rejects or the file is unusable."""
    if samples < 2:
        raise ExperimentError(f"--samples must be at least 2 (a distribution across draws), got {samples}")
    params = ranges(reference)
    if not params:
        raise ExperimentError(f"{reference.name}: no ranged parameters to draw (see `describe`)")
    x = ua.latin_hypercube([(u.low, u.high) for u in params], samples, seed)
    calibrated = None
    if from_calibration is not None:
        rows = read_calibration(from_calibration, params)  # checked against the reference's ranges
        again = len(rows) < samples  # with replacement
        chosen = np.random.default_rng(seed).choice(len(rows), size=samples, replace=again)
        calibrated = Calibrated(
            from_calibration, tuple(rows.columns), len(rows), again, tuple(map(int, chosen))
        )
        rows = rows.iloc[chosen]
        for j, u in enumerate(params):
            if u.path in rows.columns:
                x[:, j] = rows[u.path].to_numpy(float)
    shared = [shared_paths(p, reference) for p in policies]
    levers = [lever_ranges(p, reference) for p in policies]
    named = [
        replace(u, path=f"{p.name}{LEVER_SEP}{u.path}")
        for p, us in zip(policies, levers, strict=True)
        for u in us
    ]
    y = ua.latin_hypercube([(u.low, u.high) for u in named], samples, seed + LEVER_SEED_OFFSET)
    draws = []
    for d in range(samples):
        values = {u.path: float(x[d, j]) for j, u in enumerate(params)}
        drawn = {u.path: float(y[d, j]) for j, u in enumerate(named)}
        try:
            ref = _named(apply(reference, values), reference, d)
            pols = []
            for p, own, us in zip(policies, shared, levers, strict=True):
                mine = {u.path: drawn[f"{p.name}{LEVER_SEP}{u.path}"] for u in us}
                pols.append(
                    _named(_policy_draw(p, mine, {k: v for k, v in values.items() if k in own}), p, d)
                )
        except ValidationError as exc:
            raise ExperimentError(
                f"draw {d}: a drawn value gives an invalid scenario ({error_text(exc.errors()[0])}); "
                "narrow that parameter's range under the scenario's uncertainty: key"
            ) from None
        draws.append(Draw(d, {**values, **drawn}, ref, tuple(pols)))
    return [*params, *named], draws, calibrated


def _policy_draw(policy: Scenario, levers: dict[str, float], shared: dict[str, float]) -> Scenario:
    """``policy`` with its drawn levers, then the reference's draw of the paths it shares (so a
    drawn scale multiplies a drawn lever as it does the policy's own value). A drawn lever's range
    is dropped from the scenario's ``uncertainty:``: it has been drawn, and the scale may take the
    value out of it (a miss probability of 0.05 in [0.03, 0.06] times 1.5)."""
    if levers:
        left = {k: r for k, r in policy.uncertainty.items() if k not in levers}
        policy = apply(policy.model_copy(update={"uncertainty": left}), levers)
    drawn: Scenario = apply(policy, shared)
    return drawn


def _named(s: Scenario, original: Scenario, index: int) -> Scenario:
    return s.model_copy(
        update={"name": f"{original.name}__draw_{index:03d}", "title": f"{original.label}, draw {index}"}
    )


def differences(
    policies: Sequence[Scenario],
    draws: Sequence[Draw],
    summaries: Mapping[str, pd.DataFrame],
    kpis: Sequence[str],
) -> pd.DataFrame:
    """``uncertainty.csv``: per policy, KPI and draw, the mean over replications of the paired
    difference policy - reference (replication k with replication k)."""
    rows = []
    for draw in draws:
        tables = paired_tables(
            {s.name: summaries[s.name] for s in (draw.reference, *draw.policies)}, draw.reference.name
        )
        ref = tables[draw.reference.name]
        for policy, scenario in zip(policies, draw.policies, strict=True):
            pol = tables[scenario.name]
            for k in kpis:
                diff = kpi_values(pol, k).to_numpy(float) - kpi_values(ref, k).to_numpy(float)
                rows.append((policy.name, k, draw.index, float(np.mean(diff))))
    return pd.DataFrame(rows, columns=ua.UNCERTAINTY_COLUMNS)


def _discovery(
    diffs: pd.DataFrame, summary: pd.DataFrame, draw_table: pd.DataFrame, params: Sequence[Uncertain]
) -> pd.DataFrame:
    """Scenario discovery: for each policy and KPI whose difference changes sign across the draws,
    the boxes of parameter values where it is worse than the reference (discovery.csv), over the
    reference's parameters and the policy's own levers (another policy's cannot matter)."""
    bounds = {u.path: (u.low, u.high) for u in params}
    found = []
    for rec in summary.to_dict("records"):
        scenario, k, p_better = str(rec["scenario"]), str(rec["kpi"]), float(rec["prob_better"])
        if not 0.0 < p_better < 1.0:
            continue  # never or always better (or no direction): nothing flips the sign
        better = kpi(k).higher_is_better
        d = diffs[(diffs.scenario == scenario) & (diffs.kpi == k)].set_index("draw")["diff"]
        worse = (d < 0) if better else (d > 0)
        x = draw_table.set_index("draw").loc[d.index]
        x = x[[c for c in x.columns if LEVER_SEP not in c or c.startswith(scenario + LEVER_SEP)]]
        found.append(ua.discovery_table(scenario, k, ua.discover(x, worse.to_numpy(), bounds), bounds))
    found = [f for f in found if not f.empty]
    return pd.concat(found, ignore_index=True) if found else ua.discovery_table("", "", [], bounds)


def run_uncertainty(
    reference: Scenario,
    policies: Sequence[Scenario],
    out: str | Path,
    *,
    samples: int,
    replications: int,
    root_seed: int,
    kpis: Sequence[str] | None = None,
    options: ExecutionOptions | None = None,
    from_calibration: str | None = None,
) -> UncertaintyResult:
    """Run every policy and the reference under every draw and write the tables (module doc).

    Raises ExperimentError before writing anything for a request that cannot be carried out;
    WorkerLostError and KeyboardInterrupt as ``run_experiment``.
    """
    started = time.perf_counter()
    options = options or ExecutionOptions()
    out = Path(out)
    if not policies:
        raise ExperimentError("uncertainty needs at least one POLICY to compare with the reference")
    names = [reference.name, *(p.name for p in policies)]
    if len(set(names)) != len(names):
        raise ExperimentError(f"scenario names must be unique, got {', '.join(names)}")
    chosen = check_kpis(list(kpis)) if kpis is not None else list(TABLE_KPIS)
    wanted = list(dict.fromkeys([*chosen, "total_cost_gbp", CE_OUTCOME]))
    params, draws, calibrated = calibrated_design(reference, policies, samples, root_seed, from_calibration)
    scenarios = [s for d in draws for s in (d.reference, *d.policies)]
    experiment = run_study_scenarios(
        scenarios,
        out,
        replications,
        root_seed,
        options,
        "uncertainty",
        MANIFEST_FILE,
        output.UNCERTAINTY_CSVS,
    )
    diffs = differences(policies, draws, experiment.summaries, wanted)
    summary = ua.summarise(diffs[diffs.kpi.isin(chosen)])
    ce = ua.ceac(
        diffs[diffs.kpi == "total_cost_gbp"].drop(columns="kpi"),
        diffs[diffs.kpi == CE_OUTCOME].drop(columns="kpi"),
        CE_VALUES,
        CE_OUTCOME,
    )
    draw_table = pd.DataFrame([{"draw": d.index, **d.values} for d in draws])
    discovery = _discovery(diffs, summary, draw_table, params)
    frames = (diffs, summary, ce, discovery, draw_table)
    files = write_tables(out, dict(zip(output.UNCERTAINTY_CSVS, frames, strict=True)))
    if options.plots:
        from sim.studies.uncertainty.plots import plot_ceac, plot_differences

        labels = {p.name: p.label for p in policies}
        files += write_plots(
            out, lambda d: [plot_differences(diffs, summary, labels, d), plot_ceac(ce, labels, d)]
        )
    manifest = {
        "reference": reference.name,
        "policies": [p.name for p in policies],
        "samples": samples,
        "design": "Latin hypercube over the reference's ranged parameters (scipy.stats.qmc), seeded by "
        "the root seed"
        + ("; the parameters of from_calibration drawn from its rows instead" if calibrated else "")
        + (
            f"; each policy's own uncertainty: ranges on its levers (<policy>{LEVER_SEP}<path>) by a second "
            f"Latin hypercube seeded by the root seed + {LEVER_SEED_OFFSET}, applied to that policy only"
            if any(LEVER_SEP in u.path for u in params)
            else ""
        ),
        "from_calibration": calibrated.manifest() if calibrated else None,
        "parameters": parameter_records(params, "why"),
        "kpis": list(chosen),
        "ce_outcome": CE_OUTCOME,
        "pairing": "replication k of every scenario and draw uses the streams of (seed, k)",
        **{k: experiment.runs[0].manifest[k] for k in SHARED},
        "replications_run_this_time": experiment.ran_this_time,
        "files": [*files, MANIFEST_FILE],
        "wall_time_seconds": round(time.perf_counter() - started, 3),
    }
    finish_folder(out, manifest, MANIFEST_FILE)
    return UncertaintyResult(diffs, summary, experiment, files)
