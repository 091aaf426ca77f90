"""Build what an outbox row says, from the database at send time (so a re-send says the same thing).

Every message is written for its reader: evidence values in sensitive fields (ARR, amounts, health,
sentiment) are shown only when the reader's roles may see them (``roles.yaml``); a channel reads as the role
``alerts.yaml`` names for it (``channel_roles``). What the reader may not see is decided when the outbox row
is written (``body["hidden"]``, see :func:`hidden_for`) and kept with it, so a re-send or an in-place update
shows the same; a row without it shows no sensitive value at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from bot.alerts.evidence import Evidence, describe, money, span
from bot.alerts.models import Alert, AlertNotification, AlertOutbox
from bot.alerts.views import (
    AlertCard,
    AlertMessage,
    CapNotice,
    DigestGroup,
    DigestMessage,
    DigestSummary,
    SnoozeNotice,
    marker,
)
from bot.notify import Outbound
from bot.policies import Policies
from bot.store.models import Customer, Ticket

_OPEN_TICKETS = ("open", "pending")
HIDE_ALL = frozenset({"*"})  # no policies at hand: hide every sensitive value


def hidden_for(policies: Policies | None, recipient: str | None) -> frozenset[str]:
    """Sensitive fields ``recipient`` (a user, or a channel read as its ``channel_roles`` role) may not see."""
    if policies is None or recipient is None:
        return HIDE_ALL
    sensitive = policies.sensitive_fields
    member = policies.staff(recipient)
    if member is not None:
        return frozenset(sensitive - policies.visible_fields(list(member.roles)))
    role = policies.alerts.channel_roles.get(recipient)
    return frozenset(sensitive - policies.visible_fields([role] if role else []))


def _hides(hidden: frozenset[str], field: str) -> bool:
    return "*" in hidden or field in hidden


def cards(conn: Connection, alert_ids: Sequence[int], hidden: frozenset[str] = HIDE_ALL) -> list[AlertCard]:
    """Cards for ``alert_ids`` (in the given order), with the customer essentials, consent and evidence."""
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
            a.priority,
            a.band,
            a.snooze_reason,
            a.recipient,
            c.id.label("cid"),
            c.name,
            c.tier,
            c.region,
            c.arr,
            c.owner_slack_id,
            c.renewal_date,
            c.consent_outreach,
            c.comm_preferences,
            tickets.label("open_tickets"),
        )
        .join(Customer.__table__, c.id == a.customer_id)
        .where(a.id.in_(list(alert_ids)))
    ).all()
    by_id = {r.id: _card(r, hidden) for r in rows}
    return [by_id[i] for i in alert_ids if i in by_id]


def _card(r: Any, hidden: frozenset[str]) -> AlertCard:
    prefs = r.comm_preferences if isinstance(r.comm_preferences, dict) else {}
    evidence = r.evidence if isinstance(r.evidence, dict) else {}
    ev = Evidence.from_json(evidence, r.kind)
    why = describe(ev, hidden) if ev.facts else str(evidence.get("summary", r.kind))
    return AlertCard(
        alert_id=r.id,
        rule=r.rule,
        kind=r.kind,
        severity=r.severity,
        urgent=bool(r.urgent),
        state=r.state,
        why=why,
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
        priority=float(r.priority or 0.0),
        band=str(r.band or ""),
        arr=None if _hides(hidden, "arr") or r.arr is None else float(r.arr),
        snooze_reason=r.snooze_reason,
        recipient=r.recipient,
    )


def ranked(items: Sequence[AlertCard]) -> list[AlertCard]:
    return sorted(items, key=lambda x: (-x.priority, x.alert_id))


def digest_groups(items: Sequence[AlertCard]) -> tuple[DigestGroup, ...]:
    """Group by customer; customers by their highest priority, each customer's signals by priority."""
    groups: dict[int, list[AlertCard]] = {}
    for card in items:
        groups.setdefault(card.customer_id, []).append(card)
    built = [
        DigestGroup(g[0].customer_id, g[0].customer, g[0].tier, tuple(ranked(g)), g[0].arr) for g in groups.values()
    ]
    return tuple(sorted(built, key=lambda g: (-g.priority, g.customer, g.customer_id)))


def _linked(conn: Connection, outbox_id: int, mode: str | None = None) -> list[int]:
    n = AlertNotification.__table__.c
    q = select(n.alert_id).where(n.outbox_id == outbox_id)
    if mode is not None:
        q = q.where(n.mode == mode)
    return list(dict.fromkeys(conn.scalars(q.order_by(n.alert_id))))


