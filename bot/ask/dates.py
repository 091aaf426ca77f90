"""Dates as answers say them: "4 Jan 2027" (a record's renewal, a shipment's promise, a request's day)."""

from __future__ import annotations

import datetime as dt


def day(value: dt.date) -> str:
    """The day of a date (or of a datetime, its time left out): "4 Jan 2027"."""
    return f"{value.day} {value:%b %Y}"
