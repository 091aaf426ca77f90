"""Schema of ``approvals.yaml``: the approval policy matrix, and the route it yields."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field, NonNegativeFloat, PositiveInt, StringConstraints, model_validator

from bot.policies.primitives import ChannelId, Duration, Principal, Risk, Slug, Strict

RequestType = Literal[
    "discount",
    "custom_terms",
    "expedited_fulfilment",
    "sla_exception",
    "special_handling",
    "data_access",
    "tier_override",
]
REQUEST_TYPES: tuple[RequestType, ...] = (
    "discount",
    "custom_terms",
    "expedited_fulfilment",
    "sla_exception",
    "special_handling",
    "data_access",
    "tier_override",  # a customer served by another tier than placement gives it, for at most two quarters
)


class Condition(Strict):
    max_amount: NonNegativeFloat | None = None
    max_percent: float | None = Field(default=None, ge=0, le=100)
    tiers: list[Slug] | None = None
    regions: list[Slug] | None = None
    risk: list[Risk] | None = None

    def matches(
        self,
        amount: float | None,
        percent: float | None,
        tier: str | None,
        region: str | None,
        risk: Risk,
    ) -> bool:
        if self.max_amount is not None and (amount is None or amount > self.max_amount):
            return False
        if self.max_percent is not None and (percent is None or percent > self.max_percent):
            return False
        if self.tiers is not None and tier not in self.tiers:
            return False
        if self.regions is not None and region not in self.regions:
            return False
        return self.risk is None or risk in self.risk


class ApprovalStep(Strict):
    name: str = Field(min_length=1)
    approvers: Principal
    channel: ChannelId
    quorum: Literal["any"] | PositiveInt = "any"
    timeout: Duration
    reminder_after: Duration
    escalate_to: Principal

    @model_validator(mode="after")
    def _remind_before_timeout(self) -> ApprovalStep:
        if self.reminder_after >= self.timeout:
            raise ValueError("reminder_after must be shorter than timeout")
        return self

    @property
    def required_approvals(self) -> int:
        return 1 if self.quorum == "any" else self.quorum


class ApprovalRule(Strict):
    name: Slug
    when: Condition | None = None
    auto_approve: bool = False
    steps: list[ApprovalStep] = Field(default_factory=list)

    @model_validator(mode="after")
    def _auto_xor_steps(self) -> ApprovalRule:
        if self.auto_approve and self.steps:
            raise ValueError("a rule either auto-approves or has steps, not both")
        if not self.auto_approve and not self.steps:
            raise ValueError("a rule needs `auto_approve: true` or at least one step")
        return self


Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=10)]


class SeparationOfDuties(Strict):
    """By default one person decides at most one step of a request, even when they belong to the
    approver groups of several steps. ``relaxed`` lists the request types whose steps one person may
    decide more than one of, each with the reason (recorded with every request of that type)."""

    relaxed: dict[RequestType, Reason] = Field(default_factory=dict)


class ApprovalPolicy(Strict):
    measures: dict[RequestType, dict[str, str]] = Field(default_factory=dict)
    separation_of_duties: SeparationOfDuties = Field(default_factory=SeparationOfDuties)
    request_types: dict[RequestType, list[ApprovalRule]]

    def one_step_per_person(self, request_type: str) -> bool:
        """Whether a person may decide at most one step of a request of ``request_type`` (the default)."""
        return request_type not in self.separation_of_duties.relaxed


@dataclass(frozen=True)
class ApprovalRoute:
    """What :meth:`Policies.approval_route` returns: auto-approved, or the steps to run in order."""

    request_type: RequestType
    rule: str
    auto_approved: bool
    steps: tuple[ApprovalStep, ...]
