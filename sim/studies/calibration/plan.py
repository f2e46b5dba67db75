"""Planning a calibration (``run_sim.py calibrate``): which targets, which parameters, how many points.

``plan_calibration`` checks a request before anything is run or written. Few parameters by default:
a Gaussian-process emulator needs roughly ten design points per input (Loeppky, Sacks & Welch
2009), so one in the 80-odd ranged parameters with a few hundred simulations cannot be trusted, and
most of them cannot move the targets at all. :data:`DRIVERS` are the three calibrated values of
``sim/scenario/calibration.yaml`` and the assumptions that most directly set the same figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sim.experiment.errors import ExperimentError
from sim.scenario.schema import Scenario
from sim.scenario.uncertainty import Uncertain, ranges
from sim.studies.calibration import analysis as hm
from sim.studies.calibration.request import CalibrationRequest
from sim.studies.sensitivity.run import select_parameters
from sim.studies.targets.analysis import ROLES
from sim.studies.targets.run import DEFAULT_TARGETS_FILE, Target, read_targets

POINTS_PER_PARAMETER = 10
"""Default design points per wave: 10 per parameter (Loeppky, Sacks & Welch 2009)."""

DRIVERS: dict[str, tuple[str, ...]] = {
    "contacted_share": ("contact.success", "contact.max_attempts"),
    "departed_share_of_contacted": (
        "cohort.already_departed_share",
        "departure.agree_on_contact",
        "departure.follow_through_probability",
    ),
    "complaint_share": ("contact.complaint_probability", "cohort.in_pool_in_error_share"),
    "departures_recorded_as_removals_share": ("recording.departure_recorded_as_removal",),
    "voluntary_departure_within_6_months_of_contact": (
        "departure.agree_on_contact",
        "departure.delay_days",
    ),
    "service_level_departures_share": ("cohort.already_departed_share", "departure.agree_on_contact"),
    "service_level_barrier_referrals_share": ("casework.enforcement_after_resolution",),
    "detention_leavers_removed_share": (
        "detention.bail_hazard_per_day",
        "detention.vulnerability_hazard_per_day",
        "detention.removal_planning_days",
    ),
    "detention_stays_under_29_days_share": (
        "detention.removal_planning_days",
        "detention.bail_hazard_per_day",
    ),
    "detention_stays_within_4_months_share": ("detention.no_prospect_days",),
    "loss_of_contact_per_1000_reporting_per_month": (
        "reporting.abscond_hazard_per_day",
        "reporting.leaver_hazard_per_day",
        "reporting.miss_probability",
        "reporting.misses_to_out_of_contact",
    ),
    "missed_reports_per_1000_reporting_per_month": ("reporting.miss_probability",),
    "declared_absconders_per_person_reporting": (
        "reporting.abscond_hazard_per_day",
        "absconding.declaration_lag_days",
    ),
    "not_detained_share_of_liable": ("detention.beds",),
    "out_of_contact_share_at_16_months": (
        "reporting.leaver_share.irregular_arrival",
        "reporting.leaver_hazard_per_day",
        "reporting.abscond_hazard_per_day",
    ),
    "declared_share_of_entrants": ("absconding.declaration_probability", "absconding.declaration_lag_days"),
    "declaration_lag_mean_days": ("absconding.declaration_lag_days",),
    "withdrawn_out_of_contact_share": ("asylum.withdrawal_out_of_contact", "asylum.withdrawal_in_contact"),
    "grant_rate": ("asylum.grant_probability",),
    "granted_share_of_entrants": ("asylum.decision_days", "asylum.grant_probability"),
}
"""The ranged parameters that most directly set each measure: the default ``--params`` is the union
over the targets used (see the module doc for why the set is small)."""


@dataclass
class CalibrationPlan:
    """A checked request: the scenario, its targets and the parameters to match."""

    request: CalibrationRequest
    scenarios: list[Scenario]
    """The scenarios whose targets are matched together: every design point runs on each (the same
    parameter values); the parameters and their ranges are the first's."""
    targets_file: Path
    targets: list[Target]
    """The targets matched (the chosen roles)."""
    checks: list[Target]
    """Targets on the same scenario with other roles: emulated and checked, not matched."""
    parameters: list[Uncertain]
    points: int
    notes: list[str] = field(default_factory=list)
    where: dict[str, int] = field(default_factory=dict)
    """Measure -> index into :attr:`scenarios` of the scenario its targets are computed on."""

    @property
    def scenario(self) -> Scenario:
        return self.scenarios[0]

    @property
    def bounds(self) -> list[tuple[float, float]]:
        return [(u.low, u.high) for u in self.parameters]

    @property
    def simulations(self) -> int:
        """At most (the run stops early when nothing is left or the set is stable)."""
        return self.request.waves * self.points * self.request.replications * len(self.scenarios)

    def observations(self) -> list[hm.Observation]:
        d = self.request.discrepancy
        return [
            hm.Observation(t.id, t.measure, t.published, t.tolerance, t.comparison, d) for t in self.targets
        ]


