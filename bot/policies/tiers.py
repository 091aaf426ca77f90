"""Schema of ``tiers.yaml``: customer tiers, their value thresholds, promises and KPI targets, and how tiers are
reviewed (the yearly segmentation review), reported on (the weekly KPI digest) and priced (cost-to-serve)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, NonNegativeFloat, PositiveFloat, PositiveInt, model_validator

from bot.policies.primitives import ChannelId, Coverage, Priority, Slug, Strict

Fraction = float  # 0..1, e.g. 0.95 for 95%
DEFAULT_EFFORT: dict[Priority, float] = {"P1": 6.0, "P2": 3.0, "P3": 1.5, "P4": 0.75}


class TierPromises(Strict):
    coverage: Coverage
    named_owner: str
    executive_sponsor: bool = False
    max_accounts_per_owner: PositiveInt | None = None
    business_review_every_days: PositiveInt | None = None
    proactive_checkin_every_days: PositiveInt | None = None
    support_channels: list[Literal["slack_connect", "phone", "email", "portal"]] = Field(min_length=1)
    onboarding: Literal["white_glove", "guided", "self_serve"]


class TierTargets(Strict):
    """The KPI targets of ``playbooks/governance/kpis-per-tier.md`` (a test keeps the two in step). Shares are
    fractions (0.98 = 98%); ``cost_to_serve_max`` is a share of the tier's ARR; ``null`` = no target."""

    first_response_sla_met: Fraction = Field(ge=0, le=1)
    resolution_sla_met: Fraction = Field(ge=0, le=1)
    first_contact_resolution: Fraction = Field(ge=0, le=1)
    csat: float | None = Field(default=None, ge=1, le=5)
    nps: float | None = Field(default=None, ge=-100, le=100)
    gross_revenue_retention: Fraction | None = Field(default=None, ge=0, le=1)
    net_revenue_retention: Fraction | None = Field(default=None, ge=0)
    issue_recurrence_max: Fraction | None = Field(default=None, ge=0, le=1)
    checkins_on_time: Fraction | None = Field(default=None, ge=0, le=1)
    cost_to_serve_max: Fraction = Field(ge=0, le=1)


class Tier(Strict):
    name: Slug
    rank: PositiveInt
    min_lifetime_value: NonNegativeFloat
    min_arr: NonNegativeFloat
    description: str
    promises: TierPromises
    targets: TierTargets | None = None


class Segmentation(Strict):
    """When the yearly segmentation review runs (``rapport segment`` as a leased job) and where it is posted."""

    review_month: int = Field(default=1, ge=1, le=12)
    review_day: int = Field(default=15, ge=1, le=28)  # 28: every month has it
    channel: ChannelId | None = None  # governance channel for the proposed moves (default: reporting channel)
    max_override_days: PositiveInt = 183  # two quarters (tier-definitions.md)

    def review_date(self, year: int) -> dt.date:
        return dt.date(year, self.review_month, self.review_day)

    def next_review(self, today: dt.date) -> dt.date:
        """The review date on or after ``today``: this year's, or next year's once it has passed."""
        this_year = self.review_date(today.year)
        return this_year if this_year >= today else self.review_date(today.year + 1)


class Reporting(Strict):
    """Where the weekly KPI digest goes: the CS leadership channel, never an approvals channel."""

    leadership_channel: ChannelId | None = None


class CostModel(Strict):
    """How cost-to-serve is priced (kpis-per-tier.md: support, account management and special handling,
    allocated to the tier, divided by its ARR). The helpdesk gives no handling time, so support effort is a
    per-priority proxy; account management is the owner's time, allocated by the tier's accounts-per-owner cap;
    special handling is the cost approved in special_handling and expedited_fulfilment requests."""

    support_hour_usd: PositiveFloat = 60.0
    effort_hours: dict[Priority, PositiveFloat] = Field(default_factory=lambda: dict(DEFAULT_EFFORT))
    owner_year_usd: NonNegativeFloat = 150_000.0  # an account owner's fully loaded yearly cost


class TiersPolicy(Strict):
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    # Orders in other currencies count at these rates (units of ``currency`` per unit); any other is reported.
    exchange_rates: dict[str, PositiveFloat] = Field(default_factory=dict)
    regions: list[Slug] = Field(min_length=1)
    tiers: list[Tier] = Field(min_length=1)
    segmentation: Segmentation = Field(default_factory=Segmentation)
    reporting: Reporting = Field(default_factory=Reporting)
    cost_to_serve: CostModel = Field(default_factory=CostModel)

    @model_validator(mode="after")
    def _rates_are_currencies(self) -> TiersPolicy:
        for code in self.exchange_rates:
            if len(code) != 3 or not code.isupper() or not code.isalpha():
                raise ValueError(f"exchange_rates: {code!r} is not a 3-letter currency code")
        return self

    def ranked(self) -> list[Tier]:
        """Tiers highest first."""
        return sorted(self.tiers, key=lambda t: t.rank)


OVERRIDE_FORMAT = "TIER until YYYY-MM-DD, e.g. `platinum until 2026-06-30`"


def parse_override(terms: str, tiers: TiersPolicy, today: dt.date) -> tuple[str, dt.date] | str:
    """A ``tier_override`` request's terms (``platinum until 2026-06-30``) as (tier, last day), or why not: the tier
    must exist and the end lie after ``today`` and within ``segmentation.max_override_days`` (two quarters)."""
    words = terms.strip().lower().split()
    if len(words) != 3 or words[1] != "until":
        return f"give the tier and its end as {OVERRIDE_FORMAT}"
    name, _, day = words
    known = [t.name for t in tiers.ranked()]
    if name not in known:
        return f"{name!r} is not a tier in tiers.yaml (known: {', '.join(known)})"
    try:
        until = dt.date.fromisoformat(day)
    except ValueError:
        return f"{day!r} is not a date: {OVERRIDE_FORMAT}"
    limit = tiers.segmentation.max_override_days
    if until <= today:
        return f"the override must end after today ({today.isoformat()})"
    if (until - today).days > limit:
        return f"an override lasts at most {limit} days (until {(today + dt.timedelta(days=limit)).isoformat()})"
    return name, until
