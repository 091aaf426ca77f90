from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from bot.ask.compose import ExtractiveWriter
from bot.ask.policy import (
    alert_delivery_finding,
    asks_delivery,
    escalation_by_severity,
    escalation_by_tier,
    escalation_finding,
    is_policy_question,
    promises_finding,
    sla_by_tier,
    sla_finding,
    told_open,
)
from bot.ask.slots import read_slots
from bot.customers.card import CustomerCard, TicketLine
from bot.customers.sla import business_elapsed, human, sla_clock
from bot.policies import Policies, load_policies
from retrieval import Passage

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def policies() -> Policies:
    return load_policies(REPO / "playbooks" / "policies")


def passage(text: str, heading: str = "Doc > Section", path: str = "a.md") -> Passage:
    return Passage(path, heading, 1, 10, "Doc", "U0KBOWNER", "1", (), (), 1.0, text)


def test_extractive_writer_picks_the_answering_sentence_and_cites() -> None:
    p1 = passage("Discounts up to 10% need no approval. Above 20% the deal desk and finance approve. Lunch is at noon.")
    p2 = passage("Unrelated text about onboarding kickoff meetings.", path="b.md")
    draft = ExtractiveWriter(max_units=1).write("who approves a discount above 20%?", [p1, p2])
    assert "deal desk" in draft.text and "Lunch" not in draft.text
    assert draft.text.endswith("[1]") and draft.citations[0].path == "a.md"


def test_policy_question_detection() -> None:
    assert is_policy_question("who do I escalate a P1 to?")
    assert is_policy_question("is the SLA breached for Acme")
    assert not is_policy_question("what is our onboarding kickoff agenda")


def test_sla_finding_states_the_yaml_numbers(policies: Policies) -> None:
    f = sla_finding(policies, "gold", "P1")
    target = policies.sla_target("gold", "P1")
    assert human(target.first_response) in f.summary and human(target.resolution) in f.summary


def test_a_priority_without_a_tier_states_every_tiers_row(policies: Policies) -> None:
    esc = escalation_by_tier(policies, "P3")
    head, *rows = esc.summary.split("\n")
    assert head.startswith("Who a *sev3* goes to depends on the customer's tier")
    assert [r.split("*")[1] for r in rows] == [t.title() for t in policies.tier_names]
    for tier, row in zip(policies.tier_names, rows, strict=True):
        step = policies.escalation_for(tier, "sev3")
        assert f"<#{step.channel}>" in row and row.endswith(f"within {human(step.within)}")
    assert esc.channel is None  # no one channel to hand off to: no Escalate button
    sla = sla_by_tier(policies, "P2")
    for tier, row in zip(policies.tier_names, sla.summary.split("\n")[1:], strict=True):
        t = policies.sla_target(tier, "P2")
        assert f"{human(t.first_response)} / {human(t.resolution)}" in row


def _card(tier: str, tickets: list[TicketLine], owner: str | None = "U0AMPLAT") -> CustomerCard:
    return CustomerCard(1, "Acme", tier, owner, {"region": "na"}, tickets)


def test_tier_promises_come_from_tiers_yaml(policies: Policies) -> None:
    """What a tier is promised, what the question singles out, and what one tier gets over another."""
    sponsor = promises_finding(policies, ["platinum"], "does Acme get an executive sponsor?", "*Acme*")
    assert sponsor.summary == "*Acme* (platinum) is promised: an executive sponsor."
    everything = promises_finding(policies, ["bronze"], "what do we promise a bronze account?")
    assert everything.summary.startswith("*Bronze* is promised: support coverage business hours; named owner ")
    assert "; no business review;" in everything.summary and "onboarding self-serve" in everything.summary
    question = "What does a gold customer get that a silver one doesn't?"
    named = read_slots(question, policies.tier_names).tiers
    assert named == ("gold", "silver")  # in the order the question names them
    compared = promises_finding(policies, named, question)
    assert compared.summary.startswith("*Gold* over *Silver*: support coverage 24x7 (silver: business hours); ")
    assert "executive sponsor" not in compared.summary  # the same for both: not a difference
    # the workload cap; the "account manager" inside the question is its subject, not the named-owner promise
    cap = promises_finding(policies, ["gold"], "how many accounts can a gold account manager own?")
    assert cap.summary == "*Gold* is promised: accounts per owner at most 25."
    person = promises_finding(policies, ["gold"], "how many gold accounts can one person own?")
    assert person.summary == cap.summary
    mine = promises_finding(policies, ["gold"], "How many accounts can I own as a gold account manager?")
    assert mine.summary == cap.summary  # asked of oneself (was: the named-owner promise alone)
    assert compared.citation_query == "what each tier is promised gold"


