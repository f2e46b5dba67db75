"""The scenario: every parameter of the model, typed, validated, immutable, with unit and provenance.

This module is the only place where parameter values are written down in code. The values here
are the *documented* ones (a seed paragraph, a row of ``shared/FIGURES.md``, or a stated
assumption), except for the few set by calibration, whose defaults are read at import from the
package data file ``calibration.yaml`` (written by ``scripts/calibrate.py``; see
``sim.scenario.calibration``) so that no scenario can run with an uncalibrated value labelled as
calibrated. Each policy file states only what it changes. Nothing else in ``sim/`` may carry a
default for a parameter.

Each leaf field carries ``unit`` and ``source`` in its JSON-schema extras; a nested model field
carries a ``source`` that applies to all its leaves unless a leaf has its own. ``sim.describe``
walks this tree to print the parameter table.

Conventions: times in days (call and interview handling in minutes, converted once in the model),
money in GBP (2012-14 prices unless stated), probabilities per event as named. Every number must be
finite (``allow_inf_nan=False`` in every model, distributions included): an infinite horizon or
delay would make a run that never ends, and NaN compares false with every bound.
"""

from __future__ import annotations

import itertools
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.config import JsonDict

from sim.scenario.calibration import CALIBRATED_KEY, Calibration, calibrated_fields, check_calibration
from sim.scenario.distributions import (
    Beta,
    Distribution,
    Exponential,
    Fixed,
    Gamma,
    Lognormal,
    PositiveDelay,
    Triangular,
    Uniform,
    UnitInterval,
)
from sim.scenario.errors import validation_problems
from sim.scenario.merge import deep_merge
from sim.scenario.paths import flatten
from sim.scenario.uncertainty import RANGE_KEY, SCALE_KEY, WHY_KEY, check_range

_FROZEN = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
SHARE_TOLERANCE = 1e-6

CALIBRATION = Calibration.read()
"""The calibrated values (``sim/scenario/calibration.yaml``), read once at import."""


def _calibrated_source(target: str, note: str) -> str:
    where = "by scripts/calibrate.py, value in sim/scenario/calibration.yaml (the default for every scenario)"
    return f"calibrated to {target} {where}" + (f"; {note}" if note else "")


def _ranged(
    extra: JsonDict, range: tuple[float, float] | None, scale: tuple[float, float] | None, why: str
) -> JsonDict:
    """Add a plausible range (``sim.scenario.uncertainty``) and its reason to a field's extras."""
    if range is not None:
        extra[RANGE_KEY] = [float(range[0]), float(range[1])]
    if scale is not None:
        extra[SCALE_KEY] = [float(scale[0]), float(scale[1])]
    if (range is not None or scale is not None) and not why:
        raise ValueError("a range needs its reason (why=...)")
    if why:
        extra[WHY_KEY] = why
    return extra


def param(
    default: Any,
    unit: str,
    source: str,
    *,
    range: tuple[float, float] | None = None,
    why: str = "",
    **constraints: Any,
) -> Any:
    """A leaf parameter: its default (the documented value), unit and provenance, and for an
    assumption its plausible ``range`` (in the unit) with the reason for it."""
    extra = _ranged({"unit": unit, "source": source}, range, None, why)
    return Field(default, json_schema_extra=extra, **constraints)


def group(
    default_factory: Any,
    source: str = "",
    unit: str = "",
    *,
    scale: tuple[float, float] | None = None,
    why: str = "",
) -> Any:
    """A nested parameter group or a distribution; ``source``/``unit`` apply to leaves that state
    none themselves; ``scale`` is a plausible range of a multiplier on all its numbers."""
    extra: JsonDict = {k: v for k, v in (("source", source), ("unit", unit)) if v}
    extra = _ranged(extra, None, scale, why)
    return Field(default_factory=default_factory, json_schema_extra=extra or None)


def prob(
    default: float,
    source: str,
    unit: str = "probability",
    *,
    range: tuple[float, float] | None = None,
    why: str = "",
) -> Any:
    """A probability in [0, 1]."""
    return param(default, unit, source, range=range, why=why, ge=0.0, le=1.0)


def calibrated(
    path: str,
    unit: str,
    target: str,
    note: str = "",
    *,
    range: tuple[float, float] | None = None,
    why: str = "",
    **constraints: Any,
) -> Any:
    """A leaf whose default is its calibrated value from ``calibration.yaml``.

    ``path`` is the field's dotted path (checked at import against where the field sits);
    ``target`` is the published figure it was calibrated to; ``note`` says what the value means.
    The default is validated like any input (``validate_default``), so the file's value gets the
    field's type and constraints.
    """
    extra: JsonDict = {"unit": unit, "source": _calibrated_source(target, note), CALIBRATED_KEY: path}
    return Field(
        CALIBRATION.value(path),
        validate_default=True,
        json_schema_extra=_ranged(extra, range, None, why),
        **constraints,
    )


def calibrated_group(
    path: str,
    model: type[BaseModel],
    unit: str,
    target: str,
    note: str = "",
    *,
    scale: tuple[float, float] | None = None,
    why: str = "",
) -> Any:
    """A nested group whose whole default is calibrated (a table, e.g. contact success)."""
    values = CALIBRATION.value(path)
    extra: JsonDict = {"unit": unit, "source": _calibrated_source(target, note), CALIBRATED_KEY: path}
    return Field(
        default_factory=lambda: model.model_validate(values),
        json_schema_extra=_ranged(extra, None, scale, why),
    )


class Shares(BaseModel):
    """Base for a mix whose shares must sum to 1 (each share in [0, 1])."""

    model_config = _FROZEN

    @model_validator(mode="after")
    def _sum_to_one(self) -> Shares:
        values = self.model_dump()
        total = sum(values.values())
        if abs(total - 1.0) > SHARE_TOLERANCE:
            listing = ", ".join(f"{k}={v:g}" for k, v in values.items())
            raise ValueError(f"shares must sum to 1, got {total:g} ({listing})")
        return self

    def as_dict(self) -> dict[str, float]:
        return self.model_dump()


class ByQuality(BaseModel):
    """A probability for each quality of contact details (none / partial / good)."""

    model_config = _FROZEN
    none: float = Field(ge=0.0, le=1.0)
    partial: float = Field(ge=0.0, le=1.0)
    good: float = Field(ge=0.0, le=1.0)


