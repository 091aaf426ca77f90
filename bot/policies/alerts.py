"""Schema of ``alerts.yaml``: alert rules (one params model per kind) and delivery defaults."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, NonNegativeFloat, PositiveInt, model_validator

from bot.policies.primitives import ChannelId, Duration, LocalTime, Slug, Strict, UserId

AlertSeverity = Literal["low", "medium", "high", "critical"]
Signal = Literal["orders", "usage", "contact"]
SlaClock = Literal["first_response", "resolution"]
_ALL_SIGNALS: tuple[Signal, ...] = ("orders", "usage", "contact")
_BOTH_CLOCKS: tuple[SlaClock, ...] = ("first_response", "resolution")


class Segment(Strict):
    tiers: list[Slug] | None = None
    min_lifetime_value: NonNegativeFloat | None = None
    min_arr: NonNegativeFloat | None = None
    regions: list[Slug] | None = None


class Recipients(Strict):
    owner: bool = True
    channel: ChannelId | None = None
    escalation_channel: ChannelId | None = None
    users: list[UserId] = Field(default_factory=list)

    @model_validator(mode="after")
    def _someone(self) -> Recipients:
        if not (self.owner or self.channel or self.users):
            raise ValueError("no recipients: set owner: true, a channel or users")
        return self


class InactivityParams(Strict):
    days: PositiveInt
    signals: list[Signal] = Field(default_factory=lambda: list(_ALL_SIGNALS), min_length=1)


class ComplaintParams(Strict):
    categories: list[str] = Field(min_length=1)
    max_sentiment: float = Field(ge=-1, le=1)
    lookback: Duration


class SlaBreachParams(Strict):
    targets: list[SlaClock] = Field(default_factory=lambda: list(_BOTH_CLOCKS), min_length=1)


class SlaImminentParams(Strict):
    percent_elapsed: float = Field(gt=0, lt=100)
    targets: list[SlaClock] = Field(default_factory=lambda: list(_BOTH_CLOCKS), min_length=1)


class UsageDropParams(Strict):
    percent: float = Field(gt=0, le=100)
    window_days: PositiveInt
    baseline_days: PositiveInt

    @model_validator(mode="after")
    def _baseline_longer(self) -> UsageDropParams:
        if self.baseline_days <= self.window_days:
            raise ValueError("baseline_days must be longer than window_days")
        return self


class RenewalAtRiskParams(Strict):
    days: PositiveInt
    max_health: float = Field(ge=0, le=100)


class PaymentOverdueParams(Strict):
    days: PositiveInt
    min_amount: NonNegativeFloat = 0


class _Rule(Strict):
    name: Slug
    segment: Segment = Field(default_factory=Segment)
    severity: AlertSeverity
    recipients: Recipients
    cooldown: Duration
    urgent: bool = False
    escalate_unacked_after: Duration | None = None


class InactivityRule(_Rule):
    kind: Literal["inactivity"]
    params: InactivityParams


class ComplaintRule(_Rule):
    kind: Literal["complaint"]
    params: ComplaintParams


class SlaBreachRule(_Rule):
    kind: Literal["sla_breach"]
    params: SlaBreachParams = Field(default_factory=SlaBreachParams)


class SlaImminentRule(_Rule):
    kind: Literal["sla_imminent"]
    params: SlaImminentParams


class UsageDropRule(_Rule):
    kind: Literal["usage_drop"]
    params: UsageDropParams


class RenewalAtRiskRule(_Rule):
    kind: Literal["renewal_at_risk"]
    params: RenewalAtRiskParams


class PaymentOverdueRule(_Rule):
    kind: Literal["payment_overdue"]
    params: PaymentOverdueParams


AlertRule = Annotated[
    InactivityRule
    | ComplaintRule
    | SlaBreachRule
    | SlaImminentRule
    | UsageDropRule
    | RenewalAtRiskRule
    | PaymentOverdueRule,
    Field(discriminator="kind"),
]
ALERT_KINDS = (
    "inactivity",
    "complaint",
    "sla_breach",
    "sla_imminent",
    "usage_drop",
    "renewal_at_risk",
    "payment_overdue",
)


class QuietHours(Strict):
    start: LocalTime
    end: LocalTime
    urgent_bypass: bool = True


class AlertDefaults(Strict):
    quiet_hours: QuietHours
    digest_local_time: LocalTime
    per_recipient_daily_cap: PositiveInt
    max_matches_per_rule: PositiveInt
    escalate_unacked_urgent_after: Duration


class AlertPolicy(Strict):
    defaults: AlertDefaults
    rules: list[AlertRule] = Field(min_length=1)
