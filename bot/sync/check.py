"""``rapport sync --check``: what a sync of a source would do, from a sample, without writing anything.

Reads the source through its own connector (the same column mapping, value maps, derived fields and validation a
sync uses) and stops as soon as the sample is read, so a 10,000-row check of a 1M-row export reads 10,000 rows.
It reports, per source:

* the export's columns no mapping or derived field reads (``unmapped``), and the coverage of each record field
  (how many valid rows have a value);
* values that no policy file knows: tiers and regions (``tiers.yaml``), currencies (``tiers.yaml`` currency and
  exchange rates), owners (``roles.yaml``), and priorities/statuses the record refuses;
* the rows a sync would quarantine, grouped by field and reason with their first lines, including rows naming a
  customer the store does not hold (looked up read-only, a batch at a time).

Memory stays flat: counters only, never the rows (but for the ids a file's duplicate check needs, as in a sync).
A whole big CSV export (``--rows 0``) is checked in parts, one worker process per core, each reading the lines
that start in its byte range; the parts' counts add up, and an id one part repeats from an earlier part is counted
as the duplicate a sync would quarantine. A file holding any quote character is read in one piece (a quoted field
may span lines, so a byte offset is not known to start a row).

One module because one sample pass computes every report section; the sections share the pass's
counters.
"""

from __future__ import annotations

import csv
import json
import mmap
import multiprocessing as mp
import os
import sys
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from bot.sync.config import POLICY_FIELDS, SourceSpec, Vocabulary
from bot.sync.service import count_unknown, describe_unknown
from bot.sync.writer import resolve_customers
from connectors import RECORD_TYPES, Batch, Connector, ConnectorError, RowError, create
from connectors.values import template_columns

DEFAULT_SAMPLE = 10_000
PARALLEL_CHECK_BYTES = 8 * 1024 * 1024  # below this, starting workers costs more than they save
FIRST_LINES = 3  # lines shown per quarantine reason
JSONL_KEY_SAMPLE = 200  # objects read to list a JSONL export's keys


@dataclass
class Reason:
    count: int = 0
    lines: list[int] = field(default_factory=list)


@dataclass
class CheckReport:
    source: str
    entity: str
    rows_read: int = 0
    valid: int = 0
    complete: bool = False  # the whole source was read (else: a sample of its first rows)
    columns: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    coverage: dict[str, int] = field(default_factory=dict)  # record field -> valid rows with a value
    unknown: dict[str, dict[str, int]] = field(default_factory=dict)  # field -> value -> rows
    quarantined: dict[tuple[str, str], Reason] = field(default_factory=dict)  # (field, reason) -> rows
    unknown_customers: int = 0
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def would_quarantine(self) -> int:
        return sum(r.count for r in self.quarantined.values())

    def lines(self, limit: int = 10) -> list[str]:
        """The report as text lines (``rapport sync --check``)."""
        scope = "all" if self.complete else "a sample of"
        out = [
            f"{self.source} ({self.entity}): read {scope} {self.rows_read:,} rows in {self.seconds:.1f} s; "
            f"{self.valid:,} valid, {self.would_quarantine:,} would be quarantined"
        ]
        if self.unmapped:
            shown = ", ".join(repr(c) for c in self.unmapped[:15])
            more = f" and {len(self.unmapped) - 15} more" if len(self.unmapped) > 15 else ""
            out.append(f"  unmapped columns ({len(self.unmapped)}): {shown}{more}")
        if self.coverage:
            cells = [f"{name} {n / self.valid:.0%}" if self.valid else f"{name} -" for name, n in self.coverage.items()]
            out.append("  field coverage (of valid rows): " + ", ".join(cells))
        for line in describe_unknown(self.unknown, limit=5):
            out.append(f"  values no policy file knows: {line}")
        ranked = sorted(self.quarantined.items(), key=lambda kv: (-kv[1].count, kv[0]))
        for (column, reason), r in ranked[:limit]:
            at = ", ".join(str(n) for n in r.lines)
            out.append(f"  would quarantine {r.count:,} rows: {column + ': ' if column else ''}{reason} (lines {at})")
        if len(ranked) > limit:
            out.append(f"  ... and {len(ranked) - limit} more reasons")
        out += [f"  note: {n}" for n in self.notes]
        return out


def _csv_header(spec: SourceSpec) -> list[str]:
    if spec.path is None:
        return []
    with open(spec.path, encoding=spec.encoding or "utf-8", errors="replace", newline="") as fh:
        row = next(csv.reader(fh, delimiter=spec.delimiter or ","), [])
    return [h.strip().lstrip("\ufeff") for h in row]


