"""Outbox delivery against the local Slack double: once each, digests, crashes, 429s, permanent failures."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, func, select

from bot.alerts.delivery import LEASE, DeliveryReport, deliver_due
from bot.alerts.digest import build_digests
from bot.alerts.models import FAILED, SENT, AlertNotification, AlertOutbox
from bot.notify import Outbound, SentRef
from bot.policies import Policies
from bot.slack.notifier import SlackNotifier
from slackdouble import SlackDouble

from .conftest import NOW


def markers(double: SlackDouble, channels: list[str]) -> Counter[str]:
    seen: Counter[str] = Counter()
    for ch in channels:
        for msg in double.messages(ch):
            blocks = msg.get("blocks") or []
            if blocks and str(blocks[0].get("block_id", "")).startswith("rapport-outbox-"):
                seen[blocks[0]["block_id"]] += 1
    return seen


def all_channels(double: SlackDouble, policies: Policies) -> list[str]:
    return [c.id for c in policies.channels.channels] + [double.im_channel(s.id) for s in policies.roles.staff]


def outbox_states(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {s: int(n) for s, n in conn.execute(select(AlertOutbox.state, func.count()).group_by(AlertOutbox.state))}


def real_clock(shift: list[dt.timedelta]) -> Callable[[], dt.datetime]:
    return lambda: dt.datetime.now(dt.UTC) + shift[0]


def test_each_message_once_then_digests_grouped_at_local_morning(
    small_book: Engine, double: SlackDouble, slack: tuple[SlackNotifier, SlackNotifier], policies: Policies
) -> None:
    notifier, lookup = slack
    report = deliver_due(small_book, notifier, lookup)
    states = outbox_states(small_book)
    assert report.sent == states[SENT] > 0 and set(states) == {SENT}
    # Digests: nothing before the recipients' mornings, everything once afterwards.
    assert build_digests(small_book, NOW) == 0
    parts = build_digests(small_book, NOW + dt.timedelta(days=1, hours=1))
    assert parts > 0
    deliver_due(small_book, notifier, lookup)
    assert set(outbox_states(small_book)) == {SENT}
    with small_book.connect() as conn:
        pending = conn.scalar(
            select(func.count()).where(AlertNotification.mode == "digest", AlertNotification.outbox_id.is_(None))
        )
        total = conn.scalar(select(func.count()).select_from(AlertOutbox))
    assert pending == 0
    seen = markers(double, all_channels(double, policies))
    assert len(seen) == total and set(seen.values()) == {1}


class CrashAfterSend:
    """Posts for real, then dies before the caller can record it (kill -9 between send and mark)."""

    def __init__(self, inner: SlackNotifier, after: int, before_send: bool = False) -> None:
        self.inner, self.left, self.before_send = inner, after, before_send

    def send(self, message: Outbound) -> SentRef:
        self.left -= 1
        if self.left < 0 and self.before_send:
            raise SystemExit("killed before send")
        ref = self.inner.send(message)
        if self.left < 0:
            raise SystemExit("killed after send")
        return ref

    def update(self, ref: SentRef, message: Outbound) -> None:
        self.inner.update(ref, message)


@pytest.mark.parametrize("before_send", [False, True], ids=["after-send", "before-send"])
def test_a_crash_mid_delivery_neither_drops_nor_duplicates(
    small_book: Engine,
    double: SlackDouble,
    slack: tuple[SlackNotifier, SlackNotifier],
    policies: Policies,
    before_send: bool,
) -> None:
    notifier, lookup = slack
    shift = [dt.timedelta(0)]
    with pytest.raises(SystemExit):
        deliver_due(small_book, CrashAfterSend(notifier, after=3, before_send=before_send), lookup, real_clock(shift))
    assert outbox_states(small_book).get("sending") == 1
    # Restart inside the lease: the stuck row is left alone (its worker may still be alive).
    deliver_due(small_book, notifier, lookup, real_clock(shift))
    assert outbox_states(small_book).get("sending") == 1
    shift[0] = LEASE + dt.timedelta(seconds=1)
    report: DeliveryReport = deliver_due(small_book, notifier, lookup, real_clock(shift))
    assert (report.reconciled, report.requeued) == ((0, 1) if before_send else (1, 0))
    assert set(outbox_states(small_book)) == {SENT}
    with small_book.connect() as conn:
        total = conn.scalar(select(func.count()).select_from(AlertOutbox))
    seen = markers(double, all_channels(double, policies))
    assert len(seen) == total and set(seen.values()) == {1}


def test_rate_limits_are_honoured_and_permanent_failures_are_visible(
    small_book: Engine, double: SlackDouble, slack: tuple[SlackNotifier, SlackNotifier], policies: Policies
) -> None:
    notifier, lookup = slack
    with double.lock:  # the service-alerts channel disappears: channel_not_found is permanent
        del double.workspace.channels["C0SVCALRT"]
    double.fail_next("chat.postMessage", status=429, retry_after=1, times=2)
    report = deliver_due(small_book, notifier, lookup)
    assert report.failed > 0 and report.sent > 0
    with small_book.connect() as conn:
        failed = conn.execute(
            select(AlertOutbox.recipient, AlertOutbox.last_error).where(AlertOutbox.state == FAILED)
        ).all()
    assert {r for r, _ in failed} == {"C0SVCALRT"} and all("channel_not_found" in (e or "") for _, e in failed)
    assert len(double.calls_for("chat.postMessage")) >= report.sent + 2  # the two 429s were retried


def test_transient_errors_back_off_then_succeed(small_book: Engine, slack: tuple[SlackNotifier, SlackNotifier]) -> None:
    notifier, lookup = slack

    class Flaky:
        calls = 0

        def send(self, message: Outbound) -> SentRef:
            Flaky.calls += 1
            if Flaky.calls == 1:
                raise ConnectionError("reset by peer")
            return notifier.send(message)

        def update(self, ref: SentRef, message: Outbound) -> None:
            notifier.update(ref, message)

    shift = [dt.timedelta(0)]
    first = deliver_due(small_book, Flaky(), lookup, real_clock(shift))
    assert first.retried == 1 and outbox_states(small_book).get("pending") == 1
    assert deliver_due(small_book, notifier, lookup, real_clock(shift)).sent == 0  # still backing off
    shift[0] = dt.timedelta(minutes=1)
    assert deliver_due(small_book, notifier, lookup, real_clock(shift)).sent == 1
    assert set(outbox_states(small_book)) == {SENT}
