"""Record answers from a card: the value first, exactly what the (redacted) card holds, restricted fields said
with whom to ask, customer text inert."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from bot.ask.facts import asks_opt_out, record_facts
from bot.ask.intents import catalog
from bot.ask.slots import read_slots, share_of
from bot.customers.card import CustomerCard, TicketLine
from bot.customers.sla import SlaClock
from bot.policies import Policies, load_policies

REPO = Path(__file__).resolve().parents[3]
NOW = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def policies() -> Policies:
    return load_policies(REPO / "playbooks" / "policies")


def card(hidden: tuple[str, ...] = (), **fields: object) -> CustomerCard:
    record: dict[str, object] = {
        "name": "Willowfield Devices Co",
        "tier": "gold",
        "segment": "enterprise",
        "region": "emea",
        "time_zone": "Europe/Berlin",
        "owner": "U0AMPLAT",
        "renewal_date": dt.date(2027, 1, 4),
        "open_tickets": 0,
        "consent": {"outreach": True, "marketing": False},
        "arr": Decimal("412000.50"),
        "lifetime_value": Decimal("1900000"),
        "health_score": 81,
        "payment_status": "current",
        "sentiment": -0.12,
        "contact_email": "ana.kim@willowfield.com",
        **fields,
    }
    shown = {k: v for k, v in record.items() if k not in hidden}
    return CustomerCard(7, str(record["name"]), "gold", "U0AMPLAT", shown, [], list(hidden))


def said(c: CustomerCard, policies: Policies, *names: str) -> str:
    cat = catalog()
    return "\n".join(record_facts(c, [cat[n] for n in names], policies, NOW).sentences)


def test_the_renewal_states_the_date_the_days_left_and_the_owner(policies: Policies) -> None:
    assert said(card(), policies, "renewal_date") == (
        "*Willowfield Devices Co* renews on 4 Jan 2027, in 41 days; owner <@U0AMPLAT>."
    )


def test_several_fields_in_the_order_asked(policies: Policies) -> None:
    text = said(card(), policies, "owner", "arr")
    assert text == "*Willowfield Devices Co* is owned by <@U0AMPLAT>.\n*Willowfield Devices Co*'s ARR is $412,000."


def test_a_field_the_card_hides_is_never_stated(policies: Policies) -> None:
    facts = record_facts(card(hidden=("arr",)), [catalog()["arr"]], policies, NOW)
    text = "\n".join(facts.sentences)
    assert "412" not in text and "$" not in text
    assert "ARR is restricted for your role" in text and "ask the account owner, <@U0AMPLAT>" in text
    assert "account manager" in text  # which roles can see it, from roles.yaml
    assert facts.restricted == ("arr",) and not facts.sensitive


def test_a_share_of_an_amount_is_worked_out() -> None:
    # was: "what's 15% of X's ARR?" stated the ARR alone, leaving the arithmetic to the asker
    assert share_of("what's 15% of Willowfield's ARR?") == 15.0
    assert share_of("what is 12.5 per cent of their lifetime value") == 12.5
    assert share_of("what's 150% of their ARR?") == 150.0  # arithmetic, not a discount: over 100 is fine
    assert share_of("what's 12,5% of their ARR?") == 12.5  # a decimal comma, as the request slots read it
    assert share_of("can I give them 15% off?") is None and share_of("what's their ARR?") is None


def test_the_share_asked_is_stated_with_the_amount_and_never_when_restricted(policies: Policies) -> None:
    arr = [catalog()["arr"]]
    text = "\n".join(record_facts(card(), arr, policies, NOW, share=15.0).sentences)
    assert text == "*Willowfield Devices Co*'s ARR is $412,000. 15% of it is $61,800."
    hidden = "\n".join(record_facts(card(hidden=("arr",)), arr, policies, NOW, share=15.0).sentences)
    assert "$" not in hidden and "61,800" not in hidden and "restricted" in hidden


def test_a_sensitive_value_marks_the_answer_sensitive(policies: Policies) -> None:
    assert record_facts(card(), [catalog()["arr"]], policies, NOW).sensitive
    assert not record_facts(card(), [catalog()["renewal_date"]], policies, NOW).sensitive


def test_marketing_consent_and_outreach_within_contact_hours(policies: Policies) -> None:
    """Outreach is bound by the customer's contact hours (sla.yaml ``contact_hours``, the communication policy's
    quiet hours for customers: Mon-Fri 08:00-19:00 their time), not by the staff's alert quiet hours."""
    assert said(card(), policies, "consent_marketing").startswith(
        "No: *Willowfield Devices Co* has not given marketing consent"
    )
    outreach = said(card(), policies, "consent_outreach")  # Tuesday 12:00 UTC
    assert outreach == (
        "Yes: *Willowfield Devices Co* accepts outreach; it is Tue 13:00 there (Europe/Berlin), within contact hours "
        "(Mon–Fri 08:00–19:00 their time)."
    )
    late = said(card(time_zone="Asia/Tokyo"), policies, "consent_outreach")  # 21:00 in Tokyo
    assert late.startswith("Not now: *Willowfield Devices Co* accepts outreach, but it is Tue 21:00 there")
    assert "wait until Wed 08:00 their time" in late
    opted_out = card(consent={"outreach": False, "marketing": False})
    assert said(opted_out, policies, "consent_outreach").startswith("No: *Willowfield Devices Co* has opted out")


