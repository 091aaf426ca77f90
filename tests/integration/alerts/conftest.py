"""Fixtures for the alert integration tests: policies, a seeded book of business, and the expected
match set of every rule computed independently in plain Python over the generated rows."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert

from bot.alerts.evaluate import evaluate
from bot.customers.sla import business_elapsed
from bot.demo.generator import DemoGenerator, load
from bot.policies import AlertRule, Policies, load_policies
from bot.policies.alerts import EVENT_TIME
from bot.slack.app import make_client
from bot.slack.notifier import SlackNotifier
from bot.store.models import Ticket
from slackdouble import SlackDouble

REPO = Path(__file__).resolve().parents[3]
NOW = dt.datetime(2026, 3, 4, 15, tzinfo=dt.UTC)  # a Wednesday afternoon
N_CUSTOMERS = 3000


@pytest.fixture(scope="session")
def policies() -> Policies:
    return load_policies(REPO / "playbooks" / "policies")


@pytest.fixture(scope="session")
def owners(policies: Policies) -> list[str]:
    return [s.id for s in policies.roles.staff if "account_manager" in s.roles]


@pytest.fixture(scope="session")
def rows(owners: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Every row the generator produces for the test book, by table."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for batch in DemoGenerator(N_CUSTOMERS, seed=7, now=NOW, owners=owners).customers():
        for table, items in batch.rows.items():
            out[table].extend(items)
    out["extra_tickets"] = extra_tickets(out)
    out["tickets"].extend(out["extra_tickets"])
    return out


def extra_tickets(rows: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Hand-planted tickets the generator does not make: gold P2s nearing their 1 h first-response target."""
    gold = [c["id"] for c in rows["customers"] if c["tier"] == "gold"][:3]
    next_id = max(t["id"] for t in rows["tickets"]) + 1
    return [
        {
            "id": next_id + i,
            "customer_id": cid,
            "source": "helpdesk",
            "external_id": None,
            "subject": "degraded performance",
            "priority": "P2",
            "status": "open",
            "category": "bug",
            "sentiment": 0.0,
            "opened_at": NOW - dt.timedelta(minutes=50),
            "first_response_at": None,
            "resolved_at": None,
        }
        for i, cid in enumerate(gold)
    ]


def _in_segment(rule: AlertRule, c: dict[str, Any]) -> bool:
    s = rule.segment
    return (
        c["merged_into_id"] is None
        and (not s.tiers or c["tier"] in s.tiers)
        and (not s.regions or c["region"] in s.regions)
        and (s.min_lifetime_value is None or c["lifetime_value"] >= Decimal(str(s.min_lifetime_value)))
        and (s.min_arr is None or c["arr"] >= Decimal(str(s.min_arr)))
    )


Expect = Callable[[AlertRule], set[int]]


