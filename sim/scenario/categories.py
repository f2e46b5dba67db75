"""The category vocabularies (case types, quality of details, barriers, channels) and the tables
keyed by them: the cohort's and channels' mixes, and a value per category.

The model codes each category as a small integer in its vocabulary's order
(``CASE_TYPES.index(...)``), so that order is defined once, by the field order of the tables
here, and checked at import for every table that lists the categories again. The tables hold no
values: a table's default (a mix's shares too) is the entry in ``parameters.yaml`` of the field
that holds it, with its unit and source.
"""

from __future__ import annotations

from sim.scenario.fields import NonNegative, Positive, Probability, Section, Shares

# ----------------------------------------------------------------------------------------------
# Case types and quality of contact details
# ----------------------------------------------------------------------------------------------


class ByCaseType(Section):
    """A probability for each case type."""

    failed_asylum: Probability
    overstayer: Probability
    foreign_offender: Probability
    family: Probability
    irregular_arrival: Probability
    asylum_claimant: Probability


class CaseTypeMix(ByCaseType, Shares):
    """The share of entrants of each case type."""


class ByQuality(Section):
    """A probability for each quality of contact details (none / partial / good)."""

    none: Probability
    partial: Probability
    good: Probability


class DetailsMix(ByQuality, Shares):
    """The share of entrants with each quality of contact details."""


class BarrierMix(Shares):
    """The share of entrants with each barrier to removal."""

    none: Probability
    further_submission: Probability
    no_travel_document: Probability
    legal: Probability


# ----------------------------------------------------------------------------------------------
# Channels of contact attempts
# ----------------------------------------------------------------------------------------------


class ChannelMix(Shares):
    """The share of contact attempts on each channel."""

    phone: Probability
    text: Probability
    letter: Probability
    email: Probability


class ChannelSuccess(Section):
    """Per-attempt chance of making contact, by channel and quality of details.

    No per-channel defaults: the whole table is calibrated (``Contact.success``), and a channel
    left out of a scenario file keeps its calibrated row through the merge onto the defaults.
    """

    phone: ByQuality
    text: ByQuality
    letter: ByQuality
    email: ByQuality


class ContactCosts(Section):
    """A cost for each channel of contact attempts."""

    phone: NonNegative
    text: NonNegative
    letter: NonNegative
    email: NonNegative


# ----------------------------------------------------------------------------------------------
# Reporting channels
# ----------------------------------------------------------------------------------------------


class ByChannel(Section):
    """A value for each reporting channel."""

    in_person: NonNegative
    telephone: NonNegative
    digital: NonNegative


class IntervalByChannel(Section):
    """Days between reports for each channel (strictly positive: a zero interval never advances)."""

    in_person: Positive
    telephone: Positive
    digital: Positive


class ProbByChannel(ByChannel):
    """A probability for each reporting channel."""

    in_person: Probability
    telephone: Probability
    digital: Probability


class ReportChannelMix(ProbByChannel, Shares):
    """The share of new reportees on each channel."""


# ----------------------------------------------------------------------------------------------
# The vocabularies, taken from the tables' field order
# ----------------------------------------------------------------------------------------------


def _categories(*models: type[Section]) -> tuple[str, ...]:
    """The field names of ``models``, which must all list the same categories in the same order."""
    orders = {tuple(m.model_fields) for m in models}
    if len(orders) != 1:
        raise RuntimeError(f"category models disagree on their fields: {sorted(orders)}")
    return orders.pop()


CASE_TYPES: tuple[str, ...] = _categories(CaseTypeMix, ByCaseType)
"""Case types, in code order: failed_asylum, overstayer, foreign_offender, family, irregular_arrival,
asylum_claimant."""
QUALITIES: tuple[str, ...] = _categories(DetailsMix, ByQuality)
"""Quality of contact details, in code order (worst first): none, partial, good."""
BARRIERS: tuple[str, ...] = _categories(BarrierMix)
"""Barriers to removal, in code order (none first)."""
CONTACT_CHANNELS: tuple[str, ...] = _categories(ChannelMix, ChannelSuccess, ContactCosts)
"""Channels of contact attempts, in code order (phone first: only calls need an agent)."""
REPORT_CHANNELS: tuple[str, ...] = _categories(ReportChannelMix, ByChannel, IntervalByChannel, ProbByChannel)
"""Reporting channels, in code order (in person first: only it uses centre capacity)."""
