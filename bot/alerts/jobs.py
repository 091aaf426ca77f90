"""Scheduled alert jobs; the composition root adds ``jobs(services)`` to ``bot.scheduler.build_scheduler``.

Each job is idempotent and runs in one process at a time (the scheduler's DB lease), so several
``serve`` processes can run side by side.
"""

from __future__ import annotations

import logging

from bot.alerts.actions import escalate_unacked, wake_snoozed
from bot.alerts.delivery import SentLookup, deliver_due
from bot.alerts.digest import build_digests
from bot.alerts.evaluate import evaluate
from bot.scheduler import JobSpec
from bot.services import Services

log = logging.getLogger(__name__)

EVALUATE_EVERY = 300
DELIVER_EVERY = 15
DIGEST_EVERY = 300
HOUSEKEEP_EVERY = 300


def jobs(services: Services, lookup: SentLookup | None = None) -> list[JobSpec]:
    """Evaluate rules, build digests, deliver the outbox, escalate unacked urgent alerts and wake snoozes.

    ``lookup`` (a :class:`bot.alerts.delivery.SentLookup`, e.g. ``bot.slack.notifier.SlackNotifier``)
    lets delivery reconcile after a crash without re-sending; without it delivery is at-least-once.
    """
    # services.policies is kept current by bot.policy_watch (the one place serve reloads policy files).

    def run_rules() -> None:
        report = evaluate(services.engine, services.policies, services.clock())
        log.info("alerts evaluated: %d new", report.created)

    def digests() -> None:
        build_digests(services.engine, services.clock())

    def deliver() -> None:
        deliver_due(services.engine, services.notifier, lookup, services.clock)

    def housekeep() -> None:
        policies = services.policies
        escalate_unacked(services.engine, policies, services.clock())
        wake_snoozed(services.engine, policies, services.clock())

    return [
        JobSpec("alerts.evaluate", run_rules, EVALUATE_EVERY, jitter=10),
        JobSpec("alerts.digest", digests, DIGEST_EVERY),
        JobSpec("alerts.deliver", deliver, DELIVER_EVERY),
        JobSpec("alerts.housekeep", housekeep, HOUSEKEEP_EVERY),
    ]
