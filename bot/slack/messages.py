"""Reading Slack messages as a person sees them, whoever posted them.

Helpdesk, CRM and monitoring integrations often post with an empty or fallback-only ``text`` and put
the substance in legacy ``attachments`` or Block Kit ``blocks``; a human's message carries the same
words twice (``text`` and a ``rich_text`` block). ``message_text`` reads all three without repeating.
"""

from __future__ import annotations

from typing import Any

MAX_MESSAGE_CHARS = 4000  # what Rapport reads of one message; a question is capped at 2,000 downstream
ATTACHMENT_KEYS = ("pretext", "author_name", "title", "text")


def _rich_text(element: dict[str, Any]) -> str:
    """Text of a rich_text element tree (sections, lists, quotes, preformatted; links, users, emoji)."""
    kind = element.get("type")
    if kind == "text":
        return str(element.get("text") or "")
    if kind == "link":
        return str(element.get("text") or element.get("url") or "")
    if kind == "user":
        return f"<@{element.get('user_id', '')}>"
    if kind == "channel":
        return f"<#{element.get('channel_id', '')}>"
    if kind == "emoji":
        return f":{element.get('name', '')}:"
    children = element.get("elements") or []
    sep = "\n" if kind in ("rich_text", "rich_text_list") else ""
    return sep.join(_rich_text(c) for c in children if isinstance(c, dict))


def _text_obj(obj: Any) -> str:
    return str(obj.get("text") or "") if isinstance(obj, dict) else ""


def blocks_text(blocks: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for b in blocks:
        if not isinstance(b, dict):
            continue
        kind = b.get("type")
        if kind == "rich_text":
            out.append(_rich_text(b))
        elif kind in ("section", "header"):
            out.append(_text_obj(b.get("text")))
            out.extend(_text_obj(f) for f in b.get("fields") or [])
        elif kind == "context":
            out.extend(_text_obj(e) for e in b.get("elements") or [])
    return [t.strip() for t in out if t and t.strip()]


def attachments_text(attachments: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for a in attachments:
        if not isinstance(a, dict):
            continue
        parts = [str(a[k]) for k in ATTACHMENT_KEYS if a.get(k)]
        parts += [f"{f.get('title', '')}: {f.get('value', '')}" for f in a.get("fields") or [] if isinstance(f, dict)]
        parts += blocks_text(a.get("blocks") or [])
        if not parts and a.get("fallback"):
            parts.append(str(a["fallback"]))
        out.extend(p.strip() for p in parts if p.strip())
    return out


def message_text(message: dict[str, Any], limit: int = MAX_MESSAGE_CHARS) -> str:
    """The readable text of a message: its ``text``, then whatever its blocks and attachments add."""
    pieces: list[str] = []
    seen: set[str] = set()
    for piece in [str(message.get("text") or "")] + blocks_text(message.get("blocks") or []):
        piece = piece.strip()
        key = " ".join(piece.split())
        if piece and key not in seen and not any(key in s for s in seen):
            seen.add(key)
            pieces.append(piece)
    for piece in attachments_text(message.get("attachments") or []):
        key = " ".join(piece.split())
        if key not in seen:
            seen.add(key)
            pieces.append(piece)
    return "\n".join(pieces)[:limit]


def from_bot(message: dict[str, Any]) -> bool:
    """Posted by an app or integration rather than a person."""
    return bool(message.get("bot_id")) or message.get("subtype") == "bot_message"


def is_own(message: dict[str, Any], bot_user_id: str | None, bot_id: str | None) -> bool:
    """Rapport's own message (answers, placeholders, hand-offs): never something to answer."""
    return bool((bot_user_id and message.get("user") == bot_user_id) or (bot_id and message.get("bot_id") == bot_id))
