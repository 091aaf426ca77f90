"""What playbook maintainers need to hear: stale documents, unanswered questions, unhelpful answers."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from bot.ask.models import Feedback, QuestionLog
from bot.services import Services


@dataclass
class OwnerReport:
    owner: str
    stale: list[tuple[str, str]] = field(default_factory=list)  # (path, review_by)
    unanswered: list[str] = field(default_factory=list)
    unhelpful: list[tuple[str, str]] = field(default_factory=list)  # (question, cited path)


def maintainer_report(services: Services, since: dt.datetime, today: dt.date | None = None) -> list[OwnerReport]:
    today = today or services.clock().date()
    reports: dict[str, OwnerReport] = defaultdict(lambda: OwnerReport(""))
    docs = services.index.documents()
    owner_of = {d.path: d.owner for d in docs}
    for d in docs:
        if d.review_by and d.review_by < today.isoformat():
            reports[d.owner or "unowned"].stale.append((d.path, d.review_by))
    with services.sessions() as session:
        for q in session.scalars(
            select(QuestionLog)
            .where(QuestionLog.answered.is_(False), QuestionLog.created_at >= since)
            .order_by(QuestionLog.created_at)
        ):
            reports[q.owner or "unowned"].unanswered.append(q.question)
        rows = session.execute(
            select(QuestionLog.question, QuestionLog.top_path)
            .join(Feedback, Feedback.question_id == QuestionLog.id)
            .where(Feedback.helpful.is_(False), Feedback.created_at >= since)
        ).all()
        for question, path in rows:
            reports[owner_of.get(path or "", "unowned") or "unowned"].unhelpful.append((question, path or ""))
    out = []
    for owner, rep in sorted(reports.items()):
        rep.owner = owner
        out.append(rep)
    return out
