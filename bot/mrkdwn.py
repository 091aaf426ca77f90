"""Slack mrkdwn that features write into message text: mentions of people and groups, channel links, escaping.

Message text is Slack mrkdwn wherever it is shown, so the few constructs features need live here, once.
Text that came from a user, a customer or a data source goes through :func:`escape` before it is put in a
message, so it can never become a live ``<!channel>``, a mention or a disguised link. A mention or a channel
link is only made of a well-formed Slack id: anything else given as one is shown escaped, as text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")
GROUP_ID = re.compile(r"S[A-Z0-9]{2,30}")
CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,30}")

# Slack's markup in text people write (message events): links, user mentions, channel references and the special
# mentions (@here, a user group, a date), each with the label Slack shows, if any
LINK = re.compile(r"<(https?://[^|>]+|mailto:[^|>]+)(?:\|([^>]*))?>")
USER_REF = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
CHANNEL_REF = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")
SPECIAL = re.compile(r"<!(subteam\^[A-Z0-9]+|here|channel|everyone|date\^[^>]*)(?:\|([^>]*))?>")


def mention(principal: str | None, nobody: str = "someone") -> str:
    """``U…``/``W…`` -> a user mention, ``S…`` -> a user-group mention; ``nobody`` when there is none; any
    other value (not an id) as escaped text."""
    if not principal:
        return nobody
    if USER_ID.fullmatch(principal):
        return f"<@{principal}>"
    if GROUP_ID.fullmatch(principal):
        return f"<!subteam^{principal}>"
    return escape(principal)


_GROUP_MENTION = re.compile(r"<!subteam\^(S[A-Z0-9]{2,30})(?:\|[^>]*)?>")


def named_groups(text: str, handles: Mapping[str, str]) -> str:
    """``text`` with each group mention replaced by the group's handle in bold (``*@support-oncall*``; the id
    when its handle is unknown): the group is named and not notified. For answers to questions: asking who to
    escalate to must not page a whole team in the asker's channel; the hand-off and the approval, which ask the
    group to act, mention it where it acts. Only mentions this module made can be live in our text (outside text
    is escaped), so only those are replaced."""
    return _GROUP_MENTION.sub(lambda m: f"*@{escape(handles.get(m.group(1), m.group(1)))}*", text)


def channel_link(channel: str | None) -> str:
    if not channel:
        return "the channel"
    return f"<#{channel}>" if CHANNEL_ID.fullmatch(channel) else escape(channel)


def escape(text: str) -> str:
    """Slack's three control characters as entities: the text shows as typed and nothing in it is live."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def listed(items: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c": items (already formatted) as a sentence lists them."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def bold(text: str) -> str:
    """Outside text (a customer's name) in bold: escaped, and without asterisks of its own, which would end the
    bold early."""
    return f"*{escape(text).replace('*', '')}*"
