"""Which alerts reach the asker: the rules of alerts.yaml that name them (as the owner of the accounts they own,
by tier, or by user id), urgent or digest, and the channels the other rules post to.

"What alerts will I get?" was answered with the alerts handbook's introduction: the rules are policy, and who
they reach depends on the asker's own book, so the answer is computed like an escalation's.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence

from bot import mrkdwn
from bot.ask.policy import PolicyFinding
from bot.customers.sla import human
from bot.policies import AlertRule, Policies, Segment

# "what alerts will I get?", "which kinds of alert reach me?", "what Rapport alerts do account owners receive?"
_WHICH = re.compile(r"\b(what|which)\b(?: (?:kinds?|types?|sorts?) of)?(?: \w+)? alerts?\b", re.I)


# "which alerts go to the account owner?": asked of owners in general, not of the asker's own book
_OWNERS = re.compile(r"\bowners?\b", re.I)
_ME = re.compile(r"\b(i|me|my|mine)\b", re.I)


def asks_which_alerts(question: str) -> bool:
    """Whether the question asks which alerts (the rules), not when they arrive."""
    return bool(_WHICH.search(question))


def asks_of_owners(question: str) -> bool:
    """Whether it asks which alerts reach account owners in general ("which alerts go to the account owner?"),
    not the asker ("what alerts will I get as an owner?")."""
    return bool(_OWNERS.search(question)) and not _ME.search(question)


def _segment(segment: Segment) -> str:
    parts = [mrkdwn.listed([t.title() for t in segment.tiers])] if segment.tiers else []
    if segment.min_lifetime_value:
        parts.append(f"lifetime value {segment.min_lifetime_value:,.0f}+")
    if segment.min_arr:
        parts.append(f"ARR {segment.min_arr:,.0f}+")
    if segment.regions:
        parts.append(mrkdwn.listed([r.upper() for r in segment.regions]))
    return f" ({', '.join(parts)})" if parts else " (every tier)"


def _reaches(rule: AlertRule, asker: str, tiers: Mapping[str, int]) -> bool:
    """The rule names the asker, or alerts their owner on a tier they own accounts in."""
    if asker in rule.recipients.users:
        return True
    if not rule.recipients.owner or not tiers:
        return False
    return rule.segment.tiers is None or any(t in tiers for t in rule.segment.tiers)


def _names(rules: Sequence[AlertRule]) -> str:
    return ", ".join(f"`{r.name}`{_segment(r.segment)}" for r in rules)


def alert_rules_finding(policies: Policies, asker: str, tiers: Mapping[str, int]) -> PolicyFinding:
    """``tiers``: how many accounts the asker owns, by tier."""
    rules = policies.alerts.rules
    mine = [r for r in rules if _reaches(r, asker, tiers)]
    digest = policies.alerts.defaults.digest_local_time
    order = policies.tier_names
    owned = ", ".join(f"{tiers[t]} {t}" for t in sorted(tiers, key=lambda t: order.index(t) if t in order else 99))
    if mine:
        total = sum(tiers.values())
        who = f"as the owner of {total} account{'s' if total != 1 else ''} ({owned})" if tiers else "by name"
        lines = [f"These alerts reach you {who}:", *_by_delivery(mine, digest, "you", "your")]
        left = len(rules) - len(mine)
        if left:
            lines.append(f"{left} other rule{'s cover' if left != 1 else ' covers'} tiers you own no accounts in.")
    else:
        lines = ["You own no accounts on record, so no alert reaches you as an owner."]
    return _finding(lines, rules, also=bool(mine))


def owner_rules_finding(policies: Policies) -> PolicyFinding:
    """The rules that alert an account's owner, whoever asks: each with the accounts it covers."""
    rules = policies.alerts.rules
    owners = [r for r in rules if r.recipients.owner]
    digest = policies.alerts.defaults.digest_local_time
    if not owners:
        return _finding(["No alert rule reaches account owners (alerts.yaml names no `owner` recipient)."], rules)
    lines = [
        "These alerts go to the owner of each account the rule covers:",
        *_by_delivery(owners, digest, "them", "their"),
    ]
    return _finding(lines, rules, also=True)


def _by_delivery(rules: Sequence[AlertRule], digest: dt.time, whom: str, whose: str) -> list[str]:
    """The rules that may interrupt, then those held for the digest: one line each, when there are any."""
    urgent = [r for r in rules if r.urgent]
    later = [r for r in rules if not r.urgent]
    lines = [f"• Urgent, may interrupt {whom} outside quiet hours: {_names(urgent)}"] if urgent else []
    if later:
        lines.append(f"• In {whose} {digest:%H:%M} digest: {_names(later)}")
    return lines


def _finding(lines: list[str], rules: Sequence[AlertRule], also: bool = False) -> PolicyFinding:
    """The lines, then the channels the rules post to, cited to the handbook's table of the rules."""
    channels: dict[str, list[str]] = {}
    for r in rules:
        if r.recipients.channel:
            channels.setdefault(r.recipients.channel, []).append(f"`{r.name}`")
    if channels:
        posted = "; ".join(f"{mrkdwn.channel_link(c)} ({', '.join(names)})" for c, names in channels.items())
        lines = [*lines, f"Alerts are {'also ' if also else ''}posted in {posted}."]
    cited = "alert rule segment severity delivery cooldown"  # the handbook's table of the rules
    return PolicyFinding("\n".join(lines), "", citation_query=cited, citation_title="alert")


# An alert left unacknowledged ("what happens if nobody acknowledges an alert?", "what if I don't ack an alert?")
_UNACKED = re.compile(
    r"\b(nobody|no one|noone|(?:i|we|they|the owner) (?:do|does|did)(?:n'?t| not)|never|not)\b.{0,20}"
    r"\b(ack|acks|acked|acknowledges?|acknowledged)\b"
    r"|\bunack(?:nowledged|ed)?\b.{0,30}\b(happens?|escalat\w*)\b|\b(happens?|escalat\w*)\b.{0,40}\bunack(?:nowledged|ed)\b",
    re.I,
)


def asks_unacked(question: str) -> bool:
    return bool(_UNACKED.search(question)) and "alert" in question.lower()


def unacked_finding(policies: Policies) -> PolicyFinding:
    """Where an alert nobody acknowledges goes, and when: each rule's escalation channel and delay (alerts.yaml)."""
    alerts = policies.alerts
    each = [
        f"• `{r.name}`: after {human(after)} in {mrkdwn.channel_link(r.recipients.escalation_channel)}"
        for r in alerts.rules
        if (after := alerts.escalation_after(r)) is not None
    ]
    if not each:
        said = (
            "No alert rule escalates: alerts.yaml names no escalation channel, so an unacknowledged alert stays open."
        )
        return PolicyFinding(said, "", citation_query=_ESCALATION_CITED, citation_title="alert", supported=False)
    head = "An alert nobody acknowledges is posted again in its rule's escalation channel, after it reached the owner:"
    rest = "Other rules do not escalate; their alerts stay open in `/rapport alerts` until someone acts."
    lines = "\n".join([head, *each, rest])
    return PolicyFinding(lines, "", citation_query=_ESCALATION_CITED, citation_title="alert", supported=False)


_ESCALATION_CITED = "escalation alert still unacknowledged re-posted to the escalation channel"
