"""``/readyz``'s index check waits for the question model's warm-up, not only for the index object."""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from bot.serve import readiness


class _Services:
    def __init__(self, engine: Engine, index: object | None) -> None:
        self.engine = engine
        self._index = index


def test_the_index_is_ready_once_synced_and_warm(sqlite_engine: Engine) -> None:
    warmed = threading.Event()
    assert readiness(_Services(sqlite_engine, None), warmed=warmed)["index"] is False  # type: ignore[arg-type]
    synced = _Services(sqlite_engine, object())
    assert readiness(synced, warmed=warmed)["index"] is False  # type: ignore[arg-type]  # model still loading
    warmed.set()
    assert readiness(synced, warmed=warmed) == {"database": True, "index": True}  # type: ignore[arg-type]