class ByChannel(BaseModel):
    """A value for each reporting channel."""

    model_config = _FROZEN
    in_person: float = Field(ge=0.0)
    telephone: float = Field(ge=0.0)
    digital: float = Field(ge=0.0)


class IntervalByChannel(BaseModel):
    """Days between reports for each channel (strictly positive: a zero interval never advances)."""

    model_config = _FROZEN
    in_person: float = Field(gt=0.0)
    telephone: float = Field(gt=0.0)
    digital: float = Field(gt=0.0)


class ProbByChannel(ByChannel):
    """A probability for each reporting channel."""

    in_person: float = Field(ge=0.0, le=1.0)
    telephone: float = Field(ge=0.0, le=1.0)
    digital: float = Field(ge=0.0, le=1.0)


class ByCaseType(BaseModel):
    """A probability for each case type."""

    model_config = _FROZEN
    failed_asylum: float = Field(ge=0.0, le=1.0)
    overstayer: float = Field(ge=0.0, le=1.0)
    foreign_offender: float = Field(ge=0.0, le=1.0)
    family: float = Field(ge=0.0, le=1.0)


# ----------------------------------------------------------------------------------------------
# The cohort
# ----------------------------------------------------------------------------------------------


class CaseTypeMix(Shares):
    failed_asylum: float = Field(0.25, ge=0, le=1)
    overstayer: float = Field(0.62, ge=0, le=1)
    foreign_offender: float = Field(0.03, ge=0, le=1)
    family: float = Field(0.10, ge=0, le=1)


class DetailsMix(Shares):
    none: float = Field(0.40, ge=0, le=1)
    partial: float = Field(0.40, ge=0, le=1)
    good: float = Field(0.20, ge=0, le=1)


class BarrierMix(Shares):
    none: float = Field(0.70, ge=0, le=1)
    further_submission: float = Field(0.12, ge=0, le=1)
    no_travel_document: float = Field(0.12, ge=0, le=1)
    legal: float = Field(0.06, ge=0, le=1)


class Cohort(BaseModel):
    """Who enters the contact process, when, and with what (partly hidden) circumstances."""

    model_config = _FROZEN
    initial_size: int = param(
        120_545, "people", "seed 002 §4.2: 120,545 deemed suitable and put into the contact process", ge=0
    )
    entry_ramp_days: float = param(
        365.0,
        "days",
        "assumption: the contractor loaded the pool over the contract's first year (002 §1.3-1.4: "
        "pilots from Jan 2012, contract from late 2012); entry times uniform over the ramp",
        ge=0,
        range=(180, 548),
        why="the contract ramped the pool into contact over months; from half a year to the whole horizon",
    )
    inflow_per_week: float = param(
        0.0, "people per week", "assumption: the 002 §4.2 figure is a fixed cohort, no new entrants", ge=0
    )
    case_type: CaseTypeMix = group(
        CaseTypeMix,
        "assumption: the Migration Refusal Pool is mostly refused visa/leave applicants (HAC HC 902, "
        "FIGURES 'MRP stock'); families ~10% and FNOs few (they sit with criminal casework)",
        "share of entrants",
    )
    details: DetailsMix = group(
        DetailsMix,
        "assumption: MRP data 'very poor, particularly for older cases' (002 §2.3): 40% with no "
        "usable contact details; the level of contact is then set by calibrating contact.success",
        "share of entrants",
    )
    already_departed_share: float = calibrated(
        "cohort.already_departed_share",
        "share of entrants",
        "seed 002 §4.2 (10% of contacted confirmed departed, 'many ... departed prior to the contact')",
        ge=0.0,
        le=1.0,
        range=(0.02, 0.08),
        why=(
            "calibrated to 10% of contacted confirmed departed; other plausible calibrations "
            "(how many of those departed before contact) move it within this"
        ),
    )
    in_pool_in_error_share: float = prob(
        0.02,
        "assumption: people listed in the pool in error (leave granted, wrong person), "
        "seed 002 §8.3-8.4 'contacted in error'; MRP data quality 002 §2.3",
        "share of entrants",
        range=(0.005, 0.05),
        why=(
            "people wrongly in the pool: enough to explain 210 complaints at the calibrated "
            "complaint rate, up to a few per cent"
        ),
    )
    barrier: BarrierMix = group(
        BarrierMix,
        "assumption: FOI 29969 service level caps barrier referrals at 39% of outcomes (FIGURES); "
        "30% of the pool carry a barrier, split by further submissions (FIGURES PQ 2019), "
        "documents, legal",
        "share of entrants",
    )
    high_priority_share: float = prob(
        0.05,
        "assumption: few MRP cases are high-harm; foreign offenders are always high priority "
        "(001 rec 5: pursue absconders in line with harm)",
        "share of non-offender entrants",
        range=(0.02, 0.15),
        why="high-harm cases other than foreign offenders: a small minority",
    )
    compliance: UnitInterval = group(
        lambda: Beta(a=2.0, b=2.0),
        "assumption: latent propensity to comply, mean 0.5, sd 0.22; it scales agreement to "
        "depart and missed reports around their cohort averages (a fixed value switches the "
        "effect off)",
        "propensity in [0, 1]",
    )

    @field_validator("compliance")
    @classmethod
    def _compliance_in_unit_interval(cls, c: Fixed | Beta) -> Fixed | Beta:
        if isinstance(c, Fixed) and not 0 < c.value < 1:
            raise ValueError(f"a fixed compliance must lie strictly between 0 and 1, got {c.value:g}")
        return c


# ----------------------------------------------------------------------------------------------
# Contact management (the contractor's call centre)
# ----------------------------------------------------------------------------------------------


class ChannelMix(Shares):
    phone: float = Field(0.45, ge=0, le=1)
    text: float = Field(0.30, ge=0, le=1)
    letter: float = Field(0.15, ge=0, le=1)
    email: float = Field(0.10, ge=0, le=1)


class ChannelSuccess(BaseModel):
    """Per-attempt chance of making contact, by channel and quality of details.

    No per-channel defaults: the whole table is calibrated (``Contact.success``), and a channel
    left out of a scenario file keeps its calibrated row through the merge onto the defaults.
    """

    model_config = _FROZEN
    phone: ByQuality
    text: ByQuality
    letter: ByQuality
    email: ByQuality


