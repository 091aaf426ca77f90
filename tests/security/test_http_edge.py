"""Finding 1 of issue 16, replayed against `rapport serve`: the request edge reads bounded bodies, parses
strictly, refuses unsigned requests without logging them, times out stalled clients and keeps its
concurrency bounded. Never a 500 or a traceback for bad input."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import urllib.request

import pytest

from slackdouble.signing import sign

from .conftest import SECRET, Server, read_response, status_of

MiB = 1 << 20
MARKER = "probe-body-marker-7f3a"  # put in bodies that must never reach the log


def _post(
    path: str,
    body: bytes,
    headers: dict[str, str] | None = None,
    content_length: str | None = None,
    content_type: str = "application/json",
) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: rapport", f"Content-Type: {content_type}", "Connection: close"]
    lines.append(f"Content-Length: {len(body) if content_length is None else content_length}")
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


def _signed(body: bytes, ts: str | None = None) -> dict[str, str]:
    ts = ts or str(int(time.time()))
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sign(SECRET, ts, body)}


def _healthy(server: Server) -> bool:
    with urllib.request.urlopen(f"{server.url}/healthz", timeout=5) as resp:
        return resp.status == 200


def _no_tracebacks(server: Server, since: int) -> None:
    assert "Traceback" not in server.log_text()[since:]


@pytest.mark.parametrize("path", ["/slack/events", "/ingest/crm_webhook"])
@pytest.mark.parametrize("length", ["-1", "abc", "-5", "1e3", "+5", "0x10"])
def test_malformed_content_length_is_400(server: Server, path: str, length: str) -> None:
    mark = len(server.log_text())
    answer = server.raw(_post(path, b'{"a":1}', content_length=length))
    assert status_of(answer) == 400
    assert _healthy(server)
    _no_tracebacks(server, mark)


@pytest.mark.parametrize("ts", ["abc", "1e9", "-5", "１２３", "12 34"])
def test_non_numeric_timestamp_is_400(server: Server, ts: str) -> None:
    body = b'{"type":"event_callback"}'
    mark = len(server.log_text())
    answer = server.raw(_post("/slack/events", body, {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=00"}))
    assert status_of(answer) == 400 and b"malformed_timestamp" in answer
    _no_tracebacks(server, mark)


def test_unsigned_and_badly_signed_requests_are_401_and_logged_without_their_body(server: Server) -> None:
    body = json.dumps({"type": "event_callback", "event": {"type": "app_mention", "text": MARKER}}).encode()
    now = str(int(time.time()))
    stale = str(int(time.time()) - 600)
    cases = {
        "unsigned": {},
        "wrong secret": {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": sign("not-the-secret", now, body)},
        "stale": {"X-Slack-Request-Timestamp": stale, "X-Slack-Signature": sign(SECRET, stale, body)},
        "other body": {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": sign(SECRET, now, body + b" ")},
        "non-ascii signature": {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": "v0=\xe9\xe9"},
    }
    mark = len(server.log_text())
    for name, headers in cases.items():
        answer = server.raw(_post("/slack/events", body, headers))
        assert status_of(answer) == 401, name
    log = server.log_text()[mark:]
    assert log.count("refused a Slack request") >= len(cases)
    assert MARKER not in log  # neither our log line nor Bolt's (whose own check would print the body)
    assert "Traceback" not in log


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"[1, 2, 3]", "application/json"),
        (b'"just a string"', "application/json"),
        (b"null", "application/json"),
        (b"payload=null", "application/x-www-form-urlencoded"),
        (b"payload=%5B1%5D", "application/x-www-form-urlencoded"),
        (b"payload=%7Bnot+json", "application/x-www-form-urlencoded"),
        (b'{"type": "event_callback", "event": "not an object"}', "application/json"),
        (b'{"type": "block_actions", "user": "U1", "actions": 5}', "application/json"),
        (b'{"type": "block_actions", "actions": ["x"]}', "application/json"),
        (b"{unterminated", "application/json"),
        (b'{"text": "\xff\xfe not utf-8"}', "application/json"),
    ],
)
def test_signed_bodies_that_are_not_slack_shaped_are_400(server: Server, body: bytes, content_type: str) -> None:
    mark = len(server.log_text())
    answer = server.raw(_post("/slack/events", body, _signed(body), content_type=content_type))
    assert status_of(answer) == 400, answer[-200:]
    assert _healthy(server)
    _no_tracebacks(server, mark)


def test_bodies_over_the_route_limit_are_refused_before_they_are_sent(server: Server) -> None:
    """The answer comes right after the headers: the server never waits for (or reads) the body."""
    for path, size in (("/slack/events", MiB + 1), ("/ingest/crm_webhook", 10 * MiB + 1), ("/healthz", 1)):
        with server.connect(timeout=5) as s:
            s.sendall(_post(path, b"", content_length=str(size)))  # headers only; no body follows
            t0 = time.monotonic()
            answer = read_response(s)
        assert status_of(answer) == 413, (path, answer[:100])
        assert time.monotonic() - t0 < 2
    # exactly the limit is read (and refused for its missing signature, not its size)
    body = b"x" * MiB
    assert status_of(server.raw(_post("/slack/events", body))) == 401


def _stream_chunked(server: Server, path: str, total: int, chunk: int = MiB) -> tuple[int, bytes, float]:
    """Stream ``total`` bytes as a chunked body (no length announced); stop when the server stops reading.

    Returns the bytes sent before the server cut us off, its answer, and the server's peak RSS growth (MB)."""
    piece = f"{chunk:x}\r\n".encode() + b"a" * chunk + b"\r\n"
    head = f"POST {path} HTTP/1.1\r\nHost: rapport\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
    rss0 = server.status("VmRSS")
    peak = rss0
    sent = 0
    with server.connect(timeout=10) as s:
        s.sendall(head)
        try:
            while sent < total:
                s.sendall(piece)
                sent += chunk
                if sent % (32 * MiB) == 0:
                    peak = max(peak, server.status("VmRSS"))
        except OSError:  # the server answered and closed: it stopped reading
            pass
        answer = read_response(s)
    peak = max(peak, server.status("VmRSS"))
    return sent, answer, (peak - rss0) / 1024


