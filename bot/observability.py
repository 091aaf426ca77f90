"""Metrics the features do not know about: database-backed gauges and answer/retrieval latency histograms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from bot.ask.service import AskService
from bot.metrics import Labels, Registry
from bot.models import metadata
from bot.services import Services


def register_metrics(services: Services, metrics: Registry) -> None:
    """Gauges read from the shared database: every replica reports the same cluster-wide values.

    Sum request/latency series across replicas, but take max (not sum) of these.
    """

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


def instrument(services: Services, metrics: Registry) -> None:
    """Latency histograms for answering and retrieval, without the features knowing about metrics."""
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
