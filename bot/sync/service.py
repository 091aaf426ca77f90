"""Run a source: read batches from its connector, write each with its quarantine rows and cursor in
ONE transaction, and keep a ``sync_runs`` row up to date so status survives a crash.

Resumable: the cursor only moves in the transaction that committed the batch it came from, so a
crash re-reads at most one batch (idempotent upserts make the re-read harmless).

The cursor only moves past rows that were loaded: connectors compute it from the rows that
validated (a row dated in the future, beyond the clock-skew allowance, is quarantined with that
reason and does not count), and a cursor beyond the allowance is never saved whatever the source
said (:mod:`bot.sync.cursors`). One in the future, saved before this rule, shows in ``describe``
as a problem. Over 400 lines: the run's pieces (batches, savepoints, the reader choice, SQLite and
GC settings, status) share the run's state and read best together.

One module because a run's batches, cursor, quarantine and run row commit in one transaction per batch;
the crash-safety argument reads in one place.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Table, false, func, insert, select, update
from sqlalchemy import exc as sa_exc

from bot.store.models import utcnow
from bot.sync import cursors, suppression
from bot.sync.config import POLICY_FIELDS, SourceSpec, SourcesPolicy, Vocabulary
from bot.sync.models import QuarantineRow, SyncCursor, SyncKey, SyncRun
from bot.sync.suppression import Suppressed
from bot.sync.writer import WriteStats, write_batch
from connectors import Batch, Connector, ConnectorError, Record, RowError, create
from connectors.files import FileConnector
from connectors.parallel import read_in_child

QUARANTINE: Table = QuarantineRow.__table__  # type: ignore[assignment]
RUNS: Table = SyncRun.__table__  # type: ignore[assignment]
CURSORS: Table = SyncCursor.__table__  # type: ignore[assignment]
KEYS: Table = SyncKey.__table__  # type: ignore[assignment]
PARALLEL_READ_BYTES = 4 * 1024 * 1024  # ~60,000 rows of a typical export: ~0.5 s of parsing
SPARE_CORE_LOAD = 0.5  # see _worth_a_reader_process
SQLITE_SYNC_CACHE = -64 * 1024  # KiB (negative: a size, not pages): see _sqlite_bulk
SQLITE_SYNC_WAL_PAGES = 10_000  # ~40 MB of WAL between checkpoints while a sync writes
RAW_LIMIT = 500  # characters kept per quarantined value: enough to fix the row, not a data copy


@dataclass
class SyncResult:
    source: str
    run_id: int
    mode: str
    status: str = "running"
    rows_read: int = 0
    rows_loaded: int = 0
    rows_unchanged: int = 0
    rows_quarantined: int = 0
    rows_stale: int = 0  # older than the stored version: skipped
    rows_erased: int = 0  # an erased customer's: skipped, not stored
    cursor: str | None = None
    error: str | None = None
    seconds: float = 0.0
    # values stored that no policy file knows: field -> value -> rows (see count_unknown)
    unknown: dict[str, dict[str, int]] = field(default_factory=dict)
    untiered: int = 0  # new customers that came without a tier: queued for placement

    def unknown_lines(self, limit: int = 5) -> list[str]:
        return describe_unknown(self.unknown, limit)

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds else 0.0


@dataclass
class SourceStatus:
    name: str
    kind: str
    cursor: str | None
    last_run: SyncRun | None
    quarantined: int
    schedule: str | None = None

    def problems(self, now: dt.datetime | None = None) -> list[str]:
        """What needs an operator: a cursor in the future makes every incremental run skip real changes."""
        ahead = cursors.ahead(self.cursor, now)
        if ahead is None:
            return []
        return [
            f"cursor {self.cursor} is {cursors.human(ahead)} in the future: incremental runs skip every change "
            f"dated before it; run `rapport sync --source {self.name} --full` to reset it"
        ]


UNKNOWN_KEPT = 50  # distinct unknown values kept per field on a run (the rest are counted under "...")


def count_unknown(
    records: Sequence[Record], entity: str, vocabulary: Vocabulary | None, into: dict[str, dict[str, int]]
) -> None:
    """Add the values of ``records`` no policy file knows (tiers, regions, currencies, owners) to ``into``."""
    fields = POLICY_FIELDS.get(entity)
    if vocabulary is None or not fields:
        return
    for name in fields:
        seen: dict[str, int] = {}
        for r in records:
            v = r.__dict__.get(name)
            if v is not None:
                seen[v] = seen.get(v, 0) + 1
        for value, n in seen.items():
            if vocabulary.problem(name, value) is None:
                continue
            counts = into.setdefault(name, {})
            key = str(value) if str(value) in counts or len(counts) < UNKNOWN_KEPT else "..."
            counts[key] = counts.get(key, 0) + n


def describe_unknown(unknown: Mapping[str, Mapping[str, int]] | None, limit: int = 5) -> list[str]:
    """``tier 'Enterprise' (1,204 rows) is not in tiers.yaml``, one line per field, most frequent values first."""
    where = {"tier": "tiers.yaml", "region": "tiers.yaml", "currency": "tiers.yaml"}
    out = []
    for name, counts in (unknown or {}).items():
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        shown = ", ".join(f"{v!r} ({n:,} row{'s' if n != 1 else ''})" for v, n in ranked[:limit])
        more = f" and {len(ranked) - limit} more" if len(ranked) > limit else ""
        label = "owner" if name in ("owner_slack_id", "owner") else name
        out.append(f"{label} {shown}{more}: not in {where.get(name, 'roles.yaml')}")
    return out


def _raw(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {str(k): (str(v)[:RAW_LIMIT] if v is not None else None) for k, v in values.items()}


def quarantine(conn: Connection, source: str, entity: str, run_id: int | None, errors: Sequence[RowError]) -> None:
    if errors:
        now = utcnow()
        conn.execute(
            insert(QUARANTINE),
            [
                {
                    "run_id": run_id,
                    "source": source,
                    "entity": entity,
                    "row": e.row,
                    "field": e.field,
                    "reason": e.reason[:2000],
                    "raw": _raw(e.raw),
                    "created_at": now,
                }
                for e in errors
            ],
        )


def save_cursor(conn: Connection, source: str, cursor: str | None) -> None:
    """Store ``cursor`` as is; :func:`apply_batch` decides whether a batch's cursor may be saved."""
    table = CURSORS
    done = conn.execute(update(table).where(table.c.source == source).values(cursor=cursor, updated_at=utcnow()))
    if not done.rowcount:
        conn.execute(insert(table).values(source=source, cursor=cursor, updated_at=utcnow()))


