"""Scheduled governance jobs: the daily retention purge, run once across replicas by the leased scheduler."""

from __future__ import annotations

import logging

from bot.scheduler import JobSpec
from bot.services import Services

log = logging.getLogger(__name__)
RETENTION_SECONDS = 24 * 3600


def jobs(services: Services) -> list[JobSpec]:
    from bot.governance.retention import purge

    def run_purge() -> None:
        report = purge(services)
        log.info("retention purge", extra={"deleted": report.deleted, "skipped": report.skipped})

    return [JobSpec(name="governance.retention", func=run_purge, seconds=RETENTION_SECONDS, jitter=300)]
