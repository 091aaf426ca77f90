"""The weekly governance digest: KPI figures as a Block Kit message, the charts uploaded in its thread.

Where: the leadership channel of ``tiers.yaml`` (``reporting.leadership_channel``: kpis-per-tier.md sends the
pack to #cs-leadership), else the governance channel named :data:`DIGEST_CHANNEL_NAME` in ``channels.yaml``
(else the first channel of kind ``governance``); never an approvals channel. With the figures: the per-tier
pack against its targets (:mod:`bot.kpi.pack`) and the owners' workload (:mod:`bot.kpi.workload`), whose
burnout-risk flags go to the leads by direct message, not to the channel.

When: once per ISO week, from Monday :data:`DIGEST_HOUR`:00 UTC, covering the previous seven
days up to Monday 00:00 UTC, so every replica and every re-run computes the same figures. The scheduler's
lease makes one process run the job at a time; an audit event per week (``kpi.digest_posted``) makes the week
posted once. A crash between posting and recording can post that week again: at least once, never skipped.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select

from bot.customers.outcomes import Outcomes, outcomes
from bot.governance import audit
from bot.kpi import format as f
from bot.kpi.charts import Chart, render_charts
from bot.kpi.conversations import ConversationKpis, conversation_kpis
from bot.kpi.metrics import Kpis, compute, window
from bot.kpi.pack import Pack, pack
from bot.kpi.workload import Workload, flag_to_leads, owner_workload
from bot.notify import DeliveryError, FileUpload, Outbound, SentRef
from bot.services import Services
from bot.store.models import AuditEvent

log = logging.getLogger(__name__)

DIGEST_CHANNEL_NAME = "service-governance"
DIGEST_WEEKDAY = 0  # Monday
DIGEST_HOUR = 8  # UTC
ACTION = "kpi.digest_posted"
ACTOR = "system:kpi.digest"


class DigestError(Exception):
    pass


@dataclass(frozen=True)
class KpiDigest:
    """The message's view: rendered to Block Kit by ``bot.slack.views.kpi``."""

    title: str
    kpis: Kpis
    chart_titles: tuple[str, ...] = ()
    conversations: ConversationKpis | None = None  # customer channels: first response and breaches (own section)
    pack: Pack | None = None  # kpis-per-tier.md figures against their targets and last period
    workload: Workload | None = None  # owners' load (figures only: flags go to the leads)
    outcomes: Outcomes | None = None  # renewals, churn, expansion, service recovery by tier and depth


@dataclass(frozen=True)
class Posted:
    ref: SentRef
    file_ids: tuple[str, ...]
    charts: tuple[Chart, ...]
    kpis: Kpis
    upload_error: str | None = None


def digest_channel(services: Services) -> str:
    chosen_by_policy = services.policies.tiers.reporting.leadership_channel
    if chosen_by_policy:
        return chosen_by_policy
    channels = services.policies.channels.channels
    named = [c for c in channels if c.name == DIGEST_CHANNEL_NAME]
    chosen = named or [c for c in channels if c.kind == "governance"]
    if not chosen:
        raise DigestError("channels.yaml lists no governance channel for the KPI digest")
    return chosen[0].id


def fallback_text(k: Kpis) -> str:
    """The notification text: a one-line summary (no customer data, only aggregates)."""
    figures = "; ".join(f"{label} {value}" for label, value in f.headline(k)[:6])
    return f"KPI digest {f.period(k)}: {figures}"


def post(
    services: Services,
    k: Kpis,
    channel: str | None = None,
    title: str = "Weekly KPI digest",
    conversations: ConversationKpis | None = None,
    tier_pack: Pack | None = None,
    workload: Workload | None = None,
    results: Outcomes | None = None,
) -> Posted:
    """Post the figures, then upload the charts into the message's thread (when the notifier can)."""
    charts = tuple(render_charts(k, tier_pack, workload, results))
    target = channel or digest_channel(services)
    notifier = services.notifier
    view = KpiDigest(title, k, tuple(c.title for c in charts), conversations, tier_pack, workload, results)
    ref = notifier.send(Outbound(target, fallback_text(k), view))
    upload = getattr(notifier, "upload", None)
    if upload is None:
        log.warning("kpi digest: the notifier cannot upload files; posted the figures without charts")
        return Posted(ref, (), charts, k)
    files = [FileUpload(c.filename, c.png, c.title, c.alt) for c in charts]
    try:
        ids = upload(ref.channel, files, text=f"Charts for {f.period(k)}", thread_ts=ref.ts)
    except DeliveryError as exc:
        # The figures are out: re-posting the whole digest for a failed upload would post it twice.
        log.warning("kpi digest: posted without charts: %s", exc)
        return Posted(ref, (), charts, k, str(exc))
    return Posted(ref, tuple(ids), charts, k)


def week_start(now: dt.datetime) -> dt.datetime:
    now = now.astimezone(dt.UTC)
    return (now - dt.timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)


def week_key(start: dt.datetime) -> str:
    year, week, _ = start.isocalendar()
    return f"{year}-W{week:02d}"


def due(now: dt.datetime) -> str | None:
    """The week whose digest is due at ``now`` (ISO key), or None before this week's posting time."""
    start = week_start(now)
    at = start + dt.timedelta(days=DIGEST_WEEKDAY, hours=DIGEST_HOUR)
    return week_key(start) if now >= at else None


def already_posted(services: Services, key: str) -> bool:
    with services.sessions() as s:
        found = s.scalar(
            select(AuditEvent.id).where(AuditEvent.action == ACTION, AuditEvent.subject_id == key).limit(1)
        )
    return found is not None


def run_weekly(services: Services) -> Posted | None:
    """The scheduled job: post this week's digest once, from its posting time on."""
    now = services.clock()
    key = due(now)
    if key is None or already_posted(services, key):
        return None
    since_until = window(week_start(now), 7)
    k = compute(services.engine, *since_until, tiers=services.policies.tier_names)
    conversations = conversation_kpis(services.engine, *since_until, tiers=services.policies.tier_names)
    figures = pack(services.engine, services.policies, *since_until)
    load = owner_workload(services.engine, services.policies, *since_until)
    results = outcomes(services.engine, services.policies, *since_until)
    posted = post(services, k, conversations=conversations, tier_pack=figures, workload=load, results=results)
    flagged = flag_to_leads(services, load)
    with services.sessions.begin() as s:
        audit.record(
            s,
            ACTOR,
            ACTION,
            "kpi_digest",
            key,
            {
                "channel": posted.ref.channel,
                "ts": posted.ref.ts,
                "files": len(posted.file_ids),
                "burnout_flags": len(load.flagged),
                "leads_told": len(flagged),
            },
        )
    log.info("kpi digest %s posted to %s with %d charts", key, posted.ref.channel, len(posted.file_ids))
    return posted
