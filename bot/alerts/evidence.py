"""Why a rule fires for a customer, with the numbers: each condition with the customer's value against its
threshold, plus the context an owner needs (ARR, the worst ticket, the overdue amount...).

:func:`measure` reads the data behind the facts for a set of customers (set-based; evaluation calls it only
for new matches, ``rapport alerts explain`` for one customer, matching or not). A fact with ``met`` set is a
condition of the rule; the rule fires exactly when every condition is met (the integration tests check this
against the compiled SQL on a whole book). :func:`describe` turns facts into one line, hiding what the reader's
role may not see (ARR, amounts, health, sentiment are sensitive fields in ``roles.yaml``).

One module because every rule kind's facts are measured by one set-based pass; a kind's measure beside
the others keeps explain and evaluate in step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, Float, case, cast, func, select

from bot.alerts import catalog
from bot.alerts.clock import business_cutoff, zone
from bot.alerts.rules import (
    OPEN_TICKET_STATES,
    EvalContext,
    complaint_ticket,
    health_days,
    overdue_order,
    usage_windows,
)
from bot.customers.sla import business_elapsed
from bot.policies import AlertRule, format_duration
from bot.policies.alerts import (
    EVENT_TIME,
    ComplaintRule,
    EventsRule,
    HealthDropRule,
    InactivityRule,
    PaymentOverdueRule,
    RenewalAtRiskRule,
    SlaBreachRule,
    SlaImminentRule,
    UsageDropRule,
    UsageGrowthRule,
)
from bot.store.models import HEALTH_COMPONENTS, Customer, HealthScore, Note, Order, Ticket, UsageEvent

Value = float | str | None


@dataclass(frozen=True)
class Fact:
    key: str
    label: str
    value: Value
    unit: str = ""  # usd | days | hours | percent | points | count | score | date | text
    field: str | None = None  # the sensitive field (roles.yaml) this value reveals; None: public
    threshold: Value = None
    op: str | None = None  # how value compares with threshold for the rule to fire
    met: bool | None = None  # None: context, not a condition


@dataclass(frozen=True)
class Evidence:
    kind: str
    label: str
    facts: tuple[Fact, ...]
    value_at_risk: float

    @property
    def fires(self) -> bool:
        return all(f.met for f in self.facts if f.met is not None)

    @property
    def conditions(self) -> tuple[Fact, ...]:
        return tuple(f for f in self.facts if f.met is not None)

    def value(self, key: str) -> Value:
        for f in self.facts:
            if f.key == key:
                return f.value
        return None

    def fact(self, key: str) -> Fact | None:
        return next((f for f in self.facts if f.key == key), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": self.label,
            "value_at_risk": self.value_at_risk,
            "facts": [{k: v for k, v in asdict(f).items() if v is not None} for f in self.facts],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None, kind: str = "") -> Evidence:
        data = data or {}
        known = set(Fact.__dataclass_fields__)
        facts = tuple(
            Fact(**{"label": f["key"], "value": None, **{k: v for k, v in f.items() if k in known}})
            for f in data.get("facts") or ()
            if isinstance(f, dict) and "key" in f
        )
        return cls(
            str(data.get("kind") or kind),
            str(data.get("label") or ""),
            facts,
            float(data.get("value_at_risk") or 0.0),
        )


# ---- formatting -------------------------------------------------------------------------------------------


def money(value: float) -> str:
    if abs(value) >= 1_000_000:
        return f"${value / 1_000_000:.1f}M"
    return f"${value:,.0f}"


def span(hours: float) -> str:
    """``5h 55m``, ``2d 3h``, ``40m``."""
    minutes = int(round(hours * 60))
    if minutes >= 48 * 60:
        return f"{minutes // 1440}d {minutes % 1440 // 60}h"
    if minutes >= 60:
        return f"{minutes // 60}h {minutes % 60:02d}m"
    return f"{minutes}m"


def show(fact: Fact | None, hidden: frozenset[str] = frozenset()) -> str:
    """A fact's value as a reader sees it: ``(restricted)`` when its field is hidden from them."""
    if fact is None or fact.value is None:
        return "none"
    if fact.field is not None and fact.field in hidden:
        return "(restricted)"
    v = fact.value
    if isinstance(v, str):
        return v
    if fact.unit == "usd":
        return money(v)
    if fact.unit == "percent":
        return f"{v:.0f}%"
    if fact.unit == "hours":
        return span(v)
    if fact.unit == "days":
        return f"{v:.0f} day{'s' if round(v) != 1 else ''}"
    if fact.unit == "points":
        return f"{v:+.0f} points" if fact.key.startswith("component_") else f"{v:.0f} points"
    if fact.unit == "score" and float(v).is_integer():
        return f"{v:.0f}"
    if float(v).is_integer():
        return f"{v:,.0f}"
    return f"{v:.2f}" if fact.unit == "score" else f"{v:,.1f}"


