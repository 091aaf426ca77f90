"""SLA clocks: how much of a ticket's target has elapsed, in calendar or business time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

from bot.policies import Policies

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class SlaClock:
    ticket_id: int
    priority: str
    milestone: str  # "first response" | "resolution"
    target: dt.timedelta
    elapsed: dt.timedelta
    state: str  # ok | at_risk | breached
    coverage: str  # 24x7 | business_hours

    @property
    def remaining(self) -> dt.timedelta:
        return self.target - self.elapsed


@cache
def _zone(tz: str) -> ZoneInfo:
    # ZoneInfo keeps only its 8 latest zones alive: clocks for a whole book across dozens of zones re-read the tz
    # files on every ticket (half the time of "is anyone breaching?" at 100k customers)
    return ZoneInfo(tz)


def business_elapsed(
    start: dt.datetime, end: dt.datetime, tz: str, open_h: dt.time, close_h: dt.time, days: tuple[str, ...]
) -> dt.timedelta:
    """Time between start and end that falls inside business hours in ``tz``."""
    if end <= start:
        return dt.timedelta(0)
    zone = _zone(tz)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    total = dt.timedelta(0)
    day = local_start.date()
    while day <= local_end.date():
        if WEEKDAYS[day.weekday()] in days:
            o = dt.datetime.combine(day, open_h, zone)
            c = dt.datetime.combine(day, close_h, zone)
            lo, hi = max(o, local_start), min(c, local_end)
            if hi > lo:
                total += hi - lo
        day += dt.timedelta(days=1)
    return total


def sla_clock(
    policies: Policies,
    tier: str,
    customer_tz: str,
    ticket_id: int,
    priority: str,
    opened_at: dt.datetime,
    first_response_at: dt.datetime | None,
    now: dt.datetime,
) -> SlaClock:
    """The clock that matters now: first response until answered, then resolution."""
    target = policies.sla_target(tier, priority)
    if first_response_at is None:
        milestone, goal = "first response", target.first_response
    else:
        milestone, goal = "resolution", target.resolution
    elapsed = clock_elapsed(policies, target.coverage, customer_tz, opened_at, now)
    state = "breached" if elapsed > goal else "at_risk" if elapsed > goal * 0.75 else "ok"
    return SlaClock(ticket_id, target.priority, milestone, goal, elapsed, state, target.coverage)


def clock_elapsed(
    policies: Policies, coverage: str, tz: str | None, start: dt.datetime, end: dt.datetime
) -> dt.timedelta:
    """Time on an SLA clock between ``start`` and ``end``: business time for a business-hours tier (in the
    customer's zone, UTC when unknown), calendar time for a 24x7 one."""
    if coverage != "business_hours":
        return end - start
    bh = policies.sla.business_hours
    return business_elapsed(start, end, tz or "UTC", _time(bh.start), _time(bh.end), tuple(bh.days))


def _time(value: object) -> dt.time:
    if isinstance(value, dt.time):
        return value
    h, m = str(value).split(":")
    return dt.time(int(h), int(m))


def human(delta: dt.timedelta) -> str:
    """'1d 4h', '3h 20m', '12m' for cards and answers."""
    minutes = int(abs(delta.total_seconds()) // 60)
    d, rem = divmod(minutes, 1440)
    h, m = divmod(rem, 60)
    sign = "-" if delta.total_seconds() < 0 else ""
    if d:
        return f"{sign}{d}d {h}h" if h else f"{sign}{d}d"
    if h:
        return f"{sign}{h}h {m}m" if m else f"{sign}{h}h"
    return f"{sign}{m}m"