class Enrichment(BaseModel):
    """Data-enrichment checks on cases whose attempts are exhausted (seed 002 §4.3: Experian,
    other government departments), which can refresh details and recycle the case."""

    model_config = _FROZEN
    check_probability: float = prob(
        0.6,
        "assumption: most exhausted cases are re-checked (002 §4.3 'working across the Home Office')",
        range=(0.3, 0.9),
        why="share of exhausted cases sent for a credit-reference check; no published figure",
    )
    delay_days: Distribution = group(
        lambda: Exponential(mean=60.0),
        "assumption: batch data-matching runs every few months",
        "days",
        scale=(0.5, 2.0),
        why="a month to a quarter for a check to come back",
    )
    refresh_probability: float = prob(
        0.25,
        "assumption: 002 §4.3 (Experian and other departments' data find new contact details)",
        range=(0.1, 0.5),
        why="share of checks that find usable new details",
    )
    departure_evidence_probability: float = prob(
        0.10,
        "assumption: data matching sometimes shows a person has left (002 §4.2 'departed prior to "
        "the contact')",
        range=(0.02, 0.25),
        why="share of checks that find evidence of departure",
    )
    max_rounds: int = param(
        3,
        "rounds",
        "assumption: a case is recycled at most a few times",
        ge=0,
        range=(1, 5),
        why="rounds of recycling before a case is left dormant",
    )


class Contact(BaseModel):
    """Contact attempts by the contractor (seed 002 §4.2-4.3, §8.2)."""

    model_config = _FROZEN
    agents: int = param(
        5,
        "agents (round-the-clock equivalents)",
        "assumption: the simulation clock runs 24 h a day, so 5 agents stand for ~15 on day shifts; "
        "busy but not the bottleneck (002 §1.4 'larger volume lower cost activity utilising call "
        "centre technology')",
        ge=0,
        range=(3, 10),
        why="the call centre was not the bottleneck (002 §1.4); half to twice the assumed size",
    )
    call_minutes: Distribution = group(
        lambda: Exponential(mean=8.0),
        "assumption: outbound call incl. wrap-up",
        "minutes",
        scale=(0.5, 2.0),
        why="4 to 16 minutes per outbound call with wrap-up",
    )
    attempt_interval_days: Distribution = group(
        lambda: Exponential(mean=14.0),
        "assumption: fortnightly attempts",
        "days",
        scale=(0.5, 2.0),
        why="a week to a month between attempts",
    )
    max_attempts: int = param(
        6,
        "attempts per round",
        "assumption: 39,100 texts over ~14 months to ~120k people "
        "(FIGURES, press report of FOI) suggests a handful of attempts each",
        ge=1,
        range=(3, 12),
        why="39,100 texts to ~120,000 people suggests a handful of attempts each",
    )
    channel_mix: ChannelMix = group(
        ChannelMix,
        "assumption: phone-led with texts (FIGURES: 39,100 texts sent), letters and email",
        "share of attempts",
    )
    success: ChannelSuccess = calibrated_group(
        "contact.success",
        ChannelSuccess,
        "probability per attempt",
        "seed 002 §4.2 (21% contacted)",
        "one common scale on the whole table is calibrated, so the relative channel and data-quality "
        "values are assumptions (phone > text > letter = email; no details: 0)",
        scale=(0.9, 1.1),
        why="calibrated to 21% contacted; the common scale is pinned to within a few per cent by that figure",
    )
    written_clarity: float = prob(
        0.85,
        "assumption: share of delivered texts, letters and e-mails whose request to get in touch "
        "is understood (000 scope 'clarity of Home Office correspondence'); the same value as "
        "correspondence.clarity, kept apart so that notices and contact attempts can differ. "
        "Range 0.7-0.95",
        "multiplier on written contact success",
        range=(0.7, 0.95),
        why="share of written requests understood; as for notices",
    )
    departed_reach_factor: float = param(
        0.8,
        "multiplier",
        "assumption: a person who has left can still answer a mobile or e-mail (002 §4.2 "
        "'provided evidence they had departed')",
        ge=0,
        le=1,
        range=(0.5, 1.0),
        why="whether someone who has left still answers a mobile or e-mail",
    )
    complaint_probability: float = calibrated(
        "contact.complaint_probability",
        "probability",
        "seed 002 §8.2 (210 complaints, 0.18% of entrants)",
        "the chance of a complaint given contact with a person listed in error",
        ge=0.0,
        le=1.0,
        range=(0.3, 0.6),
        why="calibrated to 210 complaints; moves with the share listed in error",
    )
    enrichment: Enrichment = group(Enrichment)


# ----------------------------------------------------------------------------------------------
# Correspondence
# ----------------------------------------------------------------------------------------------


class Correspondence(BaseModel):
    """Notices (decisions, reporting/bail notices, support discontinuation), seed 000 scope."""

    model_config = _FROZEN
    delivery_days: Distribution = group(
        lambda: Uniform(low=2.0, high=5.0),
        "assumption: second-class post and processing",
        "days",
        scale=(0.5, 2.0),
        why="first-class post to a slow second-class delivery with processing",
    )
    not_received: ByQuality = group(
        lambda: ByQuality(none=0.9, partial=0.25, good=0.05),
        "assumption: notices to stale addresses go astray (000 scope 'measures to ensure it has "
        "been received')",
        "probability per notice",
        scale=(0.5, 1.1),
        why="non-receipt by quality of details; up to a tenth more (0.9 stays a probability) or half as much",
    )
    clarity: float = prob(
        0.85,
        "assumption: share of received notices understood and acted on (000 scope 'clarity of "
        "Home Office correspondence'). Notices served in person are explained there and need "
        "neither receipt nor this (reporting.py). Range 0.7-0.95",
        range=(0.7, 0.95),
        why="share of received notices understood and acted on; no published figure",
    )


# ----------------------------------------------------------------------------------------------
# Departure
# ----------------------------------------------------------------------------------------------


