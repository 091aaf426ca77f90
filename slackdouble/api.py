"""The Slack Web API methods the double implements, with Slack's documented response shapes.

Each method takes the request's params (already decoded from JSON or form) and returns the
response dict; a Slack error is raised as `ApiError("error_code")` and becomes
``{"ok": false, "error": "error_code"}``. Callers hold the double's lock.

One module because the table of Web API methods the double implements, one small function each; a reader
finds a method by name here.
"""

from __future__ import annotations

import copy
import hashlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slackdouble import scopes as S
from slackdouble.payloads import AppIdentity
from slackdouble.workspace import Channel, Message, View, Workspace

JSON = dict[str, Any]

JSON_STRING_FIELDS = ("blocks", "attachments", "view", "files", "metadata", "outputs")
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TEXT = 40_000
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_MODAL_STACK = 3


class ApiError(Exception):
    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


@dataclass
class Trigger:
    user: str
    issued_at: float
    used: bool = False


@dataclass
class ResponseTarget:
    """What a response_url points at."""

    channel: str
    user: str
    message_ts: str | None = None  # the message a block action came from
    is_ephemeral: bool = False
    thread_ts: str | None = None
    created: float = field(default_factory=time.time)
    uses: int = 0


def normalize_params(params: JSON) -> JSON:
    """Form values are strings: decode the JSON-valued fields and booleans like Slack does."""
    out = dict(params)
    for key in JSON_STRING_FIELDS:
        val = out.get(key)
        if isinstance(val, str) and val.strip():
            try:
                out[key] = json.loads(val)
            except json.JSONDecodeError as exc:
                raise ApiError(f"invalid_{key}" if key in ("blocks", "attachments") else "invalid_arguments") from exc
    return out


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    return str(value).lower() in ("1", "true", "yes")


def as_int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _text_len(obj: Any) -> int:
    return len(str(obj.get("text") or "")) if isinstance(obj, dict) else 0


def block_text_problem(blocks: list[JSON]) -> str | None:
    """Slack's per-block text limits (SLACK.md): the message is rejected as a whole, like Slack does."""
    for i, b in enumerate(blocks):
        where = f"[json-pointer:/blocks/{i}"
        if b.get("type") == "section":
            if _text_len(b.get("text")) > MAX_SECTION_TEXT:
                return f"[ERROR] must be less than {MAX_SECTION_TEXT + 1} characters {where}/text/text]"
            fields = b.get("fields") or []
            if len(fields) > MAX_SECTION_FIELDS:
                return f"[ERROR] no more than {MAX_SECTION_FIELDS} items allowed {where}/fields]"
            if any(_text_len(f) > MAX_FIELD_TEXT for f in fields):
                return f"[ERROR] must be less than {MAX_FIELD_TEXT + 1} characters {where}/fields]"
        elif b.get("type") == "header" and _text_len(b.get("text")) > MAX_HEADER_TEXT:
            return f"[ERROR] must be less than {MAX_HEADER_TEXT + 1} characters {where}/text/text]"
    return None


def _bad_args(message: str) -> ApiError:
    return ApiError("invalid_arguments", response_metadata={"messages": [message]})


def _require(params: JSON, *names: str) -> None:
    for name in names:
        if params.get(name) in (None, ""):
            raise _bad_args(f"[ERROR] missing required field: {name}")


