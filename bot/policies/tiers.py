"""Schema of ``tiers.yaml``: customer tiers, their value thresholds and promises."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeFloat, PositiveInt

from bot.policies.primitives import Coverage, Slug, Strict


class TierPromises(Strict):
    coverage: Coverage
    named_owner: str
    executive_sponsor: bool = False
    max_accounts_per_owner: PositiveInt | None = None
    business_review_every_days: PositiveInt | None = None
    proactive_checkin_every_days: PositiveInt | None = None
    support_channels: list[Literal["slack_connect", "phone", "email", "portal"]] = Field(min_length=1)
    onboarding: Literal["white_glove", "guided", "self_serve"]


class Tier(Strict):
    name: Slug
    rank: PositiveInt
    min_lifetime_value: NonNegativeFloat
    min_arr: NonNegativeFloat
    description: str
    promises: TierPromises


class TiersPolicy(Strict):
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    regions: list[Slug] = Field(min_length=1)
    tiers: list[Tier] = Field(min_length=1)