def test_escalation_finding_for_a_breached_platinum_p1(policies: Policies) -> None:
    now = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
    opened = now - dt.timedelta(hours=5)
    clock = sla_clock(policies, "platinum", "UTC", 7, "P1", opened, None, now)
    assert clock.state == "breached"
    f = escalation_finding(policies, _card("platinum", [TicketLine(7, "down", "P1", "open", opened, clock)]), "?")
    step = policies.escalation_for("platinum", "sev1")
    assert f is not None and f.breached and f.ticket_id == 7
    assert f.channel == step.channel and f.escalate_to == step.escalate_to
    assert "breached" in f.summary and step.next_step in f.summary


def test_the_priority_asked_about_picks_its_ticket(policies: Policies) -> None:
    # was: the most urgent ticket (the breached P1) whatever priority the question asked about
    now = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
    p1_opened, p3_opened = now - dt.timedelta(hours=5), now - dt.timedelta(minutes=30)
    p1 = TicketLine(
        7, "down", "P1", "open", p1_opened, sla_clock(policies, "platinum", "UTC", 7, "P1", p1_opened, None, now)
    )
    p3 = TicketLine(
        8, "q", "P3", "open", p3_opened, sla_clock(policies, "platinum", "UTC", 8, "P3", p3_opened, None, now)
    )
    card = _card("platinum", [p1, p3])
    asked = escalation_finding(policies, card, "Acme has a P3 open, who do I escalate to?")
    assert asked is not None and asked.ticket_id == 8 and asked.severity == "sev3" and not asked.breached
    worst = escalation_finding(policies, card, "who do I escalate Acme to?")
    assert worst is not None and worst.ticket_id == 7 and worst.breached
    # a priority with no ticket on record: the matrix for it, and their most urgent ticket named
    none = escalation_finding(policies, _card("platinum", [p1]), "Acme has a P4 open, who do I escalate to?")
    assert none is not None and none.severity == "sev4" and "(their most urgent is #7, P1)" in none.summary


def test_owner_target_resolves_to_the_account_owner(policies: Policies) -> None:
    now = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
    opened = now - dt.timedelta(minutes=10)
    clock = sla_clock(policies, "platinum", "UTC", 8, "P3", opened, None, now)
    f = escalation_finding(policies, _card("platinum", [TicketLine(8, "q", "P3", "open", opened, clock)]), "?")
    assert f is not None and not f.breached
    assert policies.escalation_for("platinum", "sev3").escalate_to == "owner"
    assert f.escalate_to == "U0AMPLAT"


def test_no_clocked_ticket_and_no_severity_says_so_and_lists_each_severity(policies: Policies) -> None:
    f = escalation_finding(policies, _card("gold", []), "any breached SLAs for Acme?")
    assert f is not None and not f.breached and f.channel is None  # nothing to hand off: no Escalate button
    head, *rows = f.summary.split("\n")
    assert head.startswith("*Acme* (gold) has no open ticket on an SLA clock, so nothing is breached")
    assert len(rows) == 4 and rows[2].startswith("• *Sev 3*: <@U0AMPLAT> in <#")  # gold sev3 goes to the owner
    for n, row in enumerate(rows, 1):
        step = policies.escalation_for("gold", f"sev{n}")
        assert f"<#{step.channel}>" in row and row.endswith(f"within {human(step.within)}")


def test_a_tier_without_a_severity_lists_each_severity(policies: Policies) -> None:
    f = escalation_by_severity(policies, "silver")
    head, *rows = f.summary.split("\n")
    assert head == "Who a *Silver* escalation goes to, by severity:" and len(rows) == 4 and f.channel is None
    for n, row in enumerate(rows, 1):
        step = policies.escalation_for("silver", f"sev{n}")
        assert row.startswith(f"• *Sev {n}*: ") and f"<#{step.channel}>" in row


