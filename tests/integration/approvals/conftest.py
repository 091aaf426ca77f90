"""Fixtures: a migrated database (both backends), real policies, a recording notifier, a few customers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.notify import RecordingNotifier
from bot.policies import Policies, load_policies
from bot.services import Services
from bot.settings import Settings
from bot.store.db import make_session_factory, session_scope
from bot.store.models import Customer

from ...conftest import Clock

REPO = Path(__file__).resolve().parents[3]
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def policies() -> Policies:
    return load_policies(REPO / "playbooks" / "policies")


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def services(engine: Engine, policies: Policies, notifier: RecordingNotifier, clock: Clock) -> Services:
    sessions = make_session_factory(engine)
    with session_scope(sessions) as s:
        for name, tier, region in [
            ("Northwave Foods Inc", "gold", "na"),
            ("Helios Analytics", "platinum", "emea"),
            ("Helios Logistics", "silver", "apac"),
            ("Bramble & Co", "bronze", "na"),
        ]:
            s.add(Customer(name=name, tier=tier, region=region, lifetime_value=Decimal(0), arr=Decimal(0)))
    return Services(
        settings=Settings(), engine=engine, sessions=sessions, policies=policies, notifier=notifier, clock=clock
    )
