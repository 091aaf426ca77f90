"""Scheduled privacy work: the daily retention purge, run once across replicas by the leased scheduler."""

from __future__ import annotations

import logging

from bot.privacy.retention import purge
from bot.scheduler import JobSpec
from bot.services import Services

log = logging.getLogger(__name__)
RETENTION_SECONDS = 24 * 3600


def jobs(services: Services) -> list[JobSpec]:
    def run_purge() -> None:
        report = purge(services)
        log.info("retention purge", extra={"deleted": report.deleted, "skipped": report.skipped})

    # The job keeps its historical name: the scheduler's lease rows are keyed by it.
    return [JobSpec(name="governance.retention", func=run_purge, seconds=RETENTION_SECONDS, jitter=300)]
