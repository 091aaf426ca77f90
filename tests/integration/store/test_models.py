"""The typed models round-trip on every backend, through the real migrations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import Engine, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.models import metadata
from bot.store import models as m
from bot.store.migrate import current_heads


def test_migrations_create_every_model_table(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= tables
    assert current_heads(engine)


def test_customer_record_round_trips_with_utc_times(engine: Engine) -> None:
    opened = dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    with Session(engine) as s:
        c = m.Customer(
            name="Northwave Foods Inc",
            domains=["northwave.com"],
            external_ids={"crm": "CRM-1"},
            tier="platinum",
            region="emea",
            timezone="Europe/Berlin",
            lifetime_value=Decimal("1250000.50"),
            arr=Decimal("300000"),
            renewal_date=dt.date(2027, 1, 15),
            owner_slack_id="U1",
            comm_preferences={"channel": "email"},
        )
        c.contacts.append(m.Contact(name="Ana Berg", email="ana@northwave.com", is_primary=True))
        s.add(c)
        s.flush()
        s.add(
            m.Ticket(
                customer_id=c.id,
                subject="down",
                priority="P1",
                status="open",
                category="outage",
                sentiment=-0.5,
                opened_at=opened,
            )
        )
        s.commit()
        cid = c.id
    with Session(engine) as s:
        c = s.get(m.Customer, cid)
        assert c is not None
        assert c.lifetime_value == Decimal("1250000.50")
        assert c.external_ids == {"crm": "CRM-1"} and c.domains == ["northwave.com"]
        assert [x.email for x in c.contacts] == ["ana@northwave.com"]
        t = s.scalars(select(m.Ticket).where(m.Ticket.customer_id == cid)).one()
        assert t.opened_at == opened and t.opened_at.tzinfo is not None
        assert t.opened_at.utcoffset() == dt.timedelta(0)


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    with Session(engine) as s:
        s.add(
            m.AuditEvent(
                actor="U1",
                action="x",
                subject_type="t",
                subject_id="1",
                prev_hash="0",
                hash="a",
                occurred_at=dt.datetime(2026, 1, 1),
            )
        )
        with pytest.raises(Exception, match="naive datetime"):
            s.commit()


def test_processed_event_ids_are_unique(engine: Engine) -> None:
    with Session(engine) as s:
        s.add(m.ProcessedEvent(event_id="Ev1"))
        s.commit()
    with Session(engine) as s:
        s.add(m.ProcessedEvent(event_id="Ev1"))
        with pytest.raises(IntegrityError):
            s.commit()


def test_deleting_a_customer_cascades_to_interactions(engine: Engine) -> None:
    with Session(engine) as s:
        c = m.Customer(name="Gone Ltd", tier="bronze", region="na")
        s.add(c)
        s.flush()
        s.add(m.Order(customer_id=c.id, amount=Decimal("10"), status="paid", ordered_at=dt.datetime.now(dt.UTC)))
        s.commit()
        s.delete(c)
        s.commit()
        assert s.scalar(select(m.Order).limit(1)) is None
