"""Retention purge: expired rows go, recent rows and legally held customers stay."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, func, insert, select

from bot.privacy.models import LegalHold
from bot.privacy.retention import purge
from bot.services import Services
from bot.store.models import Customer, Note, Ticket, UsageEvent

NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


def _customer(cid: int) -> dict[str, object]:
    return {
        "id": cid,
        "name": f"C{cid}",
        "domains": [],
        "external_ids": {},
        "tier": "gold",
        "segment": "x",
        "region": "na",
        "timezone": "UTC",
        "lifetime_value": 0,
        "arr": 0,
        "health_score": 70,
        "consent_outreach": True,
        "consent_marketing": False,
        "consent_data_processing": True,
        "comm_preferences": {},
        "created_at": NOW,
        "updated_at": NOW,
    }


def test_purge_respects_periods_status_and_legal_hold(engine: Engine, services: Services) -> None:
    old, recent = NOW - dt.timedelta(days=2000), NOW - dt.timedelta(days=10)
    with engine.begin() as conn:
        conn.execute(insert(Customer), [_customer(1), _customer(2)])
        conn.execute(
            insert(Note),
            [{"customer_id": c, "body": "x", "kind": "note", "created_at": t} for c in (1, 2) for t in (old, recent)],
        )
        conn.execute(
            insert(Ticket),
            [
                {
                    "customer_id": 1,
                    "subject": "s",
                    "priority": "P3",
                    "status": st,
                    "category": "q",
                    "sentiment": 0.0,
                    "opened_at": old,
                    "source": "hd",
                }
                for st in ("closed", "open")
            ],
        )
        conn.execute(insert(UsageEvent), [{"customer_id": 1, "day": old.date(), "metric": "m", "quantity": 1}])
        conn.execute(
            insert(LegalHold), [{"customer_id": 2, "reason": "dispute", "placed_by": "U0LEGAL", "placed_at": NOW}]
        )
    report = purge(services, now=NOW)
    assert report.deleted == {"interactions": 1, "tickets": 1, "usage": 1}
    with engine.connect() as conn:
        notes = conn.execute(select(Note.customer_id, Note.created_at).order_by(Note.customer_id)).all()
        assert [(c, t == old) for c, t in notes] == [(1, False), (2, True), (2, False)]
        assert conn.scalar(select(Ticket.status)) == "open"
        assert conn.scalar(select(func.count()).select_from(UsageEvent)) == 0
    assert purge(services, now=NOW).deleted == {}


def test_forget_cli(tmp_path: object) -> None:
    from pathlib import Path

    from typer.testing import CliRunner

    from bot.commands.common import UserError
    from bot.commands.forget import app
    from bot.store.db import make_engine
    from bot.store.migrate import upgrade

    from .conftest import REPO

    url = f"sqlite:///{Path(str(tmp_path)) / 'r.db'}"
    eng = make_engine(url)
    upgrade(eng)
    with eng.begin() as conn:
        conn.execute(insert(Customer), [_customer(1)])
    eng.dispose()
    env = {"DATABASE_URL": url, "PLAYBOOKS_DIR": str(REPO / "playbooks")}
    out = CliRunner().invoke(app, ["1", "--yes"], env=env)
    assert out.exit_code == 0 and "erased 1 customer record(s)" in out.output, out.output
    again = CliRunner().invoke(app, ["1", "--yes"], env=env)
    assert isinstance(again.exception, UserError) and "no customer with id 1" in str(again.exception)
