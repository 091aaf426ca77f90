"""A plain handbook (Markdown without ``policies/``): questions are answered from the Markdown, an approval
question too (with a note that no route was computed: approvals are not configured), the record still answers
what it holds, and nothing fails with "policies directory not found" (issue 15 item 7)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.app import policies_for
from bot.ask.service import Answer, AskService
from bot.customers.normalize import name_key
from bot.notify import RecordingNotifier
from bot.policies import Policies
from bot.services import Services
from bot.settings import Settings
from bot.store.db import session_scope
from bot.store.models import Customer, CustomerIdentifier

from ...conftest import Clock
from .conftest import FakeIndex, build_services, passage

HANDOFF = passage(
    "oncall/people.md",
    "Team norms > Handoffs",
    "At the end of an on-call shift the outgoing responder summarizes the open incidents for the incoming one.",
    1.0,
)


@pytest.fixture
def plain(engine: Engine, clock: Clock, tmp_path: Path) -> Services:
    (tmp_path / "oncall").mkdir()
    (tmp_path / "oncall" / "people.md").write_text("# Team norms\n\n## Handoffs\n\nSummarize open incidents.\n")
    policies = policies_for(Settings(playbooks_dir=tmp_path))
    services = build_services(engine, policies, RecordingNotifier(), clock, FakeIndex([HANDOFF]))
    with session_scope(services.sessions) as s:
        c = Customer(
            name="Acme Widgets Inc",
            tier="enterprise",  # the source's own word: there are no tiers to check it against
            region="na",
            owner_slack_id="U0OWNER01",
            renewal_date=dt.date(2027, 1, 4),
            arr=Decimal("120000"),
        )
        s.add(c)
        s.flush()
        s.add(CustomerIdentifier(customer_id=c.id, kind="name", value=name_key(c.name)))
    return services


def ask(services: Services, question: str) -> Answer:
    return AskService(services).answer(question, "U0ANYONE1", "C0SUPPORT", "1700000000.000100")


def test_a_folder_without_policies_is_a_plain_handbook(tmp_path: Path) -> None:
    policies = policies_for(Settings(playbooks_dir=tmp_path))
    assert isinstance(policies, Policies) and not policies.configured
    (tmp_path / "policies").mkdir()  # a policies folder that is there but broken still fails loudly
    with pytest.raises(Exception, match=r"(?i)tiers|not found|missing|no such"):
        policies_for(Settings(playbooks_dir=tmp_path))


def test_how_to_questions_are_answered_from_the_markdown(plain: Services) -> None:
    a = ask(plain, "What should happen at the handoff between two on-call shifts?")
    assert a.answered and "outgoing responder summarizes" in a.text and a.citations[0].path == "oncall/people.md"


def test_approval_questions_get_the_markdown_and_a_note(plain: Services) -> None:
    for question in ("Can I give Acme Widgets a 20% discount on their renewal?", "Who approves a discount?"):
        a = ask(plain, question)  # the Markdown answers; no route, no button, and the answer says why
        assert a.source == "playbooks" and a.citations and a.approval is None, question
        assert a.text.endswith(
            "_Approvals are not configured in this handbook (no `policies/approvals.yaml`), so this is what the "
            "playbooks say about a discount, not a route I computed._"
        ), question
    # the approvals' figures need approvals.yaml too, and the note names it (was: "no `policies/the policy file`")
    figures = ask(plain, "After I submit a purchase order request, how long does approval usually take?")
    assert figures.text.endswith(
        "_Approvals are not configured in this handbook (no `policies/approvals.yaml`), so this is what the "
        "playbooks say, not a rule I computed._"
    ), figures.text
    escalation = ask(plain, "What is the escalation path for a platinum P1?")  # no tiers: nothing to compute
    assert "policies directory" not in escalation.text and escalation.source != "policy"
    # and it says so, as the approvals note does (was: the Markdown's answer, silently)
    assert escalation.text.endswith(
        "_Escalation is not configured in this handbook (no `policies/escalation.yaml`), so this is what the "
        "playbooks say, not a rule I computed._"
    ), escalation.text


def test_a_tier_promise_question_is_answered_from_the_markdown(
    plain: Services, caplog: pytest.LogCaptureFixture
) -> None:
    a = ask(plain, "Does Acme Widgets get an executive sponsor?")
    assert a.source != "policy" and "sources.yaml" not in a.text  # not the unknown-tier sentence
    assert "_Tier promises are not configured in this handbook (no `policies/tiers.yaml`)" in a.text
    assert not [r for r in caplog.records if r.levelname == "ERROR"]  # not a failed evaluation either


def test_the_record_still_answers_and_sensitive_fields_stay_restricted(plain: Services) -> None:
    a = ask(plain, "When does Acme Widgets renew?")
    assert a.source == "record" and "4 Jan 2027" in a.text
    # the record's other facts too; the SLA kept needs tiers, which a plain handbook has none of, so it says so
    assert ask(plain, "Did Acme Widgets renew last year?").text.startswith("*Acme Widgets")
    assert ask(plain, "Has Acme Widgets' order shipped?").text == "*Acme Widgets Inc* has no shipments on record."
    sla = ask(plain, "Did we breach the SLA for Acme Widgets last month?")
    assert sla.text.startswith("*Acme Widgets Inc*'s tier has no SLA targets"), sla.text
    for question in ("Is Acme Widgets using the product?", "Why did I get an alert for Acme Widgets?"):
        computed = ask(plain, question)  # no alert rules to evaluate: the Markdown, and the note
        assert "not configured in this handbook (no `policies/alerts.yaml`)" in computed.text, computed.text
    arr = ask(plain, "What is Acme Widgets' ARR?")
    assert "120,000" not in arr.text and "120000" not in arr.text  # sensitive: nobody is granted it
    # lists of the book need no policy; a clock does, and says so
    renewals = ask(plain, "Which customers renew in January?")
    assert renewals.text.startswith("*1 customer* renews in January 2027") and "*Acme Widgets Inc*" in renewals.text
    breaching = ask(plain, "Is anyone breaching right now?")
    assert breaching.text.startswith("SLA targets are not configured"), breaching.text
    # no roster, no approvals: the Markdown answers, never a failure; review dates need no policy
    for question in ("who is the DPO?", "which requests did I approve this week?"):
        other = ask(plain, question)
        assert other.source != "policy" and "policies directory" not in other.text, (question, other.text)
    stale = ask(plain, "which playbooks are out of date?")
    assert stale.text.startswith("No playbook is past its review date"), stale.text
    assert "not configured" not in stale.text  # computed from the front matter: no policy missing (was: the note)
    listed = ask(plain, "what playbooks do we have?")  # the handbook's own pages (none indexed in this fixture)
    assert listed.text == "No playbook is indexed yet: a maintainer runs `rapport index` on the playbooks folder."
    past = ask(plain, "show me Acme Widgets' last 3 tickets")
    assert past.text == "*Acme Widgets Inc* has no tickets on record.", past.text


def test_an_escalation_for_a_customer_says_no_tiers_are_configured(
    plain: Services, caplog: pytest.LogCaptureFixture
) -> None:
    # was: "tier 'enterprise' is not in tiers.yaml ... map it in sources.yaml" (there is no tiers.yaml to map it
    # in), and an empty citation search that failed, logged a traceback and said the playbooks were unsearchable
    a = ask(plain, "Who do I escalate Acme Widgets' P1 to?")
    assert a.text.startswith(
        "*Acme Widgets Inc*: this handbook configures no tiers (no `policies/` folder), so no SLA, escalation or "
        "alert rule applies. Escalate to <@U0OWNER01> directly."
    ), a.text
    assert "tiers.yaml" not in a.text
    assert "can't search the playbooks" not in a.text
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "WARNING") and r.exc_info]
