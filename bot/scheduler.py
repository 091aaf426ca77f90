"""APScheduler wiring. Every process may run a scheduler; a database lease per job makes one of them run it.

APScheduler 3 job stores must not be shared between schedulers, so jobs live in memory (their schedule is
code and policy, re-created at start) and exactly-one-runner comes from ``bot.store.lease``. Jobs are
themselves idempotent (outbox, conditional updates), so a crash mid-run is finished by the next run.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from bot.store.lease import try_acquire

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: Callable[[], object]
    seconds: int  # run every N seconds
    jitter: int = 0
    kwargs: dict[str, Any] = field(default_factory=dict)


def process_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def leased(engine: Engine, job: JobSpec, holder: str) -> Callable[[], None]:
    """Wrap a job so only the process holding its lease runs it in this interval."""
    ttl = dt.timedelta(seconds=max(1.0, job.seconds * 0.9))

    def run() -> None:
        if not try_acquire(engine, f"job:{job.name}", holder, ttl):
            log.debug("job %s: another process holds the lease", job.name)
            return
        try:
            job.func()
        except Exception:
            log.exception("job %s failed; the next run retries", job.name)

    return run


def build_scheduler(engine: Engine, jobs: list[JobSpec], holder: str | None = None) -> Any:
    from apscheduler.schedulers.background import BackgroundScheduler

    holder = holder or process_identity()
    scheduler = BackgroundScheduler(timezone=dt.UTC, job_defaults={"coalesce": True, "max_instances": 1})
    for job in jobs:
        scheduler.add_job(
            leased(engine, job, holder),
            "interval",
            seconds=job.seconds,
            id=job.name,
            jitter=job.jitter or None,
            next_run_time=dt.datetime.now(dt.UTC),
        )
    return scheduler
