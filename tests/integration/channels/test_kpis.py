"""Conversation KPIs (first-response time, breach rate, per tier and per owner) against a hand count, and their
section in the weekly digest."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.kpi.conversations import conversation_kpis
from bot.kpi.digest import KpiDigest
from bot.kpi.metrics import compute
from bot.services import Services
from bot.slack.views import render

from .conftest import NOW, Channel

M, H = dt.timedelta(minutes=1), dt.timedelta(hours=1)


def test_first_response_and_breach_rate_per_tier_and_owner(
    services: Services, channel: Callable[[str], Channel]
) -> None:
    acme, globex = channel("C0EXTACME"), channel("C0EXTGLOBEX")  # platinum P3 2h; gold P1 30m
    t0 = NOW - 6 * H
    a1, _ = acme.customer("Please confirm the SSO certificate date", t0)
    acme.staff("Confirmed: 12 May", t0 + 10 * M, thread=a1)  # 10 min: in time
    a2, _ = acme.customer("Can we get the February usage export?", t0 + H)
    acme.staff("Attached", t0 + 4 * H, thread=a2)  # 180 min against 120: breached
    acme.customer("Question about seat counts on the invoice", NOW - H)  # waiting 60 of 120 min: not breached yet
    globex.customer("Our import is down", NOW - 2 * H)  # P1, unanswered for 2h against 30m: breached
    g2, _ = globex.customer("Sorry, wrong channel", NOW - 30 * M)  # another conversation (30 min later)...
    globex.tracker.deleted("C0EXTGLOBEX", g2)  # ...withdrawn: not counted
    k = conversation_kpis(services.engine, NOW - dt.timedelta(days=7), NOW, tiers=services.policies.tier_names)
    platinum, gold = k.by_tier
    assert (platinum.group, platinum.conversations, platinum.answered, platinum.breached) == ("platinum", 3, 2, 1)
    assert platinum.median_minutes == 95.0 and platinum.p90_minutes == 180.0
    assert abs((platinum.breach_rate or 0) - 1 / 3) < 1e-9
    assert (gold.group, gold.conversations, gold.answered, gold.breached, gold.median_minutes) == (
        "gold",
        1,
        0,
        1,
        None,
    )
    assert [(r.group, r.conversations, r.breached) for r in k.by_owner] == [("U0AMPLAT", 3, 1), ("U0AMGOLD", 1, 1)]
    assert (k.conversations, k.breached) == (4, 2)
    # The digest's own section
    digest = KpiDigest("Weekly KPI digest", compute(services.engine, NOW - dt.timedelta(days=7), NOW), (), k)
    text = "\n".join(b.get("text", {}).get("text", "") for b in render(digest) if b.get("type") == "section")
    assert "Customer channels: first response by tier" in text and "by owner" in text
    assert "platinum" in text and "95 min" in text and "33%" in text and "U0AMPLAT" in text
