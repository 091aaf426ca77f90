"""Relationship outcomes against hand-computed figures on a planted book (both backends): renewals won and lost,
churn, expansion, GRR/NRR against targets, touches per decision, service recovery, by tier and by whether the
tier's check-in cadence was kept before the decision."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, insert

from bot.customers.outcomes import outcomes
from bot.kpi.charts import render_charts
from bot.kpi.html import render_html
from bot.kpi.metrics import compute
from bot.kpi.outcomes import OUTCOME_HEADER, outcome_rows
from bot.policies import Policies, load_policies
from bot.store.models import Customer, Note, Renewal, Ticket

from .conftest import REPO

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
SINCE = NOW - dt.timedelta(days=7)
D, H = dt.timedelta(days=1), dt.timedelta(hours=1)


def _renewal(cid: int, outcome: str, decided: dt.datetime, before: int, after: int | None) -> dict[str, Any]:
    return {
        "customer_id": cid,
        "source": "crm",
        "outcome": outcome,
        "decided_at": decided,
        "arr_before": Decimal(before),
        "arr_after": Decimal(after) if after is not None else None,
    }


def _note(cid: int, kind: str, at: dt.datetime) -> dict[str, Any]:
    return {"customer_id": cid, "kind": kind, "body": "-", "created_at": at}


def _complaint(tid: int, cid: int, cat: str, opened: dt.datetime, hours: float) -> dict[str, Any]:
    return {
        "id": tid,
        "customer_id": cid,
        "subject": "s",
        "priority": "P2",
        "status": "closed",
        "category": cat,
        "opened_at": opened,
        "resolved_at": opened + hours * H,
    }


def seed(engine: Engine) -> None:
    tiers = {1: "platinum", 2: "gold", 3: "gold", 4: "bronze", 5: "gold"}
    with engine.begin() as conn:
        conn.execute(
            insert(Customer),
            [
                {"id": c, "name": f"Customer {c}", "tier": t, "region": "na", "merged_into_id": None}
                for c, t in tiers.items()
            ],
        )
        conn.execute(
            insert(Renewal),
            [
                _renewal(1, "renewed", NOW - 1 * D, 1_000_000, 1_200_000),  # platinum, cadence (14 d) kept
                _renewal(2, "churned", NOW - 2 * D, 100_000, None),  # gold, last touch 40 days before: lapsed
                _renewal(3, "renewed", NOW - 3 * D, 100_000, 80_000),  # gold, touch 10 days before: kept
                _renewal(4, "renewed", NOW - 4 * D, 10_000, 10_000),  # bronze: no cadence promised
                _renewal(5, "churned", NOW - 20 * D, 50_000, None),  # decided before the window
            ],
        )
        conn.execute(
            insert(Note),
            [
                _note(1, "call", NOW - 6 * D),
                _note(1, "meeting", NOW - 61 * D),  # a business review within the year
                _note(1, "meeting", NOW - 400 * D),  # more than a year before: not counted
                _note(2, "email", NOW - 42 * D),
                _note(3, "call", NOW - 13 * D),
                _note(3, "note", NOW - 4 * D),  # an internal note is not a touch
                _note(1, "call", NOW),  # after the decision: not counted for it
            ],
        )
        conn.execute(
            insert(Ticket),
            [
                _complaint(1, 1, "complaint", NOW - 3 * D, 6),  # platinum, touched 3 days before: kept
                _complaint(2, 2, "cancellation_request", NOW - 2 * D, 30),  # gold, lapsed
                _complaint(3, 3, "question", NOW - 2 * D, 1),  # not a complaint
                _complaint(4, 1, "complaint", NOW - 9 * D, 2),  # resolved before the window
            ],
        )


@pytest.fixture
def policies() -> Policies:
    return load_policies(REPO / "playbooks" / "policies")


def test_outcomes_by_tier_and_depth(engine: Engine, policies: Policies) -> None:
    seed(engine)
    o = outcomes(engine, policies, SINCE, NOW)
    tier = {r.group: r for r in o.by_tier}
    assert list(tier) == ["platinum", "gold", "bronze"]
    plat, gold, bronze = tier["platinum"], tier["gold"], tier["bronze"]
    assert (plat.renewed, plat.churned, plat.expansion, plat.nrr, plat.grr) == (1, 0, 200_000, 1.2, 1.0)
    assert (plat.touches, plat.reviews, plat.recovery_hours) == (2, 1, 6.0)
    assert (gold.renewed, gold.churned, gold.churn_rate, gold.expansion) == (1, 1, 0.5, -120_000)
    assert gold.nrr == pytest.approx(0.4) and gold.grr == pytest.approx(0.4)
    assert (gold.touches_per_decision, gold.recovery_hours) == (1.0, 30.0)
    assert (bronze.decided, bronze.nrr, bronze.recovery_hours) == (1, 1.0, None)
    depth = {r.group: r for r in o.by_depth}
    assert set(depth) == {"platinum / kept", "gold / kept", "gold / lapsed", "bronze / no cadence"}
    assert (depth["gold / lapsed"].churned, depth["gold / lapsed"].recovery_hours) == (1, 30.0)
    assert (depth["gold / kept"].renewed, depth["gold / kept"].churned) == (1, 0)
    rows = {r[0]: r for r in outcome_rows(o, o.by_tier)}
    assert rows["gold"][OUTCOME_HEADER.index("NRR")] == "40% (110%)"  # against tiers.yaml's target
    assert rows["platinum"][OUTCOME_HEADER.index("Expansion")] == "+$200,000"


def test_report_page_carries_outcomes_and_chart(engine: Engine, policies: Policies) -> None:
    seed(engine)
    o = outcomes(engine, policies, SINCE, NOW)
    k = compute(engine, SINCE, NOW, tiers=policies.tier_names)
    charts = render_charts(k, None, None, o)
    assert "kpi-outcomes.png" in [c.filename for c in charts]
    page = render_html(k, charts, outcomes=o)
    assert "Relationship outcomes by tier" in page and "gold / lapsed" in page and "40% (110%)" in page
