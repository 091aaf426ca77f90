"""A customer's latest interactions: "give me X's last 3 interactions", "what's the recent activity with X?", "what
changed on X this week?". Calls, meetings, emails and notes on the record (by whom, when), tickets opened, orders
placed and people who joined, left or took a role at the customer (a champion who left), newest first. An order's
amount and payment status are sensitive fields, never said;
what a note says is one too (``notes`` in roles.yaml): stated only to a role that sees it, and inert like all
customer text; the others get the kind, the day and who logged it (and the answer's restricted sentence)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from bot import mrkdwn
from bot.ask.dates import Window, day
from bot.ask.people import person
from bot.policies import Policies
from bot.store.models import ContactChange, Note, Order, Ticket

SHOWN = 5
SAID = 100  # characters of a note shown


def interactions(
    session: Session,
    policies: Policies,
    customer_id: int,
    name: str,
    notes_seen: bool,
    contacts_seen: bool = False,
    window: Window | None = None,
) -> str:
    """``name``: the customer as the answer says it (bold, escaped); ``notes_seen``: whether the asker's role sees
    what notes say; ``contacts_seen``: whether it sees who the customer's contacts are (a job title with them);
    ``window``: the past the question names ("this week"): its events, or that there were none and the latest."""
    notes = session.scalars(
        select(Note)
        .where(Note.customer_id == customer_id, *_until(Note.created_at, window))
        .order_by(Note.created_at.desc())
        .limit(SHOWN)
    ).all()
    tickets = session.scalars(
        select(Ticket)
        .where(Ticket.customer_id == customer_id, *_until(Ticket.opened_at, window))
        .order_by(Ticket.opened_at.desc())
        .limit(SHOWN)
    ).all()
    found: list[tuple[dt.datetime, str]] = [(n.created_at, _note(policies, n, notes_seen)) for n in notes]
    found += [
        (
            t.opened_at,
            f"ticket #{t.id} {mrkdwn.escape(t.priority)} _{mrkdwn.escape(t.subject)[:80]}_ opened "
            f"({mrkdwn.escape(t.status)})",
        )
        for t in tickets
    ]
    orders = session.scalars(
        select(Order)
        .where(Order.customer_id == customer_id, *_until(Order.ordered_at, window))
        .order_by(Order.ordered_at.desc())
        .limit(SHOWN)
    ).all()
    found += [(o.ordered_at, f"order {mrkdwn.escape(o.external_id or f'#{o.id}')} placed") for o in orders]
    changes = session.scalars(
        select(ContactChange)
        .where(ContactChange.customer_id == customer_id, *_until(ContactChange.changed_at, window))
        .order_by(ContactChange.changed_at.desc())
        .limit(SHOWN)
    ).all()
    found += [(c.changed_at, _contact_change(c, contacts_seen)) for c in changes]
    if not found and window is not None and window[1] is not None:
        return f"Nothing logged on {name} {window[2]} or before it."
    if not found:
        return f"{name} has no interactions on record (no notes, calls, meetings, tickets or orders)."
    latest, head = sorted(found, key=lambda f: f[0], reverse=True), f"{name}'s latest interactions"
    if window is not None:
        since, until, said_window = window
        within = [f for f in latest if f[0] >= since]  # each read ends at the window's end (_until)
        if within:
            latest, head = within, f"{name} {said_window}"
        else:  # none in it: said so, and the latest before it
            head = f"Nothing logged on {name} {said_window}. The latest{' before it' if until is not None else ''}"
    lines = [f"• {day(at)}: {said}" for at, said in latest[:SHOWN]]
    return f"{head}:\n" + "\n".join(lines)


def _until(column: InstrumentedAttribute[dt.datetime], window: Window | None) -> tuple[ColumnElement[bool], ...]:
    """Events before the end of the window named ("last week"), so its latest are read, not this week's."""
    return (column < window[1],) if window is not None and window[1] is not None else ()


def _note(policies: Policies, note: Note, seen: bool) -> str:
    by = f" by {person(policies, note.author_slack_id)}" if note.author_slack_id else ""
    text = mrkdwn.escape(" ".join(note.body.split()))
    said = f": _{text[:SAID]}{'…' if len(text) > SAID else ''}_" if seen and text else ""
    return f"{mrkdwn.escape(note.kind)}{by}{said}"


_CHANGED = {"joined": "joined", "left": "left", "role_changed": "took a new role"}


def _contact_change(change: ContactChange, seen: bool) -> str:
    """ "a champion left", with their job title to a role that sees the customer's contacts (source text, inert)."""
    role = mrkdwn.escape(change.role.replace("_", " "))
    title = f" (_{mrkdwn.escape(change.title[:60])}_)" if seen and change.title else ""  # cut, then made inert
    what = _CHANGED.get(change.change, mrkdwn.escape(change.change))
    return f"{'an' if role[:1] in 'aeiou' else 'a'} {role}{title} {what}"
