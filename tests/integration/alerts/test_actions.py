"""Ack / snooze / assign update every message in place; escalation counts from delivery; snoozes need a reason
and tell the manager above a severity; snoozes wake up; the open list counts and pages."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import Engine, func, select, update

from bot.alerts import actions
from bot.alerts.delivery import deliver_due
from bot.alerts.evaluate import evaluate
from bot.alerts.measures import measures
from bot.alerts.models import OPEN, Alert, AlertOutbox
from bot.demo.generator import DemoGenerator, load
from bot.notify import RecordingNotifier
from bot.policies import Policies
from bot.store.models import AuditEvent, Customer
from slackdouble import SlackDouble

from .conftest import NOW


def _urgent(engine: Engine) -> tuple[int, str]:
    with engine.connect() as conn:
        row = conn.execute(
            select(Alert.id, AlertOutbox.recipient)
            .join(AlertOutbox, AlertOutbox.alert_id == Alert.id)
            .where(Alert.rule == "sla-breach", AlertOutbox.recipient.like("C%"))
            .limit(1)
        ).one()
    return int(row.id), str(row.recipient)


def test_ack_updates_the_message_in_place_once(
    small_book: Engine,
    double: SlackDouble,
    slack: tuple,
    policies: Policies,
) -> None:
    notifier, lookup = slack
    deliver_due(small_book, notifier, lookup)
    alert_id, channel = _urgent(small_book)
    first = actions.ack(small_book, policies, "U0SUPLEAD", alert_id, NOW + dt.timedelta(minutes=5))
    again = actions.ack(small_book, policies, "U0SUPAGT1", alert_id, NOW + dt.timedelta(minutes=6))
    assert first.ok and not again.ok and first.card is not None and first.card.acked_by == "U0SUPLEAD"
    assert actions.refresh_messages(small_book, notifier, alert_id) >= 1
    updated = [m for m in double.messages(channel) if f"alert-{alert_id}" in str(m.get("blocks"))]
    assert updated and all(
        "Acknowledged by" in str(m["blocks"]) and "alert_ack" not in str(m["blocks"]) for m in updated
    )
    assert not actions.ack(small_book, policies, "U0NOTSTAFF", alert_id, NOW).ok  # not on the roster


def _escalatable(engine: Engine, policies: Policies, at: dt.datetime) -> set[int]:
    """Alerts the handbook says must escalate at ``at``: open, unescalated, and delivered (or due, if never
    delivered) at least the rule's timeout before ``at``. Computed here from the columns, independently."""
    out: set[int] = set()
    with engine.connect() as conn:
        rows = conn.execute(
            select(Alert.id, Alert.rule, Alert.delivered_at, Alert.notify_due_at).where(
                Alert.state == OPEN, Alert.escalated_at.is_(None)
            )
        ).all()
    for r in rows:
        after = policies.alerts.escalation_after(policies.alert_rule(r.rule))
        start = r.delivered_at or r.notify_due_at
        if after is not None and start is not None and start + after <= at:
            out.add(int(r.id))
    return out


def test_escalation_counts_from_delivery_not_creation(small_book: Engine, policies: Policies) -> None:
    notifier = RecordingNotifier()
    delivered_at = NOW + dt.timedelta(minutes=90)  # the urgent messages reach people 1.5 h after creation
    deliver_due(small_book, notifier, clock=lambda: delivered_at)
    with small_book.connect() as conn:
        delivered = set(conn.scalars(select(Alert.id).where(Alert.delivered_at == delivered_at)))
    assert delivered
    # 2 h after creation, 30 min after delivery: nothing delivered may escalate yet.
    two_hours = NOW + dt.timedelta(hours=2)
    assert _escalatable(small_book, policies, two_hours) & delivered == set()
    assert actions.escalate_unacked(small_book, policies, two_hours) == len(
        _escalatable(small_book, policies, two_hours)
    )
    later = delivered_at + dt.timedelta(hours=2)
    due = _escalatable(small_book, policies, later)
    assert due & delivered
    n = actions.escalate_unacked(small_book, policies, later)
    assert n == len(due) and actions.escalate_unacked(small_book, policies, later) == 0
    with small_book.connect() as conn:
        escalated = set(conn.scalars(select(Alert.id).where(Alert.escalated_at == later)))
        posted = conn.scalar(select(func.count()).where(AlertOutbox.kind == "escalation")) or 0
    assert escalated == due and posted >= n


