"""The scheduled jobs, run by hand in order: evaluate -> deliver urgent -> digest next morning -> deliver."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from bot.alerts.jobs import jobs
from bot.demo.generator import DemoGenerator, load
from bot.notify import RecordingNotifier
from bot.policies import Policies
from bot.services import Services
from bot.settings import Settings
from bot.store.db import make_session_factory

from .conftest import NOW


def test_jobs_evaluate_deliver_and_digest(sqlite_engine: Engine, policies: Policies, owners: list[str]) -> None:
    load(sqlite_engine, DemoGenerator(500, seed=2, now=NOW, owners=owners))
    clock = [NOW]
    notifier = RecordingNotifier()
    services = Services(
        Settings(), sqlite_engine, make_session_factory(sqlite_engine), policies, notifier, clock=lambda: clock[0]
    )
    specs = {j.name: j for j in jobs(services)}
    assert set(specs) == {"alerts.evaluate", "alerts.digest", "alerts.deliver", "alerts.housekeep"}
    specs["alerts.evaluate"].func()
    specs["alerts.deliver"].func()
    urgent = len(notifier.sent)
    assert urgent > 0 and all(type(m.view).__name__ == "AlertMessage" for _, m in notifier.sent)
    clock[0] = NOW + dt.timedelta(days=1, hours=2)
    specs["alerts.digest"].func()
    specs["alerts.housekeep"].func()
    specs["alerts.deliver"].func()
    kinds = {type(m.view).__name__ for _, m in notifier.sent[urgent:]}
    assert "DigestMessage" in kinds
