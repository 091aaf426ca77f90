"""Every compiled rule finds exactly the customers a plain-Python reading of the generated rows finds."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine, insert

from bot.alerts.rules import EvalContext, compile_rule, customer_timezones
from bot.demo.generator import DemoGenerator, load
from bot.policies import Policies
from bot.store.models import Ticket

from .conftest import N_CUSTOMERS, NOW, Expect


@pytest.fixture
def book(engine: Engine, owners: list[str], rows: dict[str, list[dict[str, Any]]]) -> Engine:
    load(engine, DemoGenerator(N_CUSTOMERS, seed=7, now=NOW, owners=owners))
    with engine.begin() as conn:
        conn.execute(insert(Ticket), rows["extra_tickets"])
    return engine


def test_every_rule_matches_the_planted_customers(book: Engine, policies: Policies, expected: Expect) -> None:
    with book.connect() as conn:
        ctx = EvalContext(NOW, policies, customer_timezones(conn))
        for rule in policies.alerts.rules:
            got = {r.customer_id for r in conn.execute(compile_rule(rule, ctx))}
            want = expected(rule)
            assert got == want, (rule.name, sorted(got - want)[:5], sorted(want - got)[:5])
    # The seeded book exercises every kind (a rule that never fires would pass vacuously).
    empty = [r.name for r in policies.alerts.rules if not expected(r)]
    assert not empty, f"no planted situation for {empty}"


def test_evidence_columns_are_filled(book: Engine, policies: Policies) -> None:
    with book.connect() as conn:
        ctx = EvalContext(NOW, policies, customer_timezones(conn))
        rows: dict[str, Any] = {
            r.name: conn.execute(compile_rule(r, ctx).limit(1)).first() for r in policies.alerts.rules
        }
    assert rows["high-value-complaint"].e1 >= 1
    assert rows["usage-drop"].e1 < rows["usage-drop"].e2
    assert dt.date.fromisoformat(rows["renewal-at-risk"].e3[:10]) >= NOW.date()
