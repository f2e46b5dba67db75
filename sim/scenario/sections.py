"""The scenario's sections: every parameter's type and allowed values.

Each section lists its parameters with their types (which carry the allowed values); each
parameter's documented default, unit, source (a seed paragraph, a row of ``shared/FIGURES.md``,
or a stated assumption) and plausible range are its entry in ``parameters.yaml``, given to the
field by ``@section`` (``sim.scenario.fields``). Each policy file states only what it changes.
Nothing else in ``sim/`` may carry a default for a parameter.

Conventions: times in days (call and interview handling in minutes, converted once in the model),
money in GBP (2012-14 prices unless stated), probabilities per event as named.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator

from sim.scenario.categories import (
    BarrierMix,
    ByCaseType,
    ByChannel,
    ByQuality,
    CaseTypeMix,
    ChannelMix,
    ChannelSuccess,
    ContactCosts,
    DetailsMix,
    IntervalByChannel,
    ProbByChannel,
    ReportChannelMix,
)
from sim.scenario.distributions import (
    Beta,
    Distribution,
    Fixed,
    PositiveDelay,
    UnitInterval,
)
from sim.scenario.fields import AtLeastOne, Count, NonNegative, Positive, Probability, Section, section

# ----------------------------------------------------------------------------------------------
# The cohort
# ----------------------------------------------------------------------------------------------


@section("cohort")
class Cohort(Section):
    """Who enters the contact process, when, and with what (partly hidden) circumstances."""

    initial_size: Count
    entry_ramp_days: NonNegative
    inflow_per_week: NonNegative
    case_type: CaseTypeMix
    details: DetailsMix
    already_departed_share: Probability
    in_pool_in_error_share: Probability
    barrier: BarrierMix
    high_priority_share: Probability
    compliance: UnitInterval
    entry_on_reporting_share: Probability

    @field_validator("compliance")
    @classmethod
    def _compliance_in_unit_interval(cls, c: Fixed | Beta) -> Fixed | Beta:
        if isinstance(c, Fixed) and not 0 < c.value < 1:
            raise ValueError(f"a fixed compliance must lie strictly between 0 and 1, got {c.value:g}")
        return c

    @model_validator(mode="after")
    def _someone_enters(self) -> Cohort:
        # A run of nobody finishes in an instant with every outcome 0 and only fixed costs, which
        # reads as a result; the cohort cannot be changed from a day, so nobody would ever enter.
        if self.initial_size == 0 and self.inflow_per_week == 0:
            raise ValueError(
                "nobody enters: initial_size and inflow_per_week are both 0; give initial_size (people "
                "at the start, e.g. --cohort-size 300) or inflow_per_week (people a week) a positive value"
            )
        return self


# ----------------------------------------------------------------------------------------------
# Contact management (the contractor's call centre) and correspondence
# ----------------------------------------------------------------------------------------------


@section("contact.enrichment")
class Enrichment(Section):
    """Data-enrichment checks on cases whose attempts are exhausted (seed 002 §4.3: Experian,
    other government departments), which can refresh details and recycle the case."""

    check_probability: Probability
    delay_days: Distribution
    refresh_probability: Probability
    departure_evidence_probability: Probability
    max_rounds: Count


MAX_ATTEMPTS = 2**16 - 1
"""Most attempts in a contact round: attempt k of round r draws its random numbers at index
``(r << 16) | k`` (``sim.model.processes.contact.ROUND_BITS``), so more would reuse another round's."""


@section("contact")
class Contact(Section):
    """Contact attempts by the contractor (seed 002 §4.2-4.3, §8.2)."""

    agents: Count
    call_minutes: Distribution
    attempt_interval_days: Distribution
    max_attempts: Annotated[int, Field(ge=1, le=MAX_ATTEMPTS)]
    channel_mix: ChannelMix
    success: ChannelSuccess
    written_clarity: Probability
    departed_reach_factor: Probability
    complaint_probability: Probability
    enrichment: Enrichment


@section("correspondence")
class Correspondence(Section):
    """Notices (decisions, reporting/bail notices, support discontinuation), seed 000 scope."""

    delivery_days: Distribution
    not_received: ByQuality
    clarity: Probability


# ----------------------------------------------------------------------------------------------
# Departure and reporting conditions
# ----------------------------------------------------------------------------------------------


@section("departure")
class Departure(Section):
    """Voluntary return offered on contact and at reporting (001 rec 1-2)."""

    agree_on_contact: ByCaseType
    delay_days: Distribution
    follow_through_probability: Probability
    assisted_share: Probability
    family_engagement_multiplier: NonNegative
    family_offer_interval_days: Distribution
    family_offers_before_enforcement: Count