class Departure(BaseModel):
    """Voluntary return offered on contact and at reporting (001 rec 1-2)."""

    model_config = _FROZEN
    agree_on_contact: ByCaseType = group(
        lambda: ByCaseType(failed_asylum=0.03, overstayer=0.05, foreign_offender=0.02, family=0.04),
        "assumption: low, because seed 002 §4.2 says many of the 10% of contacted who departed "
        "had left before contact; FIGURES: 20% left within 6 months of contact in the 2012 "
        "pilot (2nd hand; an upper bound)",
        "probability",
        scale=(0.5, 2.0),
        why="agreement to leave on contact, by case type; half to twice the assumed level",
    )
    delay_days: Distribution = group(
        lambda: Gamma(mean=45.0, cv=0.8),
        "assumption: arranging tickets/documents; 20% left within 6 months of contact (FIGURES, 2012 pilot)",
        "days",
        scale=(0.5, 2.0),
        why="three weeks to three months to arrange a departure",
    )
    follow_through_probability: float = prob(
        0.8,
        "assumption: some who agree to leave do not",
        range=(0.6, 0.95),
        why="some who agree to leave do not",
    )
    assisted_share: float = prob(
        0.3,
        "assumption: share of voluntary departures using assisted return (FIGURES: 13,637 assisted "
        "returns 2021-24)",
        range=(0.1, 0.6),
        why="share of voluntary departures that are assisted returns",
    )
    family_engagement_multiplier: float = param(
        1.5,
        "multiplier",
        "assumption: family engagement managers raise agreement (001 rec 6 'promote a culture of "
        "compliance')",
        ge=0,
        range=(1.0, 2.5),
        why="family engagement raises agreement; no published effect size",
    )
    family_offer_interval_days: Distribution = group(
        lambda: Exponential(mean=30.0),
        "assumption: monthly family engagement meetings (001 §6.6 field officers' returns work)",
        "days",
        scale=(0.5, 2.0),
        why="fortnightly to bimonthly engagement meetings",
    )
    family_offers_before_enforcement: int = param(
        2,
        "offers",
        "seed 001 §6.2: families arrested only as a last resort; number of refused offers "
        "before an ensured return is an assumption",
        ge=0,
        range=(1, 4),
        why="refused offers before an ensured return",
    )


# ----------------------------------------------------------------------------------------------
# Reporting conditions
# ----------------------------------------------------------------------------------------------


class ReportingCentre(BaseModel):
    """In-person reporting capacity (FIGURES: 2-3 minutes per interview, ICIBI 2017)."""

    model_config = _FROZEN
    desks: int = param(
        30,
        "desks",
        "assumption: national desks open for reporting interviews",
        ge=0,
        range=(15, 60),
        why="national desks open for reporting interviews",
    )
    hours_per_day: float = param(
        7.0, "hours per day", "assumption: opening hours", gt=0, le=24, range=(5.0, 10.0), why="opening hours"
    )
    interview_minutes: Distribution = group(
        lambda: Uniform(low=2.0, high=3.0),
        "FIGURES: 2-3 minutes per reporting interview (ICIBI 2017)",
        "minutes",
    )

    @field_validator("interview_minutes")
    @classmethod
    def _interviews_take_time(cls, d: Any) -> Any:
        if d.mean <= 0:
            raise ValueError("the mean interview time must be > 0 minutes (capacity = desks x hours / mean)")
        return d


class ReportChannelMix(Shares):
    in_person: float = Field(0.9, ge=0, le=1)
    telephone: float = Field(0.1, ge=0, le=1)
    digital: float = Field(0.0, ge=0, le=1)


class Reporting(BaseModel):
    """Reporting conditions (seed 000 scope: in person, telephone, digital; 001 rec 1)."""

    model_config = _FROZEN
    channel_mix: ReportChannelMix = group(
        ReportChannelMix,
        "assumption: in 2012-14 reporting was overwhelmingly in person; digital had not begun "
        "(000 scope lists the channels)",
        "share of new reportees",
    )
    interval_days: IntervalByChannel = group(
        lambda: IntervalByChannel(in_person=14.0, telephone=7.0, digital=7.0),
        "assumption: fortnightly in person, weekly remote",
        "days between reports",
        scale=(0.5, 2.0),
        why="weekly to monthly reporting",
    )
    miss_probability: ProbByChannel = group(
        lambda: ProbByChannel(in_person=0.05, telephone=0.06, digital=0.07),
        "assumption: chance misses per report by people who have not absconded (deliberate "
        "absconding is abscond_hazard_per_day). Between the UK figure read literally (500-600 a "
        "month miss an event or abscond of ~80,000: ~0.3% per fortnightly report, FIGURES) and US "
        "probation (~30% of appointments missed, Hastings et al. 2021, FIGURES; a different "
        "population); remote channels a little higher. Range 0.003-0.3",
        "probability per report",
        scale=(0.1, 4.0),
        why="from the UK figure read literally (~0.005 per report) to four times the assumed chance misses",
    )
    misses_to_out_of_contact: int = param(
        3,
        "consecutive misses",
        "assumption: three consecutive misses trigger absconder action",
        ge=1,
        range=(1, 4),
        why="consecutive misses before absconder action",
    )
    abscond_hazard_per_day: float = param(
        0.00025,
        "per day",
        "FIGURES: 500-600 a month miss a reporting event or abscond against ~80,000 on reporting "
        "(minister to JCHR, c.2017, unverified MI): 550 / 80,000 / 30.4 days = 0.00023 a day, "
        "rounded up because reporting-centre figures miss people who never report at all. Hazard "
        "of deciding to stop reporting for an average reportee (propensity 1, no adverse notice), "
        "averaged over the first year on reporting. Range 0.0001-0.001",
        ge=0,
        range=(0.0001, 0.001),
        why="the published 500-600 a month of ~80,000 is unverified MI; from half it to four times it",
    )
    abscond_hazard_shape: float = param(
        1.0,
        "Weibull shape",
        "assumption: the hazard of absconding varies with time on reporting as a Weibull hazard "
        "with this shape (1: constant; above 1: rising as removal looks closer; below 1: highest "
        "just after being put on reporting). Cumulative hazard over the first year equals "
        "abscond_hazard_per_day x 365 whatever the shape. No published figure separates the "
        "shapes; range 0.6-1.5",
        gt=0,
        range=(0.6, 1.5),
        why="no figure separates a hazard falling or rising with time on reporting",
    )
    abscond_propensity: Distribution = group(
        lambda: Gamma(mean=1.0, cv=1.5),
        "assumption: people differ a lot in whether they would disappear (FIGURES: ~8% of "
        "probationers abscond during supervision, Mayzer et al. 2004, while most never do); a "
        "heavy-tailed Gamma frailty, mean 1, scales each person's hazard, drawn once per person "
        "(so a person found again keeps it). cv range 0.5-3",
        "multiplier on the hazard",
        scale=(0.5, 2.0),
        why="scales the mean propensity, so the hazard of everyone, with the hazard's own range",
    )
    promotion_agree: ProbByChannel = group(
        lambda: ProbByChannel(in_person=0.004, telephone=0.002, digital=0.001),
        "assumption: voluntary return promoted at reporting events (001 rec 1)",
        "probability per attended report",
        scale=(0.25, 4.0),
        why="agreement to leave per attended report; no published effect",
    )
    detention_on_reporting: float = prob(
        0.002,
        "assumption: detention on reporting per attended in-person report (002 §13.9 'Reporting "
        "Centres will identify cases suitable for Detention on Reporting')",
        "probability per attended report",
        range=(0.0005, 0.01),
        why="detention on reporting per attended in-person report",
    )
    centre: ReportingCentre = group(ReportingCentre)


