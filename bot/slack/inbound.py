"""Every Slack payload Rapport handles, mapped to one typed request: the only place that reads Slack's shapes.

Listeners call these on Bolt's ``event`` / ``command`` / ``body`` / ``view`` and hand the typed request's plain
values to a feature. A payload missing what Slack always sends (a user, a channel) maps to ``None`` or an empty
field, never to a ``KeyError`` deep in a feature. Button values are read here too (:func:`button_refs`), in one
format for every feature plus the older forms buttons already posted in Slack still carry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot import mrkdwn
from retrieval.markdown import unescape

Payload = Mapping[str, Any]
_LEGACY_PAIR = re.compile(r"^(\d{1,12}):(\d{1,4})$")  # approval buttons posted before one format: "request:step"


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def question_text(text: str, bot_user: str | None) -> str:
    """A message as Ask reads it: Rapport's own mention dropped; a colleague's kept as Slack writes it (``<@U…>``,
    which Ask reads as that person); a link as its label, a channel and ``@here`` as words; Slack's escapes decoded
    ("Smith &amp; Sons" is the customer Smith & Sons, "ARR &gt; 100k" a bound). Ask treats the question as outside
    text: whatever of it an answer repeats is escaped there."""
    text = text or ""
    if bot_user:
        text = re.sub(rf"<@{re.escape(bot_user)}(?:\|[^>]*)?>", " ", text)
    text = mrkdwn.LINK.sub(lambda m: m[2] or m[1].removeprefix("mailto:"), text)
    text = mrkdwn.CHANNEL_REF.sub(lambda m: "#" + (m[2] or m[1]), text)
    text = mrkdwn.SPECIAL.sub(lambda m: "@" + (m[2] or m[1].split("^")[0]).lstrip("@"), text)
    return " ".join(unescape(text).split())


@dataclass(frozen=True)
class Message:
    """A message event (mention, DM, channel message, or the message a shortcut was used on)."""

    user: str
    channel: str
    ts: str
    text: str  # as typed, mentions included
    thread_ts: str | None  # the thread it was posted in (None at top level)
    channel_type: str = ""
    subtype: str | None = None
    bot_id: str | None = None
    team: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    user_team: str | None = None  # the author's own team: another organisation's in a Slack Connect channel
    files: tuple[str, ...] = ()  # names of the files attached

    @property
    def is_dm(self) -> bool:
        return self.channel_type == "im"

    @property
    def in_thread(self) -> bool:
        """A reply inside an existing thread (not the thread's first message)."""
        return bool(self.thread_ts) and self.thread_ts != self.ts

    @property
    def reply_ts(self) -> str | None:
        """Where an answer goes: the message's thread, or a new thread under the message; None (the channel
        itself) for an event that names neither (a mention without ``ts`` still gets its answer)."""
        return self.thread_ts or self.ts or None

    def mentions(self, user_id: str | None) -> bool:
        return bool(user_id) and f"<@{user_id}" in self.text


def message(event: Payload) -> Message | None:
    """``app_mention`` / ``message`` events; None when the event names no channel (nothing to answer in)."""
    channel = _str(event.get("channel"))
    if not channel:
        return None
    ts = _str(event.get("ts")) or _str(event.get("event_ts"))
    return Message(
        user=_str(event.get("user")),
        channel=channel,
        ts=ts,
        text=_str(event.get("text")),
        thread_ts=_str(event.get("thread_ts")) or None,
        channel_type=_str(event.get("channel_type")),
        subtype=_str(event.get("subtype")) or None,
        bot_id=_str(event.get("bot_id")) or None,
        team=_str(event.get("team")) or None,
        raw=dict(event),
        user_team=_str(event.get("user_team")) or None,
        files=_file_names(event.get("files")),
    )


def _file_names(files: Any) -> tuple[str, ...]:
    items = files if isinstance(files, list) else []
    return tuple(_str(f.get("name")) or _str(f.get("title")) or "file" for f in items if isinstance(f, dict))


@dataclass(frozen=True)
class Edit:
    """A ``message_changed`` event: the message before and after the edit."""

    channel: str
    new: Message
    old_text: str


def edit(event: Payload) -> Edit | None:
    channel = _str(event.get("channel"))
    new = _dict(event.get("message"))
    if not channel or not new:
        return None
    parsed = message({**new, "channel": channel, "channel_type": event.get("channel_type")})
    return Edit(channel, parsed, _str(_dict(event.get("previous_message")).get("text"))) if parsed else None


@dataclass(frozen=True)
class Command:
    """``/rapport WORD REST``."""

    user: str
    channel: str
    word: str  # lower-cased subcommand ("" for none)
    rest: str
    trigger_id: str | None
    response_url: str | None
    team: str | None


def command(cmd: Payload) -> Command:
    # Slack escapes "&", "<" and ">" in a command's text as in a message's: its features read what was typed
    # ("/rapport customer Smith &amp; Sons" is Smith & Sons); whatever of it a reply repeats is escaped there
    word, _, rest = unescape(_str(cmd.get("text"))).strip().partition(" ")
    return Command(
        user=_str(cmd.get("user_id")),
        channel=_str(cmd.get("channel_id")),
        word=word.lower(),
        rest=rest.strip(),
        trigger_id=_str(cmd.get("trigger_id")) or None,
        response_url=_str(cmd.get("response_url")) or None,
        team=_str(cmd.get("team_id")) or None,
    )


def button_refs(raw: str) -> dict[str, int]:
    """A button's value as named ids: ``{"q": 12, "c": 7}``.

    One format (a JSON object of ids, written by ``views.common.button``) plus the forms older messages still
    carry: a bare id (``"12"`` -> ``{"id": 12}``) and an approval's ``"request:step"`` (-> ``{"r": ..., "s": ...}``).
    Anything else (forged, truncated) is ``{}``; ids are never negative.
    """
    raw = (raw or "").strip()
    if raw.isdigit() and len(raw) <= 12:
        return {"id": int(raw)}
    pair = _LEGACY_PAIR.match(raw)
    if pair:
        return {"r": int(pair[1]), "s": int(pair[2])}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    if isinstance(data, int) and not isinstance(data, bool) and data >= 0:
        return {"id": data}
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, int) and not isinstance(v, bool) and v >= 0}


