"""Writing a ticket to the helpdesk as well, when one with write access is configured.

:class:`HelpdeskWriter` is the port; :class:`ZendeskWriter` creates a ticket with Zendesk's
``POST /api/v2/tickets.json``, authenticated and origin-checked like the reading connector
(:class:`connectors.helpdesk.HelpdeskClient`: HTTPS unless loopback, API-token basic auth or OAuth bearer).
Which source to write to is ``customer_channels.helpdesk_source`` in ``channels.yaml``, naming a
``kind: helpdesk`` source of ``sources.yaml``; its ``token_env`` must hold a token that may create tickets.
Tests use a fake writer, and a loopback fake of the endpoint for the HTTP path.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from bot.services import Services
from bot.sync.config import load_sources
from connectors.base import ConnectorError
from connectors.helpdesk import HelpdeskClient

ZENDESK_PRIORITY = {"P1": "urgent", "P2": "high", "P3": "normal", "P4": "low"}


class HelpdeskError(Exception):
    """The helpdesk refused or could not be reached: the ticket stays on the record only."""


@dataclass(frozen=True)
class HelpdeskTicket:
    subject: str
    body: str  # the customer's words (plain) and the link back to the Slack thread
    priority: str  # P1..P4
    external_id: str  # ours: "slack:<channel>:<ts>", so a retry finds it
    organization: str | None = None  # the customer's id in the helpdesk, when known


class HelpdeskWriter(Protocol):
    def create(self, ticket: HelpdeskTicket) -> str:
        """Create the ticket; return its id in the helpdesk. Raises :class:`HelpdeskError`."""
        ...


class ZendeskWriter:
    def __init__(self, name: str, base_url: str, token: str, timeout: float = 15.0) -> None:
        try:
            self.client = HelpdeskClient(name, base_url, token, timeout=timeout, max_retries=1)
        except ConnectorError as exc:
            raise HelpdeskError(str(exc)) from None
        self.name = name

    def create(self, ticket: HelpdeskTicket) -> str:
        payload: dict[str, object] = {
            "subject": ticket.subject,
            "comment": {"body": ticket.body, "public": False},
            "priority": ZENDESK_PRIORITY.get(ticket.priority, "normal"),
            "external_id": ticket.external_id,
            "tags": ["rapport", "slack"],
        }
        if ticket.organization and ticket.organization.isdigit():
            payload["organization_id"] = int(ticket.organization)
        url = f"{self.client.origin}{self.client.prefix}/api/v2/tickets.json"
        request = urllib.request.Request(
            url,
            data=json.dumps({"ticket": payload}).encode(),
            method="POST",
            headers={
                "Authorization": self.client.auth,
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": "rapport-channels",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.client.timeout) as resp:  # noqa: S310 - origin checked
                data = json.loads(resp.read(1024 * 1024) or b"{}")
        except urllib.error.HTTPError as exc:
            raise HelpdeskError(self.client._http_error(exc, "/api/v2/tickets.json")) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, ValueError) as exc:
            raise HelpdeskError(f"helpdesk {self.name!r} unreachable: {getattr(exc, 'reason', exc)}") from None
        created = data.get("ticket") if isinstance(data, dict) else None
        if not isinstance(created, dict) or "id" not in created:
            raise HelpdeskError(f"helpdesk {self.name!r} answered without a ticket id")
        return str(created["id"])


def writer_for(services: Services) -> HelpdeskWriter | None:
    """The configured helpdesk writer, or None (tickets then live on the customer record only)."""
    name = services.policies.channels.customer_channels.helpdesk_source
    if not name:
        return None
    try:
        spec = load_sources(services.settings.policies_dir).source(name)
    except KeyError as exc:
        raise HelpdeskError(f"customer_channels.helpdesk_source: {exc.args[0]}") from None
    if spec.kind != "helpdesk":
        raise HelpdeskError(f"customer_channels.helpdesk_source: {name!r} is a {spec.kind} source, not a helpdesk")
    token = os.environ.get(spec.token_env or "", "")
    return ZendeskWriter(name, spec.base_url or "", token)
