"""Ask end to end below Slack, on SQLite and PostgreSQL, with the real embedding model reading the questions:
record answers led by the value and redacted like the card, approval routes for this customer, thread
follow-ups, and the bad input that must get a short, correct reply and never another customer's data."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select

from bot.alerts.models import Alert
from bot.approvals.decisions import decide
from bot.approvals.models import ApprovalRequest
from bot.approvals.requests import submit_request
from bot.approvals.validation import RequestDraft
from bot.ask.models import QuestionLog
from bot.ask.service import Answer, AskService, thread_context
from bot.channels.models import ChannelLink, Conversation, SharedChannel
from bot.customers.card import OPEN_STATUSES
from bot.customers.normalize import name_key
from bot.governance import audit
from bot.kpi.pack import pack
from bot.notify import RecordingNotifier
from bot.policies import Policies
from bot.privacy.erasure import ERASED_ACTION, forget
from bot.privacy.models import LegalHold
from bot.services import Services
from bot.store.db import session_scope
from bot.store.models import (
    AuditEvent,
    Contact,
    ContactChange,
    Customer,
    CustomerIdentifier,
    HealthScore,
    Note,
    Order,
    Renewal,
    Shipment,
    SurveyResponse,
    Ticket,
    UsageEvent,
)
from bot.sync.models import SyncRun
from retrieval.embedder import SentenceTransformerEmbedder

from ...conftest import Clock
from .conftest import PASSAGES, FakeIndex, build_services, passage

pytestmark = pytest.mark.slow
AGENT, MANAGER, LEAD, DEAL_DESK = "U0SUPAGT1", "U0AMGOLD", "U0SUPLEAD", "U0DEALDSK"


class ModelIndex(FakeIndex):
    """Fixed passages, and the real embedding model that reads what questions ask."""

    def __init__(self, embedder: SentenceTransformerEmbedder) -> None:
        super().__init__(list(PASSAGES))
        self.embedder = embedder


@pytest.fixture(scope="module")
def embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


BOOK = [
    # name, tier, region, owner, renewal, arr, outreach, marketing
    ("Westwardwood Studios Group", "silver", "emea", "U0AMEMEA", dt.date(2027, 2, 1), "40000", True, False),
    ("Willowfield Devices Co", "gold", "na", "U0AMGOLD", dt.date(2027, 1, 4), "412000", True, True),
    ("Glacierwood Dental Ltd", "bronze", "na", None, dt.date(2026, 12, 20), "9000", False, False),
    ("Studios Northwave Inc", "bronze", "apac", "U0AMAPAC", dt.date(2027, 5, 1), "5000", True, False),
]


@pytest.fixture
def book(engine: Engine, policies: Policies, clock: Clock, embedder: SentenceTransformerEmbedder) -> Iterator[Services]:
    services = build_services(engine, policies, RecordingNotifier(), clock, ModelIndex(embedder))
    with session_scope(services.sessions) as s:
        for name, tier, region, owner, renewal, arr, outreach, marketing in BOOK:
            c = Customer(
                name=name,
                tier=tier,
                region=region,
                timezone="Europe/Berlin" if region == "emea" else "America/Chicago",
                owner_slack_id=owner,
                renewal_date=renewal,
                arr=Decimal(arr),
                lifetime_value=Decimal(arr) * 4,
                consent_outreach=outreach,
                consent_marketing=marketing,
            )
            s.add(c)
            s.flush()
            s.add(CustomerIdentifier(customer_id=c.id, kind="name", value=name_key(name)))
        glacier = s.scalars(select(Customer).where(Customer.name == "Glacierwood Dental Ltd")).one()
        s.add(
            Ticket(
                customer_id=glacier.id,
                subject="Scanner <!channel> offline",
                priority="P2",
                status="open",
                opened_at=clock.now - dt.timedelta(hours=10),
            )
        )
    yield services


def ask(services: Services, question: str, asker: str = LEAD, **kw: object) -> Answer:
    return AskService(services).answer(question, asker, "C0SUPPORT", "1700000000.000100", **kw)  # type: ignore[arg-type]


def discount(customer: str, percent: str, why: str = "Competitor <!channel> offered less.") -> RequestDraft:
    """A discount request the account manager raises on a $40,000 deal."""
    return RequestDraft(
        request_type="discount",
        customer=customer,
        requester=MANAGER,
        amount="$40,000",
        percent=percent,
        justification=why,
    )


def cid(services: Services, name: str) -> int:
    with services.sessions() as s:
        return int(s.scalars(select(Customer.id).where(Customer.name == name)).one())


def test_a_record_question_leads_with_the_value(book: Services) -> None:
    a = ask(book, "When does Willowfield Devices renew?")
    assert a.text == "*Willowfield Devices Co* renews on 4 Jan 2027, in 41 days; owner <@U0AMGOLD>."
    assert a.source == "record" and a.customer is not None and a.citations == []
    with book.sessions() as s:
        logged = s.scalars(select(QuestionLog)).one()
        viewed = s.scalars(select(AuditEvent).where(AuditEvent.action == "customer.viewed")).one()
    assert logged.customer_id == cid(book, "Willowfield Devices Co")
    assert viewed.actor == LEAD


def test_a_name_typed_without_its_designator_links(book: Services) -> None:
    a = ask(book, "Westwardwood Studios is asking about response times for a P2")
    assert a.text.startswith("*Silver P2*: first response within")  # silver's row, not gold's
    assert a.customer is not None and a.customer.name == "Westwardwood Studios Group"
    assert ask(book, "do the Studios have anything open?").customer is None  # one word names nobody


def test_arr_is_stated_to_roles_that_see_it_and_restricted_for_others(book: Services) -> None:
    manager = ask(book, "Who owns Willowfield Devices and what's their ARR?", MANAGER)
    assert manager.text == (
        "*Willowfield Devices Co* is owned by <@U0AMGOLD>.\n*Willowfield Devices Co*'s ARR is $412,000."
    )
    assert manager.sensitive  # shown to the asker only (bot.ask.reply)
    agent = ask(book, "Who owns Willowfield Devices and what's their ARR?", AGENT)
    assert "412" not in agent.text and "ARR is restricted for your role" in agent.text
    assert "ask the account owner, <@U0AMGOLD>" in agent.text and not agent.sensitive
    assert agent.customer is not None and "arr" not in agent.customer.fields  # the card says the same


def test_open_tickets_consent_and_the_card(book: Services) -> None:
    tickets = ask(book, "what open tickets does Glacierwood Dental have?")
    assert tickets.text.startswith("*Glacierwood Dental Ltd* has 1 open ticket:\n• #")
    assert "_Scanner &lt;!channel&gt; offline_: first response target" in tickets.text
    assert "<!channel>" not in tickets.text
    assert ask(book, "Is Glacierwood Dental ok to email about our new product?").text.startswith(
        "No: *Glacierwood Dental Ltd* has opted out of outreach altogether"
    )
    assert ask(book, "tell me about Willowfield Devices").text == "Here is what I have on *Willowfield Devices Co*."
    # the name alone, its legal suffix typed too (was: declined, or "Glacierwood Dental Ltd" gave its owner)
    for alone in ("Willowfield Devices Co", "glacierwood dental ltd?"):
        assert ask(book, alone).text.startswith("Here is what I have on *"), alone
    # getting ready for a call is the card (was: whether they may be called tomorrow)
    prep = ask(book, "Prep me for my call with Willowfield Devices tomorrow")
    assert prep.text == "Here is what I have on *Willowfield Devices Co*.", prep.text
    qbr = ask(book, "prepare me for the QBR with Willowfield Devices")  # was: the gold tier's business reviews
    assert qbr.text == "Here is what I have on *Willowfield Devices Co*.", qbr.text
    ready = ask(book, "get me ready for the renewal meeting with Willowfield Devices")  # was: the renewal date alone
    assert ready.text == "Here is what I have on *Willowfield Devices Co*.", ready.text
    # both consents when both are asked (was: "Has X opted out of anything?" gave whether to call them now)
    assert ask(book, "Has Willowfield Devices opted out of anything?").text == (
        "*Willowfield Devices Co* accepts outreach, has given marketing consent and has consented to data processing."
    )
    assert ask(book, "What consents does Studios Northwave have?").text.startswith(
        "*Studios Northwave Inc* accepts outreach, has not given marketing consent and "
    )
    # data processing, asked by its name (was: "I don't know", the card did not carry it)
    with session_scope(book.sessions) as s:
        s.get(Customer, cid(book, "Studios Northwave Inc")).consent_data_processing = False  # type: ignore[union-attr]
    assert ask(book, "Does Studios Northwave allow data processing?").text.startswith(
        "No: *Studios Northwave Inc* has not consented to the processing of their data"
    )


def test_past_tickets_are_the_last_years_count_and_the_latest_ones(book: Services, clock: Clock) -> None:
    # was: "show me X's last 3 tickets" / "how many tickets has X opened this year?" gave the open ones (or the
    # latest alone)
    with session_scope(book.sessions) as s:
        s.add(
            Ticket(
                customer_id=cid(book, "Glacierwood Dental Ltd"),
                subject="old <!here> printer jam",
                priority="P4",
                status="closed",
                opened_at=dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC),
                first_response_at=dt.datetime(2026, 3, 2, 11, 30, tzinfo=dt.UTC),
                resolved_at=dt.datetime(2026, 3, 4, 15, tzinfo=dt.UTC),
            )
        )
    past = ask(book, "show me Glacierwood Dental's last 3 tickets")
    lines = past.text.splitlines()
    assert lines[0].startswith("*Glacierwood Dental Ltd* opened 2 tickets in the last 12 months ("), past.text
    assert "1 P4" in lines[0] and lines[0].endswith(
        ", 1 still open; median first response 2h 30m (1 answered), resolution 2d 6h (1 resolved); the latest 2:"
    ), lines[0]
    assert "_Scanner &lt;!channel&gt; offline_ (open)" in lines[1] and "2 Mar 2026 P4 _old &lt;!here&gt;" in lines[2]
    assert "<!" not in past.text and past.source == "record"
    # a window named is the window counted (was: "this year" answered with the last 12 months)
    this_year = ask(book, "how many tickets has Glacierwood Dental opened this year?").text
    assert this_year == past.text.replace("in the last 12 months", "this year (2026)"), this_year
    last_month = ask(book, "how many tickets has Glacierwood Dental opened last month?").text
    assert last_month.startswith("*Glacierwood Dental Ltd* opened no tickets last month (October 2026); the latest 2:")
    # tickets raised in a window, whatever their status now (was: "has 1 open ticket", the open ones)
    raised = ask(book, "what tickets did Glacierwood Dental raise this year?").text
    assert raised == this_year, raised
    assert ask(book, "has Glacierwood Dental opened any tickets last month?").text == last_month
    # how long their tickets take is the same record (was: the open tickets)
    assert ask(book, "what's the average resolution time for Glacierwood Dental's tickets?").text == past.text
    assert ask(book, "what open tickets does Glacierwood Dental have?").text.startswith(
        "*Glacierwood Dental Ltd* has 1 open ticket:"
    )


def test_how_a_customer_wants_to_be_contacted_is_their_preferences(book: Services) -> None:
    # was: "How often can we contact X?" gave the last contact, "preferred channel" the tier's support channels
    with session_scope(book.sessions) as s:
        willow = s.get(Customer, cid(book, "Willowfield Devices Co"))
        assert willow is not None
        willow.comm_preferences = {"channel": "slack_connect", "max_touches_per_week": 1, "language": "<!here> de"}
    for question in ("How often can we contact Willowfield Devices?", "What's Willowfield Devices' preferred channel?"):
        assert ask(book, question).text == (
            "*Willowfield Devices Co* prefers Slack Connect, at most 1 touch a week, language: &lt;!here&gt; de."
        )
    assert ask(book, "contact preferences for Westwardwood Studios").text == (
        "*Westwardwood Studios Group* has no contact preferences on record."
    )


def test_a_ticket_named_by_number_is_answered_for_its_customer(book: Services, clock: Clock) -> None:
    # was: "Is ticket HD-00001305 breaching?" and "what's the status of #1305?" were declined: no customer named
    with session_scope(book.sessions) as s:
        glacier = s.scalars(select(Ticket).where(Ticket.subject.startswith("Scanner"))).one().id
        s.add(
            Ticket(
                customer_id=cid(book, "Willowfield Devices Co"),
                external_id="HD-00000042",
                subject="Invoice question",
                priority="P3",
                status="closed",
                opened_at=clock.now - dt.timedelta(days=30),
                resolved_at=clock.now - dt.timedelta(days=28),
            )
        )
    willow = cid(book, "Willowfield Devices Co")
    status = ask(book, f"what's going on with case #{glacier}?", thread_customer=willow)  # not the thread's
    assert status.text.startswith(
        f"*Glacierwood Dental Ltd*'s ticket #{glacier} P2 _Scanner &lt;!channel&gt; offline_: first response target"
    ), status.text
    breach = ask(book, f"Is ticket {glacier} breaching?", thread_customer=willow)  # its clock, and whom to page
    assert f"P2 ticket #{glacier} open" in breach.text and "first response target" in breach.text, breach.text
    # escalated, the ticket named is the clock that matters, not their most urgent ticket of that priority
    with session_scope(book.sessions) as s:
        older = Ticket(
            customer_id=cid(book, "Glacierwood Dental Ltd"),
            subject="Older",
            priority="P2",
            status="open",
            opened_at=clock.now - dt.timedelta(days=3),
        )
        s.add(older)
        s.flush()
        older_id = older.id
    worst = ask(book, "Glacierwood Dental has a P2 open, who do I escalate to?")
    assert worst.text.startswith(f"*Glacierwood Dental Ltd* (bronze), P2 ticket #{older_id} open"), worst.text
    named = ask(book, f"who do I escalate ticket {glacier} to?")
    assert named.text.startswith(f"*Glacierwood Dental Ltd* (bronze), P2 ticket #{glacier} open"), named.text
    for a in (status, breach):
        assert a.customer is not None and a.customer.name == "Glacierwood Dental Ltd"
    closed = ask(book, "What's the status of hd-00000042?")
    assert closed.text.startswith("*Willowfield Devices Co*'s ticket #"), closed.text
    assert "P3 _Invoice question_ (HD-00000042) is not open (closed, resolved on" in closed.text
    missing = ask(book, "is ticket 99999999 breaching?", thread_customer=willow)
    assert missing.text.startswith("I can't find ticket *99999999*") and missing.customer is None
    assert "Willowfield" not in missing.text  # not the thread's customer's tickets
    assert not ask(book, "What is our #1 priority when a platinum customer is down?").text.startswith("I can't find")
    # a question about the ticket that names no field by its words is about the ticket (was: "Can I close ticket
    # #N?" gave whether to call the customer now, the nearest field by meaning)
    close = ask(book, f"Can I close ticket #{glacier}?")
    assert close.text.startswith(f"*Glacierwood Dental Ltd*'s ticket #{glacier} P2"), close.text
    assert ask(book, f"What tier is the customer on ticket {glacier}?").text.startswith(
        "*Glacierwood Dental Ltd* is a *Bronze* customer"
    )


def test_why_a_customer_alerts_is_every_rule_evaluated_for_them_now(book: Services, clock: Clock) -> None:
    # was: "Why did I get an alert for X?" gave the card ("Here is what I have on ...")
    willow = cid(book, "Willowfield Devices Co")
    with session_scope(book.sessions) as s:
        opened = clock.now - dt.timedelta(days=2)
        s.add(Ticket(customer_id=willow, subject="Down", priority="P1", status="open", opened_at=opened))
        s.add(
            Alert(
                rule="sla-breach",
                kind="sla_breach",
                customer_id=willow,
                tier="gold",
                severity="high",
                urgent=True,
                state="acked",
                created_at=clock.now - dt.timedelta(days=1),
            )
        )
    for question in ("Why did I get an alert for Willowfield Devices?", "Is Willowfield Devices alerting?"):
        a = ask(book, question, MANAGER)
        assert a.text.startswith("Alert rules that fire for *Willowfield Devices Co* now:\n• *sla-breach* (high): ")
        assert "Latest alerts raised for them: *sla-breach* on " in a.text and "(acked)." in a.text, a.text
        assert a.source == "policy" and a.customer is not None
    # the evidence quotes the source (a contact's title): inert, as on the alert card
    with session_scope(book.sessions) as s:
        left = clock.now - dt.timedelta(days=2)
        s.add(
            ContactChange(customer_id=willow, role="champion", change="left", title="<!channel> CTO", changed_at=left)
        )
    champion = ask(book, "Why did I get an alert for Willowfield Devices?", MANAGER)
    assert "*champion-left* (high): Champion or sponsor left: Champion (&lt;!channel&gt; CTO) left" in champion.text
    assert "<!channel>" not in champion.text
    follow = ask(book, "are they alerting?", MANAGER, thread_customer=willow)  # the thread's customer, as "they"
    assert follow.text.startswith("Alert rules that fire for *Willowfield Devices Co* now:"), follow.text
    # picked from "which one?" (one word is never linked): read as if named, so the question's words still count
    picked = ask(book, "Why did I get an alert for willowfield?", MANAGER, customer_id=willow)
    assert picked.text.startswith("Alert rules that fire for *Willowfield Devices Co* now:"), picked.text
    quiet = ask(book, "Is Studios Northwave alerting?", MANAGER)
    assert quiet.text.startswith("No alert rule fires for *Studios Northwave Inc* now.\nNo alert has been"), quiet.text
    silent = ask(book, "Is Westwardwood Studios alerting?", AGENT)  # its evidence, ARR restricted for this role
    assert "*growth-account-gone-quiet* (medium): No activity on record" in silent.text, silent.text
    assert "40,000" not in silent.text and "ARR (restricted)" in silent.text and not silent.sensitive


def test_past_renewals_are_the_crms_decisions_with_arr_to_roles_that_see_it(book: Services, clock: Clock) -> None:
    # was: "Did X renew last year?" gave the next renewal's date, "how much did ARR grow at the last renewal?" the ARR
    with session_scope(book.sessions) as s:
        s.add(
            Renewal(
                customer_id=cid(book, "Willowfield Devices Co"),
                outcome="renewed",
                renewal_date=dt.date(2026, 1, 4),
                decided_at=dt.datetime(2025, 12, 20, 10, tzinfo=dt.UTC),
                arr_before=Decimal("400000"),
                arr_after=Decimal("412000"),
            )
        )
    manager = ask(book, "Did Willowfield Devices renew last year?", MANAGER)
    assert manager.text == (
        "*Willowfield Devices Co*'s past renewals, newest first:\n"
        "• 20 Dec 2025: renewed (the term ending 4 Jan 2026): ARR $400,000 → $412,000 (+3.0%)\n"
        "The next renewal is on 4 Jan 2027."
    )
    assert manager.sensitive  # ARR stated: shown to the asker only
    agent = ask(book, "how did Willowfield Devices' last renewal go?", AGENT)
    assert agent.text.startswith("*Willowfield Devices Co*'s past renewals, newest first:\n• 20 Dec 2025: renewed")
    assert "400,000" not in agent.text and "ARR is restricted for your role" in agent.text
    assert ask(book, "Willowfield Devices renewal?").text.startswith("*Willowfield Devices Co* renews on 4 Jan 2027")
    none = ask(book, "Has Westwardwood Studios ever churned?", MANAGER)
    assert none.text == (
        "*Westwardwood Studios Group* has no past renewal on record. The next renewal is on 1 Feb 2027."
    )


def test_how_long_a_customer_is_the_earliest_renewal_never_the_last_contact(book: Services, clock: Clock) -> None:
    # was: "How long has X been a customer?" gave the last contact ("Last contact with X was on ...")
    with session_scope(book.sessions) as s:
        for year in (2024, 2025):
            s.add(
                Renewal(
                    customer_id=cid(book, "Willowfield Devices Co"),
                    outcome="renewed",
                    renewal_date=dt.date(year, 1, 4),
                    decided_at=dt.datetime(year - 1, 12, 20, 10, tzinfo=dt.UTC),
                )
            )
    since = ask(book, "How long has Willowfield Devices been a customer?", AGENT)
    assert since.text.startswith(
        "I don't have the date *Willowfield Devices Co* became a customer: the record keeps no start date. The "
        "earliest renewal on record was decided on 20 Dec 2023 (renewed), so they were a customer before 4 Jan 2024"
    ), since.text
    assert "<@U0AMGOLD>" in since.text
    years = ask(book, "how many years has Willowfield Devices been with us?", AGENT)  # was: the last contact
    assert years.text.startswith("I don't have the date *Willowfield Devices Co* became a customer"), years.text
    never = ask(book, "When did Westwardwood Studios become a customer?", AGENT)
    assert "There is no past renewal on record either" in never.text, never.text
    assert "contact with *Willowfield Devices Co*" in ask(book, "When did we last talk to Willowfield Devices?").text


def test_a_legal_hold_is_said_without_its_reason(book: Services, clock: Clock) -> None:
    # was: "Is there a legal hold on X?" gave the renewal-at-risk rule's evaluation
    none = ask(book, "Is there a legal hold on Willowfield Devices?", AGENT)
    assert none.text == "*Willowfield Devices Co* is under no legal hold: retention and erasure apply as usual."
    with session_scope(book.sessions) as s:
        s.add(
            LegalHold(
                customer_id=cid(book, "Willowfield Devices Co"),
                reason="<!channel> dispute 42",
                placed_by="U0LEGAL",
                placed_at=clock.now - dt.timedelta(days=10),
            )
        )
    held = ask(book, "Is Willowfield Devices under a legal hold?", AGENT)
    assert held.text.startswith("*Willowfield Devices Co* is under a legal hold since 14 Nov 2026"), held.text
    assert "dispute" not in held.text  # the reason stays with the privacy office
    # the book's list of holds is those customers alone (was: every customer, the filter dropped)
    listed = ask(book, "which customers have a legal hold?", AGENT)
    assert listed.text.startswith("*1 customer (under a legal hold)*:\n• *Willowfield Devices Co* (gold, na)")
    assert "Glacierwood" not in listed.text and "dispute" not in listed.text, listed.text


def test_a_list_by_consent_is_those_customers_alone(book: Services) -> None:
    # was: "which customers haven't consented to marketing?" listed every customer, the consent dropped
    without = ask(book, "which customers haven't consented to marketing?", LEAD)
    assert without.text.startswith("*3 customers (without marketing consent)*:"), without.text
    assert "Willowfield" not in without.text  # the one that gave it
    given = ask(book, "which customers gave marketing consent?", LEAD)
    assert given.text.startswith("*1 customer (with marketing consent)*:\n• *Willowfield Devices Co*"), given.text
    # a filter no list has is said so, never answered with every customer (was: "*4 customers*" and all of them)
    product = ask(book, "which customers have the new product?", LEAD)
    assert product.text.startswith("I list customers across the book by tier, segment") and product.source == "clarify"
    assert ask(book, "how many customers do we have?", LEAD).text.startswith("*4 customers*")
    outreach = ask(book, "which bronze customers opted out of outreach?", LEAD)
    assert outreach.text.startswith("*1 customer (bronze, without outreach consent)*:\n• *Glacierwood Dental Ltd*")


def test_the_book_counted_by_a_field_is_one_line_of_counts(book: Services) -> None:
    # was: "how many customers do we have per tier?" got the help for lists, "break down our customers by tier"
    # the tier policy's sentences
    with session_scope(book.sessions) as s:
        tiers = Counter(s.scalars(select(Customer.tier).where(Customer.merged_into_id.is_(None))).all())
    order = [t for t in book.policies.tier_names if t in tiers]
    counts = " · ".join(f"*{t}* {tiers[t]}" for t in order)
    expected = f"*{sum(tiers.values())} customers* by tier: {counts}."
    assert ask(book, "how many customers do we have per tier?", LEAD).text == expected
    assert ask(book, "break down our customers by tier", LEAD).text == expected
    gold = ask(book, "how many gold customers do we have in each region?", LEAD).text
    assert gold.startswith(f"*{tiers['gold']} customer") and " by region: " in gold, gold
    # a list asked stays the list
    assert ask(book, "how many customers do we have?", LEAD).text.startswith(f"*{sum(tiers.values())} customers*:")


def test_a_total_broken_down_by_a_field_is_added_up_per_value(book: Services) -> None:
    # was: "what's our total ARR by region?" got the help for lists
    said = ask(book, "what's our total ARR by region?", MANAGER)
    assert said.text == (
        "Total ARR: $466,000 ($116,500 on average).\n"
        "*4 customers* by region, total ARR: *na* $421,000 (2 customers) · *emea* $40,000 (1 customer) · *apac* $5,000 "
        "(1 customer)."
    ), said.text
    with session_scope(book.sessions) as s:
        for name, score in (("Glacierwood Dental Ltd", 40), ("Studios Northwave Inc", 61)):
            s.scalars(select(Customer).where(Customer.name == name)).one().health_score = score
    health = ask(book, "average health score by tier", MANAGER).text  # averaged, never added up; tiers in order
    assert health == (
        "Average health score: 60/100.\n*4 customers* by tier, average health score: *gold* 70/100 (1 customer) · "
        "*silver* 70/100 (1 customer) · *bronze* 50/100 (2 customers)."
    ), health
    # in a thread, a follow-up counts it another way or narrows it, and "which of them" lists the customers (was:
    # "and by tier?" got the tier placement rules, "only gold?" dropped the breakdown)
    turn = in_thread(book, "1700000000.000470", MANAGER)
    turn("what's our total ARR by region?")
    by_tier = turn("and by tier?").text
    assert by_tier.startswith(
        "Total ARR: $466,000 ($116,500 on average).\n*4 customers* by tier, total ARR: *gold* "
    ), by_tier
    counts = in_thread(book, "1700000000.000471", MANAGER)
    counts("how many customers do we have per region?")
    assert counts("only bronze?").text == "*2 customers (bronze)* by region: *apac* 1 · *na* 1."
    listed = counts("which of them renew next month?").text
    assert listed.startswith("*1 customer (bronze)* renews in December 2026") and "• *Glacierwood Dental Ltd*" in listed
    # a role that does not see ARR gets neither the total nor its parts
    refused = ask(book, "what's our total ARR by region?", AGENT).text
    assert refused.startswith(":lock: ARR is restricted for your role") and "$" not in refused, refused


def test_a_book_asked_of_a_colleague_the_roster_does_not_know_is_said_so(book: Services) -> None:
    # was: "show me Bob's accounts" got the help for lists (and a colleague the roster knows, the staff row)
    nobody = ask(book, "show me Bob's accounts")
    assert nobody.text.startswith("No account owner is called _Bob_: lists go by the customer's owner"), nobody.text
    assert "Willowfield" not in nobody.text and not nobody.customer
    known = ask(book, "show me Marcus's accounts").text  # the roster's Marcus Okafor owns Willowfield Devices
    assert known.startswith("*1 customer (owned by Marcus Okafor)*:\n• *Willowfield Devices Co*"), known


def test_the_book_counted_per_owner_names_the_owners_most_first(book: Services) -> None:
    # was: "who has the most accounts?" got the help for lists (which sent the asker to /rapport workload)
    with session_scope(book.sessions) as s:
        owners = Counter(s.scalars(select(Customer.owner_slack_id).where(Customer.merged_into_id.is_(None))).all())

    def named(owner: str | None) -> str:
        staff = book.policies.staff(owner) if owner else None
        return staff.name if staff else "*no owner*" if owner is None else owner

    said = ask(book, "who has the most accounts?", LEAD).text
    assert said.startswith(f"*{sum(owners.values())} customers* by owner: "), said
    for owner, n in owners.items():
        assert f"{named(owner)} {n}" in said
    assert "<@" not in said  # named, never mentioned: a count does not notify every owner

    def first(text: str) -> int:
        return int(text.split(": ", 1)[1].split(" · ")[0].rsplit(" ", 1)[1].rstrip("."))

    assert first(said) == max(owners.values())
    assert first(ask(book, "which owner has the fewest customers?", LEAD).text) == min(owners.values())


def test_owners_over_a_tiers_cap_are_named_with_their_counts(book: Services) -> None:
    # was: "who is over their account cap?" got the help for lists (earlier: "which customer?")
    caps = {t.name: t.promises.max_accounts_per_owner for t in book.policies.tiers.tiers}
    assert ask(book, "is anyone overloaded?", LEAD).text.startswith(
        "No owner is over a tier's cap on accounts (platinum at most"
    )
    platinum = caps["platinum"]
    assert platinum
    with session_scope(book.sessions) as s:  # Marcus takes on one platinum account more than the tier allows
        owned = len(
            s.scalars(select(Customer.id).where(Customer.owner_slack_id == MANAGER, Customer.tier == "platinum")).all()
        )
        for i in range(platinum + 1 - owned):
            s.add(Customer(name=f"Overload Holdings {i}", tier="platinum", region="na", owner_slack_id=MANAGER))
    said = ask(book, "who is over their account cap?", LEAD).text
    assert said.startswith("1 owner is over a tier's cap on accounts (platinum at most"), said
    assert f"• Marcus Okafor: platinum {platinum + 1} of {platinum}" in said, said
    assert "<@" not in said  # named, never mentioned
    # the asker's own: "am I over my cap?"
    assert "Marcus Okafor: platinum" in ask(book, "am I over my cap?", MANAGER).text
    assert ask(book, "am I over my cap?", AGENT).text.startswith("You are not over a tier's cap on accounts")


def test_open_tickets_counted_by_a_field_and_never_per_agent(book: Services) -> None:
    # was: "open tickets by tier" got "I don't open tickets" (read as a request to open one), "which owner has the
    # most open tickets?" and "which agent has the most open tickets?" the handoff checklist
    with session_scope(book.sessions) as s:
        tiers = Counter(
            s.scalars(
                select(Customer.tier)
                .join(Ticket, Ticket.customer_id == Customer.id)
                .where(Ticket.status.in_(OPEN_STATUSES), Customer.merged_into_id.is_(None))
            ).all()
        )
    assert tiers  # the fixture has open tickets to count
    order = [t for t in book.policies.tier_names if t in tiers]
    counts = " · ".join(f"*{t}* {tiers[t]}" for t in order)
    total = sum(tiers.values())
    expected = f"*{total} open ticket{'' if total == 1 else 's'}* by tier: {counts}."
    assert ask(book, "open tickets by tier", LEAD).text == expected
    by_owner = ask(book, "which owner has the most open tickets?", LEAD).text
    assert by_owner.startswith(f"*{total} open ticket") and " by owner: " in by_owner, by_owner
    agent = ask(book, "which agent has the most open tickets?", LEAD)
    assert agent.text.startswith("Tickets on record carry no assignee") and agent.source == "clarify", agent.text


def test_who_viewed_a_customers_record_is_the_access_log_for_roles_that_read_it(book: Services) -> None:
    # was: "who has viewed X's record this week?" stated their owner
    privacy = "U0PRIVACY"
    for asker in (MANAGER, MANAGER, AGENT):
        ask(book, "when does Willowfield Devices renew?", asker)  # each answer with a card is a view
    log = ask(book, "who has viewed Willowfield Devices's record this week?", privacy)
    lines = log.text.split("\n")
    assert lines[0].startswith("*Willowfield Devices Co*'s record was viewed 3 times this week"), log.text
    assert any(line.startswith("• Marcus Okafor: 2 views, the latest on ") for line in lines), log.text
    assert any(line.startswith("• Aisha Mensah: 1 view, the latest on ") for line in lines), log.text
    assert log.source == "policy" and log.sensitive  # who looks at whom: to the asker alone in a channel
    assert "<@" not in log.text  # colleagues are named, never mentioned
    # a role without `audit: true` is told who can read it, never the log
    agent = ask(book, "who has looked at Willowfield Devices's record?", AGENT).text
    assert agent.startswith(":lock: Who viewed *Willowfield Devices Co*'s record is in the audit trail"), agent
    assert "Marcus" not in agent and "privacy officer" in agent
    nobody = ask(book, "who accessed Glacierwood Dental's data last month?", privacy).text
    assert nobody.startswith("Nobody viewed *Glacierwood Dental Ltd*'s record last month"), nobody


def test_whether_we_may_pass_a_field_on_is_not_its_value(book: Services) -> None:
    # was: "Can I share X's contact details with a partner?" stated the contact's name, email and phone
    a = ask(book, "Can I share Willowfield Devices' contact details with a partner?", LEAD)
    assert a.source != "record", a.text
    # erasing their data is the erasure steps, not a data access request's route (was the route)
    erase = ask(book, "Willowfield Devices wants all their data deleted", LEAD)
    assert erase.source != "policy" and "data access request" not in erase.text, erase.text


def test_usage_is_the_usage_rules_evaluated_for_the_customer(book: Services, clock: Clock) -> None:
    # was: "Is X using the product?" gave the card ("Here is what I have on ...")
    willow = cid(book, "Willowfield Devices Co")
    today = clock.now.date()
    with session_scope(book.sessions) as s:
        for back in range(1, 36):  # 10 a day for the 28-day baseline, 2 a day in the last 7 days
            s.add(
                UsageEvent(
                    customer_id=willow,
                    day=today - dt.timedelta(days=back),
                    metric="active_users",
                    quantity=2 if back <= 7 else 10,
                )
            )
    a = ask(book, "Is Willowfield Devices using the product?", MANAGER)
    assert a.text.startswith(
        f"*Willowfield Devices Co*'s product usage (active users a day), last active on "
        f"{today - dt.timedelta(days=1):%-d %b %Y}:\n"
        "• *usage-drop* fires: 2/day in the last 7 days vs 10/day in the 28 days before (down 80%; rule: 40%+ down)"
    ), a.text
    assert a.source == "policy"
    # was: the owner ("is owned by ..."), the nearest record field by meaning
    users = ask(book, "how many users does Willowfield Devices have?", MANAGER)
    assert users.text.startswith("*Willowfield Devices Co*'s product usage (active users a day)"), users.text
    none = ask(book, "What's Westwardwood Studios' usage trend?", MANAGER)
    assert none.text.startswith("*Westwardwood Studios Group* has no product usage on record."), none.text


def test_shipments_are_the_latest_with_late_ones_said_so(book: Services, clock: Clock) -> None:
    # was: "Has X's order shipped?" gave the expedite route
    willow = cid(book, "Willowfield Devices Co")
    with session_scope(book.sessions) as s:
        s.add(
            Shipment(
                customer_id=willow,
                external_id="SHP-7",
                order_external_id="SO-<!here>",
                status="shipped",
                carrier="UPS",
                promised_at=clock.now - dt.timedelta(days=3),
                shipped_at=clock.now - dt.timedelta(days=6),
            )
        )
    a = ask(book, "Has Willowfield Devices' order shipped?", MANAGER)
    shipped, promised = clock.now - dt.timedelta(days=6), clock.now - dt.timedelta(days=3)
    assert a.text == (
        "*Willowfield Devices Co*'s latest shipments:\n"
        f"• SHP-7 (order SO-&lt;!here&gt;): shipped {shipped:%-d %b %Y} by UPS, promised {promised:%-d %b %Y}, "
        "*late* by 3 day(s)"
    ), a.text
    none = ask(book, "Is Westwardwood Studios' delivery late?", MANAGER)
    assert none.text == "*Westwardwood Studios Group* has no shipments on record."
    # a request about a shipment is its approval route, not the shipments (caught by benchmarks/ask_customers.py)
    route = ask(book, "Can we expedite the shipment for Willowfield Devices?", MANAGER)
    assert "an expedite" in route.text and "needs approval from" in route.text, route.text


def test_sla_kept_lately_is_each_tickets_targets_on_the_customers_clock(book: Services, clock: Clock) -> None:
    # was: "Did we breach the SLA for X last month?" gave the tier's targets, not whether we kept them
    willow = cid(book, "Willowfield Devices Co")  # gold: 24x7, P1 30m / 8h, P3 4h / 3d
    now = clock.now
    with session_scope(book.sessions) as s:
        for subject, priority, opened, answered, resolved in [
            ("Late answer", "P1", now - dt.timedelta(days=10), dt.timedelta(minutes=45), dt.timedelta(hours=5)),
            ("Slow fix", "P3", now - dt.timedelta(days=20), dt.timedelta(hours=1), dt.timedelta(days=4)),
            ("Still open", "P3", now - dt.timedelta(hours=1), None, None),
            ("Too old", "P1", now - dt.timedelta(days=40), dt.timedelta(hours=9), None),
        ]:
            s.add(
                Ticket(
                    customer_id=willow,
                    subject=subject,
                    priority=priority,
                    status="open" if resolved is None else "closed",
                    opened_at=opened,
                    first_response_at=opened + answered if answered else None,
                    resolved_at=opened + resolved if resolved else None,
                )
            )
        s.flush()
        ids = dict(s.execute(select(Ticket.subject, Ticket.id).where(Ticket.customer_id == willow)).tuples().all())
    a = ask(book, "Did we breach the SLA for Willowfield Devices recently?", MANAGER)
    assert a.text == (
        "*Willowfield Devices Co* opened 3 tickets in the last 30 days: first response within target on 1; late on 1 "
        f"(#{ids['Late answer']} P1: 45m against 30m); 1 still waiting within target; resolution within target on 1 "
        f"of the 2 resolved, late on 1 (#{ids['Slow fix']} P3: 4d against 3d)."
    ), a.text
    # the window asked (was: the last 30 days, whatever was asked)
    year = ask(book, "how many tickets breached SLA for Willowfield Devices this year?", MANAGER).text
    assert year.startswith("*Willowfield Devices Co* opened 4 tickets this year"), year
    assert f"#{ids['Too old']} P1: 9h against 30m" in year, year
    assert ask(book, "Have we been meeting Westwardwood Studios' SLA?", MANAGER).text == (
        "*Westwardwood Studios Group* opened no tickets in the last 30 days."
    )


def test_a_question_about_a_customer_the_playbooks_do_not_answer_is_declined_with_the_card(book: Services) -> None:
    book.index.passages = []  # type: ignore[attr-defined]  # nothing in the playbooks is on the question
    roadmap = ask(book, "Can I share our roadmap with Willowfield Devices?")
    # "I don't know" (was: "Here is what I have on ...", as if the card answered it), whom to ask, and the card
    assert not roadmap.answered and roadmap.text == "", roadmap.text
    assert roadmap.customer is not None and roadmap.account_owner == "U0AMGOLD"
    assert ask(book, "tell me about Willowfield Devices").text == "Here is what I have on *Willowfield Devices Co*."
    # the name alone, its legal suffix typed too (was: declined, or "Glacierwood Dental Ltd" gave its owner)
    for alone in ("Willowfield Devices Co", "glacierwood dental ltd?"):
        assert ask(book, alone).text.startswith("Here is what I have on *"), alone
    # what the record does not keep is not the nearest field it does (was: "... is owned by <@U0AMGOLD>.")
    unknown = ask(book, "Who is the CEO of Willowfield Devices?")
    assert not unknown.answered and unknown.source != "record", unknown.text
    assert unknown.customer is not None and unknown.account_owner == "U0AMGOLD"
    # a figure of their company is said to be one the record does not keep (test_a_figure_the_record_does_not_keep)
    staff = ask(book, "How many employees does Willowfield Devices have?")
    assert staff.text.startswith("I don't have that for *Willowfield Devices Co*"), staff.text


def test_what_to_do_about_a_customers_situation_is_a_how_to_for_that_customer(book: Services) -> None:
    # the priority to give a situation told (was: "Customer says their invoices are wrong, what priority?" asked
    # "which customer?", the invoices read as the payment status asked)
    told = ask(book, "Customer says their invoices are wrong, what priority?")
    assert told.source == "playbooks" and told.customer is None, told.text
    # The record field the question mentions is the situation, not what is asked: not "health score is 74/100"
    churn = ask(book, "Willowfield Devices is threatening to churn, what should I do?")
    assert churn.source != "record" and "health score" not in churn.text, churn.text
    assert churn.customer is not None and churn.customer.name == "Willowfield Devices Co"  # the card goes with it
    # and where the playbooks do not say, the answer says "I don't know", not the card alone
    assert not churn.answered or churn.citations, churn.text
    assert ask(book, "what's the health score for Willowfield Devices").source == "record"
    # a privacy request's deadline is the playbooks', not the renewal date ("deadline" once read as renewal_date)
    erase = ask(book, "Willowfield Devices asked us to delete their data, what's the deadline?")
    assert erase.source != "record" and "renews on" not in erase.text, erase.text


def test_an_approval_question_gets_this_customers_route_and_a_prefilled_button(book: Services) -> None:
    # valued on their ARR (a role that sees it): one route, not one per discount value (was: the route for each)
    a = ask(book, "Can I give Willowfield Devices a 20% discount on their renewal?", MANAGER)
    assert a.text.startswith(
        "A 20% discount ($82,400, 20% of $412,000) for *Willowfield Devices Co* (gold) needs approval from Sales "
        "manager, then Deal desk in <#C0DEALDESK>. [1]"
    ), a.text
    assert "Valued on their ARR on record, $412,000, as one year's fees; say the deal's value if it differs." in a.text
    assert a.source == "policy" and a.citations and a.sensitive  # it states ARR: to the asker alone in a channel
    assert a.approval is not None
    assert (a.approval.request_type, a.approval.customer_id, a.approval.percent, a.approval.amount) == (
        "discount",
        cid(book, "Willowfield Devices Co"),
        "20%",
        "$82,400",
    )
    # a role that does not see ARR gets the route for each discount value, which tells nothing of it
    agent = ask(book, "Can I give Willowfield Devices a 20% discount on their renewal?", AGENT)
    assert agent.text.startswith(
        "A 20% discount for *Willowfield Devices Co* (gold) needs approval from Sales manager, then Deal desk in "
        "<#C0DEALDESK> if the discount value is at most $250,000"
    ), agent.text
    assert "412" not in agent.text and "82,400" not in agent.text and not agent.sensitive
    assert agent.approval is not None and agent.approval.amount == ""
    credit = ask(book, "Can we give Glacierwood Dental a $2,000 service credit?", MANAGER)
    assert "Service management, then CS leadership in <#C0GOVERN>" in credit.text
    assert credit.approval is not None and credit.approval.amount == "$2,000"
    # a bound is no amount to file: the button leaves it for the requester (the route is the one above it)
    over = ask(book, "Who approves a credit over $10,000 for Glacierwood Dental?", MANAGER)
    assert "over $10,000" in over.text and "then Finance" in over.text, over.text
    assert over.approval is not None and over.approval.amount == ""


def test_a_percentage_of_a_deal_is_routed_by_the_discount_it_makes(book: Services) -> None:
    # was: "A 12% discount ($120,000)": the deal read as the discount, routed to Sales manager then Deal desk
    a = ask(book, "Can I give Willowfield Devices 12% on a $120k renewal?", MANAGER)
    assert a.text.startswith(
        "A 12% discount ($14,400, 12% of $120,000) for *Willowfield Devices Co* (gold) needs approval from Sales "
        "manager in <#C0DEALDESK>"
    ), a.text
    assert a.approval is not None and (a.approval.percent, a.approval.amount) == ("12%", "$14,400")
    terms = ask(book, "Willowfield Devices wants custom terms on a $150k contract", MANAGER)  # its measure: the deal
    assert terms.text.startswith("Custom terms of $150,000 for *Willowfield Devices Co* (gold)"), terms.text
    # a credit said as a share of an invoice is that share (was: a credit of the whole $5,000), filed in dollars
    credit = ask(book, "Can I give Willowfield Devices a 10% credit on a $5k invoice?", MANAGER)
    assert credit.text.startswith("A 10% service credit (SLA exception) ($500, 10% of $5,000) for *Willowfield"), (
        credit.text
    )
    assert credit.approval is not None and (credit.approval.percent, credit.approval.amount) == ("", "$500")


def test_a_percentage_of_a_deal_asked_as_ok_is_its_discount_route(book: Services) -> None:
    # was: the discount matrix's raw rows
    a = ask(book, "is 25% on a $50k deal for a silver customer ok?")
    assert a.text.startswith(
        "A 25% discount ($12,500, 25% of $50,000) for a silver customer needs approval from Sales manager, then Deal "
        "desk in <#C0DEALDESK>."
    ), a.text


def test_free_months_are_routed_as_the_discount_they_make(book: Services) -> None:
    # "Free months and credits count as discount value" (the discount policy). Was: custom terms of $120,000
    a = ask(book, "Can we give Willowfield Devices two free months on a $120k deal?", MANAGER)
    assert a.text.startswith("A 16.7% discount ($20,000, 16.7% of $120,000) for *Willowfield Devices Co* (gold)")
    assert "2 free months count as discount value: 2/12 of $120,000, taken as a year's fees." in a.text
    assert a.approval is not None and (a.approval.request_type, a.approval.amount) == ("discount", "$20,000")
    more = ask(book, "Can we give Willowfield Devices 14 free months?", MANAGER)
    assert "14 free months is more than a year. Give at most 12 free months" in more.text and more.approval is None
    # a follow-up that says only another count is that many months (was: the two months again)
    willow = cid(book, "Willowfield Devices Co")
    first = "Can we give Willowfield Devices two free months on a $120k deal?"
    three = ask(book, "what about three?", MANAGER, earlier=first, thread_customer=willow)
    assert three.text.startswith("A 25% discount ($30,000, 25% of $120,000) for *Willowfield Devices Co*"), three.text
    assert "3 free months count as discount value" in three.text
    # another kind of value is not a count of months (was: "20 free months is more than a year")
    percent = ask(book, "and 20%?", MANAGER, earlier=first, thread_customer=willow)
    assert percent.text.startswith("A 20% discount ($24,000, 20% of $120,000) for *Willowfield Devices Co*"), (
        percent.text
    )


def test_the_tier_values_place_a_customer_in_is_computed(book: Services) -> None:
    # was: the tiers table's rows (and, for "$60k LTV", an alert rule first): tiers.yaml's rule, applied
    a = ask(book, "What tier is a customer with $300k ARR?", MANAGER)
    assert a.source == "policy" and a.text.startswith(
        "A customer with ARR of $300,000 places in *Platinum*, which takes a lifetime value of $1,000,000 or ARR "
        "of $250,000."
    ), a.text
    ltv = ask(book, "A customer has $60k LTV, which tier?", MANAGER)
    assert ltv.text.startswith("A customer with lifetime value of $60,000 places in *Silver*"), ltv.text
    assert "Their ARR may place them higher" in ltv.text


def test_a_record_field_and_a_policy_in_one_question_are_both_answered(book: Services) -> None:
    # was: the approval route alone (one intent per answer), the renewal date dropped
    a = ask(book, "When does Willowfield Devices renew, and can I give them 15%?", MANAGER)
    renewal, route = a.text.split("\n")[:2]
    assert renewal == "*Willowfield Devices Co* renews on 4 Jan 2027, in 41 days; owner <@U0AMGOLD>."
    assert route.startswith("A 15% discount ($61,800, 15% of $412,000) for *Willowfield Devices Co* (gold) needs")
    assert "[1]" in route
    assert a.source == "policy" and a.approval is not None and a.approval.percent == "15%"
    # a field the asker may not see stays restricted, the route is still given, and nothing is marked sensitive
    agent = ask(book, "What's Willowfield Devices' ARR, and can I give them 15%?", AGENT)
    assert "412" not in agent.text and "ARR is restricted for your role" in agent.text
    assert "A 15% discount for *Willowfield Devices Co* (gold)" in agent.text and not agent.sensitive
    # an invalid value is said back after the record's answer
    bad = ask(book, "When does Willowfield Devices renew, and can I give them 150%?", MANAGER)
    assert bad.text.startswith("*Willowfield Devices Co* renews on 4 Jan 2027")
    assert "150% is over 100%. Give a percentage between 0 and 100" in bad.text.split("\n")[1]
    # a computed target the same way: the tier from the record, then escalation
    esc = ask(book, "What tier is Willowfield Devices and who do I escalate a P1 to?", MANAGER)
    tier, first = esc.text.split("\n")[:2]
    assert tier.startswith("*Willowfield Devices Co* is a *Gold* customer") and first.startswith("*Gold sev1*")


def test_tiers_compared_get_each_tiers_answer(book: Services) -> None:
    # was: the first tier named only ("compare platinum and gold escalation"), and a how-to for the promises
    esc = ask(book, "compare platinum and gold escalation", MANAGER)
    assert esc.text.startswith("Who a *Platinum* escalation goes to, by severity:")
    assert "Who a *Gold* escalation goes to, by severity:" in esc.text and esc.source == "policy"
    sla = ask(book, "what are the SLA targets for gold vs silver?", MANAGER)
    gold, silver = sla.text.split("\n")[:2]
    assert gold.startswith("*Gold* SLA: first response / resolution P1 30m / 8h") and silver.startswith("*Silver* SLA:")
    promised = ask(book, "what is the difference between gold and silver?", MANAGER)
    assert promised.text.startswith("*Gold* over *Silver*: support coverage 24x7 (silver: business hours)")


def test_who_may_see_a_field_is_the_roles_policy(book: Services) -> None:
    # was: the consent section ("Never use a contact's personal phone number ...")
    a = ask(book, "who can see customer phone numbers?", AGENT)
    assert a.text.startswith("*Contact phone* is sensitive: only support agent, support lead") and a.source == "policy"
    assert ask(book, "can I see ARR?", AGENT).text.startswith("No: you do not see *ARR* (")  # the asker's own role
    # a customer named: the record answers, redacted for the asker's role as always
    named = ask(book, "can I see Willowfield Devices' ARR?", AGENT)
    assert "412" not in named.text and "restricted for your role" in named.text


def test_an_approval_question_naming_no_customer_gets_every_rule(book: Services) -> None:
    a = ask(book, "who approves expedited shipping?", MANAGER)
    first, ask_for = a.text.split("\n")[:2]
    assert first.startswith("An expedite: up to $500 for platinum or gold at low risk is auto-approved")
    assert first.endswith("[1]")
    assert ask_for == "Tell me the customer and the extra fulfilment cost for the exact route."
    assert a.source == "policy" and a.customer is None and a.approval is not None
    assert (a.approval.request_type, a.approval.customer_id) == ("expedited_fulfilment", None)


@pytest.mark.parametrize(
    ("question", "reply"),
    [
        (
            "Can I give Willowfield Devices a 150% discount?",
            "I can't route that discount: 150% is over 100%. Give a percentage between 0 and 100 and I'll tell you "
            "who approves it.",
        ),
        (
            "Can we credit Glacierwood Dental -$500 for the outage?",
            "I can't route that service credit (SLA exception): -$500 is a negative amount. Give a positive amount "
            "(service credit) and I'll tell you who approves it.",
        ),
    ],
)
def test_invalid_values_get_a_short_reply(book: Services, question: str, reply: str) -> None:
    a = ask(book, question, MANAGER)
    assert a.text == reply and a.source == "clarify" and a.approval is None


def test_two_customers_in_one_question_get_which_one(book: Services) -> None:
    a = ask(book, "When do Willowfield Devices and Glacierwood Dental renew?")
    assert a.text.startswith("You named *Willowfield Devices Co* (gold) and *Glacierwood Dental Ltd* (bronze)")
    assert a.customer is None and {c.name for c in a.choices} == {"Willowfield Devices Co", "Glacierwood Dental Ltd"}
    assert "2027" not in a.text and "2026" not in a.text  # neither customer's data
    with book.sessions() as s:
        assert s.scalars(select(QuestionLog.customer_id)).one() is None


def test_a_customer_question_without_a_customer_asks_which(book: Services) -> None:
    a = ask(book, "when do they renew")
    assert a.text.startswith("Which customer do you mean?") and a.customer is None and a.source == "clarify"


def test_a_record_asked_of_the_first_word_of_a_name_offers_that_customer_to_pick(book: Services) -> None:
    # was: a how-to over the playbooks, declined: one word is never linked, so it is offered, not assumed
    a = ask(book, "whats the ARR for willowfield", MANAGER)
    assert a.text == "No customer is called _willowfield_; did you mean *Willowfield Devices Co* (gold)? Pick one."
    assert a.customer is None and [c.name for c in a.choices] == ["Willowfield Devices Co"] and a.source == "clarify"
    assert "412" not in a.text
    csm = ask(book, "Who's the CSM for willowfield?", MANAGER)  # was declined: "CSM" named no field by its words
    assert [c.name for c in csm.choices] == ["Willowfield Devices Co"]
    # a how-to that happens to contain a first word is not asked back; a word that starts no name offers nothing
    assert not ask(book, "how do we onboard a company like willowfield?").choices
    assert not ask(book, "what's the ARR for foobarly?").choices
    # typed like a search, a name's first word with what is asked, or alone (was: a how-to, declined)
    for terse in ("willowfield renewal", "renewal willowfield", "willowfield"):
        assert [c.name for c in ask(book, terse, MANAGER).choices] == ["Willowfield Devices Co"], terse
    assert not ask(book, "renewal timeline").choices  # no customer's first word: the playbooks
    # a request's route depends on its customer: asked of a first word, it is offered too (was: the route for any
    # customer, "Tell me the customer ...", the name unread)
    for route in (
        "willowfield wants net 90 payment terms, who signs off?",
        "can I give Willowfield a 15% discount?",
        "Willowfield wants termination for convenience in their contract",  # "their": no customer in view yet
    ):
        routed = ask(book, route, MANAGER)
        assert [c.name for c in routed.choices] == ["Willowfield Devices Co"] and routed.approval is None, route
        assert routed.text.startswith("No customer is called _willowfield_"), routed.text


def test_a_question_about_many_customers_is_answered_from_the_book(book: Services) -> None:
    # was: "I answer from one customer's record at a time ..." for every list; "Who renews before March?" quoted
    # the churn playbook and "How many open P1s do we have?" was declined
    with session_scope(book.sessions) as s:
        s.add(Customer(name="Evil <!channel> Corp", tier="bronze", region="na", renewal_date=dt.date(2026, 12, 28)))
    month = ask(book, "which customers renew next month?")
    assert month.text == (
        "*2 customers* renew in December 2026 (1 Dec 2026 to 31 Dec 2026):\n"
        "• *Glacierwood Dental Ltd* (bronze) on 20 Dec 2026, no owner\n"
        "• *Evil &lt;!channel&gt; Corp* (bronze) on 28 Dec 2026, no owner\n"
        "Ask about one by name, or in this thread by its place (`the second one`), for its record."
    ), month.text
    assert month.source == "record" and month.customer is None and "<!channel>" not in month.text
    before = ask(book, "Who renews before March?")
    assert before.text.startswith("*4 customers* renew before March 2027 (24 Nov 2026 to 28 Feb 2027):"), before.text
    assert "*Willowfield Devices Co* (gold) on 4 Jan 2027, owner Marcus Okafor" in before.text  # named, not pinged
    assert "<@" not in before.text
    mine = ask(book, "list my accounts", MANAGER)
    assert mine.text.startswith("*1 customer (owned by Marcus Okafor)*:\n• *Willowfield Devices Co* (gold, na), renews")
    assert ask(book, "show me our platinum customers").text == "*No customer (platinum)*."
    # whose: a colleague by name, or nobody (was: every customer listed, the "no owner" unread)
    marcus = ask(book, "What are Marcus's accounts?")
    assert marcus.text.startswith("*1 customer (owned by Marcus Okafor)*:\n• *Willowfield Devices Co*"), marcus.text
    assert ask(book, "How many customers does Marcus Okafor own?").text.startswith("*1 customer (owned by Marcus")
    assert ask(book, "who are our silver accounts in emea?").text.startswith("*1 customer (silver, emea)*:")
    # a country is its region, said so: the record keeps no country (was: "the EU" quoted the DPA's SCCs)
    uk = ask(book, "Which UK customers renew before March?")
    assert uk.text.startswith(
        "The record keeps each customer's region, not their country: this is every emea customer, not only those in "
        "the UK.\n*1 customer (emea)* renews before March 2027"
    ), uk.text
    assert ask(book, "Which customers are in the EU?").text.startswith("The record keeps each customer's region")
    # every region named (was: the first alone, the list cut to emea)
    both = ask(book, "Which customers are in emea or apac?").text
    assert both.startswith("*2 customers (emea, apac)*:"), both
    # "with us" names no country (was: read as the US, the list cut to north america)
    assert ask(book, "Which customers renew with us before March?").text.startswith("*4 customers* renew before")
    assert not ask(book, "which customers qualify for platinum?").text.startswith("*")  # thresholds, not a list
    nobody = ask(book, "Which accounts have no owner?")
    assert nobody.text.startswith("*2 customers (without an owner)*:\n• *Evil &lt;!channel&gt; Corp*"), nobody.text
    assert ask(book, "Which gold customers have open P1s?").text == "*No customer (gold)* has an open P1 ticket."
    # renewals of customers with open tickets (was: the renewals, the tickets unread)
    renewing = ask(book, "Which customers renew before March and have open tickets?")
    assert renewing.text.startswith("*1 customer (with open tickets)* renews before March 2027"), renewing.text
    assert "*Glacierwood Dental Ltd*" in renewing.text and "Willowfield" not in renewing.text
    # "my" from someone who owns no account: said so, not an empty list alone
    agents = ask(book, "which of my tickets are breaching?", AGENT)
    assert "owns no account, and lists go by the customer's owner" in agents.text, agents.text
    # ... a list of their accounts too (was: "*No customer (owned by ...)*, by ARR, highest first." alone)
    mine = ask(book, "what's the total ARR of my book?", "U0FINCTRL").text
    assert "owns no account, and lists go by the customer's owner" in mine, mine
    # a filter turned round is said so (was: the very customers it excludes, listed)
    for question in ("which gold customers are not in emea?", "which customers have no overdue invoices?"):
        assert ask(book, question).text.startswith("I can't list customers by what they are *not*"), question
    # customers without tickets (was: the customers WITH open tickets, the negation unread)
    without = ask(book, "Which customers have no open tickets?").text
    assert without.startswith("*4 customers (no open ticket)*:\n• *Evil &lt;!channel&gt; Corp*"), without
    assert "Glacierwood" not in without and "*Willowfield Devices Co*" in without
    assert ask(book, "which bronze customers haven't opened a ticket this year?").text.startswith(
        "*2 customers (bronze, no ticket opened since 1 Jan 2026)*:\n• *Evil &lt;!channel&gt; Corp*"
    )
    tickets = ask(book, "How many open tickets do we have?")
    assert tickets.text.startswith("*1 customer* has 1 open ticket:\n• *Glacierwood Dental Ltd* (bronze): 1 open"), (
        tickets.text
    )
    # late shipments across the book (was: the expedite policy's peak-season line)
    with session_scope(book.sessions) as s:
        s.add(
            Shipment(
                customer_id=cid(book, "Willowfield Devices Co"),
                external_id="SHP-9",
                status="pending",
                carrier="<!channel> Express",
                promised_at=dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
            )
        )
    late = ask(book, "Which shipments are late?")
    assert late.text.startswith(
        "*1 late shipment*:\n• *Willowfield Devices Co* (gold): SHP-9: pending by &lt;!channel&gt; Express, promised "
        "20 Nov 2026, *late* by 4 day(s)"
    ), late.text
    assert ask(book, "Any late shipments for platinum customers?").text == "*No late shipment (platinum)*."
    # tickets past their SLA target across the book, on each customer's clock (was: the SLA handbook's breach line)
    with session_scope(book.sessions) as s:
        down = Ticket(
            customer_id=cid(book, "Willowfield Devices Co"),
            subject="<!here> all down",
            priority="P1",
            status="open",
            opened_at=dt.datetime(2026, 11, 24, 10, tzinfo=dt.UTC),  # 2h ago: gold P1 answers within 30m, 24x7
        )
        s.add(down)
        s.flush()
        down_id = down.id
    breaching = ask(book, "Is anyone breaching right now?")
    assert breaching.text.startswith(
        "*1 open ticket* past their SLA target:\n• *Willowfield Devices Co* (gold, owner Marcus Okafor): "
        f"#{down_id} P1 _&lt;!here&gt; all down_: first response target 30m *breached* by 1h 30m"
    ), breaching.text
    assert ask(book, "any SLA breaches for platinum?").text == "*No open ticket (platinum)* past their SLA target."
    # the open tickets by age, each one a line (was: "what's the oldest open ticket?" declined)
    oldest = ask(book, "what's the oldest open ticket?").text
    assert oldest.startswith("*2 open tickets*, the oldest first:\n• *Glacierwood Dental Ltd* (bronze, no owner): #"), (
        oldest
    )
    assert oldest.index("Scanner &lt;!channel&gt; offline") < oldest.index(f"#{down_id} P1 _&lt;!here&gt; all down_")
    assert ask(book, "which P1 tickets have been open longest?").text.startswith(
        f"*1 open P1 ticket*, the oldest first:\n• *Willowfield Devices Co* (gold, owner Marcus Okafor): #{down_id}"
    )
    # a value each record must work out, or a cap: not listed, and said so (a ranking by ARR is listed:
    # test_the_book_ranked_by_a_value_goes_only_to_roles_that_see_it; the tickets closed last week are counted:
    # test_how_support_kept_its_sla_is_the_kpi_packs_figures; the accounts per owner are counted:
    # test_the_book_counted_per_owner_names_the_owners_most_first)
    many = ask(book, "which customers have the highest churn risk?")
    assert many.text.startswith("I list customers across the book by tier"), many.text
    # overdue *on* payments is the overdue list (was: the help for lists), restricted like every wording of it
    overdue = ask(book, "Which customers are overdue on payments?").text
    assert overdue.startswith(":lock: Payment status is restricted for your role"), overdue


def test_a_follow_up_to_a_list_of_the_book_narrows_that_list(book: Services) -> None:
    # was: "only the gold ones?" after "who renews before March?" quoted the renewal runbook
    first = "Who renews before March?"
    gold = ask(book, "only the gold ones?", earlier=first)
    assert gold.text.startswith("*1 customer (gold)* renews before March 2027 (24 Nov 2026 to 28 Feb 2027):\n• *Willow")
    later = ask(book, "and in February?", earlier=f"{first} only the gold ones?")  # the thread's chain of questions
    assert later.text == "*No customer (gold)* renews in February 2027 (1 Feb 2027 to 28 Feb 2027).", later.text
    p2 = ask(book, "and P2s?", earlier="How many open P1s do we have?")
    assert p2.text.startswith("*1 customer* has 1 open P2 ticket:\n• *Glacierwood Dental Ltd*"), p2.text
    mine = ask(book, "which of them renew next quarter?", MANAGER, earlier="list my accounts")
    assert mine.text.startswith("*1 customer (owned by Marcus Okafor)* renews next quarter, Q1 2027 (1 Jan 2027"), (
        mine.text
    )
    # a follow-up that asks something else is not the list again
    other = ask(book, "who approves a 20% discount?", earlier=first)
    assert "needs approval from" in other.text and "renews" not in other.text, other.text


def test_pending_approvals_are_the_askers_queue_and_open_requests(book: Services) -> None:
    # was: "What approvals are pending?" quoted the approvals process
    draft = discount("Willowfield Devices Co", "12%", "Competitor offered 12% off.")
    rid = submit_request(book, draft).request_id
    mine = ask(book, "What approvals are pending?", MANAGER)
    assert mine.text.startswith(
        "Nothing waits for your decision.\nYour open requests (1):\n"
        f"• #{rid} Discount for *Willowfield Devices Co* (12% / $40,000) · Sales manager · since 2026-11-24"
    ), mine.text
    approver = ask(book, "what do I need to approve?", "U0SALESMGR")
    assert approver.text.startswith(f"Waiting for your decision (1):\n• #{rid} Discount for"), approver.text
    assert "You have no open requests." in approver.text


def test_past_decisions_are_the_askers_votes_and_their_requests_outcomes(book: Services, clock: Clock) -> None:
    # was: "Which requests did I approve this week?" quoted the approvals process; "what have I approved
    # recently?" was declined
    drafts = [
        discount(name, pct) for name, pct in (("Willowfield Devices Co", "12%"), ("Glacierwood Dental Ltd", "14%"))
    ]
    first, second = (submit_request(book, d).request_id for d in drafts)
    assert decide(book, first, 0, "U0SALESMGR", "approve").code == "approved"
    clock.advance(hours=2)
    assert decide(book, second, 0, "U0SALESMGR", "reject", reason="too deep").code == "rejected"
    approved = ask(book, "Which requests did I approve this week?", "U0SALESMGR")
    assert approved.text.startswith(
        "Your approvals this week (since 23 Nov 2026) (1):\n"
        f"• #{first} Discount for *Willowfield Devices Co* (12% / $40,000): approved on 24 Nov 2026"
    ), approved.text
    assert f"#{second}" not in approved.text and approved.source == "policy"
    every = ask(book, "what have I decided recently?", "U0SALESMGR")
    assert every.text.startswith(f"Your decisions in the last 30 days (2):\n• #{second} Discount"), every.text
    assert "rejected on 24 Nov 2026" in every.text
    assert ask(book, "did I reject anything last month?", "U0SALESMGR").text.startswith(
        "You made no rejections last month (October 2026)."
    )
    # the requester's side: their own requests' outcomes
    mine = ask(book, "were my requests approved?", MANAGER)
    assert mine.text.startswith(
        f"Your requests approved in the last 30 days (1):\n• #{first} Discount for *Willowfield Devices Co* (12% / "
        "$40,000): approved on 24 Nov 2026"
    ), mine.text
    assert ask(book, "were my requests approved?", "U0SALESMGR").text.startswith("None of your requests was approved")
    decided = ask(book, "which of my requests have been decided?", MANAGER)
    assert decided.text.startswith(f"Your requests decided in the last 30 days (2):\n• #{second} "), decided.text
    assert "<!channel>" not in decided.text and "Competitor" not in decided.text  # the justification is not listed
    # what waits is still the queue
    assert ask(book, "what approvals are pending?", MANAGER).text.startswith("Nothing waits for your decision.")
    # their requests, whatever became of them: the open ones, then those decided (was: the SLA policy's "a ticket
    # may be raised ..." and the privacy-request lines)
    third = submit_request(book, discount("Westwardwood Studios Group", "13%")).request_id
    raised = ask(book, "what requests have I raised?", MANAGER)
    assert raised.text.startswith(
        f"Your open requests (1):\n• #{third} Discount for *Westwardwood Studios Group* (13% / $40,000) · Sales "
        f"manager · since 2026-11-24\nYour requests decided in the last 30 days (2):\n• #{second} "
    ), raised.text
    # a follow-up changes the window and keeps what was asked (was: every decision, the "approve" lost)
    turn = in_thread(book, "1700000000.000910", "U0SALESMGR")
    turn("which requests did I approve this week?")
    assert turn("and last month?").text.startswith("You made no approvals last month (October 2026).")


def test_how_renewals_went_is_the_kpi_reports_figures_with_arr_to_roles_that_see_it(book: Services) -> None:
    # was: "what's our renewal rate this quarter?" quoted the runbook's uplift rules, "which customers churned
    # last month?" was said as not listed
    decisions = [  # name, outcome, decided, ARR before, after, the CRM's reason
        ("Willowfield Devices Co", "renewed", dt.datetime(2026, 10, 20, 9, tzinfo=dt.UTC), "400000", "412000", None),
        ("Westwardwood Studios Group", "renewed", dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC), "40000", "38000", None),
        (
            "Glacierwood Dental Ltd",
            "churned",
            dt.datetime(2026, 11, 12, 9, tzinfo=dt.UTC),
            "9000",
            None,
            "moved to <!channel> <https://evil.example|a rival>",
        ),
        ("Studios Northwave Inc", "renewed", dt.datetime(2026, 8, 10, 9, tzinfo=dt.UTC), "5000", "6000", None),
    ]
    with session_scope(book.sessions) as s:
        for name, outcome, at, before, after, why in decisions:
            s.add(
                Renewal(
                    customer_id=cid(book, name),
                    outcome=outcome,
                    decided_at=at,
                    arr_before=Decimal(before),
                    arr_after=Decimal(after) if after else None,
                    reason=why,
                )
            )
    manager = ask(book, "what's our renewal rate this quarter?", MANAGER)
    # NRR 450,000 / 449,000, GRR (400,000 + 38,000) / 449,000, the churned 9,000 lost and 12,000 - 2,000 grown
    assert manager.text.startswith(
        "Renewals decided this quarter (Q4 2026): 3, 2 renewed and 1 churned (renewal rate 67%, churn 33%); "
        "NRR 100%, GRR 98%, expansion +$1,000.\n"
        "• *gold*: 1 renewed, 0 churned (churn 0%); GRR 100% (target 95%), NRR 103% (target 110%)\n"
        "• *silver*: 1 renewed, 0 churned (churn 0%); GRR 95% (target 90%), NRR 95% (target 103%)\n"
        "• *bronze*: 0 renewed, 1 churned (churn 100%); GRR 0% (target 85%), NRR 0% (target 98%)"
    ), manager.text
    assert manager.sensitive and manager.source == "policy" and "Glacierwood" not in manager.text
    agent = ask(book, "which customers churned this quarter?", AGENT)  # counts and rates: no ARR
    assert agent.text.startswith(
        "Renewals decided this quarter (Q4 2026): 3, 2 renewed and 1 churned (renewal rate 67%, churn 33%).\n"
    ), agent.text
    assert "NRR 1" not in agent.text and "$" not in agent.text and not agent.sensitive
    assert ":lock: NRR, GRR and expansion are sums of ARR, restricted for your role" in agent.text
    assert "Churned:\n• *Glacierwood Dental Ltd* (bronze), 12 Nov 2026: moved to " in agent.text
    assert "<!channel>" not in agent.text and "<https://" not in agent.text  # the CRM's reason is inert
    assert ask(book, "how did renewals go last quarter?", MANAGER).text.startswith(
        "Renewals decided last quarter (Q3 2026): 1, 1 renewed and 0 churned (renewal rate 100%, churn 0%)"
    )
    assert ask(book, "what was our churn rate last year?", MANAGER).text.startswith(
        "No renewal was decided last year (2025)."
    )
    # "our churn" asks the figure (was: the renewal runbook's sentences on churn), and a tier named keeps its own
    # (was: every tier's)
    churn = ask(book, "what's our bronze churn this quarter?", MANAGER)
    assert churn.text.startswith(
        "Renewals decided this quarter (Q4 2026) for bronze: 1, 0 renewed and 1 churned (renewal rate 0%, churn 100%)"
    ), churn.text
    assert "*gold*" not in churn.text and "*bronze*: 0 renewed, 1 churned" in churn.text
    assert ask(book, "what's our churn this quarter?", MANAGER).text.startswith("Renewals decided this quarter (Q4")
    # in a thread, a window said before holds (was: "which customers churned?" read the last 90 days)
    turn = in_thread(book, "1700000000.000980")
    turn("how did renewals go last quarter?")
    assert turn("which customers churned?").text.startswith("Renewals decided last quarter (Q3 2026): 1, 1 renewed")
    assert turn("and this quarter?").text.startswith("Renewals decided this quarter (Q4 2026): 3,")


def test_what_waits_on_the_asker_today_is_app_homes_sections_said(book: Services, clock: Clock) -> None:
    # was: "what do I need to do today?" was declined, "what alerts do I have open?" gave the alert rules
    assert ask(book, "what do I need to do today?", MANAGER).text.startswith("Nothing waits on you today: ")
    assert ask(book, "what alerts do I have open?", MANAGER).text == "You have no open alerts."
    glacier = cid(book, "Glacierwood Dental Ltd")  # renews in 26 days; its P2 has been open 10 h, within target
    with session_scope(book.sessions) as s:
        s.get(Customer, glacier).owner_slack_id = MANAGER  # type: ignore[union-attr]
        opened = clock.now - dt.timedelta(days=2)  # a P1 two days without a response: past any tier's target
        s.add(Ticket(customer_id=glacier, subject="Down", priority="P1", status="open", opened_at=opened))
        s.add(
            Alert(
                rule="complaint",
                kind="complaint",
                customer_id=glacier,
                tier="bronze",
                severity="medium",
                urgent=False,
                state="open",
                open_key=f"complaint:{glacier}",
                evidence={"summary": "Complaint <!channel> about <https://evil.example|billing>"},
                recipient=MANAGER,
                created_at=clock.now - dt.timedelta(hours=3),
            )
        )
    day = ask(book, "what's on my plate today?", MANAGER)
    assert day.text.startswith(
        "What waits on you today:\n"
        "• *1 open alert* assigned to you or on your accounts (`what alerts do I have open?`)\n"
        "• *1 open ticket (owned by "
    ), day.text
    assert "past their SLA target (`which of my tickets are breaching?`)" in day.text
    assert (
        "renews in the next 30 days (24 Nov 2026 to 24 Dec 2026) (`which of my accounts renew in the next 30"
        in day.text
    )
    assert "within the last quarter" not in day.text and day.source == "policy"  # nothing about to breach: left out
    listed = ask(book, "which of my accounts renew in the next 30 days?", MANAGER)  # the list it points to
    assert "(24 Nov 2026 to 24 Dec 2026)" in listed.text and "Glacierwood Dental Ltd" in listed.text, listed.text
    alerts = ask(book, "any unacknowledged alerts?", MANAGER)
    assert alerts.text.startswith(
        "You have 1 open alert, highest priority first:\n• `complaint` (medium) for *Glacierwood Dental Ltd*: "
        "Complaint &lt;!channel&gt; about &lt;https://evil.example|billing&gt;"
    ), alerts.text
    assert alerts.sensitive  # an alert's evidence is the asker's to see: sent privately in a channel
    assert ask(book, "what alerts do I have open?", LEAD).text == "You have no open alerts."  # another's are not yours
    # the alerts raised in a window, whatever they became (was: the rules that would send them)
    with session_scope(book.sessions) as s:
        resolved = s.scalars(select(Alert)).one()
        resolved.state, resolved.open_key = "resolved", None
    today = ask(book, "what alerts fired today?", MANAGER)
    assert today.text.startswith(
        "1 alert reached you today, highest priority first:\n• `complaint` (medium) for *Glacierwood Dental Ltd*: "
        "Complaint &lt;!channel&gt;"
    ), today.text
    assert "· since 24 Nov 2026 (resolved)" in today.text  # what it became since
    assert today.sensitive
    assert ask(book, "which of my customers alerted this week?", MANAGER).text.startswith(
        "1 alert reached you this week"
    )
    assert ask(book, "what alerts did I get yesterday?", MANAGER).text.startswith("No alert reached you yesterday")
    assert ask(book, "what alerts fired today?", LEAD).text.startswith("No alert reached you today")


def test_when_the_next_review_or_check_in_is_due_counts_from_the_last_on_record(book: Services, clock: Clock) -> None:
    # was: "when is the next business review with X due?" gave the promise alone ("every 180 days")
    willow = cid(book, "Willowfield Devices Co")  # gold: a business review every 180 days, a check-in every 30
    with session_scope(book.sessions) as s:
        s.add(Note(customer_id=willow, kind="meeting", body="QBR", created_at=clock.now - dt.timedelta(days=100)))
        s.add(Note(customer_id=willow, kind="call", body="<!channel>", created_at=clock.now - dt.timedelta(days=40)))
    review = ask(book, "When is the next business review with Willowfield Devices due?", MANAGER)
    assert review.text.startswith(
        "The last business review on record with *Willowfield Devices Co* was on 16 Aug 2026; gold promises one "
        "every 180 days, so the next is due on 12 Feb 2027, in 80 days."
    ), review.text
    checkin = ask(book, "Is Willowfield Devices overdue for a check-in?", MANAGER)  # was: their payments
    assert checkin.text.startswith(
        "The last check-in on record with *Willowfield Devices Co* was on 15 Oct 2026; gold promises one every 30 "
        "days, so the next is overdue since 14 Nov 2026."
    ), checkin.text
    assert "<!channel>" not in checkin.text and "QBR" not in review.text  # a note's text is never quoted
    none = ask(book, "when was our last QBR with Glacierwood Dental?", MANAGER)  # bronze: no cadence promised
    assert none.text.startswith(
        "No business review with *Glacierwood Dental Ltd* is on record; the bronze tier promises no business review "
        "cadence."
    ), none.text
    promise = ask(book, "how often do we do business reviews with Willowfield Devices?", MANAGER)  # the promise
    assert promise.text.startswith("*Willowfield Devices Co* (gold) is promised: business review every 180 days")


def test_a_request_to_act_is_said_where_it_is_done_never_answered_as_a_question(book: Services) -> None:
    # was: "add a note to X: called about renewal" gave their renewal date, "remind me to call X tomorrow" whether
    # they may be called
    note = ask(book, "add a note to Willowfield Devices: called about renewal", MANAGER)
    assert note.text.startswith("I don't write to the customer record") and note.source == "clarify"
    assert "2027" not in note.text and note.customer is None and note.approval is None
    remind = ask(book, "remind me to call Willowfield Devices tomorrow", MANAGER)
    assert remind.text.startswith("I don't set reminders: Slack's `/remind` does") and remind.customer is None
    # a question about the same is still answered
    assert ask(book, "When does Willowfield Devices renew?", MANAGER).text.startswith("*Willowfield Devices Co* renews")


def test_where_the_record_comes_from_and_how_fresh_it_is(book: Services, clock: Clock) -> None:
    # was: "when was the data last synced?" declined, "how fresh is the customer data?" quoted the privacy playbook
    none = ask(book, "when was the data last synced?", MANAGER)
    assert none.text.startswith("The customer record comes from these sources (`sources.yaml`):\n• *crm_accounts*")
    assert "has not run yet" in none.text and none.citations == [] and none.source == "policy", none.text
    with session_scope(book.sessions) as s:
        two_hours = clock.now - dt.timedelta(hours=2)
        s.add(SyncRun(source="crm_accounts", mode="full", status="ok", started_at=two_hours, finished_at=two_hours))
        failed = clock.now - dt.timedelta(minutes=20)
        s.add(
            SyncRun(source="crm_accounts", mode="incremental", status="failed", started_at=failed, error="<!channel>")
        )
    fresh = ask(book, "how fresh is the customer data?", MANAGER)
    assert "• *crm_accounts* (csv, every 1h): last loaded 24 Nov 2026 " in fresh.text, fresh.text
    assert (
        "UTC, 2h ago; its latest run, 24 Nov 2026 " in fresh.text
        and "20m ago, failed (an admin sees why)" in fresh.text
    )
    assert "<!here>" not in fresh.text and "rapport sync status" not in fresh.text  # the error is an admin's
    assert "`rapport sync status`" in ask(book, "is the CRM sync working?", "U0CSLEAD").text  # an admin


def test_the_latest_interactions_say_a_notes_text_only_to_roles_that_see_notes(book: Services, clock: Clock) -> None:
    # was: "give me X's last 3 interactions" gave the last contact's day alone
    willow = cid(book, "Willowfield Devices Co")
    with session_scope(book.sessions) as s:
        day1, day2, day3 = (clock.now - dt.timedelta(days=d) for d in (3, 10, 20))
        s.add(
            Note(
                customer_id=willow,
                kind="call",
                author_slack_id=MANAGER,
                body="<!channel> asked for 9%",
                created_at=day1,
            )
        )
        s.add(Ticket(customer_id=willow, subject="Export <@U0CFO> fails", priority="P3", status="open", opened_at=day2))
        s.add(Order(customer_id=willow, external_id="SO-1", amount=Decimal("91234"), status="overdue", ordered_at=day3))
    manager = ask(book, "give me Willowfield Devices' last 3 interactions", MANAGER)
    assert manager.text.startswith(
        "*Willowfield Devices Co*'s latest interactions:\n"
        "• 21 Nov 2026: call by Marcus Okafor: _&lt;!channel&gt; asked for 9%_\n"
        "• 14 Nov 2026: ticket #"
    ), manager.text
    assert "_Export &lt;@U0CFO&gt; fails_ opened (open)\n• 4 Nov 2026: order SO-1 placed" in manager.text
    assert "91" not in manager.text and "overdue" not in manager.text  # payment fields are never said here
    agent = ask(book, "what's the recent activity with Willowfield Devices?", AGENT)
    assert "• 21 Nov 2026: call by Marcus Okafor\n" in agent.text and "9%" not in agent.text, agent.text
    assert ":lock: *Willowfield Devices Co*'s notes are restricted for your role" in agent.text
    assert "<!channel>" not in manager.text + agent.text and "<@U0CFO>" not in manager.text + agent.text
    # when and what about: the day, then what it was (was: the day alone)
    about = ask(book, "when did we last talk to Willowfield Devices and what about?", MANAGER).text
    assert about.startswith("Last contact with *Willowfield Devices Co* was on 21 Nov 2026"), about
    assert "• 21 Nov 2026: call by Marcus Okafor: _&lt;!channel&gt; asked for 9%_" in about, about


def test_what_changed_on_an_account_is_its_latest_events_with_contacts_who_left(book: Services, clock: Clock) -> None:
    # was: "what changed on X this week?" and "catch me up on X" gave the card with no lead
    willow = cid(book, "Willowfield Devices Co")
    with session_scope(book.sessions) as s:
        s.add(
            ContactChange(
                customer_id=willow,
                role="executive_sponsor",
                change="left",
                title="COO <!channel>",
                changed_at=clock.now - dt.timedelta(days=2),
            )
        )
        s.add(Ticket(customer_id=willow, subject="Login fails", priority="P2", status="open", opened_at=clock.now))
    changed = ask(book, "what changed on Willowfield Devices lately?", MANAGER)
    head = "*Willowfield Devices Co*'s latest interactions:\n• 24 Nov 2026: ticket #"
    assert changed.text.startswith(head), changed.text
    assert "• 22 Nov 2026: an executive sponsor (_COO &lt;!channel&gt;_) left" in changed.text
    assert "<!channel>" not in changed.text
    # a role that does not see who the customer's contacts are is told the role that left, not their title
    desk = ask(book, "catch me up on Willowfield Devices", DEAL_DESK)
    assert "• 22 Nov 2026: an executive sponsor left" in desk.text and "COO" not in desk.text, desk.text
    assert ask(book, "anything new with Willowfield Devices?", MANAGER).text == changed.text
    # a window named is the window said (was: the latest events whenever they were): the sponsor left on Sunday
    week = ask(book, "what changed on Willowfield Devices this week?", MANAGER).text
    assert week.startswith("*Willowfield Devices Co* this week (since 23 Nov 2026):\n• 24 Nov 2026: ticket #"), week
    assert "sponsor" not in week
    last = ask(book, "what changed on Willowfield Devices last week?", MANAGER).text
    assert last.startswith("*Willowfield Devices Co* last week (16 Nov 2026 to 22 Nov 2026):\n• 22 Nov 2026: an "), last
    assert "Login fails" not in last  # this week's ticket is not last week's
    quiet = ask(book, "what's happened with Willowfield Devices in the last 12 hours?", MANAGER).text
    assert quiet.startswith("*Willowfield Devices Co*'s latest interactions:"), quiet  # hours: no window read


def test_a_share_of_the_arr_is_worked_out_for_roles_that_see_it(book: Services) -> None:
    # was: "what's 15% of X's ARR?" stated the ARR alone
    owner = ask(book, "what's 15% of Willowfield Devices' ARR?", MANAGER)
    assert owner.text == "*Willowfield Devices Co*'s ARR is $412,000. 15% of it is $61,800.", owner.text
    agent = ask(book, "what's 15% of Willowfield Devices' ARR?", AGENT)
    assert "$" not in agent.text and "restricted" in agent.text, agent.text


def test_a_figure_the_record_does_not_keep_is_said_so_not_answered_with_another_field(book: Services) -> None:
    # was: "how many seats does X have?" stated their open tickets (by meaning the nearest record question)
    for question in ("how many seats does Willowfield Devices have?", "what's Willowfield Devices' headcount?"):
        said = ask(book, question, MANAGER).text
        assert said.startswith("I don't have that for *Willowfield Devices Co*: the record keeps no seat"), said
        assert "ticket" not in said and "ask the account owner" in said.lower() and "<@U0AMGOLD>" in said
    assert "product usage" in ask(book, "how many users does Willowfield Devices have?", MANAGER).text  # usage, its own


def test_what_a_customer_paid_in_a_window_is_their_paid_invoices_added_up(book: Services, clock: Clock) -> None:
    # was: "what did X pay last year?" stated their lifetime value
    willow = cid(book, "Willowfield Devices Co")
    this_year = clock.now.replace(month=3, day=1)
    last_year = clock.now.replace(year=clock.now.year - 1, month=6, day=1)
    with session_scope(book.sessions) as s:
        for amount, status, at in (
            ("1000", "paid", this_year),
            ("2500.60", "paid", this_year),
            ("700", "paid", last_year),
            ("400", "invoiced", this_year),  # invoiced this year, not yet paid
        ):
            paid_at = at + dt.timedelta(days=20) if status == "paid" else None
            s.add(Order(customer_id=willow, amount=Decimal(amount), status=status, ordered_at=at, paid_at=paid_at))
    year = clock.now.year
    this = ask(book, "how much has Willowfield Devices paid us this year?", MANAGER)
    assert this.text == (
        f"*Willowfield Devices Co* paid $3,501 this year ({year}), over 2 invoices; $400 invoiced then is still open."
    ), this.text
    last = ask(book, "what did Willowfield Devices pay last year?", MANAGER)
    assert last.text == f"*Willowfield Devices Co* paid $700 last year ({year - 1}), over 1 invoice.", last.text
    none = ask(book, "how much did Willowfield Devices pay this quarter?", MANAGER).text
    assert none.startswith("*Willowfield Devices Co* has no payment on record this quarter"), none
    # a window counted back ("the last 2 years") is read too (was: their lifetime value)
    two = ask(book, "what did Willowfield Devices pay in the last 2 years?", MANAGER).text
    assert two == (
        "*Willowfield Devices Co* paid $4,201 in the last 2 years, over 3 invoices; $400 invoiced then is still open."
    ), two
    agent = ask(book, "what did Willowfield Devices pay last year?", AGENT).text  # a part of their lifetime value
    assert "$" not in agent and "restricted" in agent, agent
    total = ask(book, "how much has Willowfield Devices spent with us in total?", MANAGER).text
    assert "lifetime value" in total, total  # all time is the lifetime value still


def test_what_a_customer_paid_in_two_currencies_is_said_per_currency(book: Services, clock: Clock) -> None:
    # as what they owe is: never one sum of dollars and euros
    glacier = cid(book, "Glacierwood Dental Ltd")
    at = clock.now.replace(month=3, day=1)
    with session_scope(book.sessions) as s:
        for amount, currency in (("1000", "USD"), ("500", "EUR"), ("250", "EUR")):
            s.add(
                Order(
                    customer_id=glacier,
                    amount=Decimal(amount),
                    currency=currency,
                    status="paid",
                    ordered_at=at,
                    paid_at=at + dt.timedelta(days=5),
                )
            )
    said = ask(book, "how much has Glacierwood Dental paid us this year?", MANAGER).text
    assert said == f"*Glacierwood Dental Ltd* paid EUR 750 and $1,000 this year ({at.year}), over 3 invoices.", said


def test_what_a_customer_ordered_last_is_their_latest_order_and_the_windows_count(book: Services, clock: Clock) -> None:
    # was: "what did X buy last?" stated their lifetime value, "what was X's last order?" their shipments ("no
    # shipments on record" for a customer with orders)
    willow = cid(book, "Willowfield Devices Co")
    with session_scope(book.sessions) as s:
        for amount, currency, status, days in (
            ("1200", "USD", "paid", 400),  # before the past year
            ("800", "USD", "paid", 100),
            ("650.40", "EUR", "invoiced", 12),  # the latest
        ):
            at = clock.now - dt.timedelta(days=days)
            s.add(Order(customer_id=willow, amount=Decimal(amount), currency=currency, status=status, ordered_at=at))
    latest = (clock.now - dt.timedelta(days=12)).strftime("%-d %b %Y")
    last = ask(book, "what did Willowfield Devices buy last?", MANAGER)
    assert last.text == (
        f"*Willowfield Devices Co*'s latest order was placed on {latest} for EUR 650 (invoiced); 2 orders in the "
        "last 365 days, EUR 650 and $800 in all."
    ), last.text
    assert ask(book, "what was Willowfield Devices's last order?", MANAGER).text == last.text
    agent = ask(book, "when did Willowfield Devices last order?", AGENT).text  # a part of their lifetime value
    assert agent.startswith(f"*Willowfield Devices Co*'s latest order was placed on {latest} (invoiced); 2 orders")
    assert "$" not in agent and "EUR" not in agent and "restricted" in agent, agent
    # where an order is stays the shipments' question
    assert "shipments" in ask(book, "where is Willowfield Devices's order?", MANAGER).text


def test_what_a_customer_owes_is_their_overdue_invoices_added_up(book: Services, clock: Clock) -> None:
    # was: "how much does X owe us?" said "2 overdue invoice(s)" with no amount; "which customers owe us money?"
    # was refused as a list the book cannot give
    willow = cid(book, "Willowfield Devices Co")
    with session_scope(book.sessions) as s:
        for amount, days in (("1200.40", 40), ("800", 10)):
            when = clock.now - dt.timedelta(days=days + 30)
            s.add(
                Order(
                    customer_id=willow,
                    amount=Decimal(amount),
                    status="overdue",
                    ordered_at=when,
                    due_at=clock.now - dt.timedelta(days=days),
                )
            )
    owed = ask(book, "how much does Willowfield Devices owe us?", MANAGER)
    assert owed.text == (
        "*Willowfield Devices Co*'s payments: 2 overdue invoice(s), $2,000 in all; the oldest was due 15 Oct 2026 "
        "(40 days ago)."
    ), owed.text
    assert "$" not in ask(book, "how much does Willowfield Devices owe us?", AGENT).text  # payments: restricted
    listed = ask(book, "which customers owe us money?", MANAGER)
    assert listed.text.startswith(
        "*1 customer (with overdue invoices)* owes $2,000 in all:\n"
        "• *Willowfield Devices Co* (gold, na): $2,000 overdue, the oldest due 15 Oct 2026"
    ), listed.text


def test_the_book_owing_is_who_owes_most_first_with_the_amounts_and_their_total(book: Services, clock: Clock) -> None:
    # was: "who owes us the most?" listed them by name with no amount; "how much is overdue in total?" got the
    # payment-overdue alert's playbook lines; "which customers owe more than $5,000?" the list's help (ignored)
    willow, glacier, west = (
        cid(book, n) for n in ("Willowfield Devices Co", "Glacierwood Dental Ltd", "Westwardwood Studios Group")
    )
    with session_scope(book.sessions) as s:
        for who, amount, days in ((willow, "1500", 20), (willow, "5000", 50), (glacier, "9000", 5), (west, "300", 1)):
            s.add(
                Order(
                    customer_id=who,
                    amount=Decimal(amount),
                    status="overdue",
                    ordered_at=clock.now - dt.timedelta(days=days + 30),
                    due_at=clock.now - dt.timedelta(days=days),
                )
            )
        s.add(Order(customer_id=west, amount=Decimal("50000"), status="paid", ordered_at=clock.now))
    most = ask(book, "who owes us the most?", MANAGER).text.splitlines()
    assert most[0] == "*3 customers (with overdue invoices)* owe $15,800 in all:", most
    assert most[1].startswith("• *Glacierwood Dental Ltd* (bronze, na): $9,000 overdue, the oldest due"), most
    assert most[2].startswith("• *Willowfield Devices Co* (gold, na): $6,500 overdue, the oldest due 5 Oct 2026"), most
    assert most[3].startswith("• *Westwardwood Studios Group*"), most
    for question in ("how much is overdue in total?", "how much revenue is overdue across the book?"):
        assert ask(book, question, MANAGER).text.splitlines()[0] == most[0], question
    over = ask(book, "which customers owe more than $5,000?", MANAGER).text.splitlines()
    assert over[0] == "*2 customers (with overdue invoices, owing more than $5,000)* owe $15,500 in all:", over
    assert "Westwardwood" not in "\n".join(over)
    assert ask(book, "which gold customers have overdue invoices over 5k?", MANAGER).text.startswith(
        "*1 customer (gold, with overdue invoices, owing over $5,000)* owes $6,500 in all:"
    )
    # how late (was: the list's help): only the invoices at least that many days past due count
    late = ask(book, "which customers are 30 days overdue?", MANAGER).text.splitlines()
    assert late[0] == "*1 customer (with invoices 30+ days overdue)* owes $5,000 in all:", late
    assert late[1].startswith("• *Willowfield Devices Co* (gold, na): $5,000 overdue, the oldest due 5 Oct 2026")
    assert ask(book, "who is more than 60 days past due?", MANAGER).text.startswith(
        "*No customer (with invoices 60+ days overdue)*"
    )
    # in a thread: narrowed, then added up (was: "Which customer do you mean?")
    turn = in_thread(book, "1700000000.000993", MANAGER)
    turn("who owes us the most?")
    gold = turn("which of them are gold?").text.splitlines()[0]
    assert gold == "*1 customer (gold, with overdue invoices)* owes $6,500 in all:", gold
    assert turn("how much do they owe in total?").text.splitlines()[0] == gold
    # a bound below zero is refused, not dropped for the whole list; a scale word is part of the amount
    for question in ("which customers owe more than -$500?", "gold customers with health score below -3"):
        assert ask(book, question, MANAGER).text.startswith("A bound on an amount or a score can't be below zero")
    assert ask(book, "which customers owe us more than 5 million?", MANAGER).text.startswith(
        "*No customer (with overdue invoices, owing more than $5,000,000)*"
    )
    # the customers' ARR, said so, is still their ARR
    assert ask(book, "what's the total ARR of customers with overdue invoices?", MANAGER).text.startswith("Total ARR:")
    with session_scope(book.sessions) as s:  # another currency: added as written, and said so
        s.add(Order(customer_id=west, amount=Decimal("100"), currency="EUR", status="overdue", ordered_at=clock.now))
    assert ask(book, "who owes us the most?", MANAGER).text.splitlines()[0] == (
        "*3 customers (with overdue invoices)* owe $15,900 in all (amounts in EUR to USD, added as written):"
    )
    assert ask(book, "how much is overdue in total?", AGENT).text.startswith(":lock: Payment status is restricted")


def test_a_customer_asking_us_to_stop_or_disputing_a_bill_gets_the_playbooks_not_their_record(book: Services) -> None:
    # was: "X asked us to stop emailing them" stated their primary contact's name, email and phone
    for question in (
        "Willowfield Devices asked us to stop emailing them",
        "Willowfield Devices wants to unsubscribe from our emails",
    ):
        said = ask(book, question, MANAGER)
        assert said.source != "record" and "primary contact" not in said.text, (question, said.text)
        assert said.customer is not None and said.customer.name == "Willowfield Devices Co"  # the card goes with it
    assert ask(book, "has Willowfield Devices opted out of anything?", MANAGER).source == "record"  # their flags
    # a customer asking us to erase their data gets the erasure procedure (was: for "... that we remove their
    # personal data", the account owner)
    for question in (
        "Willowfield Devices has requested that we remove their personal data",
        "Willowfield Devices wants all their data deleted",
    ):
        erased = ask(book, question, MANAGER)
        assert erased.source != "record" and "owner" not in erased.text.lower(), (question, erased.text)
    # a customer disputing what we billed gets the playbooks' dispute handling (was: their payment status, or to a
    # role that does not see it, "payment status is restricted")
    for question in ("Willowfield Devices says their invoices are wrong", "Willowfield Devices thinks we overcharged"):
        disputed = ask(book, question, AGENT)
        assert disputed.source != "record" and "payment status" not in disputed.text, (question, disputed.text)
    assert ask(book, "what's Willowfield Devices' payment status?", MANAGER).source == "record"


def test_overdue_approvals_are_the_steps_past_their_reminder_time(book: Services, clock: Clock) -> None:
    # was: "which approvals are overdue?" gave the payment-overdue alert's rule
    draft = discount("Willowfield Devices Co", "12%", "Competitor <!channel> offer.")
    rid = submit_request(book, draft).request_id
    assert ask(book, "which approvals are overdue?", "U0CSLEAD").text.startswith(
        "No approval request has waited past its reminder time."
    )
    clock.advance(hours=9)  # the sales manager step reminds after 8 h
    lead = ask(book, "which approvals are overdue?", "U0CSLEAD")  # an admin: the whole queue
    assert lead.text.startswith(
        "Approval requests past their step's reminder time, the longest waiting first (1):\n"
        f"• #{rid} Discount for *Willowfield Devices Co* (12% / $40,000): Sales manager waiting 9h (reminder after 8h)"
    ), lead.text
    assert "<!channel>" not in lead.text and "Competitor" not in lead.text  # the justification is not listed
    assert f"#{rid}" in ask(book, "what's stuck in approvals?", "U0SALESMGR").text  # theirs to decide
    assert ask(book, "which approvals are overdue?", AGENT).text.startswith(
        "No approval request of yours (to decide or raised) has waited"
    )


def test_a_company_that_is_no_customer_is_said_so(book: Services) -> None:
    willow = cid(book, "Willowfield Devices Co")
    a = ask(book, "When does Foobarly Widgets Inc renew?", thread_customer=willow)
    assert a.text.startswith("I can't find a customer called *Foobarly Widgets Inc*") and a.source == "clarify"
    assert a.customer is None and "Willowfield" not in a.text and "2027" not in a.text  # not the thread's customer
    route = ask(book, "Can I give Foobarly Widgets Inc a 20% discount?", MANAGER)  # its tier decides: not guessed
    assert route.text.startswith("I can't find a customer called *Foobarly Widgets Inc*") and route.approval is None
    howto = ask(book, "How do I onboard a new customer like Acme Inc?")  # a how-to is still answered
    assert not howto.text.startswith("I can't find a customer")


def test_thread_follow_ups_keep_the_threads_customer_unless_they_name_another(book: Services) -> None:
    willow = cid(book, "Willowfield Devices Co")
    follow = ask(book, "and when do they renew?", thread_customer=willow, earlier="who owns Willowfield Devices?")
    assert follow.text.startswith("*Willowfield Devices Co* renews on 4 Jan 2027")
    other = ask(book, "what about Glacierwood Dental's renewal?", thread_customer=willow)
    assert other.customer is not None and other.customer.name == "Glacierwood Dental Ltd"
    assert "Willowfield" not in other.text
    short = ask(book, "and for 20%?", thread_customer=willow, earlier="Can I give them a 12% discount?")
    assert short.text.startswith("A 20% discount for *Willowfield Devices Co* (gold)")
    # the earlier question named the customer: its name is masked in the re-read, as the question's own would be
    named = ask(book, "what about 18%?", thread_customer=willow, earlier="Can I give Willowfield Devices 8%?")
    assert named.text.startswith("An 18% discount for *Willowfield Devices Co* (gold)"), named.text
    # The thread's customer erased since: not inherited, and the question says so.
    with session_scope(book.sessions) as s:
        s.delete(s.get(Customer, willow))
    gone = ask(book, "when do they renew?", thread_customer=willow)
    assert gone.customer is None and gone.text.startswith("Which customer do you mean?")


def in_thread(book: Services, thread_ts: str, asker: str = MANAGER) -> Callable[[str], Answer]:
    """Questions asked one after another in one thread, as the Slack listener asks them: each with the thread's
    earlier questions and customer (``thread_context``)."""
    service = AskService(book)

    def turn(question: str) -> Answer:
        with book.sessions() as s:
            ctx = thread_context(s, "C0SUPPORT", thread_ts)
        earlier, customer = (ctx.question, ctx.customer_id) if ctx else (None, None)
        return service.answer(question, asker, "C0SUPPORT", thread_ts, earlier=earlier, thread_customer=customer)

    return turn


def test_a_follow_up_of_a_follow_up_reads_back_to_the_question_it_follows(book: Services) -> None:
    # was: "and 40%?" read with "what about 25%?" alone (which asks nothing) and answered from the playbooks
    turn = in_thread(book, "1700000000.000900")

    turn("Can I give Willowfield Devices 15%?")
    assert turn("what about 25%?").text.startswith("A 25% discount ($103,000, 25% of $412,000) for *Willowfield")
    third = turn("and 40%?")
    assert third.text.startswith("A 40% discount ($164,800, 40% of $412,000) for *Willowfield Devices Co* (gold)"), (
        third.text
    )
    with book.sessions() as s:
        ctx = thread_context(s, "C0SUPPORT", "1700000000.000900")
    # each short question reads back through the one before it, at most THREAD_CHAIN questions
    assert ctx is not None and ctx.question == "Can I give Willowfield Devices 15%?\nwhat about 25%?\nand 40%?"


def test_a_follow_up_naming_a_procedures_subject_is_asked_on_its_own(book: Services) -> None:
    # was: "what are the KPIs for their tier?" after "is X in quiet hours?" read with it: the quiet hours again
    turn = in_thread(book, "1700000000.000910")
    turn("Is Willowfield Devices in quiet hours?")
    kpis = turn("what are the KPIs for their tier?")
    assert "contact hours" not in kpis.text and kpis.source != "record", kpis.text
    assert "ARR is $412,000" in turn("and their ARR?").text  # a field still follows the thread's customer


def test_a_chain_of_follow_ups_keeps_the_latest_value_of_each(book: Services) -> None:
    # was: "and if the deal is $400k?" after "12% on a $200k renewal?" and "what about 18%?" was "A 12% discount
    # ($400,000)": the chain's first percentage, and the deal's size read as the discount
    turn = in_thread(book, "1700000000.000901")

    turn("Can I give Willowfield Devices 12% on a $200k renewal?")
    assert turn("what about 18%?").text.startswith("An 18% discount ($36,000, 18% of $200,000)")
    bigger = turn("and if the deal is $400k?")
    assert bigger.text.startswith("An 18% discount ($72,000, 18% of $400,000) for *Willowfield Devices Co*"), (
        bigger.text
    )
    # a follow-up naming a field asks that field, not the earlier one again (was: the ARR and the LTV)
    willow = cid(book, "Willowfield Devices Co")
    ltv = ask(book, "and the LTV?", MANAGER, earlier="What's Willowfield Devices' ARR?", thread_customer=willow)
    assert ltv.text == "*Willowfield Devices Co*'s lifetime value is $1,648,000.", ltv.text


def test_a_follow_up_is_read_with_the_nearest_question_that_makes_it_ask_something(book: Services) -> None:
    # was: "who approves that?" after "when do they renew?", "and their ARR?", "can I give them 15%?" was read with
    # the whole chain, and its first question answered (the renewal date)
    turn = in_thread(book, "1700000000.000906")
    turn("tell me about Willowfield Devices")
    turn("when do they renew?")
    turn("and their ARR?")
    assert turn("can I give them 15%?").text.startswith("A 15% discount ($61,800, 15% of $412,000) for *Willowfield")
    approves = turn("who approves that?")
    assert approves.text.startswith("A 15% discount ($61,800, 15% of $412,000) for *Willowfield Devices Co*"), (
        approves.text
    )
    # calling them at a time, then another customer: the same question of them
    contact = in_thread(book, "1700000000.000907")
    contact("is Willowfield Devices ok to email?")
    call = contact("what about calling them tomorrow at 9am?")  # was: their preferred channel
    assert "*Willowfield Devices Co* accepts outreach" in call.text and "09:00" in call.text, call.text
    other = contact("and Glacierwood Dental?")
    assert other.text.startswith("No: *Glacierwood Dental Ltd* has opted out of outreach"), other.text


def test_a_line_of_the_threads_list_is_asked_about_by_its_place(book: Services) -> None:
    # was: "when does the second one renew?" after a list was read as the list again (renewals, every line)
    turn = in_thread(book, "1700000000.000902")
    listed = turn("Who renews before March?").text.splitlines()
    second, last = listed[2], listed[-2]  # the head, then one line per customer, then "Ask about one ..."
    assert second.startswith("• *Willowfield Devices Co*"), listed
    renews = turn("when does the second one renew?")
    assert renews.text.startswith("*Willowfield Devices Co* renews on 4 Jan 2027"), renews.text
    assert turn("and who owns it?").text.startswith("*Willowfield Devices Co* is owned by <@U0AMGOLD>")
    name = last.split("*")[1]
    other = turn("what about the last one?")  # the nearest question it follows: who owns it (was: when it renews)
    assert other.text.startswith(f"*{name}* is owned by "), other.text
    assert turn("and when does it renew?").text.startswith(f"*{name}* renews on ")
    beyond = turn("and the 9th one?")  # no such line: said so, never the thread's latest customer instead
    assert beyond.text.startswith(f"The list above shows {len(listed) - 2} customers: name the"), beyond.text
    assert beyond.customer is None and beyond.source == "clarify"
    # a list narrowed in the thread is the list a place points into
    narrowed = in_thread(book, "1700000000.000903")
    narrowed("Who renews before March?")
    narrowed("only the gold ones?")
    assert narrowed("tell me about the first one").text == "Here is what I have on *Willowfield Devices Co*."
    # "when does it renew?" after a line's card is about that line's customer (was: the list again); "which of
    # them ..." is still about the list
    assert narrowed("when does it renew?").text.startswith("*Willowfield Devices Co* renews on 4 Jan 2027")
    assert narrowed("which of them renew in January?").text.startswith("*1 customer (gold)* renews in January 2027")
    # the place alone, right after the list, is that line's customer (was: the list asked again)
    bare = in_thread(book, "1700000000.000904")
    bare("Who renews before March?")
    assert bare("the second one?").text == "Here is what I have on *Willowfield Devices Co*."
    # a list asked after another question in the thread is the one a place points into (was: the day again)
    day = in_thread(book, "1700000000.000905", LEAD)
    day("what do I need to do today?")
    day("who renews before March?")
    assert day("tell me about the second one").text == "Here is what I have on *Willowfield Devices Co*."


def test_a_channel_that_hides_records_from_this_role_states_nothing(book: Services) -> None:
    a = ask(book, "What is Willowfield Devices' renewal date?", AGENT, show_record=False)
    assert "2027" not in a.text and "I don't show customer records to your role in this channel" in a.text
    assert a.customer is None


def test_targets_and_escalation_asked_together_are_both_computed(book: Services) -> None:
    a = ask(book, "What is the first response target for a Platinum P1, and who do we escalate to?")
    first, second = a.text.split("\n")[:2]
    assert first.startswith("*Platinum P1*: first response within ")
    assert second.startswith("*Platinum sev1*: escalate to ") and "<#" in second
    assert a.source == "policy" and a.finding is not None and a.finding.channel


def test_a_priority_asked_without_customer_or_tier_gets_every_tier(book: Services) -> None:
    a = ask(book, "who do I escalate a P3 to?")
    lines = a.text.split("\n")
    assert lines[0].startswith("Who a *sev3* goes to depends on the customer's tier")
    assert [line.split("*")[1] for line in lines[1:5]] == ["Platinum", "Gold", "Silver", "Bronze"]
    assert a.source == "policy" and a.customer is None and (a.finding is None or a.finding.channel is None)
    # the groups are named by handle, not paged: asking must not notify four teams (was <!subteam^…> each)
    assert "<!subteam^" not in a.text and "*@support-oncall* in <#C0SUPPORT>" in a.text
    sla = ask(book, "what's the resolution target for P1s?")
    assert sla.text.startswith("*P1* first response / resolution targets by tier")
    tiered = ask(book, "where does a P4 for a silver account get escalated")
    assert tiered.text.startswith("*Silver sev4*: escalate to ")
    tier_only = ask(book, "what is the escalation channel for silver?")
    assert tier_only.text.startswith("Who a *Silver* escalation goes to, by severity:\n• *Sev 1*: ")
    on_call = ask(book, "Who is on call for platinum tonight?")  # was declined: "on call" by its words alone
    assert on_call.text.startswith("Who a *Platinum* escalation goes to, by severity:\n• *Sev 1*: "), on_call.text


def test_the_playbooks_are_searched_without_the_customers_name_even_possessive(book: Services) -> None:
    # The name's rare words would make an answerable question look unanswered ("Yellowstoneforge" is in no
    # playbook), so they are dropped from the search, "Group's" included.
    ask(book, "Westwardwood Studios Group's champion just left, what should I do?")
    searched = [q for q, _ in book.index.queries]  # type: ignore[attr-defined]
    assert searched
    assert all("Westwardwood" not in q and "Group's" not in q and "champion just left" in q for q in searched)


def test_outreach_is_answered_for_the_time_asked_about(book: Services) -> None:
    a = ask(book, "Can I call Willowfield Devices at 9pm?")
    assert a.text.startswith("No: *Willowfield Devices Co* accepts outreach, but ")
    assert " 21:00 their time (America/Chicago) is outside contact hours" in a.text


def test_quiet_hours_asked_is_answered_yes_when_it_is_quiet_there(book: Services, clock: Clock) -> None:
    # was: "Yes: Willowfield Devices Co accepts outreach; it is ... within contact hours", a yes that meant no
    clock.now = dt.datetime(2026, 11, 24, 16, 0, tzinfo=dt.UTC)  # Tuesday, 10:00 in Chicago
    within = ask(book, "Is Willowfield Devices in quiet hours?")
    assert within.text.startswith("No: it is Tue 10:00 there (America/Chicago), within contact hours"), within.text
    outside = ask(book, "is it outside Willowfield Devices's contact hours?")
    assert outside.text.startswith("No: it is Tue 10:00 there"), outside.text
    there = ask(book, "is it quiet hours there?", thread_customer=cid(book, "Willowfield Devices Co"))
    assert there.text.startswith("No: it is Tue 10:00 there"), there.text
    clock.now = dt.datetime(2026, 11, 25, 4, 0, tzinfo=dt.UTC)  # 22:00 in Chicago
    late = ask(book, "Is Willowfield Devices in quiet hours?")
    assert late.text.startswith("Yes: it is Tue 22:00 there (America/Chicago)"), late.text
    # a customer who opted out is said so too (Glacierwood Dental has)
    opted = ask(book, "Is Glacierwood Dental in quiet hours?")
    assert opted.text.startswith("Yes: ") and "has opted out of outreach anyway" in opted.text, opted.text


def test_every_contact_is_listed_when_contacts_are_asked_with_what_the_role_may_see(book: Services) -> None:
    # was: the primary contact alone for "who are the contacts at X?"
    willow = cid(book, "Willowfield Devices Co")
    people = [
        ("Dana Fischer", "CTO", "dana@willow.example", "+1-555-0100", True, False),
        ("Evil <!channel> Ops", "<@U0AMGOLD> lead", "ops@willow.example", "+1-555-0101", False, True),
    ]
    with session_scope(book.sessions) as s:
        for name, title, email, phone, primary, out in people:
            s.add(
                Contact(
                    customer_id=willow,
                    name=name,
                    title=title,
                    email=email,
                    phone=phone,
                    is_primary=primary,
                    opted_out=out,
                )
            )
    every = ask(book, "who are the contacts at Willowfield Devices?", MANAGER)
    assert every.text == (
        "Contacts at *Willowfield Devices Co*:\n"
        "• Dana Fischer (CTO), dana@willow.example, +1-555-0100 (primary)\n"
        "• Evil &lt;!channel&gt; Ops (&lt;@U0AMGOLD&gt; lead), ops@willow.example, +1-555-0101 (opted out)"
    ), every.text
    assert "<!channel>" not in every.text and "<@U0AMGOLD>" not in every.text  # inert
    logistics = ask(book, "who else can I talk to at Willowfield Devices?", "U0LOGLEAD")  # sees names and phones
    assert "• Dana Fischer (CTO), +1-555-0100 (primary)" in logistics.text and "@willow" not in logistics.text
    analyst = ask(book, "who are the contacts at Willowfield Devices?", "U0OPSANL")  # sees no contact data
    assert "Dana" not in analyst.text and "restricted" in analyst.text, analyst.text
    primary = ask(book, "who is the main contact at Willowfield Devices?", MANAGER)
    assert primary.text.startswith("The primary contact at *Willowfield Devices Co* is Dana Fischer (CTO)")


def test_what_a_customers_tier_promises(book: Services) -> None:
    a = ask(book, "Does Willowfield Devices get an executive sponsor?")
    assert a.text.startswith("*Willowfield Devices Co* (gold) is promised: no executive sponsor.")
    assert a.source == "policy" and a.customer is not None and "owned by" not in a.text
    # Another tier's own section does not support the answer: gold's "twice a year" is not a silver customer's.
    tiers = "Customer tiers > What each tier is promised"
    book._index = ModelIndex(book.index.embedder)  # type: ignore[attr-defined]
    book._index.passages = [
        passage("service/tiers.md", f"{tiers} > Silver", "Business-hours support and a yearly business review.", 1.0),
        passage("service/tiers.md", f"{tiers} > Gold", "Business reviews twice a year for every gold account.", 0.9),
    ]
    silver = ask(book, "How often do we hold a business review with Westwardwood Studios Group?")
    assert silver.text.startswith("*Westwardwood Studios Group* (silver) is promised: business review yearly.")
    assert "twice a year" not in silver.text, silver.text
    # Nor a how-to answer that names the tier: the gold section is not quoted for a silver question.
    howto = ask(book, "how should we run a business review for a silver customer?")
    assert howto.source != "policy" and "yearly business review" in howto.text, howto.text
    assert "twice a year" not in howto.text, howto.text
    # The promises' own words (support on weekends is the tier's coverage) read the question, not the tickets
    weekends = ask(book, "does Willowfield Devices get support on weekends")
    assert weekends.text.startswith("*Willowfield Devices Co* (gold) is promised: support coverage 24x7."), (
        weekends.text
    )


def test_alert_delivery_for_the_asker_and_not_for_what_to_do(book: Services) -> None:
    a = ask(book, "Why did I not get an alert during the night?", MANAGER)
    assert a.text.startswith("Quiet hours for alerts are 20:00-07:30 in your time zone, ") and a.source == "policy"
    late = ask(book, "how come the breach alert only reached me this morning", MANAGER)
    assert late.text.startswith("Quiet hours for alerts are 20:00-07:30 in your time zone, "), late.text
    woke = ask(book, "why did I get an alert at 3am?", MANAGER)
    assert (
        woke.text.startswith("Quiet hours for alerts are 20:00-07:30 in your time zone, ")
        and "03:00 is inside" in woke.text
    )
    todo = ask(book, "What should I do when I get a gone-quiet alert?", MANAGER)
    assert "Quiet hours for alerts" not in todo.text  # the handbook's procedure, not the delivery rules


def test_discount_history_from_the_approval_requests_to_roles_that_see_it(book: Services, clock: Clock) -> None:
    # was: the discount route, as if a new discount were asked for (the record's discount history was always empty)
    willow = cid(book, "Willowfield Devices Co")
    with session_scope(book.sessions) as s:
        for days, percent, amount, state in [(400, 12.0, "30000", "approved"), (30, 30.0, None, "rejected")]:
            s.add(
                ApprovalRequest(
                    request_type="discount",
                    customer_id=willow,
                    customer_name="Willowfield Devices Co",
                    tier="gold",
                    percent=percent,
                    amount=Decimal(amount) if amount else None,
                    justification="renewal",
                    requester=MANAGER,
                    rule="r",
                    policy_version="v",
                    state=state,
                    created_at=clock.now - dt.timedelta(days=days),
                )
            )
    seen = ask(book, "what discounts has Willowfield Devices had before?", MANAGER)
    assert seen.text.startswith("*Willowfield Devices Co*'s discount requests, newest first:"), seen.text
    newest, oldest = seen.text.splitlines()[1:3]
    assert newest.startswith("• 25 Oct 2026: 30%, rejected, request #") and "12% ($30,000), approved" in oldest
    given = ask(book, "What discounts did we give Willowfield Devices?", MANAGER)  # was: the route for a new one
    assert given.text.startswith("*Willowfield Devices Co*'s discount requests, newest first:"), given.text
    hidden = ask(book, "what's the discount history for Willowfield Devices?", AGENT)  # a support agent
    assert hidden.text.startswith(":lock: *Willowfield Devices Co*'s discount history is restricted for your role")
    assert "12%" not in hidden.text and "30%" not in hidden.text
    none = ask(book, "what's the discount history for Westwardwood Studios Group?", MANAGER)
    assert none.text == "*Westwardwood Studios Group* has no discount requests on record."


def test_the_health_score_says_how_it_moved_and_its_weak_parts_to_roles_that_see_it(
    book: Services, clock: Clock
) -> None:
    # was: the score alone, for "... and why?"
    willow = cid(book, "Willowfield Devices Co")
    with session_scope(book.sessions) as s:
        s.query(Customer).filter(Customer.id == willow).update({"health_score": 58})
        parts = {"usage": 80, "support": 45, "engagement": 72, "sentiment": 61, "payment": 90}
        # the latest snapshot (60) lags the record (58): the change is against the score stated
        for days, score in [(40, 75), (31, 76), (2, 61), (0, 60)]:
            s.add(HealthScore(customer_id=willow, day=clock.now.date() - dt.timedelta(days=days), score=score, **parts))
    why = ask(book, "what's Willowfield Devices' health score and why?", LEAD)
    assert why.text == (
        "*Willowfield Devices Co*'s health score is 58/100 (watch), down 18 points in 30 days; "
        "weakest parts: support 45, sentiment 61."
    ), why.text
    hidden = ask(book, "what's Willowfield Devices' health score and why?", "U0DEALDSK")  # deal desk: not the score
    assert hidden.text.startswith(":lock: ") and "support 45" not in hidden.text, hidden.text
    none = ask(book, "what's the health score of Westwardwood Studios Group?", LEAD)
    assert none.text.startswith("*Westwardwood Studios Group*") and "weakest" not in none.text, none.text


def test_a_priority_target_asked_for_a_customer_leads_with_their_ticket_of_that_priority(book: Services) -> None:
    # was: the bronze P2 targets alone, for "how long until it breaches?" about their open P2
    a = ask(book, "Glacierwood Dental's P2 - how long until it breaches?", MANAGER)
    lines = a.text.splitlines()
    assert lines[0] == "*Glacierwood Dental Ltd*'s open P2 ticket:" and a.source == "policy"
    assert lines[1].startswith("• #") and "&lt;!channel&gt;" in lines[1] and "<!channel>" not in a.text
    assert "*breached* by" in lines[1] or "left" in lines[1]
    assert lines[2].startswith("*Bronze P2*: first response within ")
    other = ask(book, "what is the P3 response time for Glacierwood Dental?", MANAGER)  # no P3 open: the target
    assert other.text.startswith("*Bronze P3*: first response within ")


def test_who_is_on_duty_for_a_tier(book: Services) -> None:
    # was: "I don't know" (roles.yaml on_duty was only read to route hand-offs)
    gold = ask(book, "who is on duty for gold today?", AGENT)
    assert gold.text.startswith("<@U0AMGOLD> is on duty for *Gold* accounts: they take an account with no owner")
    bronze = ask(book, "who's the on-duty owner for bronze accounts?", AGENT)
    assert bronze.text.startswith("*@support-oncall* is on duty for *Bronze* accounts") and bronze.source == "policy"
    # no tier, no priority: the most urgent case for every tier, said as assumed (was: unrelated playbook lines)
    on_call = ask(book, "Who is on call?", AGENT)
    assert on_call.text.startswith("Who is on call depends on the customer's tier and the severity; for a *sev1*")
    # "on call right now" is the rota, not a call to make now (was: onboarding steps and quiet hours)
    now = ask(book, "who's on call right now?", AGENT)
    assert now.text.startswith("Who is on call depends on the customer's tier"), now.text
    assert "• *Platinum*:" in on_call.text and on_call.source == "policy"
    assert ask(book, "what is the escalation process?", AGENT).source != "policy"  # the procedure, not a table


def test_who_holds_a_job_is_the_staff_roster_named_not_mentioned(book: Services) -> None:
    # was: sentences from the privacy playbook that mention the DPO
    dpo = ask(book, "who is the DPO?", AGENT)
    assert dpo.text.startswith("Nora Schmidt (Data Protection Officer) is our DPO."), dpo.text
    assert "<@" not in dpo.text and dpo.source == "policy"
    engineers = ask(book, "who are our support engineers?", AGENT)
    assert engineers.text.startswith("Aisha Mensah (Support Engineer); Luis Ortega (Support Engineer) are our")
    assert ask(book, "who is the CEO?", AGENT).source != "policy"  # no such title on the roster: not computed
    assert "<!" not in ask(book, "who is our <!channel> lead?", AGENT).text  # the asker's words stay inert
    turn = in_thread(book, "1700000000.000920", AGENT)
    turn("who is the DPO?")
    assert turn("and the CFO?").text.startswith("Michael Hart (Chief Financial Officer) is our CFO.")
    assert ask(book, "who is the owner of Willowfield Devices?", AGENT).text.startswith("*Willowfield Devices Co* is")


def test_which_alerts_reach_the_asker_by_the_accounts_they_own(book: Services) -> None:
    # was: the alerts handbook's introduction, the same for everyone
    mine = ask(book, "what alerts will I get?", MANAGER)  # owns Willowfield Devices Co (gold)
    assert mine.source == "policy"
    assert mine.text.startswith("These alerts reach you as the owner of 1 account (1 gold):")
    assert "`renewal-at-risk` (Platinum and Gold)" in mine.text and "`growth-account-gone-quiet`" not in mine.text
    nobody = ask(book, "which alerts does Rapport send me?", LEAD)
    assert nobody.text.startswith("You own no accounts on record, so no alert reaches you as an owner.")


def test_a_computed_answer_says_so_when_the_playbooks_cannot_be_searched(book: Services) -> None:
    book.index.down = True  # type: ignore[attr-defined]
    a = ask(book, "what is the escalation path for a platinum P1?")
    assert a.text.startswith("*Platinum sev1*: escalate to ") and not a.citations
    assert "can't search the playbooks" in a.text and "reference `" in a.text


def test_which_alerts_reach_owners_is_answered_without_a_customer(book: Services) -> None:
    # was: "which customer do you mean?" ("the account owner" read as a customer's owner)
    a = ask(book, "which alerts go to the account owner?", AGENT)
    assert a.source == "policy"
    assert a.text.startswith("These alerts go to the owner of each account the rule covers:")


def test_who_may_see_a_customers_field_is_the_access_rule_not_the_value(book: Services) -> None:
    # was: the primary contact's name, email and phone number, to a question about who may see them
    a = ask(book, "who can see Willowfield Devices's phone number?", LEAD)
    assert a.text.startswith("*Contact phone* is sensitive: only ") and a.source == "policy"
    value = ask(book, "what's the phone number for Willowfield Devices?", LEAD)  # the value is still the record's
    assert value.source != "policy" and "Willowfield Devices Co" in value.text


def test_who_covers_a_customer_while_the_owner_is_away_is_who_is_on_duty(book: Services) -> None:
    # was: "is owned by <@U0AMGOLD>", the person who is away
    a = ask(book, "who covers Willowfield Devices while their owner is on holiday?", AGENT)
    assert "<@U0AMGOLD> is on duty for *Gold* accounts" in a.text and a.source == "policy"
    # the asker's own absence: who is on duty (was: the handover runbook; a first version listed the asker's
    # accounts, "my accounts" read as a list of the book)
    mine = ask(book, "Who covers my accounts while I'm out?", MANAGER)
    assert mine.text.startswith("On duty (takes an account with no owner, or whose owner is away), by tier:"), mine.text
    # the one away is never named as their own cover (was: "• *Gold*: <@U0AMGOLD>" to U0AMGOLD going on leave)
    assert "• *Gold*: <@U0AMGOLD> (the one away: the CS lead names who covers)" in mine.text, mine.text
    theirs = ask(book, "who covers Marcus's accounts while he's out?", LEAD).text
    assert "<@U0AMGOLD> (the one away" in theirs and "<@U0AMPLAT> (the one away" not in theirs, theirs
    assert "(the one away" not in ask(book, "who covers Kenji's accounts while he's out?", LEAD).text
    # a request about the account that names no contact is not whether to call them (was: "Not now: ... accepts
    # outreach, but it is ... outside contact hours")
    move = ask(book, "Can I reassign Willowfield Devices to Sofia?", MANAGER)
    assert "outreach" not in move.text, move.text
    assert ask(book, "Can I call Willowfield Devices tomorrow morning?").text.startswith(
        "Yes: *Willowfield Devices Co* accepts outreach"
    )


def test_a_tier_the_policy_does_not_have_is_said_back(book: Services) -> None:
    # was: every customer renewing, "diamond" dropped
    a = ask(book, "which diamond customers renew next quarter?", MANAGER)
    assert a.text == "There is no *diamond* tier: the tiers are Platinum, Gold, Silver and Bronze.", a.text
    assert "There is no" not in ask(book, "which gold customers renew next quarter?", MANAGER).text


def test_a_kind_of_customer_no_field_records_is_said_so_with_whom_to_ask(book: Services) -> None:
    # was: "*Willowfield Devices Co* (gold) is promised: support coverage 24x7; ..." (the nearest field by meaning)
    a = ask(book, "is Willowfield Devices a reference customer?", MANAGER)
    assert a.text.startswith(
        "The record has no field that says whether *Willowfield Devices Co* is a reference customer: ask <@U0AMGOLD>."
    ), a.text
    assert a.customer is not None  # with the card, which has what the record holds
    # the kind said is the asker's text: inert
    odd = ask(book, "is Willowfield Devices a reseller <@U0SUPLEAD> likes?", MANAGER).text
    assert "<@U0SUPLEAD>" not in odd and "&lt;@U0SUPLEAD&gt;" in odd, odd


def test_a_window_of_no_length_is_said_back(book: Services) -> None:
    # was: every customer "no contact since" today, and "opened no tickets in the last 0 days"
    for q in (
        "which customers have we not contacted in the last 0 days?",
        "what tickets did Willowfield Devices raise in the last 0 days?",
    ):
        a = ask(book, q, MANAGER)
        assert a.text.startswith("A window of 0 days has nothing in it"), a.text


def test_who_asked_for_erasure_is_how_many_were_erased_never_a_name(book: Services, clock: Clock) -> None:
    # was: the retention table's rows
    none = ask(book, "who has asked for their data to be deleted this month?", "U0PRIVACY").text
    assert none.startswith("Rapport erased no customer's data this month (November 2026). It keeps no name"), none
    forget(book, "Glacierwood Dental Ltd", actor="U0PRIVACY")  # a real erasure, as `rapport forget` runs it
    with session_scope(book.sessions) as s:
        audit.record(s, "U0PRIVACY", ERASED_ACTION, "erasure", "ref-1", {"customers": 2})  # one and its duplicate
        audit.record(s, "U0PRIVACY", "retention.purge", "retention", "2026-11-20", {})  # not an erasure
    done = ask(book, "how many erasure requests did we handle this month?", AGENT).text
    assert done.startswith(
        "Rapport erased 3 customer records this month (November 2026) (2 erasures run with `rapport forget`)."
    ), done
    assert "Glacierwood" not in done
    assert done.endswith("so it cannot say who asked: the privacy office keeps the log of requests. [1]"), done


def test_the_priority_of_a_situation_told_is_the_one_its_words_ask_for(book: Services) -> None:
    # was: the priority table's P2 row, then P1 ("their system is down")
    a = ask(book, "Willowfield Devices says their system is down, what priority is that?", AGENT)
    assert a.text.startswith(
        "That is a *P1*: _down_ is one of its words, as customer channel messages are read. The agent confirms the "
        "priority on first touch. For *Willowfield Devices Co* (gold): first response within 30m, resolution within"
    ), a.text
    assert a.source == "policy"
    assert ask(book, "what priority should a feature request get?", AGENT).text.startswith("That is a *P4*")
    # words that ask for no priority: the playbooks' definitions (the how-to)
    assert not ask(book, "Customer says their invoices are wrong, what priority?", AGENT).text.startswith("That is")


def test_what_happens_to_an_unacknowledged_alert_is_where_its_rule_escalates(book: Services) -> None:
    # was: the handbook's "Acting on an alert" bullets (snooze, assign), not where the alert goes
    a = ask(book, "what happens if nobody acknowledges an alert?", MANAGER)
    assert a.text.startswith("An alert nobody acknowledges is posted again in its rule's escalation channel"), a.text
    assert "• `sla-breach`: after 2h in <#C0ESCALATE>" in a.text and a.source == "policy"


def test_changing_a_customers_tier_is_the_tier_override_route(book: Services) -> None:
    # was: "*Willowfield Devices Co* is a *Gold* customer" (the tier, not how to change it)
    a = ask(book, "how do I change Willowfield Devices's tier?", MANAGER)
    assert a.text.startswith("A tier override for *Willowfield Devices Co* (gold) needs approval from CS leadership")
    assert a.source == "policy"
    # the tier they are in already is no move (was: the override's route, as if to another tier)
    same = ask(book, "how do I move Willowfield Devices to gold?", MANAGER)
    assert same.text.startswith("*Willowfield Devices Co* is already gold: a tier override is only for"), same.text
    assert same.approval is None  # no request button for a move that moves nothing
    assert ask(book, "how do I move Willowfield Devices to platinum?", MANAGER).text.startswith("A tier override for")


def test_the_latest_nps_answer_is_stated_to_roles_that_see_sentiment(book: Services, clock: Clock) -> None:
    # was: "Here is what I have on Willowfield Devices Co." (the record had no NPS)
    with session_scope(book.sessions) as s:
        willow = cid(book, "Willowfield Devices Co")
        s.add(SurveyResponse(customer_id=willow, survey="nps", score=4, responded_at=clock.now - dt.timedelta(days=40)))
        s.add(SurveyResponse(customer_id=willow, survey="csat", score=5, responded_at=clock.now - dt.timedelta(days=2)))
        s.add(SurveyResponse(customer_id=willow, survey="nps", score=9, responded_at=clock.now - dt.timedelta(days=5)))
    said = ask(book, "what is Willowfield Devices' NPS?", AGENT)
    day = (clock.now - dt.timedelta(days=5)).date().isoformat()
    assert said.text == f"*Willowfield Devices Co*'s latest NPS answer is 9 (promoter, {day})."
    finance = ask(book, "what is Willowfield Devices' NPS?", "U0FINCTRL")
    assert "9 (promoter" not in finance.text and "NPS is restricted for your role" in finance.text


def test_the_books_nps_and_csat_are_the_kpi_packs_per_tier_against_targets(book: Services, clock: Clock) -> None:
    # was: "what's our NPS this quarter?" declined, "what's the NPS of my book?" got the list's help
    willow, glacier = cid(book, "Willowfield Devices Co"), cid(book, "Glacierwood Dental Ltd")
    with session_scope(book.sessions) as s:
        for who, survey, score, days in (
            (willow, "nps", 10, 5),
            (willow, "nps", 3, 20),
            (willow, "csat", 4, 2),
            (glacier, "nps", 9, 3),
            (glacier, "nps", 8, 400),  # a year ago: outside every window asked
        ):
            s.add(
                SurveyResponse(
                    customer_id=who, survey=survey, score=score, responded_at=clock.now - dt.timedelta(days=days)
                )
            )
    lines = ask(book, "what's our NPS over the last 90 days?", MANAGER).text.splitlines()
    assert lines[0] == (
        "Survey answers from customers in the last 90 days: NPS +33 from 3 answers (2 promoters, 1 detractor), CSAT "
        "4.0 from 1 answer."
    ), lines
    assert lines[1] == (
        "• *gold*: NPS +0 from 2 answers (1 promoter, 1 detractor; target +45, *missed*), CSAT 4.0 from 1 answer "
        "(target 4.5, *missed*)"
    ), lines
    assert lines[2].startswith("• *bronze*: NPS +100 from 1 answer (1 promoter, 0 detractors; target +30)"), lines
    mine = ask(book, "what's the NPS of my book over the last 90 days?", MANAGER).text  # Marcus owns Willowfield
    assert mine.startswith("Survey answers from customers of Marcus Okafor in the last 90 days: NPS +0"), mine
    assert "bronze" not in mine
    gold = ask(book, "how is CSAT for gold customers in the last 7 days?", MANAGER).text
    assert gold.startswith("Survey answers from gold customers in the last 7 days"), gold
    assert "CSAT 4.0 from 1 answer" in gold, gold
    # a region named keeps its customers' answers (was: every region's, the head not saying so)
    west = cid(book, "Westwardwood Studios Group")  # emea; the others answering are in na
    with session_scope(book.sessions) as s:
        s.add(SurveyResponse(customer_id=west, survey="nps", score=9, responded_at=clock.now - dt.timedelta(days=4)))
    emea = ask(book, "what's our NPS in emea over the last 90 days?", MANAGER).text
    assert emea.startswith(
        "Survey answers from customers in emea in the last 90 days: NPS +100 from 1 answer (1 promoter, 0 detractors)"
    ), emea
    apac = ask(book, "what's our NPS in apac over the last 90 days?", MANAGER).text  # Studios Northwave: none
    assert apac.startswith("No customers in apac answered a survey in the last 90 days."), apac
    # one customer's answer is their record's field, not the book's figures
    assert ask(book, "what is Willowfield Devices' NPS?", MANAGER).text.startswith("*Willowfield Devices Co*'s latest")
    refused = ask(book, "what's our NPS this quarter?", "U0FINCTRL").text  # finance does not see NPS answers
    assert refused.startswith(":lock: Survey answers (NPS) are restricted for your role") and "+" not in refused


def test_whether_a_renewal_is_at_risk_is_the_alert_rule_evaluated_for_the_customer(book: Services) -> None:
    # was: the renewal date alone; now the renewal-at-risk rule's verdict with the alert's own numbers
    willow = cid(book, "Willowfield Devices Co")
    with session_scope(book.sessions) as s:
        s.query(Customer).filter(Customer.id == willow).update({"health_score": 55})
    lead = ask(book, "Is Willowfield Devices' renewal at risk?", LEAD)
    assert lead.source == "policy" and lead.text.startswith(
        "*Willowfield Devices Co*'s renewal is at risk: the *renewal-at-risk* rule fires (renews 4 Jan 2027; days to "
        "renewal 41 days (rule: ≤ 90 days); health score 55 (rule: ≤ 60))."
    ), lead.text
    assert lead.sensitive  # the health score: shown to the asker only, like the card's
    agent = ask(book, "Is Willowfield Devices' renewal at risk?", AGENT)  # the score is not theirs to see
    assert "55" not in agent.text and "health score (restricted)" in agent.text and not agent.sensitive
    assert "rests on the health score, restricted for your role: ask <@U0AMGOLD>" in agent.text
    silver = ask(book, "is Westwardwood Studios Group's renewal at risk?", LEAD)
    assert silver.text.startswith("*Westwardwood Studios Group* (silver) is outside the *renewal-at-risk* rule")
    # was: that sentence alone; the rule's numbers are the owner's to read even where no alert fires
    assert "(platinum and gold): renews " in silver.text and "health score " in silver.text, silver.text
    with session_scope(book.sessions) as s:
        s.query(Customer).filter(Customer.id == willow).update({"health_score": 81})
    assert (
        "renewal is not at risk by the *renewal-at-risk* rule"
        in ask(book, "is Willowfield Devices' renewal at risk?").text
    )
    with session_scope(book.sessions) as s:
        s.query(Customer).filter(Customer.id == willow).update({"renewal_date": None})
    undated = ask(book, "is Willowfield Devices' renewal at risk?").text
    assert "not at risk by the *renewal-at-risk* rule (no renewal date on record; " in undated, undated


def test_eligibility_for_a_tier_compares_the_record_with_its_thresholds(book: Services) -> None:
    # was: "... is a Gold customer", whatever tier was asked about
    manager = ask(book, "Is Willowfield Devices eligible for platinum?", MANAGER)
    assert manager.text.startswith(
        "*Willowfield Devices Co* is *Gold*. *Platinum* takes a lifetime value of $1,000,000 or ARR of $250,000; "
        "on its record (lifetime value $1,648,000, ARR $412,000) it meets it and places in *Platinum*."
    ), manager.text
    assert manager.sensitive  # the figures are sensitive: shown to the asker only, like the ARR
    agent = ask(book, "Is Willowfield Devices eligible for platinum?", AGENT)
    assert "412" not in agent.text and "rests on figures restricted for your role" in agent.text
    assert not agent.sensitive


def test_the_book_ranked_by_a_value_goes_only_to_roles_that_see_it(book: Services) -> None:
    # was: "... but not by ARR" (a ranking was not listed)
    top = ask(book, "top 2 customers by ARR", MANAGER)
    lines = top.text.splitlines()
    assert lines[0] == "*4 customers*, the 2 highest by ARR:", top.text
    assert lines[1].startswith("• *Willowfield Devices Co* (gold, na): ARR $412,000, renews 4 Jan 2027")
    assert lines[2].startswith("• *Westwardwood Studios Group* (silver, emea): ARR $40,000")
    assert lines[3] == "…and 2 more."
    assert top.sensitive and top.source == "record"  # each line states ARR: to the asker alone in a channel
    # a role that does not see ARR is refused the order too (it would tell who has the most)
    refused = ask(book, "top 2 customers by ARR", AGENT)
    assert refused.text.startswith(":lock: ARR is restricted for your role (account manager"), refused.text
    assert "Willowfield" not in refused.text and "412" not in refused.text
    assert ask(book, "which customers have the lowest health score?", LEAD).text.startswith(
        "*4 customers*, by health score, lowest first:"  # the support lead sees health, not ARR
    )
    # a list asked with a value says it on each line (was: the list's help, "... but not by ARR")
    renewing = ask(book, "which customers renew before March and what's their ARR?", MANAGER).text.splitlines()
    assert renewing[0].endswith("by ARR, highest first:"), renewing
    assert renewing[1].startswith("• *Willowfield Devices Co* (gold): ARR $412,000, renews on 4 Jan 2027"), renewing
    assert ask(book, "which customers renew before March and what's their ARR?", AGENT).text.startswith(
        ":lock: ARR is restricted for your role"
    )
    # in a thread: one line asked for, turned round, and its place pointed at
    turn = in_thread(book, "1700000000.000990")
    assert turn("who is our biggest customer?").text.splitlines()[:2] == [
        "*4 customers*, the highest by ARR:",
        "• *Willowfield Devices Co* (gold, na): ARR $412,000, renews 4 Jan 2027, owner Marcus Okafor",
    ]
    lowest = turn("and the lowest?").text.splitlines()
    assert lowest[0] == "*4 customers*, the lowest by ARR:" and lowest[1].startswith("• *Studios Northwave Inc*")
    assert turn("tell me about the first one").text == "Here is what I have on *Studios Northwave Inc*."
    # "which of them ..." after a ranking cut to a number is about the lines shown (was: every customer matching)
    cut = in_thread(book, "1700000000.000992")
    cut("top 2 customers by ARR")
    them = cut("which of them renew before March?").text  # Glacierwood renews before March too, but is not shown
    assert them.startswith("*2 customers (of the 2 above)* renew before March 2027"), them
    assert "Glacierwood" not in them
    # the place of a ranking the asker was refused points at nobody
    hidden = in_thread(book, "1700000000.000991", AGENT)
    hidden("who is our biggest customer?")
    pointed = hidden("tell me about the first one")
    assert pointed.customer is None and "Willowfield" not in pointed.text, pointed.text


def test_the_books_values_added_up_lead_the_list_they_add(book: Services) -> None:
    # was: "what's the total ARR of our bronze customers?" got the list of what a list of the book can say
    bronze = ask(book, "what's the total ARR of our bronze customers?", MANAGER)
    lines = bronze.text.splitlines()
    assert lines[:2] == ["Total ARR: $14,000 ($7,000 on average).", "*2 customers (bronze)*, by ARR, highest first:"]
    assert lines[2].startswith("• *Glacierwood Dental Ltd* (bronze, na): ARR $9,000"), bronze.text
    assert bronze.sensitive and bronze.source == "record"
    assert ask(book, "how much ARR renews before March?", MANAGER).text.startswith(
        "Total ARR: $461,000 ($153,667 on average).\n*3 customers* renew before March 2027"
    )
    assert ask(book, "what is the average health score across our customers?", LEAD).text.startswith(
        "Average health score: "
    )
    # a role that does not see ARR gets no total either
    refused = ask(book, "what's our total ARR?", AGENT)
    assert refused.text.startswith(":lock: ARR is restricted for your role") and "466" not in refused.text
    # a follow-up keeps the total, with what it changes
    turn = in_thread(book, "1700000000.000993")
    assert turn("what's our total ARR?").text.startswith("Total ARR: $466,000 ($116,500 on average).")
    assert turn("and for silver?").text.startswith("Total ARR: $40,000 ($40,000 on average).\n*1 customer (silver)*")
    # in a customer's thread, "they" is that customer
    theirs = in_thread(book, "1700000000.000994", MANAGER)
    theirs("when does Willowfield Devices renew?")
    assert theirs("how much ARR do they have?").text == "*Willowfield Devices Co*'s ARR is $412,000."


def test_the_book_within_a_bound_on_a_value_goes_only_to_roles_that_see_it(book: Services) -> None:
    # was: the list of what a list of the book can say ("show me customers with ARR over $20k")
    over = ask(book, "show me customers with ARR over $20k", MANAGER)
    lines = over.text.splitlines()
    assert lines[0] == "*2 customers (ARR over $20,000)*, by ARR, highest first:", over.text
    assert lines[1].startswith("• *Willowfield Devices Co* (gold, na): ARR $412,000")
    assert lines[2].startswith("• *Westwardwood Studios Group* (silver, emea): ARR $40,000")
    assert over.sensitive and "Glacierwood" not in over.text  # $9,000: not over the bound
    assert ask(book, "which customers have ARR of at most 9000?", MANAGER).text.startswith(
        "*2 customers (ARR at most $9,000)*, by ARR, lowest first:\n• *Studios Northwave Inc*"
    )
    # a role that sees ARR but not health is refused a list bounded on health, ranked by ARR (the bound tells it)
    refused = ask(book, "top 2 customers with a health score under 101 by ARR", DEAL_DESK)
    assert refused.text.startswith(":lock: Health score is restricted for your role"), refused.text
    assert "Willowfield" not in refused.text


def test_customers_behind_on_payments_go_only_to_roles_that_see_payment_status(book: Services, clock: Clock) -> None:
    # was: "which customers have overdue invoices?" got the list of what a list of the book can say ("not by payments")
    glacier, willow = cid(book, "Glacierwood Dental Ltd"), cid(book, "Willowfield Devices Co")
    with session_scope(book.sessions) as s:
        s.add(Order(customer_id=glacier, amount=Decimal("900"), status="overdue", ordered_at=clock.now))
        s.add(Order(customer_id=willow, amount=Decimal("4000"), status="paid", ordered_at=clock.now))
    owed = ask(book, "which customers have overdue invoices?", MANAGER)
    assert owed.text.startswith(
        "*1 customer (with overdue invoices)* owes $900 in all:\n• *Glacierwood Dental Ltd* (bronze, na): $900 overdue"
    ), owed.text
    assert "Willowfield" not in owed.text and owed.sensitive
    assert ask(book, "which bronze customers haven't paid?", MANAGER).text.startswith(
        "*1 customer (bronze, with overdue invoices)*"
    )
    # "their" is theirs, whoever they are (was: "Which customer do you mean?")
    assert ask(book, "who hasn't paid their invoices?", MANAGER).text.startswith("*1 customer (with overdue invoices)*")
    assert ask(book, "has Glacierwood Dental paid?", MANAGER).text.startswith("*Glacierwood Dental Ltd*'s payment")
    refused = ask(book, "which customers have overdue invoices?", AGENT)  # support agents do not see payments
    assert refused.text.startswith(":lock: Payment status is restricted for your role"), refused.text
    assert "Glacierwood" not in refused.text


def test_renewals_at_risk_across_the_book_are_the_alert_rules_own(book: Services) -> None:
    # was: "which renewals are at risk?" got the list of what a list of the book can say ("not by ... risk")
    willow, glacier = cid(book, "Willowfield Devices Co"), cid(book, "Glacierwood Dental Ltd")
    with session_scope(book.sessions) as s:
        s.get(Customer, willow).health_score = 40  # type: ignore[union-attr]  # gold, renews in 41 days: at risk
        s.get(Customer, glacier).health_score = 10  # type: ignore[union-attr]  # bronze: outside the rule's tiers
    risky = ask(book, "which renewals are at risk?", MANAGER)
    assert risky.text.startswith("*1 customer (renewal at risk)* renews in the next 90 days"), risky.text
    assert "Willowfield Devices Co" in risky.text and "Glacierwood" not in risky.text and risky.sensitive
    assert ask(book, "how much ARR is at risk?", MANAGER).text.startswith(
        "Total ARR: $412,000 ($412,000 on average).\n*1 customer (renewal at risk)*"
    )
    # in the thread, "how much ARR is that?" adds up the list shown, not the whole book (was: the whole book read
    # as a new question, refused as unfiltered)
    turn = in_thread(book, "1700000000.000995", MANAGER)
    turn("which renewals are at risk?")
    assert turn("how much ARR is that?").text.startswith("Total ARR: $412,000 ($412,000 on average).\n*1 customer")
    # the rule rests on the health score: a role that does not see it is refused the list
    refused = ask(book, "which renewals are at risk?", AGENT)
    assert refused.text.startswith(":lock: Health score is restricted for your role"), refused.text
    # one customer's renewal is still theirs
    assert "renewal-at-risk" in ask(book, "is Willowfield Devices' renewal at risk?", MANAGER).text


def test_how_support_kept_its_sla_is_the_kpi_packs_figures(book: Services, clock: Clock) -> None:
    # was: "how are we doing on SLA this week?" gave the SLA clock's steps, "how many tickets did we close last
    # week?" said past work is not listed
    gold = cid(book, "Willowfield Devices Co")  # 24x7: calendar time
    now, hour = clock.now, dt.timedelta(hours=1)
    with session_scope(book.sessions) as s:
        for opened, first, resolved, prio, replies in (
            (now - 72 * hour, 0.5, 10, "P2", 1),  # within 1h and 1d: met, and resolved at the first answer
            (now - 48 * hour, 2, 20, "P1", 3),  # 30m and 8h missed
            (now - 50 * 24 * hour, 1, 5, "P3", 1),  # closed long before the window
        ):
            s.add(
                Ticket(
                    customer_id=gold,
                    subject="Sync <!channel>",
                    priority=prio,
                    status="closed",
                    opened_at=opened,
                    first_response_at=opened + first * hour,
                    resolved_at=opened + resolved * hour,
                    agent_replies=replies,
                )
            )
    a = ask(book, "how are we doing on SLA?", AGENT)
    assert a.text.startswith(
        "Tickets closed in the last 7 days: 2; first-response SLA met 50% (1 missed), resolution SLA met 50% "
        "(1 missed).\n"
        "• *gold*: 2 closed; first response met 50% (target 97%, *missed*), resolution met 50% (target 93%, "
        "*missed*), first-contact resolution 50% (target 70%, *missed*); median first response 1h 15m, "
        "resolution 15h"
    ), a.text
    assert a.source == "policy" and not a.sensitive and a.citations  # ticket aggregates: every role sees them
    # the figures are the KPI pack's, for the same window
    figures = {t.tier: t for t in pack(book.engine, book.policies, now - dt.timedelta(days=7), now).tiers}
    assert (figures["gold"].closed, figures["gold"].first_response_sla) == (2, 0.5)
    assert ask(book, "how are we doing on SLA for gold?", AGENT).text.startswith(
        "Gold tickets closed in the last 7 days: 2; first-response SLA met 50%"  # the tier named, alone
    )
    # the count missed, asked by its words (was: the list of the book's help)
    breached = ask(book, "how many tickets breached SLA in the last 7 days?", AGENT)
    assert breached.text.startswith("Tickets closed in the last 7 days: 2; first-response SLA met 50% (1 missed)")
    # a priority named is its tickets alone (was: every priority's)
    p1 = ask(book, "how many P1s missed their target in the last 7 days?", AGENT).text
    assert p1.startswith("P1 tickets closed in the last 7 days: 1; first-response SLA met 0% (1 missed)"), p1
    p3 = ask(book, "how many P3s missed their target in the last 7 days?", AGENT).text
    assert p3.startswith("No P3 ticket was closed in the last 7 days."), p3
    # one customer's breaches are their SLA history, not the book's figures
    assert not ask(book, "how many tickets breached SLA for Willowfield Devices this year?", AGENT).text.startswith(
        "Tickets closed"
    )
    assert ask(book, "how are we doing on SLA for silver?", AGENT).text.startswith(
        "No silver ticket was closed in the last 7 days."
    )
    # the tiers named as the subject (was: the alert rules' rows for those segments)
    assert ask(book, "how are gold and silver doing on SLA this week?", AGENT).text.startswith(
        "Gold, silver tickets closed this week"
    )
    # a follow-up naming only a tier is read with the thread's question (was: the tier's promises)
    turn = in_thread(book, "1700000000.000970", AGENT)
    turn("how are we doing on SLA?")
    assert turn("what about gold?").text.startswith("Gold tickets closed in the last 7 days: 2;")
    platinum = turn("what about platinum?").text
    assert platinum.startswith("No platinum ticket was closed in the last 7 days.")
    assert "is promised" not in platinum  # the follow-up's own words, by meaning alone, add nothing (was: promises)
    assert ask(book, "how many tickets did we close in the last 60 days?", AGENT).text.startswith(
        "Tickets closed in the last 60 days: 3;"
    )
    assert ask(book, "what was our first contact resolution rate last year?", AGENT).text.startswith(
        "No ticket was closed last year (2025)."
    )
    # how many came in, not how they were closed (was: the open P1s now, the window dropped)
    assert ask(book, "how many P1 tickets did we have this week?", AGENT).text.startswith(
        "No P1 ticket was opened this week (since 23 Nov 2026)."  # it was opened two days ago, on Sunday
    )
    assert ask(book, "how many P1 tickets did we have in the last 7 days?", AGENT).text.startswith(
        "P1 tickets opened in the last 7 days: 1 (gold 1)."
    )
    assert ask(book, "how many tickets were opened in the last 60 days?", AGENT).text.startswith(
        "Tickets opened in the last 60 days: 4 (P1 1, P2 2, P3 1)."  # the book's open P2 too
    )
    # one customer's tickets are their ticket record, not the book's figures
    assert "Tickets closed" not in ask(book, "what's Willowfield Devices' first contact resolution rate?", AGENT).text


def test_a_customers_approval_requests_say_where_each_stands(book: Services, clock: Clock) -> None:
    # was: "who still needs to approve the Willowfield request?" gave the custom-terms route for a new request
    drafts = [discount("Willowfield Devices Co", pct) for pct in ("14%", "12%")]
    decided, waiting = (submit_request(book, d).request_id for d in drafts)
    assert decide(book, decided, 0, "U0SALESMGR", "approve").code == "approved"
    owner = ask(book, "who still needs to approve the Willowfield Devices request?", MANAGER)
    assert owner.text.startswith(
        "Approval requests for *Willowfield Devices Co*, open first (2):\n"
        f"• #{waiting} Discount for *Willowfield Devices Co* (12% / $40,000) · Sales manager · since 2026-11-24, "
        "waiting on Sales managers\n"
        f"• #{decided} Discount for *Willowfield Devices Co* (14% / $40,000): approved on 24 Nov 2026"
    ), owner.text
    assert owner.source == "policy" and "<!channel>" not in owner.text
    assert owner.sensitive  # a discount's size is discount history: to the asker alone in a channel
    listed = owner.text.split(" [")[0]  # the list, without its citation
    assert ask(book, "has Willowfield Devices' discount been approved?", MANAGER).text.split(" [")[0] == listed
    # others see the requests they may decide or raised: the sales managers both (they decide the discount's
    # step), an agent none
    approver = ask(book, "what's the status of the Willowfield Devices request?", "U0SALESMGR")
    assert approver.text.startswith(
        "Approval requests for *Willowfield Devices Co* that you may decide or raised, open first (2):\n"
        f"• #{waiting} Discount"
    ), approver.text
    agent = ask(book, "who still needs to approve the Willowfield Devices request?", AGENT)
    assert agent.text.startswith(
        "No approval request that you may decide or raised has been made for *Willowfield Devices Co*."
    ), agent.text
    # "what approvals are pending?" with a customer named is that customer's requests, not the asker's queue
    assert ask(book, "any pending approvals for Willowfield Devices?", MANAGER).text.split(" [")[0] == listed


def test_one_request_by_its_number_says_where_it_stands_to_those_who_may_see_it(book: Services) -> None:
    # was: "what's the status of request #12?" gave the asker's queue ("Nothing waits for your decision.")
    waiting = submit_request(book, discount("Willowfield Devices Co", "12%")).request_id
    rejected = submit_request(book, discount("Glacierwood Dental Ltd", "14%")).request_id
    assert decide(book, rejected, 0, "U0SALESMGR", "reject", reason="Too deep <!channel>").code == "rejected"
    mine = ask(book, f"what's the status of request #{waiting}?", MANAGER)  # the requester
    assert mine.text.startswith(
        f"#{waiting} Discount for *Willowfield Devices Co* (12% / $40,000): waiting on Sales manager, decided by "
        "Sales managers\nAsked by Marcus Okafor on 24 Nov 2026."
    ), mine.text
    assert mine.sensitive  # a discount's size is discount history: to the asker alone in a channel
    no = ask(book, f"has request {rejected} been approved?", "U0SALESMGR")  # who decided it
    assert no.text.startswith(f"#{rejected} Discount for *Glacierwood Dental Ltd* (14% / $40,000): rejected on"), (
        no.text
    )
    assert "• Sales manager: rejected by Jordan Reyes on 24 Nov 2026: _Too deep &lt;!channel&gt;_" in no.text
    assert "<!channel>" not in no.text  # the reason is quoted inert
    # anyone else is told nothing of it, not even that it exists
    hidden = ask(book, f"what's the status of request #{waiting}?", AGENT)
    assert hidden.text.startswith(f"I have no request #{waiting} that you raised, may decide"), hidden.text
    assert ask(book, "what's the status of request #99999?", MANAGER).text.startswith("I have no request #99999")


def test_whether_the_asker_decides_requests_is_read_from_the_approval_steps(book: Services) -> None:
    # was: "am I an approver for discounts?" gave the discount request steps; "what can I approve?" the matrix
    desk = ask(book, "am I an approver for discounts?", DEAL_DESK)
    steps = [s for rule in book.policies.approvals.request_types["discount"] for s in rule.steps]
    decided = sorted({s.name for s in steps if book.policies.is_member(DEAL_DESK, s.approvers)})
    assert decided and desk.text.startswith(
        "Yes: you decide these approval steps. You can never decide a request you raised yourself.\n• discount: "
    ), desk.text
    assert all(f"the {name} step in <#" in desk.text for name in decided), desk.text
    assert desk.source == "policy" and "custom terms" not in desk.text  # the type named, only
    manager = ask(book, "am I an approver for discounts?", MANAGER).text
    assert manager.startswith("No: discount requests are decided by ") and "you are in none of them" in manager
    assert ask(book, "what can I approve?", MANAGER).text.startswith("No: you decide no step of any approval request.")
    # a route asked stays the route
    route = ask(book, "can I approve a 15% discount for Willowfield Devices?", DEAL_DESK).text
    assert route.startswith("A 15% discount"), route


def test_how_approvals_went_across_the_book_is_the_kpi_packs_figures(book: Services, clock: Clock) -> None:
    # was: "how many discounts did we approve this month?" quoted the approval matrix's rows
    approved, rejected = (
        submit_request(book, discount(c, "12%")).request_id
        for c in ("Willowfield Devices Co", "Glacierwood Dental Ltd")
    )
    assert decide(book, approved, 0, "U0SALESMGR", "approve").code == "approved"
    assert decide(book, rejected, 0, "U0SALESMGR", "reject", reason="too deep").code == "rejected"
    small = RequestDraft(
        request_type="discount",
        customer="Willowfield Devices Co",
        requester=MANAGER,
        amount="$4,000",
        percent="5%",
        justification="Loyalty for five years.",
    )
    assert submit_request(book, small).request_id  # auto-approved by the rules
    clock.advance(hours=1)  # they were decided an hour ago, not in this instant
    figures = ask(book, "how many discounts did we approve this month?", AGENT)
    assert figures.text.startswith(
        "Discount requests this month (November 2026): 3 made, 3 decided, 2 approved (67%).\n"
        "• Auto-approved by the rules: 1\n"
        "• Decided by approvers: 2, 1 approved and 1 not (rejected, changes requested or expired), median turnaround "
    ), figures.text
    assert figures.source == "policy" and not figures.sensitive  # counts of requests: every role sees them
    # the discount rate the deal desk reports, of those approved (was: the pricing policy's reporting paragraph)
    assert (
        "\n• Approved discounts averaged 8.5% (gold 8.5%)"
        in ask(book, "how many discounts did we approve this month?", DEAL_DESK).text
    )
    rate = ask(book, "what's the average discount we gave this month?", DEAL_DESK)
    assert rate.text.startswith("Discount requests this month (November 2026): 3 made"), rate.text
    assert "averaged 8.5%" in rate.text and rate.sensitive, rate.text  # one customer's discounts: the asker's eyes only
    # a role that does not see discount history gets the counts, and the percentages restricted (gold's mean here is
    # one customer's discounts)
    assert ":lock: The discounts' percentages are restricted for your role" in figures.text
    assert "8.5%" not in figures.text and not figures.sensitive
    went = ask(book, "how did discount approvals go this month?", AGENT).text
    assert went.startswith("Discount requests this month (November 2026): 3 made"), went
    assert ask(book, "how many credits were approved this month?", AGENT).text.startswith(
        "No service credit (SLA exception) request was made or decided this month"
    )
    # how long one usually takes: the figures, and the clocks approvals.yaml sets on its steps (was: the custom
    # terms policy's "Net 30" line and the steps table's rows)
    took = ask(book, "how long does a discount approval usually take?", AGENT).text
    assert took.startswith("Discount requests in the last 30 days: 3 made"), took
    steps = book.policies.approvals.request_types["discount"]
    first = next(step for rule in steps for step in rule.steps)
    assert f"\nBy policy a step is reminded, then escalated if still undecided: {first.name} after " in took, took
    assert "By policy" not in figures.text  # counts asked, not time


def test_how_alerts_went_across_the_team_is_the_kpi_playbooks_alert_measures(book: Services, clock: Clock) -> None:
    # was: "how many alerts did we send last week?" gave the usage-drop rule and the frequency caps; "who hasn't
    # acted on their alerts?" the alerts handbook's actions
    assert ask(book, "how many alerts did we send last week?").text.startswith(
        "No alert was raised last week (16 Nov 2026 to 22 Nov 2026).\nNo open alert waits for an acknowledgement now."
    )
    glacier, willow = cid(book, "Glacierwood Dental Ltd"), cid(book, "Willowfield Devices Co")

    def raised(rule: str, customer: int, hours_ago: int, acked_after: int | None = None, **kw: object) -> Alert:
        created = clock.now - dt.timedelta(hours=hours_ago)
        acked = created + dt.timedelta(minutes=acked_after) if acked_after is not None else None
        return Alert(
            rule=rule,
            kind="events",
            customer_id=customer,
            tier="gold",
            severity="high",
            urgent=rule == "sla-breach",
            state="acked" if acked else "open",
            open_key=f"{rule}:{customer}:{hours_ago}",
            recipient=MANAGER,
            created_at=created,
            acked_at=acked,
            **kw,
        )

    with session_scope(book.sessions) as s:
        s.add_all(
            [
                raised("sla-breach", willow, 30, acked_after=20),
                raised("sla-breach", willow, 20, acked_after=60),
                raised("sla-breach", glacier, 10, escalated_at=clock.now - dt.timedelta(hours=8)),
                raised("payment-overdue", glacier, 50, snoozed_by=MANAGER, snoozed_until=clock.now),
                raised("<!channel>", glacier, 24 * 20),  # 20 days ago: outside the week, still waiting
            ]
        )
    figures = ask(book, "who hasn't acted on their alerts?")
    assert figures.text == (
        "Alerts raised in the last 7 days: 4 (3 urgent); 2 acknowledged (50%), median time to ack 40m; 1 escalated, "
        "1 snoozed.\n"
        "• *sla-breach*: 3, 2 acknowledged (67%), median time to ack 40m\n"
        "• *payment-overdue*: 1, 0 acknowledged (0%)\n"
        "Waiting for an acknowledgement now: 3 alerts, by whom they wait on:\n"
        "• Marcus Okafor: 3, the oldest raised 20d ago [1]"
    ), figures.text
    assert figures.source == "policy" and not figures.sensitive, [c.title for c in figures.citations]
    # the window asked; the rule's name, a maintainer's text, inert
    month = ask(book, "how many alerts were raised this month?").text
    assert month.startswith("Alerts raised this month (November 2026): 5 (3 urgent)"), month
    assert "*&lt;!channel&gt;*: 1, 0 acknowledged" in month and "<!channel>" not in month
    # the asker's own alerts stay theirs (bot/ask/today.py)
    assert ask(book, "what alerts do I have open?", MANAGER).text.startswith("You have 3 open alerts")


def test_the_channels_linked_to_a_customer_are_said(book: Services, clock: Clock) -> None:
    # was: "is Willowfield Devices in a shared Slack channel with us?" gave the tier's promised support channels
    assert ask(book, "is Willowfield Devices in a shared Slack channel with us?").text.startswith(
        "No channel is linked to *Willowfield Devices Co*: Rapport tracks no shared channel with them. An admin links "
        "one with `/rapport channel link Willowfield Devices Co` in that channel."
    )
    willow = cid(book, "Willowfield Devices Co")
    with session_scope(book.sessions) as s:
        s.add(SharedChannel(channel_id="C0EXTWILLOW", name="ext-willowfield", is_ext_shared=True, linked=True))
        for channel, minutes in (("C0WILLOWINT", 1), ("C0EXTWILLOW", 0)):  # the oldest link first
            at = clock.now + dt.timedelta(minutes=minutes)
            s.add(
                ChannelLink(channel_id=channel, customer_id=willow, source="admin", linked_by="U0ADMIN", linked_at=at)
            )
    which = ask(book, "which channel is Willowfield Devices in?")
    assert which.text.startswith(
        "*Willowfield Devices Co* is linked to 2 channels: <#C0EXTWILLOW> (shared with their organisation) and "
        "<#C0WILLOWINT>."
    ), which.text
    assert which.source == "policy" and which.customer is not None
    # what their tier is promised stays the promise's (tiers.yaml)
    promised = ask(book, "does Willowfield Devices get a Slack Connect channel?").text
    assert "is promised" in promised and "linked to" not in promised, promised


def test_customer_messages_waiting_in_shared_channels_are_said_with_their_clocks(book: Services, clock: Clock) -> None:
    # was: "is anyone from X waiting on a reply?" gave the last contact's day; "what do I need to do today?" left
    # the waiting messages out (Ask could not read the channels feature's records)
    willow = cid(book, "Willowfield Devices Co")
    started = clock.now - dt.timedelta(minutes=12)
    with session_scope(book.sessions) as s:
        s.add(
            Conversation(
                channel_id="C0EXTWILLOW",
                customer_id=willow,
                thread_ts="1700000000.000500",
                open_key="C0EXTWILLOW:1700000000.000500",
                started_ts="1700000000.000500",
                author="W0CUSTOMER",
                owner=MANAGER,
                tier="gold",
                priority="P1",
                coverage="24x7",
                target_seconds=15 * 60,
                started_at=started,
                nudge_at=started + dt.timedelta(minutes=10),
                due_at=started + dt.timedelta(minutes=15),
                last_customer_at=started,
                last_activity_at=started,
                excerpt="Checkout down <!channel> <https://evil.example|click here>",
            )
        )
    one = ask(book, "is anyone from Willowfield Devices waiting on a reply?", MANAGER)
    assert one.text.startswith(
        "*Willowfield Devices Co* has 1 conversation open in shared channels, unanswered first:\n"
        "• (P1) in <#C0EXTWILLOW>: waiting 12m of 15m, *near target*: “Checkout down &lt;!channel&gt; "
        "&lt;https://evil.example|click here&gt;”"
    ), one.text
    mine = ask(book, "which customer messages are waiting for a reply?", MANAGER)
    assert mine.text.startswith(
        "1 customer message waits for a reply in your accounts' shared channels, the soonest due first:\n"
        "• *Willowfield Devices Co* (P1) in <#C0EXTWILLOW>: waiting 12m"
    ), mine.text
    assert (
        "• *1 customer message* waits for a reply in your accounts' shared channels "
        "(`which customer messages are waiting for a reply?`)" in ask(book, "what do I need to do today?", MANAGER).text
    )
    assert ask(book, "which customer messages are waiting for a reply?", AGENT).text.startswith(
        "No customer message waits for your reply in your accounts' shared channels."  # an agent owns no account
    )
    assert ask(book, "any unanswered messages from Glacierwood Dental?", MANAGER).text.startswith(
        "No conversation with *Glacierwood Dental Ltd* is open in a shared channel."
    )


def test_the_book_by_contact_hours_reads_each_customers_time_zone(book: Services, clock: Clock) -> None:
    # was: "which of my customers are in quiet hours right now?" listed every account of the owner, as if all were
    # Tuesday 12:00 UTC: 13:00 in Berlin (emea) is within contact hours, 06:00 in Chicago (the others) is not
    quiet = ask(book, "which customers are in quiet hours right now?")
    assert quiet.text.startswith("*3 customers (in quiet hours now)*:\n• *Glacierwood Dental Ltd*"), quiet.text
    assert "Westwardwood" not in quiet.text
    callable_now = ask(book, "which customers can I call right now?")  # within hours and consenting to outreach
    assert callable_now.text.startswith(
        "*1 customer (with outreach consent, within contact hours now)*:\n• *Westwardwood Studios Group*"
    ), callable_now.text
    clock.advance(hours=4)  # 10:00 in Chicago: Glacierwood is within hours too, but gave no outreach consent
    later = ask(book, "which customers can we contact now?")
    assert later.text.startswith("*3 customers (with outreach consent, within contact hours now)*:"), later.text
    assert "Glacierwood" not in later.text
    assert ask(book, "which of my customers are within contact hours?", MANAGER).text.startswith(
        "*1 customer (owned by Marcus Okafor, within contact hours now)*:\n• *Willowfield Devices Co*"
    )


def test_accounts_due_a_check_in_are_those_past_their_tiers_cadence(book: Services, clock: Clock) -> None:
    # was: "which of my customers are overdue for a check-in?" gave the payment-overdue alert's playbook lines
    willow, west = cid(book, "Willowfield Devices Co"), cid(book, "Westwardwood Studios Group")
    with session_scope(book.sessions) as s:
        # gold promises a check-in every 30 days, silver every 90, bronze none (tiers.yaml)
        s.add(Note(customer_id=willow, kind="call", body="check-in", created_at=clock.now - dt.timedelta(days=31)))
        s.add(Note(customer_id=west, kind="email", body="check-in", created_at=clock.now - dt.timedelta(days=80)))
        s.add(Note(customer_id=west, kind="note", body="internal", created_at=clock.now - dt.timedelta(days=1)))
    mine = ask(book, "which of my customers are overdue for a check-in?", MANAGER)
    assert mine.text.startswith(
        "*1 customer (owned by Marcus Okafor, due a check-in by their tier's cadence)*:\n"
        "• *Willowfield Devices Co* (gold, na), renews 4 Jan 2027"
    ), mine.text
    everyone = ask(book, "who is due a check-in?").text
    assert everyone.startswith("*1 customer (due a check-in by their tier's cadence)*"), everyone
    turn = in_thread(book, "1700000000.000472", MANAGER)  # a follow-up keeps what is due (was: dropped)
    turn("which of my customers are overdue for a check-in?")
    assert turn("only the gold ones?").text.startswith("*1 customer (gold, owned by Marcus Okafor, due a check-in")
    assert "Westwardwood" not in everyone and "Glacierwood" not in everyone  # within 90 days; bronze promises none
    with session_scope(book.sessions) as s:  # a call logged today: no longer due
        s.add(Note(customer_id=willow, kind="call", body="check-in", created_at=clock.now))
    assert ask(book, "who is due a check-in?").text.startswith("*No customer (due a check-in by their tier's cadence)*")
    # one customer's is their own cadence (bot.ask.cadence), not a list
    assert "promises one every 30 days" in ask(book, "is Willowfield Devices overdue for a check-in?").text


def test_accounts_gone_quiet_are_those_with_no_contact_since_the_span_asked(book: Services, clock: Clock) -> None:
    # was: "which of my customers haven't been contacted in 60 days?" got the alerts handbook's gone-quiet lines
    with session_scope(book.sessions) as s:
        willow, west = cid(book, "Willowfield Devices Co"), cid(book, "Westwardwood Studios Group")
        s.add(Note(customer_id=willow, kind="call", body="QBR booked", created_at=clock.now - dt.timedelta(days=70)))
        s.add(Order(customer_id=west, external_id="SO-9", amount=Decimal("10"), ordered_at=clock.now, status="paid"))
    mine = ask(book, "which of my customers haven't been contacted in 60 days?", MANAGER)
    since = (clock.now - dt.timedelta(days=60)).date()
    assert mine.text.startswith(
        f"*1 customer (owned by Marcus Okafor, no contact since {since.day} {since:%b %Y})*:\n"
        "• *Willowfield Devices Co* (gold, na), last contact 15 Sep 2026"
    ), mine.text
    quiet = ask(book, "which accounts have gone quiet?", MANAGER).text  # the last 30 days when none is said
    assert "Willowfield Devices Co" in quiet and "Studios Northwave Inc" in quiet, quiet
    assert "Westwardwood" not in quiet and "Glacierwood" not in quiet  # an order today, a ticket 10 hours ago
    assert "no contact on record" in quiet  # Studios Northwave: nothing logged at all
    # one customer asked about is not the book
    assert not ask(book, "has Willowfield Devices gone quiet?", MANAGER).text.startswith("*")
    # "who" and "I" (was: declined): the asker's own accounts, as "my"
    assert ask(book, "who haven't I talked to in 2 months?", MANAGER).text == mine.text
    # the quietest first (was: by name): never contacted, then the longest ago
    with session_scope(book.sessions) as s:
        northwave = cid(book, "Studios Northwave Inc")
        s.add(Note(customer_id=northwave, kind="call", body="intro", created_at=clock.now - dt.timedelta(days=40)))
    lines = ask(book, "which accounts have gone quiet?", MANAGER).text.splitlines()
    assert lines[1].startswith("• *Willowfield Devices Co*") and lines[2].startswith("• *Studios Northwave Inc*"), lines
    # narrowed in the thread, still those gone quiet (was: every gold customer)
    gold = ask(book, "only the gold ones?", MANAGER, earlier="which accounts have gone quiet?").text
    assert gold.startswith("*1 customer (gold, no contact since") and "Willowfield" in gold, gold
