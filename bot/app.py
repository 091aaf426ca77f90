"""Composition root: settings -> engine, policies, index, notifier, Bolt app, HTTP server, scheduler."""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from bot.metrics import Labels, Registry
from bot.notify import Notifier
from bot.offline import offline_env
from bot.scheduler import JobSpec, build_scheduler
from bot.services import Services
from bot.settings import Settings
from bot.store.db import make_engine, make_session_factory

log = logging.getLogger(__name__)
FEATURE_JOB_MODULES = (
    "bot.alerts.jobs",
    "bot.ask.jobs",
    "bot.approvals.jobs",
    "bot.connectors_state.jobs",
    "bot.governance.jobs",
    "bot.kpi.jobs",
)
SLACK_PROBE_OK_TTL = 30.0  # auth.test is cheap but rate-limited: one call per replica per 30 s
SLACK_PROBE_FAIL_TTL = 5.0  # a failure is re-checked sooner so a recovered Slack is seen quickly


def build_services(settings: Settings, notifier: Notifier | None = None, index: Any = None) -> Services:
    from bot.policies import load_policies

    offline_env()
    engine = make_engine(settings.effective_database_url, busy_timeout=settings.sqlite_busy_timeout)
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
        if name == "bot.alerts.jobs":
            # With a lookup, delivery after a crash mid-send reconciles against Slack instead of re-sending.
            jobs += module.jobs(services, lookup=_sent_lookup(services))
        else:
            jobs += module.jobs(services)
    return jobs


def _sent_lookup(services: Services) -> Any:
    client = getattr(services.notifier, "client", None)
    if client is None:
        return None  # a test notifier: no Slack history to reconcile against
    from bot.slack.listeners.alerts import SlackSentLookup

    return SlackSentLookup(client)


def register_metrics(services: Services, metrics: Registry) -> None:
    """Gauges read from the shared database: every replica reports the same cluster-wide values.

    Sum request/latency series across replicas, but take max (not sum) of these.
    """
    from sqlalchemy import func, select

    from bot.store.registry import metadata

    def table(name: str, *columns: str) -> Any:
        t = metadata.tables.get(name)
        return t if t is not None and all(c in t.c for c in columns) else None

    def grouped(name: str, value: Any, *by: str, where: Any = None) -> Callable[[], dict[Labels, float]]:
        def read() -> dict[Labels, float]:
            t = table(name, *by)
            if t is None:
                return {}
            q = select(*(t.c[b] for b in by), value(t)).group_by(*(t.c[b] for b in by))
            if where is not None:
                q = q.where(where(t))
            with services.engine.connect() as conn:
                return {tuple(zip(by, map(str, row[:-1]), strict=True)): float(row[-1] or 0) for row in conn.execute(q)}

        return read

    def scalar(name: str, value: Any, where: Any = None, *columns: str) -> Callable[[], float]:
        def read() -> float:
            t = table(name, *columns)
            if t is None:
                return 0.0
            q = select(value(t)).select_from(t)
            if where is not None:
                q = q.where(where(t))
            with services.engine.connect() as conn:
                return float(conn.scalar(q) or 0)

        return read

    count = lambda t: func.count()  # noqa: E731
    metrics.gauge(
        "rapport_approvals_pending",
        scalar("approval_requests", count, lambda t: t.c.state == "pending", "state"),
        "Approval requests waiting for a decision",
    )
    metrics.gauge(
        "rapport_approvals", grouped("approval_requests", count, "state"), "Approval requests by state (all time)"
    )
    metrics.gauge(
        "rapport_alert_outbox",
        grouped("alert_outbox", count, "kind", "state"),
        "Alert outbox rows by kind and state: state=sent are alerts sent, state=failed gave up",
    )
    metrics.gauge(
        "rapport_alerts_sent",
        scalar("alert_outbox", count, lambda t: t.c.state == "sent", "state"),
        "Outbox messages delivered to Slack (alerts, digests, escalations)",
    )
    metrics.gauge(
        "rapport_alerts_failed",
        scalar("alert_outbox", count, lambda t: t.c.state == "failed", "state"),
        "Outbox messages that failed permanently",
    )
    metrics.gauge(
        "rapport_alerts_deduped",
        scalar("alerts", lambda t: func.sum(t.c.seen_count - 1), None, "seen_count"),
        "Alert candidates folded into an existing open alert (dedupe)",
    )
    metrics.gauge("rapport_alerts", grouped("alerts", count, "state"), "Alerts by state")
    metrics.gauge(
        "rapport_sync_rows_loaded",
        grouped("sync_runs", lambda t: func.sum(t.c.rows_loaded), "source"),
        "Rows loaded by connector syncs",
    )
    metrics.gauge(
        "rapport_sync_rows_quarantined",
        grouped("sync_runs", lambda t: func.sum(t.c.rows_quarantined), "source"),
        "Rows quarantined by connector syncs (invalid input)",
    )
    metrics.gauge(
        "rapport_sync_errors",
        grouped("sync_runs", count, "source", where=lambda t: t.c.status == "failed"),
        "Connector sync runs that failed",
    )
    metrics.gauge(
        "rapport_questions",
        grouped("questions", count, "answered"),
        "Questions asked, by whether they were answered",
    )


