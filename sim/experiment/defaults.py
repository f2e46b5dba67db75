"""Defaults of an experiment, in one place: the CLI, the runner and the scripts read them here."""

from __future__ import annotations

DEFAULT_REPLICATIONS = 20
"""Replications per scenario: enough for a t interval on paired differences to be useful."""
DEFAULT_SEED = 12345
"""Root seed: replication k of every scenario uses the streams keyed by (seed, k)."""
DEFAULT_MAX_REPLICATIONS = 200
"""Cap on replications per scenario when adding batches until a target half-width is met or the
best policy is selected (``compare --select-best``)."""
DEFAULT_ALPHA = 0.05
"""1 - confidence level of every interval of a comparison (unadjusted and simultaneous), and the
allowed probability of a wrong selection by ``--select-best``."""
DEFAULT_VALUE_PER_OUTCOME_GBP = 11_000.0
"""GBP a voluntary departure or enforced removal is worth in the net benefit of a policy: an
assumption, set to what achieving one by enforcement costs, GBP 11,000 per enforced removal
(arrest 2,800 + detention 5,800 + documents and representations 1,500 + removal 900; NAO,
Returning failed asylum applicants, HC 76, 2005, 2003-04 prices; seed FIGURES). So a policy with
a positive net benefit buys its extra outcomes for less than enforcement would. Change it with
``compare --value-per-outcome``."""
