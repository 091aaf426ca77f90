"""Composition root: settings -> engine, policies, index, notifier, Bolt app, HTTP server, scheduler."""

from __future__ import annotations

import importlib
import logging
import os
import threading
from typing import Any

from sqlalchemy import text

from bot.metrics import Registry
from bot.notify import Notifier
from bot.scheduler import JobSpec, build_scheduler
from bot.services import Services
from bot.settings import Settings
from bot.store.db import make_engine, make_session_factory

log = logging.getLogger(__name__)
FEATURE_JOB_MODULES = ("bot.alerts.jobs", "bot.approvals.jobs", "bot.connectors_state.jobs", "bot.governance.jobs")


def offline_env() -> None:
    """Nothing may reach a model hub or phone home."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def build_services(settings: Settings, notifier: Notifier | None = None, index: Any = None) -> Services:
    from bot.policies import load_policies

    offline_env()
    engine = make_engine(settings.effective_database_url)
    policies = load_policies(settings.policies_dir)

    def open_playbook_index() -> Any:
        from retrieval import open_index

        return open_index(
            settings.playbooks_dir,
            chroma_path=settings.effective_chroma_path,
            chroma_url=settings.chroma_url,
            collection=settings.chroma_collection,
        )

    if notifier is None:
        from bot.slack.app import make_client
        from bot.slack.notifier import SlackNotifier

        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
        notifier = SlackNotifier(make_client(token, settings.slack_api_url))
    services = Services(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        policies=policies,
        notifier=notifier,
        index_factory=open_playbook_index,
    )
    if index is not None:
        services._index = index
    return services


def feature_jobs(services: Services) -> list[JobSpec]:
    from bot.slack.app import purge_processed

    jobs = [JobSpec("purge_processed_events", lambda: purge_processed(services), seconds=3600)]
    for name in FEATURE_JOB_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        jobs += module.jobs(services)
    return jobs


def register_metrics(services: Services, metrics: Registry) -> None:
    def pending_approvals() -> float:
        from sqlalchemy import func, select

        from bot.store.registry import metadata

        table = metadata.tables.get("approval_requests")
        if table is None or "state" not in table.c:
            return 0.0
        with services.engine.connect() as conn:
            return float(conn.scalar(select(func.count()).select_from(table).where(table.c.state == "pending")) or 0)

    metrics.gauge("rapport_approvals_pending", pending_approvals, "Approval requests waiting for a decision")


def readiness(services: Services) -> dict[str, bool]:
    checks: dict[str, bool] = {}
    try:
        with services.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = True
    except Exception:
        checks["database"] = False
    checks["index"] = services._index is not None
    return checks


def serve_http(
    settings: Settings,
    port: int,
    host: str = "0.0.0.0",
    scheduler: bool = True,
    watch: bool = True,
    stop: threading.Event | None = None,
) -> None:
    from bot.slack.app import build_app
    from bot.slack.server import RapportHTTPServer

    services = build_services(settings)
    metrics = Registry()
    register_metrics(services, metrics)
    app = build_app(services)
    ingest = _ingest_handler(services)
    server = RapportHTTPServer((host, port), app, metrics, lambda: readiness(services), ingest)
    threads = _background(services, scheduler, watch, stop)
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
        server.shutdown()
        server.server_close()
        for th in threads:
            th.join(timeout=2)


def serve_socket_mode(settings: Settings, scheduler: bool = True, watch: bool = True) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.slack.app import build_app

    services = build_services(settings)
    app = build_app(services)
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
                from retrieval import watch as watch_folder

                watch_folder(index, stop)
        except Exception:
            log.exception("playbook index unavailable; questions will get an error message until it recovers")

    t = threading.Thread(target=warm, name="index", daemon=True)
    t.start()
    threads.append(t)
    if scheduler:
        sched = build_scheduler(services.engine, feature_jobs(services))
        sched.start()
    return threads


def _ingest_handler(services: Services) -> Any:
    try:
        from bot.connectors_state.ingest import handle_ingest  # type: ignore[import-not-found]
    except ModuleNotFoundError:
        return None
    return lambda source, headers, body: handle_ingest(services, source, headers, body)
