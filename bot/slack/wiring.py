"""What every listener is given: the features' services, the one way out to Slack, this app's commands."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.failures import failure_message, new_reference
from bot.notify import DeliveryError, Outbound
from bot.services import Services
from bot.slack.commands import Commands
from bot.slack.notifier import SlackNotifier

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rapport:
    services: Services
    out: SlackNotifier
    commands: Commands

    def tell(
        self,
        user: str,
        channel: str,
        text: str,
        view: object | None = None,
        thread_ts: str | None = None,
        response_url: str | None = None,
    ) -> None:
        """Something only ``user`` sees: through the response_url when there is one, else an ephemeral message
        (or a DM outside channels). Never raises: a message that cannot be shown is logged."""
        message = Outbound(channel or user, text, view, thread_ts, user, response_url)
        try:
            self.out.send(message)
            return
        except DeliveryError as exc:
            if not response_url:
                log.warning("could not tell %s: %s", user, exc)
                return
        try:  # the response_url failed (expired, or used 5 times): the Web API instead
            self.out.send(Outbound(channel or user, text, view, thread_ts, user))
        except DeliveryError as exc:
            log.warning("could not tell %s: %s", user, exc)

    def failed(self, exc: BaseException, what: str, user: str, channel: str, **where: str | None) -> None:
        """A handler failed: log it with a reference id and tell the user, privately, with that id."""
        ref = new_reference()
        log.error("%s failed (reference %s)", what, ref, exc_info=exc)
        self.tell(user, channel, failure_message(exc, ref, "do that"), **where)
