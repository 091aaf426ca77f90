"""A small hand-built book with hand-computed KPI figures (see the comments on each row), on both backends."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert

from bot.alerts.models import Alert
from bot.approvals.models import ApprovalRequest
from bot.notify import RecordingNotifier
from bot.policies import load_policies
from bot.services import Services
from bot.settings import Settings
from bot.store.db import make_session_factory
from bot.store.models import Customer, Ticket

REPO = Path(__file__).resolve().parents[3]
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)  # a Monday
D, H, M = dt.timedelta(days=1), dt.timedelta(hours=1), dt.timedelta(minutes=1)


def _ticket(
    tid: int, cid: int, prio: str, cat: str, opened: dt.datetime, resolved: dt.datetime | None
) -> dict[str, Any]:
    return {
        "id": tid,
        "customer_id": cid,
        "subject": f"{cat} report",
        "priority": prio,
        "status": "closed" if resolved else "open",
        "category": cat,
        "opened_at": opened,
        "first_response_at": opened + 10 * M,
        "resolved_at": resolved,
    }


def _alert(
    aid: int, tier: str, urgent: bool, created: dt.datetime, acked: dt.datetime | None = None, **kw: Any
) -> dict[str, Any]:
    return {
        "id": aid,
        "rule": "usage-drop",
        "kind": "usage_drop",
        "customer_id": 1,
        "tier": tier,
        "severity": "high" if urgent else "low",
        "urgent": urgent,
        "state": "acked" if acked else "open",
        "created_at": created,
        "last_seen_at": created,
        "acked_at": acked,
        "acked_by": "U0AM00001" if acked else None,
        "escalated_at": None,  # every row names every column: a multi-row insert takes its keys from the first
        **kw,
    }


def _request(rid: int, state: str, created: dt.datetime, decided: dt.datetime | None) -> dict[str, Any]:
    return {
        "id": rid,
        "request_type": "discount",
        "customer_name": "Customer 1",
        "justification": "renewal",
        "requester": "U0AM00001",
        "rule": "standard-discount" if state == "auto_approved" else "manager-discount",
        "policy_version": "v1",
        "steps": [],
        "state": state,
        "created_at": created,
        "decided_at": decided,
    }


def seed_book(engine: Engine) -> None:
    customers = [
        (1, "platinum", None),
        (2, "gold", None),
        (3, "gold", None),
        (4, "bronze", 2),  # a duplicate merged into customer 2: its tickets count for gold, it is not a customer
        (5, "silver", None),
        (6, "bronze", None),
    ]
    tickets = [
        _ticket(1, 1, "P1", "question", NOW - 3 * D, NOW - 3 * D + 10 * H),  # platinum 10 h, FCR
        _ticket(2, 1, "P2", "bug", NOW - 5 * D, NOW - 5 * D + 4 * H),  # platinum 4 h, repeated by #3: not FCR
        _ticket(3, 1, "P3", "bug", NOW - 2 * D, None),  # still open: not handled
        _ticket(4, 2, "P3", "billing", NOW - 6 * D, NOW - 6 * D + 2 * H),  # gold 2 h, FCR
        _ticket(5, 4, "P4", "question", NOW - 4 * D, NOW - 4 * D + 6 * H),  # gold (via merge) 6 h, FCR
        _ticket(6, 4, "P4", "question", NOW + H, None),  # opened after the window: not seen as a repeat
        _ticket(7, 3, "P2", "outage", NOW - 10 * D, NOW - D),  # gold 216 h, FCR (#8 was opened before it)
        _ticket(8, 3, "P2", "outage", NOW - 12 * D, NOW - 8 * D),  # resolved before the window
        _ticket(9, 6, "P4", "question", NOW - D, NOW - D + H),  # bronze 1 h, FCR (#10 is another category)
        _ticket(10, 6, "P4", "bug", NOW - 12 * H, None),
    ]
    alerts = [
        _alert(1, "platinum", True, NOW - 2 * D, NOW - 2 * D + 30 * M),
        _alert(2, "platinum", False, NOW - D),
        _alert(3, "gold", True, NOW - 3 * D, NOW - 3 * D + 90 * M, escalated_at=NOW - 3 * D + H),
        _alert(4, "gold", False, NOW - 5 * D, NOW - 5 * D + 10 * M),
        _alert(5, "gold", False, NOW - 6 * D, NOW - 6 * D + 50 * M),
        _alert(6, "gold", True, NOW - H, NOW + H),  # acked after the window closed: unacked in it
        _alert(7, "silver", False, NOW - 10 * D, NOW - 10 * D + M),  # before the window
    ]
    requests = [
        _request(1, "auto_approved", NOW - 2 * D, NOW - 2 * D),
        _request(2, "auto_approved", NOW - 3 * D, NOW - 3 * D),
        _request(3, "approved", NOW - 4 * D, NOW - 3 * D),  # 24 h
        _request(4, "rejected", NOW - 6 * D, NOW - 6 * D + 36 * H),  # 36 h
        _request(5, "pending", NOW - D, None),
        _request(6, "approved", NOW - 10 * D, NOW - 6 * D),  # created before, decided in the window: 96 h
    ]
    with engine.begin() as conn:
        conn.execute(
            insert(Customer),
            [
                {"id": cid, "name": f"Customer {cid}", "tier": tier, "region": "na", "merged_into_id": None}
                for cid, tier, _ in customers
            ],
        )
        for cid, _, golden in customers:
            if golden:
                conn.execute(Customer.__table__.update().where(Customer.id == cid).values(merged_into_id=golden))
        conn.execute(insert(Ticket), tickets)
        conn.execute(insert(Alert), alerts)
        conn.execute(insert(ApprovalRequest), requests)


@pytest.fixture
def book(engine: Engine) -> Engine:
    seed_book(engine)
    return engine


def services_for(engine: Engine, clock: Callable[[], dt.datetime] = lambda: NOW) -> Services:
    return Services(
        settings=Settings(playbooks_dir=REPO / "playbooks"),
        engine=engine,
        sessions=make_session_factory(engine),
        policies=load_policies(REPO / "playbooks" / "policies"),
        notifier=RecordingNotifier(),
        clock=clock,
    )


@pytest.fixture
def services(book: Engine) -> Services:
    return services_for(book)
