"""Scheduled work: one job per source with a ``schedule`` (webhook sources are pushed, not polled)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.scheduler import JobSpec
from bot.services import Services
from bot.sync import service
from bot.sync.config import Vocabulary, load_sources

log = logging.getLogger(__name__)


def jobs(services: Services) -> list[JobSpec]:
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
    return out


def _sync_one(services: Services, name: str) -> Callable[[], None]:
    def run() -> None:
        spec = load_sources(services.settings.policies_dir).source(name)  # re-read: YAML may have changed
        vocabulary = Vocabulary.of(services.policies.tiers, services.policies.roles)
        result = service.sync_source(services.engine, spec, vocabulary=vocabulary)
        log.info(
            "sync %s: %s read=%d loaded=%d quarantined=%d%s",
            name,
            result.status,
            result.rows_read,
            result.rows_loaded,
            result.rows_quarantined,
            "".join(f"; stored unknown {line}" for line in result.unknown_lines()),
        )

    return run
