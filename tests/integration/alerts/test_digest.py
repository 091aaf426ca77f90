"""Digests: one message per recipient, at most the handbook's cap of customers, highest value first, the rest
summarised; "Ack all" acknowledges what the message shows; showing an alert in a digest is its delivery."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, func, select

from bot.alerts import actions
from bot.alerts.compose import outbound, outbox_row
from bot.alerts.delivery import deliver_due
from bot.alerts.digest import SUMMARISED, build_digests
from bot.alerts.models import OPEN, Alert, AlertNotification, AlertOutbox
from bot.alerts.views import DigestMessage
from bot.notify import RecordingNotifier
from bot.policies import Policies

from .conftest import NOW

MORNING = NOW + dt.timedelta(days=1, hours=3)  # past every recipient's 08:30


def test_each_digest_is_one_capped_message_with_a_summary(small_book: Engine, policies: Policies) -> None:
    cap = policies.alerts.digest_entries
    with small_book.connect() as conn:
        due = dict(
            conn.execute(
                select(AlertNotification.recipient, func.count(func.distinct(Alert.customer_id)))
                .join(Alert, Alert.id == AlertNotification.alert_id)
                .where(AlertNotification.mode == "digest", Alert.state == OPEN)
                .group_by(AlertNotification.recipient)
            )
            .tuples()
            .all()
        )
    assert max(due.values()) > cap  # someone has more customers waiting than a digest may show
    assert build_digests(small_book, MORNING, policies) == len(due)
    with small_book.connect() as conn:
        rows = [outbox_row(conn, i) for i in conn.scalars(select(AlertOutbox.id).where(AlertOutbox.kind == "digest"))]
        views = {row.recipient: outbound(conn, row) for row in rows}
        summarised = dict(
            conn.execute(
                select(AlertNotification.outbox_id, func.count())
                .where(AlertNotification.mode == SUMMARISED)
                .group_by(AlertNotification.outbox_id)
            )
            .tuples()
            .all()
        )
    assert set(views) == set(due)
    for recipient, message in views.items():
        view = message.view
        assert isinstance(view, DigestMessage)
        s = view.summary
        assert len(view.groups) == s.shown == min(cap, due[recipient]) and s.customers == due[recipient]
        assert s.more == s.customers - s.shown and (s.more == 0) == (view.digest_id not in summarised)
        priorities = [g.priority for g in view.groups]
        assert priorities == sorted(priorities, reverse=True)  # highest value at risk first
        for g in view.groups:
            assert [c.priority for c in g.alerts] == sorted((c.priority for c in g.alerts), reverse=True)
        if s.more:
            assert f"{s.more} more in /rapport alerts" in message.text
        if recipient == "U0AMPLAT":  # an account manager sees the at-risk ARR; the text says it
            assert s.at_risk_arr is not None and "ARR $" in message.text
        if recipient == "C0SVCALRT":  # read as service_manager, who sees ARR too
            assert s.at_risk_arr is not None


def test_ack_all_acknowledges_only_what_the_digest_shows(small_book: Engine, policies: Policies) -> None:
    build_digests(small_book, MORNING, policies)
    with small_book.connect() as conn:
        digest_id, recipient = conn.execute(
            select(AlertOutbox.id, AlertOutbox.recipient)
            .join(AlertNotification, AlertNotification.outbox_id == AlertOutbox.id)
            .where(AlertOutbox.kind == "digest", AlertNotification.mode == SUMMARISED)
            .limit(1)
        ).one()
        shown = set(
            conn.scalars(
                select(AlertNotification.alert_id).where(
                    AlertNotification.outbox_id == digest_id, AlertNotification.mode == "digest"
                )
            )
        )
        only_counted = set(
            conn.scalars(
                select(AlertNotification.alert_id).where(
                    AlertNotification.outbox_id == digest_id, AlertNotification.mode == SUMMARISED
                )
            )
        )
    result = actions.ack_all(small_book, policies, "U0CSLEAD", digest_id, MORNING)
    assert result.ok and set(result.alert_ids) == shown
    with small_book.connect() as conn:
        states = dict(conn.execute(select(Alert.id, Alert.state).where(Alert.id.in_(shown | only_counted))).all())
    assert {states[i] for i in shown} == {"acked"} and {states[i] for i in only_counted - shown} == {OPEN}
    assert recipient


def test_a_digest_delivers_what_it_shows_and_nothing_it_only_counts(small_book: Engine, policies: Policies) -> None:
    build_digests(small_book, MORNING, policies)
    deliver_due(small_book, RecordingNotifier(), clock=lambda: MORNING)
    with small_book.connect() as conn:
        rows = conn.execute(
            select(AlertNotification.mode, Alert.delivered_at, Alert.recipient, AlertNotification.recipient)
            .join(Alert, Alert.id == AlertNotification.alert_id)
            .join(AlertOutbox, AlertOutbox.id == AlertNotification.outbox_id)
            .where(AlertOutbox.kind == "digest", Alert.created_at == NOW)
        ).all()
    mine = [r for r in rows if r[2] == r[3]]  # the owner's own digest
    assert any(r[0] == "digest" for r in mine) and any(r[0] == SUMMARISED for r in mine)
    for mode, delivered, *_ in mine:
        if mode == "digest":
            assert delivered is not None and delivered <= MORNING
    counted_only = [r for r in mine if r[0] == SUMMARISED]
    assert any(r[1] is None for r in counted_only)  # not shown anywhere else: never delivered
