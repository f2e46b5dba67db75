"""The SimPy internals the model relies on still behave as ``sim/model/compat.py`` assumes.

If a SimPy release changes them, these tests fail before any model result does.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Generator
from typing import Any

import simpy

from sim.model import compat


def test_supported_version() -> None:
    assert any(simpy.__version__.startswith(v) for v in compat.SUPPORTED), simpy.__version__


def test_start_at_starts_the_generator_at_the_given_time_with_one_event() -> None:
    env = compat.Environment()
    seen: list[tuple[str, Any, float]] = []
    done = env.event()

    def life(name: str) -> Generator[simpy.Event, Any, str]:
        seen.append((name, None, env.now))
        value = yield env.timeout(2.0, value="slept")
        seen.append((name, value, env.now))
        value = yield done  # an event processed before it was yielded: resumed at once
        seen.append((name, value, env.now))
        return name + " result"

    before: list[float] = []
    done.succeed("done")  # processed at time 0
    compat.start_at(env, life("a"), 5.0, lambda _: before.append(env.now))
    env.run()
    assert before == [5.0]
    assert seen == [("a", None, 5.0), ("a", "slept", 7.0), ("a", "done", 7.0)]
    # scheduled: ``done``, the start event and the life's timeout; SimPy's own way would add an
    # Initialize event and an event at the process's end
    assert compat.events_scheduled(env) == 3


def test_start_at_throws_a_failed_event_into_the_generator() -> None:
    env = compat.Environment()
    caught: list[str] = []

    def life() -> Generator[simpy.Event, Any, None]:
        failing = env.event()
        failing.fail(ValueError("no"))
        try:
            yield failing
        except ValueError as exc:
            caught.append(str(exc))

    compat.start_at(env, life(), 1.0)
    env.run()
    assert caught == ["no"]


def test_start_at_now_runs_now_and_at_an_exact_time_later() -> None:
    env = compat.Environment()
    seen: list[float] = []

    def life() -> Generator[simpy.Event, Any, None]:
        seen.append(env.now)
        yield env.timeout(1.0)

    env.run(until=3.0)
    compat.start_at(env, life(), env.now)
    when = 3.0 + (0.1 + 0.2)  # a time worked out ahead of the clock, kept to the last bit
    compat.start_at(env, life(), when)
    env.run(until=10.0)
    assert seen == [3.0, when]


def test_call_later_calls_in_the_order_a_timeout_would_fire() -> None:
    env = compat.Environment(horizon=10.0)
    seen: list[tuple[str, float]] = []
    env.run(until=0.1)
    env.timeout(0.2).callbacks.append(lambda _: seen.append(("timeout before", env.now)))
    compat.call_later(env, 0.2, lambda what: seen.append((what, env.now)), "call")
    env.timeout(0.2).callbacks.append(lambda _: seen.append(("timeout after", env.now)))
    compat.call_later(env, 9.9, seen.append, ("never", 10.0))  # at the horizon
    compat.call_later(env, 5.0, seen.append, ("pending", 5.1))
    env.run(until=1.0)
    assert seen == [("timeout before", 0.1 + 0.2), ("call", 0.1 + 0.2), ("timeout after", 0.1 + 0.2)]
    # the call at 5.1 and the stop event SimPy puts back after run(until=...); the one at the
    # horizon was never queued
    assert compat.drop_pending(env) == 2
    assert env.peek() == float("inf")


def test_at_fires_at_the_exact_time_after_what_is_scheduled_for_it() -> None:
    env = compat.Environment()
    seen: list[tuple[str, float]] = []
    when = 0.1 + 0.2  # 0.30000000000000004: a time worked out ahead of the clock
    env.run(until=0.1)
    early = env.timeout(when - env.now)
    early.callbacks.append(lambda _: seen.append(("timeout", env.now)))
    compat.at(env, when).callbacks.append(lambda _: seen.append(("at", env.now)))
    env.run()
    assert seen[-1] == ("at", when)
    assert seen[0][0] == "timeout"


def test_nothing_at_or_after_the_horizon_is_scheduled_or_kept() -> None:
    """An event at or after the horizon would never be processed: it is not scheduled, and what
    waits on it (a life, or a SimPy process, which would be in a cycle with it) is freed by
    reference counting at once."""
    env = compat.Environment(horizon=10.0)
    seen: list[float] = []

    def life(last: float) -> Generator[simpy.Event, Any, None]:
        yield env.timeout(4.0)
        seen.append(env.now)
        yield env.timeout(last)
        seen.append(env.now)

    lives = [life(5.9), life(6.0)]  # ends before the horizon; wakes at the horizon: never
    refs = [weakref.ref(g) for g in lives]
    for g in lives:
        compat.start_at(env, g, 0.0)

    def sleeper() -> Generator[simpy.Event, Any, None]:
        yield env.timeout(12.0)

    waiting = env.process(sleeper())
    compat.at(env, 10.0).callbacks.append(lambda _: seen.append(-1.0))
    process = weakref.ref(waiting)
    del lives, g, waiting
    gc.disable()
    try:
        env.run_to_horizon()
        assert env.now == 10.0
        assert seen == [4.0, 4.0, 4.0 + 5.9]
        assert [r() for r in refs] == [None, None]
        assert process() is None
    finally:
        gc.enable()
    # two starts, two timeouts of 4 days, one of 5.9, the process's start and the stop
    assert compat.events_scheduled(env) == 7


def test_drop_pending_forgets_the_queue() -> None:
    env = compat.Environment()

    def sleeper() -> Generator[simpy.Event, Any, None]:
        yield env.timeout(100.0)

    for _ in range(3):
        env.process(sleeper())
    env.run(until=1.0)
    assert compat.drop_pending(env) >= 3  # the three sleepers (and whatever SimPy keeps queued)
    assert env.peek() == float("inf")  # nothing left to run


def test_a_finished_replication_is_freed_by_reference_counting() -> None:
    """Nothing of a finished, disposed model may sit in a reference cycle: a worker runs hundreds
    of replications, and each model left to the collector kept ~40 MiB until a full collection
    (a worker grew from ~300 to ~750 MiB over 20 replications before this was fixed). People still
    queueing at the horizon (a condition of the request and a timeout) must be freed too."""
    from pathlib import Path

    from sim.model.model import PHASES, Model
    from sim.scenario.loading import load_scenario

    path = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
    overrides = {
        "horizon_days": 400.0,
        "cohort": {"initial_size": 3000},
        "casework": {"caseworkers": 1},
        "enforcement": {"teams": 1},
    }
    s = load_scenario(path).with_overrides(overrides)
    PHASES.clear()  # a phase kept by an earlier test holds that test's model if it was not disposed
    gc.collect()
    gc.disable()
    try:
        m = Model(s, 0, 12345).run()
        assert m.enforcement.teams._waiting + m.casework.caseworkers._waiting > 0  # queueing at the end
        m.dispose()
        model = weakref.ref(m)
        del m
        assert model() is None
        assert gc.collect() < 20  # SimPy's environment keeps a few of its own (its bound methods)
    finally:
        gc.enable()
