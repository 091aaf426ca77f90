"""Writing approval events to the audit trail without deadlocking concurrent writers.

``bot.governance.audit.record`` serialises appenders with a process lock (plus an advisory lock on
PostgreSQL). Two rules keep our transactions clear of lock-order cycles with it:

* SQLite: hold the database write lock *before* calling ``record`` (``record`` takes the process lock and
  then writes; a transaction that already writes cannot be waiting for the file lock while holding it).
* PostgreSQL: call ``record`` at most once per transaction (a second call would wait for the process lock
  while holding the advisory lock another thread, holding the process lock, is waiting for), and check out
  the connection before ``record`` takes the process lock (else a thread can hold that lock while waiting
  for a pool connection that the threads queued behind our row lock are holding).

:func:`audit` does both: it takes the SQLite write lock if needed and refuses a second call per session.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from bot.governance.audit import record

_FLAG = "approvals_audited"


def audit(
    session: Session, actor: str, action: str, subject_id: int | str, details: dict[str, Any] | None = None
) -> None:
    if session.info.get(_FLAG):
        raise RuntimeError("one audit event per transaction (see bot.approvals.auditing)")
    session.connection()  # check out the pooled connection before record() takes its process lock
    if session.get_bind().dialect.name == "sqlite":
        # A write that matches nothing still takes SQLite's write lock for the rest of the transaction.
        session.execute(text("UPDATE approval_requests SET version = version WHERE id = -1"))
    record(session, actor, action, "approval_request", subject_id, details)
    session.info[_FLAG] = True
