"""forget(): no trace of the customer in any table afterwards; other customers untouched; audit kept."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, Text, cast, column, func, insert, inspect, select, table
from sqlalchemy.orm import Session

from bot.customers import merge
from bot.demo.generator import DemoGenerator, load
from bot.governance.audit import verify
from bot.privacy.erasure import ErasureError, _needles, forget
from bot.privacy.models import LegalHold
from bot.services import Services
from bot.store.models import AuditEvent, Contact, Customer, PlantedDuplicate, Ticket
from bot.sync.models import QuarantineRow

NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


def _traces(engine: Engine, needles: set[str]) -> list[str]:
    """Every (table, column) whose text contains any needle — scans every table the database has."""
    found: list[str] = []
    insp = inspect(engine)
    with engine.connect() as conn:
        for name in insp.get_table_names():
            cols = [c["name"] for c in insp.get_columns(name)]
            t = table(name, *[column(c) for c in cols])
            for c in cols:
                low = func.lower(cast(t.c[c], Text))
                for n in needles:
                    if conn.scalar(select(func.count()).select_from(t).where(low.contains(n, autoescape=True))):
                        found.append(f"{name}.{c} contains {n!r}")
    return found


def _target(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(PlantedDuplicate.duplicate_of).order_by(PlantedDuplicate.duplicate_of).limit(1)))


def test_forget_leaves_no_trace(engine: Engine, services: Services) -> None:
    load(engine, DemoGenerator(customers=300, seed=5, now=NOW))
    merge.resolve(engine, lambda s: {"crm": 90}.get(s, 10))
    victim = _target(engine)
    with engine.connect() as conn:
        needles = _needles(
            conn, {victim} | set(conn.scalars(select(Customer.id).where(Customer.merged_into_id == victim)))
        )
        email = conn.scalar(select(Contact.email).where(Contact.customer_id == victim))
        others = conn.scalar(select(func.count()).select_from(Ticket).where(Ticket.customer_id != victim))
    assert email and len(needles) >= 4
    with engine.begin() as conn:  # personal data in a quarantined row and a free-text note elsewhere
        conn.execute(
            insert(QuarantineRow),
            [
                {
                    "source": "crm",
                    "entity": "contact",
                    "row": 3,
                    "field": "email",
                    "reason": "bad",
                    "raw": {"email": email},
                    "created_at": NOW,
                }
            ],
        )
    assert _traces(engine, needles)

    report = forget(services, victim, actor="U0PRIVACY")

    assert report.customers == 2 and report.rows_deleted["customers"] == 2
    assert report.rows_deleted.get("sync_quarantine") == 1  # purged, not kept with its values scrubbed
    assert _traces(engine, needles) == []
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Ticket)) == others  # nobody else lost data
        assert conn.scalar(select(func.count()).select_from(Customer).where(Customer.id == victim)) == 0
        event = conn.execute(select(AuditEvent).where(AuditEvent.action == "customer.erased")).one()
    assert event.subject_id == report.reference and str(victim) not in str(event.details)
    with Session(engine) as s:
        assert verify(s).ok


def test_legal_hold_and_unknown_refs_are_refused(engine: Engine, services: Services) -> None:
    load(engine, DemoGenerator(customers=20, seed=5, now=NOW))
    with engine.begin() as conn:
        conn.execute(
            insert(LegalHold), [{"customer_id": 3, "reason": "litigation", "placed_by": "U0LEGAL", "placed_at": NOW}]
        )
    with pytest.raises(ErasureError, match="legal hold"):
        forget(services, 3)
    with pytest.raises(ErasureError, match="no customer matches"):
        forget(services, "no-such-company.example")
    with engine.connect() as conn:
        name = conn.scalar(select(Customer.name).where(Customer.id == 4))
    assert forget(services, str(name)).customers >= 1
