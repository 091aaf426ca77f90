"""Where the customer record comes from and how fresh it is: "when was the data last synced?", "is the CRM sync
working?", "how fresh is the customer data?". Each source of ``sources.yaml`` with its schedule and when it last
loaded; a latest run that failed is said so (why is for admins: ``rapport sync status`` and App Home show the
error, which may name hosts and paths)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import mrkdwn
from bot.ask.dates import day
from bot.ask.policy import PolicyFinding
from bot.customers.sla import human
from bot.services import Services
from bot.sync.config import load_sources
from bot.sync.models import SyncRun

LOADED = ("ok", "partial")  # a run that stored rows (partial: some quarantined, the rest loaded)


def sources_finding(session: Session, services: Services, asker: str, now: dt.datetime) -> PolicyFinding:
    try:
        spec = load_sources(services.settings.policies_dir)
    except Exception as exc:  # an invalid sources.yaml: said, not a traceback
        return PolicyFinding(f"The data sources cannot be read: {mrkdwn.escape(str(exc))[:200]}.", "", supported=False)
    if not spec.sources:
        return PolicyFinding(
            "No data sources are configured (`sources.yaml`): the customer records were loaded another way, so I "
            "can't say how fresh they are.",
            "",
            supported=False,
        )
    lines = [_line(session, s.name, s.kind, s.schedule, now) for s in spec.sources]
    admin = services.policies.is_admin(asker)
    details = "\nEach run's figures and errors: App Home, or `rapport sync status`." if admin else ""
    return PolicyFinding(
        "The customer record comes from these sources (`sources.yaml`):\n" + "\n".join(lines) + details,
        "",
        supported=False,
    )


def _line(session: Session, name: str, kind: str, schedule: str | None, now: dt.datetime) -> str:
    """ "• *crm_accounts* (csv, every 1h): last loaded 6 Dec 2026 12:02 UTC, 2h ago"."""
    latest = session.scalars(select(SyncRun).where(SyncRun.source == name).order_by(SyncRun.id.desc()).limit(1)).first()
    loaded = session.scalar(
        select(func.max(SyncRun.finished_at)).where(SyncRun.source == name, SyncRun.status.in_(LOADED))
    )
    every = f", every {mrkdwn.escape(schedule)}" if schedule else ""
    head = f"• *{mrkdwn.escape(name)}* ({mrkdwn.escape(kind)}{every}): "
    if latest is None:
        return head + "has not run yet"
    said = f"last loaded {_when(loaded, now)}" if loaded is not None else "has never loaded"
    if latest.status == "failed":
        said += f"; its latest run, {_when(latest.started_at, now)}, failed (an admin sees why)"
    elif latest.status == "running":
        said += "; a run is under way"
    return head + said


def _when(at: dt.datetime, now: dt.datetime) -> str:
    at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)  # stored as naive UTC on SQLite
    return f"{day(at)} {at:%H:%M} UTC, {human(max(now - at, dt.timedelta(0)))} ago"
