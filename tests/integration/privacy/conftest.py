"""A Services container on the migrated test database (both backends)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.notify import RecordingNotifier
from bot.policies import load_policies
from bot.services import Services
from bot.settings import Settings
from bot.store.db import make_session_factory

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def services(engine: Engine) -> Services:
    return Services(
        settings=Settings(playbooks_dir=REPO / "playbooks"),
        engine=engine,
        sessions=make_session_factory(engine),
        policies=load_policies(REPO / "playbooks" / "policies"),
        notifier=RecordingNotifier(),
    )
