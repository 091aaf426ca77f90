from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, func, select

from bot.demo.generator import DemoGenerator, load
from bot.store import models as m

NOW = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)


def test_generator_streams_into_the_database(engine: Engine) -> None:
    stats = load(engine, DemoGenerator(400, seed=3, now=NOW))
    with engine.connect() as conn:
        for table, count in stats.rows.items():
            assert conn.scalar(select(func.count()).select_from(m.Base.metadata.tables[table])) == count
        assert stats.rows["customers"] >= 400
        # Every planted duplicate points at a real primary customer.
        orphans = conn.scalar(
            select(func.count())
            .select_from(m.PlantedDuplicate)
            .where(m.PlantedDuplicate.duplicate_of.not_in(select(m.Customer.id)))
        )
        assert orphans == 0
    assert stats.rows_per_second > 0


def test_application_inserts_after_demo_data_get_fresh_ids(engine: Engine) -> None:
    """Demo rows carry explicit ids; the next row the application adds must not collide with them."""
    load(engine, DemoGenerator(30, seed=5, now=NOW))
    with engine.begin() as conn:
        top = conn.scalar(select(func.max(m.Customer.id)))
        new_id = conn.execute(
            m.Customer.__table__.insert().values(name="New Co", tier="gold", region="na", lifetime_value=0, arr=0)
        ).inserted_primary_key[0]
        ticket_top = conn.scalar(select(func.max(m.Ticket.id)))
        new_ticket = conn.execute(
            m.Ticket.__table__.insert().values(
                customer_id=new_id, subject="x", priority="P3", status="open", opened_at=NOW, category="question"
            )
        ).inserted_primary_key[0]
    assert new_id > top and new_ticket > ticket_top
