"""``Policies``: every policy file, validated, with the look-ups the rest of the app uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.policies.alerts import AlertPolicy, AlertRule
from bot.policies.approvals import REQUEST_TYPES, ApprovalPolicy, ApprovalRoute, RequestType
from bot.policies.channels import Channel, ChannelsPolicy
from bot.policies.errors import UnknownPolicyKey
from bot.policies.escalation import EscalationPolicy, EscalationStep
from bot.policies.primitives import RISKS, Risk, normalize_priority, normalize_severity
from bot.policies.roles import FieldCatalog, Group, RolesPolicy, StaffMember
from bot.policies.sla import SlaPolicy, SlaTarget
from bot.policies.tiers import Tier, TiersPolicy


def _norm(value: str | None) -> str | None:
    return value.strip().lower() if value is not None else None


ADMIN_ROLES = frozenset({"cs_lead"})
NOT_CONFIGURED = "{what} are not configured: this handbook has no policies/ folder (playbooks/policies/*.yaml)"
# Without roles.yaml nobody holds a role, so the commercial and personal fields of a customer record stay hidden
# from everyone (fail closed); the rest of the record is shown.
UNCONFIGURED_PUBLIC = (
    "name tier segment region time_zone owner renewal_date open_tickets last_contact recent_interactions "
    "preferences consent"
).split()
UNCONFIGURED_SENSITIVE = (
    "lifetime_value arr contact_name contact_email contact_phone notes sentiment nps health_score payment_status "
    "discount_history"
).split()
ADMIN_GROUP = "S0RAPPORTADMINS"  # optional roles.yaml group: the admin list beyond cs_lead


@dataclass(frozen=True)
class Policies:
    """All policy files of one ``playbooks/policies`` directory; immutable once loaded.

    ``version`` is the sha256 of the files' names and bytes: record it with every decision
    (audit trail) so a reviewer can tell which policy was in force.
    """

    tiers: TiersPolicy
    sla: SlaPolicy
    escalation: EscalationPolicy
    approvals: ApprovalPolicy
    alerts: AlertPolicy
    roles: RolesPolicy
    channels: ChannelsPolicy
    version: str
    directory: Path
    # False for a handbook without ``policies/`` (a team's plain Markdown): every policy is empty, and the
    # features that need one say they are not configured (``NOT_CONFIGURED``) instead of failing.
    configured: bool = True
    _staff: dict[str, StaffMember] = field(init=False, repr=False, compare=False)
    _groups: dict[str, Group] = field(init=False, repr=False, compare=False)
    _channels: dict[str, Channel] = field(init=False, repr=False, compare=False)

    @classmethod
    def unconfigured(cls, directory: Path) -> Policies:
        """The policies of a handbook that has none: no tiers, SLAs, escalation paths, approval types, alert
        rules, channels, roles or staff (so every viewer sees public fields only and nobody is an admin). The
        empty models are built without validation: the schemas require at least one of each, which is what
        "configured" means."""
        return cls(
            tiers=TiersPolicy.model_construct(regions=[], tiers=[]),
            sla=SlaPolicy.model_construct(priorities={}, targets={}),
            escalation=EscalationPolicy.model_construct(severities={}, matrix={}),
            approvals=ApprovalPolicy.model_construct(request_types={}),
            alerts=AlertPolicy.model_construct(rules=[]),
            roles=RolesPolicy.model_construct(
                fields=FieldCatalog(public=list(UNCONFIGURED_PUBLIC), sensitive=list(UNCONFIGURED_SENSITIVE)),
                roles={},
                staff=[],
                groups=[],
                on_duty={},
            ),
            channels=ChannelsPolicy.model_construct(channels=[]),
            version="unconfigured",
            directory=Path(directory),
            configured=False,
        )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_staff", {s.id: s for s in self.roles.staff})
        object.__setattr__(self, "_groups", {g.id: g for g in self.roles.groups})
        object.__setattr__(self, "_channels", {c.id: c for c in self.channels.channels})

    # ---- tiers -------------------------------------------------------------------------
    @property
    def tier_names(self) -> list[str]:
        """Tier names, highest first (platinum, gold, ...)."""
        return [t.name for t in sorted(self.tiers.tiers, key=lambda t: t.rank)]

    def tier(self, name: str) -> Tier:
        key = _norm(name)
        for tier in self.tiers.tiers:
            if tier.name == key:
                return tier
        raise UnknownPolicyKey(f"unknown tier {name!r} (known: {', '.join(self.tier_names)})")

    def tier_for_value(self, lifetime_value: float | None, arr: float | None) -> str:
        """The highest tier whose lifetime-value OR ARR threshold the customer meets."""
        ltv = lifetime_value or 0.0
        annual = arr or 0.0
        if not self.tiers.tiers:
            raise UnknownPolicyKey(NOT_CONFIGURED.format(what="tiers"))
        for tier in sorted(self.tiers.tiers, key=lambda t: t.rank):
            if ltv >= tier.min_lifetime_value or annual >= tier.min_arr:
                return tier.name
        return self.tier_names[-1]

    # ---- SLA and escalation --------------------------------------------------------------
    def sla_target(self, tier: str, priority: str | int) -> SlaTarget:
        """Targets for a ticket; ``priority`` may be ``P1``, ``p1`` or ``1``."""
        name = self.tier(tier).name
        try:
            prio = normalize_priority(priority)
        except ValueError as exc:
            raise UnknownPolicyKey(str(exc)) from None
        tier_sla = self.sla.targets[name]
        target = tier_sla.target(prio)
        return SlaTarget(
            tier=name,
            priority=prio,
            first_response=target.first_response,
            resolution=target.resolution,
            coverage=tier_sla.coverage,
        )

    def escalation_path(self, tier: str, severity: str | int) -> tuple[EscalationStep, ...]:
        """All levels for severity x tier, in order. ``severity``: ``sev1``, ``S1``, ``P1`` or ``1``."""
        name = self.tier(tier).name
        try:
            sev = normalize_severity(severity)
        except ValueError as exc:
            raise UnknownPolicyKey(str(exc)) from None
        return tuple(self.escalation.matrix[name][sev])

    def escalation_for(self, tier: str, severity: str | int) -> EscalationStep:
        """The first escalation level: who, which channel, within how long, next step."""
        return self.escalation_path(tier, severity)[0]

    # ---- people and access ---------------------------------------------------------------
    def staff(self, user_id: str) -> StaffMember | None:
        return self._staff.get(user_id)

    def group(self, group_id: str) -> Group | None:
        return self._groups.get(group_id)

    @property
    def group_handles(self) -> dict[str, str]:
        """Group id -> its handle ("S0SUPPORT" -> "support-oncall"), to name a group without mentioning it."""
        return {g.id: g.handle for g in self._groups.values()}

    def members(self, principal: str) -> frozenset[str]:
        """User ids behind a user id or group id (empty if unknown)."""
        if principal in self._groups:
            return frozenset(self._groups[principal].members)
        return frozenset({principal}) if principal in self._staff else frozenset()

    def is_member(self, user_id: str, principal: str) -> bool:
        """Whether ``user_id`` is ``principal`` or belongs to group ``principal``."""
        return user_id in self.members(principal)

    def groups_of(self, user_id: str) -> frozenset[str]:
        return frozenset(g.id for g in self.roles.groups if user_id in g.members)

    def is_admin(self, user_id: str) -> bool:
        """Rapport admins (CS leads): staff holding an admin role, or members of the optional admins group."""
        member = self.staff(user_id)
        if member is not None and ADMIN_ROLES & set(member.roles):
            return True
        return self.group(ADMIN_GROUP) is not None and self.is_member(user_id, ADMIN_GROUP)

    def visible_fields(self, roles: list[str]) -> set[str]:
        """Customer fields a holder of ``roles`` may see: public fields plus each role's sensitive ones.

        Unknown roles grant nothing beyond the public fields.
        """
        visible = set(self.roles.fields.public)
        for role in roles:
            spec = self.roles.roles.get(role)
            if spec is not None:
                visible.update(spec.sees)
        return visible

    def roles_seeing(self, *fields: str) -> list[str]:
        """The roles whose ``sees`` lists every one of ``fields``, in roles.yaml order."""
        return [name for name, role in self.roles.roles.items() if all(f in role.sees for f in fields)]

    def reads_access_log(self, user_id: str) -> bool:
        """Whether the user's roles read who viewed a customer's record (a role with ``audit: true``)."""
        member = self.staff(user_id)
        return member is not None and any(self.roles.roles[r].audit for r in member.roles if r in self.roles.roles)

    @property
    def access_log_roles(self) -> list[str]:
        """The roles that read the access log, in roles.yaml order."""
        return [name for name, role in self.roles.roles.items() if role.audit]

    @property
    def sensitive_fields(self) -> frozenset[str]:
        return frozenset(self.roles.fields.sensitive)

    def on_duty(self, tier: str) -> str | None:
        """The on-duty owner (user or group id) for accounts of ``tier``."""
        return self.roles.on_duty.get(self.tier(tier).name)

    def channel(self, channel_id: str) -> Channel | None:
        return self._channels.get(channel_id)

    # ---- approvals and alerts -----------------------------------------------------------
    def approval_route(
        self,
        request_type: str,
        amount: float | None = None,
        percent: float | None = None,
        tier: str | None = None,
        region: str | None = None,
        risk: str = "low",
    ) -> ApprovalRoute:
        """The first matching rule for the request: auto-approve, or the chain of steps.

        A rule threshold on amount/percent does not match a request that omits it (the request
        falls through to a stricter rule). Every request type ends in a catch-all rule.
        """
        rtype = _norm(request_type)
        if rtype not in REQUEST_TYPES:
            raise UnknownPolicyKey(f"unknown request type {request_type!r} (known: {', '.join(REQUEST_TYPES)})")
        risk_level = _norm(risk)
        if risk_level not in RISKS:
            raise UnknownPolicyKey(f"unknown risk {risk!r} (known: {', '.join(RISKS)})")
        typed: RequestType = rtype  # type: ignore[assignment]
        level: Risk = risk_level  # type: ignore[assignment]
        if typed not in self.approvals.request_types:
            raise UnknownPolicyKey(NOT_CONFIGURED.format(what="approvals"))
        for rule in self.approvals.request_types[typed]:
            if rule.when is None or rule.when.matches(amount, percent, _norm(tier), _norm(region), level):
                return ApprovalRoute(
                    request_type=typed, rule=rule.name, auto_approved=rule.auto_approve, steps=tuple(rule.steps)
                )
        raise UnknownPolicyKey(f"no approval rule matches this {request_type} request")  # pragma: no cover

    def alert_rule(self, name: str) -> AlertRule:
        for rule in self.alerts.rules:
            if rule.name == name:
                return rule
        raise UnknownPolicyKey(f"unknown alert rule {name!r}")