# ----------------------------------------------------------------------------------------------
# Absconding and tracing
# ----------------------------------------------------------------------------------------------


class Absconding(BaseModel):
    """Losing contact outside reporting (seed 000 scope; 001 rec 5)."""

    model_config = _FROZEN
    hazard_per_day: float = param(
        0.002,
        "per day",
        "assumption: ~5% a month lose contact while in contact or casework; 32% of withdrawn "
        "asylum claimants out of contact (FIGURES, 2024) shows the scale",
        ge=0,
        range=(0.0005, 0.005),
        why="losing contact while in contact or casework: 1.5% to 15% a month",
    )
    adverse_notice_multiplier: float = param(
        3.0,
        "multiplier",
        "assumption: an adverse notice (refusal, removal directions) multiplies the hazard and "
        "missed-report probability",
        ge=1,
        range=(1.0, 5.0),
        why="effect of a refusal or removal directions on absconding",
    )
    declaration_lag_days: Distribution = group(
        lambda: Gamma(mean=28.0, cv=0.5),
        "assumption: a person who has lost contact is formally declared an absconder after "
        "enquiries (letters, a call, a visit to the last known address) fail; the Home Office "
        "publishes no lag, and FIGURES.md keeps 'out of contact' and 'declared absconder' apart. "
        "About a month, range 7-90 days. Someone found before the lag ends is never declared",
        "days from losing contact to declaration",
        scale=(0.25, 3.0),
        why="a week to three months of enquiries before a declaration",
    )


class Tracing(BaseModel):
    """Re-establishing contact with people out of contact (001 rec 5; 001 introduction)."""

    model_config = _FROZEN
    team_size: int = param(
        65,
        "tracers",
        "FIGURES: ~65 staff dedicated to tracing (PQ UIN 95752, c.2025)",
        ge=0,
        range=(30, 100),
        why="~65 dedicated staff (PQ 2025); in 2012-14 the cohort's share may have been half or more",
    )
    referral_probability_high: float = prob(
        0.9,
        "assumption: high-harm absconders are almost always traced (001 rec 5)",
        range=(0.7, 1.0),
        why="high-harm absconders are almost always traced",
    )
    referral_probability_normal: float = prob(
        0.3,
        "assumption: most other absconders are not actively traced (001 rec 5: capacity)",
        range=(0.1, 0.6),
        why="most other absconders are not actively traced",
    )
    action_days: Distribution = group(
        lambda: Exponential(mean=1.0),
        "assumption: one tracing action occupies a tracer ~1 day",
        "days",
        scale=(0.5, 2.0),
        why="half a day to two days of a tracer per action",
    )
    interval_days: PositiveDelay = group(
        lambda: Exponential(mean=30.0),
        "assumption: monthly follow-up actions",
        "days",
        scale=(0.5, 2.0),
        why="fortnightly to bimonthly follow-up actions",
    )
    max_actions: int = param(
        4, "actions", "assumption", ge=0, range=(2, 8), why="actions before active tracing stops"
    )
    success_probability: float = prob(
        0.15, "assumption: per tracing action", range=(0.05, 0.3), why="chance one action finds the person"
    )
    passive_rate_per_day: float = param(
        0.0005,
        "per day",
        "assumption: re-found through data matching and checks by banks, landlords, DVLA, NHS "
        "(001 introduction)",
        ge=0,
        range=(0.0002, 0.002),
        why="found by data matching: mean 1.4 to 14 years",
    )
    arrest_on_trace_probability: float = prob(
        0.5,
        "assumption: share of traced people referred for arrest rather than back to reporting",
        range=(0.2, 0.8),
        why="share of traced people referred for arrest",
    )
    details_refreshed_probability: float = prob(
        0.5,
        "assumption: share of people found again (traced or by data matching) whose contact details "
        "are brought up to date (quality 'good'); the rest keep the details they had, so later "
        "postal notices still go astray. Range 0.2-0.9",
        range=(0.2, 0.9),
        why="share of people found again whose details are updated",
    )


# ----------------------------------------------------------------------------------------------
# Casework and barriers
# ----------------------------------------------------------------------------------------------