def test_a_400_mb_stream_is_cut_off_at_the_limit_with_bounded_memory(server: Server) -> None:
    hwm0 = server.status("VmHWM")
    sent, answer, grew_mb = _stream_chunked(server, "/slack/events", 400 * MiB)
    assert sent < 100 * MiB, f"the server kept reading: {sent / MiB:.0f} MiB accepted"
    if answer:  # the 413 may be lost when the server closes while we are still writing
        assert status_of(answer) == 413
    assert grew_mb < 32, f"RSS grew {grew_mb:.0f} MB while 400 MB were offered"
    assert (server.status("VmHWM") - hwm0) / 1024 < 32
    assert _healthy(server)


def test_a_declared_400_mb_body_is_refused_before_reading(server: Server) -> None:
    """The original probe: a body of unbounded (-1) or huge declared length, no signature."""
    for length in ("-1", str(400 * MiB)):
        with server.connect(timeout=5) as s:
            s.sendall(_post("/slack/events", b"", content_length=length))
            with contextlib.suppress(OSError):
                s.sendall(b"a" * MiB)
            answer = read_response(s)
        assert status_of(answer) in (400, 413)


def test_stalled_and_dripping_connections_are_closed_and_threads_stay_bounded(server: Server) -> None:
    """500 clients that stop mid-headers (the finding's probe) and 20 that send a byte a second: the server
    keeps answering others, closes the silent ones after its idle timeout (20 s) and the drippers after its
    request deadline (30 s), and runs no thread per connection."""
    threads_before = server.status("Threads")
    stalled = []
    for _ in range(500):
        s = server.connect(timeout=60)
        s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: rapport\r\nContent-Le")
        stalled.append(s)
    drippers = [server.connect(timeout=60) for _ in range(20)]
    for s in drippers:
        s.sendall(b"POST /slack/events HTTP/1.1\r\n")
    stop = threading.Event()
    dripped_until: dict[int, float] = {}

    def drip(i: int, s: socket.socket) -> None:
        start = time.monotonic()
        while not stop.is_set():
            try:
                s.sendall(b"X")
            except OSError:
                break
            dripped_until[i] = time.monotonic() - start
            time.sleep(1)

    workers = [threading.Thread(target=drip, args=(i, s), daemon=True) for i, s in enumerate(drippers)]
    for w in workers:
        w.start()
    try:
        time.sleep(2)
        assert server.status("Threads") - threads_before < 5  # no thread per connection
        t0 = time.monotonic()
        assert _healthy(server)
        assert time.monotonic() - t0 < 1  # other clients are still served at once

        def closed(s: socket.socket) -> bool:
            s.settimeout(0.01)
            try:
                return s.recv(1) == b""
            except TimeoutError:
                return False
            except OSError:
                return True

        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and not all(closed(s) for s in stalled):
            time.sleep(1)
        assert all(closed(s) for s in stalled), "silent connections were not closed"
        assert time.monotonic() - t0 < 30
        for w in workers:
            w.join(timeout=45)
        assert not any(w.is_alive() for w in workers), "dripping connections were not closed"
        assert max(dripped_until.values()) < 40
    finally:
        stop.set()
        for s in stalled + drippers:
            s.close()
    assert _healthy(server)


def test_health_metrics_and_request_ids(server: Server) -> None:
    body = json.dumps(
        {"type": "event_callback", "event_id": "EvSEC1", "team_id": server.double.team_id, "event": {"type": "x"}}
    )
    headers = {**_signed(body.encode()), "X-Slack-Retry-Num": "1", "X-Request-Id": "lb-sec-1"}
    mark = len(server.log_text())
    answer = server.raw(_post("/slack/events", body.encode(), headers))
    assert status_of(answer) == 200 and b"X-Request-Id: lb-sec-1" in answer
    time.sleep(0.5)
    # serve runs at LOG_LEVEL=DEBUG here: Bolt's debug lines with bodies must still stay out
    assert "Responding with status" not in server.log_text()[mark:]
    with urllib.request.urlopen(f"{server.url}/metrics", timeout=5) as resp:
        text = resp.read().decode()
        assert resp.headers["Content-Type"].startswith("text/plain")
    for name in ("rapport_requests_total", "rapport_ack_seconds_bucket", "rapport_slack_redeliveries_total"):
        assert name in text
    assert 'rapport_requests_total{kind="event",status="400"}' in text
    try:
        with urllib.request.urlopen(f"{server.url}/readyz", timeout=5) as resp:
            code, detail = resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        code, detail = err.code, json.loads(err.read())
    assert {"ok", "database", "index", "slack"} <= detail.keys() and detail["database"] is True
    assert code == (200 if detail["ok"] else 503) and detail["ok"] == all(v for k, v in detail.items() if k != "ok")
    assert status_of(server.raw(b"GET /slack/events HTTP/1.1\r\nHost: r\r\nConnection: close\r\n\r\n")) == 405
    assert status_of(server.raw(b"GET /nope HTTP/1.1\r\nHost: r\r\nConnection: close\r\n\r\n")) == 404