def load_cursor(engine: Engine, source: str) -> str | None:
    with engine.connect() as conn:
        return conn.scalar(select(SyncCursor.cursor).where(SyncCursor.source == source))


def start_run(engine: Engine, source: str, mode: str) -> int:
    with engine.begin() as conn:
        return int(
            conn.execute(
                insert(RUNS).returning(RUNS.c.id),
                {
                    "source": source,
                    "mode": mode,
                    "status": "running",
                    "started_at": utcnow(),
                    "rows_read": 0,
                    "rows_loaded": 0,
                    "rows_unchanged": 0,
                    "rows_quarantined": 0,
                    "rows_stale": 0,
                    "rows_erased": 0,
                },
            ).scalar_one()
        )


def _bump_run(conn: Connection, result: SyncResult) -> None:
    conn.execute(
        update(RUNS)
        .where(RUNS.c.id == result.run_id)
        .values(
            rows_read=result.rows_read,
            rows_loaded=result.rows_loaded,
            rows_unchanged=result.rows_unchanged,
            rows_quarantined=result.rows_quarantined,
            rows_stale=result.rows_stale,
            rows_erased=result.rows_erased,
            unknown_values=result.unknown or None,
        )
    )


def finish_run(engine: Engine, result: SyncResult) -> None:
    with engine.begin() as conn:
        _bump_run(conn, result)
        conn.execute(
            update(RUNS)
            .where(RUNS.c.id == result.run_id)
            .values(status=result.status, finished_at=utcnow(), error=result.error)
        )


def _finish_failed_run(engine: Engine, result: SyncResult, attempts: int = 10, wait: float = 1.0) -> None:
    """Record a failed run even when the failure was the database going away (a restart, a failover): the
    row would otherwise say ``running`` forever. Bounded; a longer outage leaves it as it was."""
    for attempt in range(attempts):
        try:
            finish_run(engine, result)
            return
        except sa_exc.OperationalError:
            if attempt == attempts - 1:
                return  # the caller re-raises the run's own error, which says more
            time.sleep(wait)


