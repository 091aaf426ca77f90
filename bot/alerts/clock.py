"""Time arithmetic the rules and routing need: business-time cutoffs, quiet hours, local schedules.

All inputs and outputs are timezone-aware UTC datetimes; local time only exists inside these functions.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def zone(name: str | None) -> ZoneInfo:
    """The zone for ``name``; unknown or empty names fall back to UTC rather than failing an evaluation."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def business_cutoff(
    now: dt.datetime, target: dt.timedelta, tz: str, open_h: dt.time, close_h: dt.time, days: tuple[str, ...]
) -> dt.datetime:
    """The latest instant ``t`` such that business time between ``t`` and ``now`` is at least ``target``.

    A ticket opened before the cutoff has used up its business-hours target. The cutoff depends only on
    (time zone, target), never on the ticket, which is what lets the SLA rules stay one SQL predicate:
    ``opened_at < cutoff(tz, tier, priority)``.
    """
    z = zone(tz)
    remaining = target
    local = now.astimezone(z)
    day = local.date()
    for _ in range(3700):  # ten years of calendar days is more than any SLA target
        if WEEKDAYS[day.weekday()] in days:
            o = dt.datetime.combine(day, open_h, z)
            c = dt.datetime.combine(day, close_h, z)
            hi = min(c, local)
            if hi > o:
                span = hi - o
                if span >= remaining:
                    return (hi - remaining).astimezone(dt.UTC)
                remaining -= span
        day -= dt.timedelta(days=1)
    return (now - dt.timedelta(days=3700)).astimezone(dt.UTC)


def in_quiet_hours(local: dt.time, start: dt.time, end: dt.time) -> bool:
    """Whether ``local`` falls in [start, end); the window may wrap past midnight (20:00-07:30)."""
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def next_local(now: dt.datetime, tz: str, at: dt.time, *, inclusive: bool = True) -> dt.datetime:
    """The next instant (UTC) at which the wall clock in ``tz`` shows ``at`` (today if not yet past)."""
    z = zone(tz)
    local = now.astimezone(z)
    candidate = dt.datetime.combine(local.date(), at, z)
    if candidate < local or (candidate == local and not inclusive):
        candidate = dt.datetime.combine(local.date() + dt.timedelta(days=1), at, z)
    return candidate.astimezone(dt.UTC)


def quiet_until(now: dt.datetime, tz: str, start: dt.time, end: dt.time) -> dt.datetime | None:
    """If ``now`` is inside the recipient's quiet hours, when they end (UTC); otherwise None."""
    local = now.astimezone(zone(tz))
    if not in_quiet_hours(local.time(), start, end):
        return None
    return next_local(now, tz, end)