class Casework(BaseModel):
    """Casework barriers to removal (001 rec 4; 002 §6.2)."""

    model_config = _FROZEN
    caseworkers: int = param(
        25,
        "caseworkers",
        "assumption: caseworkers on non-detained barrier cases",
        ge=0,
        range=(10, 50),
        why="caseworkers on non-detained barrier cases for this cohort",
    )
    further_submission_days: PositiveDelay = group(
        lambda: Lognormal(mean=20.0, cv=1.0),
        "assumption: caseworker time per further-submission decision; 001 §4.4 targets 5 days "
        "for new submissions",
        "days",
        scale=(0.25, 2.0),
        why="5 days (the target, 001 §4.4) to 40 days of casework per decision",
    )
    further_submission_grant: float = prob(
        0.10,
        "assumption: share of further submissions that lead to leave",
        range=(0.03, 0.25),
        why="share of further submissions that lead to leave",
    )
    travel_document_days: PositiveDelay = group(
        lambda: Gamma(mean=120.0, cv=0.8),
        "assumption: obtaining an emergency travel document",
        "days",
        scale=(0.5, 2.0),
        why="two months to eight months for an emergency travel document",
    )
    travel_document_success: float = prob(
        0.6, "assumption: documents obtained", range=(0.4, 0.8), why="share of travel documents obtained"
    )
    legal_days: PositiveDelay = group(
        lambda: Gamma(mean=180.0, cv=0.8),
        "assumption: legal/human-rights challenge duration",
        "days",
        scale=(0.5, 2.0),
        why="three months to a year for a legal challenge",
    )
    legal_grant: float = prob(
        0.15,
        "assumption: share of legal challenges that lead to leave",
        range=(0.05, 0.3),
        why="share of legal challenges that lead to leave",
    )
    enforcement_after_resolution: float = prob(
        0.5,
        "assumption: cleared cases go to enforcement or back to contact management (002 §6.2: "
        "'closed, passed to core casework, or cleansed and recycled to contact management')",
        range=(0.2, 0.8),
        why="cleared cases sent to enforcement rather than back to contact management",
    )


# ----------------------------------------------------------------------------------------------
# Enforcement and detention
# ----------------------------------------------------------------------------------------------


class Enforcement(BaseModel):
    """Tasking, arrest and the detention gatekeeper (001 rec 3; 002 rec 13)."""

    model_config = _FROZEN
    teams: int = param(
        4,
        "arrest teams",
        "assumption: ICE team capacity available to this cohort (most ICE work is elsewhere)",
        ge=0,
        range=(2, 8),
        why="arrest-team capacity available to this cohort",
    )
    visit_days: PositiveDelay = group(
        lambda: Exponential(mean=1.0),
        "assumption: one arrest visit occupies a team ~1 day",
        "days",
        scale=(0.5, 2.0),
        why="half a day to two days per visit",
    )
    referral_on_refusal: ByCaseType = group(
        lambda: ByCaseType(failed_asylum=0.04, overstayer=0.03, foreign_offender=0.8, family=0.0),
        "assumption: share of people refusing departure who are tasked for arrest; families only "
        "as a last resort (001 §6.2)",
        "probability",
        scale=(0.5, 1.25),
        why="share of refusers tasked for arrest (foreign offenders 0.8 stays a probability)",
    )
    arrest_success: float = prob(
        0.6, "assumption: person found at the address", range=(0.4, 0.8), why="person found at the address"
    )
    pre_arrest_check: float = prob(
        0.2,
        "assumption: share of referrals checked for barriers and bed space before the visit "
        "(002 §13.3, 001 rec 3)",
        range=(0.05, 0.5),
        why="share of referrals checked before the visit",
    )
    hidden_barrier_probability: float = prob(
        0.3,
        "assumption: a barrier emerges at the point of detention (002 §13.8); FIGURES: 1/3 of "
        "FNO removal failures avoidable",
        range=(0.1, 0.5),
        why="a barrier emerging at detention; 1/3 of FNO removal failures avoidable (FIGURES)",
    )
    check_detects_hidden_barrier: float = prob(
        0.5,
        "assumption: share of the barriers that would emerge at detention which a pre-arrest "
        "casework check finds (002 §13.8-13.9 signposting and urgent consideration)",
        range=(0.2, 0.8),
        why="share of such barriers a pre-arrest check finds",
    )
    ensured_return_probability: float = prob(
        0.5,
        "assumption: families tasked for an ensured return after the offers run out (001 §6.2)",
        range=(0.2, 0.8),
        why="families tasked for an ensured return after the offers",
    )


class Detention(BaseModel):
    """Detention beds, removal attempts and releases."""

    model_config = _FROZEN
    beds: int = param(
        40,
        "beds",
        "assumption: share of the detention estate available to this cohort",
        ge=0,
        range=(20, 80),
        why="the cohort's share of the detention estate: half to twice the assumption",
    )
    removal_planning_days: Distribution = group(
        lambda: Gamma(mean=30.0, cv=1.0),
        "FIGURES: 62% of detention leavers held < 29 days (2015); 64% within a month (2017). With "
        "the release hazards and limit below, mean 30 days and cv 1 give 62% of stays under 29 "
        "days (scripts/detention_exits.py derives all four values together)",
        "days",
        scale=(0.5, 1.5),
        why="set with the release hazards from the published length of detention; 15 to 45 days",
    )
    cancellation_probability: float = prob(
        0.40,
        "FIGURES: 40% of planned removals cancelled (ICIBI escorted removals, 2016)",
        range=(0.3, 0.5),
        why="40% of planned removals cancelled (ICIBI 2016), other years and populations",
    )
    barrier_on_cancellation: float = prob(
        0.4,
        "assumption: share of cancellations due to a new barrier (further submission, judicial "
        "review) which releases the person to casework",
        range=(0.2, 0.6),
        why="share of cancellations due to a new barrier",
    )
    max_removal_attempts: int = param(
        3,
        "attempts",
        "assumption: FIGURES: 91% leave detention within 4 months (2017)",
        ge=1,
        range=(2, 5),
        why="attempts before release",
    )
    bail_hazard_per_day: float = param(
        0.006,
        "per day",
        "FIGURES: people leaving detention who were removed fell from 64% (2011) to 45% (2015), "
        "so ~55% for 2012-14. With the removal attempts above, a release hazard of 0.008 a day in "
        "all gives that share (scripts/detention_exits.py); bail (by an immigration judge or the "
        "Home Office) is taken as three quarters of it, an assumption. Range 0.002-0.02",
        ge=0,
        range=(0.002, 0.02),
        why=(
            "set from the removed share of leavers (64% in 2011, 45% in 2015) with the other "
            "exits; wide because the split between exits is not published"
        ),
    )
    vulnerability_hazard_per_day: float = param(
        0.002,
        "per day",
        "assumption: release as an adult at risk or for health, the other quarter of the release "
        "hazard derived under bail_hazard_per_day. Range 0-0.006",
        ge=0,
        range=(0.0, 0.006),
        why="the split of releases between bail and vulnerability is not published",
    )
    no_prospect_days: Distribution = group(
        lambda: Gamma(mean=120.0, cv=0.5),
        "assumption: time in detention after which a person not yet removed is released because "
        "removal is no longer in prospect within a reasonable time (Hardial Singh principles), "
        "about 4 months (FIGURES: 91% of 2017 leavers left within 4 months). Range of the mean "
        "60-240",
        "days",
        scale=(0.5, 2.0),
        why="two months to eight months before release for no realistic prospect of removal",
    )


