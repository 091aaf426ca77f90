"""A ticket a question names, and so its customer: by the helpdesk's id ("is HD-00001305 breaching?") or by ours,
as answers and cards show it ("#1305", "ticket 1305").

Support staff think in ticket numbers; the number names the customer as surely as their name does. Both lookups
are one index probe (the primary key, ``ix_tickets_external_id``), whatever the size of the book.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.customers.linking import EXTERNAL_ID
from bot.store.models import Ticket

# "#1305" as answers and cards write our ids (not Slack's channel link "<#C0123>"), or "ticket 1305", "case no. 12"
# (three digits at least after a bare "#": "our #1 priority" names no ticket)
_SAID = re.compile(r"\b(?:ticket|case|incident)\s+(?:(?:no\.?|number|id)\s*)?#?(\d{1,12})\b", re.I)
_OURS = re.compile(rf"(?<![<\w&])#(\d{{3,12}})\b|{_SAID.pattern}", re.I)
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class TicketRef:
    id: int
    customer_id: int
    external_id: str | None
    priority: str
    status: str
    subject: str
    opened_at: dt.datetime
    resolved_at: dt.datetime | None
    matched_text: str  # the words that named it, left out of the playbook search


def named_ticket(session: Session, text: str) -> TicketRef | None:
    """The first ticket ``text`` names that exists: the helpdesk's id first (it says which system), then ours."""
    for m in EXTERNAL_ID.finditer(text):
        said = m.group(1)
        # the spellings people type, probed on the index (upper() on the column would scan every ticket)
        spellings = {said, said.upper(), said.lower()}
        found = session.scalars(select(Ticket).where(Ticket.external_id.in_(spellings)).limit(1)).first()
        if found is not None:
            return _ref(found, m.group(0))
    for m in _OURS.finditer(text):
        number = int(m.group(1) or m.group(2))
        found = session.get(Ticket, number) if number <= MAX_ID else None
        if found is not None:
            return _ref(found, m.group(0))
    return None


def ticket_mention(text: str) -> str:
    """The number of a ticket ``text`` names in words ("ticket 1305", "case #12"), or "": only that form is surely
    a ticket ("#12" and "ISO-27001" may be anything), so only it is said back as not found."""
    found = _SAID.search(text)
    return found.group(1) if found else ""


def _ref(t: Ticket, said: str) -> TicketRef:
    return TicketRef(
        t.id, t.customer_id, t.external_id, t.priority, t.status, t.subject, t.opened_at, t.resolved_at, said
    )
