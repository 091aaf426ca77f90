"""Zendesk-style helpdesk connector against a loopback fake serving the vendor's documented shapes:
cursor pagination (organizations), cursor-based incremental export (tickets), 429 + Retry-After,
auth failures, bad objects quarantined, and end-to-end sync of the two sources in sources.yaml."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from bot.store.models import Customer, Ticket
from bot.sync import service
from bot.sync.config import SourceSpec, load_sources
from bot.sync.models import QuarantineRow
from connectors import ConnectorError, create
from connectors.helpdesk import HelpdeskClient, HelpdeskConnector

from .zendesk_fake import FakeZendesk, serve

REPO = Path(__file__).resolve().parents[3]
T0 = 1_735_689_600  # 2025-01-01T00:00:00Z


@pytest.fixture
def fake() -> Iterator[FakeZendesk]:
    with serve(FakeZendesk()) as running:
        yield running


def _connector(fake: FakeZendesk, resource: str) -> HelpdeskConnector:
    return HelpdeskConnector("zd", resource, HelpdeskClient("zd", fake.base_url, fake.token, sleep=lambda s: None))


def _books(fake: FakeZendesk, orgs: int, tickets: int) -> None:
    for i in range(1, orgs + 1):
        fake.add_org(i, f"Org {i} GmbH", [f"org{i}.example"], T0 + i)
    for i in range(1, tickets + 1):
        fake.upsert_ticket(i, 1 + i % orgs, f"Ticket {i}", T0 + 1000 + i)


def test_organizations_follow_links_next_until_has_more_is_false(fake: FakeZendesk) -> None:
    _books(fake, 250, 0)
    batches = list(_connector(fake, "organizations").full_load(batch_size=5000))
    records = [r for b in batches for r in b.records]
    assert [r.external_id for r in records] == [str(i) for i in range(1, 251)]
    assert records[0].name == "Org 1 GmbH" and records[0].domain == "org1.example"  # type: ignore[attr-defined]
    assert len(fake.requests) == 3  # 100 + 100 + 50
    assert "page%5Bafter%5D=" in fake.requests[1] and "page%5Bsize%5D=100" in fake.requests[1]
    assert batches[-1].cursor == "2025-01-01T00:04:10+00:00"  # newest updated_at of the complete pass
    # Next poll: the whole list is walked (the endpoint has no change filter) but only newer rows are read.
    fake.organizations[4]["updated_at"] = "2025-03-01T00:00:00Z"
    again = list(_connector(fake, "organizations").poll(batches[-1].cursor))
    assert [r.external_id for b in again for r in b.records] == ["5", "250"]  # 250 shares the cursor stamp


def test_ticket_export_pages_by_after_cursor_and_resumes_exactly_where_the_stream_ended(fake: FakeZendesk) -> None:
    _books(fake, 10, 2500)
    conn = _connector(fake, "tickets")
    batches = list(conn.full_load(batch_size=1000))
    assert sum(len(b.records) for b in batches) == 2500 and not any(b.errors for b in batches)
    assert "start_time=0" in fake.requests[0] and "per_page=1000" in fake.requests[0]
    assert all("cursor=" in p for p in fake.requests[1:]) and len(fake.requests) == 3
    cursor = batches[-1].cursor
    assert cursor and cursor.startswith("c:")
    first = batches[0].records[0]
    assert (first.customer_external_id, first.priority, first.status, first.category) == ("2", "P2", "open", "incident")  # type: ignore[attr-defined]

    fake.requests.clear()
    for tid in (7, 700, 2500):
        fake.upsert_ticket(tid, 3, f"Ticket {tid} (edited)", T0 + 90_000, status="solved")
    fake.upsert_ticket(2501, 4, "Brand new", T0 + 90_001, priority=None)
    changed = list(conn.poll(cursor))
    got = {r.external_id: r for b in changed for r in b.records}
    assert set(got) == {"7", "700", "2500", "2501"} and len(fake.requests) == 1
    assert got["7"].status == "solved" and got["2501"].priority == "P3"  # type: ignore[attr-defined]
    assert list(conn.poll(changed[-1].cursor))[-1].records == []  # nothing changed since


def test_429_waits_for_retry_after_then_every_row_arrives(fake: FakeZendesk) -> None:
    _books(fake, 5, 300)
    fake.rate_limit_every, fake.retry_after = 2, "7"
    sleeps: list[float] = []
    client = HelpdeskClient("zd", fake.base_url, fake.token, sleep=sleeps.append)
    batches = list(HelpdeskConnector("zd", "tickets", client).full_load(batch_size=100))
    assert sum(len(b.records) for b in batches) == 300
    assert sleeps and set(sleeps) == {7.0}  # exactly what the server asked for
    assert client.requests == len(fake.requests) == 3 + len(sleeps)


def test_rate_limit_that_never_lifts_fails_with_one_clear_line(fake: FakeZendesk) -> None:
    _books(fake, 1, 1)
    fake.rate_limit_every = 1
    client = HelpdeskClient("zd", fake.base_url, fake.token, max_retries=2, sleep=lambda s: None)
    with pytest.raises(ConnectorError, match=r"HTTP 429 from /api/v2/incremental/tickets/cursor.json"):
        list(HelpdeskConnector("zd", "tickets", client).full_load())
    assert len(fake.requests) == 3


def test_bad_token_and_unsafe_urls_are_refused(fake: FakeZendesk) -> None:
    client = HelpdeskClient("zd", fake.base_url, "wrong", sleep=lambda s: None)
    with pytest.raises(ConnectorError, match=r"HTTP 401 .*check the API token.*Couldn't authenticate you"):
        list(HelpdeskConnector("zd", "organizations", client).full_load())
    with pytest.raises(ConnectorError, match="must use https"):
        HelpdeskClient("zd", "http://example.zendesk.com", "t")
    with pytest.raises(ConnectorError, match="no API token"):
        HelpdeskClient("zd", "https://example.zendesk.com", "")
    _books(fake, 150, 0)
    real, fake.base_url = fake.base_url, "http://evil.invalid:1"  # links.next now points at another host
    client = HelpdeskClient("zd", real, fake.token, sleep=lambda s: None)
    with pytest.raises(ConnectorError, match="another host"):
        list(HelpdeskConnector("zd", "organizations", client).full_load())
    assert not any("evil" in p for p in fake.requests)


def test_basic_auth_form_of_an_api_token() -> None:
    client = HelpdeskClient("zd", "https://x.zendesk.com", "agent@example.com/token:abc")
    assert client.auth.startswith("Basic ") and "abc" not in client.auth


def test_bad_tickets_are_reported_with_row_field_and_reason(fake: FakeZendesk) -> None:
    _books(fake, 3, 6)
    fake.upsert_ticket(2, None, "No org", T0 + 2000)
    fake.upsert_ticket(3, 1, "Odd priority", T0 + 2001, priority="whenever")
    fake.upsert_ticket(4, 1, "", T0 + 2002, raw_subject="")
    fake.upsert_ticket(5, 1, "From the future", T0 + 2003, created_at="2999-01-01T00:00:00Z")
    fake.upsert_ticket(6, 1, "Deleted one", T0 + 2004, status="deleted")
    batches = list(_connector(fake, "tickets").full_load())
    errors = {(e.field, e.reason.split(" ")[0]) for b in batches for e in b.errors}
    assert ("organization_id", "required") in errors
    assert ("priority", "unknown") in errors
    assert ("subject", "must") in errors
    assert any(f == "opened_at" or r == "opened_at" for f, r in errors)
    loaded = {r.external_id: r for b in batches for r in b.records}
    assert set(loaded) == {"1", "6"} and loaded["6"].status == "closed"  # type: ignore[attr-defined]
    assert all(e.raw and "description" not in e.raw for b in batches for e in b.errors)


def test_metric_sets_give_resolved_and_first_response_times(fake: FakeZendesk) -> None:
    _books(fake, 1, 1)
    fake.metric_sets[1] = {
        "id": 9,
        "ticket_id": 1,
        "solved_at": "2025-01-02T00:00:00Z",
        "reply_time_in_minutes": {"calendar": 90, "business": 30},
    }
    (record,) = [r for b in _connector(fake, "tickets").full_load() for r in b.records]
    assert "include=metric_sets" in fake.requests[0]
    assert record.resolved_at.isoformat() == "2025-01-02T00:00:00+00:00"  # type: ignore[attr-defined]
    assert (record.first_response_at - record.opened_at).total_seconds() == 5400  # type: ignore[attr-defined]


def test_sources_yaml_helpdesk_sources_build_connectors() -> None:
    sources = load_sources(REPO / "playbooks" / "policies")
    for name in ("helpdesk_orgs", "helpdesk_tickets"):
        spec = sources.source(name)
        connector = create(spec.connector_spec({"RAPPORT_HELPDESK_TOKEN": "t"}))
        assert isinstance(connector, HelpdeskConnector)
        assert connector.entity == ("customer" if name == "helpdesk_orgs" else "ticket")


def test_sync_orgs_then_tickets_into_the_store_incrementally(engine: Engine, fake: FakeZendesk) -> None:
    _books(fake, 20, 120)
    fake.upsert_ticket(121, 999, "Unknown org", T0 + 5000)
    sources = load_sources(REPO / "playbooks" / "policies")
    env = {"RAPPORT_HELPDESK_TOKEN": fake.token}
    orgs = SourceSpec(**(sources.source("helpdesk_orgs").model_dump() | {"base_url": fake.base_url}))
    tickets = SourceSpec(
        **(sources.source("helpdesk_tickets").model_dump() | {"base_url": fake.base_url, "batch_size": 50})
    )
    first_orgs = service.sync_source(engine, orgs, env=env)
    first = service.sync_source(engine, tickets, env=env)
    assert (first_orgs.status, first_orgs.rows_loaded) == ("ok", 20)
    assert (first.status, first.rows_loaded, first.rows_quarantined) == ("partial", 120, 1)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Ticket).where(Ticket.source == "helpdesk_tickets")) == 120
        q = conn.execute(
            select(QuarantineRow.field, QuarantineRow.reason).where(QuarantineRow.source == "helpdesk_tickets")
        ).one()
        assert q.field == "customer_external_id" and "unknown customer '999'" in q.reason
        org5 = conn.scalar(select(Customer.id).where(Customer.name == "Org 5 GmbH"))
        assert conn.scalar(select(func.count()).select_from(Ticket).where(Ticket.customer_id == org5)) == 6

    fake.requests.clear()
    fake.upsert_ticket(10, 5, "Ticket 10 escalated", T0 + 9000, priority="urgent")
    again = service.sync_source(engine, tickets, env=env)
    assert (again.status, again.rows_read, again.rows_loaded) == ("ok", 1, 1)
    assert len(fake.requests) == 1 and "cursor=" in fake.requests[0]
    with engine.connect() as conn:
        assert conn.scalar(select(Ticket.priority).where(Ticket.external_id == "10")) == "P1"
