"""Scheduled jobs of the channels feature; the composition root adds ``jobs(services)`` to the leased scheduler.

``channels.clocks`` runs the sweep (nudges, breach alerts, quiet resolution) every 30 s, so an alert follows a
breach within half a minute plus the outbox's delivery interval. ``channels.links`` makes ``channels.yaml``'s
links true in the store (at start and every 10 minutes) and tells admins about links it cannot make.
"""

from __future__ import annotations

from bot.channels.links import sync_policy_links
from bot.channels.notices import tell_admins
from bot.channels.sweep import sweep
from bot.scheduler import JobSpec
from bot.services import Services

CLOCKS_EVERY = 30
LINKS_EVERY = 600


def sync_links(services: Services) -> int:
    """Apply channels.yaml's links; tell the admins (once) about each link that cannot be made."""
    problems = sync_policy_links(services)
    for channel, kind, text in problems:
        tell_admins(services, channel, kind, text)
    return len(problems)


def jobs(services: Services) -> list[JobSpec]:
    def clocks() -> None:
        sweep(services)

    def links() -> None:
        sync_links(services)

    return [
        JobSpec("channels.clocks", clocks, CLOCKS_EVERY, jitter=2),
        JobSpec("channels.links", links, LINKS_EVERY, jitter=10),
    ]
