"""Content hashes: a column's fast rendering equals the per-value one, a record's hash does not
depend on the rest of its batch, and the reader process's hashes (from its wire text) equal the
writer's."""

from __future__ import annotations

import datetime as dt
import pickle
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors import Batch
from connectors.hashing import canonical, canonical_column, record_hashes
from connectors.parallel import pack, unpack
from connectors.records import OrderRecord

UTC_TIMES = st.datetimes(
    min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2030, 1, 1), timezones=st.just(dt.UTC)
)
VALUES = st.one_of(
    st.none(),
    st.text(max_size=8),
    UTC_TIMES,
    st.dates(),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, max_value=10**9, min_value=-(10**9)),
    st.integers(),
    st.booleans(),
)


@given(st.lists(VALUES, max_size=12))
def test_a_column_renders_as_its_values_do_one_by_one(column: list[Any]) -> None:
    assert canonical_column(column) == [canonical(v) for v in column]


@given(
    st.lists(
        st.sampled_from([None, "x"]) | UTC_TIMES | st.decimals(places=2, allow_nan=False, allow_infinity=False),
        min_size=1,
        max_size=6,
    )
)
def test_one_column_type_renders_by_the_same_rule(column: list[Any]) -> None:
    assert canonical_column(column) == [canonical(v) for v in column]


def _order(i: int, **extra: Any) -> OrderRecord:
    values = {
        "external_id": f"INV{i}",
        "customer_external_id": "A1",
        "amount": "12.50",
        "status": "paid",
        "ordered_at": "2025-01-01T10:00:00Z",
    }
    return OrderRecord.model_validate(values | extra)


def test_a_records_hash_does_not_depend_on_its_batch_and_covers_every_value_but_its_change_time() -> None:
    alone = record_hashes([_order(1)])
    mixed = record_hashes([_order(1), _order(2, due_at="2025-02-01", currency="EUR"), _order(3, amount="1.5")])
    assert mixed[0] == alone[0]
    assert len(set(mixed)) == 3
    assert record_hashes([_order(1, updated_at="2025-03-01T00:00:00Z")]) == alone
    assert record_hashes([_order(1, amount="12.5")]) != alone  # 12.5 and 12.50 are stored differently
    assert record_hashes([_order(1, paid_at="2025-01-02")]) != alone


@settings(max_examples=50)
@given(
    st.lists(
        st.tuples(
            st.text(alphabet=st.sampled_from("ab\x1e\x1f'\"\\"), min_size=1, max_size=6),
            st.none() | UTC_TIMES,
            st.sampled_from(["1.5", "1.50", "0", "99999.99"]),
        ),
        min_size=1,
        max_size=8,
        unique_by=lambda t: t[0],
    )
)
def test_the_reader_processs_hashes_and_records_equal_the_writers(rows: list[tuple[str, Any, str]]) -> None:
    records = [
        OrderRecord.model_validate(
            {
                "external_id": "a" + ext + "z",  # separators inside, not at the ends (they are stripped)
                "customer_external_id": "a" + ext + "z",
                "amount": amount,
                "status": "paid",
                "ordered_at": "2025-01-01",
                "due_at": due,
            }
        )
        for ext, due, amount in rows
    ]
    batch = Batch(records=records, lines=list(range(2, 2 + len(records))), rows_read=len(records))
    back, digests = unpack(pickle.loads(pickle.dumps(pack(batch, OrderRecord))), OrderRecord)
    assert digests == record_hashes(records)
    assert [r.__dict__ for r in back.records] == [r.__dict__ for r in records]
    assert [r.model_fields_set for r in back.records] == [r.model_fields_set for r in records]
    assert back.lines == batch.lines
