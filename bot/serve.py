"""``rapport serve``: the Bolt app over HTTP (the web edge) or Socket Mode, with the background work.

Background work in every serving process: the playbook index warmed up and re-synced on edits, the policy
files reloaded on edits (:mod:`bot.policy_watch`), and the leased scheduler (one process at a time runs each
job, so several replicas can serve side by side). In Socket Mode Slack's traffic comes over the socket and
the HTTP port serves the operations routes only (``/healthz``, ``/readyz``, ``/metrics``).

Both modes run until ``stop`` is set (the CLI sets it on SIGTERM and SIGINT): the server stops taking work,
the scheduler finishes the jobs it is running, and the process exits cleanly.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.errors import SlackApiError
from sqlalchemy import text

from bot.app import build_bolt, build_services, feature_jobs
from bot.ask.service import warm_up as ask_warm_up
from bot.logs import ContextExecutor
from bot.metrics import Registry
from bot.observability import instrument, register_metrics
from bot.policy_watch import PolicyWatch
from bot.scheduler import build_scheduler
from bot.services import Services
from bot.settings import Settings, SettingsError
from bot.slack.probe import SlackProbe
from bot.sync.ingest import handle_ingest
from bot.web.server import HttpServer
from bot.web.wsgi import Edge
from retrieval import watch as watch_folder

log = logging.getLogger(__name__)
OPS_ROUTES = "GET /healthz /readyz /metrics"


def readiness(
    services: Services,
    slack: Callable[[], bool] | None = None,
    policies: PolicyWatch | None = None,
    warmed: threading.Event | None = None,
) -> dict[str, object]:
    """``/readyz``: booleans decide readiness; ``policy_error`` is a note (the last good policy still serves).
    ``warmed``: set once the index is synced and the first question's model is loaded (``index`` waits for it,
    or a load balancer would send the first question to a replica still loading the model for a minute)."""
    checks: dict[str, object] = {}
    try:
        with services.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = True
    except Exception:
        checks["database"] = False
    checks["index"] = services._index is not None and (warmed is None or warmed.is_set())
    if slack is not None:
        checks["slack"] = slack()
    if policies is not None:
        checks.update(policies.status())
    return checks


def _instrumented(settings: Settings) -> tuple[Services, Registry, App, PolicyWatch]:
    services = build_services(settings)
    metrics = Registry()
    register_metrics(services, metrics)
    instrument(services, metrics)
    app = build_bolt(services)
    _propagate_request_ids(app)
    return services, metrics, app, PolicyWatch(services)


def serve_http(
    settings: Settings,
    port: int,
    host: str = "0.0.0.0",
    scheduler: bool = True,
    watch: bool = True,
    stop: threading.Event | None = None,
) -> None:
    services, metrics, app, policies = _instrumented(settings)
    slack = SlackProbe(settings)
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""

    def ingest(source: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        return handle_ingest(services, source, headers, body)

    warmed = threading.Event()
    edge = Edge(app, metrics, lambda: readiness(services, slack, policies, warmed), ingest, signing_secret=secret)
    server = HttpServer(edge, host, port)
    log.info("rapport serving Slack on http://%s:%d/slack/events", host, port)
    print(f"rapport: serving on http://{host}:{port} (POST /slack/events, {OPS_ROUTES})", flush=True)
    _run(server, services, policies, scheduler, watch, stop, warmed)


def serve_socket_mode(
    settings: Settings,
    port: int,
    host: str = "0.0.0.0",
    scheduler: bool = True,
    watch: bool = True,
    stop: threading.Event | None = None,
) -> None:
    """Connect out to Slack over Socket Mode (no public URL, no signing secret: the socket is authenticated by
    the app-level token); the HTTP port keeps the operations routes for probes and Prometheus."""
    assert settings.slack_app_token is not None
    services, metrics, app, policies = _instrumented(settings)
    handler = SocketModeHandler(app, settings.slack_app_token.get_secret_value())
    try:
        handler.connect()  # returns once connected; slack_sdk reconnects on its own after a drop
    except SlackApiError as exc:
        raise SettingsError(f"Slack refused SLACK_APP_TOKEN: {exc.response.get('error', 'unknown error')}") from None
    warmed = threading.Event()
    ops = Edge(None, metrics, lambda: readiness(services, handler.client.is_connected, policies, warmed))
    try:
        server = HttpServer(ops, host, port)
    except BaseException:
        handler.close()
        raise
    log.info("rapport connected over Socket Mode; operations routes on http://%s:%d", host, port)
    print(f"rapport: connected over Socket Mode; http://{host}:{port} serves {OPS_ROUTES}", flush=True)
    try:
        _run(server, services, policies, scheduler, watch, stop, warmed)
    finally:
        handler.close()


def _run(
    server: HttpServer,
    services: Services,
    policies: PolicyWatch,
    scheduler: bool,
    watch: bool,
    stop: threading.Event | None,
    warmed: threading.Event,
) -> None:
    done = stop or threading.Event()
    threads = _background(services, policies, scheduler, watch, done, warmed)
    try:
        if stop is None:
            server.serve_forever()
        else:
            threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
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


def _background(
    services: Services,
    policies: PolicyWatch,
    scheduler: bool,
    watch: bool,
    stop: threading.Event,
    warmed: threading.Event,
) -> list[threading.Thread]:
    threads: list[threading.Thread] = []

    def warm() -> None:
        try:
            index = services.index
            report = index.sync()
            log.info("playbook index ready: %s", report.summary().splitlines()[0])
            try:
                ask_warm_up(services)  # the model and the intent examples, before the first question
            except Exception:  # questions still work (intents by pattern, the model loaded on first use)
                log.exception("could not warm up the question model")
            warmed.set()
            if watch:
                watch_folder(index, stop)
        except Exception:
            log.exception("playbook index unavailable; questions will get an error message until it recovers")

    threads.append(threading.Thread(target=warm, name="index", daemon=True))
    threads.append(threading.Thread(target=policies.run, args=(stop,), name="policies", daemon=True))
    if scheduler:
        sched = build_scheduler(services.engine, feature_jobs(services))
        sched.start()

        def stop_scheduler() -> None:
            stop.wait()
            sched.shutdown(wait=True)  # a job mid-run completes; nothing new starts

        threads.append(threading.Thread(target=stop_scheduler, name="scheduler-stop", daemon=True))
    for t in threads:
        t.start()
    return threads