@dataclass
class KeyLookup:
    """Whether each batch's keys must be looked up in ``sync_keys`` before it is written.

    On a source's first load the look-up finds nothing, yet it was the biggest single cost on the
    database side: ~3.5 us a row on PostgreSQL (0.7 s of a 200,000-order load), a scan of the
    growing key table per batch. So a sync whose source had no stored keys when it began writes
    without it (``probe=False``). A key stored after all (the same id in two batches of one file,
    or another run of the source meanwhile) then fails its batch on ``sync_keys``' primary key;
    the batch is rolled back and written again with the look-up, which stays on for the rest of
    the run, so such a record is updated as it would have been, never refused or duplicated.

    ``customers``: the store id of each customer reference this run has resolved (in the customer
    source's keys). Resolving the same references again for every batch cost ~8 ms a batch on
    PostgreSQL (a 1,000-value look-up), ~4% of a 200,000-order load. The memo holds for one run, as
    if its references were resolved when it began. A batch the database refuses clears it, so the
    retry resolves afresh (a customer erased meanwhile is then an unknown customer, not a broken
    foreign key for every row that names it).

    ``suppressed``: the erased identities as this run last read them (re-read in each batch's
    transaction only when the list grew: one indexed look-up).
    """

    probe: bool = True
    customers: dict[str, int] = field(default_factory=dict)
    suppressed: Suppressed = field(default_factory=Suppressed)
    vocabulary: Vocabulary | None = None  # the policy files' words: unknown values are counted, new customers placed

    @classmethod
    def at_start(cls, conn: Connection, source: str, entity: str) -> KeyLookup:
        stored = conn.scalar(
            select(KEYS.c.external_id).where(KEYS.c.source == source, KEYS.c.entity == entity).limit(1)
        )
        conn.rollback()  # the read began the connection's transaction; each batch begins its own
        return cls(probe=stored is not None)


def _row_fault(conn: Connection, exc: BaseException) -> bool:
    """The database refused a value (too long for its column, out of range, a NUL byte, a broken
    constraint): something about the rows, not the connection, so splitting the batch isolates it."""
    dbapi = conn.dialect.loaded_dbapi
    row_errors = (sa_exc.DataError, sa_exc.IntegrityError, dbapi.DataError, dbapi.IntegrityError, OverflowError)
    return isinstance(exc, row_errors)


def _write_isolating(
    conn: Connection,
    source: str,
    entity: str,
    records: Sequence[Record],
    lines: Sequence[int | None],
    customer_source: str | None,
    digests: Sequence[str] | None = None,
    keys: KeyLookup | None = None,
) -> WriteStats:
    """Write ``records`` in a savepoint. If the database refuses the batch over some row, roll the
    savepoint back and write each half the same way: good rows still load, and each refused row is
    reported with its line. Costs one savepoint per batch; the split only happens on failure.
    Written without the key look-up first if ``keys`` allows it (see :class:`KeyLookup`)."""
    keys = keys or KeyLookup()
    try:
        with conn.begin_nested():
            return write_batch(
                conn,
                source,
                entity,
                records,
                lines,
                customer_source,
                digests,
                probe=keys.probe,
                customers=keys.customers,
                suppressed=keys.suppressed,
                vocabulary=keys.vocabulary,
            )
    except Exception as exc:
        if not _row_fault(conn, exc):
            raise
        keys.customers.clear()
        if not keys.probe:
            keys.probe = True
            return _write_isolating(conn, source, entity, records, lines, customer_source, digests, keys)
        if len(records) > 1:
            mid = len(records) // 2
            head, tail = (digests[:mid], digests[mid:]) if digests is not None else (None, None)
            first = _write_isolating(conn, source, entity, records[:mid], lines[:mid], customer_source, head, keys)
            rest = _write_isolating(conn, source, entity, records[mid:], lines[mid:], customer_source, tail, keys)
            first.add(rest)
            return first
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        stats = WriteStats()
        rec = records[0]
        raw = {k: v for k, v in rec.__dict__.items() if v is not None}
        stats.errors.append(RowError(lines[0] if lines else None, None, f"refused by the database: {reason}", raw))
        return stats


