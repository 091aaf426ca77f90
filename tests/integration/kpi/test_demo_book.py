"""On a generated demo book, with alerts raised by the real rules and acked through the real action, and approval
requests submitted and decided through the real approvals feature, the SQL figures equal the same definitions
computed row by row in Python."""

from __future__ import annotations

import dataclasses
import datetime as dt
import statistics
from collections import defaultdict

import pytest
from sqlalchemy import Engine, func, insert, select, text

from bot.alerts.actions import ack
from bot.alerts.evaluate import evaluate
from bot.alerts.models import Alert
from bot.approvals.decisions import decide
from bot.approvals.figures import EXCEPTION, STANDARD
from bot.approvals.models import ApprovalRequest
from bot.approvals.requests import submit_request
from bot.approvals.validation import RequestDraft
from bot.demo.generator import DemoGenerator, load
from bot.kpi.metrics import EFFORT_HOURS, HOURLY_COST, REPEAT_WINDOW, compute
from bot.services import Services
from bot.store.models import Customer, Ticket

from ...conftest import Clock
from .conftest import services_for

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
SINCE = NOW - dt.timedelta(days=30)


def _hours(a: dt.datetime, b: dt.datetime) -> float:
    return (b - a).total_seconds() / 3600


@pytest.fixture
def demo(engine: Engine) -> Services:
    services = services_for(engine)
    owners = [s.id for s in services.policies.roles.staff if "account_manager" in s.roles]
    load(engine, DemoGenerator(1200, seed=7, now=NOW, owners=owners))
    with engine.begin() as conn:  # merge the planted duplicates into their originals (golden records)
        conn.execute(
            text(
                "UPDATE customers SET merged_into_id = (SELECT duplicate_of FROM demo_planted_duplicates d "
                "WHERE d.customer_id = customers.id) WHERE id IN (SELECT customer_id FROM demo_planted_duplicates)"
            )
        )
        # a few customers come back about the same issue: repeat contacts that FCR must not count
        handled = conn.execute(
            select(Ticket.customer_id, Ticket.category, Ticket.resolved_at)
            .where(Ticket.resolved_at >= SINCE, Ticket.resolved_at < NOW - dt.timedelta(days=3))
            .order_by(Ticket.id)
            .limit(6)
        ).all()
        top = conn.scalar(select(func.max(Ticket.id))) or 0  # explicit ids: the generator bypassed the sequence
        conn.execute(
            insert(Ticket),
            [
                {
                    "id": top + 1 + i,
                    "customer_id": cid,
                    "subject": "again",
                    "priority": "P3",
                    "status": "open",
                    "category": cat,
                    "opened_at": resolved + dt.timedelta(days=2),
                }
                for i, (cid, cat, resolved) in enumerate(handled)
            ],
        )
    raised = NOW - dt.timedelta(days=3)
    evaluate(engine, services.policies, raised)
    with engine.connect() as conn:
        alert_ids = list(conn.scalars(select(Alert.id).order_by(Alert.id)))
    assert len(alert_ids) > 20
    for i, aid in enumerate(alert_ids[::3]):
        assert ack(engine, services.policies, "U0AMGOLD", aid, raised + dt.timedelta(minutes=5 + 7 * i)).ok
    clock = Clock(NOW - dt.timedelta(days=6))
    svc = dataclasses.replace(services, clock=clock)
    with engine.connect() as conn:
        names = list(conn.scalars(select(Customer.name).where(Customer.merged_into_id.is_(None)).limit(9)))
    requests = []
    for i, name in enumerate(names):
        auto = i % 3 == 0  # 5% / $5,000 at low risk is the standard-discount auto-approve rule
        amount, percent = ("$5,000", "5%") if auto else ("$40,000", "12%")
        draft = RequestDraft("discount", name, "U0AMGOLD", "renewal at risk", amount=amount, percent=percent)
        requests.append(submit_request(svc, draft).request_id)
        clock.now += dt.timedelta(hours=9)
    for i, rid in enumerate(requests[1::2]):  # decide some chained requests, hours after they were made
        clock.now += dt.timedelta(hours=5 + i)
        decide(svc, rid, 0, "U0SALESMGR", "approve" if i % 2 == 0 else "reject", reason="reviewed")
    return services


