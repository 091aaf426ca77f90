"""Erasures done, asked across the book: "who has asked for their data to be deleted this month?", "how many
erasure requests did we carry out this quarter?".

Rapport keeps no name of a customer it erased: the audit event says only that an erasure happened and how many rows
went (:mod:`bot.privacy.erasure`). So the answer is how many, over the window asked (the last 30 days when none), and
who keeps the log of requests: never a name, which would undo the erasure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.ask.dates import latest_window
from bot.ask.policy import PolicyFinding
from bot.privacy.erasure import ERASED_ACTION
from bot.store.models import AuditEvent

DEFAULT_DAYS = 30
CITED = "erasure requests rapport forget audit trail hashed subject"


def erasures_finding(session: Session, questions: Sequence[str], now: dt.datetime) -> PolicyFinding:
    """``questions``: the thread's chain, the question last; the window is the latest one said."""
    since, until, window = latest_window(questions, now, DEFAULT_DAYS)
    query = select(AuditEvent.details).where(AuditEvent.action == ERASED_ACTION, AuditEvent.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEvent.occurred_at < until)
    events = session.scalars(query).all()
    # one event per `rapport forget`, which may erase a customer and its merged duplicates together
    erased = sum(int((d or {}).get("customers", 1)) for d in events)
    done = (
        f"Rapport erased {erased:,} customer record{'' if erased == 1 else 's'} {window} "
        f"({len(events):,} erasure{'' if len(events) == 1 else 's'} run with `rapport forget`)"
        if events
        else f"Rapport erased no customer's data {window}"
    )
    said = (
        f"{done}. It keeps no name of whom it erased (the audit trail records only that an erasure happened and "
        "how many rows went), so it cannot say who asked: the privacy office keeps the log of requests."
    )
    return PolicyFinding(said, "", citation_query=CITED, citation_title="privacy", supported=False)
