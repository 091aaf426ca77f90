"""A live edit of the policy files while serving: a good edit comes into force for every consumer, a bad one
never does (the last good policy stays), is logged at error level, shown in /readyz and told to the admins
once, also across replicas sharing the database."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.notify import RecordingNotifier
from bot.policies import load_policies
from bot.policy_watch import PolicyWatch, admins
from bot.serve import readiness
from bot.services import Services
from bot.settings import Settings
from bot.store.db import make_session_factory
from bot.web.wsgi import Edge

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "playbooks" / "policies", tmp_path / "policies")
    return tmp_path / "policies"


def replica(engine: Engine, folder: Path) -> Services:
    return Services(
        settings=Settings(playbooks_dir=folder.parent),
        engine=engine,
        sessions=make_session_factory(engine),
        policies=load_policies(folder),
        notifier=RecordingNotifier(),
    )


def dms(services: Services) -> list[tuple[str, str]]:
    assert isinstance(services.notifier, RecordingNotifier)
    return [(m.channel, m.text) for _, m in services.notifier.sent]


def test_bad_edit_keeps_the_last_good_policy_and_is_told_once(
    engine: Engine, folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    one, two = replica(engine, folder), replica(engine, folder)
    watch, other = PolicyWatch(one), PolicyWatch(two)
    good = one.policies
    approvals = folder / "approvals.yaml"
    text = approvals.read_text()
    approvals.write_text(text.replace("quorum: any", "quorum: sometimes", 1))

    with caplog.at_level(logging.ERROR, logger="bot.policy_watch"):
        assert watch.check() is False
    assert one.policies is good  # the last good policy stays in force
    assert any(r.levelno == logging.ERROR and "approvals.yaml" in r.getMessage() for r in caplog.records)
    status = readiness(one, policies=watch)
    assert status["policies"] is True and "policies/approvals.yaml:" in str(status["policy_error"])
    told = dms(one)
    assert sorted(u for u, _ in told) == admins(good) and admins(good)  # every admin, by DM
    assert all("policies/approvals.yaml" in t and "last good policy" in t for _, t in told)

    assert watch.check() is False and dms(one) == told  # unchanged folder: nothing new
    assert other.check() is False and dms(two) == []  # another replica: already told
    assert other.error is not None  # but it shows the error in its own /readyz too

    approvals.write_text(text.replace("timeout: 24h, reminder_after: 8h", "timeout: 30h, reminder_after: 8h", 1))
    assert watch.check() is True
    assert one.policies is not good and one.policies.version != good.version
    assert "policy_error" not in readiness(one, policies=watch)


def test_readyz_shows_the_note_and_stays_ready(engine: Engine, folder: Path) -> None:
    from bot.metrics import Registry

    services = replica(engine, folder)
    watch = PolicyWatch(services, first_report=lambda _: False)
    (folder / "roles.yaml").write_text("roles: [\n")
    watch.check()
    edge = Edge(None, Registry(), lambda: {"database": True, **watch.status()})
    seen: list[str] = []
    body = b"".join(edge({"REQUEST_METHOD": "GET", "PATH_INFO": "/readyz"}, lambda s, h: seen.append(s)))
    assert seen == ["200 OK"]
    detail = json.loads(body)
    assert detail["ok"] is True and detail["policies"] is True and "policies/roles.yaml" in detail["policy_error"]
    slack: list[str] = []
    edge(
        {"REQUEST_METHOD": "POST", "PATH_INFO": "/slack/events", "wsgi.input": None},
        lambda s, h: slack.append(s),
    )
    assert slack == ["404 Not Found"]  # without a Bolt app (Socket Mode) only the operations routes exist
