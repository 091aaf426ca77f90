"""Evaluation -> dedupe -> cap -> routing -> outbox, on both backends."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select, update

from bot.alerts.evaluate import evaluate
from bot.alerts.models import RESOLVED, Alert, AlertNotification, AlertOutbox, AlertRun
from bot.demo.generator import DemoGenerator, load
from bot.policies import Policies
from bot.store.models import AuditEvent, Customer, Ticket

from .conftest import N_CUSTOMERS, NOW, Expect


@pytest.fixture
def book(engine: Engine, owners: list[str], rows: dict[str, list[dict[str, Any]]]) -> Engine:
    load(engine, DemoGenerator(N_CUSTOMERS, seed=7, now=NOW, owners=owners))
    with engine.begin() as conn:
        conn.execute(insert(Ticket), rows["extra_tickets"])
    return engine


def _count(engine: Engine, table: Any, *where: Any) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table).where(*where)) or 0)


def test_run_creates_each_expected_alert_once_and_reruns_send_nothing(
    book: Engine, policies: Policies, expected: Expect
) -> None:
    report = evaluate(book, policies, NOW)
    assert all(r.error is None for r in report.rules), [r.error for r in report.rules]
    with book.connect() as conn:
        for rule in policies.alerts.rules:
            got = set(conn.scalars(select(Alert.customer_id).where(Alert.rule == rule.name)))
            assert got == expected(rule), rule.name  # the default cap (500) is above every planted count
    outbox = _count(book, AlertOutbox)
    notes = _count(book, AlertNotification)
    assert outbox > 0 and notes >= report.created

    # Same data, evaluated again (a second scheduler tick): everything is refreshed, nothing re-sent.
    again = evaluate(book, policies, NOW)
    assert again.created == 0
    assert sum(r.refreshed for r in again.rules) == report.created
    assert _count(book, AlertOutbox) == outbox and _count(book, AlertNotification) == notes
    assert _count(book, AuditEvent, AuditEvent.action == "alerts.evaluated") >= 1


def test_urgent_go_out_now_digest_items_wait_and_opt_outs_still_alert_staff(book: Engine, policies: Policies) -> None:
    evaluate(book, policies, NOW)
    with book.connect() as conn:
        urgent_modes = set(
            conn.scalars(
                select(AlertNotification.mode)
                .join(Alert)
                .where(Alert.urgent.is_(True), AlertNotification.reason == "urgent")
            )
        )
        digest = conn.execute(
            select(AlertNotification.due_at, AlertNotification.outbox_id).join(Alert).where(Alert.urgent.is_(False))
        ).all()
        opted_out = conn.scalar(
            select(func.count()).select_from(Alert).join(Customer).where(Customer.consent_outreach.is_(False))
        )
    assert urgent_modes == {"immediate"}
    assert digest and all(outbox is None and due > NOW for due, outbox in digest)
    assert opted_out and opted_out > 0  # internal alerts about opted-out customers are still raised


def test_condition_clearing_resolves_and_cooldown_blocks_reopening(book: Engine, policies: Policies) -> None:
    evaluate(book, policies, NOW, rules=["sla-breach"])
    with book.connect() as conn:
        cid = conn.scalar(select(Alert.customer_id).where(Alert.rule == "sla-breach").limit(1))
    with book.begin() as conn:  # the ticket gets answered and resolved
        conn.execute(
            update(Ticket)
            .where(Ticket.customer_id == cid, Ticket.status == "open")
            .values(status="solved", first_response_at=NOW, resolved_at=NOW)
        )
    evaluate(book, policies, NOW + dt.timedelta(minutes=15), rules=["sla-breach"])
    with book.connect() as conn:
        state = conn.scalar(select(Alert.state).where(Alert.rule == "sla-breach", Alert.customer_id == cid))
    assert state == RESOLVED
    with book.begin() as conn:  # breaches again within the 1 d cooldown: no second alert
        conn.execute(
            update(Ticket)
            .where(Ticket.customer_id == cid, Ticket.status == "solved")
            .values(status="open", first_response_at=None, resolved_at=None)
        )
    evaluate(book, policies, NOW + dt.timedelta(hours=2), rules=["sla-breach"])
    assert _count(book, Alert, Alert.rule == "sla-breach", Alert.customer_id == cid) == 1
    evaluate(book, policies, NOW + dt.timedelta(days=2), rules=["sla-breach"])  # after the cooldown: a new one
    assert _count(book, Alert, Alert.rule == "sla-breach", Alert.customer_id == cid) == 2


def test_a_rule_matching_more_than_the_cap_is_capped_and_reported(book: Engine, policies: Policies) -> None:
    defaults = policies.alerts.defaults.model_copy(update={"max_matches_per_rule": 10})
    small = dataclasses.replace(policies, alerts=policies.alerts.model_copy(update={"defaults": defaults}))
    report = evaluate(book, small, NOW, rules=["complaint"])
    (rep,) = report.rules
    assert rep.candidates > 10 and rep.created == 10 and rep.capped == rep.candidates - 10
    with book.connect() as conn:
        # The cap keeps the highest-value customers.
        top = list(
            conn.scalars(
                select(Customer.id)
                .where(Customer.id.in_(select(Alert.customer_id)))
                .order_by(Customer.lifetime_value.desc())
            )
        )
        run = conn.execute(select(AlertRun.capped).where(AlertRun.rule == "complaint")).scalar_one()
    assert len(top) == 10 and run == rep.capped
    notices = _count(book, AlertOutbox, AlertOutbox.kind == "notice")
    assert notices == 1
    # The next run within 24 h creates nothing more and does not repeat the notice: capped, not spammed.
    later = evaluate(book, small, NOW + dt.timedelta(hours=1), rules=["complaint"])
    assert later.created == 0 and _count(book, AlertOutbox, AlertOutbox.kind == "notice") == 1


def test_dry_run_writes_nothing(book: Engine, policies: Policies) -> None:
    report = evaluate(book, policies, NOW, dry_run=True)
    assert report.created > 0 and report.rules[0].planned
    assert _count(book, Alert) == 0 and _count(book, AlertOutbox) == 0 and _count(book, AlertRun) == 0
