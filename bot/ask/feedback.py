"""Feedback that changes ranking: votes per (normalised question, passage), applied after retrieval.

Retrieval knows nothing of votes; the ask service re-orders what retrieval returned with a bounded
adjustment, so a few thumbs cannot bury a passage the index strongly prefers, but a consistent signal for
the same kind of question does move it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.ask.compose import content_words
from bot.ask.models import PassageFeedback, QuestionAnswer, QuestionLog
from bot.governance.audit import record

MAX_ADJUST = 0.25  # of the top passage's score: the most votes can move a passage
SIMILAR = 0.5  # Jaccard overlap of question words for a vote to count
MAX_ROWS = 2000  # votes read per question (newest first): bounds the cost on a busy deployment


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
