"""Reading a customer's message: plain text for excerpts and ticket subjects, and the priority its words ask for.

Excerpts go into alerts, tickets and DMs, sometimes as a message's notification text, which Slack does not
escape: :func:`plain` turns Slack's markup into readable words and leaves no ``<``/``>`` at all, so a
customer's ``<!channel>`` or ``<https://evil|the contract>`` can never become live in anything Rapport sends.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from bot.mrkdwn import CHANNEL_REF, LINK, SPECIAL, USER_REF
from bot.policies.primitives import PRIORITIES, Priority

_SPACE = re.compile(r"\s+")
_ENTITIES = (("&lt;", "‹"), ("&gt;", "›"), ("&amp;", "&"))


def plain(text: str, limit: int = 300) -> str:
    """Slack message text as inert plain words: links as ``label (url)``, mentions as ``@name``, entities
    decoded to look-alikes, whitespace collapsed, cut at ``limit`` characters with an ellipsis."""
    text = LINK.sub(lambda m: f"{m[2]} ({m[1]})" if m[2] and m[2] != m[1] else m[1], text or "")
    text = USER_REF.sub(lambda m: "@" + (m[2] or m[1]), text)
    text = CHANNEL_REF.sub(lambda m: "#" + (m[2] or m[1]), text)
    text = SPECIAL.sub(lambda m: "@" + (m[2] or m[1].split("^")[0]), text)
    text = text.replace("<", "‹").replace(">", "›")
    for entity, shown in _ENTITIES:
        text = text.replace(entity, shown)
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _phrase(words: str) -> re.Pattern[str]:
    parts = [re.escape(w) for w in words.lower().split()]
    return re.compile(r"(?<![\w-])" + r"\s+".join(parts) + r"(?![\w-])")


def words_priority(text: str, words: Mapping[Priority, Sequence[str]]) -> str | None:
    """The highest priority (P1 first) whose words or phrases appear in ``text``; None when none do."""
    found = priority_said(text, words)
    return found[0] if found else None


def priority_said(text: str, words: Mapping[Priority, Sequence[str]]) -> tuple[str, str] | None:
    """The highest priority whose words appear in ``text``, and the phrase that says it ("P1", "down")."""
    lowered = (text or "").lower()
    for priority in PRIORITIES:
        for phrase in words.get(priority, ()):
            if phrase.strip() and _phrase(phrase).search(lowered):
                return priority, phrase
    return None


def higher(a: str, b: str) -> str:
    """The more urgent of two priorities (P1 beats P2)."""
    return min(a, b, key=PRIORITIES.index)