SYMBOL = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}


def rule_text(fact: Fact, hidden: frozenset[str] = frozenset()) -> str:
    """``≥ 21 days`` for a condition; empty for context (or when the reader may not see the field)."""
    if fact.op is None or fact.threshold is None:
        return ""
    if fact.field is not None and (fact.field in hidden or "*" in hidden):
        return ""
    threshold = show(Fact(fact.key, fact.label, fact.threshold, fact.unit), frozenset())
    return f"{SYMBOL.get(fact.op, fact.op)} {threshold}"


def describe(ev: Evidence, hidden: frozenset[str] = frozenset()) -> str:
    """One line saying why the alert fired, with its numbers (values in ``hidden`` fields shown as restricted)."""
    f = ev.fact

    def s(key: str) -> str:
        return show(f(key), hidden)

    def r(*keys: str) -> str:
        texts = [rule_text(fact, hidden) for fact in map(f, keys) if fact is not None]
        texts = [t for t in texts if t]
        return f" (rule: {', '.join(texts)})" if texts else ""

    k = ev.kind
    if not ev.facts:
        return ev.label or k
    if k == "inactivity":
        silent = f("days_silent")
        head = "No activity on record" if silent is None or silent.value is None else f"Silent {s('days_silent')}"
        return f"{head}{r('days_silent')}: no {s('signals')} since then · ARR {s('arr')}"
    if k == "complaint":
        still = f("open_complaints")
        tail = f", {s('open_complaints')} still open" if still and still.value else ""
        said = f" · “{s('message')}”" if f("message") else ""  # a customer-channel message (bot.channels)
        return (
            f"{s('complaints')} complaint ticket(s) in the last {s('lookback')}{tail}; "
            f"worst sentiment {s('worst_sentiment')}{r('worst_sentiment')}{said}"
        )
    if k in ("sla_breach", "sla_imminent"):
        past = "past target" if k == "sla_breach" else f"past {s('percent_elapsed')} of target"
        worst = (
            f"; worst: {s('worst_ticket')} {s('worst_elapsed')} elapsed against a {s('worst_target')} target"
            if f("worst_ticket")
            else ""
        )
        return f"{s('tickets')} open ticket(s) {past}{worst}"
    if k in ("usage_drop", "usage_growth"):
        word = "down" if k == "usage_drop" else "up"
        change = f("change")
        amount = (
            show(Fact("c", "", abs(float(change.value)), "percent")) if change and change.value is not None else "?"
        )
        limit = f" (rule: {abs(float(change.threshold)):.0f}%+)" if change and change.threshold is not None else ""
        return (
            f"Usage {word} {amount}{limit}: {s('recent_daily')}/day in the last {s('window')} "
            f"vs {s('baseline_daily')}/day in the {s('baseline_window')} before"
        )
    if k == "renewal_at_risk":
        return (
            f"Renews {s('renewal_date')} (in {s('days_to_renewal')}), health {s('health')}{r('health')} · "
            f"ARR {s('arr')}"
        )
    if k == "payment_overdue":
        return (
            f"{s('amount_overdue')} unpaid on {s('invoices')} invoice(s), {s('days_overdue')} overdue"
            f"{r('days_overdue', 'amount_overdue')}"
        )
    if k == "health_drop":
        parts = [
            f"{x.label} {show(x, hidden)}" for x in ev.facts if x.key.startswith("component_") and x.value is not None
        ]
        comps = f": {', '.join(parts)}" if parts else ""
        return f"Health {s('score_now')}, down {s('drop')} in {s('window')}{r('drop')}{comps}"
    if k == "events":
        return _describe_event(ev, hidden, s, r)
    return ev.label or k


