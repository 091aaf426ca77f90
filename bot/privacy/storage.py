"""What an erasure does to the database files, beyond deleting rows, so the erased bytes do not linger.

A deleted row is gone from queries at once, but its bytes are not: SQLite leaves the freed cell in
its page and the old page image in the write-ahead log until a checkpoint, PostgreSQL leaves a dead
tuple in its heap and index pages until VACUUM. So:

* **SQLite**: the erasure runs on a connection with ``PRAGMA secure_delete=ON`` (SQLite overwrites
  what it frees with zeros), then the WAL is checkpointed into the main file and truncated to zero
  bytes (``PRAGMA wal_checkpoint(TRUNCATE)``). The checkpoint waits, within the busy timeout, for
  readers on older snapshots (another process's open transaction); if one never finishes, the WAL
  is truncated by the next checkpoint instead, and the report says so.
* **PostgreSQL**: after the commit, ``VACUUM`` on every table the erasure changed removes the dead
  tuples and their index entries so the space is reused. What VACUUM does not do (the bytes may
  stay in freed page space until overwritten, in WAL segments, base backups and replicas) is in
  SECURITY.md.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Connection

log = logging.getLogger(__name__)
CHECKPOINT_TRIES = 20
CHECKPOINT_WAIT = 0.25  # seconds between tries, on top of the busy timeout each try waits


@contextmanager
def secure_delete(conn: Connection) -> Iterator[None]:
    """SQLite: freed content is overwritten with zeros while the block runs on ``conn`` (then restored:
    it makes every later delete and update on a pooled connection write more)."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = int(conn.exec_driver_sql("PRAGMA secure_delete").scalar() or 0)
    conn.exec_driver_sql("PRAGMA secure_delete=ON")
    conn.commit()  # the PRAGMAs began SQLAlchemy's autobegin transaction; the erasure begins its own
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA secure_delete={before}")
        conn.commit()


def after_commit(conn: Connection, tables: Sequence[str]) -> list[str]:
    """Clear what the files still hold of the committed erasure; what was done, one line each."""
    if conn.dialect.name == "sqlite":
        return [truncate_wal(conn)]
    if conn.dialect.name == "postgresql":
        return vacuum(conn, tables)
    return []


def truncate_wal(conn: Connection) -> str:
    """Checkpoint the WAL into the database file and truncate it (SQLite in WAL mode)."""
    mode = str(conn.exec_driver_sql("PRAGMA journal_mode").scalar() or "").lower()
    conn.commit()
    if mode != "wal":
        return f"sqlite: journal mode {mode or '?'}, no WAL to truncate"
    for _ in range(CHECKPOINT_TRIES):
        busy, frames, done = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        conn.commit()
        if not busy:
            return f"sqlite: WAL checkpointed ({done} frames) and truncated"
        time.sleep(CHECKPOINT_WAIT)
    log.warning("WAL not truncated after the erasure: a reader kept an older snapshot (%s frames left)", frames)
    return "sqlite: WAL NOT truncated (a reader held an older snapshot); the next checkpoint will"


def vacuum(conn: Connection, tables: Sequence[str]) -> list[str]:
    """``VACUUM`` each table (outside a transaction, as PostgreSQL requires)."""
    done: list[str] = []
    quote = conn.dialect.identifier_preparer.quote
    if conn.in_transaction():  # the erasure is committed; what is open here holds nothing of it
        conn.commit()
    auto = conn.execution_options(isolation_level="AUTOCOMMIT")
    for name in tables:
        auto.exec_driver_sql(f"VACUUM {quote(name)}")
        done.append(name)
    return [f"postgresql: VACUUM {', '.join(done)}"] if done else []
