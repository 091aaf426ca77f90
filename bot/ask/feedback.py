"""Feedback that changes ranking: votes per (normalised question, passage), applied after retrieval.

Retrieval knows nothing of votes; the ask service re-orders what retrieval returned with a bounded
adjustment, so a few thumbs cannot bury a passage the index strongly prefers, but a consistent signal for
the same kind of question does move it.

Maintainers' overrides (``rapport feedback boost|demote|hide``) are decisions, not signals: they apply to
every question, at once, and outrank votes. A hidden passage is never cited; boosted passages lead (in
retrieval's order among themselves); demoted ones go last.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.ask.models import Feedback, PassageFeedback, PassageOverride, QuestionAnswer, QuestionLog
from bot.governance.audit import record
from bot.services import Services

MAX_ADJUST = 0.25  # of the top passage's score: the most votes can move a passage
SIMILAR = 0.5  # Jaccard overlap of question words for a vote to count
MAX_ROWS = 2000  # votes read per question (newest first): bounds the cost on a busy deployment
ACTIONS = ("boost", "demote", "hide")
MAX_REASON = 500


# The words a vote is filed under (ask_passage_feedback.qkey). Its own small tokenizer, not retrieval.lexical's:
# the keys of votes already cast were written with it, and a different stemmer would orphan every one of them.
STOPWORDS = frozenset(
    "a an the and or but if of to in on at by for with from as is are was were be been being do does did "
    "what who whom which when where why how can could should would will shall may might must i we you they "
    "it this that these those our your their my me us them there here than then so not no yes any all "
    "about into over under after before again also just only very more most some such own same too".split()
)
_WORD = re.compile(r"[a-z0-9][a-z0-9%$.-]*")


def content_words(text: str) -> set[str]:
    return {_stem(w.strip(".-")) for w in _WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1}


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


class FeedbackError(ValueError):
    """A maintainer command we cannot take; the message says why."""


class Ranked(Protocol):
    @property
    def path(self) -> str: ...

    @property
    def heading_path(self) -> str: ...

    @property
    def score(self) -> float: ...


P = TypeVar("P", bound=Ranked)


def qkey(question: str) -> str:
    return " ".join(sorted(content_words(question)))[:300]


def passage_key(path: str, heading_path: str) -> str:
    return f"{path}#{heading_path}"[:600]


def vote(session: Session, question_id: int, user_id: str, helpful: bool) -> int:
    """Record ``user_id``'s vote on the passage the answer led with (one vote per user, last one wins).

    Only the first citation: the others were supporting context, and voting them down with it would move
    the whole answer down together and change nothing about which passage leads.
    """
    q = session.get(QuestionLog, question_id)
    given = session.get(QuestionAnswer, question_id)
    if q is None or given is None or not given.cited:
        return 0
    key = qkey(q.question)
    for passage in given.cited[:1]:
        row = session.scalars(
            select(PassageFeedback).where(
                PassageFeedback.qkey == key, PassageFeedback.passage == passage, PassageFeedback.user_id == user_id
            )
        ).first()
        if row is None:
            session.add(PassageFeedback(qkey=key, passage=passage, user_id=user_id, helpful=helpful))
        else:
            row.helpful = helpful
    session.flush()
    record(
        session,
        user_id,
        "ask.passage_feedback",
        "question",
        question_id,
        {"helpful": helpful, "passages": given.cited[:1]},
    )
    return 1


def signals(session: Session, question: str) -> dict[str, float]:
    """Net vote per passage from similar questions, each vote weighted by how similar its question was."""
    words = content_words(question)
    if not words:
        return {}
    like = [PassageFeedback.qkey.contains(w) for w in sorted(words)[:12]]
    rows = session.execute(
        select(PassageFeedback.qkey, PassageFeedback.passage, PassageFeedback.helpful)
        .where(or_(*like))
        .order_by(PassageFeedback.id.desc())
        .limit(MAX_ROWS)
    ).all()
    net: dict[str, float] = {}
    for key, passage, helpful in rows:
        other = set(key.split())
        sim = len(words & other) / len(words | other) if other else 0.0
        if sim >= SIMILAR:
            net[passage] = net.get(passage, 0.0) + (sim if helpful else -sim)
    return net


def adjust(passages: Sequence[P], net: dict[str, float]) -> list[P]:
    """Re-order by score plus a bounded boost/penalty; ties keep retrieval's order."""
    if not passages or not net:
        return list(passages)
    top = max(abs(p.score) for p in passages) or 1.0

    def adjusted(item: tuple[int, P]) -> tuple[float, int]:
        i, p = item
        boost = MAX_ADJUST * math.tanh(net.get(passage_key(p.path, p.heading_path), 0.0) / 2)
        return (-(p.score / top + boost), i)

    return [p for _, p in sorted(enumerate(passages), key=adjusted)]


