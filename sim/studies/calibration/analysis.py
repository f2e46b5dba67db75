"""History matching: which parameter values are not ruled out by the published figures?

History matching (Craig, Goldstein et al. 1997; Vernon, Goldstein & Bower 2010; for stochastic
simulators Andrianakis et al. 2017) rules out the values that cannot match the figures, given how
uncertain the figures, the model and its emulator are; what is left ("not ruled out yet", NROY) is
what ``uncertainty --from-calibration`` samples instead of the raw ranges. Pure functions; running
the simulations is ``sim.studies.calibration.run``'s job. The implausibility of x for a target
with published value ``z``::

    I(x) = |z - E[f(x)]| / sqrt(V_obs + V_disc + V_em(x) + V_sim)

``V_obs = (tolerance / 3)^2`` reads the tolerance as a 3-sd bound, so with no other uncertainty the
cut-off 3 (Pukelsheim: at least 95% of a unimodal distribution lies within 3 sd) rules out exactly
the means outside the ``within`` band of ``run_sim.py targets``; ``V_sim``, the variance of one
replication, is there because the published figure is one realisation, as one replication is.

Units: parameter values in their own unit (a scale is a multiplier); a measure's values, the
published figure and the tolerance on the measure's scale (a share as 0.45).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.studies.calibration.request import CUTOFF, DEFAULT_DISCREPANCY

TOLERANCE_SDS = 3.0
"""A target's tolerance read as this many standard deviations of the observation error."""
COMPARISONS = ("two_sided", "at_least", "at_most")

NROY_COLUMNS: tuple[str, ...] = ("max_implausibility", "wave")
"""The columns of calibration.csv after the parameter paths: each kept set's largest implausibility
and the wave whose cut-off it passed last."""
WAVE_COLUMNS: tuple[str, ...] = (
    "wave",
    "points",
    "simulations",
    "candidates",
    "box_share",
    "nroy_candidates",
    "nroy_share",
    "measure",
    "loo_within_3sd",
    "loo_rmse",
    "replication_sd",
)
"""Columns of calibration_waves.csv: one row per wave and emulated measure."""
TARGET_COLUMNS: tuple[str, ...] = (
    "target",
    "role",
    "used",
    "measure",
    "comparison",
    "published",
    "tolerance",
    "emulator_min",
    "emulator_max",
    "share_within",
    "simulated_min",
    "simulated_max",
)
"""Columns of calibration_targets.csv: each target against the emulated range of its measure over
the sets kept, the share of them within tolerance, and the last wave's simulated range."""


@dataclass(frozen=True)
class Observation:
    """One target as history matching uses it."""

    name: str
    """The target's id."""
    measure: str
    published: float
    """z, on the measure's scale."""
    tolerance: float
    comparison: str = "two_sided"
    discrepancy: float = DEFAULT_DISCREPANCY
    """Model-discrepancy sd as a fraction of the tolerance."""

    @property
    def var_obs(self) -> float:
        """V_obs: (tolerance / 3)^2."""
        return (self.tolerance / TOLERANCE_SDS) ** 2

    @property
    def var_disc(self) -> float:
        """V_disc: (discrepancy x tolerance)^2."""
        return (self.discrepancy * self.tolerance) ** 2