class SlackProbe:
    """Slack Web API reachability for /readyz: ``auth.test``, cached so probes do not spend rate limit."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.clock = clock
        self._lock = threading.Lock()
        self._checked_at = float("-inf")
        self._ok = False

    def _call(self) -> bool:
        from slack_sdk import WebClient

        token = self.settings.slack_bot_token
        if token is None:
            return False
        # No retry handlers: readiness must answer within the probe's timeout.
        client = WebClient(token=token.get_secret_value(), base_url=self.settings.slack_api_url, timeout=3)
        try:
            return bool(client.auth_test().get("ok"))
        except Exception as exc:
            log.warning("readiness: Slack auth.test failed: %s", type(exc).__name__)
            return False

    def __call__(self) -> bool:
        with self._lock:  # one probe in flight; concurrent /readyz calls share its answer
            ttl = SLACK_PROBE_OK_TTL if self._ok else SLACK_PROBE_FAIL_TTL
            if self.clock() - self._checked_at >= ttl:
                self._ok = self._call()
                self._checked_at = self.clock()
            return self._ok


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


def instrument(services: Services, metrics: Registry) -> None:
    """Latency histograms for answering and retrieval, without the features knowing about metrics."""
    from bot.ask.service import AskService

    original = AskService.__dict__.get("_rapport_untimed_answer", AskService.answer)
    AskService._rapport_untimed_answer = original  # type: ignore[attr-defined]
    AskService.answer = metrics.timed(  # type: ignore[method-assign]
        "rapport_answer_seconds", "Time to compose an answer (linking, retrieval, policy, composition)"
    )(original)

    factory = services.index_factory
    if factory is not None:

        def timed_index() -> Any:
            return TimedIndex(factory(), metrics)

        services.index_factory = timed_index


class TimedIndex:
    """Delegates to the playbook index, timing ``search`` into ``rapport_retrieval_seconds``."""

    def __init__(self, inner: Any, metrics: Registry) -> None:
        self._inner = inner
        self.search = metrics.timed("rapport_retrieval_seconds", "Playbook retrieval (hybrid search) time")(
            inner.search
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def serve_http(
    settings: Settings,
    port: int,
    host: str = "0.0.0.0",
    scheduler: bool = True,
    watch: bool = True,
    stop: threading.Event | None = None,
) -> None:
    from bot.logs import ContextExecutor
    from bot.slack.app import build_app
    from bot.web.server import HttpServer
    from bot.web.wsgi import Edge

    services = build_services(settings)
    metrics = Registry()
    register_metrics(services, metrics)
    instrument(services, metrics)
    app = build_app(services)
    _propagate_request_ids(app, ContextExecutor)
    ingest = _ingest_handler(services)
    slack = SlackProbe(settings)
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
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


def _propagate_request_ids(app: Any, wrapper: Any) -> None:
    """Bolt runs (lazy) listeners on its executor; copy the request's log context into those threads."""
    runner = app.listener_runner
    executor = wrapper(runner.listener_executor)
    runner.listener_executor = executor
    runner.lazy_listener_runner.executor = executor


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

        def stop_scheduler() -> None:
            stop.wait()
            sched.shutdown(wait=True)  # a job mid-run completes; nothing new starts

        t = threading.Thread(target=stop_scheduler, name="scheduler-stop", daemon=True)
        t.start()
        threads.append(t)
    return threads


def _ingest_handler(services: Services) -> Any:
    try:
        from bot.connectors_state.ingest import handle_ingest  # type: ignore[import-not-found]
    except ModuleNotFoundError:
        return None
    return lambda source, headers, body: handle_ingest(services, source, headers, body)