def check_roles(roles: Sequence[str]) -> tuple[str, ...]:
    if not roles:
        raise ExperimentError(f"--roles: give at least one of {', '.join(ROLES)}")
    for r in roles:
        if r not in ROLES:
            raise ExperimentError(f"--roles: unknown role {r!r}; choose from {', '.join(ROLES)}")
    return tuple(dict.fromkeys(roles))


def default_parameters(
    targets: Sequence[Target], available: Sequence[Uncertain]
) -> tuple[list[Uncertain], list[str]]:
    """The :data:`DRIVERS` of the targets' measures that the scenario has a range for, and notes on
    the drivers it has none for (a policy may set one outside its range: a lever there)."""
    wanted: list[str] = []
    for t in targets:
        if t.measure not in DRIVERS:
            raise ExperimentError(
                f"--params: target {t.id!r} (measure {t.measure}) has no default parameters; choose them "
                "with --params"
            )
        wanted += DRIVERS[t.measure]
    wanted = list(dict.fromkeys(wanted))
    paths = {u.path for u in available}
    missing = [p for p in wanted if p not in paths]
    notes = [f"no range in this scenario, kept at its value: {', '.join(missing)}"] if missing else []
    return [u for u in available if u.path in wanted], notes


def plan_calibration(
    scenarios: Sequence[Scenario], files: Sequence[str | Path], request: CalibrationRequest
) -> CalibrationPlan:
    """Check ``request`` against the scenarios and the targets file (ExperimentError, or the targets
    file's ScenarioError, before anything is run or written)."""
    roles = check_roles(request.roles)
    targets_path = Path(request.targets_file) if request.targets_file else DEFAULT_TARGETS_FILE
    table = read_targets(targets_path)
    heres = [Path(f).resolve() for f in files]
    named = " and ".join(map(str, files))
    on_scenario = [t for t in table.targets if table.scenario_path(t) in heres]
    ids = [t.id for t in on_scenario]
    for x in request.exclude:
        if x not in ids:
            raise ExperimentError(
                f"--exclude: {x!r} is not a target on {named} in {targets_path}; their targets: "
                + (", ".join(ids) or "none")
            )
    chosen = [t for t in on_scenario if t.role in roles and t.id not in request.exclude]
    if not chosen:
        have = sorted({str(table.scenario_path(t)) for t in table.targets if t.role in roles})
        raise ExperimentError(
            f"{named}: no target with role {' or '.join(roles)} in {targets_path} is computed on "
            f"{'these scenarios' if len(files) > 1 else 'this scenario'}; the table has such targets on: "
            f"{', '.join(have) or 'none'}"
        )
    checks = [t for t in on_scenario if t not in chosen]
    where: dict[str, int] = {}
    for t in on_scenario:
        i = heres.index(table.scenario_path(t))
        if where.setdefault(t.measure, i) != i:
            raise ExperimentError(
                f"measure {t.measure} is a target on both {files[where[t.measure]]} and {files[i]}: "
                "calibrate them separately (one emulator per measure)"
            )
    available = ranges(scenarios[0])
    notes: list[str] = []
    if request.params:
        chosen_params = select_parameters(available, request.params)
    else:
        chosen_params, notes = default_parameters(chosen, available)
    fixed = [u.path for u in chosen_params if not u.high > u.low]
    if fixed:
        notes.append(f"left out (range of zero width): {', '.join(fixed)}")
    chosen_params = [u for u in chosen_params if u.high > u.low]
    if not chosen_params:
        raise ExperimentError("--params: no parameter with a range of non-zero width selected")
    points = request.points if request.points is not None else POINTS_PER_PARAMETER * len(chosen_params)
    if request.candidates < points:  # the other numbers are checked by their options' types
        raise ExperimentError(
            f"--candidates: got {request.candidates}; give at least as many as --points ({points})"
        )
    request = CalibrationRequest(**{**request.__dict__, "roles": roles})
    return CalibrationPlan(
        request, list(scenarios), table.file, chosen, checks, chosen_params, points, notes, where
    )
