"""Evaluate rules, then route what is new to the outbox: one transaction per rule, one for routing.

Per rule: the compiled SELECT runs once, into a temporary table of matching customer ids (small unless a
rule is broken). Everything else is set-based against that table:

1. dedupe: a match with an open alert for (rule, customer), or any alert created within the rule's
   cooldown, is not new. Open alerts that match again are *refreshed* (``last_seen_at``, ``seen_count``),
   never re-sent; open alerts whose condition no longer holds are *resolved* (for some kinds the condition
   outlives the firing window: a complaint stays open while its ticket is open).
2. cap: at most ``max_matches_per_rule`` new alerts per rule in any rolling 24 h, highest priority first
   (severity x tier x ARR). The rest are counted in ``alert_runs.capped``, written to the audit trail, and
   announced once a day to the rule's channel: a broken rule is reported, not spammed.
3. the new alerts are written with their priority, band, primary recipient and evidence (the numbers behind
   each condition, :mod:`bot.alerts.evidence`), not yet routed.

Then routing, once for all rules: every alert not yet routed (this run's, and any a crashed run committed
but did not route) is decided together by :func:`bot.alerts.routing.plan`, so one customer's signals travel
as one roll-up and the interruption caps are shared by all rules. Immediate roll-ups get their outbox row in
the same transaction; digest items get theirs when the digest is built.

``dry_run`` runs exactly this, decides exactly this, and rolls every write back.

One module because dedupe, cooldown, priority and routing are steps over one temporary match table
inside one transaction per rule.
"""

from __future__ import annotations

import dataclasses
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
    Table,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    insert,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from bot.alerts.compose import reader_body
from bot.alerts.evidence import describe, measure
from bot.alerts.models import OPEN, PENDING, RESOLVED, Alert, AlertNotification, AlertOutbox, AlertRun
from bot.alerts.routing import IMMEDIATE, Candidate, Decision, Route, on_duty_member, plan, recipients_for
from bot.alerts.rules import EvalContext, compile_holds, compile_rule, customer_timezones
from bot.governance import audit
from bot.policies import AlertRule, Policies
from bot.policies.alerts import Priority
from bot.store.models import BigID, Customer, Staff

log = logging.getLogger(__name__)
CAP_WINDOW = dt.timedelta(hours=24)

_tmp_meta = MetaData()
MATCHES = Table(
    "rapport_alert_matches",
    _tmp_meta,
    Column("customer_id", BigID, primary_key=True),
    prefixes=["TEMPORARY"],
)


@dataclass(frozen=True)
class NewAlert:
    """An alert written by this run (or left unrouted by an earlier one), with what routing needs."""

    id: int
    rule: str
    customer_id: int
    customer: str
    tier: str
    severity: str
    urgent: bool
    priority: float
    band: str
    why: str  # public summary: no sensitive values
    recipients: tuple[str, ...]

    def candidate(self) -> Candidate:
        return Candidate(self.id, self.customer_id, self.tier, self.urgent, self.priority, self.recipients)


@dataclass(frozen=True)
class Planned:
    """One new alert and where it goes: what ``rapport alerts run`` prints (dry run and real run alike)."""

    rule: str
    customer_id: int
    customer: str
    tier: str
    severity: str
    urgent: bool
    priority: float
    band: str
    why: str
    routes: tuple[Route, ...]
    together_with: int = 0  # other new signals of the same customer in the same roll-up


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
    routed: int = 0  # alerts routed by this run (includes leftovers of a crashed run)
    unrouted: int = 0  # alerts with no recipient at all (should stay 0: owner, else on-duty)
    routing_error: str | None = None
    routing_seconds: float = 0.0

    @property
    def created(self) -> int:
        return sum(r.created for r in self.rules)

    @property
    def planned(self) -> list[Planned]:
        return [p for r in self.rules for p in r.planned]


def staff_timezones(conn: Connection, policies: Policies) -> Callable[[str], str]:
    """Recipient time zone: the policy roster first, then the Staff table, else UTC."""
    s = Staff.__table__.c
    table = {str(u): str(tz) for u, tz in conn.execute(select(s.slack_user_id, s.timezone))}

    def tz_of(user: str) -> str:
        member = policies.staff(user)
        return member.tz if member is not None else table.get(user, "UTC")

    return tz_of


