"""HTTP serving: ``POST /slack/events`` (Bolt), ``/healthz``, ``/readyz``, ``/metrics``, ``POST /ingest/<source>``."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from slack_bolt import App
from slack_bolt.request import BoltRequest

from bot.logs import REQUEST_ID, new_request_id
from bot.metrics import Registry

log = logging.getLogger(__name__)
MAX_SLACK_BODY = 1 << 20  # Slack payloads are small; anything bigger is not Slack
MAX_INGEST_BODY = 10 << 20

IngestHandler = Callable[[str, dict[str, str], bytes], tuple[int, dict[str, Any]]]


class RapportHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The stdlib default backlog (5) resets connections when Slack delivers a burst of events.
    request_queue_size = 256

    def __init__(
        self,
        addr: tuple[str, int],
        app: App,
        metrics: Registry,
        ready: Callable[[], dict[str, bool]],
        ingest: IngestHandler | None = None,
    ) -> None:
        super().__init__(addr, _Handler)
        self.app = app
        self.metrics = metrics
        self.ready = ready
        self.ingest = ingest


class _Handler(BaseHTTPRequestHandler):
    server: RapportHTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # access logs without bodies
        log.debug("%s %s", self.address_string(), format % args)

    def _send(
        self, status: int, body: bytes | str, ctype: str = "application/json", headers: dict[str, Any] | None = None
    ) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        rid = REQUEST_ID.get()
        if rid:
            self.send_header("X-Request-Id", rid)
        for k, v in (headers or {}).items():
            for item in v if isinstance(v, list) else [v]:
                if k.lower() not in ("content-length", "content-type"):
                    self.send_header(k, str(item))
        self.end_headers()
        self.wfile.write(data)

    def _with_request_id(self, handle: Callable[[], None]) -> None:
        # One id per request, in every log line it causes (lazy listeners inherit it: bot.logs.ContextExecutor).
        token = REQUEST_ID.set(new_request_id(self.headers.get("X-Request-Id")))
        try:
            handle()
        finally:
            REQUEST_ID.reset(token)

    def do_GET(self) -> None:  # noqa: N802
        self._with_request_id(self._get)

    def _get(self) -> None:
        if self.path == "/healthz":
            self._send(200, '{"ok":true}')
        elif self.path == "/readyz":
            checks = self.server.ready()
            self._send(200 if all(checks.values()) else 503, json.dumps({"ok": all(checks.values()), **checks}))
        elif self.path == "/metrics":
            self._send(200, self.server.metrics.render(), "text/plain; version=0.0.4")
        else:
            self._send(404, '{"error":"not_found"}')

    def _body(self, limit: int) -> bytes | None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > limit:
            self._send(413, '{"error":"payload_too_large"}')
            self.close_connection = True
            return None
        return self.rfile.read(length) if length else b""

    def do_POST(self) -> None:  # noqa: N802
        self._with_request_id(self._post)

    def _post(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/slack/events":
            self._slack()
        elif path.startswith("/ingest/") and self.server.ingest:
            body = self._body(MAX_INGEST_BODY)
            if body is None:
                return
            status, payload = self.server.ingest(path[len("/ingest/") :], dict(self.headers.items()), body)
            self._send(status, json.dumps(payload))
        else:
            self._send(404, '{"error":"not_found"}')

    def _slack(self) -> None:
        started = time.perf_counter()
        body = self._body(MAX_SLACK_BODY)
        if body is None:
            return
        headers: dict[str, str | Sequence[str]] = {k.lower(): [v] for k, v in self.headers.items()}
        try:
            req = BoltRequest(body=body.decode("utf-8"), headers=headers)
            resp = self.server.app.dispatch(req)
            status, resp_body, resp_headers = resp.status, resp.body, resp.headers
        except (UnicodeDecodeError, ValueError, KeyError, json.JSONDecodeError):
            status, resp_body, resp_headers = 400, '{"error":"malformed_request"}', {}
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("dispatch failed (reference %s)", ref)
            status, resp_body, resp_headers = 500, json.dumps({"error": "internal", "reference": ref}), {}
        if status == 401:
            log.warning("refused a request with an invalid or stale signature from %s", self.client_address[0])
        elapsed = time.perf_counter() - started
        kind = _kind(headers)
        if headers.get("x-slack-retry-num"):
            self.server.metrics.inc(
                "rapport_slack_redeliveries_total", "Slack redeliveries received (X-Slack-Retry-Num)", kind=kind
            )
        self.server.metrics.observe("rapport_ack_seconds", elapsed, "Time from request to Slack ack", kind=kind)
        self.server.metrics.inc(
            "rapport_requests_total", "Slack requests by kind and status", kind=kind, status=str(status)
        )
        ctype = (resp_headers.get("content-type") or ["application/json"])[0] if resp_headers else "application/json"
        self._send(status, resp_body or "", ctype, {k: v for k, v in (resp_headers or {}).items()})


def _kind(headers: dict[str, str | Sequence[str]]) -> str:
    ctype = str((headers.get("content-type") or [""])[0])
    return "event" if "json" in ctype else "form"
