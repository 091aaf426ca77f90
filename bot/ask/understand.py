"""Understanding a question before answering it: which customer it is about, what it asks, with which values.

* **Customer.** A customer clicked in "which one?" wins; else the customers the question names (names with or
  without their legal form or designator, domains, emails, ids: ``bot.customers.linking``); else the thread's
  customer (a follow-up that does not repeat the name). Two customers named is a question back ("which one?"),
  as is a name that fits several customers; a question that points at a customer ("when do they renew?") with
  none in view asks which customer. A follow-up that names another customer is about that one, never the
  thread's; a company written with its legal form that is no customer ("Foobarly Widgets Inc") is said to be
  unknown rather than answered for the thread's customer or from the playbooks.
* **What is asked.** :mod:`bot.ask.intents` (patterns + the embedding model against the examples in
  ``data/intents.yaml``). A short follow-up that asks nothing by itself ("and for 20%?") is read with the
  thread's earlier question.
* **Values.** :mod:`bot.ask.slots`: percentage, amount, priority, tier, region, risk, and the values no request
  can carry (over 100%, negative), kept to be said back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from bot.ask.book import of_the_list, ordinal, refines
from bot.ask.intents import CARD, FIELD, Asked, IntentModel, mask, model_for, refers_to_customer
from bot.ask.pending import named_request
from bot.ask.slots import Slots, count_again, read_slots
from bot.customers.linking import CustomerRef, link_customers, named_by_first_word
from bot.customers.normalize import fold
from bot.customers.tickets import TicketRef, named_ticket, ticket_mention
from bot.policies import Policies
from bot.store.models import Customer

if TYPE_CHECKING:
    from retrieval.embedder import Embedder

OPEN_TICKETS = "open_tickets"  # the record field a ticket named alone asks about (data/intents.yaml)
FOLLOW_UP_WORDS = 8  # a follow-up shorter than this that asks nothing by itself is read with the earlier question
_POINTS_BACK = re.compile(r"\b(?:that|those|these|them|they|their)\b", re.I)  # "how much ARR is that?"
TERSE_WORDS = 3  # a question this short is typed like a search ("harborland renewal"): a word may be a name
# A company's name as people write it: capitalised words ending in a legal form ("Foobarly Widgets Inc",
# "Nordlicht GmbH"). Only the unambiguous forms: "as", "co", "sa" and "ab" are also ordinary words.
_COMPANY = re.compile(
    r"\b((?:[A-Z][\w&'-]*\s+){1,4}(?:Inc|Incorporated|Ltd|Limited|LLC|LLP|PLC|plc|GmbH|AG|Corp|Corporation|Co|"
    r"Company|Pty|BV|NV|SAS|SARL|SpA|Srl|Oy|KK))\b\.?"
)

NAMED, CHOSEN, THREAD, NONE = "named", "chosen", "thread", "none"


@dataclass(frozen=True)
class Understanding:
    customer_id: int | None  # the one customer the answer is about
    how: str  # named | chosen | thread | none
    mention: str  # the (folded) words that named it, "" when chosen or inherited
    asked: Asked
    slots: Slots
    choices: list[CustomerRef] = field(default_factory=list)  # ask which customer: these are the candidates
    several_named: bool = False  # the choices are two or more customers the question named
    unknown_name: str = ""  # a company name the question gives that no customer has ("Foobarly Widgets Inc")
    across_the_book: bool = False  # it asks a record field of many customers ("which customers renew next month?")
    ticket: TicketRef | None = None  # a ticket the question names ("is HD-00001305 breaching?"), of this customer
    unknown_ticket: str = ""  # a ticket the question names that we do not have ("ticket 999999")
    book_earlier: str = ""  # the thread's list of the book this question narrows ("only the gold ones?")
    read_with: str = ""  # the thread's questions a short follow-up was read with ("and last month?"), one per line
    earlier: str = ""  # the thread's questions before this one, one per line, oldest first ("": none)

    @property
    def needs_customer(self) -> bool:
        """It asks about a customer's record, and none is in view (and none to choose from); or it names a company
        that is no customer and asks its record or a policy that depends on it (its tier, its region)."""
        if self.customer_id is not None or self.choices:
            return False
        about = {"field", "card", "policy"} if self.unknown_name else {"field", "card"}
        return bool(self.asked.kinds & about)


def tier_names(policies: Policies) -> list[str]:
    try:
        return policies.tier_names
    except Exception:  # a plain handbook without policies names no tiers
        return []


def region_names(policies: Policies) -> list[str]:
    try:
        return list(policies.tiers.regions)
    except Exception:
        return []


def understand(
    session: Session,
    policies: Policies,
    embedder: Embedder | None,
    question: str,
    customer_id: int | None = None,
    thread_customer: int | None = None,
    earlier: str | None = None,
) -> Understanding:
    """``customer_id``: chosen by the asker (a click); ``thread_customer``: the customer of the thread the
    question was asked in; ``earlier``: the thread's previous question."""
    mention, how, choices, several, unknown = "", NONE, [], False, ""
    model = model_for(embedder)
    book, book_earlier = False, ""
    if customer_id is not None:
        how, mention = CHOSEN, _chosen_mention(session, question, customer_id)
    else:
        linked = link_customers(session, question)
        named = linked.customers
        if len(named) >= 2:
            choices, several = list(named), True
        elif len(named) == 1 and not linked.ambiguous:
            customer_id, mention, how = named[0].id, named[0].matched_text, NAMED
        elif named:  # one clear name and one that fits several: still two customers in one question
            choices, several = [named[0], *linked.ambiguous[0]], True
        elif linked.ambiguous:
            choices, mention = linked.ambiguous[0], linked.ambiguous[0][0].matched_text
        elif unknown := company_name(question):  # named, but nobody by that name: not the thread's customer
            mention = fold(unknown)
        else:
            book = model.across_the_book(question)  # many customers: not the thread's one
            # after a question about one line of the list ("tell me about the first one"), "when does it renew?" is
            # about that line's customer, unless it says it is about the list's lines ("which of them ...")
            thread = earlier or ""
            on_a_line = bool(thread) and ordinal(questions_of(thread)[-1]) is not None
            short = bool(thread) and len(question.split()) < FOLLOW_UP_WORDS
            # a total asked of "that" ("how much ARR is that?") is the thread's list added up, not the whole book's
            of_it = not book or bool(_POINTS_BACK.search(question))
            if of_it and short and (not on_a_line or of_the_list(question)) and model.across_the_book(thread):
                values = read_slots(question, tier_names(policies), region_names(policies))
                if refines(question, values.tiers, values.regions, values.priority):
                    book, book_earlier = True, thread  # "only the gold ones?" after a list: that list, narrowed
            if not book and thread_customer is not None and session.get(Customer, thread_customer) is not None:
                customer_id, how = thread_customer, THREAD  # erased since the thread began: not inherited
    # "request #123" is an approval request's number, not a ticket's
    ticket = named_ticket(session, question) if not choices and not unknown and not named_request(question) else None
    if ticket is not None and (customer_id is None or how == THREAD):
        customer_id, mention, how = ticket.customer_id, fold(ticket.matched_text), NAMED  # the ticket names them
    elif ticket is not None and ticket.customer_id != customer_id:
        ticket = None  # another customer's ticket beside a named customer: the name is what they asked about
    if customer_id is not None and session.get(Customer, customer_id) is None:
        customer_id, how = None, NONE
    in_view = customer_id is not None or bool(choices) or bool(unknown) or refers_to_customer(question)
    asked = model.read(question, mention, refers=in_view)
    terse = len(question.split()) <= TERSE_WORDS and not earlier
    if customer_id is None and not choices and not unknown and not book and (_asks_of_one(model, asked) or terse):
        # a record field or a request's route asked by its own words of a name we do not know whole ("what's the
        # ARR for northwave?", "eaglespring wants net 90, who signs off?"), or a question typed like a search
        # ("harborland renewal", "deltawave"): the customers that name starts, to pick from (one word is never
        # linked), if read as about them it asks their record or their request's route
        guesses = named_by_first_word(session, question)
        again = model.read(question, guesses[0].matched_text, refers=True) if guesses else asked
        if guesses and (again.kinds & {FIELD, CARD} or _asks_of_one(model, again)):
            choices, mention, asked = guesses, guesses[0].matched_text, again
    slots = read_slots(question, tier_names(policies), region_names(policies), mention)
    if ticket is not None:
        worded = {n for r in asked.readings for n in r.patterns}
        by_meaning = all(i.kind == CARD or (i.kind == FIELD and i.name not in worded) for i in asked.intents)
        if asked.howto or by_meaning:
            # "what's the status of #1305?", "can I close #46?": the ticket itself; a field the question does not
            # name by its words is only the nearest by meaning ("can I call X now" for "can I close #46")
            asked = Asked((model.catalog[OPEN_TICKETS],), asked.readings)
        if slots.priority is None:  # its priority picks its clock and escalation, as a priority said would
            slots = replace(slots, priority=ticket.priority)
    just_named = asked.first("card") is not None and len(question.split()) <= len(mention.split()) + 2
    read_with = ""
    # a short question that names nothing it asks by its own words ("what about platinum?" after the SLA figures):
    # read by meaning alone it is the nearest intent (platinum's promises), with the thread's question what it asks
    # (a procedure named by its own subject is asked on its own: "what are the KPIs for their tier?" after "is it
    # quiet hours there?" is the KPIs, not the quiet hours again)
    own_topic = asked.howto and model.names_topic(question.lower())
    if (
        ((asked.howto and not own_topic) or just_named or not asked.worded)
        and earlier
        and len(question.split()) < FOLLOW_UP_WORDS
    ):
        # A name alone answers "which customer?"; it asks the earlier question again, of that customer.
        # "and for 20%?", "what about the ARR" read alone say little; with the thread's question they say what.
        # The earlier question's own name for its customer is masked as the question's is: read raw, "Can I give
        # Willowfield Devices 8%?" is a how-to to the model, masked it is a discount.
        before = _mention(session, earlier)
        chain = questions_of(earlier)
        found: Asked | None = None
        for k in range(1, len(chain) + 1):
            # the nearest earlier question that makes it ask something: "who approves that?" after "can I give
            # them 15%?" is the discount's route, not the renewal date asked three questions before
            said = chained(chain[-k:])
            attempt = model.read(f"{mask(said, before, model.catalog.stand_in)} {question}", mention, refers=in_view)
            # read only by meaning itself, the follow-up needs a question that names what it asks: "what about
            # platinum?" after "what about gold?" after the SLA figures is the figures, not the tiers' promises
            if not attempt.howto and (attempt.worded or asked.howto or just_named):
                found = attempt
                break
        if found is not None:
            again = found
            read_with = said
            # the fields the follow-up names by its own words are what it asks ("and the LTV?" after the ARR: the
            # LTV, not both again); none named, the earlier question's
            own = [model.catalog[n] for n in asked.readings[0].patterns if model.catalog[n].kind == FIELD]
            named_itself = asked.worded
            asked = Asked(tuple(own), again.readings) if own and set(own) <= set(again.intents) else again
            if not named_itself:
                # it names nothing by its own words ("what about platinum?" after the SLA figures): it asks what the
                # earlier question asked, with its values; its own clause, read by meaning alone, adds nothing
                # (platinum's promises)
                said_alone = model.read(mask(said, before, model.catalog.stand_in), mention, refers=in_view)
                kept = tuple(i for i in asked.intents if i in said_alone.intents)
                asked = Asked(kept, asked.readings) if kept else asked
            names = tier_names(policies), region_names(policies)
            lines = questions_of(earlier)  # a chain of follow-ups: each changes the values before it
            first = read_slots(lines[0], *names, before)
            for later in lines[1:]:
                first = _merged(first, read_slots(later, *names, before))
            if first.free_months is not None and (months := count_again(question)) is not None:
                slots = read_slots(f"{months} free months", *names)  # "what about three?"
            slots = _merged(first, slots)
    missing = ticket_mention(question) if ticket is None and (customer_id is None or how == THREAD) else ""
    if missing:
        customer_id, how = None, NONE  # a ticket we do not have: not the thread's customer's tickets either
    return Understanding(
        customer_id,
        how,
        mention,
        asked,
        slots,
        choices,
        several,
        unknown,
        book,
        ticket,
        missing,
        book_earlier,
        read_with,
        earlier or "",
    )


