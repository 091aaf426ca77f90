"""Socket Mode, as Slack runs it: ``apps.connections.open`` (app-level token) hands out a one-time
WebSocket URL; over that connection Slack sends a ``hello``, then envelopes (``events_api``,
``slash_commands``, ``interactive``) each carrying an ``envelope_id``, and the app acknowledges
each with ``{"envelope_id": ...}``, optionally with a ``payload`` (a slash command's reply, a view
submission's ``response_action``). ``{"type": "disconnect"}`` asks the app to reconnect.

https://api.slack.com/apis/socket-mode . The WebSocket protocol itself is the `websockets`
package's (its threaded server), so slack_sdk's own clients connect to it unchanged.
"""

from __future__ import annotations

import contextlib
import http
import itertools
import json
import logging
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

JSON = dict[str, Any]
log = logging.getLogger(__name__)

TICKET_TTL = 60.0  # seconds a URL from apps.connections.open stays usable


@dataclass
class Ack:
    """What the app answered to one envelope."""

    envelope_id: str
    acked: bool = False
    payload: JSON | None = None
    done: threading.Event = field(default_factory=threading.Event)


@dataclass
class _Link:
    connection: ServerConnection
    serial: int = 0  # the order it was accepted in: which connections came after a disconnect request
    send_lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, message: JSON) -> None:
        with self.send_lock:
            self.connection.send(json.dumps(message, separators=(",", ":")))


def envelope_for(body: str, content_type: str) -> tuple[str, JSON]:
    """The Socket Mode envelope type and payload for what HTTP mode would POST.

    Events API: the same JSON envelope; slash commands: the form fields as an object;
    interactivity: the JSON inside the form's `payload` field.
    """
    if content_type.split(";")[0].strip().lower() == "application/json":
        return "events_api", json.loads(body)
    fields = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
    if "payload" in fields:
        return "interactive", json.loads(fields["payload"])
    return "slash_commands", fields


class SocketModeHub:
    """The WebSocket side of the double: one threaded server, any number of app connections."""

    def __init__(self, host: str = "127.0.0.1", app_id: str = "A0RAPPORT") -> None:
        self.host = host
        self.app_id = app_id
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Condition()
        self._tickets: dict[str, float] = {}  # ticket -> issued at
        self._links: list[_Link] = []
        self._pending: dict[str, Ack] = {}
        self._rr = itertools.count()
        self._serials = itertools.count(1)
        self._asked_to_leave = 0  # links up to this serial were sent a disconnect
        self.port = 0

    # --- lifecycle ----------------------------------------------------------------------
    def start(self) -> None:
        if self._server is not None:
            return
        self._server = serve(self._handle, self.host, 0, process_request=self._check_ticket, ping_interval=None)
        self.port = int(self._server.socket.getsockname()[1])
        self._thread = threading.Thread(target=self._server.serve_forever, name="slackdouble-socket", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        with self._lock:
            links = list(self._links)
            for ack in self._pending.values():
                ack.done.set()
        for link in links:
            with contextlib.suppress(Exception):
                link.connection.close()
        server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # --- apps.connections.open -------------------------------------------------------------
    def open_url(self) -> str:
        """A fresh one-time URL, as ``apps.connections.open`` returns it."""
        self.start()
        ticket = str(uuid.uuid4())
        with self._lock:
            self._tickets[ticket] = time.monotonic()
        return f"ws://{self.host}:{self.port}/link/?ticket={ticket}&app_id={self.app_id}"

    def _check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(request.path).query))
        ticket = query.get("ticket", "")
        with self._lock:
            issued = self._tickets.pop(ticket, None)  # a URL works once
        if issued is None or time.monotonic() - issued > TICKET_TTL:
            return connection.respond(http.HTTPStatus.UNAUTHORIZED, "invalid or used ticket\n")
        return None

    # --- connections ------------------------------------------------------------------------
    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._links)

    def wait_connected(self, count: int = 1, timeout: float = 10.0) -> bool:
        with self._lock:
            return self._lock.wait_for(lambda: len(self._links) >= count, timeout)

    def wait_replaced(self, timeout: float = 10.0) -> bool:
        """After :meth:`disconnect_all`: every connection asked to leave has closed and a new one is open (until
        then an envelope may go to a connection the app is dropping, and get no ack)."""
        with self._lock:
            return self._lock.wait_for(
                lambda: bool(self._links) and all(link.serial > self._asked_to_leave for link in self._links), timeout
            )

    def _handle(self, connection: ServerConnection) -> None:
        link = _Link(connection, next(self._serials))
        with self._lock:
            self._links.append(link)
            count = len(self._links)
            self._lock.notify_all()
        try:
            link.send(
                {
                    "type": "hello",
                    "num_connections": count,
                    "debug_info": {"host": "slackdouble", "build_number": 1, "approximate_connection_time": 18060},
                    "connection_info": {"app_id": self.app_id},
                }
            )
            for raw in connection:
                self._on_message(raw)
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                if link in self._links:
                    self._links.remove(link)
                self._lock.notify_all()

    def _on_message(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            log.warning("socket mode: ignored a frame that is not JSON: %r", raw[:200])
            return
        if not isinstance(message, dict) or not message.get("envelope_id"):
            return
        with self._lock:
            ack = self._pending.get(str(message["envelope_id"]))
        if ack is None:
            log.warning("socket mode: ack for an unknown envelope %s", message.get("envelope_id"))
            return
        payload = message.get("payload")
        ack.payload = payload if isinstance(payload, dict) else None
        ack.acked = True
        ack.done.set()

    # --- delivery ------------------------------------------------------------------------------
    def deliver(
        self,
        kind: str,
        payload: JSON,
        *,
        timeout: float,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> Ack | None:
        """Send one envelope to one connection (round robin, as Slack spreads them) and wait for its ack.

        None when no app is connected; an `Ack` with ``acked=False`` when none came within `timeout`.
        """
        with self._lock:
            if not self._links:
                return None
            link = self._links[next(self._rr) % len(self._links)]
            envelope_id = str(uuid.uuid4())
            ack = Ack(envelope_id)
            self._pending[envelope_id] = ack
        envelope: JSON = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": kind,
            "accepts_response_payload": kind != "events_api",
        }
        if kind == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason
        try:
            link.send(envelope)
            ack.done.wait(timeout)
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                self._pending.pop(envelope_id, None)
        return ack

    def disconnect_all(self, reason: str = "refresh_requested") -> None:
        """Ask every connected app to reconnect (Slack does this every few hours)."""
        with self._lock:
            links = list(self._links)
            self._asked_to_leave = max((link.serial for link in links), default=self._asked_to_leave)
        for link in links:
            with contextlib.suppress(ConnectionClosed):
                link.send({"type": "disconnect", "reason": reason, "debug_info": {"host": "slackdouble"}})
