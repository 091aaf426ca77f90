"""The WSGI edge called directly (no sockets): routing, limits, the Slack checks' order, request ids, metrics."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from slack_bolt import App, BoltResponse
from slack_bolt.authorization import AuthorizeResult

from bot.metrics import Registry
from bot.web.wsgi import MAX_INGEST_BODY, MAX_SLACK_BODY, Edge, body_limit
from slackdouble.signing import sign

SECRET = "unit-signing-secret-0123456789abcd"


def now() -> int:
    """Read at each use: Bolt checks the signature again with the real clock, and a long suite outlives 5 minutes."""
    return int(time.time())


def _authorize(**_: Any) -> AuthorizeResult:  # no Web API (no auth.test) in unit tests
    return AuthorizeResult(enterprise_id=None, team_id="T1", bot_token="xoxb-unit", bot_user_id="UB", bot_id="B1")


def _app() -> App:
    app = App(signing_secret=SECRET, authorize=_authorize)

    @app.middleware
    def answer(body: dict[str, Any], next: Any) -> BoltResponse:
        return BoltResponse(status=200, body=json.dumps({"seen": body.get("type")}))

    return app


def _edge(ingest: Any = None) -> Edge:
    return Edge(_app(), Registry(), lambda: {"database": True}, ingest, signing_secret=SECRET, clock=now)


def _call(edge: Edge, method: str, path: str, body: bytes = b"", **headers: str) -> tuple[int, dict[str, str], bytes]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.9",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": headers.pop("content_length", str(len(body))),
        "CONTENT_TYPE": headers.pop("content_type", "application/json"),
    }
    environ.update({"HTTP_" + k.upper(): v for k, v in headers.items()})
    got: dict[str, Any] = {}

    def start_response(status: str, hdrs: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], object]:
        got["status"], got["headers"] = int(status.split()[0]), dict(hdrs)
        return lambda _: None  # the WSGI write callable (the edge returns its body instead)

    out = b"".join(edge(environ, start_response))
    return got["status"], got["headers"], out


def _signed(body: bytes, ts: int | None = None) -> dict[str, str]:
    ts = now() if ts is None else ts
    return {"x_slack_request_timestamp": str(ts), "x_slack_signature": sign(SECRET, ts, body)}


def test_route_limits() -> None:
    assert body_limit("/slack/events") == MAX_SLACK_BODY == 1 << 20
    assert body_limit("/ingest/crm") == MAX_INGEST_BODY == 10 << 20
    assert body_limit("/healthz") == body_limit("/anything") == 0


def test_a_signed_event_reaches_bolt_with_the_request_id_echoed() -> None:
    body = b'{"type": "event_callback", "event": {"type": "x"}}'
    status, headers, out = _call(_edge(), "POST", "/slack/events", body, x_request_id="lb-7\n", **_signed(body))
    assert status == 200 and json.loads(out) == {"seen": "event_callback"}
    assert headers["X-Request-Id"] == "lb-7"


def test_checks_run_in_order_size_timestamp_signature_shape() -> None:
    edge = _edge()
    array = b"[1]"
    assert _call(edge, "POST", "/slack/events", array, content_length=str(MAX_SLACK_BODY + 1))[0] == 413
    assert _call(edge, "POST", "/slack/events", array, content_length="-1")[0] == 400
    bad_ts = {"x_slack_request_timestamp": "12a", "x_slack_signature": "v0=0"}
    assert _call(edge, "POST", "/slack/events", array, **bad_ts)[0] == 400
    assert _call(edge, "POST", "/slack/events", array)[0] == 401  # unsigned array: 401, not a parse error
    assert _call(edge, "POST", "/slack/events", array, **_signed(array, now() - 301))[0] == 401  # stale
    assert _call(edge, "POST", "/slack/events", array, **_signed(array))[0] == 400  # signed array
    truncated = {**_signed(b"{}"), "content_length": "10"}
    assert _call(edge, "POST", "/slack/events", b"{}", **truncated)[0] == 400


@pytest.mark.parametrize(
    "body",
    [b'"s"', b"null", b"payload=null", b'{"event": []}', b'{"authorizations": [1]}', b'{"user": 5}', b"\xff"],
)
def test_signed_but_not_slack_shaped_is_400(body: bytes) -> None:
    ctype = "application/x-www-form-urlencoded" if body.startswith(b"payload") else "application/json"
    status, _, out = _call(_edge(), "POST", "/slack/events", body, content_type=ctype, **_signed(body))
    assert status == 400 and "error" in json.loads(out)


def test_a_slash_command_form_is_accepted() -> None:
    body = b"command=%2Frapport&text=help&user_id=U1&team_id=T1"
    status, _, _ = _call(
        _edge(), "POST", "/slack/events", body, content_type="application/x-www-form-urlencoded", **_signed(body)
    )
    assert status == 200


def test_refusals_are_logged_without_the_body(caplog: pytest.LogCaptureFixture) -> None:
    body = b'{"type": "event_callback", "secret_marker": "do-not-log-me"}'
    with caplog.at_level(logging.DEBUG):
        assert _call(_edge(), "POST", "/slack/events", body)[0] == 401
    assert "refused a Slack request with a missing signature from 10.0.0.9" in caplog.text
    assert "do-not-log-me" not in caplog.text


def test_methods_paths_health_and_metrics() -> None:
    edge = _edge()
    assert _call(edge, "GET", "/slack/events")[0] == 405
    assert _call(edge, "POST", "/healthz")[0] == 405
    assert _call(edge, "GET", "/nope")[0] == 404
    assert _call(edge, "GET", "/healthz")[2] == b'{"ok": true}'
    assert json.loads(_call(edge, "GET", "/readyz")[2]) == {"ok": True, "database": True}
    _call(edge, "POST", "/slack/events", b"{}", x_slack_retry_num="2", **_signed(b"{}"))
    status, headers, text = _call(edge, "GET", "/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert b'rapport_requests_total{kind="event",status="200"} 1.0' in text
    assert b'rapport_slack_redeliveries_total{kind="event"} 1.0' in text
    assert b'rapport_ack_seconds_count{kind="event"} 1.0' in text


def test_ingest_is_routed_with_headers_and_guarded() -> None:
    seen: list[tuple[str, dict[str, str], bytes]] = []

    def ingest(source: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        seen.append((source, headers, body))
        return 202, {"loaded": 1}

    edge = _edge(ingest)
    status, _, out = _call(edge, "POST", "/ingest/crm_hook", b"[]", x_rapport_signature="sha256=ab")
    assert status == 202 and json.loads(out) == {"loaded": 1}
    source, headers, body = seen[0]
    assert source == "crm_hook" and headers["X-Rapport-Signature"] == "sha256=ab" and body == b"[]"
    assert _call(edge, "POST", "/ingest/../etc", b"[]")[0] == 404
    assert _call(_edge(None), "POST", "/ingest/crm_hook", b"[]")[0] == 404


def test_a_failing_handler_is_a_500_with_a_reference_not_a_traceback_to_the_client() -> None:
    def broken(source: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        raise RuntimeError("bug")

    status, _, out = _call(_edge(broken), "POST", "/ingest/crm_hook", b"[]")
    assert status == 500 and set(json.loads(out)) == {"error", "reference"} and b"bug" not in out