def test_digest_rules_with_an_escalation_channel_escalate_on_their_own_timeout(
    sqlite_engine: Engine, owners: list[str], policies: Policies
) -> None:
    load(sqlite_engine, DemoGenerator(800, seed=11, now=NOW, owners=owners))
    with sqlite_engine.begin() as conn:  # plant renewals at risk on a few gold and platinum accounts
        ids = conn.scalars(select(Customer.id).where(Customer.tier.in_(("gold", "platinum"))).limit(5)).all()
        conn.execute(
            update(Customer)
            .where(Customer.id.in_(ids))
            .values(renewal_date=NOW.date() + dt.timedelta(days=20), health_score=40)
        )
    evaluate(sqlite_engine, policies, NOW)
    small_book = sqlite_engine
    rule = policies.alert_rule("renewal-at-risk")
    assert not rule.urgent and rule.recipients.escalation_channel == "C0CSLEADS"
    after = policies.alerts.escalation_after(rule)
    assert after == dt.timedelta(days=1)
    with small_book.connect() as conn:
        first, last = conn.execute(
            select(func.min(Alert.notify_due_at), func.max(Alert.notify_due_at)).where(Alert.rule == rule.name)
        ).one()
    assert first is not None and last is not None  # due in a digest, or at once with an urgent roll-up

    def escalated() -> int:
        with small_book.connect() as conn:
            return int(
                conn.scalar(select(func.count()).where(Alert.rule == rule.name, Alert.escalated_at.is_not(None))) or 0
            )

    actions.escalate_unacked(small_book, policies, first + after - dt.timedelta(minutes=1))
    assert escalated() == 0  # not before its own timeout
    actions.escalate_unacked(small_book, policies, last + after)
    with small_book.connect() as conn:
        open_ = conn.scalar(select(func.count()).where(Alert.rule == rule.name, Alert.state == OPEN))
        posted = conn.scalar(
            select(func.count()).where(AlertOutbox.kind == "escalation", AlertOutbox.recipient == "C0CSLEADS")
        )
    assert open_ and escalated() == open_ == posted


def test_snooze_needs_a_reason_and_tells_the_manager_above_the_severity(small_book: Engine, policies: Policies) -> None:
    # This book has no critical alert: tell managers from "high" up (the setting is the policy's to choose).
    snooze = policies.alerts.snooze.model_copy(update={"notify_manager_from": "high"})
    strict = dataclasses.replace(policies, alerts=policies.alerts.model_copy(update={"snooze": snooze}))
    with small_book.connect() as conn:
        medium = conn.scalar(select(Alert.id).where(Alert.severity == "medium", Alert.state == OPEN).limit(1))
        high = conn.scalar(select(Alert.id).where(Alert.severity == "high", Alert.state == OPEN).limit(1))
    assert medium is not None and high is not None
    refused = actions.snooze(small_book, strict, "U0AMGOLD", medium, NOW, dt.timedelta(days=1))
    assert not refused.ok and "reason" in refused.message
    done = actions.snooze(small_book, strict, "U0AMGOLD", medium, NOW, dt.timedelta(days=1), "waiting on  vendor")
    assert done.ok and done.card is not None and done.card.snooze_reason == "waiting on vendor"
    with small_book.connect() as conn:
        assert conn.scalar(select(func.count()).where(AlertOutbox.kind == "snoozed")) == 0  # below: nobody told
    snoozed = actions.snooze(
        small_book, strict, "U0AMGOLD", high, NOW, dt.timedelta(days=7), "customer on holiday until the 3rd"
    )
    assert snoozed.ok and "U0CSLEAD" in snoozed.message  # account managers' manager in alerts.yaml
    with small_book.connect() as conn:
        notice = conn.execute(select(AlertOutbox.__table__).where(AlertOutbox.kind == "snoozed")).one()
        audit = conn.scalar(
            select(AuditEvent.details).where(AuditEvent.action == "alerts.snoozed", AuditEvent.subject_id == str(high))
        )
    assert notice.recipient == "U0CSLEAD" and notice.alert_id == high
    assert notice.body["reason"] == "customer on holiday until the 3rd" and notice.body["by"] == "U0AMGOLD"
    assert (
        audit is not None
        and audit["reason"] == "customer on holiday until the 3rd"
        and audit["manager_told"] == "U0CSLEAD"
    )
    notifier = RecordingNotifier()
    deliver_due(small_book, notifier, clock=lambda: NOW + dt.timedelta(minutes=1))
    (sent,) = [m for _, m in notifier.sent if type(m.view).__name__ == "SnoozeNotice"]
    assert sent.channel == "U0CSLEAD" and "snoozed" in sent.text
    assert actions.manager_of(policies, "U0CSLEAD") == "U0VPCX"  # never the snoozer themself