# ----------------------------------------------------------------------------------------------
# Recording and costs
# ----------------------------------------------------------------------------------------------


class Recording(BaseModel):
    model_config = _FROZEN
    departure_recorded_as_removal: float = prob(
        0.28,
        "seed 002 §5.4: 28% error rate in departures recorded as removals, 2013/14 (applied per "
        "contractor-confirmed departure)",
        range=(0.2, 0.35),
        why="28% error rate in 2013/14 (seed 002 §5.4); other years",
    )


class ContactCosts(BaseModel):
    model_config = _FROZEN
    phone: float = Field(0.5, ge=0)
    text: float = Field(0.05, ge=0)
    letter: float = Field(1.0, ge=0)
    email: float = Field(0.02, ge=0)


class StaffDayCosts(BaseModel):
    """Cost of one unit of staff capacity per day; the model's staff work round the clock, so a
    call-centre agent stands for three shifts."""

    model_config = _FROZEN
    agent: float = Field(450.0, ge=0)
    caseworker: float = Field(200.0, ge=0)
    tracer: float = Field(200.0, ge=0)


class ReportCosts(ByChannel):
    in_person: float = Field(15.0, ge=0)
    telephone: float = Field(5.0, ge=0)
    digital: float = Field(1.0, ge=0)


class Costs(BaseModel):
    """Unit costs in GBP."""

    model_config = _FROZEN
    contact_attempt: ContactCosts = group(
        ContactCosts,
        "assumption: telecoms and postage per attempt by channel (agent time is in staff_day)",
        "GBP per attempt",
        scale=(0.5, 2.0),
        why="telecoms and postage prices",
    )
    staff_day: StaffDayCosts = group(
        StaffDayCosts,
        "assumption: loaded salary ~GBP 35-45k a year over ~230 working days; an agent here is a "
        "24-hour equivalent (3 shifts). Costed for the whole horizon whatever the workload, so "
        "policies that add staff pay for them",
        "GBP per staff member per day",
        scale=(0.8, 1.3),
        why="loaded salaries of GBP 30-55k a year",
    )
    enrichment_check: float = param(
        5.0,
        "GBP per check",
        "assumption: credit-reference check",
        ge=0,
        range=(1.0, 20.0),
        why="price of a credit-reference check",
    )
    notice: float = param(
        3.0,
        "GBP per notice",
        "assumption: producing and serving a notice",
        ge=0,
        range=(1.0, 10.0),
        why="producing and serving a notice",
    )
    report: ReportCosts = group(
        ReportCosts,
        "assumption: staff time per report (2-3 min interview plus overheads, FIGURES)",
        "GBP per report",
        scale=(0.5, 2.0),
        why="staff time per report",
    )
    missed_report: float = param(
        10.0,
        "GBP per missed report",
        "assumption: follow-up of a missed report (a call and a letter, casework time). Range 5-30",
        ge=0,
        range=(5.0, 30.0),
        why="follow-up of a missed report",
    )
    tracing_action: float = param(
        20.0,
        "GBP per action",
        "assumption: checks and travel per action (tracer time is in staff_day)",
        ge=0,
        range=(10.0, 60.0),
        why="checks and travel per tracing action",
    )
    arrest: float = param(
        2800.0,
        "GBP per arrest",
        "FIGURES: NAO HC 76 (2005), arrest component",
        ge=0,
        range=(2000.0, 4000.0),
        why="NAO 2005 component in 2003-04 prices; later prices",
    )
    detention_day: float = param(
        97.0,
        "GBP per day",
        "FIGURES: Migration Observatory, 2014",
        ge=0,
        range=(85.0, 110.0),
        why="GBP 97 (2014) to 107 (2022) a day (FIGURES)",
    )
    removal: float = param(
        2400.0,
        "GBP per removal",
        "FIGURES: NAO HC 76 (2005): documents/representations 1,500 + removal 900 (detention costed per day)",
        ge=0,
        range=(1500.0, 4000.0),
        why="NAO 2005 components; charter against scheduled flights",
    )
    assisted_return: float = param(
        1100.0,
        "GBP per assisted return",
        "FIGURES: NAO HC 76 (2005), ~GBP 1,100",
        ge=0,
        range=(800.0, 4000.0),
        why="GBP 1,100 (NAO 2005) to up to GBP 3,000 incentives plus travel (FIGURES, 2021-24)",
    )


# ----------------------------------------------------------------------------------------------
# The scenario
# ----------------------------------------------------------------------------------------------


CHANGEABLE_CONTACT = frozenset({"agents"})
"""The only contact-management parameter a change may set: each case's contact attempts are
planned when the replication starts (``sim.model.processes.contact``), the call centre's size is not."""
NOT_CHANGEABLE: dict[str, str] = {
    "name": "it names the scenario",
    "title": "it names the scenario",
    "description": "it describes the scenario",
    "horizon_days": "the run has one horizon",
    "cohort": "the cohort is drawn when the run starts",
    "costs": "unit costs are one price list for the whole run",
    "changes": "changes cannot be nested",
    "uncertainty": "ranges describe the whole run",
}
"""Top-level parameters a change may not set, and why."""


class Change(BaseModel):
    """Parameters that take new values from a given day of the run: a policy introduced part-way
    through (``changes: [{from_day: 365, set: {...}}]``).

    ``set`` is written like a scenario file's own parameters (nested, only what changes). From
    ``from_day`` on, every decision and every delay drawn uses the new values, capacities resize
    (people already being served keep their server, calls already booked are kept), and clocks
    that run at a rate (losing contact, being found by data matching, missing a report) are
    re-drawn at the change. Waits already under way otherwise finish as drawn.
    """

    model_config = _FROZEN
    from_day: float = Field(gt=0, description="day of the run from which the new values apply")
    set: dict[str, Any] = Field(description="nested parameter overrides, as in a scenario file")


