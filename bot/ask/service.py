"""Ask: understand the question (customer, what is asked, values: :mod:`bot.ask.understand`), answer it from
what can answer it, log it, audit it. Returns plain data; the Slack adapter renders it.

What answers: the customer record for a record field (:mod:`bot.ask.facts`, redacted like the card), the policy
for a computation (an approval route: :mod:`bot.ask.routes`; escalation and SLA targets: :mod:`bot.ask.policy`),
the playbooks for a how-to. A computed answer leads with its sentence(s) and adds at most two cited sentences
from the playbooks (``write(..., lead=...)``); a question Rapport cannot answer as asked gets a question back
(which customer? which one?) or says why (restricted, invalid value, not configured).

One module because it runs the answer pipeline (understand, compute, retrieve, compose, log, audit) in
order; each step's logic lives in its own module.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.orm import Session

from bot import mrkdwn
from bot.approvals.amounts import format_money
from bot.ask import direct, llm
from bot.ask.actions import action_reply
from bot.ask.book import (
    BookQuery,
    answer_book,
    followed,
    of_the_list,
    only_points,
    ordinal,
    point_at,
    read_book,
    refines,
    restricted,
    staff_names,
    unfiltered,
)
from bot.ask.breakdown import PER_AGENT, per_agent
from bot.ask.compose import AnswerWriter, Citation, ExtractiveWriter, cite
from bot.ask.dates import EMPTY_SPAN, named_window
from bot.ask.feedback import passage_key, rerank
from bot.ask.findings import needs_policies, policy_findings
from bot.ask.intents import Catalog, kind_asked, mask, model_for
from bot.ask.models import QuestionAnswer, QuestionLog
from bot.ask.overview import asks_whole, named_document
from bot.ask.policy import PolicyFinding
from bot.ask.routes import LABELS, asks_route
from bot.ask.slots import Slots, read_slots, share_of
from bot.ask.thresholds import negative_bound
from bot.ask.understand import (
    FOLLOW_UP_WORDS,
    Understanding,
    chained,
    questions_of,
    region_names,
    tier_names,
    understand,
)
from bot.customers.card import CustomerCard, build_card, record_view
from bot.customers.linking import CustomerRef, link_customers
from bot.customers.normalize import fold
from bot.failures import Unavailable, new_reference
from bot.governance.audit import record
from bot.services import Services
from bot.store.models import Customer
from retrieval import Passage
from retrieval.question import analyse

log = logging.getLogger(__name__)
MAX_QUESTION_CHARS = 2000
PLAYBOOK_OWNERS = "S0PLAYBOOKS"
PLAYBOOKS, RECORD, POLICY, CLARIFY = "playbooks", "record", "policy", "clarify"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


class AskError(ValueError):
    """A question we cannot take (empty, unreadable): shown to the user as is."""


class RetrievalUnavailable(Unavailable):
    """The playbook index could not be searched (not loaded, Chroma down...): a short error, not silence."""

    what = "I can't search the playbooks right now. Please try again in a minute, or ask the playbook owner."


@dataclass
class Answer:
    question: str
    asker: str
    text: str
    citations: list[Citation]
    confidence: float
    answered: bool
    owner: str | None = None  # who to ask when we do not know
    owner_handle: str = ""  # a group owning the playbook: its handle, to name it without paging it
    question_id: int | None = None
    customer: CustomerCard | None = None
    choices: list[CustomerRef] = field(default_factory=list)  # ambiguous customer: ask which
    finding: PolicyFinding | None = None
    truncated: bool = False
    card_inline: bool = True  # the card is shown in the answer itself (False: sent to the asker privately)
    source: str = PLAYBOOKS  # what answered: playbooks | record | policy | clarify (a question back)
    approval: direct.ApprovalPrefill | None = None  # the Request approval button's prefill
    sensitive: bool = False  # the text states a field only some roles may see: shown to the asker only

    @property
    def private_card(self) -> bool:
        """Cards showing sensitive fields go ephemeral in shared channels."""
        return bool(self.customer and self.customer.has_sensitive)

    @property
    def account_owner(self) -> str | None:
        """Besides the playbook owner, whom an "I don't know" about a customer names: the account's owner, who
        knows the account when the playbooks don't say (None when there is none, or it is the same person)."""
        card = self.customer
        return card.owner if card is not None and card.owner and card.owner != self.owner else None


def make_writer(services: Services) -> AnswerWriter:
    base = services.settings.playbook_base_url
    if services.settings.rapport_llm:
        return llm.from_settings(services.settings)  # RAPPORT_LLM, RAPPORT_LLM_BASE_URL, RAPPORT_LLM_TIMEOUT
    return ExtractiveWriter(base)


