"""Read a source in a child process while the caller writes what it already has.

Parsing and validating a large file is about as much CPU as writing it to the store; in one
process the two take turns, in two they overlap (one core each). The child builds the connector
from the same source definition, runs the same ``full_load``/``poll`` and sends each batch back
through a bounded queue, so at most ``depth`` batches wait in memory and batch order, line
numbers, errors and the cursor are exactly what the in-process reader yields.

The child also hashes each record (:mod:`connectors.hashing`), so the writer only compares. Records
cross the pipe a column at a time, datetimes as ISO text and Decimals as their string: unpickling a
datetime or Decimal object costs several times parsing its text back, and a row-wise pickle of
10,000 orders took the parent ~7 us a row to load, about what reading the row costs. The parent
rebuilds each record the way :mod:`connectors.compiled` builds them (no re-validation: the child
validated them). Anything a column holds that this encoding does not round-trip exactly (a datetime
not in UTC, a type it does not know) goes as pickled objects. The child is started with ``spawn``:
the caller may be ``rapport serve`` with threads running, and forking a threaded process can copy
held locks.
"""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing as mp
import queue
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from itertools import repeat
from operator import itemgetter
from typing import Any

from connectors.base import Batch, ConnectorError
from connectors.hashing import record_hashes
from connectors.records import RECORD_TYPES, Record

_set = object.__setattr__
POLL_SECONDS = 1.0  # how often a waiting reader checks that the child is still alive
_NONE = type(None)
# Column codes: how a column's values travel (see _encode/_decode).
_RAW, _DATETIME, _DECIMAL, _DATE = 0, 1, 2, 3


def _encode(column: Sequence[Any]) -> tuple[int, list[Any]]:
    kinds = set(map(type, column)) - {_NONE}
    if kinds == {dt.datetime} and all(v.tzinfo is dt.UTC for v in column if v is not None):
        # isoformat/fromisoformat round-trip a UTC datetime exactly (fromisoformat returns dt.UTC)
        return _DATETIME, [None if v is None else v.isoformat() for v in column]
    if kinds == {Decimal}:
        return _DECIMAL, [None if v is None else str(v) for v in column]  # str keeps the exponent
    if kinds == {dt.date}:
        return _DATE, [None if v is None else v.isoformat() for v in column]
    return _RAW, list(column)


_PARSE: dict[int, Callable[[str], Any]] = {
    _DATETIME: dt.datetime.fromisoformat,
    _DECIMAL: Decimal,
    _DATE: dt.date.fromisoformat,
}


def _decode(code: int, column: list[Any]) -> list[Any]:
    if code == _RAW:
        return column
    parse = _PARSE[code]
    return [None if v is None else parse(v) for v in column]


def pack(batch: Batch, model: type[Record]) -> tuple[Any, ...]:
    """A batch and its records' hashes as plain data that pickles cheaply (see the module doc)."""
    names = list(model.model_fields)
    pick = itemgetter(*names, names[0])  # always a tuple; the extra trailing value is dropped
    sets: dict[frozenset[str], int] = {}
    which = [sets.setdefault(frozenset(r.__pydantic_fields_set__), len(sets)) for r in batch.records]
    rows = [pick(r.__dict__)[:-1] for r in batch.records]
    columns = [_encode(c) for c in zip(*rows, strict=True)] if rows else []
    digests = record_hashes(batch.records)
    return columns, which, list(sets), digests, batch.lines, batch.errors, batch.cursor, batch.rows_read


def unpack(packed: tuple[Any, ...], model: type[Record]) -> tuple[Batch, list[str]]:
    columns, which, sets, digests, lines, errors, cursor, rows_read = packed
    names = list(model.model_fields)
    new = model.__new__
    records: list[Record] = []
    append = records.append
    if columns:
        # dicts built by C-level maps: the per-row Python is only the record's four slots
        values = map(dict, map(zip, repeat(names), zip(*(_decode(c, v) for c, v in columns), strict=True)))
        fields_sets = [set(s) for s in sets]
        for value, fields_set in zip(values, which, strict=True):
            record = new(model)
            _set(record, "__dict__", value)
            _set(record, "__pydantic_fields_set__", fields_sets[fields_set].copy())
            _set(record, "__pydantic_extra__", None)
            _set(record, "__pydantic_private__", None)
            append(record)
    return Batch(records=records, lines=lines, errors=errors, cursor=cursor, rows_read=rows_read), digests


def _produce(spec: Mapping[str, Any], cursor: str | None, full: bool, batch_size: int, out: Any) -> None:
    from connectors.registry import create

    # Rows and records are acyclic; collections would only walk them (see service._gc_paused).
    gc.disable()
    try:
        source = create(spec)
        model = RECORD_TYPES[source.entity]
        batches = source.full_load(batch_size) if full else source.poll(cursor, batch_size)
        for batch in batches:
            out.put(("batch", pack(batch, model)))
        out.put(("done", None))
    except BaseException as exc:  # noqa: BLE001 - every failure goes to the reader, which raises it
        out.put(("error", (type(exc).__name__, str(exc), isinstance(exc, ConnectorError | OSError | ValueError))))


def read_in_child(
    spec: Mapping[str, Any], entity: str, cursor: str | None, full: bool, batch_size: int, depth: int = 3
) -> Iterator[tuple[Batch, list[str]]]:
    """The batches ``create(spec).full_load()`` (or ``.poll(cursor)``) would yield, read in a child
    process, each with its records' content hashes. A failure in the child is raised here as
    :class:`ConnectorError`: with the reader's own message when it was one the in-process reader
    reports as a failed run (bad file, header, I/O), else naming the exception. Closing the
    iterator early stops the child."""
    model = RECORD_TYPES[entity]
    ctx = mp.get_context("spawn")
    channel = ctx.Queue(maxsize=depth)
    child = ctx.Process(target=_produce, args=(dict(spec), cursor, full, batch_size, channel), daemon=True)
    child.start()
    try:
        while True:
            try:
                kind, payload = channel.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if not child.is_alive():
                    raise ConnectorError(
                        f"source {spec.get('name')!r}: the reader process ended unexpectedly "
                        f"(exit code {child.exitcode})"
                    ) from None
                continue
            if kind == "batch":
                yield unpack(payload, model)
            elif kind == "error":
                name, message, expected = payload
                if expected:
                    raise ConnectorError(message)
                raise ConnectorError(f"source {spec.get('name')!r}: the reader process failed: {name}: {message}")
            else:
                return
    finally:
        if child.is_alive():
            child.terminate()
        child.join(timeout=5)
        channel.close()
        channel.join_thread()
