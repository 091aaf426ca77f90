"""A ticket a question names: by the helpdesk's id or by ours, and what is not a ticket; both backends."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.customers.tickets import named_ticket, ticket_mention
from bot.store.models import Customer, Ticket

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def _book(session: Session) -> tuple[int, int]:
    c = Customer(name="Acme Foods Inc", tier="gold", region="na")
    session.add(c)
    session.flush()
    first = Ticket(customer_id=c.id, subject="Login", priority="P2", status="open", opened_at=NOW)
    second = Ticket(
        customer_id=c.id, external_id="HD-00001305", subject="Outage", priority="P1", status="open", opened_at=NOW
    )
    session.add_all([first, second])
    session.flush()
    return first.id, second.id


def test_a_ticket_is_named_by_the_helpdesks_id_or_ours(engine: Engine) -> None:
    with Session(engine) as s:
        first, second = _book(s)
        for text in ("is HD-00001305 breaching?", "status of hd-00001305", f"what about #{second:03d}?"):
            found = named_ticket(s, text)
            assert found is not None and found.id == second and found.priority == "P1", text
        found = named_ticket(s, f"is ticket {first} breaching?")
        assert found is not None and found.id == first and found.matched_text == f"ticket {first}"
        found = named_ticket(s, f"case no. #{first}")
        assert found is not None and found.id == first


def test_what_is_not_a_ticket_names_none(engine: Engine) -> None:
    with Session(engine) as s:
        first, _ = _book(s)
        # "#1" is too short to be read as a ticket; a Slack channel link is a channel; an unknown id is nobody's
        for text in (f"what is our #{first} priority?", "see <#C0123|support>", "are we ISO-27001 certified?"):
            assert named_ticket(s, text) is None, text
        assert named_ticket(s, "ticket 99999999 please") is None
    assert ticket_mention("is ticket 99999999 breaching?") == "99999999"
    assert ticket_mention("what is our #1 priority?") == ""  # said back as missing only when named in words
