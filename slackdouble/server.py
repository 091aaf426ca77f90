"""`SlackDouble`: a local stand-in for Slack (Web API + request delivery + sandbox web page).

One module because the HTTP server, request delivery and the sandbox page share one lock and one
workspace; split, every handler would take the lock through another module.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import mimetypes
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple

from slackdouble import payloads as P
from slackdouble.api import ApiError, ResponseTarget, WebApi, as_bool, normalize_params
from slackdouble.connect import SlackConnect
from slackdouble.emoji_table import shortcodes_json
from slackdouble.scopes import event_scope as scope_for_event
from slackdouble.scopes import manifest_scopes
from slackdouble.signing import sign
from slackdouble.socket_mode import SocketModeHub, envelope_for
from slackdouble.workspace import Channel, Message, User, UserGroup, View, Workspace

JSON = dict[str, Any]
log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
READ_ONLY_METHODS = {
    "api.test",
    "auth.test",
    "users.info",
    "users.list",
    "users.lookupByEmail",
    "usergroups.list",
    "usergroups.users.list",
    "conversations.info",
    "conversations.list",
    "conversations.history",
    "conversations.replies",
    "chat.getPermalink",
    "files.info",
}
RESPONSE_URL_MAX_USES = 5
RESPONSE_URL_TTL = 30 * 60


class Call(NamedTuple):
    """One recorded Web API call (or `response_url` post): (method, params, timestamp)."""

    method: str
    params: JSON
    timestamp: float


@dataclass
class Fault:
    status: int
    retry_after: int
    times: int
    error: str
    channel: str | None = None  # only calls about this channel fail (others, e.g. scheduled posts, go through)


@dataclass
class Delivery:
    """What the bot answered to one request the double delivered. Unpacks as (status, body)."""

    kind: str
    status: int
    body: str
    request_body: str = ""
    content_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    event_id: str | None = None
    ts: str | None = None  # the stored message (send_message)
    trigger_id: str | None = None
    response_url: str | None = None
    followups: list[Delivery] = field(default_factory=list)
    elapsed: float = 0.0

    def __iter__(self) -> Iterator[Any]:
        yield self.status
        yield self.body

    @property
    def ok(self) -> bool:
        """True when this and every follow-up delivery got a 2xx."""
        return 200 <= self.status < 300 and all(f.ok for f in self.followups)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class SlackDouble(SlackConnect):
    """A local Slack: Web API at ``/api/<method>``, signed deliveries to the bot, a sandbox page at ``/``.

    >>> double = SlackDouble("secret", bot_url="http://127.0.0.1:3000/slack/events").start()
    >>> double.add_user("U1", "ana", tz="Europe/Lisbon"); double.add_channel("C1", "support")
    >>> double.send_message("U1", "C1", "<@U0RAPPORTBOT> hi")
    >>> double.wait_for("chat.postMessage")
    """

    def __init__(
        self,
        signing_secret: str,
        bot_url: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        team_id: str = "T0RAPPORT",
        team_domain: str = "rapport-sandbox",
        team_name: str = "Rapport Sandbox",
        bot_user_id: str = "U0RAPPORTBOT",
        bot_id: str = "B0RAPPORT",
        bot_name: str = "rapport",
        api_app_id: str = "A0RAPPORT",
        bot_token: str | None = None,
        trigger_ttl: float = 3.0,
        delivery_timeout: float = 10.0,
        scopes: Iterable[str] | None = None,
        socket_mode: bool = False,
        app_token: str | None = None,
    ) -> None:
        """`scopes`: what the bot token is granted (default: the bot scopes of Rapport's manifest,
        bot/slack/manifest.yaml); a call needing another is refused with ``missing_scope``.
        `socket_mode`: deliver over Socket Mode (the app connects with an `xapp-` token through
        ``apps.connections.open``) instead of POSTing to `bot_url`. `bot_token` / `app_token`:
        accept only these tokens (default: any ``xoxb-`` / ``xapp-`` token)."""
        self.signing_secret = signing_secret
        self.bot_url = bot_url
        self.host = host
        self.port = port
        self.bot_token = bot_token
        self.app_token = app_token
        self.socket_mode = socket_mode
        self.delivery_timeout = delivery_timeout
        self.app = P.AppIdentity(
            team_id=team_id, team_domain=team_domain, api_app_id=api_app_id, bot_user_id=bot_user_id, bot_id=bot_id
        )
        self.lock = threading.RLock()
        self._changed = threading.Condition(self.lock)
        self.version = 0
        self.workspace = Workspace(team_id, team_domain, team_name)
        self.socket = SocketModeHub(host, api_app_id)
        self.api = WebApi(
            self.workspace,
            self.app,
            base_url=lambda: self.url,
            trigger_ttl=trigger_ttl,
            scopes=frozenset(scopes) if scopes is not None else manifest_scopes(),
            socket_url=self.socket.open_url,
        )
        self._calls: list[Call] = []
        self._faults: dict[str, list[Fault]] = {}
        self.deliveries: list[Delivery] = []
        self.scope_refusals: list[tuple[str, str]] = []  # (method, needed scope): calls refused with missing_scope
        self.withheld_events: list[tuple[str, str]] = []  # (event type, scope): events the app may not receive
        self.notices: list[JSON] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.workspace.users[bot_user_id] = User(
            id=bot_user_id, name=bot_name, real_name=bot_name.capitalize(), is_bot=True, bot_id=bot_id, team_id=team_id
        )

    # --- lifecycle --------------------------------------------------------------------
    def start(self) -> SlackDouble:
        """Serve in a background thread; returns self. `port=0` picks a free port."""
        if self._server is not None:
            return self
        handler = type("BoundHandler", (_Handler,), {"double": self})
        self._server = ThreadingHTTPServer((self.host, self.port), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._stopping = False
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="slackdouble", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        with self.lock:
            self._stopping = True
            self._changed.notify_all()
        self.socket.stop()
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def wait_connected(self, count: int = 1, timeout: float = 10.0) -> bool:
        """Socket Mode: block until `count` app connections are open."""
        return self.socket.wait_connected(count, timeout)

    def serve_forever(self) -> None:
        """Block until interrupted (for the standalone entry)."""
        self.start()
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> SlackDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    @property
    def bot_user_id(self) -> str:
        return self.app.bot_user_id

    @property
    def team_id(self) -> str:
        return self.app.team_id

    def touch(self) -> None:
        """Mark the workspace changed (wakes the page's long-poll)."""
        with self.lock:
            self.version += 1
            self._changed.notify_all()

    # --- seeding -------------------------------------------------------------------------
    def add_user(
        self,
        id: str,
        name: str,
        real_name: str | None = None,
        tz: str = "UTC",
        is_admin: bool = False,
        email: str | None = None,
        team_id: str | None = None,
        guest: bool = False,
    ) -> User:
        """A member: of this workspace, or with `team_id` of another organisation's (see ``add_team``);
        `guest`: a single-channel guest of this workspace (``is_ultra_restricted``)."""
        user = User(
            id=id,
            name=name,
            real_name=real_name or name,
            tz=tz,
            is_admin=is_admin,
            email=email,
            team_id=team_id or self.team_id,
            is_ultra_restricted=guest,
        )
        with self.lock:
            self.workspace.users[id] = user
        self.touch()
        return user

    def add_channel(
        self,
        id: str,
        name: str,
        is_im: bool = False,
        *,
        is_private: bool = False,
        members: list[str] | None = None,
        user: str | None = None,
        topic: str = "",
    ) -> Channel:
        """A channel. `members=None` means everyone, the bot included. An IM needs `user` (the human)."""
        if is_im:
            member_set: set[str] | None = {u for u in (user, self.bot_user_id) if u}
        else:
            member_set = set(members) if members is not None else None
        ch = Channel(id=id, name=name, is_im=is_im, is_private=is_private, user=user, members=member_set, topic=topic)
        with self.lock:
            self.workspace.channels[id] = ch
            self.workspace.messages.setdefault(id, [])
        self.touch()
        return ch

    def add_usergroup(self, id: str, handle: str, name: str = "", users: Iterable[str] = ()) -> UserGroup:
        """A user group: `<!subteam^id>` shows as ``@handle``; typing ``@handle`` mentions it."""
        group = UserGroup(id=id, handle=handle, name=name or handle, users=list(users), team_id=self.team_id)
        with self.lock:
            self.workspace.usergroups[id] = group
        self.touch()
        return group

    def im_channel(self, user: str) -> str:
        """The id of the bot's DM with `user` (created if needed, as conversations.open does)."""
        with self.lock:
            ch, existed = self.workspace.open_im(user, self.bot_user_id)
        if not existed:
            self.touch()
        return ch.id

    # --- recorded calls and fault injection ---------------------------------------------------
    @property
    def calls(self) -> list[Call]:
        with self.lock:
            return list(self._calls)

    def calls_for(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self._calls if c.method == method]

    def clear_calls(self) -> None:
        with self.lock:
            self._calls.clear()
            self.deliveries.clear()
            self.scope_refusals.clear()

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,
        where: Callable[[JSON], bool] | None = None,
    ) -> list[Call]:
        """Block until at least `count` calls of `method` (matching `where`) were recorded."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                found = [c for c in self._calls if c.method == method and (where is None or where(c.params))]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [c.method for c in self._calls]
                    raise TimeoutError(f"{method} x{count} not called within {timeout}s; calls: {seen}")
                self._changed.wait(left)

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int = 1,
        times: int = 1,
        error: str | None = None,
        channel: str | None = None,
    ) -> None:
        """The next `times` calls of `method` ("*" for any) fail: 429 with Retry-After, 5xx, or
        (status 200) ``{"ok": false, "error": error}``; with `channel`, only calls about that channel."""
        default = "ratelimited" if status == 429 else "internal_error" if status >= 500 else "fatal_error"
        with self.lock:
            self._faults.setdefault(method, []).append(Fault(status, retry_after, times, error or default, channel))

    def _take_fault(self, method: str, params: JSON | None = None) -> Fault | None:
        channel = str((params or {}).get("channel") or "")
        for key in (method, "*"):
            queue = [f for f in self._faults.get(key) or [] if f.channel is None or f.channel == channel]
            if queue:
                fault = queue[0]
                fault.times -= 1
                if fault.times <= 0:
                    self._faults[key].remove(fault)
                return fault
        return None

    def handle_api(self, method: str, params: JSON, token: str | None) -> tuple[int, JSON, dict[str, str]]:
        """Record and answer one Web API call: (HTTP status, body, extra headers)."""
        with self.lock:
            self._calls.append(Call(method, copy.deepcopy(params), time.time()))
            fault = self._take_fault(method, params)
            if fault is not None:
                self._changed.notify_all()
                headers = {"Retry-After": str(fault.retry_after)} if fault.status == 429 else {}
                return fault.status, {"ok": False, "error": fault.error}, headers
            app_token = bool(token and token.startswith("xapp-"))
            expected = self.app_token if app_token else self.bot_token
            if not token:
                body: JSON = {"ok": False, "error": "not_authed"}
            elif expected is not None and token != expected:
                body = {"ok": False, "error": "invalid_auth"}
            else:
                body = self.api.call(method, params, app_token=app_token)
                if body.get("error") == "missing_scope":
                    self.scope_refusals.append((method, str(body.get("needed"))))
                    log.warning("refused %s: missing_scope %s (not granted by the manifest)", method, body["needed"])
            if method not in READ_ONLY_METHODS:
                self.version += 1
            self._changed.notify_all()
            headers = {"X-OAuth-Scopes": ",".join(sorted(self.api.granted(app_token)))}
            return 200, body, headers

    # --- workspace read helpers -------------------------------------------------------------------
    def messages(self, channel: str, *, include_replies: bool = True, include_ephemeral: bool = False) -> list[JSON]:
        """Messages of a channel, oldest first, as Slack's message objects (plus `ephemeral_for`)."""
        with self.lock:
            ch = self.workspace.find_channel(channel)
            if ch is None:
                return []
            out = []
            for m in self.workspace.messages.get(ch.id, []):
                if m.ephemeral_for is not None and not include_ephemeral:
                    continue
                if m.is_reply and not include_replies:
                    continue
                data = self.workspace.message_api(m)
                data["channel"] = ch.id
                if m.ephemeral_for:
                    data["ephemeral_for"] = m.ephemeral_for
                out.append(data)
            return out

    def thread(self, channel: str, ts: str) -> list[JSON]:
        """Parent and replies of a thread, oldest first."""
        with self.lock:
            parent = self.workspace.find_message(channel, ts)
            if parent is None:
                return []
            return [self.workspace.message_api(m) for m in [parent, *self.workspace.replies_of(parent)]]

    def file(self, file_id: str) -> JSON | None:
        """A shared file's metadata as files.info returns it (the bot itself needs files:read for that)."""
        with self.lock:
            meta = self.workspace.files.get(file_id)
            return copy.deepcopy(meta) if meta is not None else None

    def view(self, view_id: str) -> JSON | None:
        with self.lock:
            v = self.workspace.views.get(view_id)
            return self.api.view_api(v) if v is not None else None

    def open_modals(self, user: str) -> list[JSON]:
        """The user's modal stack, bottom first."""
        with self.lock:
            return [self.api.view_api(self.workspace.views[v]) for v in self.workspace.modal_stacks.get(user, [])]

    def home_view(self, user: str) -> JSON | None:
        with self.lock:
            vid = self.workspace.home_views.get(user)
            return self.api.view_api(self.workspace.views[vid]) if vid else None

    def issue_trigger(self, user: str) -> str:
        """A fresh trigger_id for `user` (as an interaction would carry)."""
        with self.lock:
            return self.api.issue_trigger(user)

    # --- delivering requests to the bot ---------------------------------------------------------------
    def deliver(
        self,
        body: str,
        content_type: str,
        *,
        kind: str = "raw",
        extra_headers: dict[str, str] | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> Delivery:
        """POST `body` to the bot signed like Slack (override `timestamp`/`signature` to test refusals)."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature if signature is not None else sign(self.signing_secret, ts, body),
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        headers.update(extra_headers or {})
        result = Delivery(kind=kind, status=0, body="", request_body=body, content_type=content_type, headers=headers)
        start = time.monotonic()
        if self.socket_mode:
            self._deliver_over_socket(result)
        elif not self.bot_url:
            result.body = "no bot_url configured"
        else:
            req = urllib.request.Request(self.bot_url, data=body.encode("utf-8"), headers=headers, method="POST")
            try:
                with urllib.request.urlopen(req, timeout=self.delivery_timeout) as resp:
                    result.status = resp.status
                    result.body = resp.read().decode("utf-8", "replace")
            except urllib.error.HTTPError as err:
                result.status = err.code
                result.body = err.read().decode("utf-8", "replace")
            except (urllib.error.URLError, OSError) as err:
                result.body = f"delivery failed: {err}"
        result.elapsed = time.monotonic() - start
        with self.lock:
            self.deliveries.append(result)
            if not 200 <= result.status < 300 and self.connected:
                self.notices.append(
                    {"at": time.time(), "kind": kind, "status": result.status, "text": result.body[:300]}
                )
                del self.notices[:-20]
                self.version += 1
            self._changed.notify_all()
        return result

    def _deliver_over_socket(self, result: Delivery) -> None:
        """The same request as an envelope over Socket Mode: an ack is a 200 whose body is the ack's payload."""
        envelope_type, payload = envelope_for(result.request_body, result.content_type)
        ack = self.socket.deliver(
            envelope_type,
            payload,
            timeout=self.delivery_timeout,
            retry_attempt=int(result.headers.get("X-Slack-Retry-Num") or 0),
            retry_reason=result.headers.get("X-Slack-Retry-Reason", ""),
        )
        if ack is None:
            result.body = "no Socket Mode connection"
        elif not ack.acked:
            result.body = f"no ack within {self.delivery_timeout:g}s"
        else:
            result.status = 200
            result.body = json.dumps(ack.payload) if ack.payload else ""

    @property
    def connected(self) -> bool:
        """Whether a bot is there to deliver to: a bot_url, or in Socket Mode an open connection."""
        return self.socket.connections > 0 if self.socket_mode else bool(self.bot_url)

    def _json_delivery(self, envelope: JSON, kind: str, extra_headers: dict[str, str] | None = None) -> Delivery:
        body = json.dumps(envelope, separators=(",", ":"))
        d = self.deliver(body, "application/json", kind=kind, extra_headers=extra_headers)
        d.event_id = envelope.get("event_id")
        return d

    def send_event(
        self,
        event: JSON,
        team_id: str | None = None,
        retry_num: int | None = None,
        event_id: str | None = None,
        retry_reason: str = "http_timeout",
    ) -> Delivery:
        """Deliver one Events API `event_callback` (JSON). `retry_num` adds Slack's retry headers;
        pass the same `event_id` to simulate a redelivery. An event the app's scopes do not let it receive
        (``reaction_added`` without ``reactions:read``...) is not sent, as Slack sends it not: it is listed
        in ``withheld_events``. An event in a Slack Connect channel is flagged ``is_ext_shared_channel``."""
        with self.lock:
            channel = self._event_channel(event)
            needed = scope_for_event(str(event.get("type") or ""), channel.kind if channel else "public_channel")
            if needed and needed not in self.api.scopes:
                self.withheld_events.append((str(event.get("type")), needed))
                return Delivery(kind=str(event.get("type", "event")), status=0, body=f"withheld: needs {needed}")
            ext = bool(channel is not None and channel.is_ext_shared)
        envelope = P.event_envelope(event, self.app, team_id=team_id, event_id=event_id, ext_shared=ext)
        headers = None
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return self._json_delivery(envelope, str(event.get("type", "event")), headers)

    def resend(self, delivery: Delivery, retry_num: int = 1, retry_reason: str = "http_timeout") -> Delivery:
        """Redeliver the exact same body (freshly signed), as Slack's retries do."""
        headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        d = self.deliver(delivery.request_body, delivery.content_type, kind=delivery.kind, extra_headers=headers)
        d.event_id = delivery.event_id
        return d

    def send_url_verification(
        self, challenge: str = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    ) -> Delivery:
        return self._json_delivery(P.url_verification(challenge, self.app), "url_verification")

    def post_user_message(
        self,
        user: str,
        channel: str,
        text: str,
        thread_ts: str | None = None,
        *,
        ts: str | None = None,
        files: list[JSON] | None = None,
    ) -> Message:
        """Store a human's message (no delivery). Raises KeyError for unknown user/channel.
        `ts`: the message's timestamp (a replay of messages sent earlier; default: now, strictly increasing);
        `files`: attached files' objects (``{"name": "screenshot.png", "mimetype": "image/png"}``)."""
        with self.lock:
            if user not in self.workspace.users:
                raise KeyError(f"unknown user {user}")
            ch = self.workspace.find_channel(channel) or (
                self.workspace.open_im(user, self.bot_user_id)[0] if channel in ("", "@app") else None
            )
            if ch is None:
                raise KeyError(f"unknown channel {channel}")
            if not ch.is_im and not self.workspace.is_member(ch, user):
                raise KeyError(f"{user} is not in {channel}")  # Slack: not_in_channel
            if thread_ts:
                parent = self.workspace.find_message(ch.id, thread_ts)
                if parent is not None and parent.is_reply:
                    thread_ts = parent.thread_ts
            msg = self.workspace.add_message(
                Message(
                    channel=ch.id,
                    ts=ts or self.workspace.clock.next(),
                    text=text,
                    user=user,
                    thread_ts=thread_ts,
                    team=self.workspace.users[user].team_id or self.team_id,
                    files=[dict(f) for f in files or []],
                    subtype="file_share" if files else None,
                )
            )
            self.version += 1
            self._changed.notify_all()
            return msg

    def send_message(
        self,
        user: str,
        channel: str,
        text: str,
        thread_ts: str | None = None,
        *,
        ts: str | None = None,
        files: list[JSON] | None = None,
    ) -> Delivery:
        """A human posts `text`: stored, then `message` (and `app_mention` if it mentions the bot) delivered.

        Returns the `message` delivery; the `app_mention` one is in `.followups`; `.ts` is the message ts.
        """
        msg = self.post_user_message(user, channel, text, thread_ts, ts=ts, files=files)
        return self.deliver_message_events(msg)

    def deliver_message_events(self, msg: Message) -> Delivery:
        with self.lock:
            ch = self.workspace.channels[msg.channel]
            bot_in = ch.has_member(self.bot_user_id)
            channel_type = ch.channel_type
            thread_ts = msg.thread_ts if msg.is_reply else None
            parent_user = msg.parent_user_id
            author = self.workspace.users.get(msg.user or "")
            external = author is not None and author.team_id not in ("", self.team_id)
            profile = (
                {"real_name": author.real_name, "display_name": author.name, "team": author.team_id} if author else None
            )
        deliveries: list[Delivery] = []
        if bot_in:
            event = P.message_event(
                user=msg.user or "",
                channel=msg.channel,
                channel_type=channel_type,
                text=msg.text,
                ts=msg.ts,
                team_id=self.team_id,
                thread_ts=thread_ts,
                parent_user_id=parent_user,
                user_team=author.team_id if external and author else None,
                user_profile=profile if external else None,
                files=msg.files or None,
            )
            deliveries.append(self.send_event(event))
        if f"<@{self.bot_user_id}" in msg.text and not ch.is_im:
            mention = P.app_mention_event(
                user=msg.user or "",
                channel=msg.channel,
                text=msg.text,
                ts=msg.ts,
                team_id=self.team_id,
                thread_ts=thread_ts,
            )
            deliveries.append(self.send_event(mention))
        if not deliveries:
            primary = Delivery(kind="message", status=0, body="bot is not in the channel")
        else:
            primary = deliveries[0]
            primary.followups = deliveries[1:]
        primary.ts = msg.ts
        return primary

    def send_app_message(
        self,
        channel: str,
        text: str = "",
        *,
        bot_id: str = "B0HELPDESK",
        app_id: str = "A0HELPDESK",
        username: str = "Helpdesk",
        attachments: list[JSON] | None = None,
        blocks: list[JSON] | None = None,
        thread_ts: str | None = None,
    ) -> Delivery:
        """Another app or integration posts (``subtype: bot_message``, its substance often in attachments or
        blocks): stored, then the `message` event delivered if the bot is in the channel."""
        with self.lock:
            ch = self.workspace.find_channel(channel)
            if ch is None:
                raise KeyError(f"unknown channel {channel}")
            msg = self.workspace.add_message(
                Message(
                    channel=ch.id,
                    ts=self.workspace.clock.next(),
                    text=text,
                    bot_id=bot_id,
                    app_id=app_id,
                    username=username,
                    subtype="bot_message",
                    attachments=copy.deepcopy(attachments) if attachments else None,
                    blocks=copy.deepcopy(blocks) if blocks else None,
                    thread_ts=thread_ts,
                    team=self.team_id,
                )
            )
            self.version += 1
            self._changed.notify_all()
            event = {**self.workspace.message_api(msg), "channel": ch.id, "channel_type": ch.channel_type}
            event["event_ts"] = msg.ts
            bot_in = ch.has_member(self.bot_user_id)
        d = self.send_event(event) if bot_in else Delivery(kind="message", status=0, body="bot is not in the channel")
        d.ts = msg.ts
        return d

    def edit_message(self, channel: str, ts: str, text: str) -> Delivery:
        """A person edits their message: stored, then `message` with ``subtype: message_changed`` delivered."""
        with self.lock:
            msg = self.workspace.find_message(channel, ts)
            if msg is None:
                raise KeyError(f"no message {ts} in {channel}")
            previous = self.workspace.message_api(msg)
            msg.text = text
            msg.blocks = P.rich_text_blocks(text) if msg.user else msg.blocks
            msg.edited = {"user": msg.user or "", "ts": self.workspace.clock.next()}
            self.version += 1
            self._changed.notify_all()
            ch = self.workspace.channels[channel]
            event = P.changed_event(
                channel, ch.channel_type, self.workspace.message_api(msg), previous, msg.edited["ts"]
            )
        return self.send_event(event)

    def remove_message(self, channel: str, ts: str) -> Delivery:
        """A person deletes their message: removed, then `message` with ``subtype: message_deleted`` delivered."""
        with self.lock:
            msg = self.workspace.find_message(channel, ts)
            if msg is None:
                raise KeyError(f"no message {ts} in {channel}")
            previous = self.workspace.message_api(msg)
            self.workspace.delete_message(msg)
            self.version += 1
            self._changed.notify_all()
            ch = self.workspace.channels[channel]
            event = P.deleted_event(channel, ch.channel_type, previous, self.workspace.clock.next())
        return self.send_event(event)

    def _user(self, user_id: str) -> User:
        user = self.workspace.users.get(user_id)
        if user is None:
            raise KeyError(f"unknown user {user_id}")
        return user

    def send_slash_command(
        self, user: str, channel: str, command: str, text: str = "", thread_ts: str | None = None
    ) -> Delivery:
        """Deliver a slash command (form-encoded) with a trigger_id and a response_url on the double.

        A non-empty ack body is shown to the user like Slack does (ephemeral unless in_channel)."""
        with self.lock:
            u = self._user(user)
            ch = self.workspace.find_channel(channel)
            if ch is None:
                raise KeyError(f"unknown channel {channel}")
            trigger_id = self.api.issue_trigger(user)
            response_url = self.api.issue_response_url(ResponseTarget(channel=ch.id, user=user, thread_ts=thread_ts))
            fields = P.slash_command_form(
                app=self.app,
                user_id=user,
                user_name=u.name,
                channel_id=ch.id,
                channel_name="directmessage" if ch.is_im else ch.name,
                command=command if command.startswith("/") else "/" + command,
                text=text,
                response_url=response_url,
                trigger_id=trigger_id,
            )
        d = self.deliver(P.form_body(fields), "application/x-www-form-urlencoded", kind="slash_command")
        d.trigger_id, d.response_url = trigger_id, response_url
        if d.status == 200 and d.body.strip():
            try:
                reply = json.loads(d.body)
            except json.JSONDecodeError:
                reply = {"text": d.body}
            if isinstance(reply, dict) and (reply.get("text") or reply.get("blocks")):
                self.respond(response_url, reply, record=False)
        return d

    def click_button(
        self,
        user: str,
        channel: str,
        message_ts: str,
        action_id: str,
        value: str | None = None,
        block_id: str | None = None,
    ) -> Delivery:
        """A user clicks an element (button, select...) of a message: delivers `block_actions`."""
        with self.lock:
            u = self._user(user)
            ch = self.workspace.find_channel(channel)
            if ch is None:
                raise KeyError(f"unknown channel {channel}")
            msg = self.workspace.find_message(ch.id, message_ts)
            found_block, element = P.find_element((msg.blocks or []) if msg else [], action_id)
            is_ephemeral = bool(msg and msg.ephemeral_for)
            trigger_id = self.api.issue_trigger(user)
            response_url = self.api.issue_response_url(
                ResponseTarget(
                    channel=ch.id,
                    user=user,
                    message_ts=message_ts,
                    is_ephemeral=is_ephemeral,
                    thread_ts=(msg.thread_ts if msg else None),
                )
            )
            action = P.action_obj(
                action_id=action_id,
                block_id=block_id or found_block or "blk",
                value=value,
                element=element,
                action_ts=f"{time.time():.6f}",
            )
            payload = P.block_actions_payload(
                app=self.app,
                user_id=user,
                user_name=u.name,
                actions=[action],
                trigger_id=trigger_id,
                channel={"id": ch.id, "name": "directmessage" if ch.is_im else ch.name},
                message=self.workspace.message_api(msg) if msg else None,
                message_ts=message_ts,
                is_ephemeral=is_ephemeral,
                response_url=response_url,
            )
        d = self.deliver(P.interactive_body(payload), "application/x-www-form-urlencoded", kind="block_actions")
        d.trigger_id, d.response_url = trigger_id, response_url
        return d

    def message_shortcut(self, user: str, channel: str, message_ts: str, callback_id: str) -> Delivery:
        """A user runs a message shortcut on a message: delivers `message_action` carrying that message."""
        with self.lock:
            u = self._user(user)
            ch = self.workspace.find_channel(channel)
            if ch is None:
                raise KeyError(f"unknown channel {channel}")
            msg = self.workspace.find_message(ch.id, message_ts)
            if msg is None:
                raise KeyError(f"no message {message_ts} in {channel}")
            trigger_id = self.api.issue_trigger(user)
            response_url = self.api.issue_response_url(
                ResponseTarget(channel=ch.id, user=user, message_ts=message_ts, thread_ts=msg.thread_ts)
            )
            payload = P.message_action_payload(
                app=self.app,
                user_id=user,
                user_name=u.name,
                callback_id=callback_id,
                channel={"id": ch.id, "name": "directmessage" if ch.is_im else ch.name},
                message=self.workspace.message_api(msg),
                trigger_id=trigger_id,
                response_url=response_url,
            )
        d = self.deliver(P.interactive_body(payload), "application/x-www-form-urlencoded", kind="message_action")
        d.trigger_id, d.response_url = trigger_id, response_url
        return d

    def click_view_button(
        self,
        user: str,
        view_id: str,
        action_id: str,
        value: str | None = None,
        block_id: str | None = None,
        values: JSON | None = None,
    ) -> Delivery:
        """A user clicks an element inside a view (App Home or modal): `block_actions` with container type view."""
        with self.lock:
            u = self._user(user)
            v = self.workspace.views.get(view_id)
            if v is None:
                raise KeyError(f"unknown view {view_id}")
            if values is not None:
                v.state = P.build_state(v.spec.get("blocks", []), values)
            found_block, element = P.find_element(v.spec.get("blocks", []), action_id)
            trigger_id = self.api.issue_trigger(user)
            action = P.action_obj(
                action_id=action_id,
                block_id=block_id or found_block or "blk",
                value=value,
                element=element,
                action_ts=f"{time.time():.6f}",
            )
            payload = P.block_actions_payload(
                app=self.app,
                user_id=user,
                user_name=u.name,
                actions=[action],
                trigger_id=trigger_id,
                view=self.api.view_api(v),
                state_values=copy.deepcopy(v.state),
            )
        d = self.deliver(P.interactive_body(payload), "application/x-www-form-urlencoded", kind="block_actions")
        d.trigger_id = trigger_id
        return d

    def submit_view(self, user: str, view_id: str, values: JSON | None = None) -> Delivery:
        """A user presses Submit on a modal: delivers `view_submission`, then applies the bot's
        `response_action` (errors / update / push / clear; empty body closes the modal)."""
        with self.lock:
            u = self._user(user)
            v = self.workspace.views.get(view_id)
            if v is None or v.closed:
                raise KeyError(f"unknown or closed view {view_id}")
            v.state = P.build_state(v.spec.get("blocks", []), values or {})
            trigger_id = self.api.issue_trigger(user)
            payload = P.view_submission_payload(
                app=self.app, user_id=user, user_name=u.name, view=self.api.view_api(v), trigger_id=trigger_id
            )
        d = self.deliver(P.interactive_body(payload), "application/x-www-form-urlencoded", kind="view_submission")
        d.trigger_id = trigger_id
        if d.status == 200:
            self._apply_response_action(user, v, d.body)
        return d

    def _apply_response_action(self, user: str, view: View, body: str) -> None:
        try:
            reply = json.loads(body) if body.strip() else {}
        except json.JSONDecodeError:
            reply = {}
        action = reply.get("response_action") if isinstance(reply, dict) else None
        with self.lock:
            stack = self.workspace.modal_stacks.setdefault(user, [])
            if action == "errors":
                view.errors = dict(reply.get("errors") or {})
            elif action == "update" and isinstance(reply.get("view"), dict):
                self.api.replace_view(view, copy.deepcopy(reply["view"]))
            elif action == "push" and isinstance(reply.get("view"), dict):
                new = self.api._new_view(copy.deepcopy(reply["view"]), user, root=view.root_view_id, previous=view.id)
                stack.append(new.id)
            elif action == "clear":
                for vid in stack:
                    self.workspace.views[vid].closed = True
                stack.clear()
            else:
                view.closed = True
                if view.id in stack:
                    stack.remove(view.id)
            self.version += 1
            self._changed.notify_all()

    def close_view(self, user: str, view_id: str) -> Delivery | None:
        """A user closes a modal; delivers `view_closed` if the view asked for notify_on_close."""
        with self.lock:
            u = self._user(user)
            v = self.workspace.views.get(view_id)
            if v is None:
                return None
            v.closed = True
            stack = self.workspace.modal_stacks.get(user, [])
            if view_id in stack:
                stack.remove(view_id)
            self.version += 1
            self._changed.notify_all()
            notify = bool(v.spec.get("notify_on_close"))
            payload = P.view_closed_payload(app=self.app, user_id=user, user_name=u.name, view=self.api.view_api(v))
        if not notify:
            return None
        return self.deliver(P.interactive_body(payload), "application/x-www-form-urlencoded", kind="view_closed")

    def open_app_home(self, user: str) -> Delivery:
        """A user opens the app's Home tab: delivers `app_home_opened` (with the current home view, if any)."""
        with self.lock:
            self._user(user)
            ch, _ = self.workspace.open_im(user, self.bot_user_id)
            vid = self.workspace.home_views.get(user)
            view = self.api.view_api(self.workspace.views[vid]) if vid else None
            event = P.app_home_opened_event(user=user, channel=ch.id, view=view, event_ts=self.workspace.clock.next())
        return self.send_event(event)

    # --- response_url ----------------------------------------------------------------------------
    def respond(self, response_url: str, body: JSON, *, record: bool = True) -> tuple[int, JSON]:
        """Apply a post to one of the double's response_urls (what the bot's `respond()` does)."""
        rid = response_url.rstrip("/").rsplit("/", 1)[-1]
        with self.lock:
            if record:
                self._calls.append(Call("response_url", {**copy.deepcopy(body), "response_url_id": rid}, time.time()))
            try:
                result = self._respond(rid, body)
            finally:
                self.version += 1
                self._changed.notify_all()
            return result

    def _respond(self, rid: str, body: JSON) -> tuple[int, JSON]:
        target = self.api.response_targets.get(rid)
        if target is None:
            return 404, {"ok": False, "error": "no_service"}
        if time.time() - target.created > RESPONSE_URL_TTL:
            return 404, {"ok": False, "error": "expired_url"}
        if target.uses >= RESPONSE_URL_MAX_USES:
            return 404, {"ok": False, "error": "used_url"}
        target.uses += 1
        ws = self.workspace
        original = ws.find_message(target.channel, target.message_ts) if target.message_ts else None
        if as_bool(body.get("delete_original")):
            if original is not None:
                ws.delete_message(original)
            return 200, {"ok": True}
        try:
            params = {k: v for k, v in body.items() if k in ("text", "blocks", "attachments", "thread_ts", "metadata")}
            params = normalize_params(params)
            self.api._check_content(params)
        except ApiError as err:
            return 400, {"ok": False, "error": err.error}
        if as_bool(body.get("replace_original")) and original is not None:
            original.text = str(params.get("text") or "")
            original.blocks = params.get("blocks") if isinstance(params.get("blocks"), list) else None
            original.attachments = params.get("attachments") if isinstance(params.get("attachments"), list) else None
            original.edited = {"user": self.bot_user_id, "ts": ws.clock.next()}
            return 200, {"ok": True}
        ch = ws.channels[target.channel]
        params.setdefault("thread_ts", target.thread_ts)
        in_channel = body.get("response_type") == "in_channel"
        self.api._bot_message(ch, params, ephemeral_for=None if in_channel else target.user)
        return 200, {"ok": True}

    # --- the sandbox page's state --------------------------------------------------------------------
    def ui_state(self, user: str | None) -> JSON:
        with self.lock:
            ws = self.workspace
            humans = [u for u in ws.users.values() if not u.is_bot]
            me = user if user in ws.users else (humans[0].id if humans else None)
            channels = []
            messages: dict[str, list[JSON]] = {}
            for ch in ws.channels.values():
                if ch.is_im and ch.user != me:
                    continue
                if not ch.is_im and me is not None and not ws.is_member(ch, me):
                    continue
                channels.append(
                    {
                        "id": ch.id,
                        "name": ch.name if not ch.is_im else self.workspace.users[self.bot_user_id].name,
                        "is_im": ch.is_im,
                        "is_private": ch.is_private,
                        "topic": ch.topic,
                        "is_ext_shared": ch.is_ext_shared,
                    }
                )
                out = []
                for m in ws.messages.get(ch.id, [])[-400:]:
                    if m.ephemeral_for is not None and m.ephemeral_for != me:
                        continue
                    data = ws.message_api(m)
                    data["channel"] = ch.id
                    data["ephemeral"] = m.ephemeral_for is not None
                    out.append(data)
                messages[ch.id] = out
            stack = ws.modal_stacks.get(me or "", [])
            modal = None
            if stack:
                top = ws.views[stack[-1]]
                modal = self.api.view_api(top)
                modal["errors"] = dict(top.errors)
                modal["depth"] = len(stack)
            home_id = ws.home_views.get(me or "")
            return {
                "version": self.version,
                "me": me,
                "team": {"id": ws.team_id, "name": ws.team_name, "domain": ws.team_domain},
                "bot": {
                    "id": self.bot_user_id,
                    "name": ws.users[self.bot_user_id].name,
                    "connected": self.connected,
                },
                "users": [
                    {
                        "id": u.id,
                        "name": u.name,
                        "real_name": u.real_name,
                        "tz": u.tz,
                        "is_admin": u.is_admin,
                        "is_bot": u.is_bot,
                        "team": ws.teams[u.team_id].name if u.team_id in ws.teams else "",
                    }
                    for u in ws.users.values()
                ],
                "usergroups": [{"id": g.id, "handle": g.handle, "name": g.name} for g in ws.usergroups.values()],
                "channels": channels,
                "messages": messages,
                "modal": modal,
                "home": self.api.view_api(ws.views[home_id]) if home_id else None,
                "notices": list(self.notices[-5:]),
            }

    def wait_version(self, since: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self.lock:
            while self.version <= since and not self._stopping:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._changed.wait(left)

    def ui_action(self, action: str, data: JSON) -> tuple[int, JSON]:
        """The page's JSON API: send / click / submit / close / home."""
        user = str(data.get("user") or "")
        try:
            if action == "send":
                text = str(data.get("text") or "")
                channel = str(data.get("channel") or "")
                if not text.strip():
                    return 400, {"ok": False, "error": "no_text"}
                if text.startswith("/"):
                    command, _, rest = text.strip().partition(" ")
                    d = self.send_slash_command(user, channel, command, rest.strip(), thread_ts=data.get("thread_ts"))
                    return 200, {"ok": True, "status": d.status}
                with self.lock:
                    text = self.workspace.encode_mentions(text)
                msg = self.post_user_message(user, channel, text, data.get("thread_ts") or None)
                d = self.deliver_message_events(msg)
                return 200, {"ok": True, "ts": msg.ts, "status": d.status}
            if action == "click":
                if data.get("view_id"):
                    d = self.click_view_button(
                        user,
                        str(data["view_id"]),
                        str(data.get("action_id")),
                        data.get("value"),
                        data.get("block_id"),
                        values=data.get("values"),
                    )
                else:
                    d = self.click_button(
                        user,
                        str(data.get("channel")),
                        str(data.get("message_ts")),
                        str(data.get("action_id")),
                        data.get("value"),
                        data.get("block_id"),
                    )
                return 200, {"ok": True, "status": d.status}
            if action == "submit":
                d = self.submit_view(user, str(data.get("view_id")), data.get("values") or {})
                return 200, {"ok": True, "status": d.status}
            if action == "close":
                self.close_view(user, str(data.get("view_id")))
                return 200, {"ok": True}
            if action == "home":
                d = self.open_app_home(user)
                return 200, {"ok": True, "status": d.status}
            if action == "react":  # the page's reaction buttons
                r = self.react(user, str(data.get("channel")), str(data.get("ts")), str(data.get("name")))
                return 200, {"ok": True} if r is None else {"ok": True, "status": r.status}  # None: already there
            if action == "shortcut":  # a message shortcut from the page's message menu
                d = self.message_shortcut(
                    user, str(data.get("channel")), str(data.get("ts")), str(data.get("callback_id"))
                )
                return 200, {"ok": True, "status": d.status}
        except KeyError as err:
            return 404, {"ok": False, "error": str(err)}
        return 404, {"ok": False, "error": "unknown_action"}

    def store_upload(self, file_id: str, data: bytes) -> bool:
        with self.lock:
            if file_id not in self.workspace.files:
                return False
            self.api.uploads[file_id] = data
            return True


def _parse_body(raw: bytes, content_type: str) -> JSON:
    ctype = content_type.split(";")[0].strip().lower()
    if not raw:
        return {}
    if ctype == "application/json":
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("JSON body must be an object")
        return data
    if ctype in ("application/x-www-form-urlencoded", ""):
        pairs = urllib.parse.parse_qsl(raw.decode("utf-8"), keep_blank_values=True)
        return dict(pairs)
    return {}


class _Handler(BaseHTTPRequestHandler):
    double: SlackDouble
    server_version = "SlackDouble/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the page aborted its long-poll
                self.wfile.write(body)

    def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(data).encode("utf-8"), "application/json; charset=utf-8", headers)

    def _read(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def do_GET(self) -> None:  # noqa: N802
        parsed = urllib.parse.urlsplit(self.path)
        path = parsed.path
        query = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
        if path.startswith("/api/"):
            self._api(path[len("/api/") :], query, b"", "")
        elif path == "/ui/emoji":  # Slack's shortcode table for the page's renderer
            self._send(200, shortcodes_json(), "application/json; charset=utf-8")
        elif path == "/healthz":
            self._json(200, {"ok": True})
        elif path == "/ui/state":
            since = int(query.get("since") or -1)
            wait = min(float(query.get("wait") or 20), 25.0)
            if since >= 0:
                self.double.wait_version(since, wait)
            self._json(200, self.double.ui_state(query.get("user")))
        elif path in ("/", "/index.html"):
            self._static("index.html")
        elif path.startswith("/static/"):
            self._static(path[len("/static/") :])
        else:
            self._json(404, {"ok": False, "error": "not_found"})

    do_HEAD = do_GET

    def do_POST(self) -> None:  # noqa: N802
        parsed = urllib.parse.urlsplit(self.path)
        path = parsed.path
        raw = self._read()
        ctype = self.headers.get("Content-Type", "")
        if path.startswith("/api/"):
            self._api(path[len("/api/") :], dict(urllib.parse.parse_qsl(parsed.query)), raw, ctype)
            return
        if path.startswith("/upload/"):  # raw file bytes (a PNG is neither JSON nor form data): never parsed
            ok = self.double.store_upload(path.rsplit("/", 1)[-1], raw)
            self._send(200 if ok else 404, b"OK - " + str(len(raw)).encode() if ok else b"not_found", "text/plain")
            return
        try:
            data = _parse_body(raw, ctype or "application/json")
        except (ValueError, UnicodeDecodeError):
            self._json(400, {"ok": False, "error": "invalid_json"})
            return
        if path.startswith("/response_url/"):
            status, body = self.double.respond(path, data)
            self._json(status, body)
        elif path.startswith("/ui/"):
            status, body = self.double.ui_action(path[len("/ui/") :], data)
            self._json(status, body)
        else:
            self._json(404, {"ok": False, "error": "not_found"})

    def _api(self, method: str, query: JSON, raw: bytes, ctype: str) -> None:
        try:
            params = {**query, **_parse_body(raw, ctype)}
        except (ValueError, UnicodeDecodeError):
            self._json(200, {"ok": False, "error": "invalid_json"})
            return
        auth = self.headers.get("Authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        token = token or (str(params.pop("token")) if params.get("token") else None)
        params.pop("token", None)
        status, body, headers = self.double.handle_api(method.strip("/"), params, token)
        self._json(status, body, headers)

    def _static(self, name: str) -> None:
        target = (STATIC_DIR / name).resolve()
        if STATIC_DIR.resolve() not in target.parents or not target.is_file():
            self._json(404, {"ok": False, "error": "not_found"})
            return
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype.endswith("javascript"):
            ctype += "; charset=utf-8"
        self._send(200, target.read_bytes(), ctype)
