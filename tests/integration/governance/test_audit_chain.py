from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session

from bot.governance.audit import GENESIS, record, verify
from bot.store.lease import release, try_acquire
from bot.store.models import AuditEvent


def _append(engine: Engine, n: int, actor: str = "U1") -> None:
    for i in range(n):
        with Session(engine) as s, s.begin():
            record(s, actor, "answer.given", "question", i, {"fields": ["tier"]})


def test_chain_verifies_and_links(engine: Engine) -> None:
    _append(engine, 5)
    with Session(engine) as s:
        rows = s.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert rows[0].prev_hash == GENESIS
        assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:], strict=False))
        assert verify(s).ok and verify(s).checked == 5


def test_edit_and_delete_are_detected(engine: Engine) -> None:
    _append(engine, 6)
    with Session(engine) as s, s.begin():
        third = s.scalars(select(AuditEvent.id).order_by(AuditEvent.id).offset(2).limit(1)).one()
        s.execute(update(AuditEvent).where(AuditEvent.id == third).values(actor="U_EVIL"))
    with Session(engine) as s:
        res = verify(s)
        assert not res.ok and res.first_bad_id == third and "edited" in res.reason
    with Session(engine) as s, s.begin():
        s.execute(update(AuditEvent).where(AuditEvent.id == third).values(actor="U1"))
        s.execute(delete(AuditEvent).where(AuditEvent.id == third + 1))
    with Session(engine) as s:
        res = verify(s)
        assert not res.ok and res.first_bad_id == third + 2 and "deleted" in res.reason


def test_concurrent_appenders_keep_one_linear_chain(engine: Engine) -> None:
    threads = [threading.Thread(target=_append, args=(engine, 10, f"U{i}")) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 40
        assert verify(s).ok


def test_lease_has_one_holder_until_expiry(engine: Engine) -> None:
    ttl = dt.timedelta(seconds=60)
    assert try_acquire(engine, "job:x", "A", ttl)
    assert not try_acquire(engine, "job:x", "B", ttl)
    assert try_acquire(engine, "job:x", "A", ttl)  # renew
    release(engine, "job:x", "A")
    assert try_acquire(engine, "job:x", "B", ttl)
    assert not try_acquire(engine, "job:x", "A", ttl)
