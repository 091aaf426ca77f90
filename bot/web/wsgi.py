"""The WSGI application behind ``rapport serve``: routing, body limits, Slack signature and shape checks,
request ids and the request metrics.

Routes: ``POST /slack/events`` (Bolt), ``POST /ingest/<source>`` (webhooks), ``GET /healthz``,
``GET /readyz`` (JSON detail, 503 when a check is false; strings are notes), ``GET /metrics`` (Prometheus text).
Without an ``app`` (Socket Mode: Slack's traffic comes over the socket) only the ops routes are served.

A Slack request is checked here, in this order, before Bolt sees it, because Bolt parses the body
before its own signature check (so a signed or unsigned non-object body raised inside Bolt) and logs
the body of a request whose signature fails:

1. framing: a body over the route's limit is 413 (the server refuses it before reading it, see
   :mod:`bot.web.server`; checked again here for any other WSGI server), a truncated body 400;
2. ``X-Slack-Request-Timestamp`` that is not ASCII digits, or a body that is not UTF-8: 400;
3. signature (slack_sdk's verifier: HMAC over ``v0:{timestamp}:{body}``, 5-minute window): missing,
   stale or wrong is 401, logged with the client address and length, never the body;
4. the body as Bolt will parse it must be a JSON object (an event, or the ``payload`` form field of
   an interaction) or a form (a slash command), with objects and lists where Slack's payloads have
   them (``event``, ``user``, ``actions``...): anything else is 400;
5. Bolt dispatches. An exception there is our bug, not bad input: 500 with a reference in the log.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.request import BoltRequest
from slack_bolt.request.internals import build_normalized_headers, extract_content_type, parse_body
from slack_sdk.signature import Clock, SignatureVerifier

from bot.logs import REQUEST_ID, new_request_id
from bot.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from bot.metrics import Registry

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from slack_bolt import App

log = logging.getLogger(__name__)

SLACK_PATH = "/slack/events"
INGEST_PREFIX = "/ingest/"
MAX_SLACK_BODY = 1 << 20  # Slack payloads are a few KB; anything near this is not Slack
MAX_INGEST_BODY = 10 << 20  # a webhook batch of records
_TIMESTAMP = re.compile(r"[0-9]{1,15}")
_SOURCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
_JSON = "application/json"

IngestHandler = Callable[[str, dict[str, str], bytes], tuple[int, dict[str, Any]]]


def body_limit(path: str) -> int:
    """Largest body accepted on ``path``: the server refuses a bigger one before reading it."""
    if path == SLACK_PATH:
        return MAX_SLACK_BODY
    if path.startswith(INGEST_PREFIX):
        return MAX_INGEST_BODY
    return 0  # health, metrics, unknown paths: no body


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = _JSON
    headers: list[tuple[str, str]] = field(default_factory=list)


def _json(status: int, payload: Mapping[str, Any], headers: list[tuple[str, str]] | None = None) -> Reply:
    return Reply(status, json.dumps(payload).encode(), _JSON, headers or [])


class BadRequest(Exception):
    """Input we refuse: the status and a short machine-readable error."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status, self.error = status, error


def read_body(environ: WSGIEnvironment, limit: int) -> bytes:
    raw = environ.get("CONTENT_LENGTH") or "0"
    if not (raw.isascii() and raw.isdigit()):
        raise BadRequest(400, "bad_content_length")
    length = int(raw)
    if length > limit:
        raise BadRequest(413, "payload_too_large")
    body = environ["wsgi.input"].read(length) if length else b""
    if len(body) != length:
        raise BadRequest(400, "truncated_body")
    return bytes(body)


