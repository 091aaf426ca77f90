"""Compiled row validators: the common row checked in plain Python, every other row by pydantic.

Per-row pydantic validation (Python before/after validators called from the core, then a model
instance) cost ~10-20 us a row, half the CSV ingest budget. A compiled validator applies the same
rules (the same functions from :mod:`connectors.records` where a rule is more than a type check)
to the shapes exports actually contain: plain strings, ISO dates, ``123.45`` amounts. Anything it
is not sure about (other input types, odd number formats, any failed check) returns ``None`` and
the caller validates that row with pydantic, so error messages, and the decision on unusual but
valid input, stay pydantic's. It must never accept a row pydantic rejects or produce a different
value: ``tests/unit/connectors/test_compiled.py`` checks that property for every record type.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import annotated_types
from pydantic.fields import FieldInfo

from connectors.dates import parse_date, parse_datetime
from connectors.records import (
    FUTURE_TOLERANCE,
    RECORD_TYPES,
    ContactRecord,
    CustomerRecord,
    OrderRecord,
    Record,
    TicketRecord,
    UsageRecord,
    email_address,
    order_status,
    ticket_priority,
    ticket_status,
)

Converter = Callable[[Any], Any]  # a field's value from its input; raises when unsure
MAX_STR = 10_000  # Record.model_config str_max_length
_MONEY = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,2})?")  # within max_digits=14, decimal_places=2
_INT = re.compile(r"[0-9]{1,9}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})
_set = object.__setattr__
_MISSING = object()


class _Unsure(Exception):
    pass


def _unicode(s: str) -> str:
    # pydantic refuses strings holding lone surrogates; so must we (encode raises on them).
    if not s.isascii():
        s.encode()
    return s


def _str(min_len: int = 0, max_len: int = MAX_STR) -> Converter:
    def conv(value: Any) -> str:
        if type(value) is not str:
            raise _Unsure
        s = value.strip()
        if not min_len <= len(s) <= max_len:
            raise _Unsure
        return _unicode(s)

    return conv


def _opt_text(value: Any) -> str | None:
    if value is None:
        return None
    if type(value) is not str or len(value) > MAX_STR:
        raise _Unsure
    return _unicode(value) if value.strip() else None


def _when(value: Any) -> dt.datetime:
    out = parse_datetime(value)
    if type(out) is not dt.datetime:
        raise _Unsure
    return out


def _day(value: Any) -> dt.date:
    out = parse_date(value)
    if type(out) is not dt.date:
        raise _Unsure
    return out


def _money(value: Any) -> Decimal:
    if type(value) is not str or not _MONEY.fullmatch(value):
        raise _Unsure
    return Decimal(value)


def _optional(conv: Converter) -> Converter:
    def opt(value: Any) -> Any:
        if value is None or value == "" or (type(value) is str and value.isspace()):
            return None
        return conv(value)

    return opt


def _opt_bool(value: Any) -> bool | None:
    if value is None or type(value) is bool:
        return value
    if type(value) is not str:
        raise _Unsure
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    if not v:
        return None
    raise _Unsure


def _currency(value: Any) -> str:
    if type(value) is not str:
        raise _Unsure
    s = value.strip().upper()
    if not _CURRENCY.fullmatch(s):
        raise _Unsure
    return s


def _count(value: Any) -> int:
    if type(value) is int and value >= 0:
        return value
    if type(value) is not str or not _INT.fullmatch(value):
        raise _Unsure
    return int(value)


class _Then:
    """A type conversion, then a model's rule (pydantic's order: a field's constraints are checked
    on the converted value, before the rule runs)."""

    def __init__(self, conv: Converter, rule: Callable[[Any], Any]) -> None:
        self.conv, self.rule = conv, rule

    def __call__(self, value: Any) -> Any:
        return self.rule(self.conv(value))


def _then(conv: Converter, rule: Callable[[Any], Any]) -> Converter:
    return _Then(conv, rule)


def _at_most(conv: Converter, limit: int) -> Converter:
    def limited(value: Any) -> Any:
        out = conv(value)
        if type(out) is str and len(out) > limit:
            raise _Unsure
        return out

    return limited


def _with_limits(conv: Converter, info: FieldInfo) -> Converter:
    """Honour a field's own ``max_length`` (declared on the model, e.g. the store's column width)."""
    limits = [m.max_length for m in info.metadata if isinstance(m, annotated_types.MaxLen)]
    if not limits:
        return conv
    if isinstance(conv, _Then):
        return _Then(_at_most(conv.conv, min(limits)), conv.rule)
    return _at_most(conv, min(limits))


_ID = _str(1, 80)
_TEXT = _str(1)
_OPT_WHEN = _optional(_when)
_OPT_MONEY = _optional(_money)
_COMMON: dict[str, Converter] = {"external_id": _ID, "updated_at": _OPT_WHEN}
FIELDS: dict[type[Record], dict[str, Converter]] = {
    CustomerRecord: {
        **_COMMON,
        "name": _TEXT,
        **{f: _opt_text for f in ("domain", "tier", "segment", "region", "timezone", "owner_slack_id")},
        "lifetime_value": _OPT_MONEY,
        "arr": _OPT_MONEY,
        "renewal_date": _optional(_day),
        "consent_outreach": _opt_bool,
        "consent_marketing": _opt_bool,
    },
    ContactRecord: {
        **_COMMON,
        "customer_external_id": _ID,
        "name": _TEXT,
        "email": _then(_opt_text, email_address),
        "phone": _opt_text,
        "title": _opt_text,
        "opted_out": _opt_bool,
    },
    TicketRecord: {
        **_COMMON,
        "customer_external_id": _ID,
        "subject": _TEXT,
        "priority": _then(_TEXT, ticket_priority),
        "status": _then(_TEXT, ticket_status),
        "category": _str(0),
        "opened_at": _when,
        "first_response_at": _OPT_WHEN,
        "resolved_at": _OPT_WHEN,
    },
    OrderRecord: {
        **_COMMON,
        "customer_external_id": _ID,
        "amount": _money,
        "currency": _currency,
        "status": _then(_TEXT, order_status),
        "ordered_at": _when,
        "due_at": _OPT_WHEN,
        "paid_at": _OPT_WHEN,
    },
    UsageRecord: {
        **_COMMON,
        "customer_external_id": _ID,
        "day": _day,
        "metric": _str(1, 40),
        "quantity": _count,
    },
}


def compile_validator(model: type[Record]) -> Callable[[Mapping[str, Any]], Record | None]:
    """``check(values)``: the record pydantic would build from ``values``, or ``None`` (validate with
    pydantic). Built without re-validation, the way ``model_construct`` builds instances, but
    without its per-call overhead."""
    convs = FIELDS.get(model, {})
    fields = model.model_fields
    if set(convs) != set(fields) or model.__pydantic_post_init__ or model.__private_attributes__:
        return lambda values: None  # no compiled form (yet): pydantic for every row
    plan = [(name, _with_limits(convs[name], info), info.is_required(), info.default) for name, info in fields.items()]
    past = model.past_fields
    # "In the future" limit, refreshed every few thousand rows: a limit up to a moment old is only
    # stricter than pydantic's (such a row would go to pydantic), never looser.
    limit = dt.datetime.now(dt.UTC) + FUTURE_TOLERANCE
    rows = 0

    def check(values: Mapping[str, Any]) -> Record | None:
        nonlocal limit, rows
        out: dict[str, Any] = {}
        used = 0
        try:
            for name, conv, required, default in plan:
                value = values.get(name, _MISSING)
                if value is not _MISSING:
                    out[name] = conv(value)
                    used += 1
                elif required:
                    return None
                else:
                    out[name] = default
            if used != len(values):
                return None  # keys that are not fields: pydantic names them
            if past:
                rows += 1
                if rows % 4096 == 0:
                    limit = dt.datetime.now(dt.UTC) + FUTURE_TOLERANCE
                for name in past:
                    stamp = out[name]
                    if stamp is not None and stamp > limit:
                        return None
        except Exception:  # noqa: BLE001 - any doubt about a row is pydantic's to settle
            return None
        record = model.__new__(model)
        _set(record, "__dict__", out)
        _set(record, "__pydantic_fields_set__", set(values))
        _set(record, "__pydantic_extra__", None)
        _set(record, "__pydantic_private__", None)
        return record

    return check


COMPILED: dict[type[Record], Callable[[Mapping[str, Any]], Record | None]] = {
    model: compile_validator(model) for model in RECORD_TYPES.values()
}
