"""Schema of ``alerts.yaml``: alert rules (one params model per kind), delivery defaults, value-aware priority,
digests, snooze and who may read which evidence in a channel.

Rule kinds come in two flavours. The built-in kinds (inactivity, complaint, sla_breach, ...) each have their
own params. The data-driven kinds need no code for a new rule of the same shape: ``events`` counts rows of a
catalogued entity (tickets, orders, surveys, contact changes, shipments) that pass field tests within a
window; ``usage_growth`` and ``health_drop`` compare a series over time. The entity catalog below is the
vocabulary a rule may use; the loader refuses any other entity, field or test with the file and line.

One module because one pydantic schema of alerts.yaml (a params model per rule kind); the validators
cross-reference the kinds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    field_validator,
    model_validator,
)

from bot.policies.primitives import ChannelId, Duration, LocalTime, Slug, Strict, UserId

AlertSeverity = Literal["low", "medium", "high", "critical"]
SEVERITY_RANK: dict[str, int] = {"low": 0, "medium": 1, "high": 2, "critical": 3}
Signal = Literal["orders", "usage", "contact"]
SlaClock = Literal["first_response", "resolution"]
_ALL_SIGNALS: tuple[Signal, ...] = ("orders", "usage", "contact")
_BOTH_CLOCKS: tuple[SlaClock, ...] = ("first_response", "resolution")

# ---- the entity catalog of the ``events`` kind ------------------------------------------------------------
FieldType = Literal["text", "number", "time"]
EventEntity = Literal["tickets", "orders", "survey_responses", "contact_changes", "shipments"]
EVENT_FIELDS: dict[str, dict[str, FieldType]] = {
    "tickets": {
        "category": "text",
        "priority": "text",
        "status": "text",
        "sentiment": "number",
        "opened_at": "time",
        "first_response_at": "time",
        "resolved_at": "time",
    },
    "orders": {
        "status": "text",
        "currency": "text",
        "amount": "number",
        "ordered_at": "time",
        "due_at": "time",
        "paid_at": "time",
    },
    "survey_responses": {"survey": "text", "score": "number", "responded_at": "time"},
    "contact_changes": {"role": "text", "change": "text", "title": "text", "changed_at": "time"},
    "shipments": {
        "status": "text",
        "carrier": "text",
        "promised_at": "time",
        "shipped_at": "time",
        "delivered_at": "time",
        "days_late": "number",  # derived: (delivered, else now) - promised, in days
    },
}
# The time column ``within`` applies to.
EVENT_TIME: dict[str, str] = {
    "tickets": "opened_at",
    "orders": "ordered_at",
    "survey_responses": "responded_at",
    "contact_changes": "changed_at",
    "shipments": "promised_at",
}


def _shorthand(value: Any) -> Any:
    """``field: value`` means equal; ``field: [a, b]`` means one of them."""
    if isinstance(value, list):
        return {"in": value}
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return {"in": [value]}
    return value


class _FieldTest(Strict):
    """Tests on one field of an event row; all given tests must hold."""

    in_: list[str | float] | None = Field(default=None, alias="in", min_length=1)
    not_in: list[str | float] | None = Field(default=None, min_length=1)
    min: float | None = None
    max: float | None = None
    is_null: bool | None = None
    within: Duration | None = None  # time field at or after now - within
    older_than: Duration | None = None  # time field before now - older_than

    @model_validator(mode="after")
    def _something(self) -> _FieldTest:
        if all(getattr(self, f) is None for f in ("in_", "not_in", "min", "max", "is_null", "within", "older_than")):
            raise ValueError("empty test: give a value, a list, or one of min, max, not_in, is_null, within")
        return self

    def kinds(self) -> set[FieldType]:
        """Field types this test makes sense on."""
        if self.within is not None or self.older_than is not None:
            return {"time"}
        if self.min is not None or self.max is not None:
            return {"number"}
        if self.in_ is not None or self.not_in is not None:
            return {"text", "number"}
        return {"text", "number", "time"}


FieldTest = Annotated[_FieldTest, BeforeValidator(_shorthand)]


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


class UsageGrowthParams(Strict):
    """Usage in the last ``window_days`` at least ``percent`` above the daily average of the ``baseline_days``
    before (an expansion signal), for accounts with usage history covering the whole baseline;
    ``min_baseline_daily`` keeps tiny accounts' noise out."""

    percent: float = Field(gt=0, le=10_000)
    window_days: PositiveInt
    baseline_days: PositiveInt
    min_baseline_daily: NonNegativeFloat = 1.0

    @model_validator(mode="after")
    def _baseline_longer(self) -> UsageGrowthParams:
        if self.baseline_days <= self.window_days:
            raise ValueError("baseline_days must be longer than window_days")
        return self


class RenewalAtRiskParams(Strict):
    days: PositiveInt
    max_health: float = Field(ge=0, le=100)


class PaymentOverdueParams(Strict):
    days: PositiveInt
    min_amount: NonNegativeFloat = 0