class WebApi:
    """Web API method implementations over a `Workspace`."""

    def __init__(
        self,
        workspace: Workspace,
        app: AppIdentity,
        *,
        base_url: Callable[[], str],
        trigger_ttl: float = 3.0,
        scopes: frozenset[str] = S.ALL_SCOPES,
        socket_url: Callable[[], str] | None = None,
    ) -> None:
        self.ws = workspace
        self.app = app
        self.scopes = scopes  # what the bot token was granted (the manifest's bot scopes)
        self.socket_url = socket_url
        self.base_url = base_url
        self.trigger_ttl = trigger_ttl
        self.triggers: dict[str, Trigger] = {}
        self.response_targets: dict[str, ResponseTarget] = {}
        self.uploads: dict[str, bytes] = {}
        self.methods: dict[str, Callable[[JSON], JSON]] = {
            "api.test": self.api_test,
            "auth.test": self.auth_test,
            "chat.postMessage": self.chat_post_message,
            "chat.update": self.chat_update,
            "chat.delete": self.chat_delete,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.getPermalink": self.chat_get_permalink,
            "views.open": self.views_open,
            "views.push": self.views_push,
            "views.update": self.views_update,
            "views.publish": self.views_publish,
            "users.info": self.users_info,
            "users.list": self.users_list,
            "users.lookupByEmail": self.users_lookup_by_email,
            "usergroups.list": self.usergroups_list,
            "usergroups.users.list": self.usergroups_users_list,
            "conversations.open": self.conversations_open,
            "conversations.info": self.conversations_info,
            "conversations.members": self.conversations_members,
            "conversations.list": self.conversations_list,
            "conversations.history": self.conversations_history,
            "conversations.replies": self.conversations_replies,
            "reactions.add": self.reactions_add,
            "reactions.remove": self.reactions_remove,
            "files.getUploadURLExternal": self.files_get_upload_url_external,
            "files.completeUploadExternal": self.files_complete_upload_external,
            "files.info": self.files_info,
            "apps.connections.open": self.apps_connections_open,
        }

    # --- dispatch -------------------------------------------------------------------------
    def call(self, method: str, params: JSON, *, app_token: bool = False) -> JSON:
        """Answer one call made with the bot token, or with the app-level token (`xapp-`)."""
        handler = self.methods.get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        try:
            params = normalize_params(params)
            if (method in S.APP_TOKEN_METHODS) != app_token:
                raise ApiError("not_allowed_token_type")
            granted = self.granted(app_token)
            missing = [s for s in self.needed_scopes(method, params) if s not in granted]
            if missing:
                raise ApiError("missing_scope", needed=missing[0], provided=",".join(sorted(granted)))
            return handler(params)
        except ApiError as err:
            return {"ok": False, "error": err.error, **err.extra}

    def granted(self, app_token: bool = False) -> frozenset[str]:
        return S.APP_TOKEN_SCOPES if app_token else self.scopes

    def needed_scopes(self, method: str, params: JSON) -> tuple[str, ...]:
        """The scopes this call needs: for conversations, those of the conversation's kind."""
        return S.needed_scopes(method, self._kinds(method, params))

    def _kinds(self, method: str, params: JSON) -> tuple[str, ...]:
        if method == "conversations.list":
            return tuple(t.strip() for t in str(params.get("types") or "public_channel").split(",") if t.strip())
        if method == "conversations.open" and not params.get("channel"):
            users = params.get("users")
            ids = users if isinstance(users, list) else [u for u in str(users or "").split(",") if u.strip()]
            return ("mpim",) if len(ids) > 1 else ("im",)
        if method.startswith("conversations."):
            ch = self.ws.find_channel(str(params.get("channel") or ""))
            return (ch.kind,) if ch is not None else ()
        return ()

    # --- helpers ----------------------------------------------------------------
    def issue_trigger(self, user: str) -> str:
        trigger_id = f"{int(time.time())}{secrets.randbelow(10**6):06d}.{self.app.team_id}.{secrets.token_hex(16)}"
        self.triggers[trigger_id] = Trigger(user=user, issued_at=time.time())
        return trigger_id

    def issue_response_url(self, target: ResponseTarget) -> str:
        rid = secrets.token_urlsafe(18)
        self.response_targets[rid] = target
        return f"{self.base_url()}/response_url/{rid}"

    def _channel(self, ref: Any, *, param: str = "channel") -> Channel:
        if not ref:
            raise ApiError("channel_not_found")
        ref = str(ref)
        ch = self.ws.find_channel(ref)
        if ch is None and ref in self.ws.users:  # posting to a user id: the app's DM with them
            ch, _ = self.ws.open_im(ref, self.app.bot_user_id)
        if ch is None:
            raise ApiError("channel_not_found")
        return ch

    def _check_content(self, params: JSON, *, require: bool = True) -> None:
        text = params.get("text")
        blocks = params.get("blocks")
        if require and not text and not blocks and not params.get("attachments"):
            raise ApiError("no_text")
        if isinstance(text, str) and len(text) > MAX_TEXT:
            raise ApiError("msg_too_long")
        if blocks is not None:
            if not isinstance(blocks, list) or any(not isinstance(b, dict) or "type" not in b for b in blocks):
                raise ApiError("invalid_blocks")
            if len(blocks) > MAX_MESSAGE_BLOCKS:
                raise ApiError(
                    "invalid_blocks",
                    response_metadata={"messages": ["[ERROR] no more than 50 items allowed [json-pointer:/blocks]"]},
                )
            problem = block_text_problem(blocks)
            if problem:
                raise ApiError("invalid_blocks", response_metadata={"messages": [problem]})

    def _bot_message(self, ch: Channel, params: JSON, *, ephemeral_for: str | None = None) -> Message:
        thread_ts = params.get("thread_ts") or None
        if thread_ts is not None:
            thread_ts = str(thread_ts)
            parent = self.ws.find_message(ch.id, thread_ts)
            if parent is not None and parent.is_reply:  # replying to a reply threads on its parent
                thread_ts = parent.thread_ts
        blocks = params.get("blocks")
        metadata = params.get("metadata")
        msg = Message(
            channel=ch.id,
            ts=self.ws.clock.next(),
            text=str(params.get("text") or ""),
            user=self.app.bot_user_id,
            bot_id=self.app.bot_id,
            app_id=self.app.api_app_id,
            username=params.get("username"),
            blocks=copy.deepcopy(blocks) if isinstance(blocks, list) else None,
            attachments=copy.deepcopy(params.get("attachments"))
            if isinstance(params.get("attachments"), list)
            else None,
            thread_ts=thread_ts,
            reply_broadcast=as_bool(params.get("reply_broadcast")),
            ephemeral_for=ephemeral_for,
            metadata=metadata if isinstance(metadata, dict) else None,
            team=self.ws.team_id,
        )
        return self.ws.add_message(msg)

    def _message_or_error(self, channel: Channel, ts: Any) -> Message:
        msg = self.ws.find_message(channel.id, str(ts or ""))
        if msg is None or msg.ephemeral_for is not None:
            raise ApiError("message_not_found")
        return msg

    # --- api / auth ---------------------------------------------------------------
    def api_test(self, params: JSON) -> JSON:
        if params.get("error"):
            raise ApiError(str(params["error"]))
        return {"ok": True, "args": params}

    def auth_test(self, params: JSON) -> JSON:
        return {
            "ok": True,
            "url": f"https://{self.ws.team_domain}.slack.com/",
            "team": self.ws.team_name,
            "user": self.ws.users[self.app.bot_user_id].name if self.app.bot_user_id in self.ws.users else "rapport",
            "team_id": self.ws.team_id,
            "user_id": self.app.bot_user_id,
            "bot_id": self.app.bot_id,
            "is_enterprise_install": False,
        }

    def apps_connections_open(self, params: JSON) -> JSON:
        """Socket Mode: a one-time WebSocket URL (called with the app-level token)."""
        if self.socket_url is None:
            raise ApiError("not_allowed")
        return {"ok": True, "url": self.socket_url()}

    # --- chat -----------------------------------------------------------------------
    def chat_post_message(self, params: JSON) -> JSON:
        ch = self._channel(params.get("channel"))
        self._check_content(params)
        if not ch.has_member(self.app.bot_user_id):
            raise ApiError("not_in_channel")
        msg = self._bot_message(ch, params)
        return {"ok": True, "channel": ch.id, "ts": msg.ts, "message": self.ws.message_api(msg)}

    def chat_update(self, params: JSON) -> JSON:
        ch = self._channel(params.get("channel"))
        msg = self._message_or_error(ch, params.get("ts"))
        if msg.bot_id != self.app.bot_id:
            raise ApiError("cant_update_message")
        self._check_content(params, require=False)
        if "text" in params:
            msg.text = str(params.get("text") or "")
        if "blocks" in params:
            msg.blocks = copy.deepcopy(params["blocks"]) if isinstance(params["blocks"], list) else None
        if "attachments" in params:
            msg.attachments = copy.deepcopy(params["attachments"]) if isinstance(params["attachments"], list) else None
        if isinstance(params.get("metadata"), dict):
            msg.metadata = params["metadata"]
        msg.edited = {"user": self.app.bot_user_id, "ts": self.ws.clock.next()}
        out = self.ws.message_api(msg)
        return {"ok": True, "channel": ch.id, "ts": msg.ts, "text": msg.text, "message": out}

    def chat_delete(self, params: JSON) -> JSON:
        ch = self._channel(params.get("channel"))
        msg = self._message_or_error(ch, params.get("ts"))
        if msg.bot_id != self.app.bot_id:
            raise ApiError("cant_delete_message")
        self.ws.delete_message(msg)
        return {"ok": True, "channel": ch.id, "ts": msg.ts}

    def chat_post_ephemeral(self, params: JSON) -> JSON:
        ch = self._channel(params.get("channel"))
        user = str(params.get("user") or "")
        if user not in self.ws.users:
            raise ApiError("user_not_found")
        if not self.ws.is_member(ch, user):
            raise ApiError("user_not_in_channel")
        self._check_content(params)
        msg = self._bot_message(ch, params, ephemeral_for=user)
        return {"ok": True, "message_ts": msg.ts}

    def chat_get_permalink(self, params: JSON) -> JSON:
        ch = self._channel(params.get("channel"))
        msg = self._message_or_error(ch, params.get("message_ts"))
        link = f"{self.base_url()}/#/{ch.id}/p{msg.ts.replace('.', '')}"
        return {"ok": True, "channel": ch.id, "permalink": link}

    # --- views ------------------------------------------------------------------------
    def _use_trigger(self, params: JSON) -> Trigger:
        trigger_id = str(params.get("trigger_id") or "")
        if not trigger_id and not params.get("interactivity_pointer"):
            raise _bad_args("[ERROR] missing required field: trigger_id")
        trigger = self.triggers.get(trigger_id)
        if trigger is None or trigger.used:
            raise ApiError("invalid_trigger_id")
        if time.time() - trigger.issued_at > self.trigger_ttl:
            raise ApiError("expired_trigger_id")
        trigger.used = True
        return trigger

    def _check_view(self, view: Any, *, kind: str) -> JSON:
        if not isinstance(view, dict):
            raise _bad_args("[ERROR] missing required field: view")
        vtype = view.get("type")
        if vtype not in ("modal", "home") or (kind and vtype != kind):
            raise _bad_args(f"[ERROR] must be '{kind}' [json-pointer:/view/type]")
        blocks = view.get("blocks")
        if not isinstance(blocks, list) or len(blocks) > MAX_VIEW_BLOCKS:
            raise _bad_args("[ERROR] invalid blocks [json-pointer:/view/blocks]")
        if vtype == "modal":
            title = (view.get("title") or {}).get("text", "")
            if not title or len(title) > 24:
                raise _bad_args("[ERROR] must be less than 25 characters [json-pointer:/view/title/text]")
        if len(str(view.get("private_metadata") or "")) > 3000:
            raise _bad_args("[ERROR] must be less than 3001 characters [json-pointer:/view/private_metadata]")
        return copy.deepcopy(view)

    def _new_view(self, spec: JSON, user: str, *, root: str | None = None, previous: str | None = None) -> View:
        vid = self.ws.ids.make("V")
        view = View(
            id=vid,
            type=spec["type"],
            user=user,
            spec=spec,
            hash=self._hash(spec),
            root_view_id=root or vid,
            previous_view_id=previous,
        )
        self.ws.views[vid] = view
        return view

    @staticmethod
    def _hash(spec: JSON) -> str:
        digest = hashlib.sha1((json.dumps(spec, sort_keys=True) + secrets.token_hex(4)).encode()).hexdigest()
        return f"{int(time.time())}.{digest[:8]}"

    def view_api(self, view: View) -> JSON:
        return view.to_api(self.ws.team_id, self.app.api_app_id, self.app.bot_id)

    def views_open(self, params: JSON) -> JSON:
        spec = self._check_view(params.get("view"), kind="modal")
        trigger = self._use_trigger(params)
        for vid in self.ws.modal_stacks.get(trigger.user, []):
            self.ws.views[vid].closed = True
        view = self._new_view(spec, trigger.user)
        self.ws.modal_stacks[trigger.user] = [view.id]
        return {"ok": True, "view": self.view_api(view)}

    def views_push(self, params: JSON) -> JSON:
        spec = self._check_view(params.get("view"), kind="modal")
        trigger = self._use_trigger(params)
        stack = self.ws.modal_stacks.get(trigger.user, [])
        if not stack:
            raise ApiError("invalid_trigger_id")
        if len(stack) >= MAX_MODAL_STACK:
            raise ApiError("push_limit_reached")
        view = self._new_view(spec, trigger.user, root=self.ws.views[stack[0]].root_view_id, previous=stack[-1])
        stack.append(view.id)
        return {"ok": True, "view": self.view_api(view)}

    def _find_view(self, params: JSON) -> View:
        vid = params.get("view_id")
        ext = params.get("external_id")
        if vid:
            view = self.ws.views.get(str(vid))
        elif ext:
            view = next((v for v in self.ws.views.values() if v.spec.get("external_id") == ext and not v.closed), None)
        else:
            raise _bad_args("[ERROR] view_id or external_id required")
        if view is None or view.closed:
            raise ApiError("not_found")
        return view

    def views_update(self, params: JSON) -> JSON:
        view = self._find_view(params)
        spec = self._check_view(params.get("view"), kind=view.type)
        if params.get("hash") and params["hash"] != view.hash:
            raise ApiError("hash_conflict")
        self.replace_view(view, spec)
        return {"ok": True, "view": self.view_api(view)}

    def replace_view(self, view: View, spec: JSON) -> None:
        view.spec = spec
        view.hash = self._hash(spec)
        view.errors = {}
        keep = {b.get("block_id") for b in spec.get("blocks", [])}
        view.state = {k: v for k, v in view.state.items() if k in keep}

    def views_publish(self, params: JSON) -> JSON:
        user = str(params.get("user_id") or "")
        if user not in self.ws.users:
            raise ApiError("user_not_found")
        spec = self._check_view(params.get("view"), kind="home")
        existing = self.ws.home_views.get(user)
        if existing is not None:
            view = self.ws.views[existing]
            if params.get("hash") and params["hash"] != view.hash:
                raise ApiError("hash_conflict")
            self.replace_view(view, spec)
        else:
            view = self._new_view(spec, user)
            self.ws.home_views[user] = view.id
        return {"ok": True, "view": self.view_api(view)}

    # --- users -------------------------------------------------------------------------
    def users_info(self, params: JSON) -> JSON:
        user = self.ws.users.get(str(params.get("user") or ""))
        if user is None:
            raise ApiError("user_not_found")
        return {"ok": True, "user": user.to_api(include_email="users:read.email" in self.scopes)}

    def users_list(self, params: JSON) -> JSON:
        email = "users:read.email" in self.scopes
        # users.list is the workspace's own members: people of other organisations are not listed
        members = [u.to_api(email) for u in self.ws.users.values() if u.team_id in ("", self.ws.team_id)]
        start = as_int(params.get("cursor"), 0) if params.get("cursor") else 0
        limit = as_int(params.get("limit"), 0) or len(members) or 1
        page = members[start : start + limit]
        nxt = str(start + limit) if start + limit < len(members) else ""
        return {"ok": True, "members": page, "cache_ts": int(time.time()), "response_metadata": {"next_cursor": nxt}}

    def users_lookup_by_email(self, params: JSON) -> JSON:
        email = str(params.get("email") or "").lower()
        for user in self.ws.users.values():
            if user.email and user.email.lower() == email:
                return {"ok": True, "user": user.to_api("users:read.email" in self.scopes)}
        raise ApiError("users_not_found")

    # --- user groups ----------------------------------------------------------------------------
    def usergroups_list(self, params: JSON) -> JSON:
        include = as_bool(params.get("include_users"))
        return {"ok": True, "usergroups": [g.to_api(include) for g in self.ws.usergroups.values()]}

    def usergroups_users_list(self, params: JSON) -> JSON:
        group = self.ws.usergroups.get(str(params.get("usergroup") or ""))
        if group is None:
            raise ApiError("no_such_subteam")
        return {"ok": True, "users": list(group.users)}

    # --- conversations -------------------------------------------------------------------
    def conversations_open(self, params: JSON) -> JSON:
        if params.get("channel"):
            ch = self._channel(params["channel"])
            return {"ok": True, "no_op": True, "already_open": True, "channel": self._channel_api(ch)}
        users = params.get("users")
        ids = users if isinstance(users, list) else [u.strip() for u in str(users or "").split(",") if u.strip()]
        if not ids:
            raise ApiError("users_list_not_supplied")
        for uid in ids:
            if uid not in self.ws.users:
                raise ApiError("user_not_found")
        if len(ids) == 1:
            ch, existed = self.ws.open_im(ids[0], self.app.bot_user_id)
        else:
            members = set(ids) | {self.app.bot_user_id}
            found = next((c for c in self.ws.channels.values() if c.is_mpim and c.members == members), None)
            existed = found is not None
            if found is None:
                name = "mpdm-" + "--".join(self.ws.users[u].name for u in ids) + "-1"
                found = Channel(id=self.ws.ids.make("G"), name=name, is_mpim=True, is_private=True, members=members)
                self.ws.channels[found.id] = found
                self.ws.messages[found.id] = []
            ch = found
        full = as_bool(params.get("return_im"))
        body: JSON = {"ok": True, "channel": self._channel_api(ch) if full else {"id": ch.id}}
        if existed:
            body["no_op"] = True
            body["already_open"] = True
        return body

    def conversations_info(self, params: JSON) -> JSON:
        ch = self._channel(params.get("channel"))
        return {"ok": True, "channel": self._channel_api(ch)}

    def _channel_api(self, ch: Channel) -> JSON:
        return ch.to_api(self.app.bot_user_id, self.ws.team_id)

    def conversations_members(self, params: JSON) -> JSON:
        ch = self._channel(params.get("channel"))
        if ch.members is None:
            members = [u.id for u in self.ws.users.values() if u.team_id in ("", self.ws.team_id)]
        else:
            members = sorted(ch.members)
        start = as_int(params.get("cursor"), 0) if params.get("cursor") else 0
        limit = max(1, min(as_int(params.get("limit"), 100) or 100, 1000))
        page = members[start : start + limit]
        nxt = str(start + limit) if start + limit < len(members) else ""
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": nxt}}

    def conversations_list(self, params: JSON) -> JSON:
        types = str(params.get("types") or "public_channel").split(",")
        out = []
        for ch in self.ws.channels.values():
            kind = (
                "im" if ch.is_im else "mpim" if ch.is_mpim else "private_channel" if ch.is_private else "public_channel"
            )
            if kind in types:
                out.append(self._channel_api(ch))
        return {"ok": True, "channels": out, "response_metadata": {"next_cursor": ""}}

    @staticmethod
    def _page(items: list[Message], params: JSON, default_limit: int) -> tuple[list[Message], bool, str]:
        start = as_int(params.get("cursor"), 0) if params.get("cursor") else 0
        limit = max(1, min(as_int(params.get("limit"), default_limit) or default_limit, 1000))
        page = items[start : start + limit]
        more = start + limit < len(items)
        return page, more, str(start + limit) if more else ""

    @staticmethod
    def _in_window(ts: str, params: JSON) -> bool:
        inclusive = as_bool(params.get("inclusive"))
        t = float(ts)
        if params.get("oldest"):
            oldest = float(params["oldest"])
            if t < oldest or (t == oldest and not inclusive):
                return False
        if params.get("latest"):
            latest = float(params["latest"])
            if t > latest or (t == latest and not inclusive):
                return False
        return True

    def conversations_history(self, params: JSON) -> JSON:
        ch = self._channel(params.get("channel"))
        visible = [
            m
            for m in self.ws.messages.get(ch.id, [])
            if m.ephemeral_for is None and (not m.is_reply or m.reply_broadcast) and self._in_window(m.ts, params)
        ]
        visible.sort(key=lambda m: float(m.ts), reverse=True)
        page, more, cursor = self._page(visible, params, 100)
        return {
            "ok": True,
            "messages": [self.ws.message_api(m) for m in page],
            "has_more": more,
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
            "response_metadata": {"next_cursor": cursor},
        }

    def conversations_replies(self, params: JSON) -> JSON:
        ch = self._channel(params.get("channel"))
        msg = self.ws.find_message(ch.id, str(params.get("ts") or ""))
        if msg is None or msg.ephemeral_for is not None:
            raise ApiError("thread_not_found")
        parent = self.ws.find_message(ch.id, msg.thread_ts) if msg.is_reply and msg.thread_ts else msg
        if parent is None:
            raise ApiError("thread_not_found")
        thread = [parent, *self.ws.replies_of(parent)]
        thread = [m for m in thread if m is parent or self._in_window(m.ts, params)]
        page, more, cursor = self._page(thread, params, 1000)
        return {
            "ok": True,
            "messages": [self.ws.message_api(m) for m in page],
            "has_more": more,
            "response_metadata": {"next_cursor": cursor},
        }

    # --- reactions -----------------------------------------------------------------------
    def reactions_add(self, params: JSON) -> JSON:
        ch = self._channel(params.get("channel"))
        msg = self._message_or_error(ch, params.get("timestamp"))
        name = str(params.get("name") or "").strip(":")
        if not name:
            raise ApiError("invalid_name")
        users = msg.reactions.setdefault(name, [])
        if self.app.bot_user_id in users:
            raise ApiError("already_reacted")
        users.append(self.app.bot_user_id)
        return {"ok": True}

    def reactions_remove(self, params: JSON) -> JSON:
        ch = self._channel(params.get("channel"))
        msg = self._message_or_error(ch, params.get("timestamp"))
        name = str(params.get("name") or "").strip(":")
        users = msg.reactions.get(name, [])
        if self.app.bot_user_id not in users:
            raise ApiError("no_reaction")
        users.remove(self.app.bot_user_id)
        if not users:
            del msg.reactions[name]
        return {"ok": True}

    # --- files (minimal: the files_upload_v2 path) -------------------------------------------
    def files_get_upload_url_external(self, params: JSON) -> JSON:
        _require(params, "filename", "length")
        fid = self.ws.ids.make("F")
        self.ws.files[fid] = {
            "id": fid,
            "created": int(time.time()),
            "timestamp": int(time.time()),
            "name": str(params["filename"]),
            "title": str(params["filename"]),
            "mimetype": "application/octet-stream",
            "filetype": str(params["filename"]).rsplit(".", 1)[-1] if "." in str(params["filename"]) else "binary",
            "user": self.app.bot_user_id,
            "size": as_int(params.get("length"), 0),
            "is_external": False,
            "url_private": f"{self.base_url()}/files/{fid}",
            "permalink": f"{self.base_url()}/files/{fid}",
            "channels": [],
            "completed": False,
        }
        return {"ok": True, "upload_url": f"{self.base_url()}/upload/{fid}", "file_id": fid}

    def files_complete_upload_external(self, params: JSON) -> JSON:
        files = params.get("files")
        if not isinstance(files, list) or not files:
            raise ApiError("invalid_arguments")
        out = []
        for f in files:
            meta = self.ws.files.get(str(f.get("id")))
            if meta is None:
                raise ApiError("file_not_found")
            if f.get("title"):
                meta["title"] = f["title"]
            meta["completed"] = True
            out.append(meta)
        targets: list[str] = []
        if params.get("channel_id"):
            targets.append(str(params["channel_id"]))
        if params.get("channels"):
            targets.extend(c for c in str(params["channels"]).split(",") if c)
        for ref in targets:
            ch = self._channel(ref)
            msg = self._bot_message(
                ch, {"text": params.get("initial_comment") or "", "thread_ts": params.get("thread_ts")}
            )
            msg.files = [copy.deepcopy(m) for m in out]
            msg.subtype = None
            for meta in out:
                meta["channels"] = sorted({*meta["channels"], ch.id})
        return {"ok": True, "files": [{"id": m["id"], "title": m["title"]} for m in out]}

    def files_info(self, params: JSON) -> JSON:
        meta = self.ws.files.get(str(params.get("file") or ""))
        if meta is None:
            raise ApiError("file_not_found")
        return {"ok": True, "file": copy.deepcopy(meta), "comments": [], "response_metadata": {"next_cursor": ""}}
