"""Database leases: a conditional update under the primary key decides one holder across processes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, insert, update
from sqlalchemy.exc import IntegrityError

from bot.store.models import Lease, utcnow


def try_acquire(engine: Engine, name: str, holder: str, ttl: dt.timedelta) -> bool:
    """Take or renew ``name`` for ``ttl`` if it is free, expired, or already ours. Atomic on any backend."""
    now = utcnow()
    with engine.begin() as conn:
        res = conn.execute(
            update(Lease)
            .where(Lease.name == name, (Lease.holder == holder) | (Lease.expires_at < now))
            .values(holder=holder, expires_at=now + ttl)
        )
        if res.rowcount:
            return True
    try:
        with engine.begin() as conn:
            conn.execute(insert(Lease).values(name=name, holder=holder, expires_at=now + ttl))
        return True
    except IntegrityError:
        return False  # someone else holds it


def release(engine: Engine, name: str, holder: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(Lease).where(Lease.name == name, Lease.holder == holder).values(expires_at=utcnow()))
