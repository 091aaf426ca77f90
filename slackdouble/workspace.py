"""In-memory model of one Slack workspace: users, channels, messages, views.

Not thread-safe by itself: `SlackDouble` guards every access with its lock.

One module because the in-memory model of one workspace; its collections reference each other (members,
channels, messages).
"""

from __future__ import annotations

import copy
import itertools
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

JSON = dict[str, Any]

# "@name" typed in a message: after the start, a space or an opening bracket (not inside an email address).
TYPED_MENTION = re.compile(r"(?<![^\s(\[])@([\w][\w.\-']*)")
BROADCASTS = ("here", "channel", "everyone")


def _tz_offset(tz: str) -> int:
    try:
        off = datetime.now(ZoneInfo(tz)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return 0
    return int(off.total_seconds()) if off is not None else 0


@dataclass
class User:
    id: str
    name: str
    real_name: str
    tz: str = "UTC"
    is_admin: bool = False
    is_bot: bool = False
    email: str | None = None
    bot_id: str | None = None
    team_id: str = ""
    is_restricted: bool = False  # a guest (multi-channel); ultra: a single-channel guest
    is_ultra_restricted: bool = False

    def to_api(self, include_email: bool = True) -> JSON:
        """The `user` object of users.info / users.list. The email is there only for a token holding
        ``users:read.email`` (Slack leaves it out otherwise)."""
        profile: JSON = {
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.name,
            "display_name_normalized": self.name,
            "first_name": self.real_name.split(" ")[0] if self.real_name else "",
            "last_name": " ".join(self.real_name.split(" ")[1:]),
            "team": self.team_id,
            "image_48": "",
        }
        if self.email and include_email:
            profile["email"] = self.email
        if self.bot_id:
            profile["bot_id"] = self.bot_id
        return {
            "id": self.id,
            "team_id": self.team_id,
            "name": self.name,
            "deleted": False,
            "color": "9f69e7",
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": self.tz,
            "tz_offset": _tz_offset(self.tz),
            "profile": profile,
            "is_admin": self.is_admin,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": self.is_restricted or self.is_ultra_restricted,
            "is_ultra_restricted": self.is_ultra_restricted,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 0,
        }


@dataclass
class Channel:
    id: str
    name: str
    is_im: bool = False
    is_mpim: bool = False
    is_private: bool = False
    user: str | None = None  # the other party of an IM with the bot
    members: set[str] | None = None  # None: everyone is a member
    created: int = field(default_factory=lambda: int(time.time()))
    topic: str = ""
    purpose: str = ""
    # Slack Connect: the other organisations' teams this channel is shared with (ours is not listed)
    shared_team_ids: list[str] = field(default_factory=list)

    @property
    def is_ext_shared(self) -> bool:
        return bool(self.shared_team_ids)

    @property
    def channel_type(self) -> str:
        """The `channel_type` field of message events."""
        if self.is_im:
            return "im"
        if self.is_mpim:
            return "mpim"
        return "group" if self.is_private else "channel"

    @property
    def kind(self) -> str:
        """The conversation type as conversations.list's `types` names it (and scopes are split by)."""
        if self.is_im:
            return "im"
        if self.is_mpim:
            return "mpim"
        return "private_channel" if self.is_private else "public_channel"

    def has_member(self, user_id: str) -> bool:
        return self.members is None or user_id in self.members

    def to_api(self, bot_user_id: str = "", team_id: str = "") -> JSON:
        data: JSON = {
            "id": self.id,
            "created": self.created,
            "is_archived": False,
            "is_org_shared": False,
            "is_shared": self.is_ext_shared,
            "is_ext_shared": self.is_ext_shared,
            "is_pending_ext_shared": False,
            "context_team_id": team_id,
            "updated": self.created * 1000,
        }
        if self.is_ext_shared:  # conversations.info on a Slack Connect channel: every team in it, ours first
            data["shared_team_ids"] = [team_id, *self.shared_team_ids] if team_id else list(self.shared_team_ids)
            data["connected_team_ids"] = list(self.shared_team_ids)
            data["conversation_host_id"] = team_id
            data["internal_team_ids"] = [team_id] if team_id else []
        if self.is_im:
            data.update({"is_im": True, "user": self.user, "is_open": True, "priority": 0})
            return data
        data.update(
            {
                "name": self.name,
                "name_normalized": self.name,
                "is_channel": not self.is_private and not self.is_mpim,
                "is_group": self.is_private and not self.is_mpim,
                "is_im": False,
                "is_mpim": self.is_mpim,
                "is_private": self.is_private or self.is_mpim,
                "is_general": self.name == "general",
                "is_member": self.has_member(bot_user_id),
                "topic": {"value": self.topic, "creator": "", "last_set": 0},
                "purpose": {"value": self.purpose, "creator": "", "last_set": 0},
                "num_members": len(self.members) if self.members is not None else None,
            }
        )
        return data


@dataclass
class Team:
    """Another organisation's workspace (Slack Connect): its members post in channels shared with ours."""

    id: str
    name: str
    domain: str  # the workspace's subdomain (acme -> acme.slack.com)


@dataclass
class UserGroup:
    """A user group (`<!subteam^S...>` in text), as usergroups.list returns it."""

    id: str
    handle: str
    name: str
    users: list[str] = field(default_factory=list)
    description: str = ""
    team_id: str = ""

    def to_api(self, include_users: bool = False) -> JSON:
        data: JSON = {
            "id": self.id,
            "team_id": self.team_id,
            "is_usergroup": True,
            "is_subteam": True,
            "name": self.name,
            "description": self.description,
            "handle": self.handle,
            "is_external": False,
            "date_create": 0,
            "date_update": 0,
            "date_delete": 0,
            "auto_type": None,
            "created_by": "",
            "updated_by": "",
            "deleted_by": None,
            "prefs": {"channels": [], "groups": []},
            "user_count": len(self.users),
        }
        if include_users:
            data["users"] = list(self.users)
        return data


@dataclass
class Message:
    channel: str
    ts: str
    text: str = ""
    user: str | None = None
    bot_id: str | None = None
    blocks: list[JSON] | None = None
    attachments: list[JSON] | None = None
    thread_ts: str | None = None
    parent_user_id: str | None = None
    reply_broadcast: bool = False
    ephemeral_for: str | None = None  # ephemeral: only this user sees it
    subtype: str | None = None
    reactions: dict[str, list[str]] = field(default_factory=dict)
    files: list[JSON] = field(default_factory=list)
    metadata: JSON | None = None
    edited: JSON | None = None
    replies: list[str] = field(default_factory=list)  # ts of replies, parent only
    team: str = ""
    app_id: str | None = None
    username: str | None = None

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    def to_api(self, replies: list[Message] | None = None) -> JSON:
        """The message object as Slack returns it (conversations.history, chat.postMessage, payloads)."""
        data: JSON = {"type": "message", "ts": self.ts, "text": self.text}
        if self.subtype:
            data["subtype"] = self.subtype
        if self.user:
            data["user"] = self.user
        if self.bot_id:
            data["bot_id"] = self.bot_id
            data["app_id"] = self.app_id
            if self.username:
                data["username"] = self.username
        if self.team:
            data["team"] = self.team
        if self.blocks is not None:
            data["blocks"] = copy.deepcopy(self.blocks)
        if self.attachments:
            data["attachments"] = copy.deepcopy(self.attachments)
        if self.files:
            data["files"] = copy.deepcopy(self.files)
            data["upload"] = False
        if self.metadata:
            data["metadata"] = copy.deepcopy(self.metadata)
        if self.edited:
            data["edited"] = dict(self.edited)
        if self.thread_ts:
            data["thread_ts"] = self.thread_ts
        if self.is_reply and self.parent_user_id:
            data["parent_user_id"] = self.parent_user_id
        if self.reactions:
            data["reactions"] = [
                {"name": name, "users": list(users), "count": len(users)} for name, users in self.reactions.items()
            ]
        if self.replies and replies is not None:
            data["reply_count"] = len(replies)
            data["reply_users"] = sorted({r.user or r.bot_id or "" for r in replies} - {""})
            data["reply_users_count"] = len(data["reply_users"])
            data["latest_reply"] = replies[-1].ts if replies else self.ts
        return data


@dataclass
class View:
    id: str
    type: str  # "modal" | "home"
    user: str
    spec: JSON  # the view as the app sent it
    hash: str
    root_view_id: str
    previous_view_id: str | None = None
    state: JSON = field(default_factory=dict)  # block_id -> action_id -> value object
    errors: dict[str, str] = field(default_factory=dict)  # response_action=errors
    closed: bool = False

    def to_api(self, team_id: str, app_id: str, bot_id: str) -> JSON:
        spec = self.spec
        return {
            "id": self.id,
            "team_id": team_id,
            "type": self.type,
            "title": copy.deepcopy(spec.get("title")),
            "submit": copy.deepcopy(spec.get("submit")),
            "close": copy.deepcopy(spec.get("close")),
            "blocks": copy.deepcopy(spec.get("blocks", [])),
            "private_metadata": spec.get("private_metadata", ""),
            "callback_id": spec.get("callback_id", ""),
            "external_id": spec.get("external_id", ""),
            "state": {"values": copy.deepcopy(self.state)},
            "hash": self.hash,
            "clear_on_close": bool(spec.get("clear_on_close", False)),
            "notify_on_close": bool(spec.get("notify_on_close", False)),
            "submit_disabled": bool(spec.get("submit_disabled", False)),
            "previous_view_id": self.previous_view_id,
            "root_view_id": self.root_view_id,
            "app_id": app_id,
            "app_installed_team_id": team_id,
            "bot_id": bot_id,
        }


class IdMaker:
    """Slack-looking, unique, readable ids."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def make(self, prefix: str) -> str:
        return f"{prefix}{next(self._counter):07d}{secrets.token_hex(1).upper()}"


class TsClock:
    """Message timestamps: "seconds.micros", unique and strictly increasing."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> str:
        now = int(time.time() * 1_000_000)
        self._last = max(now, self._last + 1)
        return f"{self._last // 1_000_000}.{self._last % 1_000_000:06d}"


class Workspace:
    """Users, channels, messages (with threads and ephemerals) and views of one team."""

    def __init__(self, team_id: str, team_domain: str, team_name: str) -> None:
        self.team_id = team_id
        self.team_domain = team_domain
        self.team_name = team_name
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.usergroups: dict[str, UserGroup] = {}
        self.teams: dict[str, Team] = {}  # other organisations' workspaces (Slack Connect)
        self.messages: dict[str, list[Message]] = {}  # channel -> top-level + replies, ts order
        self.views: dict[str, View] = {}
        self.modal_stacks: dict[str, list[str]] = {}  # user -> view ids, bottom first
        self.home_views: dict[str, str] = {}  # user -> view id
        self.files: dict[str, JSON] = {}
        self.ids = IdMaker()
        self.clock = TsClock()

    # --- users and channels -------------------------------------------------
    def find_channel(self, ref: str) -> Channel | None:
        """By id, or by name with or without '#'."""
        if ref in self.channels:
            return self.channels[ref]
        name = ref.lstrip("#")
        for ch in self.channels.values():
            if not ch.is_im and ch.name == name:
                return ch
        return None

    def encode_mentions(self, text: str) -> str:
        """What Slack's client sends for typed ``@name``: ``<@U..>`` for a member (names match
        case-insensitively, so ``@Rapport`` is the bot), ``<!subteam^S..>`` for a user group's handle,
        ``<!here>`` / ``<!channel>`` / ``<!everyone>``. Anything else stays as typed."""

        def token(name: str) -> str | None:
            key = name.lower()
            if key in BROADCASTS:
                return f"<!{key}>"
            for user in self.users.values():
                if user.name.lower() == key:
                    return f"<@{user.id}>"
            for group in self.usergroups.values():
                if group.handle.lower() == key:
                    return f"<!subteam^{group.id}>"
            return None

        def sub(match: re.Match[str]) -> str:
            name = match.group(1)
            # "@rapport." / "@ana.silva's": the longest known name ending before punctuation wins
            cuts = [len(name), *(i for i in range(len(name) - 1, 0, -1) if name[i] in ".-'")]
            for cut in cuts:
                found = token(name[:cut])
                if found is not None:
                    return found + name[cut:]
            return match.group(0)

        return TYPED_MENTION.sub(sub, text)

    def is_member(self, ch: Channel, user_id: str) -> bool:
        """Whether ``user_id`` is in ``ch``: a channel open to "everyone" is everyone *of this workspace*;
        members of other organisations are only in the channels shared with them."""
        if ch.members is not None:
            return user_id in ch.members
        user = self.users.get(user_id)
        return user is None or user.team_id in ("", self.team_id)

    def im_with(self, user_id: str) -> Channel | None:
        for ch in self.channels.values():
            if ch.is_im and ch.user == user_id:
                return ch
        return None

    def open_im(self, user_id: str, bot_user_id: str) -> tuple[Channel, bool]:
        """The bot's DM with `user_id`; (channel, already_existed)."""
        existing = self.im_with(user_id)
        if existing is not None:
            return existing, True
        ch = Channel(id=self.ids.make("D"), name=user_id, is_im=True, user=user_id, members={user_id, bot_user_id})
        self.channels[ch.id] = ch
        self.messages[ch.id] = []
        return ch, False

    # --- messages -----------------------------------------------------------
    def find_message(self, channel: str, ts: str) -> Message | None:
        for m in self.messages.get(channel, []):
            if m.ts == ts:
                return m
        return None

    def replies_of(self, parent: Message) -> list[Message]:
        out = []
        for ts in parent.replies:
            m = self.find_message(parent.channel, ts)
            if m is not None:
                out.append(m)
        return out

    def add_message(self, msg: Message) -> Message:
        """Store a message; if it is a thread reply, link it to its parent."""
        if msg.thread_ts and msg.thread_ts != msg.ts:
            parent = self.find_message(msg.channel, msg.thread_ts)
            if parent is not None and msg.ephemeral_for is None:
                parent.replies.append(msg.ts)
                if parent.thread_ts is None:
                    parent.thread_ts = parent.ts
                msg.parent_user_id = parent.user or parent.bot_id
        self.messages.setdefault(msg.channel, []).append(msg)
        return msg

    def delete_message(self, msg: Message) -> None:
        msgs = self.messages.get(msg.channel, [])
        if msg in msgs:
            msgs.remove(msg)
        if msg.is_reply and msg.thread_ts:
            parent = self.find_message(msg.channel, msg.thread_ts)
            if parent is not None and msg.ts in parent.replies:
                parent.replies.remove(msg.ts)

    def message_api(self, msg: Message) -> JSON:
        return msg.to_api(self.replies_of(msg) if msg.replies else None)
