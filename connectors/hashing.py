"""Content hash of a record's values: what a sync compares to skip unchanged rows.

Here rather than in the store's writer so a reader process (:mod:`connectors.parallel`) can hash
the records it validated and the writer only compares.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from operator import itemgetter
from typing import Any

from connectors.records import Record

_HASHED: dict[type[Record], Callable[[dict[str, Any]], tuple[Any, ...]]] = {}


def _hashed_values(model: type[Record]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    pick = _HASHED.get(model)
    if pick is None:
        names = [f for f in model.model_fields if f != "updated_at"]
        pick = _HASHED[model] = itemgetter(*names)  # type: ignore[assignment]
    return pick


def record_hashes(records: Iterable[Record]) -> list[str]:
    """Content hash of each record's values (not its change time): equal records, equal hashes,
    whichever validator built them. ``repr`` of the values is exact for the types records hold."""
    out: list[str] = []
    pick: Callable[[dict[str, Any]], tuple[Any, ...]] | None = None
    model: type[Record] | None = None
    md5 = hashlib.md5
    append = out.append
    for record in records:
        if type(record) is not model:
            model = type(record)
            pick = _hashed_values(model)
        append(md5(repr(pick(record.__dict__)).encode(), usedforsecurity=False).hexdigest())  # type: ignore[misc]
    return out
