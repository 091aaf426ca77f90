"""Business-time cutoffs, quiet hours, digest times and routing decisions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.alerts.clock import business_cutoff, in_quiet_hours, next_local, quiet_until
from bot.alerts.routing import recipients_for, route
from bot.customers.sla import business_elapsed
from bot.policies import load_policies
from bot.policies.alerts import Recipients

REPO = Path(__file__).resolve().parents[3]
POLICIES = load_policies(REPO / "playbooks" / "policies")
DEFAULTS = POLICIES.alerts.defaults
OPEN, CLOSE, DAYS = dt.time(8), dt.time(18), ("mon", "tue", "wed", "thu", "fri")
ZONES = ["UTC", "America/New_York", "Asia/Tokyo", "Europe/London", "Australia/Sydney"]


@settings(max_examples=150, deadline=None)
@given(
    st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 1, 1)),
    st.integers(min_value=15, max_value=20 * 24 * 60),
    st.sampled_from(ZONES),
)
def test_business_cutoff_is_exactly_where_elapsed_business_time_reaches_the_target(
    naive: dt.datetime, minutes: int, tz: str
) -> None:
    now = naive.replace(tzinfo=dt.UTC, microsecond=0)
    target = dt.timedelta(minutes=minutes)
    cut = business_cutoff(now, target, tz, OPEN, CLOSE, DAYS)
    # Checked against the independent implementation the customer card uses.
    assert business_elapsed(cut, now, tz, OPEN, CLOSE, DAYS) == target
    assert business_elapsed(cut + dt.timedelta(minutes=1), now, tz, OPEN, CLOSE, DAYS) <= target


@pytest.mark.parametrize(
    ("local", "quiet"),
    [(dt.time(21), True), (dt.time(3), True), (dt.time(7, 29), True), (dt.time(7, 30), False), (dt.time(12), False)],
)
def test_quiet_hours_wrap_past_midnight(local: dt.time, quiet: bool) -> None:
    assert in_quiet_hours(local, dt.time(20), dt.time(7, 30)) is quiet


def test_quiet_until_and_digest_times_are_local() -> None:
    now = dt.datetime(2026, 3, 4, 3, tzinfo=dt.UTC)  # 22:00 in New York, 12:00 in Tokyo
    assert quiet_until(now, "America/New_York", dt.time(20), dt.time(7, 30)) == dt.datetime(
        2026, 3, 4, 12, 30, tzinfo=dt.UTC
    )
    assert quiet_until(now, "Asia/Tokyo", dt.time(20), dt.time(7, 30)) is None
    assert next_local(now, "Asia/Tokyo", dt.time(8, 30)) == dt.datetime(2026, 3, 4, 23, 30, tzinfo=dt.UTC)
    assert next_local(now, "America/New_York", dt.time(8, 30)) == dt.datetime(2026, 3, 4, 13, 30, tzinfo=dt.UTC)


def test_recipients_owner_channel_users_once_and_no_escalation_channel() -> None:
    spec = Recipients(owner=True, channel="C0ACCT", escalation_channel="C0ESC", users=["U0A", "U0OWNER"])
    assert recipients_for(spec, "U0OWNER") == ["U0OWNER", "C0ACCT", "U0A"]
    assert recipients_for(spec, None) == ["C0ACCT", "U0A", "U0OWNER"]


def test_urgent_immediate_digest_waits_cap_folds_into_digest() -> None:
    now = dt.datetime(2026, 3, 4, 15, tzinfo=dt.UTC)
    sent: dict[str, int] = {"U0FULL": DEFAULTS.per_recipient_daily_cap}
    tz = {"U0FULL": "UTC", "U0NY": "America/New_York"}.get
    routes = route(["U0NY", "C0CHAN", "U0FULL"], True, DEFAULTS, now, lambda u: tz(u) or "UTC", sent)
    assert [(r.recipient, r.mode, r.reason) for r in routes] == [
        ("U0NY", "immediate", "urgent"),
        ("C0CHAN", "immediate", "urgent"),
        ("U0FULL", "digest", "cap"),
    ]
    assert sent["U0NY"] == 1 and sent["U0FULL"] == DEFAULTS.per_recipient_daily_cap
    digest = route(["U0NY"], False, DEFAULTS, now, lambda u: "America/New_York", {})
    assert digest[0].mode == "digest" and digest[0].due_at == dt.datetime(2026, 3, 5, 13, 30, tzinfo=dt.UTC)


def test_urgent_waits_for_the_end_of_quiet_hours_when_bypass_is_off() -> None:
    strict = DEFAULTS.model_copy(
        update={"quiet_hours": DEFAULTS.quiet_hours.model_copy(update={"urgent_bypass": False})}
    )
    now = dt.datetime(2026, 3, 4, 3, tzinfo=dt.UTC)  # 22:00 in New York
    (r,) = route(["U0NY"], True, strict, now, lambda u: "America/New_York", {})
    assert (r.mode, r.reason, r.due_at) == ("immediate", "quiet_hours", dt.datetime(2026, 3, 4, 12, 30, tzinfo=dt.UTC))
    (c,) = route(["C0CHAN"], True, strict, now, lambda u: "America/New_York", {})
    assert c.due_at == now  # channels have no quiet hours