def apply_batch(
    conn: Connection,
    spec_name: str,
    entity: str,
    batch: Batch,
    result: SyncResult,
    customer_source: str | None,
    digests: Sequence[str] | None = None,
    keys: KeyLookup | None = None,
) -> None:
    """Write one batch, its quarantine rows, run counters and (if given) its cursor: one transaction.
    ``digests``: the records' content hashes, when the reader computed them; ``keys``: see
    :class:`KeyLookup` (by default every batch's keys are looked up).

    Rows of erased customers are neither stored nor quarantined (counted as erased), older versions
    of stored records are skipped (counted as stale), and a cursor beyond the clock-skew allowance
    is not saved: the run keeps the one it had and says why in its error."""
    keys = keys or KeyLookup()
    if conn.dialect.name == "sqlite":
        # pysqlite opens its transaction lazily at the first DML; a SAVEPOINT issued before that would
        # itself become the transaction and its RELEASE would commit it. A no-op UPDATE opens it now,
        # and takes the write lock, so the erased identities read next cannot change before commit.
        conn.execute(update(RUNS).where(false()).values(id=RUNS.c.id))
    suppression.lock_shared(conn)
    keys.suppressed = suppression.load(conn, keys.suppressed)
    stats = _write_isolating(conn, spec_name, entity, batch.records, batch.lines, customer_source, digests, keys)
    errors = batch.errors + stats.errors
    if keys.suppressed:
        kept = [e for e in errors if not keys.suppressed.raw(spec_name, customer_source or spec_name, e.raw)]
        stats.erased += len(errors) - len(kept)
        errors = kept
    quarantine(conn, spec_name, entity, result.run_id, errors)
    result.rows_read += batch.rows_read or len(batch.records) + len(batch.errors)
    result.rows_loaded += stats.loaded
    result.rows_unchanged += stats.unchanged
    result.rows_quarantined += len(errors)
    result.rows_stale += stats.stale
    result.rows_erased += stats.erased
    result.untiered += stats.untiered
    count_unknown(batch.records, entity, keys.vocabulary, result.unknown)
    if batch.cursor is not None:
        ahead = cursors.ahead(batch.cursor)
        if ahead is None:
            save_cursor(conn, spec_name, batch.cursor)
            result.cursor = batch.cursor
        else:
            result.error = (
                f"cursor kept at {result.cursor or '-'}: the source's next cursor {batch.cursor} is "
                f"{cursors.human(ahead)} in the future"
            )[:1000]
    _bump_run(conn, result)


