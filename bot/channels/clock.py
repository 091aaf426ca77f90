"""First-response clocks: when a target is reached, in calendar time (24x7 tiers) or business time (the
customer's business hours, ``sla.yaml``), and how much SLA time passed between two instants.

``deadline`` is the forward counterpart of :func:`bot.customers.sla.business_elapsed`: the instant at which
business time since ``start`` reaches ``target``. Both walk whole local days, so a clock spanning a weekend
or a daylight-saving change costs a handful of steps. Everything in and out is timezone-aware UTC.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.alerts.clock import zone
from bot.customers.sla import WEEKDAYS, business_elapsed
from bot.policies import Policies
from bot.policies.sla import BusinessHours

MAX_DAYS = 3700  # ten years of calendar days: more than any target, a bound on a bad configuration


@dataclass(frozen=True)
class Clock:
    """The SLA a conversation runs against: its target and how time counts."""

    tier: str
    priority: str
    target: dt.timedelta
    coverage: str  # 24x7 | business_hours
    timezone: str
    hours: BusinessHours

    def deadline(self, start: dt.datetime, fraction: float = 1.0) -> dt.datetime:
        span = self.target * fraction
        if self.coverage != "business_hours":
            return start + span
        return business_deadline(start, span, self.timezone, self.hours)

    def elapsed(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        if self.coverage != "business_hours":
            return max(dt.timedelta(0), end - start)
        h = self.hours
        return business_elapsed(start, end, zone(self.timezone).key, h.start, h.end, tuple(h.days))


def clock_for(policies: Policies, tier: str, priority: str, timezone: str | None) -> Clock:
    """The first-response clock of ``tier`` x ``priority`` (``UnknownPolicyKey`` for an unknown tier)."""
    target = policies.sla_target(tier, priority)
    return Clock(
        target.tier,
        target.priority,
        target.first_response,
        target.coverage,
        zone(timezone).key,
        policies.sla.business_hours,
    )


def business_deadline(start: dt.datetime, target: dt.timedelta, tz: str, hours: BusinessHours) -> dt.datetime:
    """The first instant at which business time since ``start`` reaches ``target`` (in ``tz``'s local hours).

    A message sent outside business hours starts counting when they next open; a target of zero is the
    start itself."""
    z = zone(tz)
    start = start.astimezone(dt.UTC)
    remaining = target
    if remaining <= dt.timedelta(0):
        return start
    day = start.astimezone(z).date()
    for _ in range(MAX_DAYS):
        if WEEKDAYS[day.weekday()] in hours.days:
            # Arithmetic in UTC: a local day's hours are exact even across a daylight-saving change.
            opens = dt.datetime.combine(day, hours.start, z).astimezone(dt.UTC)
            closes = dt.datetime.combine(day, hours.end, z).astimezone(dt.UTC)
            lo = max(opens, start)
            if closes > lo:
                span = closes - lo
                if span >= remaining:
                    return lo + remaining
                remaining -= span
        day += dt.timedelta(days=1)
    return start + dt.timedelta(days=MAX_DAYS)
