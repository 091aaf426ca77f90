"""The Bolt app: Web API client pointed at SLACK_API_URL, retries on, dedupe of redelivered events."""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import logging
import re
import threading
from collections import OrderedDict
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.services import Services
from bot.slack.listeners import LISTENER_MODULES
from bot.slack.views import load_renderers
from bot.store.models import ProcessedEvent

log = logging.getLogger(__name__)
DEDUPE_TTL = dt.timedelta(days=2)


def make_client(token: str | None, base_url: str) -> WebClient:
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


_SQLITE_DEDUPE = threading.Lock()


def first_delivery(services: Services, event_id: str) -> bool:
    """True the first time an event id is seen, across restarts and replicas (unique key in the store)."""
    # On SQLite, concurrent acks would otherwise queue in SQLite's busy handler, which sleeps in growing
    # steps (1, 2, 5, 10, 25... ms) instead of waking when the writer is done: the ack p99 paid for it.
    # A process lock hands the single write slot over at once; PostgreSQL needs none.
    gate = _SQLITE_DEDUPE if services.engine.dialect.name == "sqlite" else contextlib.nullcontext()
    try:
        with gate, services.sessions() as session, session.begin():
            session.add(ProcessedEvent(event_id=event_id[:64], received_at=services.clock()))
        return True
    except IntegrityError:
        return False
    except OperationalError:
        # Store locked or down: handle the event anyway (the handlers report their own failure visibly), but
        # remember it in memory so Slack's retries to this process still get one outcome, not several.
        log.warning("event dedupe store unavailable; deduping %s in memory", event_id, exc_info=True)
        return _OUTAGE_SEEN.first(event_id)


class _RecentIds:
    """A bounded, thread-safe set of recently seen ids: the dedupe of last resort while the store is down."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self.ids: OrderedDict[str, None] = OrderedDict()
        self.lock = threading.Lock()

    def first(self, key: str) -> bool:
        with self.lock:
            if key in self.ids:
                return False
            self.ids[key] = None
            if len(self.ids) > self.size:
                self.ids.popitem(last=False)
            return True


_OUTAGE_SEEN = _RecentIds()


def purge_processed(services: Services) -> int:
    with services.sessions() as session, session.begin():
        res = session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < services.clock() - DEDUPE_TTL))
        return int(res.rowcount or 0)  # type: ignore[attr-defined]


def build_app(services: Services, client: WebClient | None = None) -> App:
    settings = services.settings
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    if not secret:
        raise ValueError("SLACK_SIGNING_SECRET is required to serve Slack requests")
    app = App(
        client=client or make_client(token, settings.slack_api_url),
        signing_secret=secret,
        token_verification_enabled=False,
        raise_error_for_unhandled_request=False,
        ignoring_self_events_enabled=True,
    )
    load_renderers()

    @app.middleware
    def dedupe(body: dict[str, Any], next: Any) -> Any:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not first_delivery(services, str(event_id)):
            log.info("duplicate delivery of %s ignored", event_id)
            return BoltResponse(status=200, body="")
        return next()

    for name in LISTENER_MODULES:
        try:
            module = importlib.import_module(f"bot.slack.listeners.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"bot.slack.listeners.{name}":
                raise
            continue
        module.register(app, services)

    # Registered last: Bolt runs the first matching listener, so these only catch what nothing else handles.
    @app.action(re.compile(".*"))
    def unknown_action(ack: Any, body: dict[str, Any], client: WebClient) -> None:
        ack()
        action = (body.get("actions") or [{}])[0].get("action_id", "?")
        log.warning("unknown action_id %s", action)
        channel = (body.get("channel") or {}).get("id")
        if channel:
            client.chat_postEphemeral(
                channel=channel,
                user=body["user"]["id"],
                text="That button no longer does anything. Ask me again for a fresh answer.",
            )

    @app.view(re.compile(".*"))
    def unknown_view(ack: Any) -> None:
        ack()

    @app.event(re.compile(".*"))
    def other_events() -> None:
        """Events we subscribe to but do not act on are acknowledged quietly."""

    return app