def interruptions(conn: Connection, now: dt.datetime) -> dict[str, int]:
    """Messages that interrupted each recipient in the last 24 h (a roll-up of several alerts counts once)."""
    n = AlertNotification.__table__.c
    rows = conn.execute(
        select(n.recipient, func.count(func.distinct(n.outbox_id)))
        .where(n.mode == IMMEDIATE, n.created_at > now - CAP_WINDOW, n.outbox_id.is_not(None))
        .group_by(n.recipient)
    )
    return {str(r): int(k) for r, k in rows}


def priority_sql(ranking: Priority, severity: str) -> Any:
    """The priority formula in SQL (the cap keeps the highest first); :meth:`Priority.score` is the same."""
    c = Customer.__table__.c
    tier = case(*((c.tier == name, weight) for name, weight in ranking.tier.items()), else_=1.0)
    arr = cast(func.coalesce(c.arr, 0), Float)
    top = (ranking.arr_factor_max - 1) * ranking.arr_unit
    factor = case((arr >= top, ranking.arr_factor_max), else_=1 + arr / ranking.arr_unit)
    return ranking.severity.get(severity, 1.0) * tier * factor  # type: ignore[call-overload]


def primary_recipient(policies: Policies, rule: AlertRule, owner: str | None, tier: str, customer_id: int) -> list[str]:
    fallback = None
    if rule.recipients.owner and not owner:
        duty = policies.roles.on_duty.get(tier)
        group = policies.group(duty) if duty else None
        fallback = on_duty_member(duty, group.members if group else (), customer_id)
    return recipients_for(rule.recipients, owner, fallback)


def evaluate(
    engine: Engine,
    policies: Policies,
    now: dt.datetime,
    rules: Iterable[str] | None = None,
    dry_run: bool = False,
    actor: str = "system:alerts",
) -> RunReport:
    """Evaluate ``rules`` (default: all) at ``now`` and route what is new. ``dry_run`` decides everything,
    then rolls back."""
    wanted = set(rules) if rules is not None else None
    selected = [r for r in policies.alerts.rules if wanted is None or r.name in wanted]
    report = RunReport(now=now, dry_run=dry_run)
    fresh: list[NewAlert] = []
    with engine.connect() as conn:
        ctx = EvalContext(now=now, policies=policies, timezones=customer_timezones(conn))
        conn.rollback()
        for rule in selected:
            rep = RuleReport(rule.name)
            started = time.perf_counter()
            try:
                made = _evaluate_rule(conn, rule, ctx, rep, actor, dry_run)
                if dry_run:
                    conn.rollback()
                    # The rolled-back ids are handed out again to the next rule: number them apart.
                    made = [dataclasses.replace(x, id=-(len(fresh) + i + 1)) for i, x in enumerate(made)]
                else:
                    conn.commit()
                fresh += made
            except Exception as exc:  # one broken rule must not stop the others
                conn.rollback()
                rep.error = f"{type(exc).__name__}: {exc}"
                rep.created, rep.planned = 0, []
                log.exception("alert rule %s failed", rule.name)
            finally:
                MATCHES.drop(conn, checkfirst=True)
                conn.commit()
            rep.seconds = time.perf_counter() - started
            report.rules.append(rep)
        started = time.perf_counter()
        try:
            _route(conn, policies, now, fresh, report, dry_run)
            if dry_run:
                conn.rollback()
            else:
                conn.commit()
        except Exception as exc:  # the alerts stay unrouted; the next run routes them
            conn.rollback()
            report.routing_error = f"{type(exc).__name__}: {exc}"
            log.exception("alert routing failed")
        report.routing_seconds = time.perf_counter() - started
    return report


def _evaluate_rule(
    conn: Connection,
    rule: AlertRule,
    ctx: EvalContext,
    rep: RuleReport,
    actor: str,
    dry_run: bool,
) -> list[NewAlert]:
    now = ctx.now
    a, m, c = Alert.__table__.c, MATCHES.c, Customer.__table__.c
    policies = ctx.policies
    defaults = policies.alerts.defaults

    MATCHES.drop(conn, checkfirst=True)
    MATCHES.create(conn)
    rep.matched = conn.execute(insert(MATCHES).from_select(["customer_id"], compile_rule(rule, ctx))).rowcount

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
    still = [mine_open, a.customer_id.not_in(matched_ids)]
    holds = compile_holds(rule, ctx, select(a.customer_id).where(*still).scalar_subquery())
    if holds is not None:
        still.append(a.customer_id.not_in(holds))
    rep.resolved = conn.execute(
        update(Alert).where(*still).values(state=RESOLVED, open_key=None, resolved_at=now)
    ).rowcount

    ranking = policies.alerts.ranking
    rows = conn.execute(
        select(m.customer_id, c.name, c.tier, c.arr, c.owner_slack_id)
        .join(Customer.__table__, c.id == m.customer_id)
        .where(not_(known))
        .order_by(priority_sql(ranking, rule.severity).desc(), m.customer_id)
        .limit(allowance)
    ).all()
    made = _create(conn, rule, ctx, rows, rep) if rows else []
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
            policy_version=policies.version,
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
                    "policy_version": policies.version,
                },
            )
            session.flush()
    return made


