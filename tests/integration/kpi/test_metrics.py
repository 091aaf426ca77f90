"""KPI figures on a hand-built book equal the values computed by hand (see conftest), on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from bot.approvals.figures import EXCEPTION, STANDARD
from bot.kpi.metrics import compute, window

from .conftest import NOW

TIERS = ("platinum", "gold", "silver", "bronze")


def test_service_by_tier(book: Engine) -> None:
    k = compute(book, *window(NOW, 7), tiers=TIERS)
    by = {t.tier: t for t in k.service}
    assert [t.tier for t in k.service] == list(TIERS)
    plat, gold, silver, bronze = by["platinum"], by["gold"], by["silver"], by["bronze"]
    assert (plat.customers, gold.customers, silver.customers, bronze.customers) == (1, 2, 1, 1)
    assert (plat.tickets_resolved, gold.tickets_resolved, silver.tickets_resolved, bronze.tickets_resolved) == (
        2,
        3,
        0,
        1,
    )
    # effort: P1 6 + P2 3 = 9 h; gold P3 1.5 + P4 0.75 + P2 3 = 5.25 h; bronze P4 0.75 h; at 60 USD/h
    assert plat.handling_hours == pytest.approx(9.0)
    assert gold.handling_hours == pytest.approx(5.25)
    assert plat.cost_per_customer == pytest.approx(540.0)
    assert gold.cost_per_customer == pytest.approx(157.5)
    assert silver.cost_per_customer == 0.0
    assert bronze.cost_per_customer == pytest.approx(45.0)
    assert plat.median_resolution_hours == pytest.approx(7.0, abs=1e-3)
    assert gold.median_resolution_hours == pytest.approx(6.0, abs=1e-3)
    assert gold.mean_resolution_hours == pytest.approx((2 + 6 + 216) / 3, abs=1e-3)
    assert bronze.median_resolution_hours == pytest.approx(1.0, abs=1e-3)
    assert silver.median_resolution_hours is None
    assert (plat.fcr_rate, gold.fcr_rate, silver.fcr_rate, bronze.fcr_rate) == (0.5, 1.0, None, 1.0)
    assert k.tickets_resolved == 6
    assert k.fcr_rate == pytest.approx(5 / 6)
    assert k.cost_usd == pytest.approx((9 + 5.25 + 0.75) * 60)


def test_alert_ack_rates(book: Engine) -> None:
    k = compute(book, *window(NOW, 7), tiers=TIERS)
    by = {a.tier: a for a in k.alerts}
    assert list(by) == ["platinum", "gold"]  # silver's only alert is older than the window
    plat, gold = by["platinum"], by["gold"]
    assert (plat.alerts, plat.acked, plat.urgent, plat.urgent_acked, plat.escalated) == (2, 1, 1, 1, 0)
    assert (gold.alerts, gold.acked, gold.urgent, gold.urgent_acked, gold.escalated) == (4, 3, 2, 1, 1)
    assert plat.median_minutes_to_ack == pytest.approx(30.0, abs=0.1)
    assert gold.median_minutes_to_ack == pytest.approx(50.0, abs=0.1)
    assert k.ack_rate == pytest.approx(4 / 6)
    assert k.urgent_ack_rate == pytest.approx(2 / 3)


def test_approval_pathways(book: Engine) -> None:
    k = compute(book, *window(NOW, 7))
    std, exc = k.pathway(STANDARD), k.pathway(EXCEPTION)
    assert std is not None and exc is not None
    assert (std.requests, std.decided, std.approved) == (2, 2, 2)
    assert std.median_turnaround_hours == pytest.approx(0.0, abs=1e-3)
    assert (exc.requests, exc.decided, exc.approved) == (3, 3, 2)
    assert exc.median_turnaround_hours == pytest.approx(36.0, abs=1e-3)
    assert exc.mean_turnaround_hours == pytest.approx((24 + 36 + 96) / 3, abs=1e-3)
    assert k.exception_rate == pytest.approx(0.6)


def test_a_longer_window_takes_in_older_rows(book: Engine) -> None:
    k = compute(book, *window(NOW, 14), tiers=TIERS)
    gold = next(t for t in k.service if t.tier == "gold")
    assert gold.tickets_resolved == 4  # ticket 8, resolved 8 days ago, now counts
    assert {a.tier for a in k.alerts} == {"platinum", "gold", "silver"}


def test_empty_window_is_refused(book: Engine) -> None:
    with pytest.raises(ValueError):
        compute(book, NOW, NOW)
