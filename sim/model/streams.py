"""Random numbers keyed by replication, purpose, person and draw index: exact common random numbers.

Every random number in a replication is a pure function of four things::

    u = uniform(key(root_seed, replication, purpose), person, index)

``key`` is 64 bits from ``SeedSequence(root_seed, spawn_key=(replication, crc32(purpose)))``, so
each (replication, purpose) pair gets an independent, well-mixed key; ``uniform`` is the SplitMix64
output function applied to ``key + ((person << 32) | index) * golden``: a bijection of the 64-bit
counter (distinct (person, index) pairs never collide within a purpose) followed by a strong
avalanche, the same construction SplitMix64 uses to turn a counter into a generator. The top 53
bits become a double in [0, 1).

Why a counter-based function instead of one generator per purpose: with one shared stream, one
extra draw anywhere (a policy changes one person's path) shifts the draws of every later person,
so two policies compared with the same seed share almost nothing. Here person ``i``'s draws for a
decision depend only on ``i``, the decision and how many times ``i`` has taken it, never on what
happened to anyone else or on other decisions. Two policy variants therefore make exactly the same
draws wherever a person's path is the same, and a KPI a policy cannot touch differs by exactly 0.

Two ways to index draws, both pure:

* **sequential** (:meth:`Streams.uniform`, :meth:`Streams.delay`): the ``j``-th time person ``i``
  takes a decision gets index ``j`` (a per-person counter per purpose);
* **structural** (:func:`uniforms`, vectorised): the caller names the index, e.g. contact round
  ``r`` and attempt ``k``, so attempt 3 of round 1 gets the same number whatever the policy's
  number of attempts per round; cohort attributes use index 0.

The scalar and vectorised functions compute the same 64-bit integer arithmetic, so they give
bit-identical values (``tests/unit/test_streams.py`` checks it).

Delays are drawn by inverse CDF from the uniform, so a policy that changes a delay's mean (or
family) moves each person's draw monotonically instead of re-drawing it: the strongest coupling
common random numbers can give.
"""

from __future__ import annotations

import math
import zlib
from array import array
from collections.abc import Callable

import numpy as np
from scipy import special

from sim.scenario.distributions import Beta, Exponential, Fixed, Gamma, Lognormal, Triangular, Uniform

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB
INDEX_BITS = 32
"""Bits of the draw index in the counter; person ids take the bits above (up to 2**31 people)."""
TO_UNIT = 2.0**-53

Draw = Callable[[int], float]
"""Draws a number for the person with the given id (the next index of that person's sequence)."""
Transform = Callable[[float], float]
"""Turns a uniform in [0, 1) into a draw of a distribution (its inverse CDF)."""

_U64 = np.uint64


def stream_key(name: str) -> int:
    """A stable 32-bit integer for a purpose name (crc32 is stable across Python runs)."""
    return zlib.crc32(name.encode("utf-8"))


def replication_seed(root_seed: int, replication: int) -> int:
    """A 32-bit number identifying replication ``replication``'s streams, reported as ``seed``."""
    return int(np.random.SeedSequence(root_seed, spawn_key=(replication,)).generate_state(1)[0])


def purpose_key(root_seed: int, replication: int, purpose: str) -> int:
    """The 64-bit key of ``purpose`` in replication ``replication`` of root seed ``root_seed``."""
    seq = np.random.SeedSequence(root_seed, spawn_key=(replication, stream_key(purpose)))
    return int(seq.generate_state(1, dtype=np.uint64)[0])


def uniform(key: int, person: int, index: int) -> float:
    """The uniform in [0, 1) for (``key``, ``person``, ``index``): SplitMix64's output function."""
    z = (key + ((person << INDEX_BITS) | index) * GOLDEN) & MASK
    z = ((z ^ (z >> 30)) * MIX1) & MASK
    z = ((z ^ (z >> 27)) * MIX2) & MASK
    return ((z ^ (z >> 31)) >> 11) * TO_UNIT


def uniforms(key: int, people: np.ndarray, index: np.ndarray | int) -> np.ndarray:
    """:func:`uniform` for arrays of people and indices (broadcast), as float64, bit-identical."""
    person = np.asarray(people, dtype=_U64)
    idx = np.asarray(index, dtype=_U64)
    with np.errstate(over="ignore"):
        z = _U64(key) + ((person << _U64(INDEX_BITS)) | idx) * _U64(GOLDEN)
        z = (z ^ (z >> _U64(30))) * _U64(MIX1)
        z = (z ^ (z >> _U64(27))) * _U64(MIX2)
        z = z ^ (z >> _U64(31))
    return (z >> _U64(11)).astype(np.float64) * TO_UNIT


# ----------------------------------------------------------------------------------------------
# Inverse CDFs: a uniform in [0, 1) to a draw of a distribution
# ----------------------------------------------------------------------------------------------

