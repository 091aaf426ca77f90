"""Who hears about new alerts, how, and when: recipients, roll-ups, value-aware interruption, quiet hours.
Pure logic: the same decisions for ``rapport alerts run --dry-run`` and the real run.

Decisions (``playbooks/governance/alerts-handbook.md`` states them for people):

* **Recipients**: the account owner by DM, else the tier's on-duty owner from ``roles.yaml`` (a group's
  on-duty duty falls to one member, chosen by the customer id so a group shares the load); then the rule's
  team channel and named users. The escalation channel is not a first-line recipient.
* **One roll-up per customer**: a recipient hears about all of a customer's new alerts of one evaluation at
  once (one DM or one post, or one digest entry), ranked by priority.
* **What interrupts**: only urgent alerts, and only as their priority band allows: a band interrupts while
  the recipient has had fewer than its ``interrupt_cap`` interruptions (any band) in the last 24 h. Roll-ups
  are decided highest priority first, and lower bands have lower caps, so lower-value alerts never use up the
  interruptions a higher band may still need. Urgent alerts for ``never_defer_tiers`` always interrupt.
  Everything else waits for the recipient's next digest (reason ``cap`` or ``band``).
* **Quiet hours** are the recipient's local hours (``roles.yaml`` time zone, else the Staff table, else UTC).
  Channels have none (team spaces watched in shifts). Bands with ``quiet_hours_bypass`` and never-deferred
  tiers break through when ``quiet_hours.urgent_bypass`` is set; other interruptions wait for the end.
* **Consent** never stops an internal alert: it governs contacting the customer, and every card says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from dataclasses import dataclass

from bot.alerts.clock import next_local, quiet_until
from bot.policies.alerts import AlertDefaults, Priority, Recipients

IMMEDIATE, DIGEST = "immediate", "digest"


@dataclass(frozen=True)
class Route:
    recipient: str
    mode: str  # immediate | digest
    due_at: dt.datetime
    reason: str  # the band's name | never_defer | quiet_hours | cap | band | digest


@dataclass(frozen=True)
class Candidate:
    """What routing needs to know about one alert."""

    alert_id: int
    customer_id: int
    tier: str
    urgent: bool
    priority: float
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class Decision:
    alert_id: int
    customer_id: int
    route: Route


def is_channel(recipient: str) -> bool:
    return recipient[:1] in ("C", "G")


def on_duty_member(principal: str | None, members: Sequence[str], customer_id: int) -> str | None:
    """A user to DM for an on-duty principal: the user itself, or one member of the group."""
    if not principal:
        return None
    if principal.startswith("S"):
        ordered = sorted(members)
        return ordered[customer_id % len(ordered)] if ordered else None
    return principal


def recipients_for(spec: Recipients, owner: str | None, fallback: str | None = None) -> list[str]:
    """Owner (else the on-duty ``fallback``) DM, rule channel, named users: in that order, each once."""
    out: list[str] = []
    first = (owner or fallback) if spec.owner else None
    for r in ([first] if first else []) + ([spec.channel] if spec.channel else []) + list(spec.users):
        if r and r not in out:
            out.append(r)
    return out


def plan(
    candidates: Iterable[Candidate],
    ranking: Priority,
    defaults: AlertDefaults,
    now: dt.datetime,
    tz_of: Callable[[str], str],
    interrupted: MutableMapping[str, int],
) -> list[Decision]:
    """One decision per (alert, recipient). ``interrupted`` counts each recipient's interruptions in the last
    24 h and is updated in place, so the caps hold across everything decided in one run."""
    by_recipient: dict[str, dict[int, list[Candidate]]] = {}
    for c in candidates:
        for r in c.recipients:
            by_recipient.setdefault(r, {}).setdefault(c.customer_id, []).append(c)
    quiet = defaults.quiet_hours
    decisions: list[Decision] = []
    for r in sorted(by_recipient):
        tz = "UTC" if is_channel(r) else tz_of(r)
        digest_at = next_local(now, tz, defaults.digest_local_time)

        def weight(group: list[Candidate]) -> tuple[float, float, int]:
            urgent = [c.priority for c in group if c.urgent]
            return (max(urgent) if urgent else -1.0, max(c.priority for c in group), -group[0].customer_id)

        for group in sorted(by_recipient[r].values(), key=weight, reverse=True):
            urgent = [c for c in group if c.urgent]
            route = Route(r, DIGEST, digest_at, "digest")
            if urgent:
                top = max(urgent, key=lambda c: c.priority)
                band = ranking.band(top.priority)
                never = any(c.tier in ranking.never_defer_tiers for c in urgent)
                count = interrupted.get(r, 0)
                if count < band.interrupt_cap or never:
                    interrupted[r] = count + 1
                    bypass = is_channel(r) or (quiet.urgent_bypass and (band.quiet_hours_bypass or never))
                    wait = None if bypass else quiet_until(now, tz, quiet.start, quiet.end)
                    reason = band.name if count < band.interrupt_cap else "never_defer"
                    route = Route(r, IMMEDIATE, wait or now, "quiet_hours" if wait else reason)
                else:
                    route = Route(r, DIGEST, digest_at, "cap" if band.interrupt_cap else "band")
            decisions += [Decision(c.alert_id, c.customer_id, route) for c in group]
    return decisions
