"""Slack mrkdwn that features write into message text: mentions of people and groups, channel links, escaping.

Message text is Slack mrkdwn wherever it is shown, so the few constructs features need live here, once.
Text that came from a user, a customer or a data source goes through :func:`escape` before it is put in a
message, so it can never become a live ``<!channel>``, a mention or a disguised link.
"""

from __future__ import annotations


def mention(principal: str | None, nobody: str = "someone") -> str:
    """``U…``/``W…`` -> a user mention, ``S…`` -> a user-group mention; ``nobody`` when there is none."""
    if not principal:
        return nobody
    return f"<!subteam^{principal}>" if principal.startswith("S") else f"<@{principal}>"


def channel_link(channel: str | None) -> str:
    return f"<#{channel}>" if channel else "the channel"


def escape(text: str) -> str:
    """Slack's three control characters as entities: the text shows as typed and nothing in it is live."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