@section("reporting.centre")
class ReportingCentre(Section):
    """In-person reporting capacity (FIGURES: 2-3 minutes per interview, ICIBI 2017)."""

    desks: Count
    hours_per_day: Annotated[float, Field(gt=0, le=24)]
    interview_minutes: Distribution

    @field_validator("interview_minutes")
    @classmethod
    def _interviews_take_time(cls, d: Any) -> Any:
        if d.mean <= 0:
            raise ValueError("the mean interview time must be > 0 minutes (capacity = desks x hours / mean)")
        return d


@section("reporting")
class Reporting(Section):
    """Reporting conditions (seed 000 scope: in person, telephone, digital; 001 rec 1)."""

    channel_mix: ReportChannelMix
    interval_days: IntervalByChannel
    miss_probability: ProbByChannel
    misses_to_out_of_contact: AtLeastOne
    abscond_hazard_per_day: NonNegative
    abscond_hazard_shape: Positive
    abscond_propensity: Distribution
    leaver_share: ByCaseType
    leaver_hazard_per_day: NonNegative
    tagged_share: Probability
    tagged_hazard_multiplier: NonNegative
    promotion_agree: ProbByChannel
    detention_on_reporting: Probability
    centre: ReportingCentre


# ----------------------------------------------------------------------------------------------
# Absconding, tracing, casework barriers
# ----------------------------------------------------------------------------------------------


@section("absconding")
class Absconding(Section):
    """Losing contact outside reporting (seed 000 scope; 001 rec 5)."""

    hazard_per_day: NonNegative
    adverse_notice_multiplier: Annotated[float, Field(ge=1)]
    declaration_lag_days: Distribution
    declaration_probability: Probability


@section("asylum")
class Asylum(Section):
    """The initial decision on an asylum claim, running in the background of contact management
    (FIGURES 'Present day'): only case types with a claim in progress (``irregular_arrival``,
    ``asylum_claimant``) have one, and what happens to a person depends on it."""

    decision_days: Distribution
    grant_probability: Probability
    inadmissible_share: Probability
    withdrawal_in_contact: Probability
    withdrawal_out_of_contact: Probability
    supported_share: Probability


@section("tracing")
class Tracing(Section):
    """Re-establishing contact with people out of contact (001 rec 5; 001 introduction)."""

    team_size: Count
    referral_probability_high: Probability
    referral_probability_normal: Probability
    action_days: Distribution
    interval_days: PositiveDelay
    max_actions: Count
    success_probability: Probability
    passive_rate_per_day: NonNegative
    arrest_on_trace_probability: Probability
    details_refreshed_probability: Probability


@section("casework")
class Casework(Section):
    """Casework barriers to removal (001 rec 4; 002 §6.2)."""

    caseworkers: Count
    further_submission_days: PositiveDelay
    further_submission_grant: Probability
    travel_document_days: PositiveDelay
    travel_document_success: Probability
    legal_days: PositiveDelay
    legal_grant: Probability
    enforcement_after_resolution: Probability


# ----------------------------------------------------------------------------------------------
# Enforcement and detention
# ----------------------------------------------------------------------------------------------


@section("enforcement")
class Enforcement(Section):
    """Tasking, arrest and the detention gatekeeper (001 rec 3; 002 rec 13)."""

    teams: Count
    visit_days: PositiveDelay
    referral_on_refusal: ByCaseType
    arrest_success: Probability
    pre_arrest_check: Probability
    hidden_barrier_probability: Probability
    check_detects_hidden_barrier: Probability
    ensured_return_probability: Probability


@section("detention")
class Detention(Section):
    """Detention beds, removal attempts and releases."""

    beds: Count
    removal_planning_days: Distribution
    cancellation_probability: Probability
    barrier_on_cancellation: Probability
    max_removal_attempts: AtLeastOne
    bail_hazard_per_day: NonNegative
    vulnerability_hazard_per_day: NonNegative
    no_prospect_days: Distribution


# ----------------------------------------------------------------------------------------------
# Recording and costs
# ----------------------------------------------------------------------------------------------


@section("recording")
class Recording(Section):
    departure_recorded_as_removal: Probability


class StaffDayCosts(Section):
    """Cost of one unit of staff capacity per day; the model's staff work round the clock, so a
    call-centre agent stands for three shifts."""

    agent: NonNegative
    caseworker: NonNegative
    tracer: NonNegative


@section("costs")
class Costs(Section):
    """Unit costs in GBP."""

    contact_attempt: ContactCosts
    staff_day: StaffDayCosts
    enrichment_check: NonNegative
    notice: NonNegative
    report: ByChannel
    missed_report: NonNegative
    tracing_action: NonNegative
    arrest: NonNegative
    detention_day: NonNegative
    removal: NonNegative
    assisted_return: NonNegative
    electronic_monitoring_day: NonNegative
