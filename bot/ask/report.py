"""What playbook maintainers need to hear: stale documents, unanswered questions, unhelpful answers,
and how each passage fares with the people who read it (votes, reasons, standing overrides).

``send_owner_digests`` is the weekly DM to each playbook owner (a leased job in ``bot.ask.jobs``); it sends
each owner at most one digest per ISO week, remembered in the audit trail, so restarts and replicas do not
repeat it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import case, func, select

from bot.ask.models import Feedback, PassageFeedback, PassageOverride, QuestionLog
from bot.governance.audit import record
from bot.notify import Outbound
from bot.services import Services
from bot.store.models import AuditEvent
from retrieval.loader import load_documents
from retrieval.types import DocMeta

log = logging.getLogger(__name__)
DIGEST_ACTION = "ask.owner_digest"
DIGEST_LINES = 15  # per list in one DM: the report command has the rest


@dataclass
class OwnerReport:
    owner: str
    stale: list[tuple[str, str]] = field(default_factory=list)  # (path, review_by)
    unanswered: list[str] = field(default_factory=list)
    unhelpful: list[tuple[str, str]] = field(default_factory=list)  # (question, cited path)
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (question, what the reader said was wrong)


@dataclass
class PassageStat:
    passage: str  # "path#heading path"
    up: int = 0
    down: int = 0
    override: str | None = None  # boost | demote | hide
    override_by: str | None = None


def playbook_documents(services: Services) -> list[DocMeta]:
    """Owners and review dates, read from the playbook files: a scheduled job must not open the index
    (that races the server's own warm-up of it), and the files are what the owners maintain."""
    root = services.settings.playbooks_dir
    return [d.meta for d in load_documents(root)[0]] if root.is_dir() else []


def past_review(doc: DocMeta, today: dt.date) -> bool:
    """The playbook's ``review_by`` (front matter) is before ``today``: stale, for the report and for Ask."""
    return bool(doc.review_by) and doc.review_by < today.isoformat()


def maintainer_report(services: Services, since: dt.datetime, today: dt.date | None = None) -> list[OwnerReport]:
    today = today or services.clock().date()
    reports: dict[str, OwnerReport] = defaultdict(lambda: OwnerReport(""))
    docs = playbook_documents(services)
    owner_of = {d.path: d.owner for d in docs}
    for d in docs:
        if past_review(d, today):
            reports[d.owner or "unowned"].stale.append((d.path, d.review_by))
    with services.sessions() as session:
        for q in session.scalars(
            select(QuestionLog)
            .where(QuestionLog.answered.is_(False), QuestionLog.created_at >= since)
            .order_by(QuestionLog.created_at)
        ):
            reports[q.owner or "unowned"].unanswered.append(q.question)
        rows = session.execute(
            select(QuestionLog.question, QuestionLog.top_path, Feedback.comment)
            .join(Feedback, Feedback.question_id == QuestionLog.id)
            .where(Feedback.helpful.is_(False), Feedback.created_at >= since)
            .order_by(Feedback.id)
        ).all()
        for question, path, comment in rows:
            rep = reports[owner_of.get(path or "", "unowned") or "unowned"]
            rep.unhelpful.append((question, path or ""))
            if comment:
                rep.reasons.append((question, comment))
    out = []
    for owner, rep in sorted(reports.items()):
        rep.owner = owner
        out.append(rep)
    return out


def passage_report(services: Services, since: dt.datetime | None = None) -> list[PassageStat]:
    """Votes per passage (most down-voted first) and every standing override, voted on or not."""
    stats: dict[str, PassageStat] = {}
    with services.sessions() as session:
        query = select(
            PassageFeedback.passage,
            func.sum(case((PassageFeedback.helpful, 1), else_=0)),
            func.count(),
        ).group_by(PassageFeedback.passage)
        if since is not None:
            query = query.where(PassageFeedback.created_at >= since)
        for passage, up, total in session.execute(query).all():
            stats[passage] = PassageStat(passage, up=int(up or 0), down=int(total) - int(up or 0))
        for o in session.scalars(select(PassageOverride)):
            stat = stats.setdefault(o.passage, PassageStat(o.passage))
            stat.override, stat.override_by = o.action, o.set_by
    return sorted(stats.values(), key=lambda s: (-s.down, s.up, s.passage))


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def digest_text(rep: OwnerReport, days: int) -> str:
    lines = [f"*Your playbooks this week* (last {days} days): what readers could not get answered or found unhelpful."]
    if rep.unanswered:
        lines.append(f"*Unanswered questions ({len(rep.unanswered)})*")
        lines += [f"• {q[:200]}" for q in rep.unanswered[:DIGEST_LINES]]
    if rep.unhelpful:
        lines.append(f"*Down-voted answers ({len(rep.unhelpful)})*")
        lines += [f"• {q[:160]} → `{path}`" for q, path in rep.unhelpful[:DIGEST_LINES]]
    if rep.reasons:
        lines.append("*What readers said*")
        lines += [f"• _{r[:200]}_ ({q[:80]})" for q, r in rep.reasons[:DIGEST_LINES]]
    if rep.stale:
        lines.append(f"*Past their review date ({len(rep.stale)})*")
        lines += [f"• `{p}` (review by {d})" for p, d in rep.stale[:DIGEST_LINES]]
    lines.append(
        "Fix the playbook, or steer ranking with `rapport feedback boost|demote|hide PATH#HEADING`; "
        "the full list: `rapport feedback report`."
    )
    return "\n".join(lines)


def send_owner_digests(services: Services, days: int = 7) -> int:
    """DM each playbook owner their unanswered and down-voted questions, once per ISO week. Returns DMs sent.

    Owners that are groups (``S0...`` in roles.yaml) are expanded to their members; nothing is sent to an
    owner with nothing unanswered or down-voted (stale documents alone have their own report).
    """
    now = services.clock()
    week = iso_week(now.date())
    sent = 0
    for rep in maintainer_report(services, now - dt.timedelta(days=days), now.date()):
        if not rep.unanswered and not rep.unhelpful:
            continue
        group = services.policies.group(rep.owner)
        recipients = sorted(set(group.members)) if group is not None else [rep.owner]
        for user in recipients:
            if not user.startswith(("U", "W")):
                continue  # "unowned", or an id we cannot DM
            key = f"{user}:{week}"
            with services.sessions() as session:
                done = session.scalar(
                    select(func.count())
                    .select_from(AuditEvent)
                    .where(AuditEvent.action == DIGEST_ACTION, AuditEvent.subject_id == key)
                )
            if done:
                continue
            try:
                services.notifier.send(Outbound(channel=user, text=digest_text(rep, days)))
            except Exception:
                log.exception("owner digest to %s failed; the next run retries", user)
                continue
            with services.sessions() as session, session.begin():
                record(
                    session,
                    "system:ask.owner_digest",
                    DIGEST_ACTION,
                    "owner",
                    key,
                    {"owner": rep.owner, "unanswered": len(rep.unanswered), "down_voted": len(rep.unhelpful)},
                )
            sent += 1
    return sent