def warm_up(services: Services) -> None:
    """Load what the first question would otherwise wait for: the embedding model and the intent examples'
    vectors (a few seconds on CPU), so the first asker is not the one who pays for it."""
    embedder = getattr(services.index, "embedder", None)
    if embedder is not None:
        model_for(embedder)


class AskService:
    def __init__(self, services: Services, writer: AnswerWriter | None = None) -> None:
        self.s = services
        self.writer = writer or make_writer(services)

    def answer(
        self,
        question: str,
        asker: str,
        channel: str | None = None,
        thread_ts: str | None = None,
        customer_id: int | None = None,
        earlier: str | None = None,
        paths: list[str] | None = None,
        thread_customer: int | None = None,
        show_record: bool = True,
    ) -> Answer:
        """``customer_id``: the customer the asker chose (a click on "which one?"); ``thread_customer``: the
        customer of the thread it was asked in (a follow-up that names nobody is about them); ``earlier``: the
        thread's previous question, which gives a short follow-up its context. ``paths``: the playbooks this
        channel may cite (its configured collections); None = all. ``show_record``: whether this channel shows
        customer records to the asker's role (False: record values are never stated)."""
        question = " ".join(question.split())
        if not question:
            raise AskError("Ask me a question, e.g. `What is the escalation path for a Platinum P1?`")
        truncated = len(question) > MAX_QUESTION_CHARS
        question = question[:MAX_QUESTION_CHARS]
        now = self.s.clock()
        with self.s.sessions() as session, session.begin():
            reading, off_list = question, None
            if customer_id is None and earlier and (line := ordinal(question)) is not None:
                pointed = self._pointed(session, question, line, earlier, asker, now)
                if isinstance(pointed, int):
                    off_list = pointed
                elif pointed is not None:
                    thread_customer, reading = pointed
                    latest = questions_of(earlier)[-1]
                    if only_points(question) and model_for(self._embedder()).across_the_book(latest):
                        # "the first one?" right after the list: that line's customer (read with the list's own
                        # question it would ask the list again); after "when does the first one renew?", "and the
                        # second one?" still asks when
                        picked = session.get(Customer, thread_customer)
                        reading = f"tell me about {picked.name}" if picked is not None else reading
            u = understand(session, self.s.policies, self._embedder(), reading, customer_id, thread_customer, earlier)
            card = build_card(session, self.s.policies, u.customer_id, asker, now) if u.customer_id else None
            query = _search_text(reading, u.mention)
            if earlier and len(query.split()) < FOLLOW_UP_WORDS:
                query = f"{_search_text(earlier, u.mention)} {query}"
            if u.asked.howto:
                catalog = model_for(self._embedder()).catalog
                query = _with_topic_terms(_with_requests_named(query, u, catalog), catalog)
            if off_list is not None:
                said = direct.no_such_line(off_list)
                answer = Answer(question, asker, said, [], 0.0, True, truncated=truncated, source=CLARIFY)
                card = None
            else:
                answer = self._respond(session, u, reading, asker, card, truncated, query, paths, show_record)
                answer.question = question
            answer.citations = self._dated(answer.citations, now)
            # an answer names groups, it never pages one (the hand-off and approvals mention them where they act)
            handles = self.s.policies.group_handles
            answer.text = mrkdwn.named_groups(answer.text, handles)
            if answer.owner and mrkdwn.GROUP_ID.fullmatch(answer.owner):
                answer.owner_handle = handles.get(answer.owner, answer.owner)
            row = QuestionLog(
                asker=asker,
                channel=channel,
                thread_ts=thread_ts,
                question=question,
                customer_id=card.customer_id if card else None,
                answered=answer.answered,
                confidence=answer.confidence,
                top_path=answer.citations[0].path if answer.citations else None,
                owner=answer.owner,
                priority=u.slots.priority or None,
                created_at=now,
            )
            session.add(row)
            session.flush()
            answer.question_id = row.id
            session.add(
                QuestionAnswer(
                    question_id=row.id,
                    answer_text=answer.text[:4000],
                    cited=[passage_key(c.path, c.heading_path) for c in answer.citations],
                )
            )
            record(
                session,
                asker,
                "ask.answered" if answer.answered else "ask.unanswered",
                "question",
                row.id,
                {
                    "channel": channel,
                    "citations": [c.path for c in answer.citations],
                    "confidence": round(answer.confidence, 3),
                },
            )
            if answer.customer is not None:
                record_view(session, asker, answer.customer, via="ask")
        return answer

    def _book(self, question: str, asker: str, today: dt.date, slots: Slots) -> BookQuery | None:
        staff = staff_names(self.s.policies)
        return read_book(question, asker, today, slots.tiers, slots.regions, slots.priority, staff, slots.place)

    def _followed(
        self, session: Session, earlier: str, question: str, asker: str, now: dt.datetime, last: BookQuery
    ) -> BookQuery | None:
        """The thread's list (its chain of questions, one per line, each changing the one before) with what
        ``question`` (read as ``last``) changes; None when the list the chain began with is not one Ask gives."""
        book = self._thread_list(session, questions_of(earlier), asker, now)
        return self._narrowed(session, book, last, question, now) if book is not None else None

    def _narrowed(
        self, session: Session, book: BookQuery, later: BookQuery, question: str, now: dt.datetime
    ) -> BookQuery:
        """``book`` with what the follow-up changes; "which of them ..." after a ranking cut to a number ("top 3 gold
        customers by ARR") is about the lines shown, not the whole ranked list."""
        step = followed(book, later, question, now.date())
        if book.top and of_the_list(question):
            shown = answer_book(session, self.s.policies, book, now).customers
            step = replace(step, among=shown, top=0)
        return step

    def _thread_list(self, session: Session, chain: list[str], asker: str, now: dt.datetime) -> BookQuery | None:
        """The list a thread's chain of questions gives: its first question's, changed in turn by each later one
        that changes a list ("only the gold ones?"; not "who approves a 20% discount?", nor "when does the second
        one renew?", which ask about something else)."""
        names = tier_names(self.s.policies), region_names(self.s.policies)
        first, *rest = chain
        today = now.date()
        book = self._book(first, asker, today, read_slots(first, *names))
        for later in rest:
            slots = read_slots(later, *names)
            if book is None or not refines(later, slots.tiers, slots.regions, slots.priority):
                continue
            step = self._book(later, asker, today, slots)
            if step is None:
                return None
            book = self._narrowed(session, book, step, later, now)
        return book

    def _pointed(
        self, session: Session, question: str, line: int, earlier: str, asker: str, now: dt.datetime
    ) -> tuple[int, str] | int | None:
        """A follow-up pointing at ``line`` of the thread's list ("when does the second one renew?"): that line's
        customer and the question with them named, to be read as if it named them (not the thread's latest
        customer); how many lines the list shows when it has no such line (said so, never guessed); None when the
        thread began with no list."""
        shown = self._listed_in_thread(session, earlier, asker, now)
        if shown is None:
            return None
        index = line - 1 if line > 0 else line
        picked = session.get(Customer, shown[index]) if -len(shown) <= index < len(shown) else None
        return (picked.id, point_at(question, picked.name)) if picked is not None else len(shown)

    def _listed_in_thread(self, session: Session, earlier: str, asker: str, now: dt.datetime) -> tuple[int, ...] | None:
        """The customers of the lines the thread's list shows (the list its chain of questions gave, as it stands
        now); None when the chain began with no list."""
        chain = questions_of(earlier)
        model = model_for(self._embedder())
        # the list begins at the chain's first question about many customers ("what do I need to do today?" then
        # "which of my tickets are breaching?": the tickets' list)
        start = next((i for i, q in enumerate(chain) if model.across_the_book(q)), None)
        if start is None:
            return None
        book = self._thread_list(session, chain[start:], asker, now)
        if book is not None and restricted(self.s.policies, asker, book):
            return None  # a ranking the asker was refused: "the first one" would tell who ranks first
        return answer_book(session, self.s.policies, book, now).customers if book is not None else None

    def _embedder(self) -> Any:
        """The index's embedding model (loaded once with the index), which also reads what questions ask; None
        for an index without one (patterns alone then read the question)."""
        try:
            return getattr(self.s.index, "embedder", None)
        except Exception:  # the index cannot be opened (Chroma down): patterns read the question; search says so
            log.warning("playbook index unavailable; the question is read by patterns alone", exc_info=True)
            return None

    def _respond(
        self,
        session: Session,
        u: Understanding,
        question: str,
        asker: str,
        card: CustomerCard | None,
        truncated: bool,
        query: str,
        paths: list[str] | None,
        show_record: bool,
    ) -> Answer:
        """The direct answer when the question asks the record or a policy, else the playbooks' answer."""
        policies = self.s.policies
        if said := action_reply(question):  # a request to act ("remind me to call X"): said where it is done
            return Answer(question, asker, said, [], 0.0, True, truncated=truncated, source=CLARIFY)
        if EMPTY_SPAN.search(question):
            return Answer(question, asker, direct.EMPTY_WINDOW, [], 0.0, True, truncated=truncated, source=CLARIFY)
        if u.slots.other_tier and not u.slots.tiers:  # never read as every tier's answer
            said = direct.no_such_tier(u.slots.other_tier, tier_names(policies))
            return Answer(question, asker, said, [], 0.0, True, truncated=truncated, source=CLARIFY)
        if u.choices and (u.several_named or not u.asked.howto):
            said = direct.which_one(u.choices, u.several_named)
            return Answer(question, asker, said, [], 0.0, True, choices=u.choices, truncated=truncated, source=CLARIFY)
        if u.unknown_ticket:
            said = direct.no_ticket(u.unknown_ticket)
            return Answer(question, asker, said, [], 0.0, True, truncated=truncated, source=CLARIFY)
        if per_agent(question) and not u.customer_id:  # no assignee on record: never another list in its place
            return Answer(question, asker, PER_AGENT, [], 0.0, True, truncated=truncated, source=CLARIFY)
        if u.across_the_book:
            if negative_bound(question):  # refused, not read as the whole list
                said = direct.NEGATIVE_BOUND
                return Answer(question, asker, said, [], 0.0, True, truncated=truncated, source=CLARIFY)
            today = self.s.clock().date()
            book = self._book(question, asker, today, u.slots)
            if book is not None and book.negated:  # never the list of the very customers it excludes
                return Answer(question, asker, direct.NEGATED_LIST, [], 0.0, True, truncated=truncated, source=CLARIFY)
            if book is not None and u.book_earlier:  # a follow-up: the thread's list, with what it changes
                book = self._followed(session, u.book_earlier, question, asker, self.s.clock(), book)
            elif book is not None and unfiltered(question, book, staff_names(policies)):
                book = None  # a filter the list does not have: never every customer
            if book is None:  # a field some roles may not see, or one each record must work out
                said = direct.ACROSS_THE_BOOK
                return Answer(question, asker, said, [], 0.0, True, truncated=truncated, source=CLARIFY)
            if hidden := restricted(policies, asker, book):  # the order or the bound alone would tell the values
                said = direct.restricted_ranking(policies, hidden)
                return Answer(question, asker, said, [], 0.0, True, truncated=truncated, source=CLARIFY)
            listed = answer_book(session, policies, book, self.s.clock()).text
            # a ranking states each line's value, which only some roles see: to the asker alone in a channel
            private = bool(book.rank or book.bound or book.overdue or book.at_risk)
            return Answer(question, asker, listed, [], 1.0, True, truncated=truncated, source=RECORD, sensitive=private)
        if u.needs_customer:
            said = direct.not_found(u.unknown_name) if u.unknown_name else direct.WHICH_CUSTOMER
            return Answer(question, asker, said, [], 0.0, True, truncated=truncated, source=CLARIFY)
        fields = [i for i in u.asked.intents if i.kind == "field"]
        if card is not None and not show_record and (fields or u.asked.first("card")):
            text = direct.not_here(card)
            return Answer(question, asker, text, [], 0.0, True, truncated=truncated, source=CLARIFY)
        if card is not None and fields:
            facts = direct.record_facts(
                card,
                fields,
                policies,
                self.s.clock(),
                u.slots.moment,
                session,
                u.slots.tiers,
                u.slots.priority,
                u.ticket,
                share_of(question),
                named_window(question, self.s.clock()),
                question,
            )
            recorded = Answer(
                question,
                asker,
                "\n".join(facts.sentences),
                [],
                1.0,
                True,
                owner=card.owner,
                customer=card if show_record else None,
                truncated=truncated,
                source=RECORD,
                sensitive=facts.sensitive,
            )
            if u.asked.first("policy") is None:
                return recorded
            # a record field and a policy in one question ("when do they renew, and can I give them 15%?"): the
            # record's sentences, then the computed route or target; the playbooks' prose adds nothing to a fact
            ruled = self._policy(session, u, question, asker, card, truncated, query, paths)
            if ruled.source not in (POLICY, CLARIFY):  # (CLARIFY: an invalid value, said back)
                return recorded
            ruled.text = f"{recorded.text}\n{ruled.text}"
            ruled.sensitive = ruled.sensitive or recorded.sensitive
            return ruled
        if card is not None and u.asked.first("card"):
            return self._about(question, asker, card, 1.0, truncated)
        stand_in = model_for(self._embedder()).catalog.stand_in
        if card is not None and u.asked.howto and (kind := kind_asked(mask(question, u.mention, stand_in), stand_in)):
            # "is X a reference customer?": no field says, and the playbooks' sentences about references would not
            said = direct.unrecorded_kind(card, kind, policies)
            customer = card if show_record else None
            return Answer(question, asker, said, [], 0.0, True, customer=customer, truncated=truncated, source=CLARIFY)
        return self._policy(session, u, question, asker, card, truncated, query, paths)

    def _policy(
        self,
        session: Session,
        u: Understanding,
        question: str,
        asker: str,
        card: CustomerCard | None,
        truncated: bool,
        query: str,
        paths: list[str] | None,
    ) -> Answer:
        """The approval route or the computed policy finding asked for, else the playbooks' answer."""
        approval = u.asked.first("policy")
        unrouted = ""  # why a policy question gets the playbooks' answer instead of a computed one
        if approval is not None and approval.request_type:
            routed = self._route(session, u, approval.request_type, question, asker, card, truncated, paths)
            if isinstance(routed, Answer):
                return routed
            unrouted = routed or ""
        elif (
            approval is not None
            and approval.compute
            and not self.s.policies.configured
            and needs_policies(approval.compute)
        ):
            unrouted = direct.not_configured(approval.compute)
        answer = self._compose(session, u, question, asker, card, truncated, query, paths)
        answer.choices = u.choices
        if unrouted and answer.answered:
            answer.text = f"{answer.text}\n\n_{unrouted}_"
        return answer

    def _about(self, question: str, asker: str, card: CustomerCard, confidence: float, truncated: bool) -> Answer:
        """ "Tell me about X": the customer's record is the answer."""
        text = f"Here is what I have on {direct.name_of(card)}."
        return Answer(
            question,
            asker,
            text,
            [],
            confidence,
            True,
            owner=card.owner,
            customer=card,
            truncated=truncated,
            source=RECORD,
        )

    def _route(
        self,
        session: Session,
        u: Understanding,
        rtype: str,
        question: str,
        asker: str,
        card: CustomerCard | None,
        truncated: bool,
        paths: list[str] | None,
    ) -> Answer | str | None:
        """An approval question: the route for this customer and request (a question asking who approves with no
        customer named: every rule and what decides between them), cited, with the prefilled button. None: no
        customer, value or route asked for ("does last year's discount carry over?"): the playbooks answer. A
        string: a handbook without approval policies, the note to add to the playbooks' answer."""
        policies = self.s.policies
        given = u.slots.percent or u.slots.amount or u.slots.tier or u.slots.region or u.slots.problems
        if card is None and not given and not asks_route(question):
            return None
        said = direct.route(policies, rtype, card, u.slots)
        if not said.configured:
            return said.text
        if said.invalid or said.route is None:
            return Answer(question, asker, said.text, [], 0.0, True, customer=card, truncated=truncated, source=CLARIFY)
        # the amount the route was computed with: the one said, or the share of the deal said ("12% on $120k")
        computed = said.route.amount if u.slots.amount is None and said.route.amount is not None else None
        bound = bool(u.slots.above)  # "over $5,000" is no amount to file: the form asks for the real one
        prefill = direct.ApprovalPrefill(
            rtype,
            card.customer_id if card else None,
            # "a 10% credit on a $5k invoice" is filed as $500
            u.slots.percent_text if direct.routed_by_percent(policies, rtype) and not bound else "",
            "" if bound else format_money(computed) if computed is not None else u.slots.amount_text,
        )
        passages, note = self._cited(session, said.route.citation_query, "approv", paths, question)
        lead = list(said.route.sentences)
        answer = self._lead(question, asker, card, truncated, lead, passages, prefill=prefill, note=note)
        answer.sensitive = said.route.sensitive  # valued on their ARR: to the asker alone in a channel
        return answer

    def _cited(
        self, session: Session, citation_query: str, title: str, paths: list[str] | None, question: str
    ) -> tuple[list[Passage], str]:
        """The playbook section that states a computed rule first, then what the question itself finds; and, when
        the playbooks cannot be searched, the note saying so (the computed answer still stands)."""
        try:
            cited = self._rule(session, citation_query, title, paths)
            rest = self.s.index.search(question, k=4, paths=paths).passages
        except Exception:
            return [], _unsearched()
        keys = {(p.path, p.heading_path) for p in cited[:1]}
        return cited[:1] + [p for p in rerank(session, question, rest) if (p.path, p.heading_path) not in keys], ""

    def _rule(self, session: Session, citation_query: str, title: str, paths: list[str] | None) -> list[Passage]:
        """The section stating a computed rule: searched in the playbooks whose title or path has ``title``; none
        for a finding that states no rule (a tier no policy knows)."""
        if not citation_query.strip():
            return []
        docs = [
            d.path
            for d in self.s.index.documents()
            if title in d.title.lower() + " " + d.path.lower() and (paths is None or d.path in paths)
        ]
        found = self.s.index.search(citation_query, k=1, paths=docs or (paths if paths is not None else None))
        return rerank(session, citation_query, found.passages)  # a hidden passage is not cited either

    def _section(self, session: Session, finding: PolicyFinding, paths: list[str] | None) -> Passage | None:
        """The playbook section that states a further computed finding (its own citation)."""
        try:
            cited = self._rule(session, finding.citation_query, finding.citation_title or "escalation", paths)
        except Exception:
            log.warning("no playbook passage to cite for a computed finding", exc_info=True)
            return None  # the first finding's search said so already, or this one is simply uncited
        return cited[0] if cited else None

    def _lead(
        self,
        question: str,
        asker: str,
        card: CustomerCard | None,
        truncated: bool,
        lead: list[str],
        passages: list[Passage],
        finding: PolicyFinding | None = None,
        prefill: direct.ApprovalPrefill | None = None,
        more: list[Passage] | None = None,
        note: str = "",
    ) -> Answer:
        """A computed answer: its sentences first, the first passage (the rule's section) cited on them, then at
        most two supporting sentences the writer picks from the passages (not from another tier's own section:
        "Business reviews twice a year" under *Gold* would contradict a silver customer's answer)."""
        tiers = [card.tier] if card else []
        tier = card.tier if card else (finding.tier if finding else "")
        passages = passages[:1] + self._for_tiers(passages[1:], [tier] if tier else [])
        if passages:
            draft = self.writer.write(question, passages, lead=lead, tiers=tiers)
            text, citations = direct.cite_lead(
                draft.text, draft.citations, lead, passages[0], self._base, more=more or ()
            )
        else:
            text, citations = "\n".join(lead), []
        if note:
            text = f"{text}\n\n{note}"
        return Answer(
            question,
            asker,
            text,
            citations,
            0.9,
            True,
            owner=citations[0].owner if citations else (card.owner if card else None),
            customer=card,
            finding=finding,
            truncated=truncated,
            source=POLICY,
            approval=prefill,
        )

    def _for_tiers(self, passages: list[Passage], asked: Sequence[str]) -> list[Passage]:
        """The passages without another tier's own section ("Business reviews twice a year" under *Gold* would
        contradict a silver customer's answer); all of them when no tier is asked about."""
        if not asked:
            return passages
        others = {t.lower() for t in self.s.policies.tier_names} - {t.lower() for t in asked}
        return [p for p in passages if _section_name(p) not in others]

    @property
    def _base(self) -> str | None:
        return self.s.settings.playbook_base_url

    def _dated(self, citations: list[Citation], now: dt.datetime) -> list[Citation]:
        """Each source's age and whether it is past its ``review_by``: readers weigh a two-year-old passage
        differently. The age is from ``updated``: the front matter's updated/reviewed date, else the file's last
        git commit (filled by retrieval); unknown otherwise, never the file's mtime (a fresh clone is "today")."""
        if not citations:
            return citations
        now = now if now.tzinfo else now.replace(tzinfo=dt.UTC)
        try:
            docs = {d.path: d for d in self.s.index.documents()}
        except Exception:
            log.warning("playbook metadata unavailable; citations shown without review dates", exc_info=True)
            docs = {}
        out = []
        for c in citations:
            doc = docs.get(c.path)
            day = c.updated or (doc.updated if doc else "")
            updated = dt.datetime.fromisoformat(day[:10]).replace(tzinfo=dt.UTC) if ISO_DATE.match(day) else None
            review = c.review_by or (str(doc.review_by or "") if doc else "")
            out.append(
                replace(
                    c,
                    updated=day,
                    updated_days=max(0, (now - updated).days) if updated else None,
                    review_by=review,
                    stale=bool(ISO_DATE.match(review)) and review[:10] < now.date().isoformat(),
                )
            )
        return out

    def _compose(
        self,
        session: Session,
        u: Understanding,
        question: str,
        asker: str,
        card: CustomerCard | None,
        truncated: bool,
        query: str,
        paths: list[str] | None = None,
    ) -> Answer:
        tiers = [card.tier] if card else None
        regions = [str(card.fields["region"])] if card and card.fields.get("region") else None
        findings = policy_findings(self.s, session, u, card, question, asker)
        if findings:
            first, *others = findings
            title = first.citation_title or "escalation"
            passages, note = self._cited(session, first.citation_query, title, paths, query or question)
            if not any(f.supported for f in findings):
                # the rule's section, cited (none for a finding that states no rule); nothing the question's own
                # search finds
                passages = passages[:1] if first.citation_query else []
            sections = [self._section(session, f, paths) for f in others] if passages else []
            # the escalation finding is the one the answer's hand-off (escalate button) acts on
            finding = next((f for f in findings if f.channel), first)
            lead = [f.summary for f in findings]
            computed = self._lead(
                question,
                asker,
                card,
                truncated,
                lead,
                passages,
                finding=finding,
                more=[p for p in sections if p],
                note=note,
            )
            computed.sensitive = any(f.sensitive for f in findings)
            return computed
        # A policy asked with nothing to compute is searched with its rule's words too (intents.yaml ``search``).
        if extra := " ".join(i.search for i in u.asked.intents if i.search):
            query = f"{query or question} {extra}"
        # The customer's name says nothing about policy: search without it. A playbook named as a whole ("what's
        # the discount policy?") is searched alone, its opening first: it says what the document is for.
        try:
            # (the documents are read only for a question of that form: not on every question's path)
            whole = named_document(question, self.s.index.documents(), paths) if asks_whole(question) else None
            within = [whole.path] if whole else paths
            result = self.s.index.search(
                query or question, k=WHOLE_K if whole else 5, paths=within, tiers=tiers, regions=regions
            )
        except Exception as exc:
            raise RetrievalUnavailable(str(exc)[:200]) from exc
        # Votes from similar questions re-order what retrieval found (bounded; retrieval stays vote-free), then
        # maintainers' boosts/demotions/hides apply, so a hidden passage is never cited.
        passages = rerank(session, query or question, result.passages)
        if whole is not None:
            passages = sorted(passages, key=lambda p: " > " in p.heading_path)[:5]
        if not result.answerable and whole is None:
            # "Can I share our roadmap with X?": the playbooks don't say, and the card does not answer it either;
            # the decline names the playbook owner and X's owner, and the card comes with it
            owner: str | None = passages[0].owner if passages and passages[0].owner else PLAYBOOK_OWNERS
            return Answer(
                question,
                asker,
                "",
                cite(passages[:2], self._base),
                result.confidence,
                False,
                owner=owner,
                customer=card,
                truncated=truncated,
            )
        # the customer's tier (or the tiers the question names) picks a table's row, and another tier's own section
        # ("how often do we check in with a silver customer?" is not answered under *Gold*) is left out
        asked = [card.tier] if card else list(u.slots.tiers)
        draft = self.writer.write(question, self._for_tiers(passages, asked) or passages, tiers=asked)
        if draft.declined:  # the writer found nothing to say (an LLM's "I don't know"): decline, name the owner
            return Answer(
                question,
                asker,
                "",
                draft.citations,
                result.confidence,
                False,
                owner=passages[0].owner if passages and passages[0].owner else PLAYBOOK_OWNERS,
                customer=card,
                truncated=truncated,
            )
        return Answer(
            question,
            asker,
            draft.text + self._outline(question, draft.citations, whole is not None),
            draft.citations,
            result.confidence,
            True,
            owner=draft.citations[0].owner if draft.citations else None,
            customer=card,
            truncated=truncated,
        )

    def _outline(self, question: str, citations: Sequence[Citation], whole: bool = False) -> str:
        """Steps asked of a whole procedure ("how do I onboard a new gold customer?"), or a document asked about as
        a whole (``whole``), answered from its opening words, which say what it is, not what to do: the parts it
        goes through, in order, to ask about one."""
        if not citations or " > " in citations[0].heading_path or not (whole or analyse(question).steps):
            return ""
        first = citations[0]
        parts = self.s.index.sections(first.path, first.heading_path)
        if len(parts) < OUTLINE_PARTS:
            return ""
        listed = " · ".join(mrkdwn.escape(p) for p in parts)
        then = "Ask me about any part." if whole else "Ask about a part for its steps."  # a policy has no steps
        return f"\n{mrkdwn.bold(first.title)} in order: {listed}. {then}"