def _describe_event(ev: Evidence, hidden: frozenset[str], s: Callable[[str], str], r: Callable[[str], str]) -> str:
    entity = str(ev.value("entity") or "")
    count = f"{s('matches')} in the last {s('within')}" if (ev.value("matches") or 0) != 1 else ""
    latest = ev.value("latest_at")
    if entity == "contact_changes":
        title = ev.value("title")
        who = str(ev.value("role") or "contact").replace("_", " ").capitalize() + (f" ({title})" if title else "")
        detail = f"{who} {ev.value('change') or 'changed'} on {latest} ({s('days_since')} ago)"
    elif entity == "survey_responses":
        detail = f"{str(ev.value('survey') or 'survey').upper()} score {s('score')} on {latest}"
    elif entity == "shipments":
        order = ev.value("order_external_id")
        detail = (
            f"{'order ' + str(order) if order else 'a shipment'} {s('days_late')} late "
            f"(promised {str(ev.value('promised_at') or '?')[:10]}, {ev.value('status') or 'not delivered'})"
        )
    else:
        detail = f"latest {latest}"
    label = ev.label[:1].upper() + ev.label[1:]
    extra = f"; {s('total')} in total{r('total')}" if ev.fact("total") else ""
    return f"{label}: {detail}" + (f" · {count}" if count else "") + extra


# ---- measuring --------------------------------------------------------------------------------------------


def _customer_rows(conn: Connection, ids: Sequence[int]) -> dict[int, Any]:
    c = Customer.__table__.c
    rows = conn.execute(
        select(c.id, c.tier, c.arr, c.health_score, c.renewal_date, c.timezone).where(c.id.in_(list(ids)))
    )
    return {int(r.id): r for r in rows}


def num(value: Any) -> float | None:
    return float(value) if value is not None else None


def _days(delta: dt.timedelta) -> float:
    return delta.total_seconds() / 86400


def _as_dt(value: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time(), dt.UTC)


Measured = dict[int, list[Fact]]


def _inactivity(conn: Connection, rule: InactivityRule, ctx: EvalContext, ids: Sequence[int]) -> Measured:
    c = Customer.__table__.c
    o, u, n, t = Order.__table__.c, UsageEvent.__table__.c, Note.__table__.c, Ticket.__table__.c
    sig = rule.params.signals
    cols = {
        "orders": select(func.max(o.ordered_at)).where(o.customer_id == c.id).scalar_subquery(),
        "usage": select(func.max(u.day)).where(u.customer_id == c.id, u.quantity > 0).scalar_subquery(),
        "notes": select(func.max(n.created_at)).where(n.customer_id == c.id).scalar_subquery(),
        "tickets": select(func.max(t.opened_at)).where(t.customer_id == c.id).scalar_subquery(),
    }
    wanted = [k for k in cols if k in sig or (k in ("notes", "tickets") and "contact" in sig)]
    cutoff = ctx.now - dt.timedelta(days=rule.params.days)
    out: Measured = {}
    for row in conn.execute(select(c.id, *(cols[k].label(k) for k in wanted)).where(c.id.in_(list(ids)))):
        last = {k: getattr(row, k) for k in wanted}
        active = any(v is not None and (v >= cutoff.date() if k == "usage" else v >= cutoff) for k, v in last.items())
        seen = [_as_dt(v) for v in last.values() if v is not None]
        latest = max(seen) if seen else None
        contact = [v for k, v in last.items() if k in ("notes", "tickets") and v is not None]
        out[int(row.id)] = [
            Fact(
                "days_silent",
                "days without activity",
                float(int(_days(ctx.now - latest))) if latest else None,
                "days",
                threshold=float(rule.params.days),
                op=">=",
                met=not active,
            ),
            Fact("signals", "signals", ", ".join(sig), "text"),
            Fact("last_activity", "last activity", latest.date().isoformat() if latest else None, "date"),
            *([Fact("last_order", "last order", _date(last.get("orders")), "date")] if "orders" in last else []),
            *([Fact("last_usage", "last usage", _date(last.get("usage")), "date")] if "usage" in last else []),
            *(
                [Fact("last_contact", "last contact", _date(max(map(_as_dt, contact))) if contact else None, "date")]
                if "contact" in sig
                else []
            ),
        ]
    return out


