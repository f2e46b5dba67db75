"""The error a user can fix: raised before anything is written, reported by the CLI as bad input."""

from __future__ import annotations


class ExperimentError(Exception):
    """A problem with the request found before anything was written (bad output path, unreachable
    scheduler, inconsistent options): the user's to fix, not a bug."""


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP asked a run to stop (``engine.experiment_folder``): handled as Ctrl-C is
    (the workers are ended, finished replications kept for ``--resume``), exit code 128 + signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
