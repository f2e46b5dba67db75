"""Named, independent, buffered random streams.

One root seed drives everything. Replication ``k`` and purpose ``name`` get the stream
``SeedSequence(root_seed, spawn_key=(k, crc32(name)))``: the key depends only on the replication
index and the purpose's *name*, never on the order in which streams are created or on how many
workers run. So

* the same seed gives identical results however replications are spread over processes;
* replication ``k`` of two policy variants draws the same numbers for every purpose whose use the
  two variants share (common random numbers);
* adding a new purpose does not disturb existing ones.

Draws are buffered: one numpy call fills a block of values and the hot path pops plain Python
floats from a list, which is several times faster than one numpy call per draw.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable

import numpy as np

BLOCK = 2048
"""Draws fetched per numpy call; large enough to amortise the call, small enough to be cheap."""


def stream_key(name: str) -> int:
    """A stable 32-bit integer for a purpose name (crc32 is stable across Python runs)."""
    return zlib.crc32(name.encode("utf-8"))


def replication_seed(root_seed: int, replication: int) -> int:
    """A 32-bit number identifying replication ``replication``'s streams, reported as ``seed``."""
    return int(np.random.SeedSequence(root_seed, spawn_key=(replication,)).generate_state(1)[0])


class Buffered:
    """Pops values from a block refilled by ``refill(gen, n)``; call the object to draw one."""

    __slots__ = ("_buf", "_gen", "_refill")

    def __init__(self, gen: np.random.Generator, refill: Callable[[np.random.Generator, int], np.ndarray]):
        self._gen = gen
        self._refill = refill
        self._buf: list[float] = []

    def __call__(self) -> float:
        buf = self._buf
        if not buf:
            # reversed so that pop() from the end returns draws in generation order
            buf.extend(self._refill(self._gen, BLOCK)[::-1].tolist())
        return buf.pop()


class Streams:
    """The random streams of one replication."""

    def __init__(self, root_seed: int, replication: int) -> None:
        if root_seed < 0:
            raise ValueError("root seed must be a non-negative integer")
        self.root_seed = root_seed
        self.replication = replication

    def generator(self, name: str) -> np.random.Generator:
        """An independent numpy Generator for purpose ``name`` in this replication."""
        seq = np.random.SeedSequence(self.root_seed, spawn_key=(self.replication, stream_key(name)))
        return np.random.Generator(np.random.PCG64(seq))

    def uniform(self, name: str) -> Buffered:
        """Uniform draws on [0, 1) for Bernoulli decisions of purpose ``name``."""
        return Buffered(self.generator(name), lambda g, n: g.random(n))

    def exponential(self, name: str) -> Buffered:
        """Standard exponential draws (mean 1); divide by a rate to get a waiting time."""
        return Buffered(self.generator(name), lambda g, n: g.standard_exponential(n))

    def sampler(self, name: str, dist: object) -> Buffered:
        """Draws from a ``sim.distributions`` model, e.g. a delay in days."""
        sample = dist.sample  # type: ignore[attr-defined]
        return Buffered(self.generator(name), sample)


MAX_TRIALS = 1e15


def geometric_trials(u: float, p: float) -> int:
    """Number of Bernoulli(p) trials up to and including the first success, from one uniform ``u``.

    Inverse-CDF sampling keeps it to one draw per run of uneventful events (next-event sampling).
    """
    if p >= 1.0:
        return 1
    if p <= 0.0:
        raise ValueError("p must be > 0")
    trials = math.log1p(-u) / math.log1p(-p)
    # a vanishingly small p gives an astronomically large (or infinite) count: cap it far beyond
    # any horizon rather than overflow
    return 1 + int(min(trials, MAX_TRIALS))