@dataclass(frozen=True)
class Click:
    """A ``block_actions`` payload: the first action, who clicked, and where."""

    user: str
    action_id: str
    value: str
    refs: dict[str, int]
    channel: str  # "" in App Home or a modal
    message_ts: str | None  # None for a click on an ephemeral message or in App Home
    thread_ts: str | None
    trigger_id: str | None
    response_url: str | None
    is_ephemeral: bool
    block_id: str = ""
    selected_user: str | None = None
    team: str | None = None

    def ref(self, name: str) -> int | None:
        """The named id, or the bare id an older button carried."""
        value = self.refs.get(name, self.refs.get("id"))
        return value if value else None

    @property
    def reply_thread(self) -> str | None:
        return self.thread_ts or self.message_ts


def click(body: Payload) -> Click:
    action = _dict((body.get("actions") or [{}])[0])
    container = _dict(body.get("container"))
    msg = _dict(body.get("message"))
    value = _str(action.get("value"))
    channel = _str(_dict(body.get("channel")).get("id")) or _str(container.get("channel_id"))
    ephemeral = bool(container.get("is_ephemeral"))
    return Click(
        user=_str(_dict(body.get("user")).get("id")),
        action_id=_str(action.get("action_id")),
        value=value,
        refs=button_refs(value),
        channel=channel,
        # An ephemeral message's container still names its timestamp, but no Web API call can edit it: None,
        # so features answer through the response_url instead.
        message_ts=None if ephemeral else (_str(msg.get("ts")) or _str(container.get("message_ts")) or None),
        thread_ts=_str(msg.get("thread_ts")) or _str(container.get("thread_ts")) or None,
        trigger_id=_str(body.get("trigger_id")) or None,
        response_url=_str(body.get("response_url")) or None,
        is_ephemeral=ephemeral,
        block_id=_str(action.get("block_id")),
        selected_user=_str(action.get("selected_user")) or None,
        team=_str(_dict(body.get("team")).get("id")) or None,
    )


@dataclass(frozen=True)
class Submission:
    """A ``view_submission``: the modal's inputs flattened to ``{block_id: value}`` and its metadata."""

    user: str
    callback_id: str
    values: dict[str, str]
    metadata: dict[str, Any]  # private_metadata as JSON; {} when absent or not JSON (never an error)

    def ref(self, name: str) -> int | None:
        value = self.metadata.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _input_value(element: dict[str, Any]) -> str:
    option = _dict(element.get("selected_option"))
    for value in (option.get("value"), element.get("value"), element.get("selected_user")):
        if isinstance(value, str):
            return value
    return ""


def submission(body: Payload, view: Payload) -> Submission:
    values: dict[str, str] = {}
    for block_id, actions in _dict(_dict(view.get("state")).get("values")).items():
        for element in _dict(actions).values():
            values[str(block_id)] = _input_value(_dict(element))
            break  # one input per block in every modal Rapport opens
    try:
        meta = json.loads(_str(view.get("private_metadata")) or "{}")
    except ValueError:
        meta = {}
    return Submission(
        user=_str(_dict(body.get("user")).get("id")),
        callback_id=_str(view.get("callback_id")),
        values=values,
        metadata=meta if isinstance(meta, dict) else {},
    )


