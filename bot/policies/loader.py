"""``load_policies``: read, validate and cross-check every file in ``playbooks/policies``."""

from __future__ import annotations

import difflib
import hashlib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bot.policies import checks
from bot.policies.alerts import AlertPolicy
from bot.policies.approvals import ApprovalPolicy
from bot.policies.bundle import Policies
from bot.policies.channels import ChannelsPolicy
from bot.policies.errors import PolicyError
from bot.policies.escalation import EscalationPolicy
from bot.policies.roles import RolesPolicy
from bot.policies.sla import SlaPolicy
from bot.policies.tiers import TiersPolicy
from bot.policies.yamldoc import YamlDoc

POLICY_FILES: dict[str, type[BaseModel]] = {
    "tiers.yaml": TiersPolicy,
    "channels.yaml": ChannelsPolicy,
    "roles.yaml": RolesPolicy,
    "sla.yaml": SlaPolicy,
    "escalation.yaml": EscalationPolicy,
    "approvals.yaml": ApprovalPolicy,
    "alerts.yaml": AlertPolicy,
}

M = TypeVar("M", bound=BaseModel)


def _first_error(doc: YamlDoc, exc: ValidationError) -> PolicyError:
    errors = exc.errors(include_url=False)
    # A typo'd key shows up as "extra" plus "missing"; the extra key is the cause, so report it first.
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = doc.clean_loc(err["loc"])
    ctx: dict[str, Any] = dict(err.get("ctx") or {})
    if err["type"] in ("union_tag_invalid", "union_tag_not_found") and "discriminator" in ctx:
        loc.append(str(ctx["discriminator"]).strip("'"))
    reason = err["msg"].removeprefix("Value error, ")
    value = err.get("input")
    if err["type"] not in ("missing", "value_error") and isinstance(value, str | int | float | bool):
        reason += f" (got {value!r})"
    if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
        key = str(ctx.get("discriminator", "kind")).strip("'")
        reason = f"unknown {key} {ctx.get('tag', '')!r} (expected one of {ctx.get('expected_tags')})"
    if err["type"] == "extra_forbidden":
        reason = f"unknown key {str(loc[-1])!r}"
        missing = [str(e["loc"][-1]) for e in errors if e["type"] == "missing" and e["loc"][:-1] == err["loc"][:-1]]
        close = difflib.get_close_matches(str(loc[-1]), missing, n=1)
        if close:
            reason += f" (did you mean {close[0]!r}?)"
    elif err["type"] == "missing":
        reason = f"missing required key {str(loc[-1])!r}"
    return doc.error(loc, reason, more=len(errors) - 1)


def validate(doc: YamlDoc, model: type[M]) -> M:
    """Validate one parsed document against its schema, mapping errors to file lines."""
    if not isinstance(doc.data, dict):
        raise doc.error((), f"expected a mapping at the top level, found {type(doc.data).__name__}")
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        raise _first_error(doc, exc) from None


def load_policies(policies_dir: Path) -> Policies:
    """Load every policy file under ``policies_dir``; raise :class:`PolicyError` on the first problem."""
    policies_dir = Path(policies_dir)
    if not policies_dir.is_dir():
        raise PolicyError(str(policies_dir), "policies directory not found")
    digest = hashlib.sha256()
    docs: dict[str, YamlDoc] = {}
    models: dict[str, BaseModel] = {}
    for name, model in POLICY_FILES.items():
        path = policies_dir / name
        if not path.is_file():
            raise PolicyError(str(path), "policy file not found")
        raw = path.read_bytes()
        digest.update(name.encode() + b"\0" + raw + b"\0")
        docs[name] = YamlDoc.parse(raw, str(path))
        models[name] = validate(docs[name], model)

    tiers = _as(models["tiers.yaml"], TiersPolicy)
    channels = _as(models["channels.yaml"], ChannelsPolicy)
    roles = _as(models["roles.yaml"], RolesPolicy)
    sla = _as(models["sla.yaml"], SlaPolicy)
    escalation = _as(models["escalation.yaml"], EscalationPolicy)
    approvals = _as(models["approvals.yaml"], ApprovalPolicy)
    alerts = _as(models["alerts.yaml"], AlertPolicy)

    checks.check_tiers(docs["tiers.yaml"], tiers)
    checks.check_channels(docs["channels.yaml"], channels)
    checks.check_channel_ask(docs["channels.yaml"], channels, roles)
    checks.check_customer_channels(docs["channels.yaml"], channels, tiers)
    known = checks.Known(tiers, roles, channels)
    checks.check_tier_channels(docs["tiers.yaml"], tiers, known)
    checks.check_roles(docs["roles.yaml"], roles, known)
    checks.check_sla(docs["sla.yaml"], sla, tiers, known)
    checks.check_escalation(docs["escalation.yaml"], escalation, known)
    checks.check_approvals(docs["approvals.yaml"], approvals, known)
    checks.check_alerts(docs["alerts.yaml"], alerts, known)

    return Policies(
        tiers=tiers,
        sla=sla,
        escalation=escalation,
        approvals=approvals,
        alerts=alerts,
        roles=roles,
        channels=channels,
        version=digest.hexdigest(),
        directory=policies_dir,
    )


def _as(value: BaseModel, model: type[M]) -> M:
    assert isinstance(value, model)
    return value