def test_snooze_assign_wake_and_measures(small_book: Engine, policies: Policies) -> None:
    alert_id, _ = _urgent(small_book)
    assert actions.assign(small_book, policies, "U0SUPLEAD", alert_id, "U0SUPAGT2", NOW).ok
    assert not actions.assign(small_book, policies, "U0SUPLEAD", alert_id, "U0NOBODY", NOW).ok
    assert actions.snooze(small_book, policies, "U0SUPAGT2", alert_id, NOW, dt.timedelta(days=1), "after the fix").ok
    assert actions.wake_snoozed(small_book, policies, NOW + dt.timedelta(hours=23)) == 0
    assert actions.wake_snoozed(small_book, policies, NOW + dt.timedelta(days=1, minutes=1)) == 1
    with small_book.connect() as conn:
        reminder = conn.execute(select(AlertOutbox.recipient).where(AlertOutbox.kind == "reminder")).scalars().all()
    assert reminder == ["U0SUPAGT2"]
    assert actions.open_alerts(small_book, "U0SUPAGT2").cards[0].alert_id == alert_id
    actions.ack(small_book, policies, "U0SUPAGT2", alert_id, NOW + dt.timedelta(days=1, hours=1))
    rows = {(m.rule, m.tier): m for m in measures(small_book, NOW - dt.timedelta(hours=1), NOW + dt.timedelta(hours=1))}
    acked = [m for m in rows.values() if m.acked]
    assert len(acked) == 1 and acked[0].median_minutes_to_ack == 25 * 60 and 0 < acked[0].ack_rate <= 1


def test_open_alerts_count_everything_and_page(small_book: Engine, policies: Policies) -> None:
    with small_book.connect() as conn:
        busiest, total = conn.execute(
            select(Alert.recipient, func.count())
            .where(Alert.state == OPEN, Alert.recipient.like("U%"))
            .group_by(Alert.recipient)
            .order_by(func.count().desc())
            .limit(1)
        ).one()
    owner = str(busiest)
    assert total > 25
    first = actions.open_alerts(small_book, owner, per_page=10, policies=policies)
    assert first.total == total and first.pages == -(-total // 10) and len(first.cards) == 10
    seen = [c.alert_id for p in range(1, first.pages + 1) for c in actions.open_alerts(small_book, owner, p).cards]
    assert len(seen) == len(set(seen)) == total  # every open alert once, across the pages
    priorities = [c.priority for c in first.cards]
    assert priorities == sorted(priorities, reverse=True)
    assert first.cards[0].arr is not None  # an account manager sees ARR; without policies nothing sensitive
    assert actions.open_alerts(small_book, owner).cards[0].arr is None
    assert actions.open_alerts(small_book, owner, page=999).page == first.pages


def test_ack_many_acknowledges_each_open_alert_once(small_book: Engine, policies: Policies) -> None:
    with small_book.connect() as conn:
        ids = list(conn.scalars(select(Alert.id).where(Alert.state == OPEN).order_by(Alert.id).limit(4)))
    assert actions.ack(small_book, policies, "U0AMGOLD", ids[0], NOW).ok
    result = actions.ack_many(small_book, policies, "U0AMPLAT", ids, NOW)
    assert result.ok and result.alert_ids == tuple(ids[1:]) and "1 were already handled" in result.message
    assert not actions.ack_many(small_book, policies, "U0AMGOLD", ids, NOW).ok
    assert not actions.ack_many(small_book, policies, "U0NOTSTAFF", ids, NOW).ok
    with small_book.connect() as conn:
        by = dict(conn.execute(select(Alert.id, Alert.acked_by).where(Alert.id.in_(ids))).all())
        events = conn.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "alerts.acknowledged")
        )
    assert by == {ids[0]: "U0AMGOLD", **{i: "U0AMPLAT" for i in ids[1:]}} and events == 4
