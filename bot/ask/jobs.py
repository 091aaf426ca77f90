"""Scheduled jobs of Ask, collected by the composition root into the leased scheduler."""

from __future__ import annotations

from bot.ask.handoff import reescalate_due
from bot.ask.report import send_owner_digests
from bot.scheduler import JobSpec
from bot.services import Services

# A clock that ran out is re-escalated within this many seconds (the target is 60 s).
REESCALATE_SECONDS = 20
# The owners' weekly digest is checked hourly and sent once per ISO week (remembered in the audit trail).
DIGEST_CHECK_SECONDS = 3600


def jobs(services: Services) -> list[JobSpec]:
    def run() -> None:
        reescalate_due(services)

    def digests() -> None:
        send_owner_digests(services)

    return [
        JobSpec(name="ask.handoff_reescalation", func=run, seconds=REESCALATE_SECONDS),
        JobSpec(name="ask.owner_digest", func=digests, seconds=DIGEST_CHECK_SECONDS, jitter=60),
    ]
