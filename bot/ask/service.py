"""Ask: link the customer, retrieve playbook passages for their tier/region, apply executable policy,
compose a cited answer, log it, audit it. Returns plain data; the Slack adapter renders it."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field, replace

from sqlalchemy.orm import Session

from bot.ask.compose import AnswerWriter, Citation, ExtractiveWriter, LangChainWriter, cite
from bot.ask.feedback import passage_key, rerank
from bot.ask.models import QuestionAnswer, QuestionLog
from bot.ask.policy import (
    PRIORITY,
    PolicyFinding,
    escalation_finding,
    is_policy_question,
    sla_finding,
    tier_in_question,
)
from bot.customers.card import CustomerCard, build_card, record_view
from bot.customers.linking import CustomerRef, link_customers
from bot.customers.normalize import fold
from bot.failures import Unavailable
from bot.governance.audit import record
from bot.services import Services
from bot.store.models import Customer

log = logging.getLogger(__name__)
MAX_QUESTION_CHARS = 2000
PLAYBOOK_OWNERS = "S0PLAYBOOKS"
FOLLOW_UP_WORDS = 8  # a follow-up shorter than this is read together with the thread's earlier question
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
    question_id: int | None = None
    customer: CustomerCard | None = None
    choices: list[CustomerRef] = field(default_factory=list)  # ambiguous customer: ask which
    finding: PolicyFinding | None = None
    truncated: bool = False
    card_inline: bool = True  # the card is shown in the answer itself (False: sent to the asker privately)

    @property
    def private_card(self) -> bool:
        """Cards showing sensitive fields go ephemeral in shared channels."""
        return bool(self.customer and self.customer.has_sensitive)


def make_writer(services: Services) -> AnswerWriter:
    base = services.settings.playbook_base_url
    if services.settings.rapport_llm:
        return LangChainWriter(services.settings.rapport_llm, base)
    return ExtractiveWriter(base)


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
    ) -> Answer:
        """``earlier``: the thread's previous question, which gives a short follow-up its context.
        ``paths``: the playbooks this channel may cite (its configured collections); None = all."""
        question = " ".join(question.split())
        if not question:
            raise AskError("Ask me a question, e.g. `What is the escalation path for a Platinum P1?`")
        truncated = len(question) > MAX_QUESTION_CHARS
        question = question[:MAX_QUESTION_CHARS]
        now = self.s.clock()
        with self.s.sessions() as session, session.begin():
            card, choices, mention = self._customer(session, question, asker, customer_id, now)
            query = _without(question, mention)
            if earlier and len(query.split()) < FOLLOW_UP_WORDS:
                query = f"{_without(earlier, mention)} {query}"
            answer = self._compose(session, question, asker, card, truncated, query, paths)
            answer.choices = choices
            answer.citations = self._dated(answer.citations, now)
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
            if card:
                record_view(session, asker, card, via="ask")
        return answer

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

    def _customer(
        self, session: Session, question: str, asker: str, customer_id: int | None, now: object
    ) -> tuple[CustomerCard | None, list[CustomerRef], str]:
        mention = ""
        if customer_id is None:
            linked = link_customers(session, question)
            if linked.primary:
                customer_id, mention = linked.primary.id, linked.primary.matched_text
            elif linked.ambiguous:
                return None, linked.ambiguous[0], linked.ambiguous[0][0].matched_text
        if customer_id is None or session.get(Customer, customer_id) is None:
            return None, [], ""  # none named, or erased since the thread began: answer without a customer
        return build_card(session, self.s.policies, customer_id, asker, self.s.clock()), [], mention

    def _compose(
        self,
        session: Session,
        question: str,
        asker: str,
        card: CustomerCard | None,
        truncated: bool,
        query: str,
        paths: list[str] | None = None,
    ) -> Answer:
        tiers = [card.tier] if card else None
        regions = [str(card.fields["region"])] if card and card.fields.get("region") else None
        # The customer's name says nothing about policy: search without it.
        try:
            result = self.s.index.search(query or question, k=5, tiers=tiers, regions=regions, paths=paths)
        except Exception as exc:
            raise RetrievalUnavailable(str(exc)[:200]) from exc
        finding = None
        if is_policy_question(question):
            try:
                if card:
                    finding = escalation_finding(self.s.policies, card, question)
                else:
                    tier = tier_in_question(self.s.policies, question)
                    prio = PRIORITY.search(question)
                    if tier and prio:
                        finding = sla_finding(self.s.policies, tier, f"P{prio.group(1)}")
            except Exception:
                log.exception("policy evaluation failed; answering from the playbooks alone")
        # Votes from similar questions re-order what retrieval found (bounded; retrieval stays vote-free), then
        # maintainers' boosts/demotions/hides apply, so a hidden passage is never cited.
        passages = rerank(session, query or question, result.passages)
        if finding and finding.citation_query:
            docs = [
                d.path
                for d in self.s.index.documents()
                if finding.citation_title in d.title.lower() and (paths is None or d.path in paths)
            ]
            # A channel limited to some collections keeps that limit here too (docs may then be empty).
            found = self.s.index.search(
                finding.citation_query, k=1, paths=docs if paths is not None else docs or None
            ).passages
            cited = rerank(session, finding.citation_query, found)  # a hidden passage is not cited here either
            if cited:
                key = (cited[0].path, cited[0].heading_path)
                passages = cited + [p for p in passages if (p.path, p.heading_path) != key]
        answered = result.answerable or finding is not None
        if not answered and card is not None:
            # "Tell me about X": the customer's record is the answer; the playbooks have nothing better.
            return Answer(
                question,
                asker,
                f"Here is what I have on *{card.name}*.",
                [],
                result.confidence,
                True,
                owner=card.owner,
                customer=card,
                truncated=truncated,
            )
        if not answered:
            owner: str | None = passages[0].owner if passages and passages[0].owner else PLAYBOOK_OWNERS
            return Answer(
                question,
                asker,
                "",
                cite(passages[:2], self.s.settings.playbook_base_url),
                result.confidence,
                False,
                owner=owner,
                customer=card,
                truncated=truncated,
            )
        draft = self.writer.write(question, passages if not finding else passages[1:] or passages)
        citations = draft.citations
        text = draft.text
        if finding:
            # The policy passage is cited as [1]; renumber the prose citations after it.
            policy_cite = cite(passages[:1], self.s.settings.playbook_base_url)
            shifted = [replace(c, number=c.number + 1) for c in citations]
            for c in sorted(citations, key=lambda c: -c.number):
                text = text.replace(f"[{c.number}]", f"[{c.number + 1}]")
            text = f"{finding.summary} [1]" + (f"\n\n{text}" if text else "")
            citations = policy_cite + shifted
        owner = citations[0].owner if citations else None
        return Answer(
            question,
            asker,
            text,
            citations,
            max(result.confidence, 0.9 if finding else 0.0),
            True,
            owner=owner,
            customer=card,
            finding=finding,
            truncated=truncated,
        )


def _without(question: str, mention: str) -> str:
    """The question minus the words that named the customer (matched on folded text)."""
    if not mention:
        return question
    drop = set(mention.split())
    kept = [w for w in question.split() if fold(w) not in drop]
    return " ".join(kept) or question


def customer_by_name(session: Session, text: str) -> list[Customer]:
    linked = link_customers(session, text)
    ids = [r.id for r in linked.customers] or [r.id for r in (linked.ambiguous[0] if linked.ambiguous else [])]
    return [c for c in (session.get(Customer, i) for i in ids) if c is not None]


def thread_context(session: Session, channel: str, thread_ts: str) -> QuestionLog | None:
    """The latest question Rapport answered in this thread, if any (the thread is Rapport's to follow)."""
    from sqlalchemy import select

    return session.scalars(
        select(QuestionLog)
        .where(QuestionLog.channel == channel, QuestionLog.thread_ts == thread_ts)
        .order_by(QuestionLog.id.desc())
        .limit(1)
    ).first()
