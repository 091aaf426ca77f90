"""Block Kit building blocks shared by every feature's views (limits from SLACK.md enforced here)."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.mrkdwn import CHANNEL_ID, GROUP_ID, USER_ID, escape, mention
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


_TOKEN = re.compile(r"<([^<>]*)>")
_URL = re.compile(r"(?i:https?://|mailto:)[^\s<>|]+")
_LABEL = r"(?:\|[^|<>]*)?"
_KEEP = re.compile(
    rf"@{USER_ID.pattern}|!subteam\^{GROUP_ID.pattern}{_LABEL}|#{CHANNEL_ID.pattern}{_LABEL}|{_URL.pattern}{_LABEL}"
)


def defuse(mrkdwn: str | None) -> str:
    """Rapport's own composed mrkdwn (an answer from the playbooks, a policy finding, a notice a feature wrote),
    with only what Rapport itself writes left live: a mention of a well-formed user or group id, a channel link,
    an http(s) or mailto link. ``<!channel>``, ``<!here>``, ``<!everyone>`` and every other bracketed token
    become text. Features compose these texts with outside text already escaped; this is the view's own
    guard that nothing broadcasts under the bot's name whatever a feature let through."""
    if not mrkdwn:
        return ""
    out: list[str] = []
    at = 0
    for m in _TOKEN.finditer(mrkdwn):
        out.append(mrkdwn[at : m.start()].replace("<", "&lt;").replace(">", "&gt;"))
        out.append(m.group(0) if _KEEP.fullmatch(m.group(1)) else f"&lt;{m.group(1)}&gt;")
        at = m.end()
    out.append(mrkdwn[at:].replace("<", "&lt;").replace(">", "&gt;"))
    return "".join(out)


def fallback(text: str, blocks: list[Block] | None) -> str:
    """A message's notification text (``text`` beside the blocks, or the whole of a plain message), as the
    notifier sends it: defused, and with no live token the rendered blocks do not hold live too. A feature's
    fallback often quotes what its view escapes ("Hand-off: <the question>"); so it cannot ping anyone, or
    link anywhere, that the message itself does not."""
    safe = defuse(text)
    if blocks is None:
        return safe
    live = {token for shown in _mrkdwn(blocks) for token in _TOKEN.findall(shown)}
    return _TOKEN.sub(lambda m: m.group(0) if m.group(1) in live else f"&lt;{m.group(1)}&gt;", safe)


def _mrkdwn(node: Any) -> list[str]:
    """The mrkdwn texts of blocks (what Slack renders live; not block ids, values or plain_text)."""
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str) else []
        return own + [t for v in node.values() for t in _mrkdwn(v)]
    if isinstance(node, list):
        return [t for v in node for t in _mrkdwn(v)]
    return []


def link(url: str | None, label: str) -> str:
    """A link Rapport builds from trusted data (a citation, a thread): live only for an http(s) URL, its label
    escaped; anything else is the label alone, as text."""
    if url and _URL.fullmatch(url) and url.lower().startswith(("https://", "http://")):
        return f"<{url}|{inert(label).replace('|', '/')}>"
    return inert(label)


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
    ref = f" (reference `{inert(reference)}`)" if reference else ""
    return [section(f":warning: {defuse(message)}{ref}")]


def notice_blocks(notice: Notice) -> list[Block]:
    ref = f" (reference `{inert(notice.reference)}`)" if notice.reference else ""
    icon = ":warning: " if notice.warning and not notice.text.startswith(":") else ""
    return [section(f"{icon}{defuse(notice.text)}{ref}")]


render.register(Notice, notice_blocks)
