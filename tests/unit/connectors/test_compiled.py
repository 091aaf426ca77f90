"""The compiled row validator agrees with pydantic: it never accepts a row pydantic refuses and never
builds a different value; and it covers every field of every record type (so it stays in use)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from connectors import RECORD_TYPES, OrderRecord, Record, TicketRecord, validate_row
from connectors.compiled import COMPILED, FIELDS

SAMPLES = [
    "",
    " ",
    "  x ",
    "A1",
    "A00012",
    "Company 7 Inc",
    "https://www.acme.com",
    "x" * 81,
    "y" * 10_001,
    "2025-01-01",
    "2025-01-01T00:00:00Z",
    " 2025-02-03 10:00:00 ",
    "2025-01-01T01:00:00+02:00",
    "2025-02-30",
    "2999-01-01",
    "01/02/2025",
    "20250101",
    "1700000000",
    "Tue, 01 Jul 2025 10:00:00 GMT",
    "yesterday",
    "12.50",
    "0",
    "007",
    "-1",
    "-5.00",
    "1e3",
    "12.345",
    "1,000",
    " 12 ",
    "1.5",
    "99999999999",
    "NaN",
    "\u0663",
    "USD",
    " usd ",
    "US",
    "EURO",
    "paid",
    "Paid ",
    "refunded",
    "P1",
    "p2",
    "high",
    "3",
    "5",
    "urgent",
    "open",
    "solved",
    "hold",
    "yes",
    "no",
    "on",
    "TRUE",
    "t",
    "a@b.com",
    " Bob@Example.COM ",
    "@x",
    "x@",
    "n\ud800",
    "caf\u00e9",
    "tab\there",
    "new\nline",
    "back\\slash",
    "renewed",
    " Won ",
    "churn",
    "QBR",
    "business review",
    "check-in",
    "Call",
]
VALUES = st.one_of(st.sampled_from(SAMPLES), st.text(max_size=12), st.none(), st.integers(-5, 10**12), st.booleans())


BASE: dict[str, dict[str, Any]] = {
    "customer": {
        "external_id": "A1",
        "name": "Acme",
        "domain": "acme.com",
        "arr": "10.00",
        "renewal_date": "2026-01-01",
    },
    "contact": {"external_id": "C1", "customer_external_id": "A1", "name": "Bo", "email": "bo@acme.com"},
    "ticket": {"external_id": "T1", "customer_external_id": "A1", "subject": "Help", "opened_at": "2025-01-01"},
    "order": {"external_id": "O1", "customer_external_id": "A1", "amount": "12.50", "ordered_at": "2025-01-01"},
    "usage": {"external_id": "U1", "customer_external_id": "A1", "day": "2025-01-01", "quantity": "3"},
    "survey": {"external_id": "S1", "customer_external_id": "A1", "score": "3", "responded_at": "2025-01-01"},
    "contact_change": {
        "external_id": "CC1",
        "customer_external_id": "A1",
        "role": "champion",
        "change": "left",
        "changed_at": "2025-01-01",
    },
    "shipment": {"external_id": "SH1", "customer_external_id": "A1", "promised_at": "2025-01-01"},
    "health": {"external_id": "H1", "customer_external_id": "A1", "day": "2025-01-01", "score": "55", "usage": "40"},
    "renewal": {
        "external_id": "R1",
        "customer_external_id": "A1",
        "outcome": "renewed",
        "decided_at": "2025-01-01",
        "arr_before": "100.00",
        "arr_after": "120.00",
    },
    "activity": {"external_id": "AC1", "customer_external_id": "A1", "kind": "call", "occurred_at": "2025-01-01"},
}


def _row(model: type[Record]) -> st.SearchStrategy[dict[str, Any]]:
    """A valid row with a few fields replaced, dropped, or one unknown key added."""
    fields = list(model.model_fields)
    changes = st.dictionaries(st.sampled_from([*fields, "bogus"]), VALUES, max_size=3)
    dropped = st.sets(st.sampled_from(fields), max_size=2)
    base = BASE[model.entity]
    return st.tuples(changes, dropped).map(
        lambda cd: {k: v for k, v in {**base, **cd[0]}.items() if k not in cd[1] or k in cd[0]}
    )


def _pydantic(model: type[Record], values: dict[str, Any]) -> Record | None:
    try:
        return model.model_validate(values)
    except ValidationError:
        return None


@pytest.mark.parametrize("model", list(RECORD_TYPES.values()), ids=list(RECORD_TYPES))
def test_every_field_of_every_record_type_has_a_compiled_rule(model: type[Record]) -> None:
    assert set(FIELDS[model]) == set(model.model_fields)


@pytest.mark.parametrize("model", list(RECORD_TYPES.values()), ids=list(RECORD_TYPES))
@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_compiled_agrees_with_pydantic(model: type[Record], data: st.DataObject) -> None:
    values = data.draw(_row(model))
    fast = COMPILED[model](values)
    event("compiled" if fast is not None else "pydantic")
    if fast is None:
        return  # pydantic decides this row
    slow = _pydantic(model, values)
    assert slow is not None, values
    assert repr(fast.__dict__) == repr(slow.__dict__)  # same values, same types, same Decimal exponent
    assert fast == slow and fast.model_dump_json() == slow.model_dump_json()


def test_typical_export_rows_take_the_compiled_path() -> None:
    order = {
        "external_id": "INV1",
        "customer_external_id": "A1",
        "amount": "120.50",
        "currency": " usd",
        "status": "Paid",
        "ordered_at": "2025-01-02",
        "paid_at": "",
        "updated_at": "2025-01-03T10:00:00Z",
    }
    ticket = {
        "external_id": "T1",
        "customer_external_id": "A1",
        "subject": " Printer on fire ",
        "priority": "high",
        "status": "new",
        "opened_at": "2025-02-03 10:00:00",
    }
    for model, row in ((OrderRecord, order), (TicketRecord, ticket)):
        fast = COMPILED[model](row)
        assert fast is not None and fast == model.model_validate(row)
    assert COMPILED[OrderRecord](order).paid_at is None  # type: ignore[union-attr]


def test_blank_optional_dates_are_none_not_errors() -> None:
    row = {"external_id": "O1", "customer_external_id": "A1", "amount": "1", "ordered_at": "2025-01-01"}
    for blank in ("", "   "):
        record = OrderRecord.model_validate({**row, "paid_at": blank, "due_at": blank})
        assert record.paid_at is None and record.due_at is None


def test_rows_the_compiled_rules_refuse_get_pydantic_errors() -> None:
    row = {"external_id": "O1", "customer_external_id": "A1", "amount": "-5.00", "ordered_at": "2999-01-01"}
    errors = validate_row(OrderRecord, row, 7, {"amount": "Amount"})
    assert isinstance(errors, list)
    assert {(e.row, e.field, e.reason) for e in errors} >= {(7, "Amount", "must not be negative")}
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    future = validate_row(OrderRecord, {**row, "amount": "5", "ordered_at": later.isoformat()}, 8)
    assert isinstance(future, list) and "in the future" in future[0].reason
