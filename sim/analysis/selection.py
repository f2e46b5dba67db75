"""Which policy is best on one KPI: ranking and selection with an indifference zone.

Why. The largest mean of 20 replications does not answer "which policy is best?": policies a few
people apart swap places between batches. KN (Kim and Nelson 2001, ACM TOMACS 11(3)) adds
replications until it can name a policy that is, with probability at least 1 - alpha, the best
whenever the best is at least ``indifference`` (delta) better than every other (one within delta
of the best counts as correct too), or says at the cap that it cannot separate those left. It
works on the variances of *pairwise differences*, so it is valid with (and gains from) common
random numbers, allows unequal variances and drops clearly inferior policies early (Rinott's
two-stage procedure with Bonferroni would assume independent systems and take far more
replications). For k systems, first stage n0, confidence 1 - alpha:

* eta = ((2 alpha / (k - 1)) ** (-2 / (n0 - 1)) - 1) / 2 and h^2 = 2 eta (n0 - 1);
* S^2_il = variance of the paired differences X_i - X_l over the first n0 replications;
* after r >= n0 replications, W_il(r) = max(0, delta / (2 r) * (h^2 S^2_il / delta^2 - r)); i
  leaves if its mean is below mean_l - W_il(r) for some l still in (values negated for a KPI where
  lower is better); stop when one is left, after at most max_il floor(h^2 S^2_il / delta^2) + 1.

Replications come in batches, but the check is replayed at every r, so the decision and its r are
those of the fully sequential procedure. Normal data are assumed (cohort totals of thousands are
close to normal). Policies identical on the KPI in every replication so far are reported as tied.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Selection:
    """What the KN procedure concluded from the replications it was given."""

    kpi: str
    maximize: bool
    indifference: float
    """delta, in the KPI's summary.csv unit."""
    alpha: float
    """1 - alpha is the probability of correct selection when the best is delta better."""
    first_stage: int
    """n0: replications used to estimate the variances of the differences."""
    replications: int
    """Replications looked at: where the procedure stopped, or all available if undecided."""
    decided: bool
    selected: str | None
    """The best policy (the first of ``contenders`` when they are tied); None if undecided."""
    contenders: tuple[str, ...]
    """Policies still in the contest when it stopped (one, several tied, or undecided)."""
    tied: bool
    """The contenders are identical on the KPI in every replication (no need to separate them)."""
    eliminated: Mapping[str, int] = field(default_factory=dict)
    """Policy -> replications after which it left the contest."""
    means: Mapping[str, float] = field(default_factory=dict)
    """Mean of each policy over ``replications`` (in the KPI's unit, not negated)."""
    max_replications_needed: int = 0
    """Undecided: KN's bound on the replications it needs to separate the contenders left (it
    decides by then); decided: ``replications``."""
    h2: float = math.nan
    """The constant h^2 of the procedure."""

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready record for the comparison manifest."""
        return {
            "procedure": "KN (Kim and Nelson 2001), fully sequential, common random numbers",
            "kpi": self.kpi,
            "direction": "maximize" if self.maximize else "minimize",
            "indifference": self.indifference,
            "alpha": self.alpha,
            "probability_of_correct_selection": 1.0 - self.alpha,
            "first_stage": self.first_stage,
            "replications": self.replications,
            "decided": self.decided,
            "selected": self.selected,
            "contenders": list(self.contenders),
            "tied": self.tied,
            "eliminated_after": dict(self.eliminated),
            "means": dict(self.means),
            "max_replications_needed": self.max_replications_needed,
            "h2": self.h2,
        }


def kn_constant(k: int, first_stage: int, alpha: float) -> float:
    """KN's h^2 for ``k`` systems, first stage n0 and confidence 1 - ``alpha`` (c = 1, as Kim and
    Nelson recommend)."""
    if k < 2:
        return 0.0
    if first_stage < 2:
        raise ValueError(f"KN needs a first stage of at least 2 replications, got {first_stage}")
    eta = 0.5 * ((2.0 * alpha / (k - 1)) ** (-2.0 / (first_stage - 1)) - 1.0)
    return 2.0 * eta * (first_stage - 1)


def _replications(
    values: Mapping[str, Sequence[float] | np.ndarray],
    kpi: str,
    indifference: float,
    alpha: float,
    first_stage: int,
) -> np.ndarray:
    """The checked inputs of KN: a column per policy, a row per replication (else ValueError)."""
    if not indifference > 0 or not math.isfinite(indifference):
        raise ValueError(f"the indifference zone must be a positive number, got {indifference}")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha}")
    if first_stage < 2:
        raise ValueError(f"KN needs a first stage of at least 2 replications, got {first_stage}")
    if not values:
        raise ValueError("no policies to select from")
    data = np.column_stack([np.asarray(v, dtype=float).ravel() for v in values.values()])
    if data.shape[0] < first_stage:
        raise ValueError(f"need {first_stage} replications for the first stage, got {data.shape[0]}")
    if np.isnan(data).any():
        raise ValueError(f"{kpi}: KN needs a value in every replication; some are missing (NaN)")
    return data


def _screen(
    x: np.ndarray, diff_var: np.ndarray, h2: float, delta: float, first_stage: int
) -> tuple[list[int], dict[int, int], int, bool, bool]:
    """KN's elimination replayed replication by replication over the rows of ``x`` (higher is
    better): the policies still in, when each other one left, the replications used, whether one
    is selected, and whether those left are tied (identical in every replication so far)."""
    n_available, k = x.shape
    cumulative = np.cumsum(x, axis=0)
    alive = list(range(k))
    eliminated: dict[int, int] = {}
    r = first_stage
    if k == 1:
        return alive, eliminated, r, True, False
    while r <= n_available:
        means = cumulative[r - 1] / r
        # i is out when some j's mean exceeds i's by more than the shrinking continuation region
        width = np.maximum(0.0, delta / (2.0 * r) * (h2 * diff_var / delta**2 - r))
        out = [i for i in alive if any(means[i] < means[j] - width[i, j] for j in alive if j != i)]
        eliminated.update(dict.fromkeys(out, r))
        alive = [i for i in alive if i not in out]
        if len(alive) == 1:
            return alive, eliminated, r, True, False
        sample = x[:r, alive]
        if np.all(sample == sample[:, [0]]):
            return alive, eliminated, r, True, True
        if r == n_available:
            break
        r += 1
    return alive, eliminated, min(r, n_available), False, False


def kn_select(
    values: Mapping[str, Sequence[float] | np.ndarray],
    *,
    kpi: str,
    indifference: float,
    alpha: float,
    maximize: bool,
    first_stage: int,
) -> Selection:
    """Run KN on the replications available: ``values`` maps each policy to its KPI value in
    replications 0, 1, ... (common random numbers), at least ``first_stage`` of them."""
    request = (kpi, maximize, indifference, alpha, first_stage)  # Selection's first fields
    data = _replications(values, kpi, indifference, alpha, first_stage)
    names = list(values)
    x = data if maximize else -data
    k = len(names)
    h2 = kn_constant(k, first_stage, alpha)
    first = x[:first_stage]
    diff_var = np.zeros((k, k))
    for i in range(k):
        diff_var[i] = np.var(first[:, [i]] - first, axis=0, ddof=1)
    alive, eliminated, r, decided, tied = _screen(x, diff_var, h2, indifference, first_stage)
    final_means = data[:r].mean(axis=0)
    bound = max(
        (math.floor(h2 * diff_var[i, j] / indifference**2) + 1 for i in alive for j in alive if i != j),
        default=0,
    )
    contenders = tuple(names[i] for i in alive)
    return Selection(
        *request,
        replications=r,
        decided=decided,
        selected=contenders[0] if decided else None,
        contenders=contenders,
        tied=tied,
        eliminated={names[i]: at for i, at in eliminated.items()},
        means={n: float(m) for n, m in zip(names, final_means, strict=True)},
        max_replications_needed=r if decided else max(bound, r),
        h2=h2,
    )
