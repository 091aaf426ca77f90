"""Event dedupe holds under concurrent redeliveries, on both backends: exactly one delivery is first."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import Engine, func, select

from bot.notify import RecordingNotifier
from bot.policies import load_policies
from bot.services import Services
from bot.settings import Settings
from bot.store.db import make_engine, make_session_factory
from bot.store.events import first_delivery
from bot.store.migrate import upgrade
from bot.store.models import ProcessedEvent

REPO = Path(__file__).resolve().parents[3]


def test_concurrent_redeliveries_have_one_first(engine: Engine) -> None:
    services = Services(
        settings=Settings(playbooks_dir=REPO / "playbooks"),
        engine=engine,
        sessions=make_session_factory(engine),
        policies=load_policies(REPO / "playbooks" / "policies"),
        notifier=RecordingNotifier(),
    )
    ids = [f"Ev{i % 5}" for i in range(40)]  # five events, each delivered eight times at once
    with ThreadPoolExecutor(16) as pool:
        firsts = list(pool.map(lambda e: first_delivery(services.engine, e, services.clock), ids))
    assert sum(firsts) == 5
    assert {e for e, first in zip(ids, firsts, strict=True) if first} == {f"Ev{i}" for i in range(5)}
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ProcessedEvent)) == 5
    assert first_delivery(services.engine, "Ev0", services.clock) is False  # a later retry is still a duplicate


def test_store_locked_retries_still_get_one_outcome(tmp_path: Path) -> None:
    """While the SQLite file is write-locked, the first delivery is handled and its retries are not."""
    url = f"sqlite:///{tmp_path / 'locked.db'}"
    engine = make_engine(url, busy_timeout=0.2)
    upgrade(engine)
    services = Services(
        settings=Settings(playbooks_dir=REPO / "playbooks"),
        engine=engine,
        sessions=make_session_factory(engine),
        policies=load_policies(REPO / "playbooks" / "policies"),
        notifier=RecordingNotifier(),
    )
    holder = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        outcomes = [first_delivery(services.engine, "EvLOCKED", services.clock) for _ in range(3)]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert outcomes == [True, False, False]
    engine.dispose()