@dataclass(frozen=True)
class Shortcut:
    """A message shortcut: who used it, on which message, and where to answer."""

    user: str
    channel: str
    message: dict[str, Any]
    reply_ts: str | None
    response_url: str | None


def shortcut(body: Payload) -> Shortcut:
    msg = _dict(body.get("message"))
    return Shortcut(
        user=_str(_dict(body.get("user")).get("id")),
        channel=_str(_dict(body.get("channel")).get("id")),
        message=msg,
        reply_ts=_str(msg.get("thread_ts")) or _str(msg.get("ts")) or None,
        response_url=_str(body.get("response_url")) or None,
    )


@dataclass(frozen=True)
class Reaction:
    """A ``reaction_added`` event on a message."""

    user: str
    name: str  # without colons; a skin tone stays as ``name::skin-tone-2``
    channel: str
    ts: str  # the message reacted to
    item_user: str | None


def reaction(event: Payload) -> Reaction | None:
    item = _dict(event.get("item"))
    if item.get("type") != "message" or not _str(item.get("channel")) or not _str(item.get("ts")):
        return None  # a reaction on a file or a file comment
    return Reaction(
        user=_str(event.get("user")),
        name=_str(event.get("reaction")),
        channel=_str(item.get("channel")),
        ts=_str(item.get("ts")),
        item_user=_str(event.get("item_user")) or None,
    )


@dataclass(frozen=True)
class Joined:
    """``channel_shared`` (another organisation joined the channel) or ``member_joined_channel``."""

    channel: str
    user: str | None  # member_joined_channel: who joined
    team: str | None  # their team (member_joined_channel) or the connected team (channel_shared)


def joined(event: Payload) -> Joined | None:
    channel = _str(event.get("channel"))
    if not channel:
        return None
    team = _str(event.get("connected_team_id")) or _str(event.get("team")) or None
    return Joined(channel, _str(event.get("user")) or None, team)


def ext_shared(body: Payload) -> bool:
    """The envelope's ``is_ext_shared_channel``: the event happened in a channel shared with another org."""
    return body.get("is_ext_shared_channel") is True


def home_team(body: Payload) -> str | None:
    """Our workspace's id: the installation an event is delivered for (``authorizations``: in a Slack Connect
    channel the envelope's ``team_id`` may be the other organisation's, whose member wrote the message), else
    as the envelope (or the interaction) names it."""
    auths = body.get("authorizations")
    first = _dict(auths[0]) if isinstance(auths, list) and auths else {}
    return _str(first.get("team_id")) or _str(body.get("team_id")) or _str(_dict(body.get("team")).get("id")) or None


@dataclass(frozen=True)
class Workspace:
    """The Slack workspace (and Enterprise Grid org) a request is for."""

    team: str | None
    enterprise: str | None


def workspace(body: Payload) -> Workspace:
    """Which installation a payload is for, read as Bolt reads it: a modal opened from another workspace of a
    Slack Connect channel names the installing one (``view.app_installed_team_id``); an interaction names the
    clicker's workspace (``team``); an event names the installation it is delivered for in ``authorizations``
    (its ``team_id`` may be the other organisation's in a shared channel); then ``team_id``, the user's
    ``team_id``, the view's. The enterprise from ``enterprise``, ``enterprise_id`` or the team's."""
    view = _dict(body.get("view"))
    team_field = body.get("team")
    auths = body.get("authorizations")
    first = _dict(auths[0]) if isinstance(auths, list) and auths else {}
    team = (
        _str(view.get("app_installed_team_id"))
        or (team_field if isinstance(team_field, str) else _str(_dict(team_field).get("id")))
        or _str(first.get("team_id"))
        or _str(body.get("team_id"))
        or _str(_dict(body.get("user")).get("team_id"))
        or _str(view.get("team_id"))
    )
    enterprise = (
        _str(first.get("enterprise_id"))
        or _str(_dict(body.get("enterprise")).get("id"))
        or _str(body.get("enterprise_id"))
        or _str(_dict(team_field).get("enterprise_id"))
        or _str(_dict(body.get("user")).get("enterprise_id"))
    )
    return Workspace(team or None, enterprise or None)


def event_id(body: Payload) -> str | None:
    """The envelope id Slack redelivers an event with (the dedupe key); None for everything but events."""
    if body.get("type") != "event_callback":
        return None
    return _str(body.get("event_id")) or None
