"""The composition root collects every feature's scheduled jobs; the governance job purges expired rows."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, func, insert, select

from bot.app import feature_jobs
from bot.services import Services
from bot.store.models import Customer, Note


def test_feature_jobs_include_every_feature(services: Services) -> None:
    names = {job.name for job in feature_jobs(services)}
    expected = {
        "purge_processed_events",
        "approvals.timeouts",
        "governance.retention",
        "ask.handoff_reescalation",
        "kpi.weekly_digest",
    }
    assert expected <= names
    assert any(name.startswith("alerts.") for name in names), names


def test_retention_job_purges_expired_notes(engine: Engine, services: Services) -> None:
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(Customer),
            [{"id": 1, "name": "C1", "tier": "gold", "region": "na", "lifetime_value": 0, "arr": 0}],
        )
        conn.execute(
            insert(Note),
            [
                {"customer_id": 1, "body": "old", "kind": "note", "created_at": now - dt.timedelta(days=4000)},
                {"customer_id": 1, "body": "new", "kind": "note", "created_at": now - dt.timedelta(days=1)},
            ],
        )
    job = next(j for j in feature_jobs(services) if j.name == "governance.retention")
    job.func()
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Note)) == 1
        assert conn.scalar(select(Note.body)) == "new"
