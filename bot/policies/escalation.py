"""Schema of ``escalation.yaml``: the severity x tier escalation matrix."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from bot.policies.primitives import ChannelId, Duration, Severity, Strict

_SPECIAL_TARGETS = ("owner", "on_duty")


def _check_target(value: str) -> str:
    if value in _SPECIAL_TARGETS or (value[:1] in ("U", "S") and value[1:].isalnum() and value.isupper()):
        return value
    raise ValueError(f"{value!r} is not a Slack user/group id (U0..., S0...), 'owner' or 'on_duty'")


EscalationTarget = Annotated[str, AfterValidator(_check_target)]


class EscalationStep(Strict):
    """One level of an escalation path. ``escalate_to`` is a user/group id, ``owner`` or ``on_duty``."""

    escalate_to: EscalationTarget
    channel: ChannelId
    within: Duration
    next_step: str = Field(min_length=1)


EscalationPath = Annotated[list[EscalationStep], Field(min_length=1)]


class EscalationPolicy(Strict):
    severities: dict[Severity, str]
    matrix: dict[str, dict[Severity, EscalationPath]] = Field(min_length=1)
