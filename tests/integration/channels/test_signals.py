"""Customer channels feed the alert rules: a conversation is a contact (the inactivity rule's "contact" signal),
so a high-value customer talking in its shared channel is not "gone quiet", and one whose channel fell silent
(with no orders, usage or other contact) is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.alerts.evaluate import evaluate
from bot.services import Services

from .conftest import NOW, Channel

D = dt.timedelta(days=1)


def quiet_customers(services: Services, when: dt.datetime) -> set[int]:
    report = evaluate(services.engine, services.policies, when, rules=["high-value-gone-quiet"], dry_run=True)
    return {p.customer_id for p in report.planned}


def test_a_silent_shared_channel_is_inactivity_and_a_lively_one_is_not(
    services: Services, channel: Callable[[str], Channel]
) -> None:
    # Acme (platinum) and Globex (gold, lifetime value 800k): no orders, usage or notes in the book at all
    assert {1, 2} <= quiet_customers(services, NOW)
    channel("C0EXTACME").customer("Quick question about next quarter's plan", NOW - 3 * D)
    channel("C0EXTGLOBEX").customer("Hello, any update on the roadmap?", NOW - 30 * D)
    quiet = quiet_customers(services, NOW)
    assert 1 not in quiet  # talked three days ago in its channel: in touch
    assert 2 in quiet  # its channel has been silent for 30 days (rule: 21)
    assert 1 in quiet_customers(services, NOW + 22 * D)  # and once Acme's channel falls silent too
