"""Defaults of an experiment, in one place: the CLI, the runner and the scripts read them here."""

from __future__ import annotations

DEFAULT_REPLICATIONS = 20
"""Replications per scenario: enough for a t interval on paired differences to be useful."""
DEFAULT_SEED = 12345
"""Root seed: replication k of every scenario uses the streams keyed by (seed, k)."""
DEFAULT_MAX_REPLICATIONS = 200
"""Cap on replications per scenario when adding batches until a target half-width is met."""

__all__ = ["DEFAULT_MAX_REPLICATIONS", "DEFAULT_REPLICATIONS", "DEFAULT_SEED"]