def _cpu_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine since boot, from ``/proc/stat`` (Linux)."""
    with open("/proc/stat", encoding="ascii") as fh:
        ticks = [int(x) for x in fh.readline().split()[1:9]]  # user nice system idle iowait irq softirq steal
    return sum(ticks) - ticks[3] - ticks[4], sum(ticks)


def busy_cores(window: float = 0.1) -> float:
    """How many cores are busy now: ``/proc/stat`` sampled over ``window`` seconds, or the 1-minute
    load average where there is no ``/proc``. Not the load average first: it trails by a minute, so
    right after one big sync (the previous source of a ``rapport sync``) it still counts that sync,
    and the next big file was read in process on an idle machine."""
    try:
        busy, total = _cpu_ticks()
        time.sleep(window)
        busy2, total2 = _cpu_ticks()
    except (OSError, ValueError, IndexError):
        return os.getloadavg()[0]
    if total2 <= total:
        return os.getloadavg()[0]
    return (os.cpu_count() or 1) * (busy2 - busy) / (total2 - total)


def _worth_a_reader_process(source: Connector, cursor: str | None = None) -> bool:
    """A big file on a machine with a core to spare: read it in a child process (see
    :mod:`connectors.parallel`). Below the size threshold, starting the child costs more than it
    saves; so it does on a poll past a cursor, which validates only the changed rows (200,000
    orders, 1% changed: 0.5-0.6 s in process, 0.8-1.0 s with a spawned child, 0.7 s with a forked
    one). Without a spare core (:func:`busy_cores` within ``SPARE_CORE_LOAD`` of the core count)
    the two processes only
    split this sync's share of the CPU and add the cost of sending batches across: on 2 cores,
    200,000 orders into SQLite took 51k rows/s with the child vs 40k without at load ~1, but
    28-32k vs 35-40k at load 2-3."""
    cores = os.cpu_count() or 1
    if cores < 2 or not isinstance(source, FileConnector) or (cursor is not None and source.spec.cursor_field):
        return False
    try:
        big = source.spec.path.stat().st_size >= PARALLEL_READ_BYTES
    except OSError:
        return False
    return big and busy_cores() <= cores - SPARE_CORE_LOAD


@contextmanager
def _sqlite_bulk(conn: Connection) -> Iterator[None]:
    """SQLite settings for the sync's connection while it runs, the previous ones after.

    A batch inserts thousands of rows into a table and its indexes at scattered places (orders by
    customer): with the default 2 MB page cache, index pages are evicted and re-read within the
    batch. And each batch outgrows the default 1,000-page WAL, so every commit ran a checkpoint
    (copy + fsync) of pages the next batch rewrites anyway. Together ~15% of write time at 200,000
    orders. The cache takes memory as pages are used, not up front; the WAL is checkpointed once
    at the end instead.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    cache = int(conn.exec_driver_sql("PRAGMA cache_size").scalar() or 0)
    pages = int(conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() or 0)
    conn.exec_driver_sql(f"PRAGMA cache_size={SQLITE_SYNC_CACHE}")
    conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint={SQLITE_SYNC_WAL_PAGES}")
    conn.commit()  # the PRAGMAs began the connection's autobegin transaction; end it
    try:
        yield
    finally:
        # A connection too broken to take these is discarded by the pool; the run's own error matters.
        with suppress(sa_exc.SQLAlchemyError):
            conn.exec_driver_sql(f"PRAGMA cache_size={cache}")
            conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint={pages}")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            conn.commit()


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a sync runs.

    A batch is tens of thousands of short-lived, acyclic objects (rows, records, tuples); reference
    counting frees them, but their allocation keeps triggering full collections that walk every live
    object: ~25% of ingest CPU. The pause is process-wide and bounded by the sync; cycles made
    meanwhile (by any thread) are collected once it ends.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _write_in_order(
    conn: Connection,
    batches: Iterable[tuple[Batch, Sequence[str] | None]],
    write: Callable[[Batch, Sequence[str] | None], None],
    written: Callable[[], None],
) -> None:
    """``write`` each batch, in order, one at a time; ``written`` after each.

    On PostgreSQL the write of a batch runs in a thread while the next batch is read: about half a
    write is waiting for the server (COPY, foreign-key checks, commit) with the GIL released, and
    that wait now overlaps reading. Batches still commit strictly in order, each with its cursor,
    and a failed write stops the run before the next batch is written. Not on SQLite: its inserts
    release the GIL row by row, so a writer thread would queue for the GIL behind the reader.
    """
    if conn.dialect.name != "postgresql":
        for batch, digests in batches:
            write(batch, digests)
            written()
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-writer") as pool:
        pending: Future[None] | None = None
        for batch, digests in batches:
            if pending is not None:
                pending.result()  # the previous batch is committed (or its error is raised here)
                written()
            pending = pool.submit(write, batch, digests)
        if pending is not None:
            pending.result()
            written()
    # Leaving the pool waits for a write still running (a read failed meanwhile): the connection
    # is not closed under it, and what it committed is counted.


def sync_source(
    engine: Engine,
    spec: SourceSpec,
    full: bool = False,
    env: Mapping[str, str] | None = None,
    connector: Connector | None = None,
    on_batch: Callable[[SyncResult], None] | None = None,
    reader_process: bool | None = None,
    vocabulary: Vocabulary | None = None,
) -> SyncResult:
    """Run one source to completion (or failure); returns the run's figures. Never raises for bad
    rows (they are quarantined); a source-level failure ends the run as ``failed`` with its error.
    ``reader_process``: read in a child process (see :func:`_worth_a_reader_process`, the default).
    ``vocabulary``: the policy files' words (:func:`bot.sync.config.load_vocabulary`): values stored that
    they do not know are counted on the run, and new customers without a tier are placed by value."""
    mode = "full" if full else "incremental"
    result = SyncResult(source=spec.name, run_id=start_run(engine, spec.name, mode), mode=mode)
    started = time.perf_counter()
    try:
        conn_spec = spec.connector_spec(dict(env if env is not None else os.environ))
        source = connector or create(conn_spec)
        entity = source.entity
        cursor = None if full else load_cursor(engine, spec.name)
        result.cursor = cursor
        batches: Iterable[tuple[Batch, Sequence[str] | None]]
        if reader_process is None:
            reader_process = _worth_a_reader_process(source, cursor)
        read = source.full_load(spec.batch_size) if full else source.poll(cursor, spec.batch_size)
        if connector is None and reader_process:
            batches = read_in_child(conn_spec, entity, cursor, full, spec.batch_size, here=read)
        else:
            batches = ((batch, None) for batch in read)
        with _gc_paused(), engine.connect() as conn, _sqlite_bulk(conn):
            keys = KeyLookup.at_start(conn, spec.name, entity)
            keys.vocabulary = vocabulary

            def write(batch: Batch, digests: Sequence[str] | None) -> None:
                with conn.begin():
                    apply_batch(conn, spec.name, entity, batch, result, spec.customer_source, digests, keys)

            _write_in_order(conn, batches, write, lambda: on_batch(result) if on_batch else None)
        result.status = "partial" if result.rows_quarantined else "ok"
    except (ConnectorError, OSError, ValueError) as exc:
        result.status, result.error = "failed", str(exc).splitlines()[0][:1000]
    except Exception as exc:  # noqa: BLE001 - recorded on the run, then re-raised for the log
        result.status, result.error = (
            "failed",
            f"{type(exc).__name__}: {str(exc).splitlines()[0][:900] if str(exc) else ''}",
        )
        result.seconds = time.perf_counter() - started
        _finish_failed_run(engine, result)
        raise
    result.seconds = time.perf_counter() - started
    finish_run(engine, result)
    return result


