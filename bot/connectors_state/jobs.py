"""Scheduled work: one job per source with a ``schedule``, plus the retention purge (daily)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.scheduler import JobSpec

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)
RETENTION_EVERY = 24 * 3600


def jobs(services: Services) -> list[JobSpec]:
    from bot.connectors_state.config import load_sources

    sources = load_sources(services.settings.policies_dir)
    out: list[JobSpec] = []
    for spec in sources.sources:
        seconds = spec.schedule_seconds
        if seconds and spec.kind != "webhook":
            out.append(
                JobSpec(
                    name=f"sync:{spec.name}",
                    func=_sync_one(services, spec.name),
                    seconds=seconds,
                    jitter=min(60, seconds // 10),
                )
            )
    out.append(JobSpec(name="governance:retention", func=_retention(services), seconds=RETENTION_EVERY, jitter=300))
    return out


def _sync_one(services: Services, name: str):  # type: ignore[no-untyped-def]
    def run() -> None:
        from bot.connectors_state import service
        from bot.connectors_state.config import load_sources

        spec = load_sources(services.settings.policies_dir).source(name)  # re-read: YAML may have changed
        result = service.sync_source(services.engine, spec)
        log.info(
            "sync %s: %s read=%d loaded=%d quarantined=%d",
            name,
            result.status,
            result.rows_read,
            result.rows_loaded,
            result.rows_quarantined,
        )

    return run


def _retention(services: Services):  # type: ignore[no-untyped-def]
    def run() -> None:
        from bot.governance.retention import purge

        report = purge(services)
        log.info("retention purge: %s", report.deleted)

    return run