def _date(value: dt.date | dt.datetime | None) -> str | None:
    if value is None:
        return None
    return (value.date() if isinstance(value, dt.datetime) else value).isoformat()


def _complaint(conn: Connection, rule: ComplaintRule, ctx: EvalContext, ids: Sequence[int]) -> Measured:
    t = Ticket.__table__.c
    since = ctx.now - rule.params.lookback
    recent = t.opened_at >= since
    rows = conn.execute(
        select(
            t.customer_id,
            func.sum(case((recent, 1), else_=0)).label("recent"),
            func.min(case((recent, t.sentiment), else_=None)).label("worst"),
            func.sum(case((t.status.in_(OPEN_TICKET_STATES), 1), else_=0)).label("still_open"),
        )
        .where(t.customer_id.in_(list(ids)), complaint_ticket(rule))
        .group_by(t.customer_id)
    )
    found = {int(r.customer_id): r for r in rows}
    out: Measured = {}
    for cid in ids:
        r = found.get(cid)
        recent_n = int(r.recent or 0) if r else 0
        out[cid] = [
            Fact(
                "complaints", "complaint tickets", float(recent_n), "count", threshold=1.0, op=">=", met=recent_n >= 1
            ),
            Fact("lookback", "look-back", format_duration(rule.params.lookback), "text"),
            Fact(
                "worst_sentiment",
                "worst sentiment",
                float(r.worst) if r is not None and r.worst is not None else None,
                "score",
                field="sentiment",
                threshold=rule.params.max_sentiment,
                op="<=",
            ),
            Fact("open_complaints", "complaint tickets still open", float(int(r.still_open or 0) if r else 0), "count"),
            Fact("categories", "categories", ", ".join(rule.params.categories), "text"),
        ]
    return out


def _sla(conn: Connection, rule: SlaBreachRule | SlaImminentRule, ctx: EvalContext, ids: Sequence[int]) -> Measured:
    """Every running clock of the customers' open tickets, against the cutoffs the SQL uses (same instants)."""
    t, c = Ticket.__table__.c, Customer.__table__.c
    pol = ctx.policies
    bh = pol.sla.business_hours
    fraction = rule.params.percent_elapsed / 100 if isinstance(rule, SlaImminentRule) else None
    rows = conn.execute(
        select(t.id, t.customer_id, t.priority, t.opened_at, t.first_response_at, t.resolved_at, c.tier, c.timezone)
        .join(Customer.__table__, c.id == t.customer_id)
        .where(t.customer_id.in_(list(ids)), t.status.in_(OPEN_TICKET_STATES))
    ).all()
    cuts: dict[tuple[str | None, dt.timedelta], dt.datetime] = {}

    def cut(tz: str | None, goal: dt.timedelta) -> dt.datetime:
        if (tz, goal) not in cuts:
            cuts[tz, goal] = (
                ctx.now - goal if tz is None else business_cutoff(ctx.now, goal, tz, bh.start, bh.end, tuple(bh.days))
            )
        return cuts[tz, goal]

    hits: dict[int, list[tuple[float, str, float, float]]] = {}  # customer -> (share, label, elapsed h, target h)
    for tk in rows:
        if tk.tier not in pol.sla.targets or tk.priority not in ("P1", "P2", "P3", "P4"):
            continue
        tier_sla = pol.sla.targets[tk.tier]
        tz = None if tier_sla.coverage == "24x7" else (tk.timezone or "UTC")
        target = tier_sla.target(tk.priority)
        for clock in rule.params.targets:
            running = tk.first_response_at is None if clock == "first_response" else tk.resolved_at is None
            goal: dt.timedelta = getattr(target, clock)
            if not running:
                continue
            if fraction is None:
                hit = tk.opened_at < cut(tz, goal)
            else:
                hit = cut(tz, goal) <= tk.opened_at < cut(tz, goal * fraction)
            if not hit:
                continue
            if tz is None:
                elapsed = ctx.now - tk.opened_at
            else:
                elapsed = business_elapsed(tk.opened_at, ctx.now, zone(tz).key, bh.start, bh.end, tuple(bh.days))
            label = f"{tk.priority} {clock.replace('_', ' ')}"
            hits.setdefault(int(tk.customer_id), []).append(
                (elapsed / goal, label, elapsed.total_seconds() / 3600, goal.total_seconds() / 3600)
            )
    out: Measured = {}
    for cid in ids:
        found = hits.get(cid, [])
        n = len(found)
        facts = [
            Fact("tickets", "open clocks past the threshold", float(n), "count", threshold=1.0, op=">=", met=n >= 1)
        ]
        if isinstance(rule, SlaImminentRule):
            facts.append(Fact("percent_elapsed", "threshold", rule.params.percent_elapsed, "percent"))
        if found:
            share, label, elapsed_h, target_h = max(found)
            facts += [
                Fact("worst_ticket", "worst clock", label, "text"),
                Fact("worst_elapsed", "elapsed", elapsed_h, "hours"),
                Fact("worst_target", "target", target_h, "hours"),
                Fact("worst_share", "of target", 100 * share, "percent"),
            ]
        out[cid] = facts
    return out