def _jsonl_keys(spec: SourceSpec) -> list[str]:
    keys: dict[str, None] = {}
    if spec.path is None:
        return []
    with open(spec.path, encoding=spec.encoding or "utf-8", errors="replace") as fh:
        for line in islice(fh, JSONL_KEY_SAMPLE):
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(obj, dict):
                keys.update(dict.fromkeys(obj))
    return list(keys)


def _sql_columns(spec: SourceSpec, env: Mapping[str, str]) -> list[str]:
    url = env.get(spec.url_env or "", "") if spec.url_env else spec.url or ""
    if not url or not spec.query:
        return []
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(f"SELECT * FROM ({spec.query}) src WHERE 1 = 0")).keys())
    except SQLAlchemyError:
        return []  # the connector's own read reports the failure
    finally:
        engine.dispose()


def export_columns(spec: SourceSpec, env: Mapping[str, str]) -> list[str]:
    """The export's own columns (CSV header, JSONL keys of the first objects, SQL result columns)."""
    if spec.kind == "csv":
        return _csv_header(spec)
    if spec.kind == "jsonl":
        return _jsonl_keys(spec)
    if spec.kind == "sql":
        return _sql_columns(spec, env)
    return []  # a helpdesk API's fields are mapped by its connector


def read_columns(spec: SourceSpec, fields: list[str], columns: list[str]) -> set[str]:
    """The columns a sync reads: mapped ones, those derived fields read, and (unmapped sources) field names."""
    if spec.kind in ("csv", "jsonl") and spec.mapping:
        used = set(spec.mapping.values())
    else:
        used = {c for c in columns if c in fields}
    for spec_value in spec.derive.values():
        used.update(template_columns(spec_value) if isinstance(spec_value, str) else spec_value)
    if spec.kind == "jsonl":  # a dotted path reads its top-level key
        used |= {c.split(".", 1)[0] for c in used}
    if spec.kind == "sql" and spec.cursor_column:
        used.add(spec.cursor_column)
    return used


def _value_of(e: RowError, columns_to_fields: Mapping[str, str]) -> Any:
    raw = e.raw or {}
    if e.field is None:
        return None
    name = columns_to_fields.get(e.field, e.field)
    return raw.get(name, raw.get(e.field))


def _batches(source: Connector, limit: int | None) -> Iterator[Batch]:
    size = min(limit, 5000) if limit else 5000
    return iter(source.full_load(size))


def _close(batches: Iterator[Batch]) -> None:
    close = getattr(batches, "close", None)
    if close is not None:
        close()  # a generator stopped early: its file or server-side cursor is released now


def check_source(
    spec: SourceSpec,
    vocabulary: Vocabulary | None,
    engine: Engine | None = None,
    sample: int | None = DEFAULT_SAMPLE,
    env: Mapping[str, str] | None = None,
    connector: Connector | None = None,
    workers: int | None = None,
) -> CheckReport:
    """Read up to ``sample`` rows of ``spec`` (all with ``None``) and report what a sync would do; never writes.

    ``engine``: the store, read to tell which customer references a child row names that do not exist.
    ``workers``: processes for a whole big CSV file (default: one per core; 1 reads it in one piece)."""
    if sample is None and connector is None and (workers or os.cpu_count() or 1) > 1:
        parts = split_csv(spec, workers or os.cpu_count() or 1)
        if parts is not None:
            return _check_in_parts(spec, vocabulary, engine, env, parts)
    return _check(spec, vocabulary, engine, sample, env, connector)


