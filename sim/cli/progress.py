"""Progress over replications on stderr, one way for every command that runs replications.

On a terminal: a tqdm bar. Otherwise (a log file, ``nohup``, CI) a plain line about every
``LINE_SECONDS`` (30 s): ``done/total, elapsed, time left``, so a long job run in the background
says how far it is instead of printing nothing until it ends. Nothing with ``--quiet``. tqdm is
imported at the first report, so commands that run nothing never load it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

LINE_SECONDS = 30.0
"""Seconds between plain progress lines when stderr is not a terminal."""


def _clock_text(seconds: float) -> str:
    """``h:mm:ss`` (or ``m:ss`` under an hour) of a duration in seconds."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """Replications done, as a tqdm bar on a terminal or a plain line every ``LINE_SECONDS``
    elsewhere; off with --quiet. ``stream`` and ``clock`` (seconds, monotonic) are injectable so
    the plain-line mode can be tested without a terminal or real waiting."""

    def __init__(
        self,
        quiet: bool,
        desc: str,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.quiet = quiet
        self.desc = desc
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.bar: Any = None
        self.started: float | None = None
        """Clock at the first report (seconds)."""
        self.first_done = 0
        """Replications already done at the first report (resumed), left out of the rate."""
        self.last_line = 0.0
        """Clock at the last plain line (seconds)."""

    def __call__(self, done: int, total: int) -> None:
        if self.quiet:
            return
        if self.started is None:
            self.started = self.last_line = self.clock()
            self.first_done = done
            if self.stream.isatty():
                from tqdm import tqdm

                self.bar = tqdm(
                    total=total,
                    initial=done,
                    desc=self.desc,
                    unit="rep",
                    file=self.stream,
                    dynamic_ncols=True,
                    leave=False,
                )
            return
        if self.bar is not None:
            if self.bar.total != total:
                self.bar.total = total
                self.bar.refresh()
            if done > self.bar.n:
                self.bar.update(done - self.bar.n)
            return
        now = self.clock()
        if now - self.last_line >= LINE_SECONDS:
            self.last_line = now
            print(self.line(done, total, now), file=self.stream, flush=True)

    def line(self, done: int, total: int, now: float) -> str:
        """``desc: done/total, elapsed, time left`` at clock ``now``; time left from the rate of the
        replications run since the first report (``?`` before the first one)."""
        elapsed = now - (self.started if self.started is not None else now)
        ran = done - self.first_done
        left = _clock_text(elapsed / ran * (total - done)) if ran > 0 else "?"
        return f"{self.desc}: {done}/{total}, {_clock_text(elapsed)} elapsed, {left} left"

    def message(self, text: str) -> None:
        if self.bar is not None:
            from tqdm import tqdm

            tqdm.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
