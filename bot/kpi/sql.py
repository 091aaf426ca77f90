"""Portable SQL pieces the KPI queries need: seconds since the epoch and per-group medians.

SQLite has no interval arithmetic and no ``percentile_cont``; both backends have window functions, so
medians are taken with ROW_NUMBER/COUNT over each group (exact, one pass, no rows pulled into Python).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, and_, func, select
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


def median_by(source: Subquery, key: str, value: str) -> Any:
    """SELECT key, median(value) FROM source GROUP BY key (NULL values ignored)."""
    k, v = source.c[key], source.c[value]
    ranked = (
        select(
            k.label("k"),
            v.label("v"),
            func.row_number().over(partition_by=k, order_by=v).label("rn"),
            func.count().over(partition_by=k).label("n"),
        )
        .where(v.is_not(None))
        .subquery()
    )
    # Rows at positions floor((n+1)/2) and floor((n+2)/2): the same row for odd n, the middle two for even n.
    lo = (ranked.c.n + 1) // 2
    hi = (ranked.c.n + 2) // 2
    return (
        select(ranked.c.k, func.avg(ranked.c.v)).where(and_(ranked.c.rn >= lo, ranked.c.rn <= hi)).group_by(ranked.c.k)
    )