def _check(
    spec: SourceSpec,
    vocabulary: Vocabulary | None,
    engine: Engine | None,
    sample: int | None,
    env: Mapping[str, str] | None,
    connector: Connector | None,
    ids: list[Footprint] | None = None,
) -> CheckReport:
    """The check of one piece; ``ids`` collects each valid record's :data:`Footprint` when given."""
    started = time.perf_counter()
    entity = spec.entity or ("ticket" if spec.resource == "tickets" else "customer")
    report = CheckReport(spec.name, entity)
    if spec.kind == "webhook":
        report.notes.append("a webhook source has nothing to read: deliveries are checked as they arrive")
        return report
    environ = dict(env if env is not None else os.environ)
    model = RECORD_TYPES[entity]
    fields = list(model.model_fields)
    try:
        source = connector or create(spec.connector_spec(environ))
    except ConnectorError as exc:
        report.notes.append(str(exc))
        return report
    report.columns = export_columns(spec, environ)
    used = read_columns(spec, fields, report.columns)
    report.unmapped = [c for c in report.columns if c not in used]
    active = [f for f in fields if f in spec.mapping or f in spec.derive or f in spec.defaults] or [
        f for f in fields if f in report.columns
    ]
    report.coverage = {f: 0 for f in active if f != "updated_at" or f in spec.mapping}
    columns_to_fields = {c: f for f, c in spec.mapping.items()}
    customers: dict[str, int] = {}
    customer_source = spec.customer_source or spec.name
    batches = _batches(source, sample)
    try:
        for batch in batches:
            report.rows_read += batch.rows_read or len(batch.records) + len(batch.errors)
            records, lines = batch.records, batch.lines
            for e in batch.errors:
                _count(report, e)
                value = _value_of(e, columns_to_fields)
                if value not in (None, "") and e.reason.startswith("unknown "):
                    what = columns_to_fields.get(e.field or "", e.field or "?")
                    bucket = report.unknown.setdefault(what, {})
                    bucket[str(value)] = bucket.get(str(value), 0) + 1
            if engine is not None and entity != "customer" and records:
                refs = {str(r.__dict__["customer_external_id"]) for r in records}
                missing = refs.difference(customers)
                if missing:
                    with engine.connect() as conn:
                        customers.update(resolve_customers(conn, customer_source, missing))
                kept, kept_lines = [], []
                for r, line in zip(records, lines, strict=True):
                    ref = str(r.__dict__["customer_external_id"])
                    if ref in customers:
                        kept.append(r)
                        kept_lines.append(line)
                        continue
                    report.unknown_customers += 1
                    _count(
                        report,
                        RowError(
                            line,
                            spec.mapping.get("customer_external_id", "customer_external_id"),
                            f"unknown customer (not found in source {customer_source!r})",
                        ),
                    )
                records, lines = kept, kept_lines
                if len(customers) > 200_000:
                    customers.clear()  # bounded: a reference seen again is looked up again
            report.valid += len(records)
            dicts = [r.__dict__ for r in records]
            if ids is not None:
                ids.extend(_footprints(dicts, lines, list(report.coverage), entity, vocabulary))
            for name in report.coverage:
                report.coverage[name] += len(dicts) - list(map(itemgetter(name), dicts)).count(None)
            count_unknown(records, entity, vocabulary, report.unknown)
            if sample is not None and report.rows_read >= sample:
                break
        else:
            report.complete = True
    except ConnectorError as exc:
        report.notes.append(str(exc))
    finally:
        _close(batches)
    if vocabulary is None:
        report.notes.append("no tiers.yaml beside sources.yaml: tiers, regions and currencies were not checked")
    if engine is None and entity != "customer":
        report.notes.append("the store was not read: rows naming unknown customers are not counted")
    report.seconds = time.perf_counter() - started
    return report


# A valid record as a part reports it: external id, line, which coverage fields it fills (bit i: field i), and the
# values no policy knows it holds. Enough to take it back out of the counts if a later part finds its id repeated.
Footprint = tuple[str, int | None, int, tuple[tuple[str, str], ...]]


def _footprints(
    dicts: list[dict[str, Any]], lines: list[int | None], names: list[str], entity: str, vocab: Vocabulary | None
) -> list[Footprint]:
    fields = POLICY_FIELDS.get(entity, ()) if vocab is not None else ()
    out: list[Footprint] = []
    for d, line in zip(dicts, lines, strict=True):
        mask = sum(1 << i for i, name in enumerate(names) if d.get(name) is not None)
        odd = tuple(
            (f, str(d[f])) for f in fields if d.get(f) is not None and vocab is not None and vocab.problem(f, d[f])
        )
        out.append((d["external_id"], line, mask, odd))
    return out


def _count(report: CheckReport, e: RowError) -> None:
    reason = report.quarantined.setdefault((e.field or "", e.reason), Reason())
    reason.count += 1
    if e.row is not None and len(reason.lines) < FIRST_LINES:
        reason.lines.append(e.row)