DelayDistribution = Fixed | Exponential | Uniform | Triangular | Gamma | Lognormal


def inverse_cdf(dist: DelayDistribution) -> Transform:
    """The quantile function of ``dist`` as a plain Python function of one uniform.

    Closed forms where they exist; gamma and lognormal use scipy's incomplete-gamma and normal
    quantiles (a microsecond each: they serve the rarer casework and detention delays).
    """
    if isinstance(dist, Fixed):
        value = dist.value
        return lambda u: value
    if isinstance(dist, Exponential):
        mean = dist.mean
        return lambda u: -mean * math.log1p(-u)
    if isinstance(dist, Uniform):
        low, width = dist.low, dist.high - dist.low
        return lambda u: low + width * u
    if isinstance(dist, Triangular):
        a, c, b = dist.low, dist.mode, dist.high
        split = (c - a) / (b - a)

        def triangular(u: float) -> float:
            if u < split:
                return a + math.sqrt(u * (b - a) * (c - a))
            return b - math.sqrt((1.0 - u) * (b - a) * (b - c))

        return triangular
    if isinstance(dist, Gamma):
        shape = 1.0 / dist.cv**2
        scale = dist.mean / shape
        gammaincinv = special.gammaincinv
        return lambda u: float(gammaincinv(shape, u)) * scale
    if isinstance(dist, Lognormal):
        sigma = math.sqrt(math.log1p(dist.cv**2))
        mu = math.log(dist.mean) - sigma * sigma / 2
        ndtri = special.ndtri
        return lambda u: math.exp(mu + sigma * float(ndtri(u)))
    raise TypeError(f"no inverse CDF for {type(dist).__name__}")


def inverse_cdf_array(dist: DelayDistribution | Beta, u: np.ndarray) -> np.ndarray:
    """The quantile function of ``dist`` applied to an array of uniforms (vectorised).

    Agrees with :func:`inverse_cdf` to floating-point rounding; callers never mix the two for the
    same purpose, so draws stay exact functions of their keys either way.
    """
    if isinstance(dist, Fixed):
        return np.full(u.shape, dist.value, dtype=float)
    if isinstance(dist, Exponential):
        return -dist.mean * np.log1p(-u)
    if isinstance(dist, Uniform):
        return dist.low + (dist.high - dist.low) * u
    if isinstance(dist, Triangular):
        a, c, b = dist.low, dist.mode, dist.high
        split = (c - a) / (b - a)
        left = a + np.sqrt(u * (b - a) * (c - a))
        right = b - np.sqrt((1.0 - u) * (b - a) * (b - c))
        return np.where(u < split, left, right)
    if isinstance(dist, Gamma):
        shape = 1.0 / dist.cv**2
        return special.gammaincinv(shape, u) * (dist.mean / shape)
    if isinstance(dist, Lognormal):
        sigma = math.sqrt(math.log1p(dist.cv**2))
        mu = math.log(dist.mean) - sigma * sigma / 2
        return np.exp(mu + sigma * special.ndtri(u))
    if isinstance(dist, Beta):
        return special.betaincinv(dist.a, dist.b, u)
    raise TypeError(f"no inverse CDF for {type(dist).__name__}")


# ----------------------------------------------------------------------------------------------
# The streams of one replication
# ----------------------------------------------------------------------------------------------


class Delay:
    """Draws of a distribution for each person: their own uniforms through its inverse CDF.

    The distribution can be replaced (:meth:`retune`, a scenario change from a given day) while
    the uniforms go on where they were: the same person's next delay keeps its random number and
    only the transform changes, so a changed mean moves it monotonically. A fixed value uses no
    random number.
    """

    __slots__ = ("_transform", "_uniform", "fixed")

    def __init__(self, uniform: Draw, dist: DelayDistribution) -> None:
        self._uniform = uniform
        self.retune(dist)

    def retune(self, dist: DelayDistribution) -> None:
        self._transform = inverse_cdf(dist)
        self.fixed = dist.value if isinstance(dist, Fixed) else None

    def __call__(self, person: int) -> float:
        if self.fixed is not None:
            return self.fixed
        return self._transform(self._uniform(person))


PREFETCH_SHARE = 50
"""A stream's first draws are worked out ahead once 1 in this many of the people who take
decisions have drawn it (:meth:`Streams.prefetch`)."""