def _usage(conn: Connection, rule: UsageDropRule | UsageGrowthRule, ctx: EvalContext, ids: Sequence[int]) -> Measured:
    u = UsageEvent.__table__.c
    p = rule.params
    recent_from, base_from = usage_windows(p.window_days, p.baseline_days, ctx.today)
    rows = conn.execute(
        select(
            u.customer_id,
            cast(func.sum(case((u.day >= recent_from, u.quantity), else_=0)), Float).label("recent"),
            cast(func.sum(case((u.day < recent_from, u.quantity), else_=0)), Float).label("baseline"),
            func.min(u.day).label("first"),
        )
        .where(u.customer_id.in_(list(ids)), u.day >= base_from)
        .group_by(u.customer_id)
    )
    found = {int(r.customer_id): (float(r.recent or 0), float(r.baseline or 0), r.first) for r in rows}
    out: Measured = {}
    for cid in ids:
        recent, baseline, first = found.get(cid, (0.0, 0.0, None))
        recent_daily, base_daily = recent / p.window_days, baseline / p.baseline_days
        if isinstance(rule, UsageDropRule):
            keep = (100 - p.percent) / 100
            met = baseline > 0 and recent * p.baseline_days < keep * baseline * p.window_days
            threshold, op = -p.percent, "<"
        else:  # as rules._usage_change: a whole baseline, then the same arithmetic as the SQL
            grow = (100 + p.percent) / 100
            met = (
                first is not None
                and first <= base_from
                and baseline > 0
                and baseline >= rule.params.min_baseline_daily * p.baseline_days
                and recent * p.baseline_days >= grow * baseline * p.window_days
            )
            threshold, op = p.percent, ">="
        change = 100 * (recent_daily / base_daily - 1) if base_daily else None
        out[cid] = [
            Fact("change", "usage change", change, "percent", threshold=threshold, op=op, met=met),
            Fact("recent_daily", "recent daily usage", recent_daily, "count"),
            Fact("baseline_daily", "baseline daily usage", base_daily, "count"),
            Fact("window", "window", f"{p.window_days} days", "text"),
            Fact("baseline_window", "baseline", f"{p.baseline_days} days", "text"),
        ]
    return out


def _renewal(conn: Connection, rule: RenewalAtRiskRule, ctx: EvalContext, ids: Sequence[int]) -> Measured:
    out: Measured = {}
    for cid, row in _customer_rows(conn, ids).items():
        renew = row.renewal_date
        days = (renew - ctx.today).days if renew else None
        out[cid] = [
            Fact("renewal_date", "renewal", renew.isoformat() if renew else None, "date"),
            Fact(
                "days_to_renewal",
                "days to renewal",
                num(days),
                "days",
                threshold=float(rule.params.days),
                op="<=",
                met=days is not None and 0 <= days <= rule.params.days,
            ),
            Fact(
                "health",
                "health score",
                num(row.health_score),
                "score",
                field="health_score",
                threshold=rule.params.max_health,
                op="<=",
                met=row.health_score is not None and row.health_score <= rule.params.max_health,
            ),
        ]
    return out


