"""Event dedupe holds under concurrent redeliveries, on both backends: exactly one delivery is first."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import Engine, func, select

from bot.notify import RecordingNotifier
from bot.policies import load_policies
from bot.services import Services
from bot.settings import Settings
from bot.slack.app import first_delivery
from bot.store.db import make_session_factory
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
        firsts = list(pool.map(lambda e: first_delivery(services, e), ids))
    assert sum(firsts) == 5
    assert {e for e, first in zip(ids, firsts, strict=True) if first} == {f"Ev{i}" for i in range(5)}
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ProcessedEvent)) == 5
    assert first_delivery(services, "Ev0") is False  # a later retry is still a duplicate
