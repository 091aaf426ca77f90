"""Composition root: settings -> engine -> services -> Bolt app, listeners, renderers, jobs and models.

Everything the running bot is made of is imported here by name, so a missing piece is an ImportError at
start and a reader (or ``lint-imports``) sees the whole graph. ``bot.serve`` runs what this builds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

from slack_bolt import App
from sqlalchemy import Engine

from bot import models
from bot.alerts import jobs as alerts_jobs
from bot.approvals import jobs as approvals_jobs
from bot.ask import jobs as ask_jobs
from bot.channels import jobs as channels_jobs
from bot.channels.facts import posting_forbidden
from bot.kpi import jobs as kpi_jobs
from bot.notify import Notifier
from bot.offline import offline_env
from bot.policies import Policies, load_policies
from bot.privacy import jobs as privacy_jobs
from bot.scheduler import JobSpec
from bot.segments import jobs as segments_jobs
from bot.services import Services
from bot.settings import Settings
from bot.slack import views
from bot.slack.app import build_app, make_client
from bot.slack.listeners import admin, alerts, answer, approvals, ask, channels, command, handoff, home, workload
from bot.slack.notifier import SlackNotifier
from bot.store import events
from bot.store.db import make_engine, make_session_factory
from bot.sync import jobs as sync_jobs
from retrieval import open_index

if TYPE_CHECKING:
    from retrieval.index import PlaybookIndex

# The Bolt listeners, the Block Kit renderers and the model modules the running bot is made of.
LISTENERS = (command, ask, answer, alerts, approvals, handoff, home, admin, channels, workload)
RENDERERS = views.RENDERER_MODULES
MODELS = models.MODEL_MODULES
PURGE_EVENTS_SECONDS = 3600


def engine_for(settings: Settings) -> Engine:
    """The one place an engine is built from settings (URL, SQLite busy timeout)."""
    return make_engine(settings.effective_database_url, busy_timeout=settings.sqlite_busy_timeout)


def open_playbook_index(settings: Settings) -> PlaybookIndex:
    """The playbook index (the model and Chroma load on first use, not here)."""
    return open_index(
        settings.playbooks_dir,
        chroma_path=settings.effective_chroma_path,
        chroma_url=settings.chroma_url,
        collection=settings.chroma_collection,
        links_base_url=settings.playbook_base_url,
    )


def policies_for(settings: Settings) -> Policies:
    """The policy files of PLAYBOOKS_DIR; a plain handbook (no ``policies/`` folder) answers questions with every
    policy feature saying it is not configured (a broken ``policies/`` still fails loudly)."""
    if not settings.policies_dir.exists():
        return Policies.unconfigured(settings.policies_dir)
    return load_policies(settings.policies_dir)


def when_configured(services: Services, specs: list[JobSpec]) -> list[JobSpec]:
    """Jobs that act on policy (alert rules, approval timeouts, channel clocks, KPI targets) idle while the
    handbook has no policies; they start acting when a policy folder appears (bot.policy_watch loads it)."""

    def guarded(func: Callable[[], object]) -> Callable[[], object]:
        def run() -> object:
            return func() if services.policies.configured else None

        return run

    return [replace(j, func=guarded(j.func)) for j in specs]


def slack_notifier(settings: Settings) -> SlackNotifier:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return SlackNotifier(make_client(token, settings.slack_api_url))


def build_services(
    settings: Settings, notifier: Notifier | None = None, index: PlaybookIndex | None = None
) -> Services:
    offline_env()
    engine = engine_for(settings)
    services = Services(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        policies=policies_for(settings),
        notifier=notifier if notifier is not None else slack_notifier(settings),
        index_factory=partial(open_playbook_index, settings),
    )
    if index is not None:
        services._index = index
    guard_shared_channels(services, services.notifier)
    return services


def guard_shared_channels(services: Services, notifier: object) -> None:
    """Nothing visible is ever posted in a channel shared with a customer or another organisation: the Slack
    notifier refuses it (``bot.channels.facts.posting_forbidden``), whichever feature asks."""
    if isinstance(notifier, SlackNotifier):
        notifier.guard = partial(posting_forbidden, services)


def build_bolt(services: Services) -> App:
    """The Bolt app over ``services``: the Slack notifier it already has (or one for its settings)."""
    out = services.notifier if isinstance(services.notifier, SlackNotifier) else slack_notifier(services.settings)
    guard_shared_channels(services, out)
    first = partial(events.first_delivery, services.engine, now=services.clock)
    return build_app(services, out, LISTENERS, first)


def feature_jobs(services: Services) -> list[JobSpec]:
    purge = JobSpec(
        "purge_processed_events",
        lambda: events.purge_processed(services.sessions, services.clock()),
        seconds=PURGE_EVENTS_SECONDS,
    )
    # With a Slack notifier, delivery after a crash mid-send reconciles against Slack instead of re-sending.
    lookup = services.notifier if isinstance(services.notifier, SlackNotifier) else None
    return [
        purge,
        *when_configured(services, alerts_jobs.jobs(services, lookup=lookup)),
        *ask_jobs.jobs(services),
        *when_configured(services, approvals_jobs.jobs(services)),
        *sync_jobs.jobs(services),
        *privacy_jobs.jobs(services),
        *when_configured(services, kpi_jobs.jobs(services)),
        *when_configured(services, channels_jobs.jobs(services)),
        *when_configured(services, segments_jobs.jobs(services)),
    ]
