"""OAuth scopes: which scope each Web API method the double implements needs, and what the app's
manifest grants. Slack refuses a call whose scope the token lacks with ``missing_scope``,
naming what was `needed` and what was `provided`; the double does the same, so a test catches a
call the manifest does not allow before a real workspace does.

Scopes per method follow Slack's method reference (https://api.slack.com/methods). Methods on
conversations need the scope of the conversation's kind (public, private, DM, group DM).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

# The manifest Rapport ships (bot/slack/manifest.yaml): the double enforces it by default.
APP_MANIFEST = ("bot", "slack/manifest.yaml")

# method -> scope (one for every conversation kind: a scope per kind, below)
_FIXED: dict[str, str | None] = {
    "api.test": None,
    "auth.test": None,
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.delete": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.getPermalink": None,
    "views.open": None,
    "views.push": None,
    "views.update": None,
    "views.publish": None,
    "users.info": "users:read",
    "users.list": "users:read",
    "users.lookupByEmail": "users:read.email",
    "usergroups.list": "usergroups:read",
    "usergroups.users.list": "usergroups:read",
    "reactions.add": "reactions:write",
    "reactions.remove": "reactions:write",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
    "files.info": "files:read",
    "apps.connections.open": "connections:write",  # app-level token (xapp-) only
}

# conversation kind (as conversations.list's `types` names it) -> scope, per family of methods
KINDS = ("public_channel", "private_channel", "im", "mpim")
_READ = {"public_channel": "channels:read", "private_channel": "groups:read", "im": "im:read", "mpim": "mpim:read"}
_HISTORY = {
    "public_channel": "channels:history",
    "private_channel": "groups:history",
    "im": "im:history",
    "mpim": "mpim:history",
}
_BY_KIND: dict[str, dict[str, str]] = {
    "conversations.info": _READ,
    "conversations.list": _READ,
    "conversations.members": _READ,
    "conversations.history": _HISTORY,
    "conversations.replies": _HISTORY,
}
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
APP_TOKEN_SCOPES = frozenset({"connections:write"})  # what an app-level token for Socket Mode is given

# Events an app receives only with a scope (Slack's event reference): a subscription needs it, and without it
# the event is never sent. For channel events, the scope of the channel's kind.
EVENT_SCOPES: dict[str, dict[str, str] | str] = {
    "reaction_added": "reactions:read",
    "reaction_removed": "reactions:read",
    "channel_shared": _READ,
    "channel_unshared": _READ,
    "member_joined_channel": _READ,
}

# Every scope a method the double implements can need: grant these to switch enforcement off.
ALL_SCOPES = frozenset(
    {s for s in _FIXED.values() if s}
    | {s for table in _BY_KIND.values() for s in table.values()}
    | {"im:write", "mpim:write", "users:read.email"}
    | {"reactions:read"}
)


def event_scope(event_type: str, kind: str = "public_channel") -> str | None:
    """The scope an app needs to be sent ``event_type`` in a conversation of ``kind`` (None: no scope)."""
    need = EVENT_SCOPES.get(event_type)
    if isinstance(need, dict):
        return need.get(kind)
    return need


def needed_scopes(method: str, kinds: Iterable[str] = ()) -> tuple[str, ...]:
    """The scopes `method` needs (all of them); `kinds` are the conversation kinds it touches.

    conversations.open needs ``im:write`` for a DM and ``mpim:write`` for a group DM (kind "mpim");
    conversations.list needs the read scope of every kind its `types` asks for.
    """
    kinds = tuple(kinds) or ("public_channel",)
    if method == "conversations.open":
        return ("mpim:write",) if "mpim" in kinds else ("im:write",)
    table = _BY_KIND.get(method)
    if table is not None:
        return tuple(dict.fromkeys(table[k] for k in kinds if k in table))
    scope = _FIXED.get(method)
    return (scope,) if scope else ()


def app_manifest_path() -> Path:
    """Rapport's manifest, found beside the installed `bot` package without importing any of its code."""
    spec = importlib.util.find_spec(APP_MANIFEST[0])
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("Rapport's bot package (and its slack/manifest.yaml) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / APP_MANIFEST[1]


def manifest_scopes(manifest: dict[str, Any] | str | Path | None = None) -> frozenset[str]:
    """The bot scopes a manifest requests (`oauth_config.scopes.bot`); default: Rapport's own manifest."""
    data = (
        manifest
        if isinstance(manifest, dict)
        else yaml.safe_load(Path(manifest or app_manifest_path()).read_text(encoding="utf-8"))
    )
    scopes = ((data or {}).get("oauth_config") or {}).get("scopes") or {}
    return frozenset(str(s) for s in scopes.get("bot") or [])