def chained(questions: Sequence[str]) -> str:
    """A thread's chain of questions as ``earlier`` carries it, oldest first: one per line, so that each question's
    values can be read in turn and the latest one wins (:func:`questions_of`)."""
    return "\n".join(questions)


def questions_of(earlier: str) -> list[str]:
    """The questions of a chain :func:`chained` made (a single question is a chain of one)."""
    return earlier.split("\n")


def _asks_of_one(model: IntentModel, asked: Asked) -> bool:
    """The question's words name a record field, the card or a request whose route depends on the customer (a
    pattern, not meaning alone)."""
    named = [model.catalog[n] for n in asked.readings[0].patterns]
    return any(i.kind in (FIELD, CARD) or i.request_type is not None for i in named)


def _chosen_mention(session: Session, question: str, customer_id: int) -> str:
    """The words of the question that named the customer the asker picked (from "which one?"), read as a name is
    ("why did I get an alert for Helios?" is asked of them, as if the name were unique); "" when none did."""
    linked = link_customers(session, question)
    for ref in [*linked.customers, *(r for group in linked.ambiguous for r in group)]:
        if ref.id == customer_id:
            return ref.matched_text
    guesses = [r for r in named_by_first_word(session, question) if r.id == customer_id]
    return guesses[0].matched_text if guesses else ""