class Streams:
    """The keyed random numbers of one replication of ``people`` people.

    Parts ask for one stream per purpose (one decision or delay) when they are built; purpose
    names are ``"<domain>.<decision>"`` and must be unique, because two decisions sharing a
    purpose would share draws (checked: asking twice for a name is an error).
    """

    def __init__(self, root_seed: int, replication: int, people: int = 0) -> None:
        if root_seed < 0:
            raise ValueError("root seed must be a non-negative integer")
        self.root_seed = root_seed
        self.replication = replication
        self.people = people
        self._taken: set[str] = set()
        self._sequential: list[tuple[array[float], array[int]]] = []
        """Each sequential stream's first draws of the people given to :meth:`prefetch` (empty
        until worked out) and how many more of them draw before they are (one value)."""
        self._slot: array[int] | None = None
        """Person -> place in the first draws (-1: none), shared by the sequential streams."""
        self._prefetched = np.empty(0, dtype=np.int64)
        """The people given to :meth:`prefetch` (ids), in their places."""

    def key(self, purpose: str) -> int:
        """The 64-bit key of ``purpose`` (see the module docstring)."""
        return purpose_key(self.root_seed, self.replication, purpose)

    def claim_key(self, purpose: str) -> int:
        """The key of ``purpose``, reserved for the caller (structural indexing with
        :func:`uniforms`): no other stream may use the purpose."""
        if purpose in self._taken:
            raise ValueError(f"random stream {purpose!r} is already in use: each decision needs its own")
        self._taken.add(purpose)
        return self.key(purpose)

    def uniform(self, purpose: str) -> Draw:
        """Sequential uniforms in [0, 1) for purpose ``purpose``: ``draw(person)``."""
        key = self.claim_key(purpose)
        # 2 bytes a person (a full cohort has ~40 purposes); widened if anyone draws 65,535 times
        counts = array("H", bytes(2 * self.people))
        if self._slot is None:
            self._slot = array("i", [-1]) * self.people
        slot = self._slot
        first = array("d")
        left = array("q", [0])
        self._sequential.append((first, left))

        def draw(person: int) -> float:
            nonlocal counts
            j = counts[person]
            try:
                counts[person] = j + 1
            except OverflowError:
                counts = array("I", counts)
                counts[person] = j + 1
            if j == 0 and (k := slot[person]) >= 0:
                if first:
                    return first[k]  # worked out ahead (``prefetch``): the same number
                left[0] -= 1
                if left[0] == 0:  # enough of them draw this purpose: work out all their first draws
                    first.frombytes(uniforms(key, self._prefetched, 0).tobytes())
                    return first[k]
            z = (key + ((person << INDEX_BITS) | j) * GOLDEN) & MASK
            z = ((z ^ (z >> 30)) * MIX1) & MASK
            z = ((z ^ (z >> 27)) * MIX2) & MASK
            return ((z ^ (z >> 31)) >> 11) * TO_UNIT

        return draw

    def prefetch(self, people: np.ndarray) -> None:
        """Work out at once, vectorised (:func:`uniforms`), the first draw of each sequential
        stream made so far for each of ``people`` (ids): the people who will take decisions in
        the run, known once the contact phase is played. Four draws in five are a person's first
        of their purpose, and one made on its own costs ~0.9 µs; the values are the same.

        A stream's are worked out when one in ``PREFETCH_SHARE`` of these people have drawn it
        (8 bytes a person, ~1.6 MiB a stream for a 2024 cohort): of the ~50 purposes, about half
        are drawn by fewer than 2% of them (arrest, detention, casework), and would cost memory
        for nothing."""
        slot = self._slot
        if slot is None:
            return
        slot[:] = array("i", [-1]) * len(slot)  # only these people's
        for k, person in enumerate(people.tolist()):
            slot[person] = k
        self._prefetched = people
        for first, left in self._sequential:
            del first[:]
            left[0] = max(1, len(people) // PREFETCH_SHARE)

    def exponential(self, purpose: str) -> Draw:
        """Sequential standard exponential draws (mean 1); divide by a rate for a waiting time."""
        u = self.uniform(purpose)
        log1p = math.log1p
        return lambda person: -log1p(-u(person))

    def delay(self, purpose: str, dist: DelayDistribution) -> Delay:
        """Sequential draws of ``dist`` (e.g. a delay in days) by inverse CDF (see :class:`Delay`)."""
        return Delay(self.uniform(purpose), dist)

    def at(self, purpose: str, people: np.ndarray, index: np.ndarray | int = 0) -> np.ndarray:
        """Structurally indexed uniforms for arrays of people (see :func:`uniforms`).

        Unlike the sequential streams, a purpose may be read here more than once (the values are a
        pure function of the arguments).
        """
        return uniforms(self.key(purpose), people, index)

    def generator(self, purpose: str) -> np.random.Generator:
        """A numpy Generator for a draw about the whole replication, not about one person (e.g.
        the number of people flowing in over the horizon)."""
        seq = np.random.SeedSequence(self.root_seed, spawn_key=(self.replication, stream_key(purpose)))
        return np.random.Generator(np.random.PCG64(seq))


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


__all__ = [
    "Delay",
    "Draw",
    "Streams",
    "geometric_trials",
    "inverse_cdf",
    "inverse_cdf_array",
    "purpose_key",
    "replication_seed",
    "stream_key",
    "uniform",
    "uniforms",
]
