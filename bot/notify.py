"""The ``Notifier`` port: how features send messages without knowing Slack.

A feature builds an :class:`Outbound` holding a plain result object (``view``); the Slack notifier
(``bot.slack.notifier``) renders it to Block Kit with ``bot.slack.views.render`` and calls the Web API. It is
the only way out to Slack: features and listeners alike send through it. Tests use :class:`RecordingNotifier`.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Outbound:
    channel: str  # channel id, or a user id for a DM
    text: str  # notification / fallback text; never sensitive field values
    view: object | None = None  # a feature's result dataclass, rendered by the adapter
    thread_ts: str | None = None
    ephemeral_user: str | None = None  # set: only this user sees it
    # Set: answer through an interaction's response_url (works for ephemeral messages and where the bot is not
    # a member); ``replace_original`` then edits the message the interaction came from.
    response_url: str | None = None
    replace_original: bool = False


@dataclass(frozen=True)
class Notice:
    """A plain one-paragraph message (a confirmation, a refusal, an error with its reference id)."""

    text: str
    reference: str | None = None
    warning: bool = False


@dataclass(frozen=True)
class SentRef:
    channel: str
    ts: str


@dataclass(frozen=True)
class FileUpload:
    filename: str
    content: bytes
    title: str = ""
    alt_text: str = ""


@dataclass(frozen=True)
class Uploaded:
    channel: str
    thread_ts: str | None
    text: str
    files: tuple[FileUpload, ...]
    file_ids: tuple[str, ...]


class DeliveryError(Exception):
    """Sending failed; ``permanent`` means retrying will not help (bad channel, not in channel...)."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Notifier(Protocol):
    def send(self, message: Outbound) -> SentRef: ...

    def update(self, ref: SentRef, message: Outbound) -> None: ...

    def replace(self, placeholder: SentRef | None, message: Outbound) -> SentRef:
        """Show ``message`` in place of a placeholder ("Looking into it…"): update it, else post anew and remove
        it, else post plain text. Raises :class:`DeliveryError` when nothing could be shown."""
        ...

    def delete(self, ref: SentRef) -> None: ...


class FileNotifier(Notifier, Protocol):
    """A notifier that can also share files (charts, exports) in a channel or thread."""

    def upload(
        self, channel: str, files: Sequence[FileUpload], text: str = "", thread_ts: str | None = None
    ) -> list[str]: ...


@dataclass
class RecordingNotifier:
    """In-memory notifier for unit tests; honours the same contract as the Slack one."""

    sent: list[tuple[SentRef, Outbound]] = field(default_factory=list)
    updates: list[tuple[SentRef, Outbound]] = field(default_factory=list)
    uploads: list[Uploaded] = field(default_factory=list)
    deleted: list[SentRef] = field(default_factory=list)
    fail_channels: set[str] = field(default_factory=set)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, message: Outbound) -> SentRef:
        if message.channel in self.fail_channels:
            raise DeliveryError(f"channel_not_found: {message.channel}", permanent=True)
        with self._lock:
            ref = SentRef(message.channel, f"{1700000000 + next(self._ts)}.000100")
            self.sent.append((ref, message))
        return ref

    def update(self, ref: SentRef, message: Outbound) -> None:
        with self._lock:
            self.updates.append((ref, message))

    def replace(self, placeholder: SentRef | None, message: Outbound) -> SentRef:
        if placeholder is None:
            return self.send(message)
        self.update(placeholder, message)
        return placeholder

    def delete(self, ref: SentRef) -> None:
        with self._lock:
            self.deleted.append(ref)

    def upload(
        self, channel: str, files: Sequence[FileUpload], text: str = "", thread_ts: str | None = None
    ) -> list[str]:
        if channel in self.fail_channels:
            raise DeliveryError(f"channel_not_found: {channel}", permanent=True)
        if not files:
            raise DeliveryError("invalid_arguments: no files", permanent=True)
        with self._lock:
            ids = tuple(f"F{len(self.uploads):04d}{i:02d}" for i in range(len(files)))
            self.uploads.append(Uploaded(channel, thread_ts, text, tuple(files), ids))
        return list(ids)