def _payment(conn: Connection, rule: PaymentOverdueRule, ctx: EvalContext, ids: Sequence[int]) -> Measured:
    o = Order.__table__.c
    rows = conn.execute(
        select(o.customer_id, func.count().label("n"), func.sum(o.amount).label("total"), func.min(o.due_at))
        .where(o.customer_id.in_(list(ids)), overdue_order(rule, ctx.now))
        .group_by(o.customer_id)
    )
    found = {int(r[0]): (int(r[1]), float(r[2] or 0), r[3]) for r in rows}
    out: Measured = {}
    for cid in ids:
        n, total, oldest = found.get(cid, (0, 0.0, None))
        facts = [
            Fact(
                "days_overdue",
                "days past due",
                float(int(_days(ctx.now - oldest))) if oldest else None,
                "days",
                threshold=float(rule.params.days),
                op=">",
                met=n >= 1,
            ),
            Fact("invoices", "invoices overdue", float(n), "count"),
            Fact(
                "amount_overdue",
                "amount overdue",
                total,
                "usd",
                field="payment_status",
                threshold=rule.params.min_amount if rule.params.min_amount > 0 else None,
                op=">=" if rule.params.min_amount > 0 else None,
                met=(total >= rule.params.min_amount) if rule.params.min_amount > 0 else None,
            ),
        ]
        out[cid] = facts
    return out


def _health(conn: Connection, rule: HealthDropRule, ctx: EvalContext, ids: Sequence[int]) -> Measured:
    h = HealthScore.__table__.c
    today, ref_day = health_days(rule, ctx)
    rows = conn.execute(
        select(h.customer_id, h.day, h.score, *(h[c] for c in HEALTH_COMPONENTS))
        .where(h.customer_id.in_(list(ids)), h.day <= today)
        .order_by(h.customer_id, h.day)
    ).all()
    by: dict[int, list[Any]] = {}
    for r in rows:
        by.setdefault(int(r.customer_id), []).append(r)
    out: Measured = {}
    for cid in ids:
        snaps = by.get(cid, [])
        now_rows = _on_last_day(snaps, today)
        then_rows = _on_last_day(snaps, ref_day)
        now_score = min(r.score for r in now_rows) if now_rows else None
        then_score = max(r.score for r in then_rows) if then_rows else None
        drop = then_score - now_score if now_score is not None and then_score is not None else None
        met = drop is not None and drop >= rule.params.points
        facts = [
            Fact("score_now", "health now", num(now_score), "score", "health_score"),
            Fact(
                "score_then",
                "health before",
                num(then_score),
                "score",
                "health_score",
            ),
            Fact(
                "drop",
                "drop",
                num(drop),
                "points",
                field="health_score",
                threshold=float(rule.params.points),
                op=">=",
                met=met,
            ),
            Fact("window", "window", f"{rule.params.days} days", "text"),
        ]
        if rule.params.max_score is not None:
            facts.append(
                Fact(
                    "max_score",
                    "health now",
                    num(now_score),
                    "score",
                    field="health_score",
                    threshold=float(rule.params.max_score),
                    op="<=",
                    met=now_score is not None and now_score <= rule.params.max_score,
                )
            )
        if now_rows and then_rows:
            deltas = []
            for comp in HEALTH_COMPONENTS:
                a, b = getattr(then_rows[0], comp), getattr(now_rows[0], comp)
                if a is not None and b is not None and b != a:
                    deltas.append((b - a, comp))
            for delta, comp in sorted(deltas)[:3]:  # the components that fell most
                facts.append(Fact(f"component_{comp}", comp, float(delta), "points", field="health_score"))
        out[cid] = facts
    return out


def _on_last_day(snaps: list[Any], on_or_before: dt.date) -> list[Any]:
    days = [r.day for r in snaps if r.day <= on_or_before]
    if not days:
        return []
    last = max(days)
    return [r for r in snaps if r.day == last]