class Scenario(BaseModel):
    """One policy variant: a complete, immutable parameter set."""

    model_config = _FROZEN
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$", description="folder-safe name")
    title: str = Field("", description="short policy name used in plots and tables")
    description: str = ""
    horizon_days: float = param(
        548.0,
        "days",
        "seed 002 §8.2: contract start (Oct 2012) to end of Q1 2014, the period of the complaints "
        "figure; the §4.2 contact figures are cumulative contractor MI to 2014",
        gt=0,
    )
    cohort: Cohort = group(Cohort)
    contact: Contact = group(Contact)
    correspondence: Correspondence = group(Correspondence)
    departure: Departure = group(Departure)
    reporting: Reporting = group(Reporting)
    absconding: Absconding = group(Absconding)
    tracing: Tracing = group(Tracing)
    casework: Casework = group(Casework)
    enforcement: Enforcement = group(Enforcement)
    detention: Detention = group(Detention)
    recording: Recording = group(Recording)
    costs: Costs = group(Costs)
    uncertainty: dict[str, tuple[float, float]] = Field(
        default_factory=dict,
        json_schema_extra={
            "unit": "[low, high] by dotted path",
            "source": "the scenario: plausible ranges that replace or add to the schema's (none by default)",
        },
    )
    changes: tuple[Change, ...] = Field(
        default=(),
        json_schema_extra={
            "unit": "days and parameters",
            "source": "the scenario: parameters that take new values from a given day (none by default)",
        },
    )

    @model_validator(mode="after")
    def _changes_are_valid(self) -> Scenario:
        days = [c.from_day for c in self.changes]
        if any(b <= a for a, b in itertools.pairwise(days)):
            raise ValueError(
                "changes must be listed in order of from_day, each later than the one before; got "
                + ", ".join(f"{d:g}" for d in days)
            )
        for i, change in enumerate(self.changes):
            where = f"changes[{i}]"
            if change.from_day >= self.horizon_days:
                raise ValueError(
                    f"{where}.from_day: {change.from_day:g} is not before the horizon "
                    f"({self.horizon_days:g} days)"
                )
            for path in flatten(change.set, is_leaf=lambda v: not v or "dist" in v):
                top, _, rest = path.partition(".")
                if top in NOT_CHANGEABLE:
                    raise ValueError(f"{where}.set.{path}: cannot change from a day ({NOT_CHANGEABLE[top]})")
                sub = rest.partition(".")[0]
                if top == "contact" and sub not in CHANGEABLE_CONTACT:
                    raise ValueError(
                        f"{where}.set.{path}: cannot change from a day (contact attempts are planned for "
                        "each case when the run starts; of contact management only contact.agents can "
                        "change)"
                    )
        self.regimes()  # every step must be a valid scenario
        for path, (low, high) in self.uncertainty.items():
            try:
                check_range(self, path, low, high)
            except ValueError as exc:
                raise ValueError(f"uncertainty.{exc}") from None
        return self

    def regimes(self) -> list[tuple[float, Scenario]]:
        """The scenario in force from each change day on: ``[(from_day, scenario), ...]``, each
        with every earlier change applied and no changes of its own. Empty without changes."""
        if not self.changes:
            return []
        base = self.model_dump(exclude={"changes"})
        out: list[tuple[float, Scenario]] = []
        for i, change in enumerate(self.changes):
            base = deep_merge(base, change.set)
            try:
                step = Scenario.model_validate(base)
            except ValidationError as exc:
                # the same plain-English messages as for the file itself, at the path in the change
                details = "; ".join(
                    f"changes[{i}].set.{pr.path}: {pr.message}" + (f"; {pr.allowed}" if pr.allowed else "")
                    for pr in validation_problems("", exc, Scenario)
                )
                raise ValueError(details) from None
            out.append((change.from_day, step))
        return out

    @property
    def label(self) -> str:
        """Policy name for plots and tables."""
        return self.title or self.name

    def with_overrides(self, overrides: dict[str, Any]) -> Scenario:
        """A validated copy with nested overrides applied (the original is untouched)."""
        return Scenario.model_validate(deep_merge(self.model_dump(), overrides))


CALIBRATED_PATHS: tuple[str, ...] = tuple(calibrated_fields(Scenario))
"""Dotted paths of the fields whose defaults come from ``calibration.yaml``, in schema order."""

check_calibration(Scenario, CALIBRATION, {"name": "calibration"})


# ----------------------------------------------------------------------------------------------
# Category vocabularies, taken from the schema's field order
# ----------------------------------------------------------------------------------------------


def _categories(*models: type[BaseModel]) -> tuple[str, ...]:
    """The field names of ``models``, which must all list the same categories in the same order.

    The model codes categories as small integers in this order (``CASE_TYPES.index(...)``), so the
    order is defined once, by the schema, and checked here at import for every model that lists
    the categories again.
    """
    orders = {tuple(m.model_fields) for m in models}
    if len(orders) != 1:
        raise RuntimeError(f"category models disagree on their fields: {sorted(orders)}")
    return orders.pop()


CASE_TYPES: tuple[str, ...] = _categories(CaseTypeMix, ByCaseType)
"""Case types, in code order: failed_asylum, overstayer, foreign_offender, family."""
QUALITIES: tuple[str, ...] = _categories(DetailsMix, ByQuality)
"""Quality of contact details, in code order (worst first): none, partial, good."""
BARRIERS: tuple[str, ...] = _categories(BarrierMix)
"""Barriers to removal, in code order (none first)."""
CONTACT_CHANNELS: tuple[str, ...] = _categories(ChannelMix, ChannelSuccess, ContactCosts)
"""Channels of contact attempts, in code order (phone first: only calls need an agent)."""
REPORT_CHANNELS: tuple[str, ...] = _categories(
    ReportChannelMix, ByChannel, IntervalByChannel, ProbByChannel, ReportCosts
)
"""Reporting channels, in code order (in person first: only it uses centre capacity)."""


__all__ = [
    "BARRIERS",
    "CALIBRATED_PATHS",
    "CALIBRATION",
    "CASE_TYPES",
    "CONTACT_CHANNELS",
    "QUALITIES",
    "REPORT_CHANNELS",
    "Beta",
    "Change",
    "Exponential",
    "Fixed",
    "Gamma",
    "Lognormal",
    "Scenario",
    "Triangular",
    "Uniform",
]
