"""Evaluation -> dedupe -> cap -> priority and roll-up routing -> outbox, on both backends."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update

from bot.alerts.evaluate import evaluate
from bot.alerts.models import RESOLVED, Alert, AlertNotification, AlertOutbox, AlertRun
from bot.alerts.rules import EvalContext, compile_rule, customer_timezones
from bot.policies import Policies
from bot.store.models import AuditEvent, Customer, Ticket

from .conftest import NOW, Expect


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


def test_value_decides_what_interrupts_and_opt_outs_still_alert_staff(book: Engine, policies: Policies) -> None:
    evaluate(book, policies, NOW)
    ranking = policies.alerts.ranking
    with book.connect() as conn:
        rows = conn.execute(
            select(
                Alert.id,
                Alert.customer_id,
                Alert.tier,
                Alert.urgent,
                Alert.priority,
                Alert.band,
                Alert.recipient,
                AlertNotification.recipient.label("to"),
                AlertNotification.mode,
                AlertNotification.reason,
                AlertNotification.due_at,
                AlertNotification.outbox_id,
            ).join(AlertNotification, AlertNotification.alert_id == Alert.id)
        ).all()
        opted_out = conn.scalar(
            select(func.count()).select_from(Alert).join(Customer).where(Customer.consent_outreach.is_(False))
        )
    assert rows
    interrupting = {(r.to, r.customer_id) for r in rows if r.urgent and r.mode == "immediate"}
    for r in rows:
        assert r.band == ranking.band(r.priority).name
        if r.mode == "immediate":
            assert r.outbox_id is not None
        else:
            assert r.outbox_id is None and r.due_at > NOW
        if not r.urgent and r.mode == "immediate":  # only riding along in an urgent roll-up of its customer
            assert (r.to, r.customer_id) in interrupting
    # Urgent platinum and gold alerts are never deferred to a digest.
    top = [r for r in rows if r.urgent and r.tier in ranking.never_defer_tiers]
    assert top and all(r.mode == "immediate" for r in top)
    # Bronze urgent alerts score below every interrupting band here: their owners hear of them in the digest.
    bronze = [r for r in rows if r.urgent and r.tier == "bronze" and r.to == r.recipient]
    assert bronze and all(r.mode == "digest" and r.reason == "band" for r in bronze)
    assert opted_out and opted_out > 0  # internal alerts about opted-out customers are still raised


def test_day_one_caps_roll_ups_and_recipients(book: Engine, policies: Policies) -> None:
    evaluate(book, policies, NOW)
    cap = policies.alerts.ranking.bands[0].interrupt_cap
    with book.connect() as conn:
        per_recipient = dict(
            conn.execute(
                select(AlertOutbox.recipient, func.count())
                .where(AlertOutbox.kind == "alert")
                .group_by(AlertOutbox.recipient)
            )
            .tuples()
            .all()
        )
        nobody = conn.scalar(select(func.count()).where(Alert.recipient.is_(None)))
        orphans = conn.execute(
            select(Alert.recipient, Customer.tier).join(Customer).where(Customer.owner_slack_id.is_(None))
        ).all()
        # One message per recipient and customer: a roll-up carries all of that customer's new alerts.
        rollups = conn.execute(
            select(AlertOutbox.id, AlertOutbox.recipient, func.count(func.distinct(Alert.customer_id)), func.count())
            .join(AlertNotification, AlertNotification.outbox_id == AlertOutbox.id)
            .join(Alert, Alert.id == AlertNotification.alert_id)
            .where(AlertOutbox.kind == "alert")
            .group_by(AlertOutbox.id, AlertOutbox.recipient)
        ).all()
    assert per_recipient and max(per_recipient.values()) <= cap
    assert nobody == 0
    assert orphans and {r for r, _ in orphans} <= {s.id for s in policies.roles.staff}  # on duty, by tier
    for recipient, tier in orphans:
        duty = policies.roles.on_duty[tier]
        assert recipient == duty or recipient in policies.members(duty)
    assert all(customers == 1 for _, _, customers, _ in rollups)
    assert any(alerts > 1 for *_, alerts in rollups)


def test_dry_run_decides_exactly_what_the_real_run_does(book: Engine, policies: Policies) -> None:
    def decisions(report: Any) -> list[tuple[Any, ...]]:
        return sorted(
            (p.rule, p.customer_id, p.band, round(p.priority, 6), p.why, p.together_with, tuple(p.routes))
            for p in report.planned
        )

    dry = evaluate(book, policies, NOW, dry_run=True)
    assert _count(book, Alert) == 0 and _count(book, AlertOutbox) == 0
    real = evaluate(book, policies, NOW)
    assert dry.created == real.created > 0 and dry.routed == real.routed
    assert decisions(dry) == decisions(real)
    # A second pair an hour later (alerts open, interruptions already spent): still identical.
    later = NOW + dt.timedelta(hours=1)
    assert decisions(evaluate(book, policies, later, dry_run=True)) == decisions(evaluate(book, policies, later))


def test_alerts_a_dead_run_left_unrouted_are_routed_by_the_next(
    book: Engine, policies: Policies, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.alerts import evaluate as module

    def die(*_: Any, **__: Any) -> None:
        raise RuntimeError("killed between the rules and the routing")

    monkeypatch.setattr(module, "plan", die)
    report = evaluate(book, policies, NOW, rules=["sla-breach"])
    assert report.created > 0 and report.routing_error
    assert _count(book, Alert, Alert.routed_at.is_(None)) == report.created and _count(book, AlertNotification) == 0
    monkeypatch.undo()
    again = evaluate(book, policies, NOW, rules=["sla-breach"])
    assert again.created == 0 and again.routed == report.created
    assert _count(book, Alert, Alert.routed_at.is_(None)) == 0
    assert _count(book, AlertNotification) >= report.created


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
    rule, ranking = policies.alert_rule("complaint"), policies.alerts.ranking
    with book.connect() as conn:
        # The cap keeps the highest priority (severity x tier x ARR): no capped match outranks a kept one.
        kept = conn.execute(select(Customer.tier, Customer.arr).join(Alert, Alert.customer_id == Customer.id)).all()
        ctx = EvalContext(NOW, policies, customer_timezones(conn))
        matched = set(conn.scalars(compile_rule(rule, ctx)))
        everyone = conn.execute(select(Customer.id, Customer.tier, Customer.arr).where(Customer.id.in_(matched))).all()
        run = conn.execute(select(AlertRun.capped).where(AlertRun.rule == "complaint")).scalar_one()
    kept_scores = sorted(ranking.score(rule.severity, t, float(a)) for t, a in kept)
    all_scores = sorted((ranking.score(rule.severity, t, float(a)) for _, t, a in everyone), reverse=True)
    assert len(kept) == 10 and kept_scores[0] >= all_scores[9] - 1e-9 and run == rep.capped
    notices = _count(book, AlertOutbox, AlertOutbox.kind == "notice")
    assert notices == 1
    # The next run within 24 h creates nothing more and does not repeat the notice: capped, not spammed.
    later = evaluate(book, small, NOW + dt.timedelta(hours=1), rules=["complaint"])
    assert later.created == 0 and _count(book, AlertOutbox, AlertOutbox.kind == "notice") == 1


def test_dry_run_writes_nothing(book: Engine, policies: Policies) -> None:
    report = evaluate(book, policies, NOW, dry_run=True)
    assert report.created > 0 and report.rules[0].planned
    assert _count(book, Alert) == 0 and _count(book, AlertOutbox) == 0 and _count(book, AlertRun) == 0