# Findings computed for one customer from the alert rules: whether their renewal is at risk, how they use the
# product, why they alert.
def _section_name(passage: Passage) -> str:
    """The passage's own heading, lower-cased: "gold" for "Tiers > What each tier is promised > Gold"."""
    return passage.heading_path.rsplit(" > ", 1)[-1].strip().lower()


def _unsearched() -> str:
    """The line under a computed answer when the playbooks cannot be searched for its citation: said, with a
    reference id that is in the log with the traceback, never silently uncited."""
    ref = new_reference()
    log.warning("playbook search unavailable; a computed answer goes out uncited (reference %s)", ref, exc_info=True)
    said = "I can't search the playbooks right now, so this comes without its playbook citation"
    return f":warning: {said} (reference `{ref}`)."


OUTLINE_PARTS = 3  # a document's sections worth listing as its outline
WHOLE_K = 20  # a playbook asked about as a whole: enough of its sections to hold its opening
_POSSESSIVE = re.compile(r"['’]s\b(?=\W*$)")  # "Acme Corp's": the name without its possessive
SEARCH_STAND_IN = "a customer"  # what the search reads where the question named the customer


def _search_text(question: str, mention: str) -> str:
    """The question with "a customer" where it named the customer: no playbook holds the name, but the sentence
    keeps its subject ("Acme is unhappy with the release, what can I offer them?" searches as "a customer is
    unhappy ..."; without a subject the search drifted off service recovery and declined). Where the words are
    not found as typed (a name matched on folded text), they are dropped."""
    if not mention:
        return question
    if (masked := mask(question, mention, SEARCH_STAND_IN)) != question:
        return masked
    drop = set(mention.split())
    kept = [w for w in question.split() if fold(_POSSESSIVE.sub("", w)) not in drop]
    return " ".join(kept) or question


