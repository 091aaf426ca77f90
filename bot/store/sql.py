"""Portable SQL pieces the KPI and outcome queries need: seconds since the epoch and per-group medians.

SQLite has no interval arithmetic and no ``percentile_cont``; both backends have window functions, so
medians are taken with ROW_NUMBER/COUNT over each group (exact, one pass, no rows pulled into Python).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, and_, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import Subquery


class epoch_seconds(FunctionElement[float]):  # noqa: N801 - reads like the SQL function it compiles to
    """Seconds since 1970-01-01 UTC of a UTC timestamp column (fractional)."""

    type = Float()
    inherit_cache = True


@compiles(epoch_seconds)
def _epoch_default(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return f"EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})"


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    # UTCDateTime stores naive UTC text on SQLite; julianday() parses it. 2440587.5 is the Unix epoch's day.
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


def seconds_between(start: Any, end: Any) -> ColumnElement[float]:
    return epoch_seconds(end) - epoch_seconds(start)


def ranked(source: Subquery, key: str, value: str) -> Subquery:
    """``source`` plus each row's rank by ``value`` within its ``key`` group (``_rn``, NULLs last) and the count of
    non-NULL values in the group (``_n``): what :func:`median` needs, kept next to the other columns so one
    pass over the rows gives the median and every other aggregate."""
    k, v = source.c[key], source.c[value]
    nulls_last = case((v.is_(None), 1), else_=0)  # NULLS LAST is spelled differently (or not at all) per backend
    return select(
        *source.c,
        func.row_number().over(partition_by=k, order_by=(nulls_last, v)).label("_rn"),
        func.count(v).over(partition_by=k).label("_n"),
    ).subquery()


def median(rows: Subquery, value: str) -> ColumnElement[float]:
    """Aggregate over :func:`ranked` rows: the mean of the middle one or two values (NULL when there are none).

    Positions floor((n+1)/2) and floor((n+2)/2) are the same row for odd n and the middle two for even n.
    """
    rn, n = rows.c._rn, rows.c._n
    middle = and_(rn >= (n + 1) // 2, rn <= (n + 2) // 2, rn <= n)
    return func.avg(case((middle, rows.c[value]), else_=None))
