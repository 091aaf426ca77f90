"""Executable policy: the YAML under ``playbooks/policies`` as validated, typed, immutable objects.

Entry point: :func:`load_policies`. Only pyyaml and pydantic are used here.
"""

from bot.policies.alerts import ALERT_KINDS, AlertPolicy, AlertRule, QuietHours, Recipients, Segment
from bot.policies.approvals import REQUEST_TYPES, ApprovalPolicy, ApprovalRoute, ApprovalRule, ApprovalStep
from bot.policies.bundle import Policies
from bot.policies.channels import Channel, ChannelsPolicy
from bot.policies.errors import PolicyError, UnknownPolicyKey
from bot.policies.escalation import EscalationPolicy, EscalationStep
from bot.policies.loader import POLICY_FILES, load_policies
from bot.policies.primitives import PRIORITIES, SEVERITIES, format_duration, parse_duration
from bot.policies.roles import Group, RolesPolicy, StaffMember
from bot.policies.sla import SlaPolicy, SlaTarget
from bot.policies.tiers import Tier, TiersPolicy

__all__ = [
    "ALERT_KINDS",
    "POLICY_FILES",
    "PRIORITIES",
    "REQUEST_TYPES",
    "SEVERITIES",
    "AlertPolicy",
    "AlertRule",
    "ApprovalPolicy",
    "ApprovalRoute",
    "ApprovalRule",
    "ApprovalStep",
    "Channel",
    "ChannelsPolicy",
    "EscalationPolicy",
    "EscalationStep",
    "Group",
    "Policies",
    "PolicyError",
    "QuietHours",
    "Recipients",
    "RolesPolicy",
    "Segment",
    "SlaPolicy",
    "SlaTarget",
    "StaffMember",
    "Tier",
    "TiersPolicy",
    "UnknownPolicyKey",
    "format_duration",
    "load_policies",
    "parse_duration",
]