def sync_all(
    engine: Engine,
    sources: SourcesPolicy,
    name: str | None = None,
    full: bool = False,
    env: Mapping[str, str] | None = None,
    on_batch: Callable[[SyncResult], None] | None = None,
    vocabulary: Vocabulary | None = None,
) -> list[SyncResult]:
    """Sync one named source or every pull source (webhook sources only receive)."""
    specs = [sources.source(name)] if name else [s for s in sources.sources if s.kind != "webhook"]
    return [sync_source(engine, s, full=full, env=env, on_batch=on_batch, vocabulary=vocabulary) for s in specs]


def status(engine: Engine, sources: SourcesPolicy) -> list[SourceStatus]:
    out: list[SourceStatus] = []
    with engine.connect() as conn:
        names = [s.name for s in sources.sources]
        extra = conn.scalars(select(SyncRun.source).distinct()).all()
        names += [n for n in extra if n not in names]
        for name in names:
            run = conn.execute(select(RUNS).where(SyncRun.source == name).order_by(SyncRun.id.desc()).limit(1)).first()
            spec = sources.by_name.get(name)
            out.append(
                SourceStatus(
                    name=name,
                    kind=spec.kind if spec else "?",
                    cursor=conn.scalar(select(SyncCursor.cursor).where(SyncCursor.source == name)),
                    last_run=SyncRun(**run._mapping) if run else None,
                    quarantined=int(
                        conn.scalar(select(func.count()).select_from(QuarantineRow).where(QuarantineRow.source == name))
                        or 0
                    ),
                    schedule=spec.schedule if spec else None,
                )
            )
    return out


def describe(s: SourceStatus) -> str:
    """One line per source for ``rapport sync status`` and the admins' App Home."""
    run = s.last_run
    last = (
        (
            f"last run {run.started_at:%Y-%m-%d %H:%M} UTC {run.status}: read {run.rows_read:,}, "
            f"loaded {run.rows_loaded:,}, quarantined {run.rows_quarantined:,}"
            + (f", stale {run.rows_stale:,} skipped" if run.rows_stale else "")
            + (f", erased {run.rows_erased:,} skipped" if run.rows_erased else "")
            + (f" ({run.error})" if run.error else "")
            + "".join(f"; STORED UNKNOWN {line}" for line in describe_unknown(run.unknown_values))
        )
        if run
        else "never run"
    )
    problems = "".join(f"; PROBLEM: {p}" for p in s.problems())
    return (
        f"{s.name} [{s.kind}{', every ' + s.schedule if s.schedule else ''}]: {last}; "
        f"cursor {s.cursor or '-'}; {s.quarantined:,} quarantined rows kept{problems}"
    )


def errors(
    engine: Engine, source: str | None = None, limit: int = 50, since: dt.datetime | None = None
) -> list[QuarantineRow]:
    stmt = select(QUARANTINE).order_by(QuarantineRow.id.desc()).limit(limit)
    if source:
        stmt = stmt.where(QuarantineRow.source == source)
    if since:
        stmt = stmt.where(QuarantineRow.created_at >= since)
    with engine.connect() as conn:
        return [QuarantineRow(**r._mapping) for r in conn.execute(stmt)]
