"""Observability: Prometheus text, DB-backed gauges, readiness with a cached Slack probe, request ids in logs."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from slack_bolt import App
from sqlalchemy import Engine, insert

from bot.logs import REQUEST_ID, ContextExecutor, JsonFormatter, new_request_id
from bot.metrics import Registry
from bot.models import metadata
from bot.observability import register_metrics
from bot.serve import readiness
from bot.settings import Settings
from bot.slack.probe import SlackProbe
from bot.web.server import HttpServer
from bot.web.wsgi import Edge

NOW = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)


def test_labelled_gauges_and_escaping() -> None:
    reg = Registry()
    reg.gauge("g_plain", lambda: 3, "plain")
    reg.gauge("g_labelled", lambda: {(("state", 'se"nt'),): 2.0, (("state", "failed"),): 1.0}, "by state")
    reg.gauge("g_broken", lambda: 1 / 0, "source down")
    text = reg.render()
    assert "g_plain 3.0\n" in text
    assert 'g_labelled{state="se\\"nt"} 2' in text and 'g_labelled{state="failed"} 1' in text
    assert "g_broken" not in text  # a failing source is left out rather than failing the scrape


def test_timed_counts_calls_that_raise() -> None:
    reg = Registry()

    @reg.timed("op_seconds", "op")
    def op(fail: bool) -> int:
        if fail:
            raise ValueError("boom")
        return 7

    assert op(False) == 7
    with pytest.raises(ValueError):
        op(True)
    assert "op_seconds_count 2" in reg.render()


def test_request_id_in_json_logs_and_across_executor_threads() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("test.rid")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    pool = ContextExecutor(ThreadPoolExecutor(max_workers=1))
    token = REQUEST_ID.set("req-123")
    try:
        logger.info("token xoxb-123-abc seen")
        pool.submit(logger.info, "from a worker").result()
    finally:
        REQUEST_ID.reset(token)
        pool.shutdown()
    logger.info("outside")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [e.get("request_id") for e in lines] == ["req-123", "req-123", None]
    assert "xoxb" not in lines[0]["msg"]
    logger.removeHandler(handler)


def test_incoming_request_ids_are_sanitised() -> None:
    assert new_request_id('abc-1\n"<x>') == "abc-1x"
    assert len(new_request_id(None)) == 16 and len(new_request_id("a" * 500)) == 64


class CountingProbe(SlackProbe):
    def __init__(self, results: list[bool], clock: Any) -> None:
        super().__init__(Settings(_env_file=None), clock)  # type: ignore[call-arg]
        self.results = results
        self.calls = 0

    def _call(self) -> bool:
        self.calls += 1
        return self.results.pop(0)


def test_slack_probe_caches_success_30s_and_failure_5s() -> None:
    now = [0.0]
    probe = CountingProbe([False, True, True], lambda: now[0])
    assert probe() is False and probe.calls == 1
    now[0] = 4.0
    assert probe() is False and probe.calls == 1  # failure cached 5 s
    now[0] = 5.5
    assert probe() is True and probe.calls == 2
    now[0] = 30.0
    assert probe() is True and probe.calls == 2  # success cached 30 s
    now[0] = 36.0
    assert probe() is True and probe.calls == 3


def test_slack_probe_without_token_is_not_ready() -> None:
    assert SlackProbe(Settings(_env_file=None))() is False  # type: ignore[call-arg]


class _Svc:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._index = None


def test_db_gauges_report_outbox_dedupe_sync_and_approvals(sqlite_engine: Engine) -> None:
    t = metadata.tables
    with sqlite_engine.begin() as conn:
        conn.execute(insert(t["customers"]).values(id=1, name="Acme", tier="gold", region="emea"))
        conn.execute(
            insert(t["alerts"]),
            [
                dict(rule="r", kind="k", customer_id=1, tier="gold", severity="high", urgent=False, state="open",
                     open_key=f"k{i}", evidence={}, created_at=NOW, last_seen_at=NOW, seen_count=n)
                for i, n in enumerate((1, 3, 2))
            ],
        )  # fmt: skip
        conn.execute(
            insert(t["alert_outbox"]),
            [dict(recipient="C1", kind="alert", body={}, state=s, created_at=NOW, next_attempt_at=NOW)
             for s in ("sent", "sent", "failed", "pending")],
        )  # fmt: skip
        conn.execute(
            insert(t["sync_runs"]),
            [dict(source="crm", mode="full", status=s, started_at=NOW, rows_read=10, rows_loaded=n,
                  rows_unchanged=0, rows_quarantined=1)
             for s, n in (("ok", 8), ("failed", 0))],
        )  # fmt: skip
    reg = Registry()
    register_metrics(_Svc(sqlite_engine), reg)  # type: ignore[arg-type]
    text = reg.render()
    assert "rapport_alerts_sent 2.0\n" in text and "rapport_alerts_failed 1.0\n" in text
    assert "rapport_alerts_deduped 3.0\n" in text
    assert 'rapport_sync_rows_loaded{source="crm"} 8' in text
    assert 'rapport_sync_rows_quarantined{source="crm"} 2' in text
    assert 'rapport_sync_errors{source="crm"} 1' in text
    assert "rapport_approvals_pending 0.0\n" in text
    assert readiness(_Svc(sqlite_engine), lambda: True) == {"database": True, "index": False, "slack": True}  # type: ignore[arg-type]


def test_server_echoes_request_id_and_reports_unready_slack() -> None:
    app = App(signing_secret="s" * 32, token="xoxb-unit", token_verification_enabled=False)
    reg = Registry()
    ready = lambda: {"database": True, "index": True, "slack": False}  # noqa: E731
    server = HttpServer(Edge(app, reg, ready, signing_secret="s" * 32), "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{server.port}"
    try:
        req = urllib.request.Request(
            f"{base}/slack/events", data=b"{}", headers={"Content-Type": "application/json", "X-Request-Id": "lb-42"}
        )
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=5)
        assert err.value.code == 401 and err.value.headers["X-Request-Id"] == "lb-42"
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"{base}/readyz", timeout=5)
        assert err.value.code == 503 and json.loads(err.value.read())["slack"] is False
        with urllib.request.urlopen(f"{base}/metrics", timeout=5) as resp:
            body = resp.read().decode()
        assert 'rapport_requests_total{kind="event",status="401"} 1.0' in body
    finally:
        server.shutdown()
