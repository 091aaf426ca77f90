"""When a sync cursor is a time, and whether it lies in the future.

Cursors are opaque to the sync service, but most are times: ISO timestamps (file and SQL sources,
helpdesk organisations) or ``t:<epoch seconds>`` (the helpdesk ticket export's fallback). A cursor
in the future is harmful: every incremental run then skips the real changes dated before it. So
a batch's cursor beyond the clock-skew allowance is never saved, and one already stored is shown
as a problem. Cursors that are not times (a vendor's ``c:`` token, an integer sequence) are left
alone.
"""

from __future__ import annotations

import datetime as dt

from connectors.records import FUTURE_TOLERANCE

SKEW = FUTURE_TOLERANCE  # the same allowance the records' "in the future" check gives


def as_time(cursor: str | None) -> dt.datetime | None:
    """The time a cursor stands for, or None when it is not one."""
    if not cursor:
        return None
    text = cursor.strip()
    if text.startswith("t:") and text[2:].isdigit():
        try:
            return dt.datetime.fromtimestamp(int(text[2:]), dt.UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if "-" not in text[:11]:  # "20991231" could be a date or a sequence number: not a time here
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def ahead(cursor: str | None, now: dt.datetime | None = None) -> dt.timedelta | None:
    """How far beyond now plus the allowance a time cursor lies; None when it does not."""
    when = as_time(cursor)
    if when is None:
        return None
    now = now or dt.datetime.now(dt.UTC)
    return when - now if when > now + SKEW else None


def human(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds >= 2 * 86400:
        return f"{seconds // 86400:,} days"
    if seconds >= 2 * 3600:
        return f"{seconds // 3600} hours"
    return f"{max(seconds // 60, 1)} minutes"
