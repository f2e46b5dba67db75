"""The keyed random numbers: a pure function of (replication, purpose, person, index), uniform,
independent across people, indices and purposes, and the same whether computed one at a time or
vectorised."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.model.streams import (
    PREFETCH_SHARE,
    Streams,
    geometric_trials,
    inverse_cdf,
    inverse_cdf_array,
    purpose_key,
    uniform,
    uniforms,
)
from sim.scenario.distributions import Beta, Exponential, Fixed, Gamma, Lognormal, Triangular, Uniform

KEY = purpose_key(12345, 0, "test.purpose")


def test_scalar_and_vectorised_are_bit_identical() -> None:
    people = np.array([0, 1, 2, 17, 120_544, 2**31 - 1], dtype=np.int64)
    index = np.array([0, 1, 5, 65_535, (3 << 16) | 7, 2**32 - 1], dtype=np.int64)
    grid = uniforms(KEY, people[:, None], index[None, :])
    for i, person in enumerate(people.tolist()):
        for j, idx in enumerate(index.tolist()):
            assert grid[i, j] == uniform(KEY, person, idx)


def test_sequential_stream_is_the_keyed_function() -> None:
    streams = Streams(12345, 3, people=10)
    draw = streams.uniform("test.sequential")
    key = purpose_key(12345, 3, "test.sequential")
    # person 4's draws follow their own counter, whatever other people draw in between
    first = draw(4)
    for _ in range(5):
        draw(7)
    second = draw(4)
    assert (first, second) == (uniform(key, 4, 0), uniform(key, 4, 1))
    assert draw(7) == uniform(key, 7, 5)


def test_a_purpose_cannot_be_shared_by_two_decisions() -> None:
    streams = Streams(1, 0, people=1)
    streams.uniform("a.b")
    with pytest.raises(ValueError, match="already in use"):
        streams.uniform("a.b")


def test_keys_differ_by_seed_replication_and_purpose() -> None:
    keys = {
        purpose_key(seed, rep, name) for seed in (0, 1, 12345) for rep in (0, 1, 2) for name in ("a.x", "a.y")
    }
    assert len(keys) == 18


def test_uniformity_and_independence() -> None:
    n = 200_000
    u = uniforms(KEY, np.arange(n), 0)
    assert ((u >= 0) & (u < 1)).all()
    assert stats.kstest(u, "uniform").pvalue > 1e-4
    bound = 5 / math.sqrt(n)  # 5 standard errors of a correlation of independent uniforms
    # neighbouring people, the next index of the same person, and another purpose: uncorrelated
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < bound
    v = uniforms(KEY, np.arange(n), 1)
    assert abs(np.corrcoef(u, v)[0, 1]) < bound
    w = uniforms(purpose_key(12345, 0, "test.other"), np.arange(n), 0)
    assert abs(np.corrcoef(u, w)[0, 1]) < bound
    x = uniforms(purpose_key(12345, 1, "test.purpose"), np.arange(n), 0)  # next replication
    assert abs(np.corrcoef(u, x)[0, 1]) < bound
    # pairs of consecutive values fill the unit square evenly (a 10 x 10 chi-square test)
    counts, _, _ = np.histogram2d(u[0::2], u[1::2], bins=10, range=[[0, 1], [0, 1]])
    assert stats.chisquare(counts.ravel()).pvalue > 1e-4


DISTRIBUTIONS = [
    (Fixed(value=3.0), None),
    (Exponential(mean=14.0), stats.expon(scale=14.0)),
    (Uniform(low=2.0, high=5.0), stats.uniform(loc=2.0, scale=3.0)),
    (Triangular(low=1.0, mode=3.0, high=9.0), stats.triang(c=0.25, loc=1.0, scale=8.0)),
    (Gamma(mean=45.0, cv=0.8), stats.gamma(a=1 / 0.64, scale=45.0 * 0.64)),
    (Lognormal(mean=20.0, cv=1.0), stats.lognorm(s=math.sqrt(math.log(2.0)), scale=20.0 / math.sqrt(2.0))),
]


@pytest.mark.parametrize(("dist", "reference"), DISTRIBUTIONS, ids=lambda d: type(d).__name__)
def test_inverse_cdfs_match_scipy(dist: object, reference: object) -> None:
    u = np.linspace(0.0005, 0.9995, 401)
    scalar = np.array([inverse_cdf(dist)(x) for x in u])  # type: ignore[arg-type]
    vector = inverse_cdf_array(dist, u)  # type: ignore[arg-type]
    np.testing.assert_allclose(scalar, vector, rtol=1e-12)
    if reference is None:
        assert (scalar == 3.0).all()
    else:
        np.testing.assert_allclose(scalar, reference.ppf(u), rtol=1e-9)  # type: ignore[attr-defined]


def test_delay_stream_is_monotone_in_the_mean() -> None:
    """The same person's draw under a policy with a longer mean delay is longer: inverse-CDF
    sampling couples policy variants monotonically."""
    short = Streams(7, 0, people=100).delay("test.delay", Exponential(mean=5.0))
    long = Streams(7, 0, people=100).delay("test.delay", Exponential(mean=8.0))
    for person in range(100):
        assert long(person) == pytest.approx(short(person) * 8.0 / 5.0, rel=1e-12)


def test_beta_by_inverse_cdf() -> None:
    u = uniforms(KEY, np.arange(50_000), 0)
    x = inverse_cdf_array(Beta(a=2.0, b=2.0), u)
    assert stats.kstest(x, stats.beta(2.0, 2.0).cdf).pvalue > 1e-4


def test_fixed_delay_draws_nothing() -> None:
    streams = Streams(1, 0, people=3)
    draw = streams.delay("test.fixed", Fixed(value=2.5))
    assert [draw(0), draw(0), draw(2)] == [2.5, 2.5, 2.5]


@pytest.mark.parametrize("p", [0.5, 0.1, 0.01])
def test_geometric_trials_has_the_geometric_mean(p: float) -> None:
    u = uniforms(KEY, np.arange(40_000), 0).tolist()
    trials = np.array([geometric_trials(x, p) for x in u])
    assert trials.min() >= 1
    se = math.sqrt((1 - p) / p**2 / len(trials))
    assert abs(trials.mean() - 1 / p) < 5 * se


def test_a_sequential_stream_keeps_counting_past_65535_draws() -> None:
    streams = Streams(5, 0, people=2)
    draw = streams.uniform("test.long")
    key = purpose_key(5, 0, "test.long")
    for _ in range(65_536):
        draw(1)
    assert draw(1) == uniform(key, 1, 65_536)
    assert draw(0) == uniform(key, 0, 0)


def test_prefetched_first_draws_are_the_same_numbers() -> None:
    """``Streams.prefetch`` works out people's first draws ahead: every draw, first or later, of a
    person prefetched or not, is still the keyed function, as is a stream's first draw taken
    before the prefetch."""
    s = Streams(root_seed=11, replication=2, people=50)
    a, b = s.uniform("test.a"), s.exponential("test.b")
    early = a(7)  # before the prefetch: index 0 of person 7, computed on its own
    s.prefetch(np.array([3, 7, 40]))
    key_a, key_b = s.key("test.a"), s.key("test.b")
    assert early == uniform(key_a, 7, 0)
    for person in (3, 7, 40, 12):
        for j in range(3):
            expected = uniform(key_a, person, j + (person == 7))
            assert a(person) == expected
            assert b(person) == -math.log1p(-uniform(key_b, person, j))


def test_a_stream_is_prefetched_once_enough_people_draw_it() -> None:
    """A stream's first draws are worked out only once 1 in ``PREFETCH_SHARE`` of the people
    prefetched have drawn it (a rarely drawn purpose costs no memory), and every draw, before or
    after, is the keyed function."""
    people = 4 * PREFETCH_SHARE
    s = Streams(root_seed=5, replication=0, people=people)
    often, rarely = s.uniform("test.often"), s.uniform("test.rarely")
    s.prefetch(np.arange(people)[::-1].copy())
    key, key_rarely = s.key("test.often"), s.key("test.rarely")
    firsts = [first for first, _ in s._sequential]
    for person in range(people):
        assert often(person) == uniform(key, person, 0)
        assert len(firsts[0]) == (people if person >= 3 else 0)  # worked out at the 4th
    assert rarely(0) == uniform(key_rarely, 0, 0)
    assert len(firsts[1]) == 0
    assert [often(person) for person in (0, 9)] == [uniform(key, 0, 1), uniform(key, 9, 1)]
