"""Customer-channel fixtures: a small book (four customers, one per tier, in four time zones), the real
policies, a settable clock, a recording notifier and a Slack directory holding the people and channels.

Time: NOW is Wednesday 2026-03-04 15:00 UTC (10:00 in New York, 16:00 in Berlin, 09:00 in Chicago, 00:00
in Tokyo), so business-hours clocks start inside, and outside, the customers' hours.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.channels.links import add_link
from bot.channels.tracking import Posted, Tracked, Tracker
from bot.notify import RecordingNotifier
from bot.policies import Policies, load_policies
from bot.services import Services
from bot.settings import Settings
from bot.store.db import make_session_factory
from bot.store.models import Customer, CustomerIdentifier

from ...conftest import Clock

REPO = Path(__file__).resolve().parents[3]
NOW = dt.datetime(2026, 3, 4, 15, 0, tzinfo=dt.UTC)  # a Wednesday
HOME = "T0RAPPORT"
# (id, name, tier, tz, owner, domain, arr, ext team, channel)
BOOK = [
    (1, "Acme Corp", "platinum", "America/New_York", "U0AMPLAT", "acme.com", 900_000, "T0ACME", "C0EXTACME"),
    (2, "Globex GmbH", "gold", "Europe/Berlin", "U0AMGOLD", "globex.de", 200_000, "T0GLOBEX", "C0EXTGLOBEX"),
    (3, "Initech LLC", "silver", "America/Chicago", None, "initech.com", 40_000, "T0INITECH", "C0EXTINIT"),
    (4, "Umbrella KK", "bronze", "Asia/Tokyo", "U0AMAPAC", "umbrella.jp", 5_000, "T0UMBRELLA", "C0EXTUMB"),
]
CUSTOMER_OF = {row[8]: row[0] for row in BOOK}
MEMBER_OF = {row[8]: f"W0{row[1].split()[0].upper()}" for row in BOOK}  # one customer member per channel
TEAM_OF = {row[8]: row[7] for row in BOOK}


@dataclass
class FakeDirectory:
    """What Slack would say: channels (with their teams and members), users, messages, permalinks."""

    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def channel_info(self, channel: str) -> dict[str, Any] | None:
        self.calls.append(f"conversations.info {channel}")
        return self.channels.get(channel)

    def channel_members(self, channel: str, limit: int = 200) -> list[str]:
        self.calls.append(f"conversations.members {channel}")
        return self.members.get(channel, [])[:limit]

    def user_info(self, user: str) -> dict[str, Any] | None:
        self.calls.append(f"users.info {user}")
        return self.users.get(user)

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        return self.messages.get((channel, ts))

    def permalink(self, channel: str, ts: str) -> str | None:
        return f"https://sandbox.slack.com/archives/{channel}/p{ts.replace('.', '')}"


@pytest.fixture(scope="session")
def policies() -> Policies:
    return load_policies(REPO / "playbooks" / "policies")


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


def make_services(engine: Engine, policies: Policies, notifier: object, clock: Callable[[], dt.datetime]) -> Services:
    return Services(
        settings=Settings(),
        engine=engine,
        sessions=make_session_factory(engine),
        policies=policies,
        notifier=notifier,  # type: ignore[arg-type]
        clock=clock,
    )


def seed_book(services: Services) -> None:
    with services.sessions.begin() as s:
        for cid, name, tier, tz, owner, domain, arr, _team, _channel in BOOK:
            s.add(
                Customer(
                    id=cid,
                    name=name,
                    tier=tier,
                    region="na",
                    timezone=tz,
                    owner_slack_id=owner,
                    domains=[domain],
                    external_ids={"crm": f"CRM-{cid:07d}"},
                    lifetime_value=Decimal(arr * 4),
                    arr=Decimal(arr),
                )
            )
            s.flush()
            for kind, value in (
                ("name", name.split()[0].lower()),
                ("domain", domain),
                ("external_id", f"crm-{cid:07d}"),
            ):
                s.add(CustomerIdentifier(customer_id=cid, kind=kind, value=value, source="crm"))


def link_all(services: Services) -> None:
    with services.sessions.begin() as s:
        for cid, *_rest, channel in BOOK:
            customer = s.get(Customer, cid)
            assert customer is not None
            add_link(s, channel, customer, "admin", "U0CSLEAD", NOW - dt.timedelta(days=30))


def directory_for() -> FakeDirectory:
    d = FakeDirectory()
    for _cid, name, _tier, _tz, _owner, domain, _arr, team, channel in BOOK:
        member = MEMBER_OF[channel]
        d.channels[channel] = {
            "id": channel,
            "name": f"ext-{name.split()[0].lower()}",
            "is_ext_shared": True,
            "is_shared": True,
            "shared_team_ids": [HOME, team],
            "context_team_id": HOME,
        }
        d.members[channel] = ["U0AMPLAT", "U0SUPAGT1", member]
        d.users[member] = {"id": member, "team_id": team, "profile": {"email": f"pat@{domain}", "team": team}}
    d.users["U0RAPPORTBOT"] = {"id": "U0RAPPORTBOT", "team_id": HOME, "is_bot": True}
    d.users["U0ENGINEER"] = {"id": "U0ENGINEER", "team_id": HOME, "profile": {"email": "eng@rapport.test"}}
    d.users["U0GUEST"] = {
        "id": "U0GUEST",
        "team_id": HOME,
        "is_restricted": True,
        "is_ultra_restricted": True,
        "profile": {"email": "guest@initech.com"},
    }
    return d


@pytest.fixture
def directory() -> FakeDirectory:
    return directory_for()


@pytest.fixture
def services(engine: Engine, policies: Policies, notifier: RecordingNotifier, clock: Clock) -> Services:
    services = make_services(engine, policies, notifier, clock)
    seed_book(services)
    link_all(services)
    return services


@dataclass
class Channel:
    """Posting in one customer channel as its customer member or as staff, at a given time."""

    tracker: Tracker
    directory: FakeDirectory
    channel: str
    used: set[str] = field(default_factory=set)

    def _ts(self, when: dt.datetime) -> str:
        """The message's Slack ts: its time, a microsecond later when that ts is taken (ts are unique)."""
        ts = f"{when.timestamp():.6f}"
        while ts in self.used:
            when += dt.timedelta(microseconds=1)
            ts = f"{when.timestamp():.6f}"
        self.used.add(ts)
        return ts

    def customer(self, text: str, when: dt.datetime, thread: str | None = None, **kw: Any) -> tuple[str, Tracked]:
        ts = self._ts(when)
        posted = Posted(
            self.channel,
            ts,
            MEMBER_OF[self.channel],
            text,
            thread,
            team=TEAM_OF[self.channel],
            home_team=HOME,
            ext_shared=True,
            **kw,
        )
        return ts, self.tracker.track(posted, self.directory)

    def staff(
        self, text: str, when: dt.datetime, thread: str | None = None, user: str = "U0SUPAGT1", **kw: Any
    ) -> tuple[str, Tracked]:
        ts = self._ts(when)
        posted = Posted(self.channel, ts, user, text, thread, home_team=HOME, ext_shared=True, **kw)
        return ts, self.tracker.track(posted, self.directory)


@pytest.fixture
def tracker(services: Services) -> Tracker:
    return Tracker(services)


@pytest.fixture
def channel(tracker: Tracker, directory: FakeDirectory) -> Callable[[str], Channel]:
    return lambda ch: Channel(tracker, directory, ch)
