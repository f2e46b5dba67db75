"""``compare --select-best``: checking the request (an unknown KPI, a KPI without a direction and
no ``--maximize``/``--minimize``, a non-positive indifference zone: ExperimentError, exit 2) and
running KN (``sim.analysis.selection.kn_select``) on the summary rows stored so far."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.analysis.kpis import DERIVED_KPIS, kpi, resolve
from sim.experiment.errors import ExperimentError

if TYPE_CHECKING:
    from sim.analysis.selection import Selection


@dataclass(frozen=True)
class SelectBest:
    """What ``--select-best KPI --indifference DELTA [--maximize|--minimize]`` asks for."""

    kpi: str
    indifference: float
    """delta, in the KPI's summary.csv unit (people, or GBP for costs)."""
    maximize: bool | None = None
    """None: the KPI's own direction (``kpis.Kpi.higher_is_better``)."""


def check_select_best(
    request: SelectBest,
    known: Sequence[str],
    first_stage: int,
    max_replications: int | None,
) -> SelectBest:
    """The request with its direction resolved, or ExperimentError saying what is wrong.

    ``known`` are the summary.csv KPIs; derived KPIs (``kpis.DERIVED_KPIS``) are allowed too.
    ``first_stage`` is the first batch (``--replications``): KN's n0, at least 2.
    """
    resolve([request.kpi], [*known, *DERIVED_KPIS], "--select-best", ExperimentError)
    if not (request.indifference > 0 and math.isfinite(request.indifference)):
        raise ExperimentError("--indifference must be a positive number in the KPI's unit")
    if first_stage < 2:
        raise ExperimentError("--select-best needs --replications of at least 2 (the first stage)")
    check_cap(max_replications, first_stage)
    maximize = request.maximize if request.maximize is not None else kpi(request.kpi).higher_is_better
    if maximize is None:
        raise ExperimentError(
            f"--select-best {request.kpi}: this KPI has no preferred direction; add --maximize or --minimize"
        )
    return SelectBest(request.kpi, request.indifference, maximize)


def check_cap(max_replications: int | None, replications: int) -> None:
    """ExperimentError when ``--max-replications`` is below the first batch."""
    if max_replications is not None and max_replications < replications:
        raise ExperimentError(
            f"--max-replications ({max_replications}) is below --replications ({replications})"
        )


def select_best(
    summaries: Mapping[str, Mapping[int, Mapping[str, Any]]],
    n: int,
    request: SelectBest,
    alpha: float,
    first_stage: int,
) -> Selection:
    """KN on replications ``0..n-1`` of each scenario (``summaries``: scenario -> replication ->
    summary row, as the experiment stores them), scenarios in the given order."""
    import pandas as pd

    from sim.analysis.selection import kn_select
    from sim.analysis.statistics import kpi_values

    values = {
        name: kpi_values(pd.DataFrame([rows[k] for k in range(n)]), request.kpi).to_numpy()
        for name, rows in summaries.items()
    }
    assert request.maximize is not None, "check_select_best resolves the direction"
    return kn_select(
        values,
        kpi=request.kpi,
        indifference=request.indifference,
        alpha=alpha,
        maximize=request.maximize,
        first_stage=first_stage,
    )
