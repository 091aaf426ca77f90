"""The data sources at a glance for admins (App Home): each source's last run, cursor and quarantined rows."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services import Services
from bot.sync import service
from bot.sync.config import load_sources


@dataclass(frozen=True)
class SourcesSummary:
    lines: list[str]


def for_admin(services: Services, user_id: str) -> SourcesSummary | None:
    """None for everyone but admins, and when no source is configured or has run."""
    if not services.policies.is_admin(user_id):
        return None
    statuses = service.status(services.engine, load_sources(services.settings.policies_dir))
    return SourcesSummary([service.describe(s) for s in statuses]) if statuses else None
