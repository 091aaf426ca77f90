"""Schema of ``channels.yaml``: the Slack channels Rapport posts to."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bot.policies.primitives import ChannelId, Strict


class Channel(Strict):
    id: ChannelId
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,79}$")
    kind: Literal["escalation", "governance", "team", "alerts"]
    purpose: str = ""


class ChannelsPolicy(Strict):
    channels: list[Channel] = Field(min_length=1)
