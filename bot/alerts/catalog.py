"""The store side of the ``events`` rule kind: which table and column each catalogued entity and field is.

``bot.policies.alerts.EVENT_FIELDS`` is the vocabulary a rule may use (validated at load, with file and line);
this module maps it to SQL. A test keeps the two in step. Derived fields (a shipment's ``days_late``) are SQL
expressions; :class:`days_between` is the one piece of date arithmetic that differs between SQLite and
PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Float, Table, and_, func, literal, not_, or_, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from bot.policies.alerts import EVENT_TIME
from bot.policies.alerts import _FieldTest as FieldTest
from bot.store.models import ContactChange, Order, Shipment, SurveyResponse, Ticket, UTCDateTime


class days_between(FunctionElement[float]):  # noqa: N801 - reads as the SQL function it compiles to
    """``(b - a)`` in days, as a float, for two UTC timestamps."""

    type = Float()
    inherit_cache = True
    name = "days_between"


@compiles(days_between, "sqlite")
def _days_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    a, b = list(element.clauses)
    return f"(julianday({compiler.process(b, **kw)}) - julianday({compiler.process(a, **kw)}))"


@compiles(days_between, "postgresql")
def _days_pg(element: days_between, compiler: Any, **kw: Any) -> str:
    a, b = list(element.clauses)
    return f"(EXTRACT(EPOCH FROM ({compiler.process(b, **kw)} - {compiler.process(a, **kw)})) / 86400.0)"


@dataclass(frozen=True)
class Entity:
    table: Table
    # Fields shown as evidence for the latest matching row, with the sensitive field (roles.yaml) each reveals.
    show: Mapping[str, str | None]
    derived: Mapping[str, Callable[[dt.datetime], ColumnElement[Any]]]

    def column(self, name: str, now: dt.datetime) -> ColumnElement[Any]:
        if name in self.derived:
            return self.derived[name](now)
        return self.table.c[name]


def _shipment_days_late(now: dt.datetime) -> ColumnElement[Any]:
    s = Shipment.__table__.c
    return days_between(s.promised_at, func.coalesce(s.delivered_at, literal(now, UTCDateTime())))


ENTITIES: dict[str, Entity] = {
    "tickets": Entity(
        Ticket.__table__,  # type: ignore[arg-type]
        {"category": None, "priority": None, "status": None, "sentiment": "sentiment"},
        {},
    ),
    "orders": Entity(
        Order.__table__,  # type: ignore[arg-type]
        {"status": None, "amount": "payment_status", "due_at": None},
        {},
    ),
    "survey_responses": Entity(
        SurveyResponse.__table__,  # type: ignore[arg-type]
        {"survey": None, "score": "sentiment"},
        {},
    ),
    "contact_changes": Entity(
        ContactChange.__table__,  # type: ignore[arg-type]
        {"role": None, "change": None, "title": None},
        {},
    ),
    "shipments": Entity(
        Shipment.__table__,  # type: ignore[arg-type]
        {"status": None, "order_external_id": None, "promised_at": None, "delivered_at": None, "days_late": None},
        {"days_late": _shipment_days_late},
    ),
}


def time_column(entity: str) -> Any:
    return ENTITIES[entity].table.c[EVENT_TIME[entity]]


def field_tests(entity: str, tests: Mapping[str, FieldTest], now: dt.datetime) -> list[ColumnElement[bool]]:
    """Each field test as a SQL predicate on the entity's table (all must hold)."""
    spec = ENTITIES[entity]
    out: list[ColumnElement[bool]] = []
    for name, test in tests.items():
        col = spec.column(name, now)
        numeric = isinstance(col.type, Float) or name in spec.derived or _is_number(col)
        if test.in_ is not None:
            out.append(col.in_([float(v) if numeric else str(v) for v in test.in_]))
        if test.not_in is not None:
            values = [float(v) if numeric else str(v) for v in test.not_in]
            out.append(or_(col.is_(None), not_(col.in_(values))))
        if test.min is not None:
            out.append(col >= test.min)
        if test.max is not None:
            out.append(col <= test.max)
        if test.is_null is not None:
            out.append(col.is_(None) if test.is_null else col.is_not(None))
        if test.within is not None:
            out.append(col >= now - test.within)
        if test.older_than is not None:
            out.append(col < now - test.older_than)
    return out


def _is_number(col: Any) -> bool:
    try:
        return col.type.python_type in (int, float)
    except NotImplementedError:  # pragma: no cover - every catalogued column has a python type
        return False


def matches(entity: str, tests: Mapping[str, FieldTest], now: dt.datetime) -> ColumnElement[bool]:
    preds = field_tests(entity, tests, now)
    return and_(*preds) if preds else true()
