"""The error a user can fix: raised before anything is written, reported by the CLI as bad input."""

from __future__ import annotations


class ExperimentError(Exception):
    """A problem with the request found before anything was written (bad output path, unreachable
    scheduler, inconsistent options): the user's to fix, not a bug."""
