"""Block Kit building blocks shared by every feature's views (limits from SLACK.md enforced here)."""

from __future__ import annotations

import json
from typing import Any

from bot.mrkdwn import escape, mention
from bot.notify import Notice
from bot.slack.views.render import render

Block = dict[str, Any]
SECTION_LIMIT = 3000
BUTTON_TEXT_LIMIT = 75
VALUE_LIMIT = 2000
MAX_BLOCKS = 50


def inert(text: object) -> str:
    """Text that came from outside Rapport (what a user typed, a customer's name, a value from a data source),
    ready for mrkdwn: ``&``, ``<`` and ``>`` become entities, so ``<!channel>``, ``<@U…>``, ``<#C…>`` and
    ``<https://evil.example|the signed contract>`` show as typed and none of them is live (a link shows as its
    text). Every view passes such text through this one helper."""
    return "" if text is None else escape(str(text))


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def section(text: str, accessory: Block | None = None) -> Block:
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": clip(text or " ", SECTION_LIMIT)}}
    if accessory:
        block["accessory"] = accessory
    return block


def fields_section(pairs: list[tuple[str, str]]) -> Block:
    return {"type": "section", "fields": [{"type": "mrkdwn", "text": clip(f"*{k}*\n{v}", 2000)} for k, v in pairs[:10]]}


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(t, SECTION_LIMIT)} for t in texts[:10]]}


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, 150)}}


def divider() -> Block:
    return {"type": "divider"}


def button(
    text: str, action_id: str, value: str | dict[str, Any] = "", style: str | None = None, confirm: Block | None = None
) -> Block:
    raw = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    b: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": clip(text, BUTTON_TEXT_LIMIT)},
        "action_id": action_id,
        "value": clip(raw, VALUE_LIMIT),
    }
    if style:
        b["style"] = style
    if confirm:
        b["confirm"] = confirm
    return b


def actions(*elements: Block, block_id: str | None = None) -> Block:
    b: Block = {"type": "actions", "elements": list(elements)[:25]}
    if block_id:
        b["block_id"] = block_id[:255]
    return b


def cap(blocks: list[Block]) -> list[Block]:
    """Never exceed Slack's 50-block message limit: keep the head and say what was cut."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    return [*blocks[: MAX_BLOCKS - 1], context(f"…{len(blocks) - MAX_BLOCKS + 1} more items not shown")]


def user(uid: str | None) -> str:
    return mention(uid, nobody="_unassigned_")


def error_blocks(message: str, reference: str | None = None) -> list[Block]:
    ref = f" (reference `{reference}`)" if reference else ""
    return [section(f":warning: {message}{ref}")]


def notice_blocks(notice: Notice) -> list[Block]:
    ref = f" (reference `{notice.reference}`)" if notice.reference else ""
    icon = ":warning: " if notice.warning and not notice.text.startswith(":") else ""
    return [section(f"{icon}{notice.text}{ref}")]


render.register(Notice, notice_blocks)
