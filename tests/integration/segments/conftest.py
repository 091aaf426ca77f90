"""A planted book for tier placement: every case the review must tell apart, with the expected result beside it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, text, update

from bot.notify import RecordingNotifier
from bot.policies import Policies, load_policies
from bot.services import Services
from bot.settings import Settings
from bot.store.db import make_session_factory
from bot.store.models import Customer, Order

REPO = Path(__file__).resolve().parents[3]
AS_OF = dt.date(2026, 1, 15)
NOW = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)
RATES = {"USD": Decimal(1), "EUR": Decimal("1.08"), "GBP": Decimal("1.27"), "CAD": Decimal("0.73")}

# id, tier stored, lifetime value, ARR, renewal date, owner, merged into; the comment is the expected outcome
CUSTOMERS: list[tuple[int, str, int, int, dt.date | None, str | None, int | None]] = [
    (1, "gold", 1_200_000, 0, None, "U0AMGOLD", None),  # LTV over platinum's 1M: up to platinum
    (2, "silver", 0, 90_000, None, "U0AMGOLD", None),  # ARR over gold's 75k: up to gold
    (3, "gold", 100_000, 20_000, dt.date(2026, 6, 30), "U0AMGOLD", None),  # silver, renewal ahead: down_kept
    (4, "gold", 100_000, 20_000, dt.date(2025, 12, 31), "U0AMGOLD", None),  # silver, renewal passed: down now
    (5, "platinum", 2_000_000, 300_000, None, "U0AMPLAT", None),  # stays platinum: no row
    (6, "silver", 10_000, 5_000, None, "U0AMEMEA", None),  # 12 months of orders: 80k USD -> gold (ARR)
    (7, "bronze", 10_000, 5_000, None, "U0AMEMEA", None),  # orders in EUR 70k (75.6k USD) -> gold
    (8, "bronze", 10_000, 5_000, None, "U0AMEMEA", None),  # orders in CHF (no rate) 90k: not counted, bronze
    (9, "bronze", 10_000, 5_000, None, "U0AMEMEA", None),  # refunded 200k and 2-year-old 200k: not counted
    (10, "bronze", 10_000, 5_000, None, "U0AMAPAC", None),  # golden of 11: its duplicate's 40k + own 40k -> gold
    (11, "bronze", 0, 0, None, None, 10),  # merged into 10: not placed
    (12, "Enterprise", 0, 300_000, None, "U0AMAPAC", None),  # a source's word: set to platinum
    (13, "bronze", 0, 0, None, "U0AMAPAC", None),  # no value, no orders: unplaceable, kept bronze
    (14, "silver", 60_000, 0, None, "U0NOBODY", None),  # stays silver; owner not in roles.yaml
    (15, "silver", 250_000, 0, None, "U0NOBODY", None),  # LTV 250k = gold's threshold exactly: up to gold
]
EXPECTED = {
    1: ("up", "platinum"),
    2: ("up", "gold"),
    3: ("down_kept", "silver"),
    4: ("down", "silver"),
    6: ("up", "gold"),
    7: ("up", "gold"),
    10: ("up", "gold"),
    12: ("set", "platinum"),
    13: ("unplaceable", "bronze"),
    15: ("up", "gold"),
}


def _order(
    oid: int, cid: int, amount: int, currency: str = "USD", days_ago: int = 30, status: str = "paid"
) -> dict[str, Any]:
    return {
        "id": oid,
        "customer_id": cid,
        "external_id": f"O{oid}",
        "amount": Decimal(amount),
        "currency": currency,
        "status": status,
        "ordered_at": NOW - dt.timedelta(days=days_ago),
    }


ORDERS = [
    _order(1, 6, 50_000),
    _order(2, 6, 30_000, days_ago=300),
    _order(3, 7, 70_000, "EUR"),
    _order(4, 8, 90_000, "CHF"),
    _order(5, 9, 200_000, status="refunded"),
    _order(6, 9, 200_000, days_ago=730),
    _order(7, 10, 40_000),
    _order(8, 11, 40_000),  # the duplicate's order counts for its golden record (10)
    _order(9, 1, 10, days_ago=366),  # just outside the 12 months
]


def seed(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(Customer),
            [
                {
                    "id": cid,
                    "name": f"Customer {cid}",
                    "tier": tier,
                    "region": "na",
                    "lifetime_value": Decimal(ltv),
                    "arr": Decimal(arr),
                    "renewal_date": renewal,
                    "owner_slack_id": owner,
                    "merged_into_id": None,
                }
                for cid, tier, ltv, arr, renewal, owner, _ in CUSTOMERS
            ],
        )
        for cid, *_, golden in CUSTOMERS:
            if golden:
                conn.execute(update(Customer).where(Customer.id == cid).values(merged_into_id=golden))
        conn.execute(insert(Order), ORDERS)
        if engine.dialect.name == "postgresql":
            # explicit ids leave PostgreSQL's sequences behind: a later sync inserting customers would collide
            for table in ("customers", "orders"):
                conn.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
                )


@pytest.fixture
def policies() -> Policies:
    return load_policies(REPO / "playbooks" / "policies")


@pytest.fixture
def book(engine: Engine) -> Engine:
    seed(engine)
    return engine


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def services(book: Engine, policies: Policies) -> Services:
    return Services(
        settings=Settings(playbooks_dir=REPO / "playbooks"),
        engine=book,
        sessions=make_session_factory(book),
        policies=policies,
        notifier=RecordingNotifier(),
        clock=Clock(NOW),
    )


def hand_written_placement(engine: Engine, policies: Policies, as_of: dt.date) -> dict[int, str]:
    """Every golden customer's tier, by a query written by hand from tier-definitions.md (not by the feature's
    query builder): the placement the review must agree with."""
    tiers = sorted(policies.tiers.tiers, key=lambda t: t.rank)
    rate = " ".join(
        f"WHEN '{c}' THEN {r}" for c, r in {policies.tiers.currency: 1, **policies.tiers.exchange_rates}.items()
    )
    bigger = (
        "GREATEST(c.arr, COALESCE(o.rev, 0))"
        if engine.dialect.name == "postgresql"
        else "MAX(c.arr, COALESCE(o.rev, 0))"
    )
    whens = " ".join(
        f"WHEN c.lifetime_value >= {t.min_lifetime_value} OR {bigger} >= {t.min_arr} THEN '{t.name}'"
        for t in tiers[:-1]
    )
    sql = f"""
        WITH o AS (
            SELECT COALESCE(m.merged_into_id, m.id) AS gid,
                   SUM(orders.amount * CASE orders.currency {rate} END) AS rev
            FROM orders JOIN customers m ON m.id = orders.customer_id
            WHERE orders.ordered_at >= :since AND orders.ordered_at < :until AND orders.status <> 'refunded'
            GROUP BY COALESCE(m.merged_into_id, m.id)
        )
        SELECT c.id, CASE {whens} ELSE '{tiers[-1].name}' END
        FROM customers c LEFT JOIN o ON o.gid = c.id
        WHERE c.merged_into_id IS NULL
    """
    from sqlalchemy import bindparam

    from bot.store.models import UTCDateTime

    until = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), dt.UTC)
    stmt = text(sql).bindparams(
        bindparam("since", until - dt.timedelta(days=365), type_=UTCDateTime()),
        bindparam("until", until, type_=UTCDateTime()),
    )
    with engine.connect() as conn:
        return {int(i): str(t) for i, t in conn.execute(stmt)}
