"""Evaluate rules and write what survives to the outbox, one transaction per rule.

Per rule: the compiled SELECT runs once, into a temporary table of matches (customer id + evidence;
small unless a rule is broken). Everything else is set-based against that table:

1. dedupe: a match with an open alert for (rule, customer), or any alert created within the rule's
   cooldown, is not new. Open alerts that match again are *refreshed* (``last_seen_at``, ``seen_count``),
   never re-sent; open alerts that no longer match are *resolved*.
2. cap: at most ``max_matches_per_rule`` new alerts per rule in any rolling 24 h (highest lifetime value
   first). The rest are counted in ``alert_runs.capped``, written to the audit trail, and announced once a
   day to the rule's channel: a broken rule is reported, not spammed.
3. routing (``bot.alerts.routing``): consent, quiet hours, per-recipient caps -> notifications; immediate
   ones get their outbox row in the same transaction. Digest items get theirs when the digest is built.

A crash anywhere rolls the rule's transaction back: the next run repeats it from scratch.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    MetaData,
    String,
    Table,
    and_,
    exists,
    func,
    insert,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from bot.alerts.models import OPEN, PENDING, RESOLVED, Alert, AlertNotification, AlertOutbox, AlertRun
from bot.alerts.routing import IMMEDIATE, Route, recipients_for, route
from bot.alerts.rules import EvalContext, compile_rule, customer_timezones, summary
from bot.governance import audit
from bot.policies import AlertRule, Policies
from bot.policies.alerts import AlertDefaults
from bot.store.models import BigID, Customer, Staff

log = logging.getLogger(__name__)
CAP_WINDOW = dt.timedelta(hours=24)

_tmp_meta = MetaData()
MATCHES = Table(
    "rapport_alert_matches",
    _tmp_meta,
    Column("customer_id", BigID, primary_key=True),
    Column("rank", Float),
    Column("e1", Float),
    Column("e2", Float),
    Column("e3", String(200)),
    prefixes=["TEMPORARY"],
)


@dataclass(frozen=True)
class Planned:
    """One new alert and where it goes: what ``rapport alerts run`` prints."""

    rule: str
    customer_id: int
    customer: str
    tier: str
    severity: str
    urgent: bool
    why: str
    routes: tuple[Route, ...]


@dataclass
class RuleReport:
    rule: str
    matched: int = 0
    candidates: int = 0
    created: int = 0
    capped: int = 0
    refreshed: int = 0
    resolved: int = 0
    seconds: float = 0.0
    planned: list[Planned] = field(default_factory=list)
    error: str | None = None


@dataclass
class RunReport:
    now: dt.datetime
    dry_run: bool
    rules: list[RuleReport] = field(default_factory=list)

    @property
    def created(self) -> int:
        return sum(r.created for r in self.rules)


def staff_timezones(conn: Connection, policies: Policies) -> Callable[[str], str]:
    """Recipient time zone: the policy roster first, then the Staff table, else UTC."""
    s = Staff.__table__.c
    table = {str(u): str(tz) for u, tz in conn.execute(select(s.slack_user_id, s.timezone))}

    def tz_of(user: str) -> str:
        member = policies.staff(user)
        return member.tz if member is not None else table.get(user, "UTC")

    return tz_of


def immediate_counts(conn: Connection, now: dt.datetime) -> dict[str, int]:
    n = AlertNotification.__table__.c
    rows = conn.execute(
        select(n.recipient, func.count())
        .where(n.mode == IMMEDIATE, n.created_at > now - CAP_WINDOW)
        .group_by(n.recipient)
    )
    return {str(r): int(k) for r, k in rows}


def evaluate(
    engine: Engine,
    policies: Policies,
    now: dt.datetime,
    rules: Iterable[str] | None = None,
    dry_run: bool = False,
    actor: str = "system:alerts",
) -> RunReport:
    """Evaluate ``rules`` (default: all) at ``now``. ``dry_run`` computes everything, then rolls back."""
    wanted = set(rules) if rules is not None else None
    selected = [r for r in policies.alerts.rules if wanted is None or r.name in wanted]
    report = RunReport(now=now, dry_run=dry_run)
    with engine.connect() as conn:
        ctx = EvalContext(now=now, policies=policies, timezones=customer_timezones(conn))
        tz_of = staff_timezones(conn, policies)
        sent = immediate_counts(conn, now)
        conn.rollback()
        for rule in selected:
            rep = RuleReport(rule.name)
            started = time.perf_counter()
            before = dict(sent)
            try:
                _evaluate_rule(conn, rule, ctx, tz_of, sent, rep, actor, dry_run)
                if dry_run:
                    conn.rollback()
                    sent.clear()
                    sent.update(before)
                else:
                    conn.commit()
            except Exception as exc:  # one broken rule must not stop the others
                conn.rollback()
                sent.clear()
                sent.update(before)
                rep.error = f"{type(exc).__name__}: {exc}"
                log.exception("alert rule %s failed", rule.name)
            finally:
                MATCHES.drop(conn, checkfirst=True)
                conn.commit()
            rep.seconds = time.perf_counter() - started
            report.rules.append(rep)
    return report


def _evaluate_rule(
    conn: Connection,
    rule: AlertRule,
    ctx: EvalContext,
    tz_of: Callable[[str], str],
    sent: dict[str, int],
    rep: RuleReport,
    actor: str,
    dry_run: bool,
) -> None:
    now = ctx.now
    a, m, c = Alert.__table__.c, MATCHES.c, Customer.__table__.c
    defaults = ctx.policies.alerts.defaults

    MATCHES.drop(conn, checkfirst=True)
    MATCHES.create(conn)
    rep.matched = conn.execute(insert(MATCHES).from_select(list(MATCHES.c.keys()), compile_rule(rule, ctx))).rowcount

    known = exists().where(
        a.rule == rule.name,
        a.customer_id == m.customer_id,
        or_(a.open_key.is_not(None), a.created_at > now - rule.cooldown),
    )
    rep.candidates = conn.execute(select(func.count()).select_from(MATCHES).where(not_(known))).scalar_one()
    recent = conn.execute(select(func.count()).where(a.rule == rule.name, a.created_at > now - CAP_WINDOW)).scalar_one()
    allowance = max(0, defaults.max_matches_per_rule - int(recent))
    rep.capped = max(0, rep.candidates - allowance)
    # End the read snapshot before writing. Matching is the slow part and must not hold the write lock; and
    # on SQLite a transaction that has read cannot take the write lock once another writer got in first
    # ("database is locked" at once, no busy wait). Only the temp table was written; its rows persist.
    conn.commit()

    mine_open = and_(a.rule == rule.name, a.open_key.is_not(None))
    matched_ids = select(m.customer_id)
    rep.refreshed = conn.execute(
        update(Alert)
        .where(mine_open, a.customer_id.in_(matched_ids))
        .values(last_seen_at=now, seen_count=a.seen_count + 1)
    ).rowcount
    rep.resolved = conn.execute(
        update(Alert)
        .where(mine_open, a.customer_id.not_in(matched_ids))
        .values(state=RESOLVED, open_key=None, resolved_at=now)
    ).rowcount

    rows = conn.execute(
        select(m.customer_id, m.e1, m.e2, m.e3, c.name, c.tier, c.owner_slack_id)
        .join(Customer.__table__, c.id == m.customer_id)
        .where(not_(known))
        .order_by(m.rank.desc(), m.customer_id)
        .limit(allowance)
    ).all()
    if rows:
        _create(conn, rule, defaults, rows, now, tz_of, sent, rep)
    if rep.capped:
        _cap_notice(conn, rule, rep, now)
    conn.execute(
        insert(AlertRun).values(
            rule=rule.name,
            started_at=now,
            duration_ms=0,
            candidates=rep.candidates,
            created=rep.created,
            capped=rep.capped,
            refreshed=rep.refreshed,
            resolved=rep.resolved,
            policy_version=ctx.policies.version,
        )
    )
    if (rep.created or rep.capped or rep.resolved) and not dry_run:
        with Session(bind=conn) as session:
            audit.record(
                session,
                actor,
                "alerts.evaluated",
                "alert_rule",
                rule.name,
                {
                    "created": rep.created,
                    "capped": rep.capped,
                    "resolved": rep.resolved,
                    "refreshed": rep.refreshed,
                    "policy_version": ctx.policies.version,
                },
            )
            session.flush()


def _create(
    conn: Connection,
    rule: AlertRule,
    defaults: AlertDefaults,
    rows: Sequence[Any],
    now: dt.datetime,
    tz_of: Callable[[str], str],
    sent: dict[str, int],
    rep: RuleReport,
) -> None:
    params = [
        {
            "rule": rule.name,
            "kind": rule.kind,
            "customer_id": r.customer_id,
            "tier": r.tier,
            "severity": rule.severity,
            "urgent": rule.urgent,
            "state": OPEN,
            "open_key": f"{rule.name}:{r.customer_id}",
            "evidence": {"e1": r.e1, "e2": r.e2, "e3": r.e3, "summary": summary(rule.kind, r.e1, r.e2, r.e3, now)},
            "created_at": now,
            "last_seen_at": now,
            "seen_count": 1,
            "reminders": 0,
        }
        for r in rows
    ]
    ids = (
        conn.execute(insert(Alert).returning(Alert.__table__.c.id, sort_by_parameter_order=True), params)
        .scalars()
        .all()
    )
    rep.created = len(ids)
    notifications: list[dict[str, Any]] = []
    outbox: list[dict[str, Any]] = []
    for alert_id, r, p in zip(ids, rows, params, strict=True):
        routes = route(recipients_for(rule.recipients, r.owner_slack_id), rule.urgent, defaults, now, tz_of, sent)
        rep.planned.append(
            Planned(
                rule.name,
                r.customer_id,
                r.name,
                r.tier,
                rule.severity,
                rule.urgent,
                p["evidence"]["summary"],
                tuple(routes),
            )
        )
        for rt in routes:
            notifications.append(
                {
                    "alert_id": alert_id,
                    "recipient": rt.recipient,
                    "purpose": "alert",
                    "round": 0,
                    "mode": rt.mode,
                    "reason": rt.reason,
                    "due_at": rt.due_at,
                    "created_at": now,
                }
            )
            if rt.mode == IMMEDIATE:
                outbox.append(
                    {
                        "recipient": rt.recipient,
                        "kind": "alert",
                        "alert_id": alert_id,
                        "body": {},
                        "state": PENDING,
                        "attempts": 0,
                        "next_attempt_at": rt.due_at,
                        "created_at": now,
                    }
                )
    write_notifications(conn, notifications, outbox)


def write_notifications(conn: Connection, notifications: list[dict[str, Any]], outbox: list[dict[str, Any]]) -> None:
    """Insert outbox rows for the immediate notifications, then every notification linked to its row."""
    if outbox:
        out_ids = iter(
            conn.execute(
                insert(AlertOutbox).returning(AlertOutbox.__table__.c.id, sort_by_parameter_order=True), outbox
            )
            .scalars()
            .all()
        )
        for n in notifications:
            n["outbox_id"] = next(out_ids) if n["mode"] == IMMEDIATE else None
    else:
        for n in notifications:
            n["outbox_id"] = None
    if notifications:
        conn.execute(insert(AlertNotification), notifications)


def _cap_notice(conn: Connection, rule: AlertRule, rep: RuleReport, now: dt.datetime) -> None:
    """Tell the rule's channel, at most once a day, that the rule matched more than the cap."""
    log.warning("alert rule %s capped: %d new matches, %d left out", rule.name, rep.candidates, rep.capped)
    target = rule.recipients.channel or rule.recipients.escalation_channel
    if target is None:
        return
    o = AlertOutbox.__table__.c
    already = conn.execute(
        select(func.count()).where(
            o.kind == "notice",
            o.recipient == target,
            o.created_at > now - CAP_WINDOW,
            o.body["rule"].as_string() == rule.name,
        )
    ).scalar_one()
    if already:
        return
    conn.execute(
        insert(AlertOutbox).values(
            recipient=target,
            kind="notice",
            alert_id=None,
            state=PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            body={"rule": rule.name, "candidates": rep.candidates, "capped": rep.capped, "alerted": rep.created},
        )
    )