def split_csv(spec: SourceSpec, parts: int) -> list[tuple[int, int, int]] | None:
    """``(start, stop, first line)`` byte ranges of a big CSV file's rows, each starting a line; None when the file
    is small, not a CSV, or holds a quote character (a quoted field may hold a newline)."""
    if spec.kind != "csv" or spec.path is None or parts < 2:
        return None
    try:
        with open(spec.path, "rb") as fh:
            if os.fstat(fh.fileno()).st_size < PARALLEL_CHECK_BYTES:
                return None
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                if mm.find(b'"') != -1:
                    return None
                body = mm.find(b"\n") + 1
                if body == 0:
                    return None
                size = len(mm)
                bounds = [body]
                for i in range(1, parts):
                    cut = mm.find(b"\n", body + (size - body) * i // parts)
                    if cut == -1 or cut + 1 >= size:
                        break
                    if cut + 1 > bounds[-1]:
                        bounds.append(cut + 1)
                bounds.append(size)
                out, line = [], 2
                for start, stop in zip(bounds, bounds[1:], strict=False):
                    out.append((start, stop, line))
                    line += mm[start:stop].count(b"\n")
                return out if len(out) > 1 else None
    except (OSError, ValueError):
        return None


def _start_method() -> str:
    """``fork`` when this process runs no other thread, else ``spawn`` (a lock another thread holds would never be
    released in a forked child): the reasoning of :mod:`connectors.parallel`."""
    if sys.platform != "linux":
        return "spawn"
    try:
        return "fork" if len(os.listdir("/proc/self/task")) == 1 else "spawn"
    except OSError:
        return "spawn"


def _check_part(
    spec: SourceSpec,
    vocabulary: Vocabulary | None,
    url: str | None,
    env: Mapping[str, str] | None,
    part: tuple[int, int, int],
) -> tuple[CheckReport, list[Footprint]]:
    """One worker's part of the file (run in a child process)."""
    start, stop, first = part
    engine = create_engine(url) if url else None
    ids: list[Footprint] = []
    connector = create(
        {**spec.connector_spec(dict(env or os.environ)), "byte_range": (start, stop), "first_line": first}
    )
    try:
        return _check(spec, vocabulary, engine, None, env, connector, ids), ids
    finally:
        if engine is not None:
            engine.dispose()


def _check_in_parts(
    spec: SourceSpec,
    vocabulary: Vocabulary | None,
    engine: Engine | None,
    env: Mapping[str, str] | None,
    parts: list[tuple[int, int, int]],
) -> CheckReport:
    started = time.perf_counter()
    url = engine.url.render_as_string(hide_password=False) if engine is not None else None
    context = mp.get_context(_start_method())
    with ProcessPoolExecutor(max_workers=len(parts), mp_context=context) as pool:
        futures = [pool.submit(_check_part, spec, vocabulary, url, env, part) for part in parts]
        results = [f.result() for f in futures]
    report = CheckReport(spec.name, results[0][0].entity, complete=True)
    report.columns = results[0][0].columns
    report.unmapped = results[0][0].unmapped
    seen: dict[str, int | None] = {}
    column = spec.mapping.get("external_id", "external_id")
    for part, ids in results:
        report.rows_read += part.rows_read
        report.valid += part.valid
        report.complete &= part.complete
        report.unknown_customers += part.unknown_customers
        for name, n in part.coverage.items():
            report.coverage[name] = report.coverage.get(name, 0) + n
        for name, counts in part.unknown.items():
            into = report.unknown.setdefault(name, {})
            for value, n in counts.items():
                into[value] = into.get(value, 0) + n
        for key, reason in part.quarantined.items():
            into_reason = report.quarantined.setdefault(key, Reason())
            into_reason.count += reason.count
            into_reason.lines = sorted([*into_reason.lines, *reason.lines])[:FIRST_LINES]
        for note in part.notes:
            if note not in report.notes:
                report.notes.append(note)
        names = list(part.coverage)
        fresh: dict[str, int | None] = {}
        for ext, line, mask, odd in ids:
            if ext not in seen:
                fresh[ext] = line
                continue
            # repeated from an earlier part: the duplicate a sync would quarantine, out of the counts
            report.valid -= 1
            _count(report, RowError(line, column, f"duplicate id {ext!r} (first seen at line {seen[ext]})"))
            for i, name in enumerate(names):
                if mask >> i & 1:
                    report.coverage[name] -= 1
            for name, value in odd:
                report.unknown[name][value] -= 1
                if not report.unknown[name][value]:
                    del report.unknown[name][value]
                    if not report.unknown[name]:
                        del report.unknown[name]
        seen.update(fresh)
    report.seconds = time.perf_counter() - started
    return report
