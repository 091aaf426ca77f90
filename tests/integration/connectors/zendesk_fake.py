"""A local (loopback-only) stand-in for Zendesk's REST API, serving its documented JSON shapes.

* ``GET /api/v2/organizations.json?page[size]=N[&page[after]=C]`` -> cursor pagination:
  ``{"organizations": [...], "meta": {"has_more", "after_cursor", "before_cursor"},
  "links": {"next", "prev"}}``.
* ``GET /api/v2/incremental/tickets/cursor.json?start_time=T|cursor=C[&per_page=N][&include=metric_sets]``
  -> cursor-based incremental export: ``{"tickets": [...], "after_url", "after_cursor",
  "before_url", "before_cursor", "end_of_stream"}`` (+ ``metric_sets`` when included).

The export is ordered by (updated_at, id) and a cursor encodes the position after the last item
sent, so a later request with the final cursor returns exactly the tickets changed since. Options
make it misbehave the way a real API does: ``rate_limit_every`` answers every Nth request with 429 +
``Retry-After``; ``token`` checks the Authorization header (401 otherwise).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit


def iso(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class FakeZendesk:
    token: str = "secret-token"
    organizations: list[dict[str, Any]] = field(default_factory=list)
    tickets: list[dict[str, Any]] = field(default_factory=list)
    metric_sets: dict[int, dict[str, Any]] = field(default_factory=dict)
    rate_limit_every: int = 0  # every Nth request gets 429
    retry_after: str = "2"
    requests: list[str] = field(default_factory=list)
    base_url: str = ""

    # ---- data helpers -----------------------------------------------------------------------
    def add_org(self, oid: int, name: str, domains: list[str], updated: int) -> dict[str, Any]:
        org = {
            "url": f"{self.base_url}/api/v2/organizations/{oid}.json",
            "id": oid,
            "name": name,
            "shared_tickets": False,
            "shared_comments": False,
            "external_id": None,
            "created_at": iso(updated - 86400),
            "updated_at": iso(updated),
            "domain_names": domains,
            "details": "",
            "notes": "",
            "group_id": None,
            "tags": ["enterprise"],
            "organization_fields": {},
        }
        self.organizations.append(org)
        return org

    def upsert_ticket(self, tid: int, org: int | None, subject: str, updated: int, **extra: Any) -> dict[str, Any]:
        self.tickets = [t for t in self.tickets if t["id"] != tid]
        ticket = {
            "url": f"{self.base_url}/api/v2/tickets/{tid}.json",
            "id": tid,
            "external_id": None,
            "via": {"channel": "email"},
            "created_at": iso(updated - 3600),
            "updated_at": iso(updated),
            "generated_timestamp": updated,
            "type": "incident",
            "subject": subject,
            "raw_subject": subject,
            "description": "The printer is on fire.",
            "priority": "high",
            "status": "open",
            "recipient": None,
            "requester_id": 1000 + tid,
            "submitter_id": 1000 + tid,
            "assignee_id": None,
            "organization_id": org,
            "group_id": None,
            "tags": [],
            "custom_fields": [],
            "satisfaction_rating": None,
            "is_public": True,
        } | extra
        self.tickets.append(ticket)
        return ticket

    # ---- responses ----------------------------------------------------------------------------
    def org_page(self, query: dict[str, str]) -> dict[str, Any]:
        size = min(int(query.get("page[size]", "100")), 100)
        orgs = sorted(self.organizations, key=lambda o: o["id"])
        after = int(base64.b64decode(query["page[after]"]).decode()) if "page[after]" in query else 0
        rest = [o for o in orgs if o["id"] > after]
        page, has_more = rest[:size], len(rest) > size
        after_cursor = base64.b64encode(str(page[-1]["id"]).encode()).decode() if page else None
        nxt = (
            f"{self.base_url}/api/v2/organizations.json?{urlencode({'page[size]': size, 'page[after]': after_cursor})}"
            if has_more
            else None
        )
        return {
            "organizations": page,
            "meta": {"has_more": has_more, "after_cursor": after_cursor, "before_cursor": None},
            "links": {"next": nxt, "prev": None},
        }

    def ticket_page(self, query: dict[str, str]) -> dict[str, Any]:
        per_page = min(int(query.get("per_page", "1000")), 1000)
        ordered = sorted(self.tickets, key=lambda t: (t["generated_timestamp"], t["id"]))
        if "cursor" in query:
            stamp, last_id = (int(x) for x in base64.b64decode(query["cursor"]).decode().split("|"))
            rest = [t for t in ordered if (t["generated_timestamp"], t["id"]) > (stamp, last_id)]
        else:
            start = int(query.get("start_time", "0"))
            rest = [t for t in ordered if t["generated_timestamp"] >= start]
        page = rest[:per_page]
        if page:
            position = (page[-1]["generated_timestamp"], page[-1]["id"])
        elif "cursor" in query:
            position = tuple(int(x) for x in base64.b64decode(query["cursor"]).decode().split("|"))  # type: ignore[assignment]
        else:
            position = (int(query.get("start_time", "0")) - 1, 2**31)
        cursor = base64.b64encode(f"{position[0]}|{position[1]}".encode()).decode()
        body: dict[str, Any] = {
            "tickets": page,
            "after_url": f"{self.base_url}/api/v2/incremental/tickets/cursor.json?"
            + urlencode(
                {"cursor": cursor, "per_page": per_page} | ({"include": query["include"]} if "include" in query else {})
            ),
            "after_cursor": cursor,
            "before_url": None,
            "before_cursor": None,
            "end_of_stream": len(rest) <= per_page,
        }
        if query.get("include") == "metric_sets":
            body["metric_sets"] = [self.metric_sets[t["id"]] for t in page if t["id"] in self.metric_sets]
        return body


def _handler(fake: FakeZendesk) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - http.server API
            fake.requests.append(self.path)
            if self.headers.get("Authorization") != f"Bearer {fake.token}":
                self._send(401, {"error": "Couldn't authenticate you"})
                return
            if fake.rate_limit_every and len(fake.requests) % fake.rate_limit_every == 0:
                self._send(429, {"error": "APIRateLimitExceeded"}, {"Retry-After": fake.retry_after})
                return
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            if parts.path == "/api/v2/organizations.json":
                self._send(200, fake.org_page(query))
            elif parts.path == "/api/v2/incremental/tickets/cursor.json":
                self._send(200, fake.ticket_page(query))
            else:
                self._send(404, {"error": "InvalidEndpoint", "description": "Not found"})

    return Handler


@contextmanager
def serve(fake: FakeZendesk) -> Iterator[FakeZendesk]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
