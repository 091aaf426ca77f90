"""An alert resolves only when its condition is false: a complaint stays open while its ticket is open, a late
shipment while it is undelivered, whatever the firing window says (both backends)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select, update

from bot.alerts.evaluate import evaluate
from bot.alerts.models import OPEN, RESOLVED, Alert
from bot.demo.generator import DemoGenerator, load
from bot.policies import Policies
from bot.store.models import Shipment, Ticket

from .conftest import NOW


def _states(engine: Engine, rule: str) -> dict[int, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(Alert.customer_id, Alert.state).where(Alert.rule == rule)).all())


def test_complaints_stay_open_while_the_ticket_is_open(engine: Engine, owners: list[str], policies: Policies) -> None:
    load(engine, DemoGenerator(1500, seed=5, now=NOW, owners=owners))
    evaluate(engine, policies, NOW, rules=["complaint", "high-value-complaint"])
    first = _states(engine, "complaint")
    assert first and set(first.values()) == {OPEN}
    # Two days on, every complaint ticket is out of the 24 h window; the tickets are still open.
    two_days = NOW + dt.timedelta(days=2)
    report = evaluate(engine, policies, two_days, rules=["complaint", "high-value-complaint"])
    assert sum(r.resolved for r in report.rules) == 0
    assert set(_states(engine, "complaint").values()) == {OPEN}
    # One customer's complaint ticket is solved: that alert, and only that one, resolves.
    solved = sorted(first)[0]
    with engine.begin() as conn:
        conn.execute(
            update(Ticket)
            .where(Ticket.customer_id == solved, Ticket.category == "complaint")
            .values(status="solved", resolved_at=two_days)
        )
    evaluate(engine, policies, two_days + dt.timedelta(minutes=5), rules=["complaint"])
    after = _states(engine, "complaint")
    assert after[solved] == RESOLVED and {s for c, s in after.items() if c != solved} == {OPEN}


def test_a_late_shipment_stays_open_until_delivered(engine: Engine, owners: list[str], policies: Policies) -> None:
    load(engine, DemoGenerator(1500, seed=5, now=NOW, owners=owners))
    evaluate(engine, policies, NOW, rules=["shipment-delay"])
    first = _states(engine, "shipment-delay")
    assert first
    # Past the 30-day window of the rule, undelivered: still open.
    later = NOW + dt.timedelta(days=45)
    evaluate(engine, policies, later, rules=["shipment-delay"])
    assert set(_states(engine, "shipment-delay").values()) == {OPEN}
    with engine.begin() as conn:
        conn.execute(
            update(Shipment)
            .where(Shipment.customer_id.in_(list(first)), Shipment.delivered_at.is_(None))
            .values(status="delivered", delivered_at=later)
        )
    evaluate(engine, policies, later + dt.timedelta(minutes=5), rules=["shipment-delay"])
    assert set(_states(engine, "shipment-delay").values()) == {RESOLVED}
