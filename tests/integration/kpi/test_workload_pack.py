"""Owner workload and the kpis-per-tier.md pack against hand-computed figures on a planted book (both backends):
accounts against cap, hand-offs, escalations, pages out of hours in the owner's zone, SLA breaches; SLA met, FCR
as the playbook defines it, cost to serve as a share of ARR, last period and trend, promises broken; the flags go
to the leads by DM and never to the digest's channel."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, insert, update

from bot.alerts.models import Alert, AlertOutbox
from bot.approvals.models import ApprovalRequest
from bot.ask.models import HandoffRecord, QuestionLog
from bot.channels.models import Conversation
from bot.kpi import digest
from bot.kpi.pack import pack
from bot.kpi.workload import flag_to_leads, owner_workload, workload_report
from bot.notify import RecordingNotifier
from bot.services import Services
from bot.slack.views import render
from bot.store.models import Customer, SurveyResponse, Ticket

from .conftest import services_for

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)  # a Monday: the window is 16-23 November
SINCE = NOW - dt.timedelta(days=7)
D, H, M = dt.timedelta(days=1), dt.timedelta(hours=1), dt.timedelta(minutes=1)
UTC = dt.UTC


def _utc(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, tzinfo=UTC)


def _customers() -> list[dict[str, Any]]:
    rows = [  # 9 platinum for Priya (cap 8), 2 gold for Marcus (cap 25), 1 bronze for someone not on the roster
        {"id": i, "tier": "platinum", "arr": 1_000_000, "owner": "U0AMPLAT"} for i in range(1, 10)
    ]
    rows += [{"id": 10, "tier": "gold", "arr": 100_000, "owner": "U0AMGOLD"}]
    rows += [{"id": 11, "tier": "gold", "arr": 100_000, "owner": "U0AMGOLD"}]
    rows += [{"id": 12, "tier": "bronze", "arr": 0, "owner": "U0NOBODY1"}]
    rows += [{"id": 13, "tier": "gold", "arr": 50_000, "owner": "U0AMGOLD"}]  # merged into 10: not an account
    return [
        {
            "id": r["id"],
            "name": f"Customer {r['id']}",
            "tier": r["tier"],
            "region": "na",
            "arr": Decimal(str(r["arr"])),
            "owner_slack_id": r["owner"],
            "merged_into_id": None,
        }
        for r in rows
    ]


def _ticket(tid: int, cid: int, prio: str, opened: dt.datetime, first: dt.timedelta | None, res: dt.timedelta,
            replies: int | None, reopen: dt.timedelta | None = None) -> dict[str, Any]:  # fmt: skip
    return {
        "id": tid,
        "customer_id": cid,
        "subject": "s",
        "priority": prio,
        "status": "closed",
        "category": "question",
        "opened_at": opened,
        "first_response_at": opened + first if first is not None else None,
        "resolved_at": opened + res,
        "agent_replies": replies,
        "reopened_at": opened + res + reopen if reopen is not None else None,
    }


TICKETS = [
    # platinum (24x7; P1 15m/4h, P2 30m/8h): FR met 2 of 4, resolution met 3 of 4, FCR 1 of 3 known
    _ticket(1, 1, "P1", NOW - 3 * D, 10 * M, 3 * H, 1),  # both met, FCR
    _ticket(2, 2, "P1", NOW - 2 * D, 20 * M, 5 * H, 1, reopen=2 * D),  # both missed; reopened in 7 days
    _ticket(3, 3, "P2", NOW - 4 * D, 10 * M, 6 * H, 3),  # both met; three agent replies: not FCR
    _ticket(4, 4, "P2", NOW - 5 * D, None, 1 * H, None),  # no first response: missed; FCR unknown
    # gold (24x7; P3 4h/3d): all met, FCR 2 of 2 (a reopen after 8 days is not within 7)
    _ticket(5, 10, "P3", NOW - 3 * D, 10 * M, 2 * H, 1, reopen=8 * D),
    _ticket(6, 13, "P3", NOW - 2 * D, 10 * M, 1 * H, 1),  # the merged duplicate's ticket counts for gold
    # the previous week: platinum met both and FCR
    _ticket(7, 5, "P1", NOW - 10 * D, 5 * M, 2 * H, 1),
]


def _survey(cid: int, survey: str, score: int, at: dt.datetime) -> dict[str, Any]:
    return {"customer_id": cid, "survey": survey, "score": score, "responded_at": at}


SURVEYS = [
    # platinum NPS this week: 10, 9 promoters, 8 passive, 3 and 6 detractors: (2 - 2) / 5 = 0; CSAT 5 and 4: 4.5
    *(_survey(i, "nps", score, NOW - 2 * D) for i, score in ((1, 10), (2, 9), (3, 8), (4, 3), (5, 6))),
    _survey(6, "csat", 5, NOW - D),
    _survey(7, "CSAT", 4, NOW - 3 * D),  # the survey's name as the export spelled it
    # gold: the merged duplicate's promoter counts for gold (1 of 1: +100); last week 0 of 1 (a detractor: -100)
    _survey(13, "nps", 9, NOW - D),
    _survey(10, "nps", 2, NOW - 9 * D),
]


def _alert(aid: int, rule: str, recipient: str, created: dt.datetime, **kw: Any) -> dict[str, Any]:
    return {
        "id": aid,
        "rule": rule,
        "kind": rule,
        "customer_id": 1,
        "tier": "gold",
        "severity": "high",
        "urgent": True,
        "state": "open",
        "created_at": created,
        "last_seen_at": created,
        "recipient": recipient,
        "acked_at": kw.get("acked_at"),
        "escalated_at": kw.get("escalated_at"),
    }


ALERTS = [
    _alert(1, "sla-breach", "U0AMGOLD", NOW - 2 * D, escalated_at=NOW - 2 * D + 2 * H),
    _alert(2, "sla-breach", "U0AMGOLD", NOW - 3 * D),
    _alert(3, "usage-drop", "U0AMGOLD", NOW - 4 * D, acked_at=NOW - 4 * D + H),
    _alert(4, "usage-drop", "U0AMPLAT", NOW - D),
    _alert(5, "usage-drop", "U0AMGOLD", NOW - 9 * D, escalated_at=NOW - 9 * D + H),  # before the window
]

# Marcus is in America/Chicago (UTC-6 in November); quiet hours 20:00-07:30 local
PAGES = [
    ("U0AMGOLD", "alert", _utc(17, 4)),  # 22:00 Mon 16: night of the 16th
    ("U0AMGOLD", "escalation", _utc(18, 8)),  # 02:00 Wed 18: night of the 17th
    ("U0AMGOLD", "alert", _utc(19, 3)),  # 21:00 Wed 18: night of the 18th
    ("U0AMGOLD", "reminder", _utc(19, 9)),  # 03:00 Thu 19: the same night of the 18th
    ("U0AMGOLD", "alert", _utc(21, 2)),  # 20:00 Fri 20: night of the 20th
    ("U0AMGOLD", "alert", _utc(20, 18)),  # 12:00 Fri 20: in hours
    ("U0AMGOLD", "digest", _utc(21, 3)),  # a digest is not a page
    ("U0AMGOLD", "alert", _utc(15, 4)),  # before the window
    ("C0ACCTALRT", "alert", _utc(19, 4)),  # a channel: nobody's night
    ("U0AMPLAT", "alert", _utc(18, 12)),  # 12:00 in London: in hours
]


def _conversation(cid: int, owner: str, started: dt.datetime, answered: dt.timedelta | None) -> dict[str, Any]:
    return {
        "channel_id": f"C0SHARED{cid}",
        "customer_id": cid,
        "thread_ts": f"{cid}.0001",
        "open_key": None,
        "started_ts": f"{cid}.0001",
        "author": "W0CUSTOMER",
        "owner": owner,
        "tier": "gold",
        "priority": "P2",
        "coverage": "24x7",
        "target_seconds": 3600,
        "started_at": started,
        "nudge_at": started + 30 * M,
        "due_at": started + H,
        "first_response_at": started + answered if answered else None,
        "response_seconds": int(answered.total_seconds()) if answered else None,
        "last_customer_at": started,
        "last_activity_at": started,
    }


def _handoff(hid: int, tag: str, state: str, claimed_by: str | None = None) -> dict[str, Any]:
    return {
        "id": hid,
        "question_id": 1,
        "kind": "person",
        "requester": "U0SUPAGT1",
        "tier": "gold",
        "channel": "C0SUPPORT",
        "tag": tag,
        "state": state,
        "created_at": NOW - 2 * D,
        "due_at": NOW - D,
        "claimed_by": claimed_by,
    }


def _special(rid: int, tier: str, amount: int, decided: dt.datetime) -> dict[str, Any]:
    return {
        "id": rid,
        "request_type": "special_handling",
        "customer_name": "Customer 1",
        "tier": tier,
        "amount": Decimal(amount),
        "justification": "expedite",
        "requester": "U0AMPLAT",
        "rule": "special-handling",
        "policy_version": "v1",
        "steps": [],
        "state": "approved",
        "created_at": decided - H,
        "decided_at": decided,
    }


def seed(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(Customer), _customers())
        conn.execute(update(Customer).where(Customer.id == 13).values(merged_into_id=10))
        conn.execute(insert(Ticket), TICKETS)
        conn.execute(insert(Alert), ALERTS)
        conn.execute(
            insert(AlertOutbox),
            [
                {"recipient": r, "kind": k, "body": {}, "state": "sent", "sent_at": at, "next_attempt_at": at}
                for r, k, at in PAGES
            ],
        )
        conn.execute(
            insert(QuestionLog),
            [{"id": 1, "asker": "U0SUPAGT1", "question": "q", "answered": False, "confidence": 0.1}],
        )
        conn.execute(
            insert(HandoffRecord),
            [
                _handoff(1, "U0AMGOLD", "open"),
                _handoff(2, "S0ACCTMGRS", "claimed", "U0AMGOLD"),
                _handoff(3, "U0AMGOLD", "resolved", "U0AMGOLD"),  # closed: not open
                _handoff(4, "U0AMGOLD", "claimed", "U0SUPLEAD"),  # someone else took it
            ],
        )
        conn.execute(
            insert(Conversation),
            [
                _conversation(10, "U0AMGOLD", NOW - 3 * D, None),  # never answered: breached
                _conversation(11, "U0AMGOLD", NOW - 2 * D, 20 * M),  # answered in time
                _conversation(12, "U0AMGOLD", NOW - 9 * D, None),  # started before the window
            ],
        )
        conn.execute(
            insert(ApprovalRequest),
            [_special(1, "platinum", 5000, NOW - 2 * D), _special(2, "platinum", 7000, NOW - 9 * D)],
        )
        conn.execute(insert(SurveyResponse), SURVEYS)


@pytest.fixture
def services(engine: Engine) -> Services:
    seed(engine)
    return services_for(engine)


def test_workload_per_owner_matches_the_hand_count(services: Services) -> None:
    w = owner_workload(services.engine, services.policies, SINCE, NOW)
    by = {o.owner: o for o in w.owners}
    assert set(by) == {"U0AMPLAT", "U0AMGOLD", "U0NOBODY1", "U0SUPLEAD"}
    marcus, priya, nobody = by["U0AMGOLD"], by["U0AMPLAT"], by["U0NOBODY1"]
    assert marcus.accounts == {"gold": 2} and priya.accounts == {"platinum": 9}
    figures = (marcus.open_handoffs, marcus.escalations, marcus.alerts, marcus.pages, marcus.sla_breaches)
    assert figures == (2, 1, 3, 6, 1)
    assert (marcus.pages_out_of_hours, marcus.out_of_hours_days) == (5, 4)
    assert (priya.pages, priya.pages_out_of_hours, priya.alerts) == (1, 0, 1)
    assert by["U0SUPLEAD"].open_handoffs == 1
    assert not nobody.on_roster and nobody.name == "U0NOBODY1"
    assert priya.over_capacity == {"platinum": (9, 8)} and marcus.over_capacity == {}
    assert w.reasons(priya) == ["9 platinum accounts against a cap of 8"]
    assert w.reasons(marcus) == ["paged out of hours on 4 of 7 days (5 pages)"]
    assert [o.owner for o in w.flagged] == ["U0AMPLAT", "U0AMGOLD"]
    # one night fewer is not "most days": 3 of 7
    w3 = owner_workload(services.engine, services.policies, SINCE, _utc(20, 12), "U0AMGOLD")
    assert w3.owners[0].out_of_hours_days == 3 and w3.days == 4 and w3.flagged  # 3 of 4 days is most
    w2 = owner_workload(services.engine, services.policies, _utc(18, 12), NOW, "U0AMGOLD")
    assert (w2.owners[0].out_of_hours_days, w2.days) == (2, 5) and not w2.flagged


def test_flags_go_to_the_leads_by_dm_only(services: Services) -> None:
    w = owner_workload(services.engine, services.policies, SINCE, NOW)
    flag_to_leads(services, w)
    rec = services.notifier
    assert isinstance(rec, RecordingNotifier)
    assert sorted(m.channel for _, m in rec.sent) == ["U0CSLEAD", "U0VPCX"]  # the cs_lead roles, never a channel
    text = rec.sent[0][1].text
    assert "Priya Raman: 9 platinum accounts against a cap of 8" in text
    assert "Marcus Okafor: paged out of hours on 4 of 7 days" in text


def test_slash_workload_own_and_others(services: Services) -> None:
    mine = workload_report(services, "U0AMGOLD", "")
    assert mine.refused is None and "Marcus Okafor" in mine.table and "gold 2/25" in mine.table
    assert mine.flags == ("Marcus Okafor: paged out of hours on 4 of 7 days (5 pages)",)
    assert workload_report(services, "U0AMGOLD", "<@U0AMPLAT|priya>").refused  # not their lead
    lead = workload_report(services, "U0CSLEAD", "<@U0AMPLAT|priya>")
    assert "platinum 9/8" in lead.table and lead.flags == ("Priya Raman: 9 platinum accounts against a cap of 8",)
    assert "Marcus Okafor" in workload_report(services, "U0CSLEAD", "@marcus").table
    assert workload_report(services, "U0CSLEAD", "@nobody-here").refused
    blocks = render(lead)
    assert any("Burnout-risk" in b.get("text", {}).get("text", "") for b in blocks)


def test_pack_figures_against_targets_and_last_week(services: Services) -> None:
    p = pack(services.engine, services.policies, SINCE, NOW)
    by = {t.tier: t for t in p.tiers}
    plat, gold = by["platinum"], by["gold"]
    assert (plat.closed, plat.first_response_met, plat.resolution_met, plat.fcr, plat.fcr_known) == (4, 2, 3, 1, 3)
    assert (gold.closed, gold.first_response_met, gold.resolution_met, gold.fcr, gold.fcr_known) == (2, 2, 2, 2, 2)
    assert p.fcr_unknown == 1
    assert plat.median_resolution_hours == pytest.approx(4.0) and gold.median_resolution_hours == pytest.approx(1.5)
    # cost to serve: support 2 P1 x 6 h + 2 P2 x 3 h at $60, 9 accounts x $150k / 8 per owner for 7 days, $5,000
    # approved special handling in the window; over 9 x $1M ARR for 7 days
    cost = (18 * 60) + 9 * 150_000 / 8 * 7 / 365 + 5000
    assert plat.cost_to_serve == pytest.approx(cost / (9_000_000 * 7 / 365))
    figs = {f.label: f for f in p.of("platinum")}
    fr = figs["First-response SLA met"]
    assert (fr.value, fr.target, fr.previous, fr.trend, fr.missed) == (0.5, 0.98, 1.0, "↓", True)
    assert figs["First-contact resolution"].value == pytest.approx(1 / 3)
    assert not {f.label: f for f in p.of("gold")}["Resolution SLA met"].missed
    assert "platinum resolution is no faster than gold (median 4.0 h vs 1.5 h)" in p.broken
    assert "platinum first-contact resolution is no better than gold (33% vs 100%)" in p.broken
    assert [(r.rule, r.alerts, r.acked) for r in p.rules] == [("sla-breach", 2, 0), ("usage-drop", 2, 1)]
    # what customers said: the playbook's NPS and CSAT against the tier's targets (was: not in the pack)
    nps = figs["NPS"]
    assert (nps.value, nps.target, nps.previous, nps.missed) == (0.0, 50, None, True)
    assert (figs["CSAT (1-5)"].value, figs["CSAT (1-5)"].target) == (4.5, 4.6)
    gold_nps = {f.label: f for f in p.of("gold")}["NPS"]
    assert (gold_nps.value, gold_nps.previous, gold_nps.trend, gold_nps.missed) == (100.0, -100.0, "↑", False)
    assert {f.label: f for f in p.of("gold")}["CSAT (1-5)"].value is None  # no CSAT answer: no figure, not 0


def test_weekly_digest_goes_to_leadership_with_pack_workload_and_charts(services: Services) -> None:
    posted = digest.run_weekly(dataclasses.replace(services, clock=lambda: NOW))
    assert posted is not None
    rec = services.notifier
    assert isinstance(rec, RecordingNotifier)
    channel_posts = [m for _, m in rec.sent if m.channel.startswith("C")]
    dms = sorted(m.channel for _, m in rec.sent if m.channel.startswith("U"))
    (msg,) = channel_posts
    assert msg.channel == "C0CSLEADS"  # tiers.yaml reporting.leadership_channel, not the approvals channel
    assert dms == ["U0CSLEAD", "U0VPCX"]
    text = "\n".join(b.get("text", {}).get("text", "") for b in render(msg.view))
    assert "Per tier against target" in text and "Owner workload" in text and "Promises not kept" in text
    assert "50% (target 98%, was 100% ↓) !" in text
    assert "+0 (target +50) !" in text and "4.5 (target 4.6) !" in text and "+100 (target +45, was -100 ↑)" in text
    assert "Burnout" not in text and "cap of 8" not in text  # the flags are for the leads only
    (up,) = rec.uploads
    names = [f.filename for f in up.files]
    assert "kpi-workload.png" in names and "kpi-sla-targets.png" in names


def test_slash_command_listener_answers_only_the_asker(services: Services) -> None:
    from bot.slack.commands import Commands
    from bot.slack.inbound import Command
    from bot.slack.listeners.workload import workload
    from bot.slack.wiring import Rapport

    out = RecordingNotifier()
    r = Rapport(services, out, Commands())  # type: ignore[arg-type]
    workload(r, Command("U0CSLEAD", "C0CSLEADS", "workload", "<@U0AMGOLD|marcus>", None, None, "T0"))
    ((_, msg),) = out.sent
    assert msg.ephemeral_user == "U0CSLEAD" and msg.channel == "C0CSLEADS"
    text = "\n".join(b.get("text", {}).get("text", "") for b in render(msg.view))
    assert "Marcus Okafor" in text and "gold 2/25" in text and "4 of 7 days" in text