def test_an_opt_out_asked_is_answered_yes_when_they_opted_out(policies: Policies) -> None:
    """ "Has X opted out of marketing?" (was: "No: X has opted out of outreach", a "no" that meant yes)."""
    catalogue = catalog()
    opted_out = card(consent={"outreach": False, "marketing": False})

    def asked(c: CustomerCard, question: str, *names: str) -> list[str]:
        intents = [catalogue[n] for n in names]
        return list(record_facts(c, intents, policies, NOW, question=question).sentences)

    assert asks_opt_out("has X opted out of marketing?") and asks_opt_out("did they unsubscribe?")
    assert not asks_opt_out("can I email them about the webinar?")
    # whether we may NOT: its "yes" is the refusal too (was: "Yes: X has given marketing consent ... is fine")
    assert asks_opt_out("is X not allowed to get marketing emails?") and asks_opt_out("are we forbidden from calling?")
    consented = card(consent={"outreach": True, "marketing": True})
    (allowed,) = asked(consented, "is X not allowed to get marketing emails?", "consent_marketing")
    assert allowed.startswith("No: *Willowfield Devices Co* has given marketing consent"), allowed
    assert asked(opted_out, "has X opted out?", "consent_outreach") == [
        "Yes: *Willowfield Devices Co* has opted out of outreach. Contact them only about an open ticket or order."
    ]
    (market,) = asked(opted_out, "has X opted out of marketing?", "consent_marketing")
    assert market.startswith("Yes: *Willowfield Devices Co* has opted out of outreach altogether")
    assert asked(card(), "has X opted out?", "consent_outreach") == [
        "No: *Willowfield Devices Co* has not opted out of outreach."
    ]
    (never,) = asked(card(), "did X unsubscribe?", "consent_marketing")  # no consent given is not an opt-out made
    assert never.startswith("In effect, yes: *Willowfield Devices Co* has not given marketing consent")
    consenting = card(consent={"outreach": True, "marketing": True})
    assert asked(consenting, "has X opted out of marketing?", "consent_marketing")[0].startswith("No: ")
    # asked as "can we?", the same records answer the other way round
    assert asked(opted_out, "can I email X?", "consent_outreach")[0].startswith("No: ")


def test_their_local_time_asked_leads_with_it(policies: Policies) -> None:
    # was: "Yes: X accepts outreach; it is Tue 13:00 there ..." for "what time is it for X right now?"
    intents = [catalog()["consent_outreach"]]
    (said,) = record_facts(card(), intents, policies, NOW, question="what time is it for X right now?").sentences
    assert said == "It is Tue 13:00 there (Europe/Berlin), within contact hours (Mon–Fri 08:00–19:00 their time)."
    (late,) = record_facts(card(time_zone="Asia/Tokyo"), intents, policies, NOW, question="X's local time?").sentences
    assert late.startswith("It is Tue 21:00 there (Asia/Tokyo), outside contact hours"), late


def test_no_marketing_consent_answers_a_marketing_email_whatever_the_hour(policies: Policies) -> None:
    """ "Can I email X about our webinar?" at night there (was: "Not now: X accepts outreach, but it is 21:00
    there", then "No: X has not given marketing consent"): the consent is the answer, the hour adds nothing."""
    late = card(time_zone="Asia/Tokyo")  # 21:00 in Tokyo, no marketing consent
    intents = [catalog()["consent_outreach"], catalog()["consent_marketing"]]
    (only,) = record_facts(late, intents, policies, NOW).sentences
    assert only.startswith("No: *Willowfield Devices Co* has not given marketing consent")
    consenting = card(time_zone="Asia/Tokyo", consent={"outreach": True, "marketing": True})
    hour, consent = record_facts(consenting, intents, policies, NOW).sentences  # with consent, the hour matters
    assert hour.startswith("Not now: ") and consent.startswith("Yes: ")