def _events(conn: Connection, rule: EventsRule, ctx: EvalContext, ids: Sequence[int]) -> Measured:
    p = rule.params
    spec = catalog.ENTITIES[p.entity]
    e = spec.table.c
    when = catalog.time_column(p.entity)
    hit = [
        e.customer_id.in_(list(ids)),
        when >= ctx.now - p.within,
        catalog.matches(p.entity, p.where, ctx.now),
    ]
    aggs = [func.count().label("n")]
    if p.sum is not None:
        aggs.append(func.sum(spec.column(p.sum, ctx.now)).label("total"))
    found = {
        int(r.customer_id): r for r in conn.execute(select(e.customer_id, *aggs).where(*hit).group_by(e.customer_id))
    }
    shown = [spec.column(name, ctx.now).label(name) for name in spec.show]
    latest: dict[int, Any] = {}
    for r in conn.execute(select(e.customer_id, when.label("at"), *shown).where(*hit).order_by(e.customer_id, when)):
        latest[int(r.customer_id)] = r  # ordered by time: the last one seen is the latest
    out: Measured = {}
    for cid in ids:
        agg = found.get(cid)
        n = int(agg.n) if agg is not None else 0
        facts = [
            Fact("entity", "entity", p.entity, "text"),
            Fact(
                "matches",
                p.label,
                float(n),
                "count",
                threshold=float(p.min_count),
                op=">=",
                met=n >= p.min_count,
            ),
            Fact("within", "window", format_duration(p.within), "text"),
        ]
        if p.sum is not None and p.min_sum is not None:
            total = float(agg.total or 0) if agg is not None else 0.0
            sensitive = spec.show.get(p.sum)
            unit = "usd" if p.sum == "amount" else "count"
            facts.append(Fact("total", f"total {p.sum}", total, unit, sensitive, p.min_sum, ">=", total >= p.min_sum))
        row = latest.get(cid)
        if row is not None:
            facts.append(Fact("latest_at", f"latest {EVENT_TIME[p.entity].removesuffix('_at')}", _date(row.at), "date"))
            facts.append(Fact("days_since", "since", float(int(_days(ctx.now - row.at))), "days"))
            for name, sensitive in spec.show.items():
                value = getattr(row, name)
                if isinstance(value, dt.datetime | dt.date):
                    value = value.isoformat()
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    value = float(value)
                if name == "days_late":
                    unit = "days"
                elif name == "amount":
                    unit = "usd"
                else:
                    unit = "score" if isinstance(value, float) else "text"
                facts.append(Fact(name, name.replace("_", " "), value, unit, sensitive))
        out[cid] = facts
    return out


_MEASURES: dict[type, Callable[[Connection, Any, EvalContext, Sequence[int]], Measured]] = {
    InactivityRule: _inactivity,
    ComplaintRule: _complaint,
    SlaBreachRule: _sla,
    SlaImminentRule: _sla,
    UsageDropRule: _usage,
    UsageGrowthRule: _usage,
    RenewalAtRiskRule: _renewal,
    PaymentOverdueRule: _payment,
    HealthDropRule: _health,
    EventsRule: _events,
}


def measure(conn: Connection, rule: AlertRule, ctx: EvalContext, customer_ids: Iterable[int]) -> dict[int, Evidence]:
    """The evidence of ``rule`` for each customer (whether or not it fires for them)."""
    ids = sorted(set(customer_ids))
    out: dict[int, Evidence] = {}
    for part in range(0, len(ids), 500):  # bounded IN lists
        chunk = ids[part : part + 500]
        facts = _MEASURES[type(rule)](conn, rule, ctx, chunk)
        customers = _customer_rows(conn, chunk)
        for cid in chunk:
            row = customers.get(cid)
            arr = float(row.arr or 0) if row is not None else 0.0
            found = [*facts.get(cid, []), Fact("arr", "ARR", arr, "usd", field="arr")]
            label = rule.params.label if isinstance(rule, EventsRule) else rule.name
            out[cid] = Evidence(rule.kind, label, tuple(found), _value_at_risk(rule, found, arr))
    return out


def _value_at_risk(rule: AlertRule, facts: list[Fact], arr: float) -> float:
    """What the signal puts at risk, in USD: the overdue amount for collections, nothing for an expansion
    opportunity, the account's ARR for everything that threatens the relationship."""
    if isinstance(rule, UsageGrowthRule):
        return 0.0
    if isinstance(rule, PaymentOverdueRule):
        amount = next((f.value for f in facts if f.key == "amount_overdue"), 0.0)
        return float(amount or 0.0) if not isinstance(amount, str) else 0.0
    return arr
