"""Business-time cutoffs, quiet hours, digest times and routing decisions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.alerts.clock import business_cutoff, in_quiet_hours, next_local, quiet_until
from bot.alerts.routing import Candidate, on_duty_member, plan, recipients_for
from bot.customers.sla import business_elapsed
from bot.policies import load_policies
from bot.policies.alerts import Recipients

REPO = Path(__file__).resolve().parents[3]
POLICIES = load_policies(REPO / "playbooks" / "policies")
DEFAULTS = POLICIES.alerts.defaults
RANKING = POLICIES.alerts.ranking
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


def test_recipients_owner_else_on_duty_then_channel_then_users_once() -> None:
    spec = Recipients(owner=True, channel="C0ACCT", escalation_channel="C0ESC", users=["U0A", "U0OWNER"])
    assert recipients_for(spec, "U0OWNER") == ["U0OWNER", "C0ACCT", "U0A"]
    assert recipients_for(spec, None, "U0DUTY") == ["U0DUTY", "C0ACCT", "U0A", "U0OWNER"]
    assert recipients_for(spec, None) == ["C0ACCT", "U0A", "U0OWNER"]
    assert recipients_for(Recipients(owner=False, channel="C0X"), "U0OWNER", "U0DUTY") == ["C0X"]


def test_a_group_on_duty_falls_to_one_member_by_customer() -> None:
    members = ["U0C", "U0A", "U0B"]
    picked = {on_duty_member("S0GRP", members, cid) for cid in range(30)}
    assert picked == set(members)  # the group shares the load
    assert on_duty_member("S0GRP", members, 7) == on_duty_member("S0GRP", members, 7) == "U0B"
    assert on_duty_member("U0ONE", [], 7) == "U0ONE" and on_duty_member(None, [], 7) is None


NOW = dt.datetime(2026, 3, 4, 15, tzinfo=dt.UTC)  # 10:00 in New York, 00:00 in Tokyo
TZ = {"U0NY": "America/New_York", "U0TOKYO": "Asia/Tokyo"}.get


def cand(i: int, customer: int, tier: str, priority: float, to: str = "U0NY", urgent: bool = True) -> Candidate:
    return Candidate(i, customer, tier, urgent, priority, (to,))


def decide(cands: list[Candidate], sent: dict[str, int] | None = None) -> dict[int, tuple[str, str]]:
    out = plan(cands, RANKING, DEFAULTS, NOW, lambda u: TZ(u) or "UTC", sent if sent is not None else {})
    return {d.alert_id: (d.route.mode, d.route.reason) for d in out}


def test_bands_decide_what_interrupts() -> None:
    page, notify, low = RANKING.bands[0], RANKING.bands[1], RANKING.bands[-1]
    got = decide(
        [
            cand(1, 10, "silver", page.min_score + 1),
            cand(2, 11, "silver", notify.min_score),
            cand(3, 12, "bronze", low.min_score),
            cand(4, 13, "silver", page.min_score + 1, urgent=False),
        ]
    )
    assert got == {
        1: ("immediate", "page"),
        2: ("immediate", "notify"),
        3: ("digest", "band"),
        4: ("digest", "digest"),
    }


def test_a_lower_band_never_uses_up_what_a_higher_band_needs() -> None:
    notify = RANKING.bands[1]
    sent = {"U0NY": notify.interrupt_cap}  # a day of silver breaches already used the notify band's share
    got = decide(
        [cand(1, 10, "silver", notify.min_score + 0.5), cand(2, 11, "silver", RANKING.bands[0].min_score)], sent
    )
    assert got == {1: ("digest", "cap"), 2: ("immediate", "page")}
    assert sent["U0NY"] == notify.interrupt_cap + 1


def test_platinum_and_gold_urgent_alerts_are_never_deferred() -> None:
    full = {"U0NY": RANKING.bands[0].interrupt_cap}
    got = decide([cand(1, 10, "gold", 20.0), cand(2, 11, "silver", 20.0)], full)
    assert got == {1: ("immediate", "never_defer"), 2: ("digest", "cap")}


def test_highest_value_first_when_the_cap_runs_out() -> None:
    notify = RANKING.bands[1]
    sent = {"U0NY": notify.interrupt_cap - 1}  # one interruption left for the notify band
    got = decide([cand(1, 10, "silver", notify.min_score), cand(2, 11, "silver", notify.min_score + 2)], sent)
    assert got == {1: ("digest", "cap"), 2: ("immediate", "notify")}


def test_one_customers_signals_travel_together() -> None:
    out = plan(
        [cand(1, 10, "gold", 30.0), cand(2, 10, "gold", 5.0, urgent=False), cand(3, 10, "gold", 12.0)],
        RANKING,
        DEFAULTS,
        NOW,
        lambda u: "America/New_York",
        sent := dict[str, int](),
    )
    assert {d.route for d in out} == {out[0].route} and out[0].route.mode == "immediate"
    assert sent == {"U0NY": 1}  # one roll-up, one interruption


def test_quiet_hours_hold_lower_bands_but_not_the_top_one_or_channels() -> None:
    notify = RANKING.bands[1]
    got = plan(
        [
            cand(1, 10, "silver", notify.min_score, to="U0TOKYO"),
            cand(2, 11, "gold", 30.0, to="U0TOKYO"),
            cand(3, 12, "silver", notify.min_score, to="C0CHAN"),
        ],
        RANKING,
        DEFAULTS,
        NOW,
        lambda u: TZ(u) or "UTC",
        {},
    )
    by = {d.alert_id: d.route for d in got}
    assert (
        by[1].mode == "immediate"
        and by[1].reason == "quiet_hours"
        and by[1].due_at == dt.datetime(2026, 3, 4, 22, 30, tzinfo=dt.UTC)
    )  # 07:30 in Tokyo
    assert (by[2].reason, by[2].due_at) == ("page", NOW)
    assert (by[3].reason, by[3].due_at) == ("notify", NOW)


def test_non_urgent_alerts_wait_for_the_local_morning_digest() -> None:
    (d,) = plan([cand(1, 10, "gold", 50.0, urgent=False)], RANKING, DEFAULTS, NOW, lambda u: "America/New_York", {})
    assert (d.route.mode, d.route.due_at) == ("digest", dt.datetime(2026, 3, 5, 13, 30, tzinfo=dt.UTC))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 8),  # customer
            st.sampled_from(["platinum", "gold", "silver", "bronze"]),
            st.floats(0, 80),
            st.booleans(),
            st.sampled_from(["U0NY", "U0TOKYO", "C0CHAN"]),
        ),
        max_size=40,
    ),
    st.dictionaries(st.sampled_from(["U0NY", "U0TOKYO", "C0CHAN"]), st.integers(0, 20)),
)
def test_routing_invariants(items: list[tuple[int, str, float, bool, str]], start: dict[str, int]) -> None:
    cands = [cand(i, c, t, p, to, u) for i, (c, t, p, u, to) in enumerate(items)]
    sent = dict(start)
    out = plan(cands, RANKING, DEFAULTS, NOW, lambda u: TZ(u) or "UTC", sent)
    assert sorted(d.alert_id for d in out) == [c.alert_id for c in cands]  # one decision each (one recipient)
    by = {d.alert_id: d.route for d in out}
    cap = RANKING.bands[0].interrupt_cap
    for c in cands:
        r = by[c.alert_id]
        if c.urgent and c.tier in RANKING.never_defer_tiers:
            assert r.mode == "immediate"  # never deferred
        if r.mode == "immediate" and not any(
            x.urgent for x in cands if (x.customer_id, x.recipients) == (c.customer_id, c.recipients)
        ):
            raise AssertionError("a roll-up without an urgent alert interrupted")
    for who in {c.recipients[0] for c in cands}:
        rollups = {c.customer_id for c in cands if c.recipients[0] == who and by[c.alert_id].mode == "immediate"}
        assert sent.get(who, 0) == start.get(who, 0) + len(rollups)
        forced = {
            c.customer_id for c in cands if c.recipients[0] == who and c.urgent and c.tier in RANKING.never_defer_tiers
        }
        # Past the cap only never-deferred roll-ups interrupt.
        assert len(rollups - forced) <= max(0, cap - start.get(who, 0))


def test_with_bypass_off_even_the_top_band_waits_for_the_morning_but_channels_do_not() -> None:
    strict = DEFAULTS.model_copy(
        update={"quiet_hours": DEFAULTS.quiet_hours.model_copy(update={"urgent_bypass": False})}
    )
    out = plan(
        [cand(1, 10, "gold", 30.0, to="U0TOKYO"), cand(2, 11, "gold", 30.0, to="C0CHAN")],
        RANKING,
        strict,
        NOW,
        lambda u: TZ(u) or "UTC",
        {},
    )
    by = {d.alert_id: d.route for d in out}
    assert (by[1].reason, by[1].due_at) == ("quiet_hours", dt.datetime(2026, 3, 4, 22, 30, tzinfo=dt.UTC))
    assert by[2].due_at == NOW
