"""Scheduled jobs of the approvals feature, collected by the composition root into the leased scheduler."""

from __future__ import annotations

from bot.approvals.decisions import deliver_stale_notices
from bot.approvals.timeouts import sweep
from bot.scheduler import JobSpec
from bot.services import Services

SWEEP_SECONDS = 60


def jobs(services: Services) -> list[JobSpec]:
    def run_sweep() -> None:
        sweep(services)
        deliver_stale_notices(services)

    return [JobSpec(name="approvals.timeouts", func=run_sweep, seconds=SWEEP_SECONDS, jitter=5)]
