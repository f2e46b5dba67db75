"""Global sensitivity of a KPI to the ranged parameters: SALib's Morris and Sobol, with the noise.

Designs and indices are SALib's, seeded (``--resume`` regenerates the same design); this module
adds what a stochastic model needs: how much of an index simulation noise alone could produce. A
design point's output is a KPI (or a policy's paired difference) averaged over R replications,
paired across points by common random numbers:

* **Morris.** An elementary effect's standard error comes from its R paired per-replication
  effects; ``noise`` is ``NOISE_FACTOR`` x their root-mean-square over trajectories and an index
  is ``within_noise`` when mu* <= noise (mu* of a parameter with no effect is about 0.8 standard
  errors).
* **Sobol.** Noise adds the mean variance of a point's mean to the output's variance and at most
  that to each total-order estimate; ``noise`` is that share of the variance of the means, and an
  index is ``within_noise`` when ST <= noise + ST's CI half-width.

``*_ci`` are SALib's bootstrap half-widths (95%) over the design, blind to simulation noise.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.studies.sensitivity.request import METHODS as METHODS
from sim.studies.sensitivity.request import MORRIS, SOBOL

MORRIS_COLUMNS: tuple[str, ...] = ("method", "kpi", "parameter", "mu_star", "mu_star_ci", "sigma")
SOBOL_COLUMNS: tuple[str, ...] = ("method", "kpi", "parameter", "S1", "S1_ci", "ST", "ST_ci")
EXTRA_COLUMNS: tuple[str, ...] = ("scenario", "within_noise", "n_points", "replications", "noise")
NOISE_FACTOR = 2.0
"""Morris: mu* within this many standard errors of an elementary effect is within noise."""
BOOTSTRAP_RESAMPLES = 1000
CONF_LEVEL = 0.95
BOOTSTRAP = {"num_resamples": BOOTSTRAP_RESAMPLES, "conf_level": CONF_LEVEL}
"""SALib's bootstrap of an index's confidence interval (half-width, 95%)."""


def columns(method: str) -> list[str]:
    """sensitivity.csv's columns for ``method``: the required ones, then the extra ones."""
    return [*(MORRIS_COLUMNS if method == MORRIS else SOBOL_COLUMNS), *EXTRA_COLUMNS]


def problem(
    names: Sequence[str], bounds: Sequence[tuple[float, float]], groups: Sequence[str] | None = None
) -> dict[str, Any]:
    """SALib's problem: names are the dotted parameter paths, bounds their [low, high]; with
    ``groups`` (one group name per parameter), SALib moves each group as one factor."""
    prob: dict[str, Any] = {
        "num_vars": len(names),
        "names": list(names),
        "bounds": [[float(lo), float(hi)] for lo, hi in bounds],
    }
    if groups is not None:
        prob["groups"] = list(groups)
    return prob


def factors(prob: Mapping[str, Any]) -> list[str]:
    """What a design moves one at a time: the groups (in order of first appearance), or the
    parameters when the problem has no groups."""
    groups = prob.get("groups")
    return list(dict.fromkeys(groups)) if groups else list(prob["names"])


def group_members(prob: Mapping[str, Any]) -> dict[str, list[str]]:
    """Each factor's parameters (a parameter is its own factor when there are no groups)."""
    groups = prob.get("groups") or prob["names"]
    out: dict[str, list[str]] = {f: [] for f in factors(prob)}
    for name, g in zip(prob["names"], groups, strict=True):
        out[g].append(name)
    return out


def morris_design(prob: Mapping[str, Any], trajectories: int, levels: int, seed: int) -> np.ndarray:
    """SALib's Morris sample: ``trajectories x (k + 1)`` points, one parameter moving per step."""
    from SALib.sample import morris

    return np.asarray(morris.sample(dict(prob), trajectories, num_levels=levels, seed=seed))


def sobol_design(prob: Mapping[str, Any], samples: int, seed: int) -> np.ndarray:
    """SALib's Saltelli sample for first and total order: ``samples x (k + 2)`` points."""
    from SALib.sample import sobol

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib's power-of-two advice: the CLI gives its own
        return np.asarray(sobol.sample(dict(prob), samples, calc_second_order=False, seed=seed))


def is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def _means(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=float).mean(axis=1)


def elementary_effects(
    prob: Mapping[str, Any], X: np.ndarray, values: np.ndarray
) -> tuple[list[list[float]], list[list[float]]]:
    """Per factor (parameter, or group): its elementary effects on the mean output (one per
    trajectory) and the squared standard error of each, from the R paired per-replication effects
    (no standard errors with one replication).

    A step moves one factor: every parameter of a group moves by the same share of its range
    (SALib's grouped design), so the effect is the change in the output over that share.
    """
    names = factors(prob)
    factor_of = [names.index(f) for f in prob.get("groups") or prob["names"]]  # each parameter's factor
    g = len(names)
    width = np.array([hi - lo for lo, hi in prob["bounds"]], dtype=float)
    r = values.shape[1]
    means = _means(values)
    effects: list[list[float]] = [[] for _ in range(g)]
    sq: list[list[float]] = [[] for _ in range(g)]
    for start in range(0, X.shape[0], g + 1):
        for a in range(start, start + g):
            step = (X[a + 1] - X[a]) / width
            i = int(np.argmax(np.abs(step)))
            if step[i] == 0:
                continue
            j = int(factor_of[i])
            effects[j].append(float(means[a + 1] - means[a]) / float(step[i]))
            if r >= 2:
                per = (values[a + 1] - values[a]) / step[i]
                sq[j].append(float(np.var(per, ddof=1)) / r)
    return effects, sq


