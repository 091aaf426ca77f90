"""Who hears about a new alert, how, and when: recipients, quiet hours, per-recipient caps. Pure logic.

Decisions (documented in the alerts handbook section of the issue):

* **Consent** never stops an *internal* alert: ``consent_outreach`` and ``comm_preferences`` govern
  contacting the customer, not telling staff about them. Every alert card therefore shows the outreach
  consent and preferred channel, and offers no outreach step when consent is withdrawn
  (see ``bot.alerts.views.AlertCard.outreach``).
* **Quiet hours** are the recipient's local hours (staff time zone from ``roles.yaml``, then the Staff
  table, else UTC). Channels have no quiet hours (a channel is a team space watched in shifts). Urgent
  alerts bypass quiet hours when ``quiet_hours.urgent_bypass`` is set; otherwise they wait for its end.
* **Frequency cap**: ``per_recipient_daily_cap`` limits *interruptions* (immediate messages) per
  recipient over a rolling 24 h across all rules. Past the cap an urgent alert is not dropped: it is
  folded into the recipient's next digest (reason ``cap``). Digest items are not capped: a digest is one
  scheduled delivery, and dropping items would lose alerts.
* Non-urgent alerts always go to the recipient's next digest at ``digest_local_time`` in their zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass

from bot.alerts.clock import next_local, quiet_until
from bot.policies.alerts import AlertDefaults, Recipients

IMMEDIATE, DIGEST = "immediate", "digest"


@dataclass(frozen=True)
class Route:
    recipient: str
    mode: str  # immediate | digest
    due_at: dt.datetime
    reason: str  # urgent | quiet_hours | cap | digest


def is_channel(recipient: str) -> bool:
    return recipient[:1] in ("C", "G")


def recipients_for(spec: Recipients, owner: str | None) -> list[str]:
    """Owner DM, rule channel, named users: in that order, each once. The escalation channel is not
    a first-line recipient; it hears only about urgent alerts nobody acknowledged in time."""
    out: list[str] = []
    for r in ([owner] if spec.owner and owner else []) + ([spec.channel] if spec.channel else []) + list(spec.users):
        if r and r not in out:
            out.append(r)
    return out


def route(
    recipients: list[str],
    urgent: bool,
    defaults: AlertDefaults,
    now: dt.datetime,
    tz_of: Callable[[str], str],
    immediate_sent: MutableMapping[str, int],
) -> list[Route]:
    """One route per recipient. ``immediate_sent`` counts each recipient's immediate messages in the last
    24 h and is updated in place, so caps hold across every rule evaluated in the same run."""
    routes: list[Route] = []
    cap = defaults.per_recipient_daily_cap
    quiet = defaults.quiet_hours
    for r in recipients:
        tz = "UTC" if is_channel(r) else tz_of(r)
        digest_at = next_local(now, tz, defaults.digest_local_time)
        if not urgent:
            routes.append(Route(r, DIGEST, digest_at, "digest"))
            continue
        if immediate_sent.get(r, 0) >= cap:
            routes.append(Route(r, DIGEST, digest_at, "cap"))
            continue
        immediate_sent[r] = immediate_sent.get(r, 0) + 1
        wait = None if is_channel(r) or quiet.urgent_bypass else quiet_until(now, tz, quiet.start, quiet.end)
        routes.append(Route(r, IMMEDIATE, wait or now, "quiet_hours" if wait else "urgent"))
    return routes