@pytest.mark.parametrize(
    ("question", "told"),
    [
        ("Acme's P2 has been open 3 days, is that a breach?", dt.timedelta(days=3)),
        ("the P1 has been open for 2 hours, have we breached?", dt.timedelta(hours=2)),
        ("a ticket waiting for an hour", dt.timedelta(hours=1)),
        ("their P3 is 2 weeks old", dt.timedelta(weeks=2)),
        ("who do I escalate Acme's P2 to?", None),
        ("the P2 opened on 3 days notice", None),
    ],
)
def test_the_time_a_ticket_is_said_to_be_open_is_read(question: str, told: dt.timedelta | None) -> None:
    assert told_open(question) == told


def test_the_time_told_is_judged_against_the_tiers_resolution_target(policies: Policies) -> None:
    # was: "X's P2 has been open 3 days, is that a breach?" gave the escalation step and "check the ticket is
    # logged", leaving the asker to look the target up; the verdict now leads (24x7: calendar time is the clock)
    gold = _card("gold", [])
    target = policies.sla_target("gold", "P2")
    late = escalation_finding(policies, gold, "Acme's P2 has been open 3 days, is that a breach?", "P2")
    assert late is not None and late.summary.startswith(
        f"A gold P2 open 3d, as you say, is past its {human(target.resolution)} resolution target by "
        f"{human(dt.timedelta(days=3) - target.resolution)}"
    ), late.summary
    early = escalation_finding(policies, gold, "Acme's P2 has been open 10 minutes, is that a breach?", "P2")
    assert early is not None and "is within its" in early.summary
    # business hours: calendar time over the target is not yet a breach of the business-hours clock
    bronze = escalation_finding(policies, _card("bronze", []), "their P1 has been open 3 weeks, breached?", "P1")
    assert bronze is not None and "may be past" in bronze.summary and "logged ticket's clock decides" in bronze.summary
    plain = escalation_finding(policies, gold, "who do I escalate Acme's P2 to?", "P2")
    assert plain is not None and plain.summary.startswith("*Gold sev2*")


def test_business_hours_clock_skips_nights_and_weekends() -> None:
    # Friday 17:30 -> Monday 09:00 in Berlin: 30 minutes Friday + 60 minutes Monday.
    start = dt.datetime(2026, 11, 20, 16, 30, tzinfo=dt.UTC)  # 17:30 CET
    end = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)  # 09:00 CET
    got = business_elapsed(start, end, "Europe/Berlin", dt.time(8), dt.time(18), ("mon", "tue", "wed", "thu", "fri"))
    assert got == dt.timedelta(minutes=90)


def test_alert_delivery_is_the_askers_own(policies: Policies) -> None:
    """Quiet hours in the asker's time zone (roles.yaml), what breaks through, the digest and the cap."""
    night = dt.datetime(2026, 11, 24, 23, 0, tzinfo=dt.UTC)  # 23:00 in London
    f = alert_delivery_finding(policies, "U0AMPLAT", night)
    assert f.summary.startswith(
        "Quiet hours for alerts are 20:00-07:30 in your time zone, Europe/London (now 23:00 there: inside them)."
    )
    assert "only urgent alerts of the top priority band interrupt" in f.summary and "08:30 digest" in f.summary
    noon = alert_delivery_finding(policies, "U0NOBODY", dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC))
    assert "in UTC, as you are not in roles.yaml (now 12:00 there: outside them)" in noon.summary
    asked = alert_delivery_finding(policies, "U0AMPLAT", dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC), dt.time(3))
    assert "Europe/London (03:00 is inside them)." in asked.summary  # the time asked about, not now
    assert asks_delivery("why did I get an alert at 3am?") and asks_delivery("an alert at 11:30 pm woke me")
    assert asks_delivery("Why did I not get an alert during the night?")
    assert not asks_delivery("What should I do when I get a gone-quiet alert?")  # the handbook's procedure


def test_every_policy_computation_names_what_a_plain_handbook_lacks() -> None:
    """The note on a handbook without policies names the file the computation reads, or the folder: never a
    placeholder (was: "no `policies/the policy file`" for the approvals' figures)."""
    from bot.ask.direct import not_configured
    from bot.ask.intents import POLICY, catalog

    computes = {i.compute for i in catalog().intents.values() if i.kind == POLICY and i.compute}
    assert {"approvals", "approval_figures", "escalation"} <= computes
    for compute in computes:
        note = not_configured(compute)
        assert "the policy file" not in note and re.search(r"no `policies/(\w+\.yaml)?`", note), (compute, note)
    assert "(no `policies/approvals.yaml`)" in not_configured("approval_figures")
    assert "(no `policies/` folder)" in not_configured("erasures")
