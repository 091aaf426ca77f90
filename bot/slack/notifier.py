"""The one way out to Slack: render a feature result, call the Web API (or a response_url), map failures.

Implements the ``Notifier`` port features use (send, update, replace, delete, upload), the ``SentLookup``
alert delivery uses to reconcile after a crash, and the few Slack-only calls listeners need (modals, App Home,
reading a thread). Every Web API failure becomes a :class:`DeliveryError`, ``permanent`` when retrying cannot help.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.webhook import WebhookClient

from bot.notify import DeliveryError, FileUpload, Outbound, SentRef
from bot.slack.views import render
from bot.slack.views.common import fallback

log = logging.getLogger(__name__)
T = TypeVar("T")
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_blocks",
        "msg_too_long",
        "user_not_found",
        "cannot_dm_bot",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "no_permission",
        "message_not_found",
        "cant_update_message",
        "user_disabled",
        "invalid_arguments",
        "missing_scope",
    }
)
THREAD_READ_LIMIT = 50  # replies read to decide whether a thread is Rapport's: bounded, whatever its length


def _call(what: str, fn: Callable[[], T]) -> T:
    try:
        return fn()
    except SlackApiError as exc:
        err = str(exc.response.get("error", ""))
        raise DeliveryError(f"Slack refused the {what}: {err}", permanent=err in PERMANENT_ERRORS) from None
    except (SlackRequestError, OSError) as exc:  # OSError: Slack unreachable after the SDK's own retries
        raise DeliveryError(f"Slack unreachable ({what}): {exc.__class__.__name__}") from None


class SlackNotifier:
    def __init__(self, client: WebClient) -> None:
        self.client = client
        # ``guard(channel)`` True: a visible post there would be seen by another organisation or a customer
        # (``bot.channels.facts.posting_forbidden``, set by the composition root). Such posts are refused here,
        # the one way out, whichever feature asked; private messages (ephemeral, DMs) always go.
        self.guard: Callable[[str], bool] | None = None

    def _blocks(self, message: Outbound) -> list[dict[str, Any]] | None:
        return render(message.view) if message.view is not None else None

    def _channel(self, channel: str) -> str:
        if channel.startswith(("U", "W")):  # a user: their DM with the bot
            return str(_call("DM", lambda: self.client.conversations_open(users=[channel]))["channel"]["id"])
        return channel

    def _refuse_shared(self, channel: str) -> None:
        if self.guard is not None and self.guard(channel):
            log.warning("refused a visible post in %s: it is shared with a customer or another organisation", channel)
            raise DeliveryError(f"not_allowed: {channel} is shared outside the company", permanent=True)

    def send(self, message: Outbound) -> SentRef:
        if message.response_url:
            if message.replace_original and not message.ephemeral_user:
                self._refuse_shared(message.channel)
            return self._respond(message)
        if not message.ephemeral_user:
            self._refuse_shared(message.channel)
        channel = self._channel(message.channel)
        blocks = self._blocks(message)
        if message.ephemeral_user:
            user = message.ephemeral_user
            resp = _call(
                "message",
                lambda: self.client.chat_postEphemeral(
                    channel=channel,
                    user=user,
                    text=fallback(message.text, blocks),
                    blocks=blocks,
                    thread_ts=message.thread_ts,
                ),
            )
            return SentRef(channel, str(resp.get("message_ts", "")))
        resp = _call(
            "message",
            lambda: self.client.chat_postMessage(
                channel=channel,
                text=fallback(message.text, blocks),
                blocks=blocks,
                thread_ts=message.thread_ts,
                unfurl_links=False,
            ),
        )
        return SentRef(str(resp["channel"]), str(resp["ts"]))

    def _respond(self, message: Outbound) -> SentRef:
        """Through the interaction's response_url: ephemeral unless it replaces the original message."""
        hook = WebhookClient(str(message.response_url), timeout=10)
        blocks = self._blocks(message)
        resp = _call(
            "response",
            lambda: hook.send(
                text=fallback(message.text, blocks),
                blocks=blocks,
                response_type="ephemeral" if message.ephemeral_user or not message.replace_original else None,
                replace_original=message.replace_original,
            ),
        )
        if resp.status_code >= 400:
            raise DeliveryError(
                f"Slack refused the response: HTTP {resp.status_code}", permanent=resp.status_code < 500
            )
        return SentRef(message.channel, "")

    def update(self, ref: SentRef, message: Outbound) -> None:
        blocks = self._blocks(message)
        text = fallback(message.text, blocks)
        _call("update", lambda: self.client.chat_update(channel=ref.channel, ts=ref.ts, text=text, blocks=blocks))

    def delete(self, ref: SentRef) -> None:
        _call("delete", lambda: self.client.chat_delete(channel=ref.channel, ts=ref.ts))

    def replace(self, placeholder: SentRef | None, message: Outbound) -> SentRef:
        """Update the placeholder, else post anew (and remove the placeholder), else post the plain text."""
        if placeholder is not None:
            try:
                self.update(placeholder, message)
                return placeholder
            except DeliveryError as exc:
                log.warning("could not update the placeholder in %s: %s", placeholder.channel, exc)
        plain = Outbound(message.channel, message.text[:3000], None, message.thread_ts, message.ephemeral_user)
        last: DeliveryError | None = None
        for attempt in (message, plain):
            try:
                ref = self.send(attempt)
            except DeliveryError as exc:
                log.warning("could not post in %s: %s", message.channel, exc)
                last = exc
                continue
            if placeholder is not None:
                try:  # the reply went out anew: do not leave "Looking into it…" behind
                    self.delete(placeholder)
                except DeliveryError:
                    log.info("placeholder %s left in %s", placeholder.ts, placeholder.channel)
            return ref
        raise last or DeliveryError("nothing could be shown")

    def upload(
        self, channel: str, files: Sequence[FileUpload], text: str = "", thread_ts: str | None = None
    ) -> list[str]:
        """Share files through the files_upload_v2 path (getUploadURLExternal, POST, completeUploadExternal)."""
        if not files:
            raise DeliveryError("invalid_arguments: no files", permanent=True)
        self._refuse_shared(channel)
        target = self._channel(channel)
        resp = _call(
            "upload",
            lambda: self.client.files_upload_v2(
                channel=target,
                file_uploads=[
                    {
                        "content": f.content,
                        "filename": f.filename,
                        "title": f.title or f.filename,
                        "alt_txt": f.alt_text,
                    }
                    for f in files
                ],
                initial_comment=fallback(text, None) or None,
                thread_ts=thread_ts,
            ),
        )
        return [str(f["id"]) for f in resp.get("files") or []]

    # ---- Slack-only surfaces the listeners use ------------------------------------------------------------
    def open_modal(self, trigger_id: str, view: dict[str, Any]) -> None:
        _call("modal", lambda: self.client.views_open(trigger_id=trigger_id, view=view))

    def publish_home(self, user_id: str, blocks: list[dict[str, Any]]) -> None:
        _call("App Home", lambda: self.client.views_publish(user_id=user_id, view={"type": "home", "blocks": blocks}))

    def thread(self, channel: str, thread_ts: str, limit: int = THREAD_READ_LIMIT) -> list[dict[str, Any]]:
        """The first ``limit`` messages of a thread; [] when it cannot be read."""
        try:
            resp = self.client.conversations_replies(channel=channel, ts=thread_ts, limit=limit)
        except (SlackApiError, OSError) as exc:  # Slack said no (thread_not_found...) or is unreachable: no traceback
            log.warning("could not read thread %s in %s: %s", thread_ts, channel, type(exc).__name__)
            return []
        return list(resp.get("messages") or [])

    def find(self, channel: str, marker: str, since: dt.datetime) -> SentRef | None:
        """``SentLookup`` over ``conversations.history``: was a message whose first block is ``marker`` posted?"""
        channel = self._channel(channel)
        cursor = None
        for _ in range(50):  # bounded: the window is one lease (minutes) of one channel
            resp = self.client.conversations_history(
                channel=channel, oldest=f"{since.timestamp():.6f}", limit=200, cursor=cursor, include_all_metadata=True
            )
            for msg in resp.get("messages") or []:
                blocks = msg.get("blocks") or []
                if blocks and blocks[0].get("block_id") == marker:
                    return SentRef(channel, str(msg["ts"]))
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not resp.get("has_more") or not cursor:
                return None
        return None

    # ---- what the channels feature reads (``bot.channels.directory.Directory``): None when Slack cannot say --
    def _read(self, what: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except (SlackApiError, SlackRequestError, OSError) as exc:
            log.warning("could not read %s: %s", what, getattr(exc, "response", {}).get("error", exc))
            return None

    def channel_info(self, channel: str) -> dict[str, Any] | None:
        resp = self._read("conversations.info", lambda: self.client.conversations_info(channel=channel))
        return dict(resp["channel"]) if resp is not None and resp.get("channel") else None

    def channel_members(self, channel: str, limit: int = 200) -> list[str]:
        members: list[str] = []
        cursor: str | None = None

        def page(c: str | None) -> Any:
            return self.client.conversations_members(channel=channel, limit=min(200, limit), cursor=c)

        while len(members) < limit:
            resp = self._read("conversations.members", partial(page, cursor))
            if resp is None:
                break
            members += [str(m) for m in resp.get("members") or []]
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return members[:limit]

    def user_info(self, user: str) -> dict[str, Any] | None:
        resp = self._read("users.info", lambda: self.client.users_info(user=user))
        return dict(resp["user"]) if resp is not None and resp.get("user") else None

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """One message by its ts (a thread reply too: history first, then the replies naming it)."""
        resp = self._read(
            "conversations.history",
            lambda: self.client.conversations_history(channel=channel, latest=ts, oldest=ts, inclusive=True, limit=1),
        )
        found = [m for m in (resp.get("messages") or []) if m.get("ts") == ts] if resp is not None else []
        if not found:
            resp = self._read(
                "conversations.replies",
                lambda: self.client.conversations_replies(channel=channel, ts=ts, oldest=ts, latest=ts, inclusive=True),
            )
            found = [m for m in (resp.get("messages") or []) if m.get("ts") == ts] if resp is not None else []
        return dict(found[0]) if found else None

    def permalink(self, channel: str, ts: str) -> str | None:
        resp = self._read("chat.getPermalink", lambda: self.client.chat_getPermalink(channel=channel, message_ts=ts))
        return str(resp["permalink"]) if resp is not None and resp.get("permalink") else None
