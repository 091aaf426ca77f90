"""What the channels feature asks Slack, as a port: channel facts, members, users, one message, permalinks.

``bot.slack.notifier.SlackNotifier`` implements it (``conversations.info`` / ``conversations.members`` /
``users.info`` / ``conversations.history`` / ``chat.getPermalink``); unit tests pass a fake. Every method
returns ``None`` (or ``[]``) when Slack cannot say, never raises: the feature then works with what it has.
"""

from __future__ import annotations

from typing import Any, Protocol


class Directory(Protocol):
    def channel_info(self, channel: str) -> dict[str, Any] | None: ...

    def channel_members(self, channel: str, limit: int = 200) -> list[str]: ...

    def user_info(self, user: str) -> dict[str, Any] | None: ...

    def message(self, channel: str, ts: str) -> dict[str, Any] | None: ...

    def permalink(self, channel: str, ts: str) -> str | None: ...


class NoDirectory:
    """Slack unreachable or not needed (scheduled jobs, the CLI): nothing is known beyond the store."""

    def channel_info(self, channel: str) -> dict[str, Any] | None:
        return None

    def channel_members(self, channel: str, limit: int = 200) -> list[str]:
        return []

    def user_info(self, user: str) -> dict[str, Any] | None:
        return None

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        return None

    def permalink(self, channel: str, ts: str) -> str | None:
        return None
