"""Scheduled job of the KPI feature: the weekly governance digest, collected into the leased scheduler.

The job wakes hourly and posts only when a week's digest is due and not yet posted (``digest.run_weekly``),
so a restart, a redeploy or a second replica neither skips nor repeats a week.
"""

from __future__ import annotations

from bot.kpi.digest import run_weekly
from bot.scheduler import JobSpec
from bot.services import Services

CHECK_SECONDS = 3600


def jobs(services: Services) -> list[JobSpec]:
    def run_digest() -> None:
        run_weekly(services)

    return [JobSpec(name="kpi.weekly_digest", func=run_digest, seconds=CHECK_SECONDS, jitter=60)]
