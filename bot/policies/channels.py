"""Schema of ``channels.yaml``: the Slack channels Rapport posts to."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bot.policies.primitives import ChannelId, Strict


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
    kind: Literal["escalation", "governance", "team", "alerts"]
    purpose: str = ""
    ask: AskSettings | None = None


class ChannelsPolicy(Strict):
    channels: list[Channel] = Field(min_length=1)