def analyse_morris(
    prob: Mapping[str, Any], X: np.ndarray, values: np.ndarray, levels: int, seed: int
) -> pd.DataFrame:
    """mu*, its bootstrap CI half-width, sigma and the noise flag of each parameter (or group).

    ``values``: the output per design point (rows of ``X``) and replication (columns). With
    groups, SALib leaves sigma undefined for a group of several parameters (it averages the
    parameters' own statistics); here sigma is the standard deviation of the group's elementary
    effects, which is what it is for a single parameter.
    """
    from SALib.analyze import morris

    names = factors(prob)
    values = np.asarray(values, dtype=float)
    Y = _means(values)
    if not np.all(np.isfinite(Y)):
        return _undefined(names, MORRIS, values)
    res = morris.analyze(dict(prob), X, Y, num_levels=levels, seed=seed, **BOOTSTRAP)
    effects, sq = elementary_effects(prob, X, values)
    # per factor: the RMS over trajectories of an effect's standard error (NaN with one replication)
    noise = NOISE_FACTOR * np.array([math.sqrt(sum(s) / len(s)) if s else math.nan for s in sq])
    mu_star = np.asarray(res["mu_star"], dtype=float)
    sigma = np.asarray(res["sigma"], dtype=float)
    if prob.get("groups"):
        sigma = np.array([float(np.std(e, ddof=1)) if len(e) > 1 else math.nan for e in effects])
    within = [bool(m <= n) if not math.isnan(n) else False for m, n in zip(mu_star, noise, strict=True)]
    mu_star_ci = np.asarray(res["mu_star_conf"], dtype=float)
    return _table(names, values, within, noise, mu_star=mu_star, mu_star_ci=mu_star_ci, sigma=sigma)


def sobol_noise_share(values: np.ndarray) -> float:
    """Variance of a design point's mean due to simulation noise, as a share of the variance of
    the means over the design (NaN with one replication, 0 when nothing varies)."""
    r = values.shape[1]
    total = float(np.var(_means(values), ddof=1))
    if r < 2:
        return math.nan
    noise = float(np.mean(np.var(values, axis=1, ddof=1))) / r
    if total == 0:
        return 0.0 if noise == 0 else math.inf
    return noise / total


def analyse_sobol(prob: Mapping[str, Any], values: np.ndarray, seed: int) -> pd.DataFrame:
    """S1, ST, their bootstrap CI half-widths and the noise flag of each parameter (or group)."""
    from SALib.analyze import sobol

    names = factors(prob)
    values = np.asarray(values, dtype=float)
    Y = _means(values)
    if not np.all(np.isfinite(Y)):
        return _undefined(names, SOBOL, values)
    k = len(names)
    if np.ptp(Y) == 0:  # the output does not vary over the design: no parameter moves it
        s1 = s1c = st = stc = np.zeros(k)
    else:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            res = sobol.analyze(dict(prob), Y, calc_second_order=False, seed=seed, **BOOTSTRAP)
        s1, s1c = np.asarray(res["S1"], dtype=float), np.asarray(res["S1_conf"], dtype=float)
        st, stc = np.asarray(res["ST"], dtype=float), np.asarray(res["ST_conf"], dtype=float)
    share = sobol_noise_share(values)
    within = [bool(t <= share + c) if not math.isnan(share) else False for t, c in zip(st, stc, strict=True)]
    return _table(names, values, within, share, S1=s1, S1_ci=s1c, ST=st, ST_ci=stc)


def _table(names: Sequence[str], values: np.ndarray, within: Any, noise: Any, **indices: Any) -> pd.DataFrame:
    """The rows of one output: each factor's ``indices``, whether it is within noise, the design
    points and replications (the shape of ``values``) and the noise."""
    n_points, replications = values.shape
    columns = {"parameter": list(names), **indices, "within_noise": within}
    return pd.DataFrame({**columns, "n_points": n_points, "replications": replications, "noise": noise})


def _undefined(names: Sequence[str], method: str, values: np.ndarray) -> pd.DataFrame:
    """Rows of NaN indices for an output undefined at some design point."""
    cols = MORRIS_COLUMNS[3:] if method == MORRIS else SOBOL_COLUMNS[3:]
    return _table(names, values, False, math.nan, **dict.fromkeys(cols, math.nan))


def ranking_column(method: str) -> str:
    """The index parameters are ranked by: mu* (Morris) or ST (Sobol)."""
    return "mu_star" if method == MORRIS else "ST"


def top_parameters(frame: pd.DataFrame, method: str, n: int) -> pd.DataFrame:
    """The ``n`` highest-ranked rows of each (scenario, kpi), highest first."""
    col = ranking_column(method)
    ordered = frame.sort_values(["scenario", "kpi", col], ascending=[True, True, False], kind="stable")
    return ordered.groupby(["scenario", "kpi"], sort=False).head(n)


def shortlist(frame: pd.DataFrame, n: int) -> list[str]:
    """Parameters among the top ``n`` by mu* (not within noise) of any KPI of a Morris table, in
    order of their best rank."""
    morris = frame[(frame["method"] == MORRIS) & ~frame["within_noise"].astype(bool)]
    best: dict[str, tuple[int, float]] = {}
    for _, group in morris.groupby(["scenario", "kpi"], sort=False):
        ranked = group.sort_values("mu_star", ascending=False, kind="stable").head(n)
        for rank, (param, mu) in enumerate(zip(ranked["parameter"], ranked["mu_star"], strict=True)):
            current = best.get(param)
            if current is None or (rank, -mu) < current:
                best[param] = (rank, -float(mu))
    return sorted(best, key=lambda p: best[p])
