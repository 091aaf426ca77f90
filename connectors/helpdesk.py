"""Zendesk-style helpdesk REST API: organizations (customers) and tickets, with cursor pagination.

Two documented pagination shapes are followed, each for the endpoint that uses it:

* **Organizations**: ``GET /api/v2/organizations.json?page[size]=100`` (cursor pagination): the
  response carries ``meta.has_more`` / ``meta.after_cursor`` and ``links.next`` (the next page's
  URL). The list has no change filter, so every poll walks it; rows not changed since the stored
  cursor (the highest ``updated_at`` of the last complete pass) are skipped before validation, and
  the cursor moves only after a complete pass.
* **Tickets**: ``GET /api/v2/incremental/tickets/cursor.json?start_time=<epoch>`` and then
  ``?cursor=<after_cursor>`` (cursor-based incremental export) until ``end_of_stream`` is true.
  Each batch carries the ``after_cursor`` of its last page, so a crash resumes from the last
  committed page, and the next poll starts exactly where the stream ended.

Rate limits: a 429 (or 503) is retried after the ``Retry-After`` seconds the server asks for
(capped by ``max_wait``), up to ``max_retries`` times; then the run fails with one clear line.
The token goes only to ``base_url``'s own origin (a ``links.next`` pointing elsewhere is refused),
and only over HTTPS unless the host is loopback (the local test fake).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import itertools
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

from connectors.base import Batch, ConnectorError, RowError, raw_dict, validate_row
from connectors.dates import parse_datetime
from connectors.records import CustomerRecord, Record, TicketRecord
from connectors.registry import register

ORG_PAGE_SIZE = 100  # the documented maximum for cursor pagination
TICKET_PAGE_SIZE = 1000  # the documented maximum for the incremental export
MAX_BODY = 50 * 1024 * 1024
CURSOR_LIMIT = 200  # sync_cursors.cursor width; a longer vendor cursor falls back to a start time
LOOPBACK = ("127.0.0.1", "localhost", "::1")
# Field names shown in quarantine rows: the vendor's keys, not ours.
TICKET_COLUMNS = {
    "external_id": "id",
    "customer_external_id": "organization_id",
    "opened_at": "created_at",
    "category": "type",
}
# What a quarantined object keeps: enough to find and fix it at the source, not a copy of it.
RAW_KEYS = ("id", "organization_id", "name", "subject", "status", "updated_at")
ORG_COLUMNS = {"external_id": "id", "domain": "domain_names"}


class HelpdeskClient:
    """A tiny JSON-over-HTTPS client: auth header, Retry-After on 429/503, same-origin links only."""

    def __init__(
        self,
        name: str,
        base_url: str,
        token: str,
        *,
        timeout: float = 30.0,
        max_retries: int = 5,
        max_wait: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        parts = urllib.parse.urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConnectorError(f"source {name!r}: base_url must be an http(s) URL, got {base_url!r}")
        if parts.scheme == "http" and parts.hostname not in LOOPBACK:
            raise ConnectorError(f"source {name!r}: base_url must use https (the API token would travel in clear)")
        if not token:
            raise ConnectorError(f"source {name!r}: no API token (set the variable named by token_env)")
        self.name = name
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.prefix = parts.path
        self.timeout, self.max_retries, self.max_wait, self.sleep = timeout, max_retries, max_wait, sleep
        # "agent@example.com/token:SECRET" is Zendesk's API-token basic auth; anything else is OAuth.
        if "/token:" in token:
            self.auth = "Basic " + base64.b64encode(token.encode()).decode()
        else:
            self.auth = f"Bearer {token}"
        self.requests = 0
        self.waited: list[float] = []

    def url(self, path: str, params: Mapping[str, Any]) -> str:
        return f"{self.origin}{self.prefix}{path}?{urllib.parse.urlencode(params)}"

    def get(self, url: str) -> dict[str, Any]:
        parts = urllib.parse.urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            raise ConnectorError(f"source {self.name!r}: refusing to follow a link to another host ({parts.netloc})")
        request = urllib.request.Request(
            url, headers={"Authorization": self.auth, "Accept": "application/json", "User-Agent": "rapport-sync"}
        )
        for attempt in range(self.max_retries + 1):
            self.requests += 1
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as resp:  # noqa: S310 - scheme checked
                    body = resp.read(MAX_BODY + 1)
            except urllib.error.HTTPError as exc:
                if exc.code in (429, 503) and attempt < self.max_retries:
                    self._wait(exc.headers.get("Retry-After"), attempt)
                    continue
                raise ConnectorError(self._http_error(exc, parts.path)) from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                if attempt < self.max_retries:
                    self._wait(None, attempt)
                    continue
                reason = getattr(exc, "reason", exc)
                raise ConnectorError(f"source {self.name!r}: cannot reach {self.origin}: {reason}") from None
            if len(body) > MAX_BODY:
                raise ConnectorError(f"source {self.name!r}: response over {MAX_BODY:,} bytes from {parts.path}")
            try:
                data = json.loads(body)
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise ConnectorError(f"source {self.name!r}: {parts.path} did not return JSON: {exc}") from None
            if not isinstance(data, dict):
                raise ConnectorError(
                    f"source {self.name!r}: {parts.path} returned {type(data).__name__}, not an object"
                )
            return data
        raise ConnectorError(f"source {self.name!r}: still rate limited after {self.max_retries} retries")

    def _wait(self, retry_after: str | None, attempt: int) -> None:
        seconds = float(min(2**attempt, 30))  # no header (network error): exponential backoff
        if retry_after:
            try:
                seconds = float(retry_after)
            except ValueError:
                with contextlib.suppress(TypeError, ValueError):  # the HTTP-date form
                    seconds = (parsedate_to_datetime(retry_after) - dt.datetime.now(dt.UTC)).total_seconds()
        seconds = max(0.0, min(seconds, self.max_wait))
        self.waited.append(seconds)
        self.sleep(seconds)

    def _http_error(self, exc: urllib.error.HTTPError, path: str) -> str:
        detail = ""
        try:
            payload = json.loads(exc.read(64 * 1024) or b"{}")
            if isinstance(payload, dict):
                err = payload.get("error")
                detail = str(err.get("title") or err.get("message") if isinstance(err, dict) else err or "")
                detail = detail or str(payload.get("description") or "")
        except (ValueError, OSError):
            pass
        hint = {401: " (check the API token)", 403: " (the token lacks permission)", 404: " (check base_url)"}
        return f"source {self.name!r}: HTTP {exc.code} from {path}{hint.get(exc.code, '')}" + (
            f": {detail[:200]}" if detail else ""
        )


def _ticket_values(obj: Mapping[str, Any]) -> dict[str, Any]:
    """TicketRecord values from one Zendesk ticket object."""
    values: dict[str, Any] = {
        "external_id": obj.get("id"),
        "subject": obj.get("subject") or obj.get("raw_subject"),
        "opened_at": obj.get("created_at"),
        "updated_at": obj.get("updated_at"),
    }
    org = obj.get("organization_id")
    if org is not None:
        values["customer_external_id"] = org
    if obj.get("priority"):  # null priority: the record's default (P3)
        values["priority"] = obj["priority"]
    status = obj.get("status")
    if status:
        # The incremental export includes deleted tickets; for us they are closed, not bad data.
        values["status"] = "closed" if status == "deleted" else status
    if obj.get("type"):
        values["category"] = obj["type"]
    return values


def _org_values(obj: Mapping[str, Any]) -> dict[str, Any]:
    domains = obj.get("domain_names") or []
    values: dict[str, Any] = {
        "external_id": obj.get("id"),
        "name": obj.get("name"),
        "updated_at": obj.get("updated_at"),
    }
    if isinstance(domains, list) and domains:
        values["domain"] = domains[0]
    return values


def _metrics(page: Mapping[str, Any]) -> dict[Any, Mapping[str, Any]]:
    """Side-loaded ``metric_sets`` by ticket id (``include=metric_sets``): solve and reply times."""
    sets = page.get("metric_sets")
    return {m.get("ticket_id"): m for m in sets if isinstance(m, dict)} if isinstance(sets, list) else {}


def _apply_metrics(values: dict[str, Any], metric: Mapping[str, Any] | None) -> None:
    if not metric:
        return
    if metric.get("solved_at"):
        values["resolved_at"] = metric["solved_at"]
    reply = metric.get("reply_time_in_minutes")
    minutes = reply.get("calendar") if isinstance(reply, dict) else None
    if isinstance(minutes, int | float) and values.get("opened_at"):
        try:
            opened = parse_datetime(values["opened_at"])
        except ValueError:
            return  # validation reports the bad created_at
        if isinstance(opened, dt.datetime):
            values["first_response_at"] = opened + dt.timedelta(minutes=minutes)


class HelpdeskConnector:
    def __init__(self, name: str, resource: str, client: HelpdeskClient) -> None:
        if resource not in ("tickets", "organizations"):
            raise ConnectorError(f"source {name!r}: unknown helpdesk resource {resource!r} (tickets, organizations)")
        self.name, self.resource, self.client = name, resource, client
        self.entity = "ticket" if resource == "tickets" else "customer"
        self.model: type[Record] = TicketRecord if resource == "tickets" else CustomerRecord

    def full_load(self, batch_size: int = 5000) -> Iterator[Batch]:
        return self._tickets(None, batch_size) if self.resource == "tickets" else self._orgs(None, batch_size)

    def poll(self, cursor: str | None, batch_size: int = 5000) -> Iterator[Batch]:
        return self._tickets(cursor, batch_size) if self.resource == "tickets" else self._orgs(cursor, batch_size)

    # ---- organizations: cursor pagination over the whole list --------------------------------
    def _orgs(self, cursor: str | None, batch_size: int) -> Iterator[Batch]:
        since = parse_datetime(cursor) if cursor else None
        high: dt.datetime | None = since if isinstance(since, dt.datetime) else None
        url: str | None = self.client.url("/api/v2/organizations.json", {"page[size]": ORG_PAGE_SIZE})
        batch, rows = Batch(), itertools.count(1)
        while url:
            page = self.client.get(url)
            for row, obj in self._objects(page, "organizations", batch, rows):
                stamp = self._stamp(obj.get("updated_at"))
                if since is not None and stamp is not None and stamp < since:
                    continue  # unchanged since the last complete pass
                loaded = self._add(batch, _org_values(obj), row, ORG_COLUMNS, obj)
                if loaded and stamp is not None and (high is None or stamp > high):
                    high = stamp  # only rows that validate move the cursor (not one dated in the future)
            if len(batch.records) + len(batch.errors) >= batch_size:
                yield batch
                batch = Batch()
            meta, links = page.get("meta") or {}, page.get("links") or {}
            url = links.get("next") if meta.get("has_more") else None
        batch.cursor = high.isoformat() if high is not None else None  # complete pass: the cursor may move
        yield batch

    # ---- tickets: incremental cursor export -----------------------------------------------------
    def _tickets(self, cursor: str | None, batch_size: int) -> Iterator[Batch]:
        params: dict[str, Any] = {"per_page": min(TICKET_PAGE_SIZE, max(batch_size, 1)), "include": "metric_sets"}
        if cursor and cursor.startswith("c:"):
            params["cursor"] = cursor[2:]
        else:
            params["start_time"] = int(cursor[2:]) if cursor and cursor.startswith("t:") else 0
        url: str | None = self.client.url("/api/v2/incremental/tickets/cursor.json", params)
        batch, rows, newest = Batch(), itertools.count(1), int(params.get("start_time", 0))
        while url:
            page = self.client.get(url)
            metrics = _metrics(page)
            for row, obj in self._objects(page, "tickets", batch, rows):
                stamp = self._stamp(obj.get("updated_at"))
                values = _ticket_values(obj)
                _apply_metrics(values, metrics.get(obj.get("id")))
                if self._add(batch, values, row, TICKET_COLUMNS, obj) and stamp is not None:
                    newest = max(newest, int(stamp.timestamp()))
            after = page.get("after_cursor")
            if after:
                # A vendor cursor too long for our column falls back to the newest change time seen
                # (inclusive re-read: the upserts are idempotent).
                batch.cursor = f"c:{after}" if len(after) + 2 <= CURSOR_LIMIT else f"t:{newest}"
            done = bool(page.get("end_of_stream")) or not after
            if done:
                url = None
            else:
                nxt = {k: v for k, v in params.items() if k != "start_time"} | {"cursor": after}
                url = page.get("after_url") or self.client.url("/api/v2/incremental/tickets/cursor.json", nxt)
            if done or len(batch.records) + len(batch.errors) >= batch_size:
                yield batch
                batch = Batch()

    # ---- shared -------------------------------------------------------------------------------
    def _objects(
        self, page: Mapping[str, Any], key: str, batch: Batch, rows: Iterator[int]
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        """(row number, object) for each object in ``page[key]``; a non-object is a row error."""
        items = page.get(key)
        if not isinstance(items, list):
            raise ConnectorError(f"source {self.name!r}: response has no {key!r} list")
        for obj in items:
            row = next(rows)
            if isinstance(obj, dict):
                yield row, obj
            else:
                batch.rows_read += 1
                batch.errors.append(RowError(row, None, f"expected an object, found {type(obj).__name__}"))

    @staticmethod
    def _stamp(value: Any) -> dt.datetime | None:
        try:
            stamp = parse_datetime(value) if value else None
        except ValueError:
            return None  # validation reports it
        return stamp if isinstance(stamp, dt.datetime) else None

    def _add(
        self, batch: Batch, values: dict[str, Any], row: int, columns: Mapping[str, str], obj: Mapping[str, Any]
    ) -> bool:
        """Validate one object into ``batch``: True when it became a record, False when it was rejected."""
        batch.rows_read += 1
        result = validate_row(self.model, values, row, columns)
        if isinstance(result, list):
            raw = raw_dict(
                {k: obj.get(k) for k in ("id", "organization_id", "name", "subject", "status", "updated_at")}
            )
            batch.errors.extend(RowError(e.row, e.field, e.reason, raw) for e in result)
            return False
        batch.add(result, row)
        return True


@register("helpdesk")
def _helpdesk(spec: Mapping[str, Any]) -> HelpdeskConnector:
    name = str(spec.get("name"))
    client = HelpdeskClient(name, str(spec.get("base_url") or ""), str(spec.get("token") or ""))
    return HelpdeskConnector(name, str(spec.get("resource")), client)
