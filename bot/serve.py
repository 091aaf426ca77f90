"""``rapport serve``: the Bolt app over HTTP (the web edge) or Socket Mode, with the background work.

Background work in every serving process: the playbook index warmed up and re-synced on edits, and the leased
scheduler (one process at a time runs each job, so several replicas can serve side by side).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from sqlalchemy import text

from bot.app import build_bolt, build_services, feature_jobs
from bot.logs import ContextExecutor
from bot.metrics import Registry
from bot.observability import instrument, register_metrics
from bot.scheduler import build_scheduler
from bot.services import Services
from bot.settings import Settings
from bot.slack.probe import SlackProbe
from bot.sync.ingest import handle_ingest
from bot.web.server import HttpServer
from bot.web.wsgi import Edge
from retrieval import watch as watch_folder

log = logging.getLogger(__name__)


def readiness(services: Services, slack: Callable[[], bool] | None = None) -> dict[str, bool]:
    checks: dict[str, bool] = {}
    try:
        with services.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = True
    except Exception:
        checks["database"] = False
    checks["index"] = services._index is not None
    if slack is not None:
        checks["slack"] = slack()
    return checks


def serve_http(
    settings: Settings,
    port: int,
    host: str = "0.0.0.0",
    scheduler: bool = True,
    watch: bool = True,
    stop: threading.Event | None = None,
) -> None:
    services = build_services(settings)
    metrics = Registry()
    register_metrics(services, metrics)
    instrument(services, metrics)
    app = build_bolt(services)
    _propagate_request_ids(app)
    slack = SlackProbe(settings)
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""

    def ingest(source: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        return handle_ingest(services, source, headers, body)

    edge = Edge(app, metrics, lambda: readiness(services, slack), ingest, signing_secret=secret)
    server = HttpServer(edge, host, port)
    done = stop or threading.Event()
    threads = _background(services, scheduler, watch, done)
    log.info("rapport serving Slack on http://%s:%d/slack/events", host, port)
    print(f"rapport: serving on http://{host}:{port} (POST /slack/events, GET /healthz /readyz /metrics)", flush=True)
    try:
        if stop is None:
            server.serve_forever()
        else:
            t = threading.Thread(target=server.serve_forever, daemon=True)
            t.start()
            stop.wait()
    finally:
        done.set()  # the scheduler finishes its running jobs and stops before we return
        server.shutdown()
        server.server_close()
        for th in threads:
            th.join(timeout=10)


def _propagate_request_ids(app: App) -> None:
    """Bolt runs (lazy) listeners on its executor; copy the request's log context into those threads."""
    runner = app.listener_runner
    executor = ContextExecutor(runner.listener_executor)
    runner.listener_executor = executor
    runner.lazy_listener_runner.executor = executor  # type: ignore[attr-defined]


def serve_socket_mode(settings: Settings, scheduler: bool = True, watch: bool = True) -> None:
    services = build_services(settings)
    app = build_bolt(services)
    _background(services, scheduler, watch, None)
    assert settings.slack_app_token is not None
    print("rapport: connected over Socket Mode", flush=True)
    SocketModeHandler(app, settings.slack_app_token.get_secret_value()).start()


def _background(services: Services, scheduler: bool, watch: bool, stop: threading.Event | None) -> list[Any]:
    stop = stop or threading.Event()
    threads: list[Any] = []

    def warm() -> None:
        try:
            index = services.index
            report = index.sync()
            log.info("playbook index ready: %s", report.summary().splitlines()[0])
            if watch:
                watch_folder(index, stop)
        except Exception:
            log.exception("playbook index unavailable; questions will get an error message until it recovers")

    t = threading.Thread(target=warm, name="index", daemon=True)
    t.start()
    threads.append(t)
    if scheduler:
        sched = build_scheduler(services.engine, feature_jobs(services))
        sched.start()

        def stop_scheduler() -> None:
            stop.wait()
            sched.shutdown(wait=True)  # a job mid-run completes; nothing new starts

        t = threading.Thread(target=stop_scheduler, name="scheduler-stop", daemon=True)
        t.start()
        threads.append(t)
    return threads
