"""Progress off a terminal: a plain line about every 30 s (done/total, elapsed, time left)."""

from __future__ import annotations

import io

from sim.cli.progress import LINE_SECONDS, Progress


class Clock:
    """A clock the test moves by hand (seconds)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_plain_lines_every_30_seconds_with_time_left() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = Progress(False, "replications", stream=stream, clock=clock)
    progress(2, 12)  # two resumed: not part of the rate
    clock.now += 10
    progress(3, 12)
    assert stream.getvalue() == ""  # under 30 s since the start
    clock.now += LINE_SECONDS - 10
    progress(4, 12)  # 2 run in 30 s: 8 left take 2:00
    clock.now += 5
    progress(5, 12)
    progress.message("warning: something")
    progress.close()
    assert stream.getvalue().splitlines() == [
        "replications: 4/12, 0:30 elapsed, 2:00 left",
        "warning: something",
    ]


def test_quiet_prints_no_progress_and_time_left_is_unknown_before_a_replication() -> None:
    stream, clock = io.StringIO(), Clock()
    quiet = Progress(True, "simulations", stream=stream, clock=clock)
    quiet(0, 4)
    clock.now += 3 * 3600
    quiet(1, 4)
    assert stream.getvalue() == ""
    loud = Progress(False, "simulations", stream=stream, clock=clock)
    loud(0, 4)
    clock.now += 3725
    assert loud.line(0, 4, clock.now) == "simulations: 0/4, 1:02:05 elapsed, ? left"