class HealthDropParams(Strict):
    """The latest health snapshot at least ``points`` below the last one ``days`` or more ago."""

    points: PositiveInt = Field(le=100)
    days: PositiveInt
    max_score: int | None = Field(default=None, ge=0, le=100)  # only when the score is now this low


class EventsParams(Strict):
    """At least ``min_count`` rows of ``entity`` for the customer whose fields pass ``where``, with the entity's
    time within ``within`` (and their ``sum`` field adding up to ``min_sum``). ``open_while``: an open alert
    stays open, even after the window has passed, while such a row also passes these tests (a complaint
    stays open while its ticket is open)."""

    entity: EventEntity
    label: str = Field(min_length=1, max_length=80)  # what a match is called: "champion or sponsor left"
    where: dict[str, FieldTest] = Field(default_factory=dict)
    within: Duration
    min_count: PositiveInt = 1
    sum: str | None = None
    min_sum: NonNegativeFloat | None = None
    open_while: dict[str, FieldTest] | None = None

    @model_validator(mode="after")
    def _sum_pair(self) -> EventsParams:
        if (self.sum is None) != (self.min_sum is None):
            raise ValueError("sum and min_sum go together")
        return self


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


class UsageGrowthRule(_Rule):
    kind: Literal["usage_growth"]
    params: UsageGrowthParams


class RenewalAtRiskRule(_Rule):
    kind: Literal["renewal_at_risk"]
    params: RenewalAtRiskParams


class PaymentOverdueRule(_Rule):
    kind: Literal["payment_overdue"]
    params: PaymentOverdueParams


class HealthDropRule(_Rule):
    kind: Literal["health_drop"]
    params: HealthDropParams


class EventsRule(_Rule):
    kind: Literal["events"]
    params: EventsParams