def _create(
    conn: Connection, rule: AlertRule, ctx: EvalContext, rows: Sequence[Any], rep: RuleReport
) -> list[NewAlert]:
    """Write the new alerts with their evidence, priority and recipients (routing comes after all rules)."""
    policies, now = ctx.policies, ctx.now
    ranking = policies.alerts.ranking
    hidden = policies.sensitive_fields
    evidence = measure(conn, rule, ctx, [int(r.customer_id) for r in rows])
    params, made = [], []
    for r in rows:
        ev = evidence[int(r.customer_id)]
        priority = ranking.score(rule.severity, r.tier, float(r.arr or 0))
        band = ranking.band(priority).name
        recipients = primary_recipient(policies, rule, r.owner_slack_id, r.tier, int(r.customer_id))
        why = describe(ev, hidden)
        params.append(
            {
                "rule": rule.name,
                "kind": rule.kind,
                "customer_id": r.customer_id,
                "tier": r.tier,
                "severity": rule.severity,
                "urgent": rule.urgent,
                "state": OPEN,
                "open_key": f"{rule.name}:{r.customer_id}",
                "evidence": {**ev.to_json(), "summary": why},
                "created_at": now,
                "last_seen_at": now,
                "seen_count": 1,
                "reminders": 0,
                "priority": priority,
                "band": band,
                "value_at_risk": ev.value_at_risk,
                "recipient": recipients[0] if recipients else None,
            }
        )
        made.append((r, priority, band, why, tuple(recipients)))
    ids = (
        conn.execute(insert(Alert).returning(Alert.__table__.c.id, sort_by_parameter_order=True), params)
        .scalars()
        .all()
    )
    rep.created = len(ids)
    return [
        NewAlert(
            int(i), rule.name, int(r.customer_id), str(r.name), str(r.tier), rule.severity, rule.urgent, p, b, why, rec
        )
        for i, (r, p, b, why, rec) in zip(ids, made, strict=True)
    ]


def _load(conn: Connection, policies: Policies, *where: Any) -> list[NewAlert]:
    """Open alerts matching ``where`` as routing sees them (those an earlier run committed but, dying between
    the two steps, did not route)."""
    a, c = Alert.__table__.c, Customer.__table__.c
    rows = conn.execute(
        select(
            a.id,
            a.rule,
            a.customer_id,
            a.tier,
            a.severity,
            a.urgent,
            a.priority,
            a.band,
            a.evidence,
            c.name,
            c.owner_slack_id,
        )
        .join(Customer.__table__, c.id == a.customer_id)
        .where(a.open_key.is_not(None), *where)
        .order_by(a.id)
    ).all()
    rules = {r.name: r for r in policies.alerts.rules}
    out = []
    for r in rows:
        rule = rules.get(r.rule)
        recipients = primary_recipient(policies, rule, r.owner_slack_id, r.tier, int(r.customer_id)) if rule else []
        out.append(
            NewAlert(
                int(r.id),
                str(r.rule),
                int(r.customer_id),
                str(r.name),
                str(r.tier),
                str(r.severity),
                bool(r.urgent),
                float(r.priority or 0),
                str(r.band or ""),
                str((r.evidence or {}).get("summary", r.rule)),
                tuple(recipients),
            )
        )
    return out


