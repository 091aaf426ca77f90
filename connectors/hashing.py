"""Content hash of a record's values: what a sync compares to skip unchanged rows.

Here rather than in the store's writer so a reader process (:mod:`connectors.parallel`) can hash
the records it validated and the writer only compares.

A record's hash is the MD5 of its values' canonical texts (:func:`canonical`) joined by ``\\x1f``,
``updated_at`` left out (a change time is not a change). Computed a column at a time: a column of
one plain type is rendered by one C-level ``map``, which made hashing about half as costly as
``md5(repr(row))`` (``repr`` of a timezone-aware datetime alone cost ~2 us).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from itertools import groupby
from operator import itemgetter
from typing import Any

from connectors.records import Record

SEPARATOR = "\x1f"  # never in a canonical text: repr escapes it in strings, the others cannot hold it
_NONE = type(None)
_HASHED: dict[type[Record], Callable[[dict[str, Any]], tuple[Any, ...]]] = {}


def canonical(value: Any) -> str:
    """One value's text in a hash: exact for every type a record holds, and a string is quoted
    (``repr``), so no string can read as another type's text or contain the separator."""
    kind = type(value)
    if kind is dt.datetime or kind is dt.date:
        return value.isoformat()  # type: ignore[no-any-return]
    if kind is Decimal:
        return str(value)  # keeps the exponent: 1.0 and 1.00 differ, as stored amounts do
    return repr(value)  # str, None, int, bool, anything else


def canonical_column(column: Sequence[Any]) -> list[str]:
    """``[canonical(v) for v in column]``, a plain-typed column by one ``map``."""
    kinds = set(map(type, column))
    if kinds <= {str, _NONE}:
        return list(map(repr, column))
    if len(kinds) == 1:
        (kind,) = kinds
        if kind is dt.datetime or kind is dt.date:
            return list(map(kind.isoformat, column))
        if kind is Decimal:
            return list(map(str, column))
    return list(map(canonical, column))


def hashed_fields(model: type[Record]) -> list[str]:
    """The fields a record's hash covers, in order."""
    return [f for f in model.model_fields if f != "updated_at"]


def _hashed_values(model: type[Record]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """The hashed values of a record's ``__dict__`` and, last, one more (so always a tuple, even of
    one field): callers drop that last column."""
    pick = _HASHED.get(model)
    if pick is None:
        names = hashed_fields(model)
        pick = _HASHED[model] = itemgetter(*names, names[0])  # type: ignore[assignment]
    return pick


def column_hashes(columns: Sequence[Sequence[str]]) -> list[str]:
    """The hash of each row of canonical texts given a column at a time (see :func:`canonical_column`)."""
    md5 = hashlib.md5
    return [
        md5(text.encode(), usedforsecurity=False).hexdigest()
        for text in map(SEPARATOR.join, zip(*columns, strict=True))
    ]


def record_hashes(records: Iterable[Record]) -> list[str]:
    """Content hash of each record's values (not its change time): equal records, equal hashes,
    whichever validator built them and whatever else is in the batch."""
    out: list[str] = []
    for model, run in groupby(records, type):
        pick = _hashed_values(model)
        columns = list(zip(*[pick(r.__dict__) for r in run], strict=True))[:-1]
        out.extend(column_hashes([canonical_column(c) for c in columns]))
    return out
