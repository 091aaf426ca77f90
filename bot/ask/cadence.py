"""When a customer's next business review or check-in is due: the tier's promised cadence (``tiers.yaml``
``business_review_every_days``, ``proactive_checkin_every_days``) counted from the last one on record. A meeting
note is a business review, a call, meeting or email note a check-in: the same reading as the KPI report's
relationship depth (``bot.customers.outcomes``), so Ask and the report agree on whether a cadence was kept.

"When is the next business review with X due?" was answered with the promise alone ("every 180 days")."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.ask.dates import day
from bot.ask.direct import name_of
from bot.ask.policy import PolicyFinding
from bot.customers.card import CustomerCard
from bot.customers.outcomes import REVIEW_KIND, TOUCH_KINDS
from bot.policies import Policies
from bot.store.models import Note

_WHEN = re.compile(r"\b(next|due|overdue|when|last|late|behind|since)\b", re.I)
_REVIEW = re.compile(r"\b(business reviews?|[qe]brs?|account reviews?)\b", re.I)
_CHECKIN = re.compile(r"\b(check[- ]?ins?|touch[- ]?points?)\b", re.I)


def asks_when_due(question: str) -> bool:
    """Whether the question asks when a review or check-in is (or was) due, not what the tier promises."""
    return bool(_WHEN.search(question)) and bool(_REVIEW.search(question) or _CHECKIN.search(question))


def cadence_finding(
    session: Session, policies: Policies, card: CustomerCard, question: str, now: dt.datetime
) -> PolicyFinding:
    promises = policies.tier(card.tier).promises
    asked: list[tuple[str, int | None, tuple[str, ...]]] = []
    if _REVIEW.search(question):
        asked.append(("business review", promises.business_review_every_days, (REVIEW_KIND,)))
    if _CHECKIN.search(question):
        asked.append(("check-in", promises.proactive_checkin_every_days, TOUCH_KINDS))
    who, tier = name_of(card), card.tier
    lines = []
    for label, every, kinds in asked:
        last = session.scalar(
            select(func.max(Note.created_at)).where(Note.customer_id == card.customer_id, Note.kind.in_(kinds))
        )
        on_record = f"the last {label} on record with {who} was on {day(last)}" if last else ""
        if every is None:
            said = f"{on_record[0].upper()}{on_record[1:]}" if last else f"No {label} with {who} is on record"
            lines.append(f"{said}; the {tier} tier promises no {label} cadence.")
            continue
        promise = f"{tier} promises one every {every} days"
        if last is None:
            lines.append(f"No {label} with {who} is on record, and {promise}: one is due now.")
            continue
        due = last.date() + dt.timedelta(days=every)
        left = (due - now.date()).days
        state = (
            f"due on {day(due)}, in {left} day{'' if left == 1 else 's'}"
            if left > 0
            else "due today"
            if left == 0
            else f"overdue since {day(due)}"
        )
        lines.append(f"{on_record[0].upper()}{on_record[1:]}; {promise}, so the next is {state}.")
    # the tier's promises cited; the question's other words find nothing the dates need
    cited = f"what each tier is promised {tier}"
    return PolicyFinding("\n".join(lines), tier, citation_query=cited, citation_title="tier", supported=False)
