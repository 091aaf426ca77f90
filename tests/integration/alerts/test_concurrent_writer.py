"""Another writer committing while a rule is being matched must not make the rule fail (SQLite WAL).

A SQLite transaction that has already read cannot wait for the write lock once someone else has committed:
the upgrade fails at once with "database is locked". The evaluation must not hold a read snapshot into
its writes.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Any

from sqlalchemy import Engine, event, func, select

from bot.alerts.evaluate import evaluate
from bot.alerts.models import Alert
from bot.demo.generator import DemoGenerator, load
from bot.policies import Policies

from .conftest import NOW


def test_a_commit_during_matching_does_not_fail_the_rule(
    sqlite_engine: Engine, owners: list[str], policies: Policies
) -> None:
    load(sqlite_engine, DemoGenerator(300, seed=7, now=NOW, owners=owners))
    evaluate(sqlite_engine, policies, NOW, rules=["sla-breach"])  # open alerts exist: the next run refreshes them
    path = sqlite_engine.url.database
    assert path
    writes = 0
    locked = threading.Event()
    threads: list[threading.Thread] = []

    def hold_then_commit() -> None:
        other = sqlite3.connect(path, timeout=5, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE customers SET health_score = health_score WHERE id = 1")
        locked.set()
        time.sleep(0.3)
        other.execute("COMMIT")
        other.close()

    def other_writer(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        nonlocal writes
        if statement.startswith("INSERT INTO rapport_alert_matches"):
            threads.append(threading.Thread(target=hold_then_commit))
            threads[-1].start()
            locked.wait(5)
            writes += 1

    event.listen(sqlite_engine, "after_cursor_execute", other_writer)
    try:
        report = evaluate(sqlite_engine, policies, NOW, rules=["sla-breach"])
    finally:
        event.remove(sqlite_engine, "after_cursor_execute", other_writer)
        for t in threads:
            t.join()
    assert writes == 1
    (rep,) = report.rules
    assert rep.error is None, rep.error
    assert rep.refreshed > 0
    with sqlite_engine.connect() as conn:
        seen = conn.scalar(select(func.max(Alert.seen_count)).where(Alert.rule == "sla-breach"))
    assert seen == 2
