"""The helpdesk writer over HTTP, against a loopback stand-in for Zendesk's ``POST /api/v2/tickets.json``: what it
sends (auth, subject, body with the link back, priority, external id), and how a refusal or an unreachable
helpdesk becomes a HelpdeskError (the ticket then stays on the record only)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bot.channels.helpdesk import HelpdeskError, HelpdeskTicket, ZendeskWriter


class FakeZendesk:
    def __init__(self, status: int = 201) -> None:
        self.status = status
        self.requests: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                outer.requests.append((self.path, dict(self.headers), body))
                if outer.status >= 400:
                    reply = {"error": "Forbidden", "description": "You do not have access to this page"}
                else:
                    reply = {"ticket": {"id": 4242, **body.get("ticket", {})}}
                raw = json.dumps(reply).encode()
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def zendesk() -> Iterator[FakeZendesk]:
    fake = FakeZendesk()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


TICKET = HelpdeskTicket(
    "Billing: the March invoice shows 500 seats",
    "Billing: the March invoice shows 500 seats\n\nFrom Slack: https://acme.slack.com/archives/C0EXT/p1",
    "P2",
    "slack:C0EXT:1.000100",
    organization="361",
)


def test_a_ticket_is_created_with_the_link_back(zendesk: FakeZendesk) -> None:
    writer = ZendeskWriter("helpdesk_tickets", zendesk.url, "agent@example.com/token:SECRET")
    assert writer.create(TICKET) == "4242"
    ((path, headers, body),) = zendesk.requests
    assert path == "/api/v2/tickets.json" and headers["Authorization"].startswith("Basic ")
    sent = body["ticket"]
    assert (
        sent["subject"] == TICKET.subject and sent["priority"] == "high" and sent["external_id"] == TICKET.external_id
    )
    assert "From Slack: https://" in sent["comment"]["body"] and sent["comment"]["public"] is False
    assert sent["organization_id"] == 361 and "rapport" in sent["tags"]


def test_a_refusal_names_the_reason(zendesk: FakeZendesk) -> None:
    zendesk.status = 403
    writer = ZendeskWriter("helpdesk_tickets", zendesk.url, "oauth-token")
    with pytest.raises(HelpdeskError) as err:
        writer.create(TICKET)
    assert "HTTP 403" in str(err.value) and "lacks permission" in str(err.value)
    assert zendesk.requests[0][1]["Authorization"] == "Bearer oauth-token"


def test_unreachable_or_misconfigured_helpdesks_are_errors_not_crashes() -> None:
    with pytest.raises(HelpdeskError):
        ZendeskWriter("helpdesk_tickets", "http://example.com", "t")  # a token in clear over the internet
    with pytest.raises(HelpdeskError):
        ZendeskWriter("helpdesk_tickets", "https://example.com", "")  # no token
    with pytest.raises(HelpdeskError) as err:
        ZendeskWriter("helpdesk_tickets", "http://127.0.0.1:9", "t", timeout=2).create(TICKET)
    assert "unreachable" in str(err.value)
