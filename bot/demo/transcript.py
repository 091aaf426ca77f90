"""A Slack message as the lines a reader sees: what ``rapport demo --check`` prints and the README shows.

Block Kit is read in order (sections and their fields, context lines, headers, buttons as ``[label]``);
emoji shortcodes become the emoji Slack shows (iamcal's table, as the sandbox page uses), and the three characters
Slack's text format escapes (``&lt;`` ``&gt;`` ``&amp;``) are shown as Slack shows them. Mrkdwn markers
(``*bold*``, ``<url|text>``) are left as Slack received them.
"""

from __future__ import annotations

import re
from typing import Any

from retrieval.markdown import unescape
from slackdouble.emoji_table import shortcodes

_SHORTCODE = re.compile(r":([a-z0-9_+\-']+):")
CITATION = re.compile(r"^\[\d+\] ")
# A citation's age ("· updated 3 days ago") changes with the date it is read on, not with the answer.
AGE = re.compile(r" · updated [^·]*$")


def emojize(text: str) -> str:
    names: dict[str, str] = shortcodes()["names"]
    return _SHORTCODE.sub(lambda m: names.get(m.group(1), m.group(0)), text)


def _texts(block: dict[str, Any]) -> list[str]:
    kind = block.get("type")
    if kind in ("section", "header"):
        out = [str((block.get("text") or {}).get("text") or "")]
        out += [str(f.get("text") or "") for f in block.get("fields") or []]
        return [t for t in out if t]
    if kind == "context":
        return [" ".join(str(e.get("text") or "") for e in block.get("elements") or [] if e.get("text"))]
    if kind == "actions":
        labels = [str((e.get("text") or {}).get("text") or "") for e in block.get("elements") or []]
        return ["  ".join(f"[{label}]" for label in labels if label)]
    if kind == "divider":
        return ["---"]
    return []


def message_lines(message: dict[str, Any]) -> list[str]:
    """Every line a reader sees in ``message`` (its blocks, else its text), emoji shown."""
    texts = [t for block in message.get("blocks") or [] for t in _texts(block)] or [str(message.get("text") or "")]
    return [unescape(emojize(line)) for text in texts for line in text.splitlines() if line.strip()]


def transcript(asker_text: str, reply: dict[str, Any]) -> list[str]:
    """The exchange as the README shows it: the question, then Rapport's reply in the thread, indented."""
    return [asker_text, "Rapport (in thread):", *(f"  {line}" for line in message_lines(reply))]


def comparable(lines: list[str]) -> tuple[str, list[str]]:
    """What must agree between a transcript and the README's copy of it: the answer's first line and the
    citations (without their ages)."""
    body = [line.strip() for line in lines[2:]]
    first = body[0] if body else ""
    citations = [AGE.sub("", line) for line in body if CITATION.match(line)]
    return first, citations