class Edge:
    """The WSGI callable. ``ready`` returns named readiness checks; ``ingest`` handles webhook deliveries."""

    def __init__(
        self,
        app: App | None,
        metrics: Registry,
        ready: Callable[[], Mapping[str, object]],
        ingest: IngestHandler | None = None,
        *,
        signing_secret: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if app is not None and not signing_secret:
            raise ValueError("a signing secret is required to accept Slack requests")
        self.app = app
        self.metrics = metrics
        self.ready = ready
        self.ingest = ingest
        self.verifier = SignatureVerifier(signing_secret, clock=_Clock(clock)) if app is not None else None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        token = REQUEST_ID.set(new_request_id(environ.get("HTTP_X_REQUEST_ID")))
        try:
            try:
                reply = self._route(environ)
            except BadRequest as exc:
                reply = _json(exc.status, {"error": exc.error})
            except Exception:
                ref = uuid.uuid4().hex[:8]
                log.exception("request failed (reference %s)", ref)
                reply = _json(500, {"error": "internal", "reference": ref})
            headers = [
                ("Content-Type", reply.content_type),
                ("Content-Length", str(len(reply.body))),
                ("X-Request-Id", REQUEST_ID.get() or ""),
            ]
            headers += [(k, v) for k, v in reply.headers if k.lower() not in ("content-type", "content-length")]
            start_response(_status_line(reply.status), headers)
            return [reply.body]
        finally:
            REQUEST_ID.reset(token)

    def _route(self, environ: WSGIEnvironment) -> Reply:
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "")
        if path in ("/healthz", "/readyz", "/metrics"):
            if method not in ("GET", "HEAD"):
                return _json(405, {"error": "method_not_allowed"}, [("Allow", "GET, HEAD")])
            return self._health(path)
        if (path == SLACK_PATH and self.app is not None) or path.startswith(INGEST_PREFIX):
            if method != "POST":
                return _json(405, {"error": "method_not_allowed"}, [("Allow", "POST")])
            return self._slack(environ) if path == SLACK_PATH else self._ingest(environ, path[len(INGEST_PREFIX) :])
        return _json(404, {"error": "not_found"})

    def _health(self, path: str) -> Reply:
        if path == "/healthz":
            return _json(200, {"ok": True})
        if path == "/metrics":
            return Reply(200, self.metrics.render().encode(), METRICS_CONTENT_TYPE)
        checks = self.ready()
        ok = all(v for v in checks.values() if isinstance(v, bool))
        return _json(200 if ok else 503, {"ok": ok, **checks})

    def _ingest(self, environ: WSGIEnvironment, source: str) -> Reply:
        if self.ingest is None or not _SOURCE.fullmatch(source):
            return _json(404, {"error": "not_found"})
        body = read_body(environ, MAX_INGEST_BODY)
        status, payload = self.ingest(source, _headers(environ), body)
        return _json(status, payload)

    # ---- Slack -----------------------------------------------------------------------------------
    def _slack(self, environ: WSGIEnvironment) -> Reply:
        started = time.perf_counter()
        headers = build_normalized_headers(WsgiHttpRequest(environ).get_headers())
        kind = "event" if "json" in str((headers.get("content-type") or [""])[0]) else "form"
        try:
            reply = self._slack_reply(environ, headers)
        except BadRequest as exc:
            reply = _json(exc.status, {"error": exc.error})
        if headers.get("x-slack-retry-num"):
            self.metrics.inc(
                "rapport_slack_redeliveries_total", "Slack redeliveries received (X-Slack-Retry-Num)", kind=kind
            )
        self.metrics.observe(
            "rapport_ack_seconds", time.perf_counter() - started, "Time from request to Slack ack", kind=kind
        )
        self.metrics.inc(
            "rapport_requests_total", "Slack requests by kind and status", kind=kind, status=str(reply.status)
        )
        return reply

    def _slack_reply(self, environ: WSGIEnvironment, headers: dict[str, Sequence[str]]) -> Reply:
        body = read_body(environ, MAX_SLACK_BODY)
        timestamp = _first(headers, "x-slack-request-timestamp")
        signature = _first(headers, "x-slack-signature")
        if timestamp is not None and not _TIMESTAMP.fullmatch(timestamp):
            raise BadRequest(400, "malformed_timestamp")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest(400, "body_not_utf8") from None
        if (
            timestamp is None
            or signature is None
            or not signature.isascii()
            or self.verifier is None
            or not self.verifier.is_valid(text, timestamp, signature)
        ):
            log.warning(
                "refused a Slack request with a %s signature from %s (%d bytes; body not logged)",
                "missing" if timestamp is None or signature is None else "stale or invalid",
                environ.get("REMOTE_ADDR", "?"),
                len(body),
            )
            return _json(401, {"error": "invalid_signature"})
        try:
            parsed = parse_body(text, extract_content_type(headers))
        except ValueError:  # json.JSONDecodeError is one
            raise BadRequest(400, "malformed_body") from None
        if not isinstance(parsed, dict) or not _slack_shaped(parsed):
            raise BadRequest(400, "body_not_an_object")
        try:
            request = BoltRequest(body=text, query=environ.get("QUERY_STRING", ""), headers=dict(headers))
        except Exception as exc:  # Bolt could not read a well-formed but odd payload: the sender's problem
            log.warning("refused a signed Slack request Bolt cannot read (%s)", type(exc).__name__)
            raise BadRequest(400, "malformed_body") from None
        assert self.app is not None  # routed here only with an app
        response = self.app.dispatch(request)
        out = [(k, v) for k, values in (response.headers or {}).items() for v in values]
        ctype = next((v for k, v in out if k.lower() == "content-type"), _JSON)
        return Reply(response.status, (response.body or "").encode(), ctype, out)


# Top-level keys Bolt's middleware reads as objects (``body["event"].get(...)``) or lists of objects; in Slack's
# payloads they are (or null). Slash commands are forms, whose values are strings under other names.
_OBJECT_KEYS = ("event", "team", "user", "channel", "enterprise", "view", "container", "message", "state")
_DIALOGS = ("dialog_submission", "dialog_cancellation", "dialog_suggestion")  # their ``state`` is a string
_LIST_KEYS = ("actions", "authorizations")


def _slack_shaped(body: dict[str, Any]) -> bool:
    """Whether Bolt can read ``body`` without tripping over a value of the wrong type."""
    objects = [k for k in _OBJECT_KEYS if not (k == "state" and body.get("type") in _DIALOGS)]
    if any(body.get(k) is not None and not isinstance(body[k], dict) for k in objects):
        return False
    return all(
        body.get(k) is None or (isinstance(body[k], list) and all(isinstance(x, dict) for x in body[k]))
        for k in _LIST_KEYS
    )


class _Clock(Clock):
    """slack_sdk's verifier asks a clock object for ``now()``; tests pass a fixed time."""

    def __init__(self, fn: Callable[[], float]) -> None:
        self.fn = fn

    def now(self) -> float:
        return self.fn()


def _first(headers: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = headers.get(name)
    return str(values[0]) if values else None


def _headers(environ: WSGIEnvironment) -> dict[str, str]:
    """Request headers with their usual spelling (``X-Rapport-Signature``), as the ingest handler reads them."""
    out = {k[5:].replace("_", "-").title(): str(v) for k, v in environ.items() if k.startswith("HTTP_")}
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            out[key.replace("_", "-").title()] = str(environ[key])
    return out


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"