def _note(conn: Connection, row: Any, card: AlertCard) -> str:
    """Why an escalation is sent: delivered and not acknowledged for how long, or never delivered."""
    a = Alert.__table__.c
    found = conn.execute(select(a.delivered_at, a.notify_due_at).where(a.id == card.alert_id)).first()
    owner = card.recipient or "the owner"
    when = row.created_at
    if found is not None and found.delivered_at is not None:
        waited = span((when - found.delivered_at).total_seconds() / 3600)
        return f"Delivered to {owner} {waited} before this, not acknowledged."
    if found is not None and found.notify_due_at is not None:
        late = span(max(0.0, (when - found.notify_due_at).total_seconds() / 3600))
        return f"Not delivered to {owner}: due {late} before this."
    return ""


def reader_body(policies: Policies | None, recipient: str, **body: Any) -> dict[str, Any]:
    """An outbox body that remembers what ``recipient`` may not see."""
    return {**body, "hidden": sorted(hidden_for(policies, recipient))}


def outbound(conn: Connection, row: Any) -> Outbound:
    """The message for one outbox row (kind alert | escalation | reminder | digest | notice | snoozed)."""
    mark = marker(row.id)
    raw = (row.body or {}).get("hidden")
    hidden = frozenset(str(x) for x in raw) if isinstance(raw, list) else HIDE_ALL
    if row.kind in ("alert", "escalation", "reminder"):
        ids = _linked(conn, row.id) if row.kind == "alert" else []
        found = ranked(cards(conn, list(dict.fromkeys([row.alert_id, *ids])), hidden))
        card = next((c for c in found if c.alert_id == row.alert_id), found[0])
        others = tuple(c for c in found if c.alert_id != card.alert_id)
        prefix = {"escalation": "Unacknowledged alert", "reminder": "Snoozed alert is back"}.get(row.kind)
        # Notification text (lock screens, push) never carries sensitive values, whoever reads the message.
        public = cards(conn, [card.alert_id], HIDE_ALL)[0].why
        text = f"[{card.severity}] {card.customer}: {public}" + (f" (+{len(others)} more)" if others else "")
        note = _note(conn, row, card) if row.kind == "escalation" else ""
        return Outbound(
            row.recipient, f"{prefix}: {text}" if prefix else text, AlertMessage(card, row.kind, mark, others, note)
        )
    if row.kind == "digest":
        shown = cards(conn, _linked(conn, row.id, "digest"), hidden)
        body = row.body or {}
        arr = body.get("arr")
        summary = DigestSummary(
            customers=int(body.get("customers", 0)),
            shown=int(body.get("shown", 0)),
            alerts=int(body.get("alerts", len(shown))),
            urgent=int(body.get("urgent", 0)),
            at_risk=int(body.get("at_risk", 0)),
            at_risk_arr=None if _hides(hidden, "arr") or arr is None else float(arr),
            more=int(body.get("more", 0)),
        )
        view = DigestMessage(row.recipient, int(row.id), digest_groups(shown), summary, mark)
        return Outbound(row.recipient, digest_text(summary), view)
    if row.kind == "snoozed":
        body = row.body or {}
        (card,) = cards(conn, [row.alert_id], hidden)
        snoozed = SnoozeNotice(
            card, str(body.get("by", "")), _when(body.get("until")), str(body.get("reason", "")), mark
        )
        return Outbound(row.recipient, f"{card.severity.title()} alert on {card.customer} was snoozed", snoozed)
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


def _when(value: Any) -> dt.datetime:
    return dt.datetime.fromisoformat(str(value)) if value else dt.datetime.now(dt.UTC)


def digest_text(s: DigestSummary) -> str:
    """The summary line: ``3 urgent, 12 at-risk ARR $4.1M, 40 more in /rapport alerts``."""
    parts = []
    if s.urgent:
        parts.append(f"{s.urgent} urgent")
    arr = f" ARR {money(s.at_risk_arr)}" if s.at_risk_arr is not None else ""
    if s.at_risk:
        parts.append(f"{s.at_risk} at-risk{arr}")
    if s.at_risk < s.customers:
        other = s.customers - s.at_risk
        parts.append(f"{other} opportunit{'y' if other == 1 else 'ies'}")
    if s.more:
        parts.append(f"{s.more} more in /rapport alerts")
    return "Alert digest: " + ", ".join(parts)


def outbox_row(conn: Connection, outbox_id: int) -> Any:
    return conn.execute(select(AlertOutbox.__table__).where(AlertOutbox.__table__.c.id == outbox_id)).one()
