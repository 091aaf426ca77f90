"""The Bolt app: Web API client pointed at SLACK_API_URL with retries on, redelivered events dropped, the
listeners the composition root names, and quiet catch-alls for what nothing handles."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.services import Services
from bot.slack import inbound
from bot.slack.commands import Commands
from bot.slack.notifier import SlackNotifier
from bot.slack.wiring import Rapport

log = logging.getLogger(__name__)
DIALOG_PAYLOADS = ("dialog_cancellation", "dialog_submission", "dialog_suggestion")


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


def build_app(
    services: Services,
    out: SlackNotifier,
    listeners: Sequence[ModuleType],
    first_delivery: Callable[[str], bool],
) -> App:
    """``listeners``: modules with ``register(app, rapport)``; ``first_delivery(event_id)``: the event dedupe."""
    settings = services.settings
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    if not secret and not settings.slack_app_token:
        raise ValueError("SLACK_SIGNING_SECRET is required to serve Slack requests over HTTP")
    app = App(
        client=out.client,
        signing_secret=secret or "",
        token_verification_enabled=False,
        raise_error_for_unhandled_request=False,
        ignoring_self_events_enabled=True,
        request_verification_enabled=bool(secret),  # Socket Mode: the socket itself is authenticated
    )

    @app.middleware
    def dedupe(body: dict[str, Any], next: Any) -> Any:
        event_id = inbound.event_id(body)
        if event_id and not first_delivery(event_id):
            log.info("duplicate delivery of %s ignored", event_id)
            return BoltResponse(status=200, body="")
        return next()

    rapport = Rapport(services, out, Commands())
    for listener in listeners:
        listener.register(app, rapport)

    # Registered last: Bolt runs the first matching listener, so these only catch what nothing else handles.
    @app.action(re.compile(".*"))
    def unknown_action(ack: Any, body: dict[str, Any]) -> None:
        ack()
        click = inbound.click(body)
        log.warning("unknown action_id %s", click.action_id or "?")
        if body.get("type") in DIALOG_PAYLOADS or not click.channel:
            return  # a legacy dialog closing, or nowhere to answer: nothing to say
        text = "That button no longer does anything. Ask me again for a fresh answer."
        rapport.tell(click.user, click.channel, text, thread_ts=click.thread_ts)

    @app.view(re.compile(".*"))
    def unknown_view(ack: Any) -> None:
        ack()

    @app.event(re.compile(".*"))
    def other_events() -> None:
        """Events we subscribe to but do not act on are acknowledged quietly."""

    return app