def _with_requests_named(query: str, u: Understanding, catalog: Catalog) -> str:
    """A how-to that names an approval request type by other words than its name ("how do I upgrade a customer to
    platinum?") searches with the name too: the playbooks file the procedure under it ("Overrides"), not under the
    asker's verb. Where the question says the name ("where do I log a service credit?") it adds nothing, and would
    pull the request's route over what was asked."""
    named = {catalog[n].request_type for r in u.asked.readings for n in r.patterns}
    labels = [LABELS[t] for t in sorted(t for t in named if t in LABELS)]
    low = query.lower()
    return " ".join([query, *(label for label in labels if label.split(" (")[0] not in low)])


def _with_topic_terms(query: str, catalog: Catalog) -> str:
    """A how-to that tells its topic in other words than the playbooks' ("X hasn't replied in weeks") searches with
    their term for it too ("gone quiet", intents.yaml ``topics``): its own words are nearer another section (the
    frequency caps)."""
    low = query.lower()
    terms = [t for i in catalog.intents.values() for p, t in i.terms if p.search(query) and t.lower() not in low]
    return " ".join([query, *terms])


def customer_by_name(session: Session, text: str) -> list[Customer]:
    linked = link_customers(session, text)
    ids = [r.id for r in linked.customers] or [r.id for r in (linked.ambiguous[0] if linked.ambiguous else [])]
    return [c for c in (session.get(Customer, i) for i in ids) if c is not None]