def rerank(session: Session, question: str, passages: Sequence[P]) -> list[P]:
    """Votes from similar questions, then maintainers' overrides: what the ask service cites from."""
    voted = adjust(passages, signals(session, question))
    standing = overrides(session, [passage_key(p.path, p.heading_path) for p in voted])
    if not standing:
        return voted
    group = {"boost": 0, "demote": 2}
    kept = [(i, p) for i, p in enumerate(voted) if standing.get(passage_key(p.path, p.heading_path)) != "hide"]
    kept.sort(key=lambda ip: (group.get(standing.get(passage_key(ip[1].path, ip[1].heading_path), ""), 1), ip[0]))
    return [p for _, p in kept]


def overrides(session: Session, keys: Sequence[str] | None = None) -> dict[str, str]:
    """passage key -> boost | demote | hide; only for ``keys`` when given (one indexed look-up per answer)."""
    query = select(PassageOverride.passage, PassageOverride.action)
    if keys is not None:
        if not keys:
            return {}
        query = query.where(PassageOverride.passage.in_(list(keys)))
    return {passage: action for passage, action in session.execute(query).all()}


def parse_passage(text: str) -> str:
    """``PATH#HEADING`` as typed by a maintainer (heading levels joined with " > ") -> the stored key."""
    path, sep, heading = text.strip().partition("#")
    path = path.strip().lstrip("/")
    if not sep or not path or not heading.strip():
        raise FeedbackError("name the passage as PATH#HEADING, e.g. 'service/sla-response-times.md#SLA > Gold'")
    heading = " > ".join(h.strip() for h in heading.split(">"))
    return passage_key(path, heading)


def set_override(
    session: Session, passage: str, action: str | None, actor: str, reason: str | None = None, now: object = None
) -> str | None:
    """Boost, demote or hide ``passage`` for every question (``action=None`` lifts it); audited.

    Returns the action in force before, so the caller can say what changed.
    """
    if action is not None and action not in ACTIONS:
        raise FeedbackError(f"action is one of: {', '.join(ACTIONS)}")
    row = session.get(PassageOverride, passage)
    before = row.action if row is not None else None
    if action is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        row = PassageOverride(passage=passage, action=action, set_by=actor[:64], reason=(reason or None))
        if now is not None:
            row.set_at = now  # type: ignore[assignment]
        session.add(row)
    else:
        row.action, row.set_by, row.reason = action, actor[:64], reason or None
        if now is not None:
            row.set_at = now  # type: ignore[assignment]
    session.flush()
    record(
        session,
        actor,
        f"ask.passage_{action or 'unset'}",
        "passage",
        passage[:80],
        {"passage": passage, "before": before, "after": action, "reason": reason},
    )
    return before


def record_feedback(session: Session, question_id: int, user_id: str, helpful: bool) -> bool:
    """A thumbs up/down on an answer: the answer's rating (one per user, last one wins), the vote on the
    passage it led with, and an audit event. False when the answer is no longer on record."""
    if session.get(QuestionLog, question_id) is None:
        return False
    existing = session.scalars(
        select(Feedback).where(Feedback.question_id == question_id, Feedback.user_id == user_id)
    ).first()
    if existing is not None:
        existing.helpful = helpful
    else:
        session.add(Feedback(question_id=question_id, user_id=user_id, helpful=helpful))
    record(session, user_id, "ask.feedback", "question", question_id, {"helpful": helpful})
    vote(session, question_id, user_id, helpful)
    return True


def add_reason(session: Session, question_id: int, user_id: str, reason: str) -> bool:
    """The optional "why?" after a thumbs: stored on the user's rating for the maintainers' report."""
    row = session.scalars(
        select(Feedback).where(Feedback.question_id == question_id, Feedback.user_id == user_id)
    ).first()
    if row is None:
        return False
    row.comment = " ".join(reason.split())[:MAX_REASON]
    record(session, user_id, "ask.feedback_reason", "question", question_id, {"chars": len(row.comment)})
    return True


@dataclass(frozen=True)
class Rating:
    """What a thumbs click did: whether the answer was still on record, and what to tell the clicker."""

    on_record: bool
    helpful: bool

    @property
    def message(self) -> str:
        if not self.on_record:
            return "That answer is no longer on record."
        return "Thanks, noted." if self.helpful else "Thanks; the playbook owner will see this."

    @property
    def wants_reason(self) -> bool:
        """A thumbs-down may say why (optional: the vote already counts)."""
        return self.on_record and not self.helpful


def rate(services: Services, question_id: int | None, user_id: str, helpful: bool) -> Rating:
    with services.sessions() as session, session.begin():
        on_record = bool(question_id) and record_feedback(session, question_id or 0, user_id, helpful)
    return Rating(on_record, helpful)


def give_reason(services: Services, question_id: int | None, user_id: str, reason: str) -> bool:
    if not question_id or not reason.strip():
        return False
    with services.sessions() as session, session.begin():
        return add_reason(session, question_id, user_id, reason)
