"""Every compiled rule finds exactly the customers a plain-Python reading of the generated rows finds."""

from __future__ import annotations

from sqlalchemy import Engine, select

from bot.alerts.evidence import Evidence, describe, measure
from bot.alerts.rules import EvalContext, compile_rule, customer_timezones, segment_filter
from bot.policies import Policies
from bot.store.models import Customer

from .conftest import NOW, Expect


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


def test_each_rule_fires_exactly_when_every_condition_of_its_evidence_is_met(book: Engine, policies: Policies) -> None:
    """The evidence an owner and `alerts explain` see is measured apart from the compiled SQL: across the whole
    book, a customer in the rule's segment matches exactly when every condition the evidence lists is met."""
    c = Customer.__table__.c
    with book.connect() as conn:
        ctx = EvalContext(NOW, policies, customer_timezones(conn))
        for rule in policies.alerts.rules:
            got = {r.customer_id for r in conn.execute(compile_rule(rule, ctx))}
            segment = list(conn.scalars(select(c.id).where(*segment_filter(rule.segment))))
            evidence = measure(conn, rule, ctx, segment)
            fires = {cid for cid, ev in evidence.items() if ev.fires}
            assert fires == got, (rule.name, sorted(fires - got)[:5], sorted(got - fires)[:5])
            assert all(ev.conditions for ev in evidence.values()), rule.name


def test_evidence_carries_the_numbers(book: Engine, policies: Policies) -> None:
    with book.connect() as conn:
        ctx = EvalContext(NOW, policies, customer_timezones(conn))

        def first(name: str) -> Evidence:
            rule = policies.alert_rule(name)
            cid = conn.scalar(compile_rule(rule, ctx).limit(1))
            return measure(conn, rule, ctx, [cid])[cid]

        quiet, overdue, drop = first("high-value-gone-quiet"), first("payment-overdue"), first("usage-drop")
        renewal, health = first("renewal-at-risk"), first("health-drop")
    assert float(quiet.value("days_silent") or 0) >= 21 and float(quiet.value("arr") or 0) > 0
    assert float(overdue.value("amount_overdue") or 0) >= 5000 and float(overdue.value("days_overdue") or 0) > 30
    assert overdue.value_at_risk == overdue.value("amount_overdue")
    assert float(drop.value("change") or 0) < -40 and drop.value("window") == "7 days"
    assert 0 <= float(renewal.value("days_to_renewal") or -1) <= 90 and float(renewal.value("health") or 99) <= 60
    assert float(health.value("drop") or 0) >= 15 and any(f.key.startswith("component_") for f in health.facts)
    line = describe(overdue)
    assert "$" in line and "days overdue" in line and "≥ $5,000" in line
    assert "(restricted)" in describe(overdue, frozenset({"payment_status"}))