THREAD_CHAIN = 3  # earlier questions a follow-up may read back through


@dataclass(frozen=True)
class ThreadContext:
    customer_id: int | None  # the customer of the thread's latest answer
    question: str  # the thread's latest question, after the ones before it that it follows up on (one per line)


def thread_context(session: Session, channel: str, thread_ts: str) -> ThreadContext | None:
    """What Rapport last answered in this thread, if anything (the thread is Rapport's to follow). A latest
    question that was itself a short follow-up is read with the ones before it, back to one that says more:
    after "can I give Acme 15%?" and "what about 25%?", "and 40%?" is still a discount (was: read with "what
    about 25%?" alone, which asks nothing)."""
    from sqlalchemy import select

    rows = session.scalars(
        select(QuestionLog)
        .where(QuestionLog.channel == channel, QuestionLog.thread_ts == thread_ts)
        .order_by(QuestionLog.id.desc())
        .limit(2 * THREAD_CHAIN)
    ).all()
    if not rows:
        return None
    chain = [rows[0].question]
    for row in rows[1:]:
        # a question about one line of a list ("when does the second one renew?") leans on the list before it and
        # does not count against the chain's length, so the list stays in reach
        if len(chain[0].split()) >= FOLLOW_UP_WORDS or sum(ordinal(q) is None for q in chain) >= THREAD_CHAIN:
            break
        chain.insert(0, row.question)
    return ThreadContext(rows[0].customer_id, chained(chain))
