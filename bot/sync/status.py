"""The data sources at a glance for admins (App Home): each source's last run, cursor and quarantined rows,
and what needs them first (a cursor in the future, which makes incremental runs skip real changes)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.services import Services
from bot.sync import service
from bot.sync.config import load_sources


@dataclass(frozen=True)
class SourcesSummary:
    lines: list[str]
    problems: list[str] = field(default_factory=list)  # "<source>: <what is wrong and what to do>"


def for_admin(services: Services, user_id: str) -> SourcesSummary | None:
    """None for everyone but admins, and when no source is configured or has run."""
    if not services.policies.is_admin(user_id):
        return None
    statuses = service.status(services.engine, load_sources(services.settings.policies_dir))
    if not statuses:
        return None
    problems = [f"{s.name}: {p}" for s in statuses for p in s.problems()]
    return SourcesSummary([service.describe(s) for s in statuses], problems)
