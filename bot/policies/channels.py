"""Schema of ``channels.yaml``: the Slack channels Rapport posts to, the customer channels it watches, and
how customer channels are tracked (``customer_channels``: priorities, reactions, clocks)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from bot.policies.primitives import ChannelId, Duration, Priority, Strict


class AskSettings(Strict):
    """How Ask behaves in this channel (``/rapport config`` overrides it per channel; reset returns here)."""

    mode: Literal["mention", "questions"] = "mention"
    collections: list[str] = Field(default_factory=list)  # playbook folders or "tag:<tag>"; empty = all
    answers: Literal["public", "ephemeral"] = "public"
    card_roles: list[str] = Field(default_factory=list)  # roles that may see customer cards here; empty = all
    quiet: bool = False


class Channel(Strict):
    id: ChannelId
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,79}$")
    kind: Literal["escalation", "governance", "team", "alerts", "customer"]
    purpose: str = ""
    ask: AskSettings | None = None
    # kind customer: the customer this channel is shared with (external id, domain or exact name)
    customer: str | None = Field(default=None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _customer_only_for_customer_channels(self) -> Channel:
        if self.kind == "customer" and not self.customer:
            raise ValueError("a channel of kind customer needs `customer:` (an external id, domain or name)")
        if self.customer and self.kind != "customer":
            raise ValueError("`customer:` is only for channels of kind customer")
        return self


def _words() -> dict[Priority, list[str]]:
    return {
        "P1": ["down", "outage", "urgent", "emergency", "data loss", "security incident", "breach", "sev1"],
        "P2": ["broken", "not working", "failing", "fails", "error", "blocked", "degraded", "asap"],
        "P4": ["feature request", "how do i", "how do we", "fyi", "nice to have"],
    }


def _reactions() -> dict[str, Priority]:
    return {"rotating_light": "P1", "bangbang": "P1"}


class ComplaintSettings(Strict):
    """Complaint detection on customer messages (``bot.channels.complaints``)."""

    tiers: list[str] = Field(default_factory=lambda: ["platinum", "gold"])  # high-value: the tiers checked
    # P(complaint) from which a message counts as one; chosen by cross-validation on the exemplars
    # (benchmarks/channels_complaints.py measures it on a separate labelled set)
    threshold: float = Field(default=0.6, gt=0.0, lt=1.0)


class CustomerChannelSettings(Strict):
    """How a customer message in a customer channel becomes a conversation with a first-response clock."""

    default_priority: Priority = "P3"
    # Words (case-insensitive, whole words or phrases) that set a priority; the highest priority found wins.
    priority_words: dict[Priority, list[str]] = Field(default_factory=_words)
    priority_reactions: dict[str, Priority] = Field(default_factory=_reactions)
    resolve_reactions: list[str] = Field(default_factory=lambda: ["white_check_mark", "heavy_check_mark"])
    ticket_reactions: list[str] = Field(default_factory=lambda: ["ticket"])
    nudge_percent: int = Field(default=75, ge=1, le=99)  # the owner's DM at this share of the target
    resolve_after_quiet: Duration = dt.timedelta(days=2)
    # A customer's top-level messages this close together are one conversation (one clock).
    group_window: Duration = dt.timedelta(minutes=10)
    rate_limit_per_minute: int = Field(default=20, ge=1)  # per member and channel; beyond it: not tracked
    complaints: ComplaintSettings = Field(default_factory=ComplaintSettings)
    helpdesk_source: str | None = None  # a helpdesk source of sources.yaml that tickets are also created in


class ChannelsPolicy(Strict):
    channels: list[Channel] = Field(min_length=1)
    customer_channels: CustomerChannelSettings = Field(default_factory=CustomerChannelSettings)