def _low_width(bounds: Sequence[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([b[0] for b in bounds], dtype=float), np.array([b[1] - b[0] for b in bounds], dtype=float)


def scale_unit(x: np.ndarray, bounds: Sequence[tuple[float, float]]) -> np.ndarray:
    """Parameter values (rows) mapped to [0, 1] over ``bounds`` (a zero-width range maps to 0)."""
    low, width = _low_width(bounds)
    return (np.asarray(x, dtype=float) - low) / np.where(width > 0, width, 1.0)


def from_unit(u: np.ndarray, bounds: Sequence[tuple[float, float]]) -> np.ndarray:
    """The inverse of :func:`scale_unit`."""
    low, width = _low_width(bounds)
    return low + np.asarray(u, dtype=float) * width


def point_statistics(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per design point (rows) over replications (columns): the mean, the sample variance (NaN with
    fewer than 2 finite values) and the number of finite values. NaN replications (a ratio whose
    denominator was 0) are left out."""
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    n = finite.sum(axis=1)
    filled = np.where(finite, values, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, filled.sum(axis=1) / np.maximum(n, 1), np.nan)
        dev = np.where(finite, values - mean[:, None], 0.0)
        var = np.where(n > 1, (dev**2).sum(axis=1) / np.maximum(n - 1, 1), np.nan)
    return mean, var, n


@dataclass
class Emulator:
    """A fitted Gaussian process of one measure's mean, and the simulation noise it saw."""

    measure: str
    gp: object
    """The fitted ``sklearn.gaussian_process.GaussianProcessRegressor``."""
    x: np.ndarray
    """Training inputs, in [0, 1]."""
    y: np.ndarray
    """Training outputs: each design point's mean over its replications."""
    noise: float
    """The fitted white-noise variance, on the measure's scale: the noise of a point's mean."""
    var_sim: float
    """V_sim: the variance of one replication (pooled sample variance; with one replication per
    point, the fitted noise)."""

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """E[f(x)] and V_em(x) at inputs in [0, 1] (rows): the variance of the mean function, without
        the white noise of a simulated point."""
        mean, sd = self.gp.predict(np.atleast_2d(x), return_std=True)  # type: ignore[attr-defined]
        return np.asarray(mean, dtype=float), np.maximum(np.asarray(sd, dtype=float) ** 2 - self.noise, 0.0)


def fit_emulator(measure: str, x: np.ndarray, values: np.ndarray, seed: int = 0) -> Emulator:
    """A GP of ``measure`` over design points ``x`` (rows, in [0, 1]) from per-replication ``values``
    (rows: points, columns: replications). Points whose every replication is NaN are left out;
    ValueError if fewer than 3 points remain (nothing to emulate)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    x = np.atleast_2d(np.asarray(x, dtype=float))
    mean, var, n = point_statistics(values)
    keep = n > 0
    if keep.sum() < 3:
        raise ValueError(f"{measure}: defined at {int(keep.sum())} design point(s); at least 3 are needed")
    xk, yk = x[keep], mean[keep]
    d = xk.shape[1]
    kernel = ConstantKernel(1.0, (1e-3, 1e3)) * Matern(
        length_scale=np.full(d, 0.5), length_scale_bounds=(0.02, 50.0), nu=2.5
    ) + WhiteKernel(1e-2, (1e-8, 1.0))
    gp = GaussianProcessRegressor(kernel=kernel, normalize_y=True, n_restarts_optimizer=1, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gp.fit(xk, yk)
    y_sd = float(np.std(yk))
    y_sd = y_sd if y_sd > 0 else 1.0  # as normalize_y does
    noise = float(gp.kernel_.k2.noise_level) * y_sd**2
    pooled = var[keep & np.isfinite(var)]
    var_sim = float(np.mean(pooled)) if pooled.size else noise * float(np.mean(n[keep]))
    return Emulator(measure, gp, xk, yk, noise, var_sim)


def loo_check(em: Emulator) -> tuple[float, float]:
    """Leave-one-out check of an emulator, in closed form with its hyperparameters fixed: the share
    of training points whose standardised LOO error is within +-3, and the LOO root mean square
    error on the measure's scale."""
    gp = em.gp
    k = gp.kernel_(em.x)  # type: ignore[attr-defined]
    y_sd = float(np.std(em.y)) or 1.0
    yn = (em.y - float(np.mean(em.y))) / y_sd
    try:
        inv = np.linalg.inv(k + 1e-10 * np.eye(len(k)))
    except np.linalg.LinAlgError:
        return math.nan, math.nan
    alpha = inv @ yn
    diag = np.diag(inv)
    err = alpha / diag * y_sd  # LOO residual, measure's scale
    std = alpha / np.sqrt(diag)  # LOO residual / LOO sd
    return float(np.mean(np.abs(std) <= CUTOFF)), float(np.sqrt(np.mean(err**2)))


def implausibility(obs: Observation, mean: np.ndarray, var_em: np.ndarray, var_sim: float) -> np.ndarray:
    """I(x) for one target at each emulated point (see the module doc); one-sided targets count only
    a shortfall (``at_least``) or an excess (``at_most``)."""
    if obs.comparison not in COMPARISONS:
        raise ValueError(f"comparison must be one of {', '.join(COMPARISONS)}, got {obs.comparison!r}")
    gap = np.asarray(obs.published - np.asarray(mean, dtype=float))
    if obs.comparison == "at_least":
        gap = np.maximum(gap, 0.0)  # published - mean > 0: the model falls short of a floor
    elif obs.comparison == "at_most":
        gap = np.maximum(-gap, 0.0)  # mean - published > 0: the model exceeds a ceiling
    total = obs.var_obs + obs.var_disc + np.asarray(var_em, dtype=float) + var_sim
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.abs(gap) / np.sqrt(total)
    return np.where(total > 0, out, np.where(gap == 0, 0.0, np.inf))


def wave_implausibility(
    emulators: Mapping[str, Emulator], observations: Sequence[Observation], x: np.ndarray
) -> pd.DataFrame:
    """Each target's implausibility at candidates ``x`` (rows, in [0, 1]), one column per target id,
    and ``max``: the largest over the targets (the one the cut-off applies to)."""
    out = {}
    for obs in observations:
        em = emulators[obs.measure]
        mean, var_em = em.predict(x)
        out[obs.name] = implausibility(obs, mean, var_em, em.var_sim)
    frame = pd.DataFrame(out, index=range(len(x)))
    frame["max"] = frame.max(axis=1) if len(frame.columns) else 0.0
    return frame


def nroy(max_implausibility: np.ndarray, cutoff: float = CUTOFF) -> np.ndarray:
    """Whether each point is not ruled out: its largest implausibility is at most ``cutoff``."""
    if not cutoff > 0:
        raise ValueError(f"the cut-off must be > 0, got {cutoff}")
    return np.asarray(max_implausibility, dtype=float) <= cutoff


def bounding_box(u: np.ndarray, pad: float = 0.05) -> list[tuple[float, float]]:
    """The box (in [0, 1] coordinates) around points ``u``, widened by ``pad`` of the unit range on
    each side and clipped to [0, 1]: where the next wave's candidates are drawn."""
    u = np.atleast_2d(u)
    low = np.clip(u.min(axis=0) - pad, 0.0, 1.0)
    high = np.clip(u.max(axis=0) + pad, 0.0, 1.0)
    return [(float(a), float(b)) for a, b in zip(low, high, strict=True)]


def wave_design(candidates: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Indices of ``n`` space-filling points among ``candidates`` (rows, in [0, 1]): greedy maximin
    from a random start (each next point the candidate farthest from those chosen). All of them if
    there are no more than ``n``."""
    m = len(candidates)
    if m <= n:
        return np.arange(m)
    rng = np.random.default_rng(seed)
    chosen = [int(rng.integers(m))]
    dist = np.linalg.norm(candidates - candidates[chosen[0]], axis=1)
    for _ in range(n - 1):
        i = int(np.argmax(dist))
        chosen.append(i)
        dist = np.minimum(dist, np.linalg.norm(candidates - candidates[i], axis=1))
    return np.array(chosen)
