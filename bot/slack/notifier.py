"""The Slack implementation of the ``Notifier`` port: render a feature result, call the Web API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.notify import DeliveryError, FileUpload, Outbound, SentRef
from bot.slack.views import load_renderers, render

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
    }
)


class SlackNotifier:
    def __init__(self, client: WebClient) -> None:
        self.client = client
        load_renderers()

    def _blocks(self, message: Outbound) -> list[dict[str, Any]] | None:
        return render(message.view) if message.view is not None else None

    def _channel(self, channel: str) -> str:
        if channel.startswith(("U", "W")):  # a user: their DM with the bot
            return str(self.client.conversations_open(users=[channel])["channel"]["id"])
        return channel

    def send(self, message: Outbound) -> SentRef:
        try:
            channel = self._channel(message.channel)
            if message.ephemeral_user:
                resp = self.client.chat_postEphemeral(
                    channel=channel,
                    user=message.ephemeral_user,
                    text=message.text,
                    blocks=self._blocks(message),
                    thread_ts=message.thread_ts,
                )
                return SentRef(channel, str(resp.get("message_ts", "")))
            resp = self.client.chat_postMessage(
                channel=channel,
                text=message.text,
                blocks=self._blocks(message),
                thread_ts=message.thread_ts,
                unfurl_links=False,
            )
            return SentRef(str(resp["channel"]), str(resp["ts"]))
        except SlackApiError as exc:
            err = str(exc.response.get("error", ""))
            raise DeliveryError(f"Slack refused the message: {err}", permanent=err in PERMANENT_ERRORS) from None
        except OSError as exc:
            raise DeliveryError(f"Slack unreachable: {exc.__class__.__name__}") from None

    def update(self, ref: SentRef, message: Outbound) -> None:
        try:
            self.client.chat_update(channel=ref.channel, ts=ref.ts, text=message.text, blocks=self._blocks(message))
        except SlackApiError as exc:
            err = str(exc.response.get("error", ""))
            raise DeliveryError(f"Slack refused the update: {err}", permanent=err in PERMANENT_ERRORS) from None
        except OSError as exc:
            raise DeliveryError(f"Slack unreachable: {exc.__class__.__name__}") from None

    def upload(
        self, channel: str, files: Sequence[FileUpload], text: str = "", thread_ts: str | None = None
    ) -> list[str]:
        """Share files through the files_upload_v2 path (getUploadURLExternal, POST, completeUploadExternal)."""
        if not files:
            raise DeliveryError("invalid_arguments: no files", permanent=True)
        try:
            resp = self.client.files_upload_v2(
                channel=self._channel(channel),
                file_uploads=[
                    {
                        "content": f.content,
                        "filename": f.filename,
                        "title": f.title or f.filename,
                        "alt_txt": f.alt_text,
                    }
                    for f in files
                ],
                initial_comment=text or None,
                thread_ts=thread_ts,
            )
            return [str(f["id"]) for f in resp.get("files") or []]
        except SlackApiError as exc:
            err = str(exc.response.get("error", ""))
            raise DeliveryError(f"Slack refused the upload: {err}", permanent=err in PERMANENT_ERRORS) from None
        except (SlackRequestError, OSError) as exc:
            raise DeliveryError(f"Slack upload failed: {exc.__class__.__name__}") from None
