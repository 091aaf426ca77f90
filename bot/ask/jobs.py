"""Scheduled jobs of Ask, collected by the composition root into the leased scheduler."""

from __future__ import annotations

from bot.scheduler import JobSpec
from bot.services import Services

# A clock that ran out is re-escalated within this many seconds (the target is 60 s).
REESCALATE_SECONDS = 20


def jobs(services: Services) -> list[JobSpec]:
    from bot.ask.handoff import reescalate_due

    def run() -> None:
        reescalate_due(services)

    return [JobSpec(name="ask.handoff_reescalation", func=run, seconds=REESCALATE_SECONDS)]
