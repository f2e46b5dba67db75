"""Validated probability distributions for delays and latent attributes.

Every random delay in the model is one of these small frozen models, written in a scenario file
as a mapping with a ``dist`` key, for example ``{dist: exponential, mean: 14}``. Keeping the
distributions typed (instead of free-form ``(name, args)`` tuples) means a bad parameter is caught
when the scenario loads, with the field path, not half-way through a run.

Gamma and lognormal are parameterised by mean and coefficient of variation (cv = sd / mean)
because analysts can read those off published summaries; the conversion to shape/scale is here.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

_FROZEN = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
"""Frozen, no unknown keys, and finite numbers only (an infinite mean delay never ends)."""


class Fixed(BaseModel):
    """A constant: every draw equals ``value``. Used for exact micro-tests and fixed timetables."""

    model_config = _FROZEN
    dist: Literal["fixed"] = "fixed"
    value: float = Field(ge=0, description="the constant value")

    def sample(self, gen: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.value, dtype=float)

    @property
    def mean(self) -> float:
        return self.value


class Exponential(BaseModel):
    """Memoryless delay; with every delay exponential the model is a continuous-time Markov chain."""

    model_config = _FROZEN
    dist: Literal["exponential"] = "exponential"
    mean: float = Field(gt=0, description="mean of the delay")

    def sample(self, gen: np.random.Generator, n: int) -> np.ndarray:
        return gen.exponential(self.mean, n)


class Uniform(BaseModel):
    """Every value between ``low`` and ``high`` equally likely (e.g. a 2-3 minute interview)."""

    model_config = _FROZEN
    dist: Literal["uniform"] = "uniform"
    low: float = Field(ge=0)
    high: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) must be >= low ({self.low})")
        return self

    def sample(self, gen: np.random.Generator, n: int) -> np.ndarray:
        return gen.uniform(self.low, self.high, n)

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2


class Triangular(BaseModel):
    """Expert range: lowest, most likely and highest value."""

    model_config = _FROZEN
    dist: Literal["triangular"] = "triangular"
    low: float = Field(ge=0)
    mode: float = Field(ge=0)
    high: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high:
            raise ValueError(
                f"need low <= mode <= high, got low={self.low}, mode={self.mode}, high={self.high}"
            )
        if self.high == self.low:
            raise ValueError("high must be greater than low (use dist: fixed for a constant)")
        return self

    def sample(self, gen: np.random.Generator, n: int) -> np.ndarray:
        return gen.triangular(self.low, self.mode, self.high, n)

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3


class _MeanCV(BaseModel):
    """A positive delay given by its mean and coefficient of variation (a family's own ``dist``
    literal takes the first place, so a dump reads ``{dist, mean, cv}``)."""

    model_config = _FROZEN
    dist: str
    mean: float = Field(gt=0)
    cv: float = Field(gt=0, description="coefficient of variation, sd / mean")


class Gamma(_MeanCV):
    """Right-skewed positive delay given by its mean and coefficient of variation."""

    dist: Literal["gamma"] = "gamma"

    def sample(self, gen: np.random.Generator, n: int) -> np.ndarray:
        shape = 1.0 / self.cv**2
        return gen.gamma(shape, self.mean / shape, n)


class Lognormal(_MeanCV):
    """Heavy right tail (e.g. decision times with a few very long cases), by mean and cv."""

    dist: Literal["lognormal"] = "lognormal"

    def sample(self, gen: np.random.Generator, n: int) -> np.ndarray:
        sigma2 = math.log1p(self.cv**2)
        mu = math.log(self.mean) - sigma2 / 2
        return gen.lognormal(mu, math.sqrt(sigma2), n)


class Beta(BaseModel):
    """A share in [0, 1]; used for the latent propensity to comply."""

    model_config = _FROZEN
    dist: Literal["beta"] = "beta"
    a: float = Field(gt=0)
    b: float = Field(gt=0)

    def sample(self, gen: np.random.Generator, n: int) -> np.ndarray:
        return gen.beta(self.a, self.b, n)

    @property
    def mean(self) -> float:
        return self.a / (self.a + self.b)


Distribution = Annotated[
    Fixed | Exponential | Uniform | Triangular | Gamma | Lognormal,
    Field(discriminator="dist"),
]
"""Any delay distribution; the ``dist`` key picks the family (beta is for shares, not delays)."""

UnitInterval = Annotated[Fixed | Beta, Field(discriminator="dist")]
"""A distribution whose draws stay in [0, 1]."""


def _positive_mean(d: Fixed | Exponential | Uniform | Triangular | Gamma | Lognormal) -> object:
    if d.mean <= 0:
        raise ValueError(
            "this delay must have a mean > 0 days: it lies on a cycle of the process (e.g. "
            "trace -> arrest -> not found -> trace), which would otherwise repeat for ever at one instant"
        )
    return d


PositiveDelay = Annotated[Distribution, AfterValidator(_positive_mean)]
"""A delay that must take time on average (delays on cycles of the process)."""
