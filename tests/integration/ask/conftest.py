"""Ask fixtures: a migrated database, the real policies, a small in-memory playbook index, a settable clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
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
from retrieval import Passage, SearchResult

from ...conftest import Clock

REPO = Path(__file__).resolve().parents[3]
NOW = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)


class FakeIndex:
    """Returns fixed passages (filtered by ``paths`` like the real index); ``down`` makes search fail."""

    def __init__(self, passages: list[Passage], confidence: float = 0.9) -> None:
        self.passages = passages
        self.confidence = confidence
        self.down = False
        self.queries: list[tuple[str, list[str] | None]] = []

    def search(
        self,
        query: str,
        k: int = 5,
        tiers: list[str] | None = None,
        regions: list[str] | None = None,
        paths: list[str] | None = None,
    ) -> SearchResult:
        if self.down:
            raise ConnectionError("chroma unavailable")
        if not query.strip():
            raise ValueError("query must be a non-empty string")  # as retrieval.index.PlaybookIndex.search does
        self.queries.append((query, paths))
        found = [p for p in self.passages if paths is None or p.path in paths][:k]
        return SearchResult(query, found, self.confidence if found else 0.0, bool(found))

    def documents(self) -> list[object]:
        return []

    def sections(self, path: str, parent: str) -> list[str]:
        return []


def passage(path: str, heading: str, text: str, score: float) -> Passage:
    return Passage(path, heading, 1, 10, heading.split(" > ")[0], "U0KBOWNER", "1", (), (), score, text)


PASSAGES = [
    passage(
        "service/password-reset.md",
        "Password reset > Self service",
        "To reset a customer password, send the customer the self-service reset link from the admin console.",
        1.00,
    ),
    passage(
        "operations/account-recovery.md",
        "Account recovery > Manual reset",
        "A password reset for a locked customer account is done by support after identity verification.",
        0.96,
    ),
    passage("commercial/discounts.md", "Discounts > Approval", "Discounts above 20% need deal desk approval.", 0.5),
]


@pytest.fixture(scope="session")
def policies() -> Policies:
    return load_policies(REPO / "playbooks" / "policies")


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def index() -> FakeIndex:
    return FakeIndex(list(PASSAGES))


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


def build_services(
    engine: Engine, policies: Policies, notifier: RecordingNotifier, clock: Callable[[], dt.datetime], index: object
) -> Services:
    sessions = make_session_factory(engine)
    services = Services(
        settings=Settings(), engine=engine, sessions=sessions, policies=policies, notifier=notifier, clock=clock
    )
    services._index = index
    return services


@pytest.fixture
def services(
    engine: Engine, policies: Policies, notifier: RecordingNotifier, clock: Clock, index: FakeIndex
) -> Services:
    services = build_services(engine, policies, notifier, clock, index)
    with session_scope(services.sessions) as s:
        for name, tier, region, owner in [
            ("Northwave Foods Inc", "gold", "na", "U0AMGOLD"),
            ("Helios Analytics", "platinum", "emea", "U0AMPLAT"),
            ("Bramble & Co", "bronze", "na", None),
        ]:
            s.add(
                Customer(
                    name=name, tier=tier, region=region, owner_slack_id=owner, lifetime_value=Decimal(0), arr=Decimal(0)
                )
            )
    return services
