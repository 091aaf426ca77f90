"""Pure pieces of the channels feature: business-hours deadlines (against the elapsed-time function they
invert), inert excerpts, priority words, the rate limiter, who a Slack profile is."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.clock import business_deadline, clock_for
from bot.channels.people import BOT, CUSTOMER, STAFF, from_profile
from bot.channels.text import higher, plain, priority_said, words_priority
from bot.channels.tracking import RateLimiter, ts_time
from bot.customers.sla import business_elapsed
from bot.policies import load_policies
from bot.policies.sla import BusinessHours

REPO = Path(__file__).resolve().parents[3]
POLICIES = load_policies(REPO / "playbooks" / "policies")
HOURS = POLICIES.sla.business_hours
ZONES = ["America/New_York", "Europe/Berlin", "Asia/Tokyo", "Australia/Sydney", "America/Sao_Paulo", "UTC"]


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(
        min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 12, 31), timezones=st.just(dt.UTC)
    ),
    minutes=st.integers(min_value=1, max_value=60 * 24 * 6),
    tz=st.sampled_from(ZONES),
)
def test_a_deadline_is_exactly_the_target_of_business_time_later(start: dt.datetime, minutes: int, tz: str) -> None:
    target = dt.timedelta(minutes=minutes)
    due = business_deadline(start, target, tz, HOURS)
    assert due > start
    assert business_elapsed(start, due, tz, HOURS.start, HOURS.end, tuple(HOURS.days)) == target
    # and not a moment earlier: one minute before, less than the target has passed
    before = business_elapsed(start, due - dt.timedelta(minutes=1), tz, HOURS.start, HOURS.end, tuple(HOURS.days))
    assert before < target


def test_deadlines_over_a_weekend_and_outside_hours() -> None:
    berlin_friday_17 = dt.datetime(2026, 3, 6, 16, 0, tzinfo=dt.UTC)  # 17:00 CET
    due = business_deadline(berlin_friday_17, dt.timedelta(hours=4), "Europe/Berlin", HOURS)
    assert due == dt.datetime(2026, 3, 9, 10, 0, tzinfo=dt.UTC)  # 1h Friday + 3h Monday from 08:00 CET
    saturday = dt.datetime(2026, 3, 7, 12, 0, tzinfo=dt.UTC)
    assert business_deadline(saturday, dt.timedelta(minutes=30), "Europe/Berlin", HOURS) == dt.datetime(
        2026, 3, 9, 7, 30, tzinfo=dt.UTC
    )
    weekend = BusinessHours(start=dt.time(9), end=dt.time(17), days=["sat"], timezone="customer")
    assert business_deadline(berlin_friday_17, dt.timedelta(hours=1), "UTC", weekend) == dt.datetime(
        2026, 3, 7, 10, 0, tzinfo=dt.UTC
    )


def test_clocks_follow_the_tiers_coverage() -> None:
    platinum = clock_for(POLICIES, "platinum", "P1", "Asia/Tokyo")
    assert (platinum.coverage, platinum.target) == ("24x7", dt.timedelta(minutes=15))
    start = dt.datetime(2026, 3, 7, 3, 0, tzinfo=dt.UTC)  # a Saturday
    assert platinum.deadline(start) == start + dt.timedelta(minutes=15)
    assert platinum.deadline(start, 0.75) == start + dt.timedelta(minutes=11, seconds=15)
    silver = clock_for(POLICIES, "silver", "P2", "no/such_zone")  # an unknown zone counts in UTC
    assert (silver.coverage, silver.timezone, silver.target) == ("business_hours", "UTC", dt.timedelta(hours=4))
    assert silver.elapsed(start, start + dt.timedelta(days=1)) == dt.timedelta(0)  # the weekend


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("<!channel> the invoice is wrong", "@channel the invoice is wrong"),
        ("see <https://evil.example|the signed contract>", "see the signed contract (https://evil.example)"),
        ("ping <@U123|dana> and <!subteam^S0SUP|@support>", "ping @dana and @@support"),
        ("a &lt;script&gt; tag &amp; more", "a ‹script› tag & more"),
        ("raw <tag> and >quote", "raw ‹tag› and ›quote"),
        ("  many\n\nlines\tand   spaces ", "many lines and spaces"),
    ],
)
def test_excerpts_are_plain_and_inert(text: str, shown: str) -> None:
    out = plain(text)
    assert out == shown and "<" not in out and ">" not in out


@given(st.text(max_size=400))
def test_no_text_becomes_live_markup(text: str) -> None:
    out = plain(text, 120)
    assert "<" not in out and ">" not in out and len(out) <= 120


def test_priority_words_pick_the_most_urgent() -> None:
    words = POLICIES.channels.customer_channels.priority_words
    assert words_priority("Our checkout is DOWN since 9am", words) == "P1"
    assert words_priority("the export fails with an error", words) == "P2"
    assert words_priority("Feature request: dark mode", words) == "P4"
    assert words_priority("Downloads are slow", words) is None  # "down" is a word, not a prefix
    assert words_priority("how do I export? it's down!", words) == "P1"
    assert higher("P3", "P1") == "P1" and higher("P2", "P4") == "P2"
    # and the phrase that said it, which Ask quotes ("what priority is that?")
    assert priority_said("the export fails with an error", words) == ("P2", "fails")
    assert priority_said("a security incident, urgent", words) == ("P1", "urgent")
    assert priority_said("Downloads are slow", words) is None


def test_the_rate_limiter_counts_a_sliding_minute_per_member_and_channel() -> None:
    limiter = RateLimiter(3)
    assert [limiter.allow(("C1", "W1"), t) for t in (0, 1, 2, 3)] == [True, True, True, False]
    assert limiter.allow(("C1", "W2"), 3) and limiter.allow(("C2", "W1"), 3)
    assert limiter.allow(("C1", "W1"), 60.5)  # the first one left the window


def test_slack_timestamps_are_utc() -> None:
    assert ts_time("1772636400.000100") == dt.datetime(2026, 3, 4, 15, 0, 0, 100, tzinfo=dt.UTC)


def test_who_a_profile_is() -> None:
    home = "T0US"
    assert from_profile({"id": "U1", "team_id": home}, home).kind == STAFF
    assert from_profile({"id": "U2", "team_id": home, "is_restricted": True}, home).kind == CUSTOMER  # a guest
    ext = from_profile({"id": "W3", "team_id": "T0THEM", "profile": {"email": "Pat@Acme.COM"}}, home)
    assert (ext.kind, ext.email_domain) == (CUSTOMER, "acme.com")
    assert from_profile({"id": "B4", "team_id": home, "is_bot": True}, home).kind == BOT