AlertRule = Annotated[
    InactivityRule
    | ComplaintRule
    | SlaBreachRule
    | SlaImminentRule
    | UsageDropRule
    | UsageGrowthRule
    | RenewalAtRiskRule
    | PaymentOverdueRule
    | HealthDropRule
    | EventsRule,
    Field(discriminator="kind"),
]
ALERT_KINDS = (
    "inactivity",
    "complaint",
    "sla_breach",
    "sla_imminent",
    "usage_drop",
    "usage_growth",
    "renewal_at_risk",
    "payment_overdue",
    "health_drop",
    "events",
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
    # Digest-only rules that name an escalation channel escalate after this unless the rule sets its own.
    escalate_unacked_digest_after: Duration | None = None


class PriorityBand(Strict):
    """Alerts whose priority is at least ``min_score`` (and below the band above) interrupt a recipient only
    while the recipient has had fewer than ``interrupt_cap`` interruptions in the last 24 h (of any band), so
    lower bands can never use up what a higher band may still need. ``interrupt_cap: 0``: digest only.
    ``escalate: false``: its alerts never go to an escalation channel."""

    name: Slug
    min_score: NonNegativeFloat
    interrupt_cap: NonNegativeInt
    quiet_hours_bypass: bool = False
    # Whether its alerts escalate when nobody acknowledges them (rules with an escalation channel): the
    # lowest band's noise stays out of escalation channels.
    escalate: bool = True


class Priority(Strict):
    """priority = severity weight x tier weight x ARR factor, where the ARR factor is 1 + ARR / arr_unit,
    at most arr_factor_max. It orders digests and roll-ups and picks the band that decides interruption."""

    severity: dict[AlertSeverity, PositiveFloat]
    tier: dict[Slug, PositiveFloat]
    arr_unit: PositiveFloat = 100_000
    arr_factor_max: float = Field(default=5, ge=1)
    bands: list[PriorityBand] = Field(min_length=1)
    # Urgent alerts for these tiers interrupt even past their band's cap: the handbook never defers them.
    never_defer_tiers: list[Slug] = Field(default_factory=list)

    @field_validator("bands")
    @classmethod
    def _bands_descend(cls, bands: list[PriorityBand]) -> list[PriorityBand]:
        scores = [b.min_score for b in bands]
        if scores != sorted(scores, reverse=True) or len(set(scores)) != len(scores):
            raise ValueError("bands must be listed from the highest min_score down, each min_score once")
        if scores[-1] != 0:
            raise ValueError("the last band must have min_score 0 so every alert has a band")
        return bands

    def arr_factor(self, arr: float | None) -> float:
        return min(1 + max(arr or 0.0, 0.0) / self.arr_unit, self.arr_factor_max)

    def score(self, severity: str, tier: str, arr: float | None) -> float:
        sev = self.severity.get(severity, 1.0)  # type: ignore[call-overload]
        return sev * self.tier.get(tier, 1.0) * self.arr_factor(arr)

    def band(self, score: float) -> PriorityBand:
        for band in self.bands:
            if score >= band.min_score:
                return band
        return self.bands[-1]  # pragma: no cover - the last band starts at 0


class DigestPolicy(Strict):
    # Customer entries per digest message (the rest are summarised); default: per_recipient_daily_cap.
    # Each entry is two Block Kit blocks and a message holds 50, so at most 20.
    max_entries: PositiveInt | None = Field(default=None, le=20)


class SnoozePolicy(Strict):
    require_reason: bool = True
    # Snoozing an alert of this severity or above tells the snoozer's manager (None: never).
    notify_manager_from: AlertSeverity | None = "critical"
    managers: dict[Slug, UserId] = Field(default_factory=dict)  # role -> manager
    default_manager: UserId | None = None


class AlertPolicy(Strict):
    defaults: AlertDefaults
    priority: Priority | None = None  # None: every urgent alert interrupts, up to per_recipient_daily_cap
    digest: DigestPolicy = Field(default_factory=DigestPolicy)
    snooze: SnoozePolicy = Field(default_factory=SnoozePolicy)
    # Whose field access applies to evidence posted in a channel (ARR, amounts, health...); channels not
    # listed see only public fields.
    channel_roles: dict[ChannelId, Slug] = Field(default_factory=dict)
    rules: list[AlertRule] = Field(min_length=1)

    @property
    def ranking(self) -> Priority:
        """The priority in force: the file's, or one band that lets every urgent alert interrupt up to the cap."""
        if self.priority is not None:
            return self.priority
        return Priority(
            severity={"critical": 1, "high": 1, "medium": 1, "low": 1},
            tier={},
            arr_factor_max=1,
            bands=[
                PriorityBand(
                    name="all",
                    min_score=0,
                    interrupt_cap=self.defaults.per_recipient_daily_cap,
                    quiet_hours_bypass=self.defaults.quiet_hours.urgent_bypass,
                )
            ],
        )

    @property
    def digest_entries(self) -> int:
        return self.digest.max_entries or min(self.defaults.per_recipient_daily_cap, 20)

    def escalation_after(self, rule: _Rule) -> Any:
        """How long an alert of ``rule`` may sit unacknowledged after delivery before it escalates (None: never)."""
        if rule.recipients.escalation_channel is None:
            return None
        if rule.escalate_unacked_after is not None:
            return rule.escalate_unacked_after
        if rule.urgent:
            return self.defaults.escalate_unacked_urgent_after
        return self.defaults.escalate_unacked_digest_after

    def problems(
        self, tiers: set[str], users: set[str], roles: set[str], channels: set[str]
    ) -> Iterator[tuple[tuple[str | int, ...], str]]:
        """References a schema cannot check: tiers, roles and users named by priority, snooze and events rules."""
        if self.priority is not None:
            for tier in self.priority.tier:
                if tier not in tiers:
                    yield ("priority", "tier", tier), f"unknown tier {tier!r} (known: {', '.join(sorted(tiers))})"
            for tier in sorted(tiers - set(self.priority.tier)):
                yield ("priority", "tier"), f"no priority weight for tier {tier!r}"
            for sev in SEVERITY_RANK:
                if sev not in self.priority.severity:
                    yield ("priority", "severity"), f"no priority weight for severity {sev!r}"
            for i, tier in enumerate(self.priority.never_defer_tiers):
                if tier not in tiers:
                    yield ("priority", "never_defer_tiers", i), f"unknown tier {tier!r}"
            top = self.priority.bands[0].interrupt_cap
            if top > self.defaults.per_recipient_daily_cap:
                yield (
                    ("priority", "bands", 0, "interrupt_cap"),
                    f"interrupt_cap {top} is above per_recipient_daily_cap {self.defaults.per_recipient_daily_cap}",
                )
        for role, manager in self.snooze.managers.items():
            if role not in roles:
                yield ("snooze", "managers", role), f"unknown role {role!r} (known: {', '.join(sorted(roles))})"
            if manager not in users:
                yield ("snooze", "managers", role), f"{manager!r} is not in the staff roster"
        if self.snooze.default_manager is not None and self.snooze.default_manager not in users:
            yield ("snooze", "default_manager"), f"{self.snooze.default_manager!r} is not in the staff roster"
        for channel, role in self.channel_roles.items():
            if channel not in channels:
                yield ("channel_roles", channel), f"channel {channel!r} is not in channels.yaml"
            if role not in roles:
                yield ("channel_roles", channel), f"unknown role {role!r} (known: {', '.join(sorted(roles))})"
        for i, rule in enumerate(self.rules):
            if isinstance(rule, EventsRule):
                yield from _event_problems(i, rule.params)


def _event_problems(i: int, p: EventsParams) -> Iterator[tuple[tuple[str | int, ...], str]]:
    known = EVENT_FIELDS[p.entity]
    base: tuple[str | int, ...] = ("rules", i, "params")
    for section, tests in (("where", p.where), ("open_while", p.open_while or {})):
        for name, test in tests.items():
            kind = known.get(name)
            if kind is None:
                yield (*base, section, name), f"{p.entity} has no field {name!r} (known: {', '.join(known)})"
            elif kind not in test.kinds():
                yield (*base, section, name), f"{name!r} is a {kind} field; this test applies to {sorted(test.kinds())}"
    if p.sum is not None and known.get(p.sum) != "number":
        numbers = [f for f, k in known.items() if k == "number"]
        yield (*base, "sum"), f"sum needs a number field of {p.entity} (known: {', '.join(numbers)})"