def test_no_outreach_at_the_customers_weekend(policies: Policies) -> None:
    """Saturday 10:26 in Madrid is inside no quiet hours of the staff's, but it is the customer's weekend."""
    saturday = dt.datetime(2026, 12, 5, 9, 26, tzinfo=dt.UTC)
    facts = record_facts(card(time_zone="Europe/Madrid"), [catalog()["consent_outreach"]], policies, saturday)
    (text,) = facts.sentences
    assert text.startswith("Not now: *Willowfield Devices Co* accepts outreach, but it is Sat 10:26 there")
    assert "wait until Mon 08:00 their time" in text


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # NOW is Tuesday 12:00 UTC, 13:00 in Berlin
        ("Can I call them at 9pm?", "No: *Willowfield Devices Co* accepts outreach, but Tue 21:00 their time"),
        ("Can I call them at 9am?", "Yes: *Willowfield Devices Co* accepts outreach; Wed 09:00 their time"),
        ("can I call them tomorrow morning?", "Yes: *Willowfield Devices Co* accepts outreach; Wed 09:00 their"),
        ("ok to ring them on Saturday?", "No: *Willowfield Devices Co* accepts outreach, but Saturday (Europe/"),
        ("can I call them on Monday at 18:30?", "Yes: *Willowfield Devices Co* accepts outreach; Mon 18:30 their"),
        ("can I call them tonight?", "No: *Willowfield Devices Co* accepts outreach, but Tue 20:00 their time"),
    ],
)
def test_outreach_at_the_time_asked_about(policies: Policies, question: str, expected: str) -> None:
    """ "Can I call them at 9pm?" is about 9pm (read as their time, and said so), not about now."""
    moment = read_slots(question).moment
    (text,) = record_facts(card(), [catalog()["consent_outreach"]], policies, NOW, moment).sentences
    assert text.startswith(expected)
    if text.startswith("No"):
        assert "the next opening is " in text and "Not now" not in text
        assert text.endswith("their time, unless they asked for that time.")  # the policy's exception, as for now


def test_without_contact_hours_only_the_local_time_is_said(policies: Policies) -> None:
    unset = dataclasses.replace(policies, sla=policies.sla.model_copy(update={"contact_hours": None}))
    text = said(card(), unset, "consent_outreach")
    assert text == "Yes: *Willowfield Devices Co* accepts outreach; it is 13:00 there (Europe/Berlin)."


def two_open_tickets() -> CustomerCard:
    """The card with a P3 on time (its subject carrying a <!channel>) and a P2 whose first response is breached."""
    opened = NOW - dt.timedelta(hours=3)
    ok = SlaClock(1, "P3", "first response", dt.timedelta(hours=8), dt.timedelta(hours=3), "ok", "24x7")
    late = SlaClock(2, "P2", "first response", dt.timedelta(hours=1), dt.timedelta(hours=3), "breached", "24x7")
    tickets = [
        TicketLine(1, "Export <!channel> fails", "P3", "open", opened, ok),
        TicketLine(2, "Login broken", "P2", "open", opened, late),
    ]
    c = card(open_tickets=2)
    return CustomerCard(c.customer_id, c.name, c.tier, c.owner, c.fields, tickets, c.hidden)


def test_open_tickets_with_their_clocks_worst_first(policies: Policies) -> None:
    lines = said(two_open_tickets(), policies, "open_tickets").split("\n")
    assert lines[0] == "*Willowfield Devices Co* has 2 open tickets:"
    assert lines[1] == "• #2 P2 _Login broken_: first response target 1h *breached* by 2h"
    assert lines[2] == "• #1 P3 _Export &lt;!channel&gt; fails_: first response target 8h, 5h left"


def test_a_priority_asked_about_is_counted_and_its_tickets_lead(policies: Policies) -> None:
    # "how many open P3s does X have?" was answered with every open ticket and no count of P3s
    c = two_open_tickets()
    asked = [catalog()["open_tickets"]]
    slots = read_slots("How many open P3s does Willowfield Devices have?")
    lines = record_facts(c, asked, policies, NOW, priority=slots.priority).sentences[0].split("\n")
    assert lines[0] == "*Willowfield Devices Co* has 1 open P3 ticket (2 open in all):"
    assert lines[1].startswith("• #1 P3") and lines[2].startswith("• #2 P2")
    (none,) = record_facts(c, asked, policies, NOW, priority="P1").sentences
    assert none.startswith("*Willowfield Devices Co* has no open P1 tickets (2 open in all):")


def test_no_open_tickets_says_the_latest_one(policies: Policies) -> None:
    # was: "has no open tickets." to "what happened on their last ticket?" and "any SLA breaches?"
    recent = ["2026-11-02 P3 Export <!channel> fails (closed)", "2026-10-01 P4 Question (closed)"]
    text = said(card(recent_interactions=recent), policies, "open_tickets")
    assert text == (
        "*Willowfield Devices Co* has no open tickets; the latest was opened on 2 Nov 2026: P3 Export "
        "&lt;!channel&gt; fails (closed)."
    )
    assert said(card(), policies, "open_tickets") == "*Willowfield Devices Co* has no open tickets."
    hidden = said(card(hidden=("recent_interactions",)), policies, "open_tickets")
    assert hidden == "*Willowfield Devices Co* has no open tickets."


