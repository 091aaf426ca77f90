"""Build what an outbox row says, from the database at send time (so a re-send says the same thing)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from bot.alerts.models import Alert, AlertNotification, AlertOutbox
from bot.alerts.views import (
    SEVERITY_ORDER,
    AlertCard,
    AlertMessage,
    CapNotice,
    DigestGroup,
    DigestMessage,
    marker,
)
from bot.notify import Outbound
from bot.store.models import Customer, Ticket

_OPEN_TICKETS = ("open", "pending")


def cards(conn: Connection, alert_ids: Sequence[int]) -> list[AlertCard]:
    """Cards for ``alert_ids`` (in the given order), with the customer essentials and consent."""
    if not alert_ids:
        return []
    a, c, t = Alert.__table__.c, Customer.__table__.c, Ticket.__table__.c
    tickets = select(func.count()).where(t.customer_id == c.id, t.status.in_(_OPEN_TICKETS)).scalar_subquery()
    rows = conn.execute(
        select(
            a.id,
            a.rule,
            a.kind,
            a.severity,
            a.urgent,
            a.state,
            a.evidence,
            a.created_at,
            a.assignee,
            a.acked_by,
            a.snoozed_until,
            c.id.label("cid"),
            c.name,
            c.tier,
            c.region,
            c.owner_slack_id,
            c.renewal_date,
            c.consent_outreach,
            c.comm_preferences,
            tickets.label("open_tickets"),
        )
        .join(Customer.__table__, c.id == a.customer_id)
        .where(a.id.in_(list(alert_ids)))
    ).all()
    by_id = {r.id: _card(r) for r in rows}
    return [by_id[i] for i in alert_ids if i in by_id]


def _card(r: Any) -> AlertCard:
    prefs = r.comm_preferences if isinstance(r.comm_preferences, dict) else {}
    return AlertCard(
        alert_id=r.id,
        rule=r.rule,
        kind=r.kind,
        severity=r.severity,
        urgent=bool(r.urgent),
        state=r.state,
        why=str((r.evidence or {}).get("summary", r.kind)),
        customer_id=r.cid,
        customer=r.name,
        tier=r.tier,
        region=r.region,
        owner=r.owner_slack_id,
        renewal_date=r.renewal_date,
        open_tickets=int(r.open_tickets or 0),
        created_at=r.created_at,
        assignee=r.assignee,
        acked_by=r.acked_by,
        snoozed_until=r.snoozed_until,
        outreach_allowed=bool(r.consent_outreach),
        preferred_channel=prefs.get("channel") if isinstance(prefs.get("channel"), str) else None,
    )


def digest_groups(items: Sequence[AlertCard]) -> tuple[DigestGroup, ...]:
    """Group by customer; customers ordered by their most severe alert, alerts by severity within."""
    groups: dict[int, list[AlertCard]] = {}
    for card in items:
        groups.setdefault(card.customer_id, []).append(card)
    ordered = sorted(
        groups.values(),
        key=lambda g: (min(SEVERITY_ORDER.get(x.severity, 9) for x in g), g[0].customer, g[0].customer_id),
    )
    return tuple(
        DigestGroup(
            g[0].customer_id,
            g[0].customer,
            g[0].tier,
            tuple(sorted(g, key=lambda x: (SEVERITY_ORDER.get(x.severity, 9), x.alert_id))),
        )
        for g in ordered
    )


def outbound(conn: Connection, row: Any) -> Outbound:
    """The message for one outbox row (kind alert | escalation | reminder | digest | notice)."""
    mark = marker(row.id)
    if row.kind in ("alert", "escalation", "reminder"):
        (card,) = cards(conn, [row.alert_id])
        prefix = {"escalation": "Unacknowledged urgent alert", "reminder": "Snoozed alert is back"}.get(row.kind)
        text = f"[{card.severity}] {card.customer}: {card.why}"
        return Outbound(row.recipient, f"{prefix}: {text}" if prefix else text, AlertMessage(card, row.kind, mark))
    if row.kind == "digest":
        n = AlertNotification.__table__.c
        ids = list(conn.scalars(select(n.alert_id).where(n.outbox_id == row.id).order_by(n.alert_id)))
        body = row.body or {}
        view = DigestMessage(
            recipient=row.recipient,
            part=int(body.get("part", 1)),
            parts=int(body.get("parts", 1)),
            total=int(body.get("total", len(ids))),
            groups=digest_groups(cards(conn, ids)),
            marker=mark,
        )
        text = f"Alert digest: {len(ids)} alert(s)" + (f" (part {view.part} of {view.parts})" if view.parts > 1 else "")
        return Outbound(row.recipient, text, view)
    if row.kind == "notice":
        body = row.body or {}
        notice = CapNotice(
            rule=str(body.get("rule")),
            candidates=int(body.get("candidates", 0)),
            alerted=int(body.get("alerted", 0)),
            capped=int(body.get("capped", 0)),
            marker=mark,
        )
        text = (
            f"Alert rule {notice.rule} matched {notice.candidates} new customers; "
            f"{notice.capped} were not alerted (cap). Check the rule."
        )
        return Outbound(row.recipient, text, notice)
    raise ValueError(f"unknown outbox kind {row.kind!r}")


def outbox_row(conn: Connection, outbox_id: int) -> Any:
    return conn.execute(select(AlertOutbox.__table__).where(AlertOutbox.__table__.c.id == outbox_id)).one()