def _mention(session: Session, text: str) -> str:
    """The words that name the one customer ``text`` names (folded, as linking gives them), or ""."""
    linked = link_customers(session, text)
    return linked.customers[0].matched_text if len(linked.customers) == 1 else ""


_LEADING = frozenset(
    "when what who whose whom is are does do did can could should will how tell show give and or".split()
)


def company_name(question: str) -> str:
    """The first company name the question writes with its legal form ("Foobarly Widgets Inc"), without a
    capitalised question word before it ("When Foobarly Widgets Inc renews"); "" when it writes none."""
    found = _COMPANY.search(question)
    if found is None:
        return ""
    words = found.group(1).split()
    while len(words) > 2 and words[0].lower() in _LEADING:
        words.pop(0)
    return "" if words[0].lower() in _LEADING else " ".join(words)


def _merged(before: Slots, now: Slots) -> Slots:
    """The earlier question's values, with what the follow-up says instead."""
    return Slots(
        now.percent if now.percent is not None else before.percent,
        now.amount if now.amount is not None else before.amount if now.base is None else None,
        now.priority or before.priority,
        now.tier or before.tier,
        now.region or before.region,
        now.risk or before.risk,
        now.problems,
        now.tiers or before.tiers,
        now.moment or before.moment,
        now.base if now.base is not None else before.base if now.amount is None else None,
        now.free_months if now.percent is not None else before.free_months,
        now.place if now.region else before.place,
        regions=now.regions if now.region else before.regions,
    )
