"""Delivery that cannot reach Slack says so once: a pass stops after a few failures in a row (the other rows
keep their place and attempts), and ``rapport alerts deliver`` without a token refuses before any request."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from bot.alerts.delivery import STOP_AFTER, deliver_due
from bot.alerts.models import PENDING, AlertOutbox
from bot.cli import app as cli
from bot.commands.common import UserError
from bot.notify import DeliveryError, Outbound, SentRef

from .conftest import NOW, REPO


class Unreachable:
    """A notifier whose every send fails the way a missing token does (not_authed: not a permanent error)."""

    def __init__(self) -> None:
        self.calls = 0

    def send(self, message: Outbound) -> SentRef:
        self.calls += 1
        raise DeliveryError("Slack refused the message: not_authed")

    def update(self, ref: SentRef, message: Outbound) -> None:  # pragma: no cover - never reached
        raise AssertionError


def _pending(engine: Engine, due_by: Any = None) -> dict[int, int]:
    o = AlertOutbox.__table__.c
    where = [o.state == PENDING] + ([o.next_attempt_at <= due_by] if due_by is not None else [])
    with engine.connect() as conn:
        return dict(conn.execute(select(o.id, o.attempts).where(*where)).all())


def test_a_pass_stops_after_failures_in_a_row_and_says_why_once(small_book: Engine) -> None:
    before, due = _pending(small_book), _pending(small_book, NOW)
    assert len(due) > STOP_AFTER + 5
    notifier = Unreachable()
    report = deliver_due(small_book, notifier, clock=lambda: NOW)
    assert notifier.calls == STOP_AFTER and report.retried == STOP_AFTER and report.sent == 0
    assert report.stopped and "not_authed" in report.stopped and report.left == len(due) - STOP_AFTER
    after = _pending(small_book)
    assert sum(after.values()) == STOP_AFTER  # only the rows tried paid an attempt; nothing was dropped
    assert set(after) == set(before)


def test_rapport_alerts_deliver_without_a_token_says_so_once(
    small_book: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", small_book.url.render_as_string(hide_password=False))
    monkeypatch.setenv("PLAYBOOKS_DIR", str(REPO / "playbooks"))
    for var in ("SLACK_BOT_TOKEN", "SLACK_API_URL", "RAPPORT_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    connects: list[Any] = []
    real = socket.socket.connect

    def spy(self: socket.socket, address: Any) -> Any:
        connects.append(address)
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", spy)
    res = CliRunner().invoke(cli, ["alerts", "deliver"])
    assert isinstance(res.exception, UserError)
    message = str(res.exception)
    assert "SLACK_BOT_TOKEN is not set" in message and "\n" not in message
    waiting = len(_pending(small_book))
    assert f"{waiting:,} message(s)" in message
    assert not [a for a in connects if not str(a).startswith(("/", "('127.", "127."))]  # no request to slack.com
    with small_book.connect() as conn:
        tried = conn.scalar(select(func.sum(AlertOutbox.attempts)))
    assert not tried
