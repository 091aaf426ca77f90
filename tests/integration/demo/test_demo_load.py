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