@pytest.fixture(scope="session")
def expected(rows: dict[str, list[dict[str, Any]]], policies: Policies) -> Expect:
    by_customer: dict[str, dict[int, list[dict[str, Any]]]] = {}
    for table in (
        "orders",
        "usage_events",
        "notes",
        "tickets",
        "contact_changes",
        "survey_responses",
        "shipments",
        "health_scores",
    ):
        grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for r in rows[table]:
            grouped[r["customer_id"]].append(r)
        by_customer[table] = grouped
    bh = policies.sla.business_hours

    def elapsed(c: dict[str, Any], opened: dt.datetime) -> dt.timedelta:
        if policies.sla.targets[c["tier"]].coverage == "24x7":
            return NOW - opened
        return business_elapsed(opened, NOW, c["timezone"], bh.start, bh.end, tuple(bh.days))

    def matches(rule: AlertRule, c: dict[str, Any]) -> bool:  # noqa: C901 - one branch per kind, read side by side
        cid = c["id"]
        p: Any = rule.params
        today = NOW.date()
        tickets = by_customer["tickets"].get(cid, [])
        if rule.kind == "inactivity":
            cutoff = NOW - dt.timedelta(days=p.days)
            active = False
            if "orders" in p.signals:
                active |= any(o["ordered_at"] >= cutoff for o in by_customer["orders"].get(cid, []))
            if "usage" in p.signals:
                active |= any(
                    u["day"] >= cutoff.date() and u["quantity"] > 0 for u in by_customer["usage_events"].get(cid, [])
                )
            if "contact" in p.signals:
                active |= any(n["created_at"] >= cutoff for n in by_customer["notes"].get(cid, []))
                active |= any(t["opened_at"] >= cutoff for t in tickets)
            return not active
        if rule.kind == "complaint":
            since = NOW - p.lookback
            return any(
                t["opened_at"] >= since and (t["category"] in p.categories or t["sentiment"] <= p.max_sentiment)
                for t in tickets
            )
        if rule.kind in ("sla_breach", "sla_imminent"):
            for t in tickets:
                if t["status"] not in ("open", "pending"):
                    continue
                target = policies.sla_target(c["tier"], t["priority"])
                spent = elapsed(c, t["opened_at"])
                for clock in p.targets:
                    running = t["first_response_at"] is None if clock == "first_response" else t["resolved_at"] is None
                    goal = getattr(target, clock)
                    if not running:
                        continue
                    if rule.kind == "sla_breach" and spent > goal:
                        return True
                    if rule.kind == "sla_imminent" and goal * (p.percent_elapsed / 100) < spent <= goal:
                        return True
            return False
        if rule.kind == "usage_drop":
            recent_from = today - dt.timedelta(days=p.window_days)
            base_from = recent_from - dt.timedelta(days=p.baseline_days)
            usage = by_customer["usage_events"].get(cid, [])
            recent = sum(u["quantity"] for u in usage if u["day"] >= recent_from)
            base = sum(u["quantity"] for u in usage if base_from <= u["day"] < recent_from)
            return base > 0 and recent / p.window_days < (1 - p.percent / 100) * base / p.baseline_days
        if rule.kind == "renewal_at_risk":
            rd = c["renewal_date"]
            return (
                rd is not None
                and today <= rd <= today + dt.timedelta(days=p.days)
                and c["health_score"] <= p.max_health
            )
        if rule.kind == "usage_growth":
            recent_from = today - dt.timedelta(days=p.window_days)
            base_from = recent_from - dt.timedelta(days=p.baseline_days)
            usage = [u for u in by_customer["usage_events"].get(cid, []) if u["day"] >= base_from]
            r_sum = sum(u["quantity"] for u in usage if u["day"] >= recent_from)
            b_sum = sum(u["quantity"] for u in usage if u["day"] < recent_from)
            return (
                bool(usage)
                and min(u["day"] for u in usage) <= base_from  # a whole baseline of history
                and b_sum > 0
                and b_sum >= p.min_baseline_daily * p.baseline_days
                and r_sum / p.window_days >= (1 + p.percent / 100) * b_sum / p.baseline_days
            )
        if rule.kind == "health_drop":
            snaps = [h for h in by_customer["health_scores"].get(cid, []) if h["day"] <= today]

            def on_last(limit: dt.date) -> list[dict[str, Any]]:
                days = [h["day"] for h in snaps if h["day"] <= limit]
                return [h for h in snaps if days and h["day"] == max(days)]

            now_rows, then_rows = on_last(today), on_last(today - dt.timedelta(days=p.days))
            if not now_rows or not then_rows:
                return False
            low = min(h["score"] for h in now_rows)
            drop = max(h["score"] for h in then_rows) - low
            return drop >= p.points and (p.max_score is None or low <= p.max_score)
        if rule.kind == "events":
            return event_matches(p, by_customer[p.entity].get(cid, []))
        if rule.kind == "payment_overdue":
            due = [
                o
                for o in by_customer["orders"].get(cid, [])
                if o["paid_at"] is None and o["status"] != "refunded" and o["due_at"] < NOW - dt.timedelta(days=p.days)
            ]
            return bool(due) and sum(o["amount"] for o in due) >= Decimal(str(p.min_amount))
        raise AssertionError(rule.kind)

    def event_matches(p: Any, items: list[dict[str, Any]]) -> bool:
        """The events kind read in plain Python: field tests, window, count and sum."""

        def value(row: dict[str, Any], name: str) -> Any:
            if name == "days_late":
                return ((row["delivered_at"] or NOW) - row["promised_at"]).total_seconds() / 86400
            return row[name]

        def passes(row: dict[str, Any], tests: dict[str, Any]) -> bool:
            for name, t in tests.items():
                v = value(row, name)
                numeric = isinstance(v, int | float) and not isinstance(v, bool)
                if t.in_ is not None and v not in [float(x) if numeric else str(x) for x in t.in_]:
                    return False
                if t.not_in is not None and v in [float(x) if numeric else str(x) for x in t.not_in]:
                    return False
                if t.min is not None and (v is None or v < t.min):
                    return False
                if t.max is not None and (v is None or v > t.max):
                    return False
                if t.is_null is not None and (v is None) != t.is_null:
                    return False
                if t.within is not None and (v is None or v < NOW - t.within):
                    return False
                if t.older_than is not None and (v is None or v >= NOW - t.older_than):
                    return False
            return True

        time_field = EVENT_TIME[p.entity]
        hits = [r for r in items if r[time_field] >= NOW - p.within and passes(r, p.where)]
        if len(hits) < p.min_count:
            return False
        return p.sum is None or sum(value(r, p.sum) for r in hits) >= p.min_sum

    def expect(rule: AlertRule) -> set[int]:
        return {c["id"] for c in rows["customers"] if _in_segment(rule, c) and matches(rule, c)}

    return expect


@pytest.fixture
def double(policies: Policies) -> Iterator[SlackDouble]:
    with SlackDouble("test-secret") as d:
        for s in policies.roles.staff:
            d.add_user(s.id, s.name.split()[0].lower(), tz=s.tz)
        for c in policies.channels.channels:
            d.add_channel(c.id, c.name)
        yield d


@pytest.fixture
def slack(double: SlackDouble) -> tuple[SlackNotifier, SlackNotifier]:
    client = make_client("xoxb-test", double.api_url)
    return SlackNotifier(client), SlackNotifier(client)


@pytest.fixture
def small_book(
    make_db_url: Callable[[str], str],
    templates: Any,  # tests/conftest.py Templates (a conftest cannot import another)
    owners: list[str],
    policies: Policies,
) -> Iterator[Engine]:
    """800 customers, evaluated once (built once per session, copied for each test)."""

    def build(engine: Engine) -> None:
        load(engine, DemoGenerator(800, seed=11, now=NOW, owners=owners))
        evaluate(engine, policies, NOW)

    eng = templates.engine(make_db_url("sqlite"), "alerts-small-book", build)
    yield eng
    eng.dispose()


@pytest.fixture
def book(
    db_url: str,
    templates: Any,  # tests/conftest.py Templates (a conftest cannot import another)
    owners: list[str],
    rows: dict[str, list[dict[str, Any]]],
) -> Iterator[Engine]:
    """The 3,000-customer test book with its extra tickets, on each backend (built once per backend per session,
    copied for each test)."""

    def build(engine: Engine) -> None:
        load(engine, DemoGenerator(N_CUSTOMERS, seed=7, now=NOW, owners=owners))
        with engine.begin() as conn:
            conn.execute(insert(Ticket), rows["extra_tickets"])

    eng = templates.engine(db_url, "alerts-book", build)
    yield eng
    eng.dispose()
