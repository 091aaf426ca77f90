"""Checks a schema alone cannot express: uniqueness, totality, and references between files.

Each check raises :class:`PolicyError` pointing at the offending line of the file that holds
the bad reference (e.g. an alert rule naming a tier that ``tiers.yaml`` does not define).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.policies.alerts import AlertPolicy
from bot.policies.approvals import REQUEST_TYPES, ApprovalPolicy
from bot.policies.channels import ChannelsPolicy
from bot.policies.escalation import EscalationPolicy
from bot.policies.primitives import PRIORITIES, SEVERITIES
from bot.policies.roles import RolesPolicy
from bot.policies.sla import SlaPolicy
from bot.policies.tiers import TiersPolicy
from bot.policies.yamldoc import Loc, YamlDoc


class Known:
    """Names defined across the files, for reference checks."""

    def __init__(self, tiers: TiersPolicy, roles: RolesPolicy, channels: ChannelsPolicy) -> None:
        self.tiers = [t.name for t in tiers.tiers]
        self.regions = list(tiers.regions)
        # Customer channels are shared with the customer: nothing may name them as a place to post.
        self.channels = {c.id for c in channels.channels if c.kind != "customer"}
        self.users = {s.id for s in roles.staff}
        self.groups = {g.id: len(set(g.members)) for g in roles.groups}
        self.roles = set(roles.roles)

    def principal(self, value: str) -> bool:
        return value in self.users or value in self.groups


def _unique(doc: YamlDoc, values: Iterable[str], loc_of: Mapping[int, Loc] | None, what: str, base: Loc) -> None:
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            loc = loc_of[index] if loc_of else (*base, index)
            raise doc.error(loc, f"duplicate {what} {value!r}")
        seen.add(value)


def _require(doc: YamlDoc, ok: bool, loc: Loc, reason: str) -> None:
    if not ok:
        raise doc.error(loc, reason)


def _one_of(allowed: Iterable[str]) -> str:
    return ", ".join(sorted(allowed))


def check_tiers(doc: YamlDoc, tiers: TiersPolicy) -> None:
    _unique(
        doc,
        [t.name for t in tiers.tiers],
        {i: ("tiers", i, "name") for i in range(len(tiers.tiers))},
        "tier",
        ("tiers",),
    )
    _unique(
        doc,
        [str(t.rank) for t in tiers.tiers],
        {i: ("tiers", i, "rank") for i in range(len(tiers.tiers))},
        "rank",
        ("tiers",),
    )
    _unique(doc, tiers.regions, None, "region", ("regions",))
    ordered = sorted(enumerate(tiers.tiers), key=lambda pair: pair[1].rank)
    for expected, (index, tier) in enumerate(ordered, start=1):
        _require(
            doc,
            tier.rank == expected,
            ("tiers", index, "rank"),
            f"ranks have a gap: {tier.name} is rank {tier.rank} but no tier is rank {expected} "
            f"(number them 1..{len(ordered)}, highest first)",
        )
    for (_, higher), (index, lower) in zip(ordered, ordered[1:], strict=False):
        for field in ("min_lifetime_value", "min_arr"):
            _require(
                doc,
                getattr(lower, field) <= getattr(higher, field),
                ("tiers", index, field),
                f"{lower.name} needs a lower {field} than {higher.name}, which ranks above it",
            )
    for (_, higher), (index, lower) in zip(ordered, ordered[1:], strict=False):
        _require(
            doc,
            (lower.min_lifetime_value, lower.min_arr) != (higher.min_lifetime_value, higher.min_arr),
            ("tiers", index),
            f"{lower.name} has the same thresholds as {higher.name}, so no customer is ever placed in it",
        )
    _require(
        doc,
        tiers.currency not in tiers.exchange_rates,
        ("exchange_rates", tiers.currency),
        f"{tiers.currency} is the base currency: it needs no exchange rate",
    )
    last_index, last = ordered[-1]
    _require(
        doc,
        last.min_lifetime_value == 0 and last.min_arr == 0,
        ("tiers", last_index),
        f"lowest tier {last.name!r} must have min_lifetime_value and min_arr 0 so every customer has a tier",
    )


def check_tier_channels(doc: YamlDoc, tiers: TiersPolicy, known: Known) -> None:
    """The digest and segmentation channels exist (and are not channels shared with a customer)."""
    for loc, channel in (
        (("reporting", "leadership_channel"), tiers.reporting.leadership_channel),
        (("segmentation", "channel"), tiers.segmentation.channel),
    ):
        if channel is not None:
            _require(doc, channel in known.channels, loc, f"channel {channel!r} is not in channels.yaml")


def check_channels(doc: YamlDoc, channels: ChannelsPolicy) -> None:
    n = len(channels.channels)
    _unique(
        doc,
        [c.id for c in channels.channels],
        {i: ("channels", i, "id") for i in range(n)},
        "channel id",
        ("channels",),
    )
    _unique(
        doc,
        [c.name for c in channels.channels],
        {i: ("channels", i, "name") for i in range(n)},
        "channel name",
        ("channels",),
    )


def check_channel_ask(doc: YamlDoc, channels: ChannelsPolicy, roles: RolesPolicy) -> None:
    for index, channel in enumerate(channels.channels):
        for j, role in enumerate(channel.ask.card_roles if channel.ask else ()):
            _require(
                doc,
                role in roles.roles,
                ("channels", index, "ask", "card_roles", j),
                f"unknown role {role!r} (known: {_one_of(roles.roles)})",
            )


def check_customer_channels(doc: YamlDoc, channels: ChannelsPolicy, tiers: TiersPolicy) -> None:
    names = {t.name for t in tiers.tiers}
    for j, tier in enumerate(channels.customer_channels.complaints.tiers):
        _require(
            doc,
            tier in names,
            ("customer_channels", "complaints", "tiers", j),
            f"unknown tier {tier!r} (known: {_one_of(names)})",
        )


def check_roles(doc: YamlDoc, roles: RolesPolicy, known: Known) -> None:
    public, sensitive = set(roles.fields.public), set(roles.fields.sensitive)
    for index, name in enumerate(roles.fields.sensitive):
        _require(doc, name not in public, ("fields", "sensitive", index), f"field {name!r} is also listed as public")
    for role_name, role in roles.roles.items():
        for index, field in enumerate(role.sees):
            _require(
                doc,
                field in sensitive,
                ("roles", role_name, "sees", index),
                f"{field!r} is not a sensitive field (known: {_one_of(sensitive)})",
            )
    n = len(roles.staff)
    _unique(doc, [s.id for s in roles.staff], {i: ("staff", i, "id") for i in range(n)}, "staff id", ("staff",))
    for i, member in enumerate(roles.staff):
        for j, role_name in enumerate(member.roles):
            _require(
                doc,
                role_name in roles.roles,
                ("staff", i, "roles", j),
                f"unknown role {role_name!r} (known: {_one_of(roles.roles)})",
            )
    _unique(
        doc,
        [g.id for g in roles.groups],
        {i: ("groups", i, "id") for i in range(len(roles.groups))},
        "group id",
        ("groups",),
    )
    for i, group in enumerate(roles.groups):
        for j, user in enumerate(group.members):
            _require(doc, user in known.users, ("groups", i, "members", j), f"{user!r} is not in the staff roster")
    for tier, who in roles.on_duty.items():
        _require(doc, tier in known.tiers, ("on_duty", tier), f"unknown tier {tier!r} (known: {_one_of(known.tiers)})")
        _require(doc, known.principal(who), ("on_duty", tier), f"{who!r} is not a staff member or group")


def check_sla(doc: YamlDoc, sla: SlaPolicy, tiers: TiersPolicy, known: Known) -> None:
    for name in sla.targets:
        _require(doc, name in known.tiers, ("targets", name), f"unknown tier {name!r} (known: {_one_of(known.tiers)})")
    for tier in tiers.tiers:
        _require(doc, tier.name in sla.targets, ("targets",), f"no SLA targets for tier {tier.name!r}")
        _require(
            doc,
            sla.targets[tier.name].coverage == tier.promises.coverage,
            ("targets", tier.name, "coverage"),
            f"coverage {sla.targets[tier.name].coverage!r} disagrees with tiers.yaml ({tier.promises.coverage!r})",
        )
    for priority in PRIORITIES:
        _require(doc, priority in sla.priorities, ("priorities",), f"priority {priority} is not described")


def check_escalation(doc: YamlDoc, esc: EscalationPolicy, known: Known) -> None:
    for tier, by_severity in esc.matrix.items():
        _require(doc, tier in known.tiers, ("matrix", tier), f"unknown tier {tier!r} (known: {_one_of(known.tiers)})")
        for severity in SEVERITIES:
            _require(doc, severity in by_severity, ("matrix", tier), f"no escalation for {tier} {severity}")
        for severity, steps in by_severity.items():
            for i, step in enumerate(steps):
                loc = ("matrix", tier, severity, i)
                _require(
                    doc,
                    step.channel in known.channels,
                    (*loc, "channel"),
                    f"channel {step.channel!r} is not in channels.yaml",
                )
                if step.escalate_to not in ("owner", "on_duty"):
                    _require(
                        doc,
                        known.principal(step.escalate_to),
                        (*loc, "escalate_to"),
                        f"{step.escalate_to!r} is not a staff member or group in roles.yaml",
                    )
    for tier in known.tiers:
        _require(doc, tier in esc.matrix, ("matrix",), f"no escalation matrix for tier {tier!r}")
    for severity in SEVERITIES:
        _require(doc, severity in esc.severities, ("severities",), f"severity {severity} is not described")


def check_approvals(doc: YamlDoc, approvals: ApprovalPolicy, known: Known) -> None:
    for request_type in REQUEST_TYPES:
        _require(
            doc,
            request_type in approvals.request_types,
            ("request_types",),
            f"no rules for request type {request_type!r}",
        )
    for request_type, rules in approvals.request_types.items():
        base: Loc = ("request_types", request_type)
        _require(doc, bool(rules), base, "needs at least one rule")
        _unique(doc, [r.name for r in rules], {i: (*base, i, "name") for i in range(len(rules))}, "rule", base)
        for i, rule in enumerate(rules):
            catch_all = rule.when is None or rule.when == type(rule.when)()
            if i < len(rules) - 1:
                _require(
                    doc,
                    not catch_all,
                    (*base, i),
                    f"rule {rule.name!r} matches everything, so the rules after it can never apply",
                )
            else:
                _require(
                    doc,
                    catch_all,
                    (*base, i),
                    f"last rule {rule.name!r} must have no `when` so every request has a route",
                )
            if rule.when is not None:
                for j, tier in enumerate(rule.when.tiers or []):
                    _require(doc, tier in known.tiers, (*base, i, "when", "tiers", j), f"unknown tier {tier!r}")
                for j, region in enumerate(rule.when.regions or []):
                    _require(
                        doc,
                        region in known.regions,
                        (*base, i, "when", "regions", j),
                        f"unknown region {region!r} (known: {_one_of(known.regions)})",
                    )
            for j, step in enumerate(rule.steps):
                loc = (*base, i, "steps", j)
                _require(
                    doc,
                    step.channel in known.channels,
                    (*loc, "channel"),
                    f"channel {step.channel!r} is not in channels.yaml",
                )
                for field in ("approvers", "escalate_to"):
                    who = getattr(step, field)
                    _require(
                        doc,
                        known.principal(who),
                        (*loc, field),
                        f"{who!r} is not a staff member or group in roles.yaml",
                    )
                size = known.groups.get(step.approvers, 1)
                _require(
                    doc,
                    step.required_approvals <= size,
                    (*loc, "quorum"),
                    f"quorum {step.quorum} exceeds the {size} member(s) of {step.approvers}",
                )


def check_alerts(doc: YamlDoc, alerts: AlertPolicy, known: Known) -> None:
    n = len(alerts.rules)
    _unique(doc, [r.name for r in alerts.rules], {i: ("rules", i, "name") for i in range(n)}, "rule", ("rules",))
    for i, rule in enumerate(alerts.rules):
        for j, tier in enumerate(rule.segment.tiers or []):
            _require(
                doc,
                tier in known.tiers,
                ("rules", i, "segment", "tiers", j),
                f"unknown tier {tier!r} (known: {_one_of(known.tiers)})",
            )
        for j, region in enumerate(rule.segment.regions or []):
            _require(
                doc,
                region in known.regions,
                ("rules", i, "segment", "regions", j),
                f"unknown region {region!r} (known: {_one_of(known.regions)})",
            )
        for field in ("channel", "escalation_channel"):
            channel = getattr(rule.recipients, field)
            if channel is not None:
                _require(
                    doc,
                    channel in known.channels,
                    ("rules", i, "recipients", field),
                    f"channel {channel!r} is not in channels.yaml",
                )
        for j, user in enumerate(rule.recipients.users):
            _require(
                doc, user in known.users, ("rules", i, "recipients", "users", j), f"{user!r} is not in the staff roster"
            )
    for loc, reason in alerts.problems(set(known.tiers), known.users, known.roles, known.channels):
        raise doc.error(loc, reason)
