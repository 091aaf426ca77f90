"""Who viewed a customer's record: the access log, read from the audit trail's card views ("who has looked at
X's record this week?"). A privacy request or a suspected leak starts with this question. Every card shown (in
Ask, a slash command, an alert, App Home) writes a ``customer.viewed`` event with the fields shown, never their
values (:func:`bot.customers.card.record_view`); the answer adds them up per person over the window asked.

Only roles with ``audit: true`` in roles.yaml read it: who looks at which customer is itself personal data about
staff. Others are told who can.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.ask.dates import day, latest_window
from bot.ask.facts import name_of
from bot.ask.people import person
from bot.ask.policy import PolicyFinding
from bot.customers.card import VIEWED_ACTION, CustomerCard
from bot.policies import Policies
from bot.store.models import AuditEvent

DEFAULT_DAYS = 30
SHOWN = 10  # people listed; the rest are counted
CITED = "every card view is written to the audit trail with the fields shown"


def views_finding(
    session: Session,
    policies: Policies,
    card: CustomerCard,
    asker: str,
    questions: Sequence[str],
    now: dt.datetime,
) -> PolicyFinding:
    """Who viewed the customer's record over the window asked (the last 30 days when none), most recent first."""
    who = name_of(card)
    if not policies.reads_access_log(asker):
        roles = ", ".join(r.replace("_", " ") for r in policies.access_log_roles) or "no role"
        return _finding(
            f":lock: Who viewed {who}'s record is in the audit trail, which only some roles read ({roles})."
        )
    since, until, window = latest_window(questions, now, DEFAULT_DAYS)
    query = (
        select(AuditEvent.actor, func.count(), func.max(AuditEvent.occurred_at))
        .where(
            AuditEvent.action == VIEWED_ACTION,
            AuditEvent.subject_type == "customer",
            AuditEvent.subject_id == str(card.customer_id),
            AuditEvent.occurred_at >= since,
        )
        .group_by(AuditEvent.actor)
    )
    if until is not None:
        query = query.where(AuditEvent.occurred_at < until)
    rows = sorted(session.execute(query).all(), key=lambda r: r[2], reverse=True)
    if not rows:
        return _finding(f"Nobody viewed {who}'s record {window}.", sensitive=True)
    views = sum(n for _, n, _ in rows)
    lines = [
        f"• {person(policies, actor)}: {n:,} view{'' if n == 1 else 's'}, the latest on {day(latest)} "
        f"{latest:%H:%M} UTC"
        for actor, n, latest in rows[:SHOWN]
    ]
    more = f"\n…and {len(rows) - SHOWN} more people." if len(rows) > SHOWN else ""
    head = (
        f"{who}'s record was viewed {views:,} time{'' if views == 1 else 's'} {window}, by {len(rows):,} "
        f"{'person' if len(rows) == 1 else 'people'} (from the audit trail; fields shown, never their values):"
    )
    return _finding(head + "\n" + "\n".join(lines) + more, sensitive=True)


def _finding(said: str, sensitive: bool = False) -> PolicyFinding:
    """The answer, cited on the access playbook's audit rule; ``sensitive``: it tells who looked at whom (personal
    data about staff), so it goes to the asker alone in a channel."""
    return PolicyFinding(said, "", citation_query=CITED, citation_title="access", sensitive=sensitive, supported=False)
