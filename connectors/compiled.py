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
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from operator import call
from typing import Any

import annotated_types
from pydantic.fields import FieldInfo

from connectors.dates import parse_date, parse_datetime
from connectors.records import (
    FUTURE_TOLERANCE,
    RECORD_TYPES,
    ActivityRecord,
    ContactChangeRecord,
    ContactRecord,
    CustomerRecord,
    HealthScoreRecord,
    OrderRecord,
    Record,
    RenewalRecord,
    ShipmentRecord,
    SurveyResponseRecord,
    TicketRecord,
    UsageRecord,
    activity_kind,
    contact_change,
    email_address,
    lower_slug,
    order_status,
    renewal_outcome,
    shipment_status,
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
        if not s.isascii():
            s.encode()  # see _unicode
        return s

    conv.bounds = (min_len, max_len)  # type: ignore[attr-defined]  # _with_limits narrows these
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


def _at_most_value(limit: int) -> Callable[[int], int]:
    """An upper bound on a count (``le=``): above it, pydantic decides (and refuses)."""

    def check(value: int) -> int:
        if value > limit:
            raise _Unsure
        return value

    return check


def _then(conv: Converter, rule: Callable[[Any], Any]) -> Converter:
    """A type conversion, then a model's rule (pydantic's order: a field's constraints are checked
    on the converted value, before the rule runs)."""

    def then(value: Any) -> Any:
        return rule(conv(value))

    then.parts = (conv, rule)  # type: ignore[attr-defined]  # _with_limits limits the conversion
    return then


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
    parts = getattr(conv, "parts", None)
    if parts is not None:
        return _then(_with_limits(parts[0], info), parts[1])
    bounds = getattr(conv, "bounds", None)
    if bounds is not None:  # a string rule: the same rule with the tighter bound, one call per value
        return _str(bounds[0], min(bounds[1], *limits))
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
        "agent_replies": _optional(_count),
        "reopened_at": _OPT_WHEN,
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
    SurveyResponseRecord: {
        **_COMMON,
        "customer_external_id": _ID,
        "survey": _then(_str(1, 20), lower_slug),
        "score": _then(_count, _at_most_value(10)),
        "responded_at": _when,
        "comment": _opt_text,
    },
    ContactChangeRecord: {
        **_COMMON,
        "customer_external_id": _ID,
        "role": _then(_TEXT, lower_slug),
        "change": _then(_TEXT, contact_change),
        "title": _opt_text,
        "changed_at": _when,
    },
    ShipmentRecord: {
        **_COMMON,
        "customer_external_id": _ID,
        "order_external_id": _opt_text,
        "status": _then(_TEXT, shipment_status),
        "carrier": _opt_text,
        "promised_at": _when,
        "shipped_at": _OPT_WHEN,
        "delivered_at": _OPT_WHEN,
    },
    HealthScoreRecord: {
        **_COMMON,
        "customer_external_id": _ID,
        "day": _day,
        "score": _then(_count, _at_most_value(100)),
        **{
            f: _optional(_then(_count, _at_most_value(100)))
            for f in ("usage", "support", "engagement", "sentiment", "payment")
        },
    },
    RenewalRecord: {
        **_COMMON,
        "customer_external_id": _ID,
        "outcome": _then(_TEXT, renewal_outcome),
        "decided_at": _when,
        "renewal_date": _optional(_day),
        "arr_before": _OPT_MONEY,
        "arr_after": _OPT_MONEY,
        "reason": _opt_text,
    },
    ActivityRecord: {
        **_COMMON,
        "customer_external_id": _ID,
        "kind": _then(_TEXT, activity_kind),
        "occurred_at": _when,
        "owner": _opt_text,
        "subject": _opt_text,
    },
}


def compile_row_validator(model: type[Record], fields: Sequence[str]) -> Callable[[Sequence[Any]], Record | None]:
    """``check(row)``: what :func:`compile_validator`'s check gives for ``dict(zip(fields, row))``,
    without building that dict (a CSV row arrives as values in column order). ``row`` must hold one
    value per field; a field named twice or not a field of ``model`` makes every row pydantic's."""
    convs = FIELDS.get(model, {})
    model_fields = model.model_fields
    n = len(fields)
    if (
        set(convs) != set(model_fields)
        or model.__pydantic_post_init__
        or model.__private_attributes__
        or len(set(fields)) != n
        or not set(fields) <= set(model_fields)
        or any(info.is_required() and name not in fields for name, info in model_fields.items())
    ):
        return lambda row: None  # pydantic for every row: it names the missing or unknown field
    plan = [_with_limits(convs[name], model_fields[name]) for name in fields]
    # Every field, in the model's order (the order pydantic fills ``__dict__``): absent ones keep
    # their default, present ones are overwritten by their converted value.
    template = {name: info.default for name, info in model_fields.items()}
    given = frozenset(fields)
    past = model.past_fields
    # "In the future" limit, refreshed every few thousand rows: a limit up to a moment old is only
    # stricter than pydantic's (such a row would go to pydantic), never looser.
    limit = dt.datetime.now(dt.UTC) + FUTURE_TOLERANCE
    rows = 0

    def check(row: Sequence[Any]) -> Record | None:
        nonlocal limit, rows
        if len(row) != n:
            return None
        out = template.copy()
        try:
            out.update(zip(fields, map(call, plan, row), strict=True))
        except Exception:  # noqa: BLE001 - any doubt about a row is pydantic's to settle
            return None
        if past:
            rows += 1
            if rows % 4096 == 0:
                limit = dt.datetime.now(dt.UTC) + FUTURE_TOLERANCE
            for name in past:
                stamp = out[name]
                if stamp is not None and stamp > limit:
                    return None
        record = model.__new__(model)
        _set(record, "__dict__", out)
        _set(record, "__pydantic_fields_set__", set(given))
        _set(record, "__pydantic_extra__", None)
        _set(record, "__pydantic_private__", None)
        return record

    return check


def compile_validator(model: type[Record]) -> Callable[[Mapping[str, Any]], Record | None]:
    """``check(values)``: the record pydantic would build from ``values``, or ``None`` (validate with
    pydantic). Built without re-validation, the way ``model_construct`` builds instances, but
    without its per-call overhead. One row validator per set of keys seen, in their order."""
    by_keys: dict[tuple[str, ...], Callable[[Sequence[Any]], Record | None]] = {}

    def check(values: Mapping[str, Any]) -> Record | None:
        keys = tuple(values)
        row_check = by_keys.get(keys)
        if row_check is None:
            if len(by_keys) > 256:  # keys from an open-ended source (JSON objects): stay bounded
                by_keys.clear()
            row_check = by_keys[keys] = compile_row_validator(model, keys)
        return row_check(tuple(values.values()))

    return check


COMPILED: dict[type[Record], Callable[[Mapping[str, Any]], Record | None]] = {
    model: compile_validator(model) for model in RECORD_TYPES.values()
}
