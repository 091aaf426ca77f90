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
not in UTC, a type it does not know) goes as pickled objects. The child is forked when this
process runs no other thread, else spawned (see :func:`_start_method`).
"""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing as mp
import os
import queue
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from itertools import repeat
from operator import attrgetter, itemgetter
from typing import Any

from connectors.base import Batch, ConnectorError
from connectors.hashing import canonical_column, column_hashes, hashed_fields
from connectors.records import RECORD_TYPES, Record

_set = object.__setattr__
POLL_SECONDS = 1.0  # how often a waiting reader checks that the child is still alive
_NONE = type(None)
# Column codes: how a column's values travel (see _encode/_decode).
_RAW, _DATETIME, _DECIMAL, _DATE = 0, 1, 2, 3


_tzinfo = attrgetter("tzinfo")
_JOIN = "\x1e"  # a column of strings travels as one string joined by this, when none holds it


def _encode(column: Sequence[Any]) -> tuple[int, list[Any]]:
    kinds = set(map(type, column))
    if kinds == {dt.datetime} and set(map(_tzinfo, column)) == {dt.UTC}:
        # isoformat/fromisoformat round-trip a UTC datetime exactly (fromisoformat returns dt.UTC)
        return _DATETIME, list(map(dt.datetime.isoformat, column))
    kinds.discard(_NONE)
    if kinds == {dt.datetime} and all(v.tzinfo is dt.UTC for v in column if v is not None):
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
    if None not in column:
        return list(map(parse, column))
    return [None if v is None else parse(v) for v in column]


def _ship(values: list[Any]) -> tuple[str, Any]:
    """A column as few objects as it can be: 10,000 strings pickle (and unpickle) as 10,000 objects,
    one joined string as one; a column of nothing but ``None`` as its length."""
    if not any(v is not None for v in values):
        return "none", len(values)
    if set(map(type, values)) == {str}:
        joined = _JOIN.join(values)
        if joined.count(_JOIN) == len(values) - 1:  # no value held the separator itself
            return "joined", joined
    return "list", values


def _land(shipped: tuple[str, Any]) -> list[Any]:
    form, data = shipped
    if form == "none":
        return [None] * data
    if form == "joined":
        return data.split(_JOIN)  # type: ignore[no-any-return]
    return data  # type: ignore[no-any-return]


def pack(batch: Batch, model: type[Record]) -> tuple[Any, ...]:
    """A batch and its records' hashes as plain data that pickles cheaply (see the module doc)."""
    names = list(model.model_fields)
    pick = itemgetter(*names, names[0])  # always a tuple; the extra trailing value is dropped
    sets: dict[frozenset[str], int] = {}
    which = [sets.setdefault(frozenset(r.__pydantic_fields_set__), len(sets)) for r in batch.records]
    rows = [pick(r.__dict__)[:-1] for r in batch.records]
    values = list(zip(*rows, strict=True)) if rows else []
    columns = [_encode(c) for c in values]
    hashed = set(hashed_fields(model))
    digests = (
        column_hashes(
            [
                _canonical(code, wire, raw)
                for name, (code, wire), raw in zip(names, columns, values, strict=True)
                if name in hashed
            ]
        )
        if rows
        else []
    )
    shipped = [(code, _ship(wire)) for code, wire in columns]
    return (
        shipped,
        which if len(sets) > 1 else len(which),  # every record set the same fields: just the count
        list(sets),
        _ship(digests),
        batch.lines,
        batch.errors,
        batch.cursor,
        batch.rows_read,
    )


def _canonical(code: int, wire: list[Any], raw: Sequence[Any]) -> list[str]:
    """A column's canonical texts for its records' hashes (:func:`connectors.hashing.canonical_column`),
    reusing its wire text: a datetime's or date's is its ``isoformat``, a Decimal's its ``str``, which
    is what :func:`~connectors.hashing.canonical` gives them."""
    if code == _RAW:
        return canonical_column(raw)
    return wire if None not in wire else ["None" if v is None else v for v in wire]


def unpack(packed: tuple[Any, ...], model: type[Record]) -> tuple[Batch, list[str]]:
    shipped, which, sets, digests, lines, errors, cursor, rows_read = packed
    columns = [(code, _land(column)) for code, column in shipped]
    if isinstance(which, int):
        which = [0] * which
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
    return Batch(records=records, lines=lines, errors=errors, cursor=cursor, rows_read=rows_read), _land(digests)


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


def _start_method() -> str:
    """``fork`` when this process runs no other thread (``rapport sync``, a benchmark), else ``spawn``.

    A spawned child is a new interpreter that imports the connectors before it reads anything:
    ~0.4 s in which the writer has nothing of the child's to write. A forked one starts reading at
    once. But forking copies every lock as it is at that moment, and a lock another thread holds
    (logging, imports, a driver's) would never be released in the child; with only this thread
    running, none is held. Threads are counted by the kernel (``/proc/self/task``), not by
    :mod:`threading`, which misses native ones (torch's intra-op pool, a Rust runtime's workers).
    So ``rapport serve``, whose scheduler runs syncs in worker threads, still spawns. Linux only:
    elsewhere system libraries may not survive a fork (macOS's do not, which is why Python spawns
    there by default)."""
    if sys.platform != "linux":
        return "spawn"
    try:
        alone = len(os.listdir("/proc/self/task")) == 1
    except OSError:
        alone = False
    return "fork" if alone else "spawn"


def read_in_child(
    spec: Mapping[str, Any],
    entity: str,
    cursor: str | None,
    full: bool,
    batch_size: int,
    depth: int = 3,
    here: Iterator[Batch] | None = None,
) -> Iterator[tuple[Batch, list[str] | None]]:
    """The batches ``create(spec).full_load()`` (or ``.poll(cursor)``) would yield, read in a child
    process, each with its records' content hashes. A failure in the child is raised here as
    :class:`ConnectorError`: with the reader's own message when it was one the in-process reader
    reports as a failed run (bad file, header, I/O), else naming the exception. Closing the
    iterator early stops the child.

    ``here``: the same batches read in this process. Until the child's first batch arrives the
    caller would only wait: ~0.7 s for a spawned child (an interpreter, its imports, its first
    batch), ~0.25 s for a forked one. Meanwhile the first batch is read from ``here`` (hashes
    ``None``: the writer computes them), and the child's copy of it is skipped. Both read the same
    file the same way, so the sequence is the same; the child still reads that batch itself (its
    ids are what it finds later duplicates by). Only one: each batch read here takes CPU from the
    child, which must re-read it before it delivers anything new (200,000 orders into PostgreSQL,
    paired runs, spawned child: one batch here 44-45k rows/s, none 41-43k, up to the whole
    startup 36-43k; forked child: one batch here 47-54k, none 45-53k).
    """
    model = RECORD_TYPES[entity]
    ctx = mp.get_context("fork") if _start_method() == "fork" else mp.get_context("spawn")
    channel = ctx.Queue(maxsize=depth)
    child = ctx.Process(target=_produce, args=(dict(spec), cursor, full, batch_size, channel), daemon=True)
    child.start()

    try:
        skip = False  # the child's copy of the batch read here is still to come
        if here is not None:
            first = next(here, None)
            close = getattr(here, "close", None)
            if close is not None:
                close()
            if first is not None:
                skip = True
                yield first, None
        while True:
            try:
                kind, payload = channel.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if not child.is_alive() and channel.empty():
                    raise ConnectorError(
                        f"source {spec.get('name')!r}: the reader process ended unexpectedly "
                        f"(exit code {child.exitcode})"
                    ) from None
                continue
            if kind == "batch":
                if skip:
                    skip = False
                    continue
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
