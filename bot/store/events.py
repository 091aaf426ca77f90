"""Slack event dedupe: Slack delivers events at least once; each envelope id is handled once across replicas."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable

from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.store.models import ProcessedEvent

log = logging.getLogger(__name__)
DEDUPE_TTL = dt.timedelta(days=2)
_SQLITE_DEDUPE = threading.Lock()


class _RecentIds:
    """A bounded, thread-safe set of recently seen ids: the dedupe of last resort while the store is down."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self.ids: OrderedDict[str, None] = OrderedDict()
        self.lock = threading.Lock()

    def first(self, key: str) -> bool:
        with self.lock:
            if key in self.ids:
                return False
            self.ids[key] = None
            if len(self.ids) > self.size:
                self.ids.popitem(last=False)
            return True


_OUTAGE_SEEN = _RecentIds()


def first_delivery(
    engine: Engine, sessions: sessionmaker[Session], event_id: str, now: Callable[[], dt.datetime]
) -> bool:
    """True the first time an event id is seen, across restarts and replicas (unique key in the store)."""
    # On SQLite, concurrent acks would otherwise queue in SQLite's busy handler, which sleeps in growing
    # steps (1, 2, 5, 10, 25... ms) instead of waking when the writer is done: the ack p99 paid for it.
    # A process lock hands the single write slot over at once; PostgreSQL needs none.
    gate = _SQLITE_DEDUPE if engine.dialect.name == "sqlite" else contextlib.nullcontext()
    try:
        with gate, sessions() as session, session.begin():
            session.add(ProcessedEvent(event_id=event_id[:64], received_at=now()))
        return True
    except IntegrityError:
        return False
    except OperationalError:
        # Store locked or down: handle the event anyway (the handlers report their own failure visibly), but
        # remember it in memory so Slack's retries to this process still get one outcome, not several.
        log.warning("event dedupe store unavailable; deduping %s in memory", event_id, exc_info=True)
        return _OUTAGE_SEEN.first(event_id)


def purge_processed(sessions: sessionmaker[Session], now: dt.datetime) -> int:
    with sessions() as session, session.begin():
        res = session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < now - DEDUPE_TTL))
        return int(res.rowcount or 0)  # type: ignore[attr-defined]
