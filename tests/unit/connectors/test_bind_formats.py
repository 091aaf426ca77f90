"""The bulk writer's shortcuts to SQLite bind values give exactly what the columns' SQLAlchemy bind
processors give (the stored text is what later reads and comparisons see)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Date
from sqlalchemy.dialects import sqlite

from bot.store.models import UTCDateTime
from bot.sync.writer import _SQLITE_FAST, sqlite_utc_text

DIALECT = sqlite.dialect()
ZONES = st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=5, minutes=30)), ZoneInfo("America/New_York")])


def _sqlalchemy(column_type: object) -> object:
    return column_type.dialect_impl(DIALECT).bind_processor(DIALECT)  # type: ignore[attr-defined]


@given(st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=ZONES))
def test_utc_datetime_text_is_sqlalchemys(value: dt.datetime) -> None:
    assert sqlite_utc_text(value) == _sqlalchemy(UTCDateTime())(value)  # type: ignore[operator]


@given(st.dates())
def test_date_text_is_sqlalchemys(value: dt.date) -> None:
    kind, conv = _SQLITE_FAST[Date]
    assert type(value) is kind and conv(value) == _sqlalchemy(Date())(value)  # type: ignore[operator]


def test_naive_datetimes_are_refused_like_the_column_refuses_them() -> None:
    naive = dt.datetime(2025, 1, 1, 12, 0)
    with pytest.raises(ValueError, match="naive datetime"):
        _sqlalchemy(UTCDateTime())(naive)  # type: ignore[operator]
    with pytest.raises(ValueError, match="naive datetime"):
        sqlite_utc_text(naive)


def test_microseconds_are_always_written() -> None:
    assert sqlite_utc_text(dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)) == "2025-01-02 03:04:05.000000"
