"""Dates as answers say them: "4 Jan 2027" (a record's renewal, a shipment's promise, a request's day), and the
past window a question names ("this week", "last quarter", "the last 30 days")."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

WINDOW = re.compile(
    r"\b(?P<day>today|yesterday)\b|\b(?P<which>this|last|past) (?P<unit>week|month|quarter|year)\b"
    r"|\b(?:last|past) (?P<n>\d+) (?P<units>days?|weeks?|months?|quarters?|years?)\b",
    re.I,
)
# A span of no length ("in the last 0 days", "within the next 0 weeks"): said back, never read as a window (the
# list it bounds would be empty, or everyone's).
EMPTY_SPAN = re.compile(
    r"\b(?:last|past|next|coming|in|for|within|over|since) (?:the )?(?:last |past |next )?0+ "
    r"(?:days?|weeks?|months?|quarters?|years?)\b",
    re.I,
)
DAYS = {"day": 1, "week": 7, "month": 30, "quarter": 91, "year": 365}  # a unit as a count of days ("the last 2 weeks")
# The longest window read, back or ahead: the record keeps no older history and no later renewal, and a longer
# span ("the last 99999 days") would only overflow the date; the answer says the window it read.
LONGEST_YEARS = 10
# a count said in words as questions say it ("the next two weeks", "open a day")
COUNT_WORDS = {"a": 1, "an": 1} | {
    w: i for i, w in enumerate("one two three four five six seven eight nine ten".split(), 1)
}


def counted_span(n: int, unit: str, way: str) -> tuple[int, str]:
    """The days of ``n`` units back or ahead (``way``: "last" or "next"), at most :data:`LONGEST_YEARS`, and the
    window as the answer says it ("in the last 2 years"; a longer one is said to be cut)."""
    asked = f"the {way} {n} {unit}{'s' if n != 1 else ''}"
    if n * DAYS[unit] > LONGEST_YEARS * DAYS["year"]:
        said = f"in the {way} {LONGEST_YEARS} years (the longest window I read; you asked for {asked})"
        return LONGEST_YEARS * DAYS["year"], said
    return n * DAYS[unit], f"in {asked}"


def counted(said: str) -> int:
    """The number a count said in digits or words stands for: "3", "three", "a"."""
    return int(said) if said.isdigit() else COUNT_WORDS[said.lower()]


def day(value: dt.date) -> str:
    """The day of a date (or of a datetime, its time left out): "4 Jan 2027"."""
    return f"{value.day} {value:%b %Y}"


Window = tuple[dt.datetime, dt.datetime | None, str]  # (start, end excluded or None for up to now, as said)


def named_window(question: str, now: dt.datetime) -> Window | None:
    """The past window the question names ("what changed on X this week?"), None when it names none."""
    return past_window(question, now, 0) if WINDOW.search(question) else None


def latest_window(questions: Sequence[str], now: dt.datetime, default_days: int) -> Window:
    """The past window of a thread's chain of questions (the question last): the latest one that names a window
    ("how did renewals go last quarter?" then "which customers churned?": last quarter), else the default."""
    said = next((q for q in reversed(questions) if WINDOW.search(q)), questions[-1])
    return past_window(said, now, default_days)


def past_window(question: str, now: dt.datetime, default_days: int) -> Window:
    """The days before ``now`` a question about the past names (in ``now``'s zone): today, yesterday, this or last
    week, month, quarter or year (calendar ones), the past week, month, quarter or year (the days up to now), the
    last N days, weeks or months; the last ``default_days`` days when it names none. (start, end, the window as
    the answer says it); the end is excluded, None for a window up to now."""
    today = dt.datetime.combine(now.date(), dt.time(), tzinfo=now.tzinfo)
    m = WINDOW.search(question)
    if m is None:
        return now - dt.timedelta(days=default_days), None, f"in the last {default_days} days"
    if m["day"]:
        if m["day"].lower() == "today":
            return today, None, "today"
        return today - dt.timedelta(days=1), today, f"yesterday ({day(today - dt.timedelta(days=1))})"
    if m["n"]:
        days, said = counted_span(int(m["n"]), m["units"].lower().rstrip("s"), "last")
        return now - dt.timedelta(days=days), None, said
    unit, which = m["unit"].lower(), m["which"].lower()
    if which == "past":  # "in the past week": the days up to now, not the calendar week before this one
        days = DAYS[unit]
        return now - dt.timedelta(days=days), None, f"in the last {days} days"
    start, end = _calendar(today, unit, last=which == "last")
    return start, end, f"{which} {unit} ({_span(unit, start, end)})"


def _calendar(today: dt.datetime, unit: str, last: bool) -> tuple[dt.datetime, dt.datetime | None]:
    """The calendar week (from Monday), month, quarter or year ``today`` is in, or the one before it."""
    if unit == "week":
        start = today - dt.timedelta(days=today.weekday())
        return (start - dt.timedelta(days=7), start) if last else (start, None)
    months = {"month": 1, "quarter": 3, "year": 12}[unit]
    first = today.replace(month=(today.month - 1) // months * months + 1, day=1)
    if not last:
        return first, None
    index = first.year * 12 + first.month - 1 - months
    return first.replace(year=index // 12, month=index % 12 + 1), first


def _span(unit: str, start: dt.datetime, end: dt.datetime | None) -> str:
    """ "since 30 Nov 2026" (this week), "23 Nov 2026 to 29 Nov 2026" (last week), "December 2026", "Q4 2026",
    "2026"."""
    if unit == "week":
        return f"since {day(start)}" if end is None else f"{day(start)} to {day(end - dt.timedelta(days=1))}"
    return period_name(unit, start)


def period_name(unit: str, when: dt.date) -> str:
    """The calendar month, quarter or year ``when`` falls in, as said: "December 2026", "Q4 2026", "2026"."""
    if unit == "month":
        return f"{when:%B %Y}"
    if unit == "quarter":
        return f"Q{(when.month - 1) // 3 + 1} {when.year}"
    return str(when.year)