def test_figures_match_a_row_by_row_computation(demo: Services) -> None:
    engine = demo.engine
    k = compute(engine, SINCE, NOW, tiers=demo.policies.tier_names)
    assert k.fcr_rate is not None and k.fcr_rate < 1
    with engine.connect() as conn:
        customers = {r.id: r for r in conn.execute(select(Customer.id, Customer.tier, Customer.merged_into_id))}
        tickets = list(conn.execute(select(Ticket.__table__)))
        alerts = list(conn.execute(select(Alert.__table__)))
        reqs = list(conn.execute(select(ApprovalRequest.__table__)))

    def tier_of(cid: int) -> str:
        c = customers[cid]
        return customers[c.merged_into_id].tier if c.merged_into_id else c.tier

    per_tier: dict[str, list[float]] = defaultdict(list)
    effort: dict[str, float] = defaultdict(float)
    fcr: dict[str, int] = defaultdict(int)
    for t in tickets:
        if not (t.resolved_at and SINCE <= t.resolved_at < NOW):
            continue
        tier = tier_of(t.customer_id)
        per_tier[tier].append(_hours(t.opened_at, t.resolved_at))
        effort[tier] += EFFORT_HOURS[t.priority]
        repeat = any(
            r.customer_id == t.customer_id
            and r.category == t.category
            and r.id != t.id
            and t.opened_at < r.opened_at < NOW
            and r.opened_at <= t.resolved_at + REPEAT_WINDOW
            for r in tickets
        )
        fcr[tier] += not repeat
    golden = defaultdict(int)
    for c in customers.values():
        if c.merged_into_id is None:
            golden[c.tier] += 1
    assert sum(len(v) for v in per_tier.values()) > 100  # the window holds real work
    assert sum(len(v) for v in per_tier.values()) - sum(fcr.values()) >= 6  # and repeat contacts
    assert any(c.merged_into_id for c in customers.values())
    for s in k.service:
        assert s.customers == golden[s.tier]
        assert s.tickets_resolved == len(per_tier[s.tier])
        assert s.handling_hours == pytest.approx(effort[s.tier])
        assert s.cost_usd == pytest.approx(effort[s.tier] * HOURLY_COST)
        assert s.first_contact_resolved == fcr[s.tier]
        if per_tier[s.tier]:
            assert s.median_resolution_hours == pytest.approx(statistics.median(per_tier[s.tier]), abs=1e-3)
            assert s.mean_resolution_hours == pytest.approx(statistics.mean(per_tier[s.tier]), abs=1e-3)
    assert {s.tier for s in k.service} == set(golden)

    window_alerts = [a for a in alerts if SINCE <= a.created_at < NOW]
    by_tier = defaultdict(list)
    for a in window_alerts:
        by_tier[a.tier].append(a)
    assert {a.tier for a in k.alerts} == set(by_tier)
    for ta in k.alerts:
        rows = by_tier[ta.tier]
        acked = [a for a in rows if a.acked_at is not None and a.acked_at < NOW]
        assert (ta.alerts, ta.acked) == (len(rows), len(acked))
        assert ta.urgent == sum(a.urgent for a in rows)
        if acked:
            expected = statistics.median((a.acked_at - a.created_at).total_seconds() / 60 for a in acked)
            assert ta.median_minutes_to_ack == pytest.approx(expected, abs=0.05)
    assert k.ack_rate == pytest.approx(sum(a.acked_at is not None for a in window_alerts) / len(window_alerts))

    created = [r for r in reqs if SINCE <= r.created_at < NOW]
    standard = [r for r in created if r.state == "auto_approved"]
    assert len(created) == 9 and len(standard) == 3
    assert k.exception_rate == pytest.approx(6 / 9)
    exc = k.pathway(EXCEPTION)
    std = k.pathway(STANDARD)
    assert exc is not None and std is not None
    decided = [r for r in reqs if r.decided_at and r.state != "auto_approved" and SINCE <= r.decided_at < NOW]
    assert exc.decided == len(decided) > 0
    assert exc.approved == sum(r.state == "approved" for r in decided)
    turnaround = [_hours(r.created_at, r.decided_at) for r in decided]
    assert exc.median_turnaround_hours == pytest.approx(statistics.median(turnaround), abs=1e-3)
    assert (std.requests, std.decided, std.approved, std.median_turnaround_hours) == (3, 3, 3, pytest.approx(0.0))