def test_the_nps_answer_is_said_or_restricted(policies: Policies) -> None:
    assert said(card(nps="3 (detractor, 2026-11-02)"), policies, "nps") == (
        "*Willowfield Devices Co*'s latest NPS answer is 3 (detractor, 2026-11-02)."
    )
    assert said(card(), policies, "nps") == "*Willowfield Devices Co* has no NPS answer on record."
    hidden = said(card(hidden=("nps",), nps="3 (detractor, 2026-11-02)"), policies, "nps")
    assert "detractor" not in hidden and "NPS is restricted for your role" in hidden


def test_the_primary_contact_is_named_then_reached_as_far_as_the_role_may(policies: Policies) -> None:
    full = card(contact_name="Ana Kim (VP Operations)", contact_phone="+1-555-0100")
    assert said(full, policies, "contact") == (
        "The primary contact at *Willowfield Devices Co* is Ana Kim (VP Operations), ana.kim@willowfield.com, "
        "+1-555-0100."
    )
    logistics = card(hidden=("contact_email",), contact_name="Ana Kim", contact_phone="+1-555-0100")
    text = said(logistics, policies, "contact")
    assert text.startswith("The primary contact at *Willowfield Devices Co* is Ana Kim, +1-555-0100.")
    assert "ana.kim@" not in text and "contact email is restricted for your role" in text
    nobody = said(card(hidden=("contact_name", "contact_email", "contact_phone")), policies, "contact")
    assert "Ana" not in nobody and "ana.kim" not in nobody and "restricted" in nobody


def test_customer_text_is_inert(policies: Policies) -> None:
    c = card(name="<@U0CFO> Corp", segment="<!here>")
    c = CustomerCard(c.customer_id, "<@U0CFO> *Corp*", c.tier, c.owner, c.fields, [], [])
    text = said(c, policies, "segment")
    assert "<@U0CFO>" not in text and "<!here>" not in text and "&lt;!here&gt;" in text


def test_sentiment_near_zero_is_neutral_either_way(policies: Policies) -> None:
    moods = {v: said(card(sentiment=v), policies, "sentiment") for v in (-0.04, 0.04, -0.45, 0.45)}
    assert moods[-0.04].endswith("averages -0.04 on −1…+1 (neutral).")
    assert moods[0.04].endswith("(neutral).")
    assert moods[-0.45].endswith("(negative).") and moods[0.45].endswith("(positive).")


def placed(c: CustomerCard, policies: Policies, *tiers: str) -> str:
    facts = record_facts(c, [catalog()["tier_placement"]], policies, NOW, tiers=tiers)
    return "\n".join(facts.sentences)


def test_eligibility_compares_the_record_with_the_tier_asked_about(policies: Policies) -> None:
    small = card(arr=Decimal("100000"), lifetime_value=Decimal("300000"))
    assert placed(small, policies, "platinum") == (
        "*Willowfield Devices Co* is *Gold*. *Platinum* takes a lifetime value of $1,000,000 or ARR of $250,000; "
        "on its record (lifetime value $300,000, ARR $100,000) it does not meet it and places in *Gold* ($700,000 "
        "more lifetime value or $150,000 more ARR would reach it). The segmentation review on 15 Jan 2027 sets the "
        "tier, counting the last 12 months of orders too."
    )
    # either threshold is enough (ARR $412,000 alone reaches platinum); no tier named: the next one up
    assert "meets it and places in *Platinum*" in placed(card(lifetime_value=Decimal("0")), policies)
    assert "places higher, in *Gold*" in placed(small, policies, "silver")
    top = CustomerCard(7, "Willowfield Devices Co", "platinum", "U0AMPLAT", card().fields, [], [])
    assert placed(top, policies) == "*Willowfield Devices Co* is *Platinum*, the highest tier."


def test_eligibility_never_states_figures_the_role_may_not_see(policies: Policies) -> None:
    text = placed(card(hidden=("arr",)), policies, "platinum")
    assert "412" not in text and "1,900,000" not in text and "places" not in text
    assert "rests on figures restricted for your role" in text and "ARR is restricted for your role" in text
    sourced = CustomerCard(7, "Willowfield Devices Co", "Enterprise", "U0AMPLAT", card().fields, [], [])
    assert "Enterprise" in placed(sourced, policies, "platinum") and "$" not in placed(sourced, policies, "platinum")