def _route(
    conn: Connection, policies: Policies, now: dt.datetime, fresh: list[NewAlert], report: RunReport, dry_run: bool
) -> None:
    a = Alert.__table__.c
    mine = {x.id for x in fresh}
    if dry_run:
        left = a.routed_at.is_(None)
        pending = fresh + [x for x in _load(conn, policies, left) if x.id not in mine]
    else:
        # Claim first, as this transaction's first statement (it takes SQLite's write lock before any read):
        # two evaluators never route the same alert twice.
        claimed = set(
            conn.scalars(update(Alert).where(a.routed_at.is_(None)).values(routed_at=now).returning(a.id)).all()
        )
        pending = [x for x in fresh if x.id in claimed]
        others = sorted(claimed - mine)
        pending += _load(conn, policies, a.id.in_(others)) if others else []
    report.unrouted = sum(1 for x in pending if not x.recipients)
    if not pending:
        return
    tz_of = staff_timezones(conn, policies)
    decisions = plan(
        [x.candidate() for x in pending if x.recipients],
        policies.alerts.ranking,
        policies.alerts.defaults,
        now,
        tz_of,
        interruptions(conn, now),
    )
    report.routed = len(pending)
    _report_plans(report, pending, decisions)
    if not dry_run:
        write_routes(conn, decisions, pending, now, policies)


def _report_plans(report: RunReport, pending: list[NewAlert], decisions: list[Decision]) -> None:
    routes: dict[int, list[Route]] = {}
    for d in decisions:
        routes.setdefault(d.alert_id, []).append(d.route)
    per_customer: dict[int, int] = {}
    for x in pending:
        per_customer[x.customer_id] = per_customer.get(x.customer_id, 0) + 1
    by_rule = {r.rule: r for r in report.rules}
    for x in pending:
        rep = by_rule.get(x.rule)
        if rep is None:  # a leftover of a rule not evaluated this time
            rep = RuleReport(x.rule)
            report.rules.append(rep)
            by_rule[x.rule] = rep
        rep.planned.append(
            Planned(
                x.rule,
                x.customer_id,
                x.customer,
                x.tier,
                x.severity,
                x.urgent,
                x.priority,
                x.band,
                x.why,
                tuple(routes.get(x.id, ())),
                per_customer[x.customer_id] - 1,
            )
        )


def write_routes(
    conn: Connection,
    decisions: Sequence[Decision],
    pending: Sequence[NewAlert],
    now: dt.datetime,
    policies: Policies | None = None,
) -> None:
    """Notifications for every decision; one outbox row per immediate roll-up (recipient x customer); the
    alerts marked routed with the time their primary recipient is due to hear of them."""
    by_id = {x.id: x for x in pending}
    groups: dict[tuple[str, int], list[Decision]] = {}
    for d in decisions:
        if d.route.mode == IMMEDIATE:
            groups.setdefault((d.route.recipient, d.customer_id), []).append(d)
    keys = sorted(groups)
    outbox = []
    for key in keys:
        members = groups[key]
        top = max(members, key=lambda d: (by_id[d.alert_id].priority, -d.alert_id))
        outbox.append(
            {
                "recipient": key[0],
                "kind": "alert",
                "alert_id": top.alert_id,
                "body": reader_body(policies, key[0], alerts=len(members)),
                "state": PENDING,
                "attempts": 0,
                "next_attempt_at": top.route.due_at,
                "created_at": now,
            }
        )
    outbox_of: dict[tuple[str, int], int] = {}
    if outbox:
        ids = conn.execute(
            insert(AlertOutbox).returning(AlertOutbox.__table__.c.id, sort_by_parameter_order=True), outbox
        ).scalars()
        outbox_of = dict(zip(keys, ids, strict=True))
    notes = [
        {
            "alert_id": d.alert_id,
            "recipient": d.route.recipient,
            "purpose": "alert",
            "round": 0,
            "mode": d.route.mode,
            "reason": d.route.reason,
            "due_at": d.route.due_at,
            "outbox_id": outbox_of.get((d.route.recipient, d.customer_id)) if d.route.mode == IMMEDIATE else None,
            "created_at": now,
        }
        for d in decisions
    ]
    if notes:
        conn.execute(insert(AlertNotification), notes)
    due: dict[int, dt.datetime] = {}
    for d in decisions:
        x = by_id[d.alert_id]
        if x.recipients and d.route.recipient == x.recipients[0]:
            due[d.alert_id] = d.route.due_at
    a = Alert.__table__.c
    if pending:
        conn.execute(
            update(Alert)
            .where(a.id == bindparam("b_id"))
            .values(routed_at=now, notify_due_at=bindparam("b_due"))
            .execution_options(synchronize_session=False),
            [{"b_id": x.id, "b_due": due.get(x.id)} for x in pending],
        )


def write_notifications(conn: Connection, notifications: list[dict[str, Any]], outbox: list[dict[str, Any]]) -> None:
    """Insert outbox rows for the immediate notifications (one each, in order), then every notification
    linked to its row (escalations and reminders)."""
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
