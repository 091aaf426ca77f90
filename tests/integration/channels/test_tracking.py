"""Customer messages become conversations with first-response clocks; staff replies stop them; edits,
deletions, bots and staff-only chatter start none. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import func, select

from bot.channels.models import ANSWERED, OPEN, RESOLVED, ChannelMessage, Conversation
from bot.services import Services
from bot.store.models import Note

from .conftest import NOW, Channel

M, H = dt.timedelta(minutes=1), dt.timedelta(hours=1)


def conversations(services: Services) -> list[Conversation]:
    with services.sessions() as s:
        return list(s.scalars(select(Conversation).order_by(Conversation.id)))


def test_a_customer_message_starts_a_clock_from_the_tiers_sla(
    services: Services, channel: Callable[[str], Channel]
) -> None:
    acme = channel("C0EXTACME")  # platinum, 24x7: P3 first response 2h
    ts, tracked = acme.customer("Hi, the API keys on the reporting project need rotating, can you help?", NOW)
    assert tracked.owned and tracked.started and tracked.tier == "platinum"
    (conv,) = conversations(services)
    assert (conv.priority, conv.priority_source, conv.coverage, conv.target_seconds) == ("P3", "default", "24x7", 7200)
    assert conv.started_at == NOW and conv.due_at == NOW + 2 * H and conv.nudge_at == NOW + 90 * M
    assert conv.thread_ts == ts and conv.open_key == f"C0EXTACME:{ts}" and conv.owner == "U0AMPLAT"
    assert conv.excerpt.startswith("Hi, the API keys")
    with services.sessions() as s:  # the contact feeds the inactivity rule's "contact" signal
        assert s.scalar(select(func.count()).select_from(Note).where(Note.kind == "slack")) == 1


def test_words_set_the_priority_and_a_later_message_can_raise_it(
    services: Services, channel: Callable[[str], Channel]
) -> None:
    globex = channel("C0EXTGLOBEX")  # gold, 24x7: P1 30m, P2 1h, P4 1d
    ts, _ = globex.customer("Feature request: could the export include the region?", NOW)
    (conv,) = conversations(services)
    assert (conv.priority, conv.due_at) == ("P4", NOW + dt.timedelta(days=1))
    globex.customer("Actually our production import is down since this morning", NOW + 5 * M, thread=ts)
    (conv,) = conversations(services)
    assert (conv.priority, conv.priority_source, conv.messages) == ("P1", "words", 2)
    assert conv.due_at == NOW + 30 * M  # the shorter target, from the conversation's start


def test_business_hours_clocks_count_the_customers_hours_only(
    services: Services, channel: Callable[[str], Channel]
) -> None:
    initech = channel("C0EXTINIT")  # silver, business hours 08:00-18:00 Mon-Fri, America/Chicago; P3 8h
    friday_evening = dt.datetime(2026, 3, 6, 23, 30, tzinfo=dt.UTC)  # Fri 17:30 CST: 30 min left that day
    initech.customer("Could you check why the sync skipped some contacts?", friday_evening)
    (conv,) = conversations(services)
    assert conv.coverage == "business_hours" and conv.timezone == "America/Chicago"
    # 30 min on Friday, then 7h30 from Monday 08:00, and daylight saving began on Sunday (CDT, UTC-5):
    # due Monday 15:30 CDT = 20:30 UTC; the nudge at 6h of business time, Monday 13:30 CDT = 18:30 UTC
    assert conv.due_at == dt.datetime(2026, 3, 9, 20, 30, tzinfo=dt.UTC)
    assert conv.nudge_at == dt.datetime(2026, 3, 9, 18, 30, tzinfo=dt.UTC)


def test_a_staff_reply_in_the_thread_stops_the_clock(services: Services, channel: Callable[[str], Channel]) -> None:
    acme = channel("C0EXTACME")
    ts, _ = acme.customer("Our dashboards are slow this morning, anything known?", NOW)
    _, tracked = acme.staff("Looking now, one moment", NOW + 12 * M, thread=ts)
    assert tracked.answered and tracked.reason == "answered"
    (conv,) = conversations(services)
    assert conv.state == ANSWERED and conv.first_response_at == NOW + 12 * M and conv.response_seconds == 720
    assert conv.first_response_by == "U0SUPAGT1"
    acme.customer("Thanks!", NOW + 20 * M, thread=ts)  # a follow-up joins, no second clock
    (conv,) = conversations(services)
    assert conv.state == ANSWERED and conv.messages == 2


def test_a_top_level_staff_message_answers_the_channels_waiting_conversations(
    services: Services, channel: Callable[[str], Channel]
) -> None:
    acme = channel("C0EXTACME")
    acme.customer("Question one about invoices please", NOW)
    acme.customer("Unrelated: can we add two admins?", NOW + 30 * M)  # past the 10 min group window: its own
    assert len(conversations(services)) == 2
    acme.staff("Hi both, answering below", NOW + 40 * M)
    assert [c.state for c in conversations(services)] == [ANSWERED, ANSWERED]


def test_one_members_messages_close_together_are_one_conversation(
    services: Services, channel: Callable[[str], Channel]
) -> None:
    acme = channel("C0EXTACME")
    first, _ = acme.customer("Hello team", NOW)
    acme.customer("we can't log in to the admin console since the update", NOW + 2 * M)
    (conv,) = conversations(services)
    assert conv.messages == 2 and conv.excerpt == "Hello team"
    acme.staff("Hi! Checking", NOW + 5 * M, thread=first)
    acme.customer("thanks!", NOW + 8 * M)  # just after the answer, at the top level: no new clock
    acme.customer("still seeing it on mobile", NOW + 30 * M, thread=first)  # in the thread: joins
    _, later = acme.customer("Different topic: can we add seats?", NOW + 35 * M)  # 27 min after the last top-level
    assert later.started
    first_conv, second = conversations(services)
    assert (first_conv.messages, first_conv.state) == (4, ANSWERED)
    assert second.excerpt == "Different topic: can we add seats?"


def test_staff_chatter_bots_mentions_edits_and_deletions_start_no_clock(
    services: Services, channel: Callable[[str], Channel], tracker: object
) -> None:
    acme = channel("C0EXTACME")
    _, staff = acme.staff("Team: the renewal call moved to Thursday", NOW)
    _, bot = acme.staff("Deploy finished", NOW, user="U0DEPLOYBOT", bot=True)
    _, mention = acme.staff("<@U0RAPPORTBOT> what's their SLA?", NOW, mentions_bot=True)
    _, joined = acme.customer("", NOW, subtype="channel_join")
    assert (staff.reason, bot.reason, mention.reason, joined.reason) == ("staff", "bot", "staff", "ignored")
    assert conversations(services) == []
    ts, _ = acme.customer("Can you send the invoice copy?", NOW + M)
    assert acme.tracker.edited("C0EXTACME", ts, "Can you send the invoice copy? URGENT, we're down")
    (conv,) = conversations(services)
    assert conv.priority == "P1" and conv.excerpt.startswith("Can you send the invoice copy? URGENT")
    assert acme.tracker.deleted("C0EXTACME", ts)
    (conv,) = conversations(services)
    assert conv.state == RESOLVED and conv.resolved_how == "withdrawn" and conv.open_key is None


def test_an_image_only_message_starts_a_clock_named_after_its_file(
    services: Services, channel: Callable[[str], Channel]
) -> None:
    acme = channel("C0EXTACME")
    _, tracked = acme.customer("", NOW, subtype="file_share", files=("error-screenshot.png",))
    assert tracked.started
    (conv,) = conversations(services)
    assert conv.excerpt == "(file: error-screenshot.png)" and conv.state == OPEN


def test_a_redelivered_message_is_tracked_once(services: Services, channel: Callable[[str], Channel]) -> None:
    acme = channel("C0EXTACME")
    ts, _ = acme.customer("Is the maintenance tonight confirmed?", NOW)
    from bot.channels.tracking import Posted

    again = Posted(
        "C0EXTACME", ts, "W0ACME", "Is the maintenance tonight confirmed?", team="T0ACME", home_team="T0RAPPORT"
    )
    assert acme.tracker.track(again, acme.directory).reason == "duplicate"
    with services.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ChannelMessage)) == 1
    assert len(conversations(services)) == 1


def test_unlinked_channels_are_left_alone(services: Services, channel: Callable[[str], Channel]) -> None:
    other = channel("C0SUPPORT")
    from bot.channels.tracking import Posted

    tracked = other.tracker.track(Posted("C0SUPPORT", "1.1", "U0SUPAGT1", "hello"), other.directory)
    assert (tracked.owned, tracked.reason) == (False, "not_linked")
    shared = other.tracker.track(Posted("C0NEWEXT", "1.2", "W9", "hi", team="T9", ext_shared=True), other.directory)
    assert (shared.owned, shared.reason) == (True, "not_linked")  # shared with another org: Ask stays out
