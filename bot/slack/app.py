"""The Bolt app: Web API client pointed at SLACK_API_URL with retries on, requests for another workspace refused,
redelivered events dropped, the listeners the composition root names, and quiet catch-alls for what nothing
handles."""

from __future__ import annotations

import logging
import re
import threading
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


class Installed:
    """The workspace this Rapport is installed in: given, or asked of ``auth.test`` once (at the first request,
    as Bolt does; a failed call is asked again at the next one)."""

    def __init__(self, client: WebClient, team: str | None = None, enterprise: str | None = None) -> None:
        self.client = client
        self._known = inbound.Workspace(team, enterprise) if team else None
        self._enterprise_install = False
        self._lock = threading.Lock()

    def get(self) -> tuple[inbound.Workspace, bool] | None:
        """The installed workspace and whether it is an org-wide (Enterprise Grid) install; None if unknown."""
        with self._lock:
            if self._known is None:
                try:
                    info = self.client.auth_test()
                except Exception:  # noqa: BLE001 - Slack unreachable: refuse now, ask again next time
                    log.warning("auth.test failed: the installed workspace is unknown", exc_info=True)
                    return None
                team = info.get("team_id")
                if not team and not info.get("enterprise_id"):
                    return None
                self._known = inbound.Workspace(team or None, info.get("enterprise_id") or None)
                self._enterprise_install = bool(info.get("is_enterprise_install"))
            return self._known, self._enterprise_install

    def admits(self, body: dict[str, Any]) -> bool:
        """Whether a request is for this installation (its workspace, or its org for an org-wide install)."""
        known = self.get()
        if known is None:
            return False
        installed, org_wide = known
        ws = inbound.workspace(body)
        if org_wide:
            return ws.enterprise is not None and ws.enterprise == installed.enterprise
        if ws.team:
            return ws.team == installed.team
        # An org-wide payload without a team (Grid interactions can have ``team: null``): the org must match.
        return ws.enterprise is not None and ws.enterprise == installed.enterprise


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
    installed: Installed | None = None,
) -> App:
    """``listeners``: modules with ``register(app, rapport)``; ``first_delivery(event_id)``: the event dedupe;
    ``installed``: the workspace requests must be for (by default asked of ``auth.test``)."""
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

    home = installed or Installed(out.client)

    @app.middleware
    def rate_limited(body: dict[str, Any], next: Any) -> Any:
        """Slack's notice that it dropped events for this app (``app_rate_limited``, not an ``event_callback``, so
        no listener matches it): acknowledged, and said in the log, since events were lost. An event without a
        type is acknowledged too (no listener could match it; Slack must not retry it)."""
        if body.get("type") == "event_callback" and not (body.get("event") or {}).get("type"):
            return BoltResponse(status=200, body="")  # an event naming no type: nothing can handle it
        if body.get("type") == "app_rate_limited":
            log.warning(
                "Slack rate-limited event delivery to Rapport (minute %s): events were dropped",
                body.get("minute_rate_limited"),
            )
            return BoltResponse(status=200, body="")
        return next()

    @app.middleware
    def this_workspace(body: dict[str, Any], next: Any) -> Any:
        """Events, commands and interactions for another workspace or org (the same app installed elsewhere, an
        outside organisation's user in a shared channel) are acknowledged and dropped: Slack must not retry
        them, and nothing here may act on them. The one place this is checked."""
        if not home.admits(body):
            ws = inbound.workspace(body)
            log.warning(
                "refused a %s for workspace %s (enterprise %s): not the installed one",
                body.get("type") or ("command" if body.get("command") else "request"),
                ws.team or "?",
                ws.enterprise or "?",
            )
            return BoltResponse(status=200, body="")
        return next()

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

    @app.view_closed(re.compile(".*"))
    def closed_view(ack: Any) -> None:
        ack()

    @app.shortcut(re.compile(".*"))
    def unknown_shortcut(ack: Any) -> None:
        ack()

    @app.options(re.compile(".*"))
    def no_options(ack: Any) -> None:
        ack(options=[])

    @app.event(re.compile(".*"))
    def other_events() -> None:
        """Events we subscribe to but do not act on are acknowledged quietly."""

    return app
