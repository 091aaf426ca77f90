"""The one field-level redaction function every read path (Ask, cards, alerts, exports) calls.

``redact(record, viewer_roles, policies)`` removes every sensitive field the viewer's roles do not
grant (``Policies.visible_fields``). Fields are classified by the catalog in ``roles.yaml``; store
column names that differ from catalog names (``email`` -> ``contact_email`` ...) are mapped through
``FIELD_ALIASES`` so a raw row cannot leak a sensitive value under another name. Nested dicts and
lists (contacts, tickets, interactions) are redacted with the same rule, so a ticket's
``sentiment`` is hidden exactly like the customer's.

Keys not in the catalog (ids, timestamps, derived counters) pass through: the catalog names what is
sensitive, and everything sensitive must be listed there or aliased here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.policies import Policies

# Store / connector names -> the catalog field they carry (keep lower-case).
FIELD_ALIASES: dict[str, str] = {
    "email": "contact_email",
    "emails": "contact_email",
    "phone": "contact_phone",
    "phones": "contact_phone",
    "mobile": "contact_phone",
    "ltv": "lifetime_value",
    "annual_recurring_revenue": "arr",
    "note": "notes",
    "health": "health_score",
    "discounts": "discount_history",
    "timezone": "time_zone",
    "owner_slack_id": "owner",
    "comm_preferences": "preferences",
}


def catalog_field(key: str) -> str:
    """The roles.yaml catalog name a record key stands for."""
    lowered = key.lower()
    return FIELD_ALIASES.get(lowered, lowered)


def _hidden(policies: Policies, viewer_roles: Iterable[str]) -> frozenset[str]:
    return frozenset(policies.sensitive_fields - policies.visible_fields(list(viewer_roles)))


def _redact_value(value: Any, hidden: frozenset[str]) -> Any:
    if isinstance(value, Mapping):
        return {k: _redact_value(v, hidden) for k, v in value.items() if catalog_field(str(k)) not in hidden}
    if isinstance(value, list | tuple):
        return [_redact_value(v, hidden) for v in value]
    return value


def redact(record: Mapping[str, Any], viewer_roles: list[str], policies: Policies) -> dict[str, Any]:
    """A copy of ``record`` without the sensitive fields ``viewer_roles`` may not see (recursively).

    Never mutates ``record``. A viewer with no known role sees public and unclassified fields only.
    """
    return _redact_value(record, _hidden(policies, viewer_roles))  # type: ignore[no-any-return]


def hidden_fields(record: Mapping[str, Any], viewer_roles: list[str], policies: Policies) -> list[str]:
    """Top-level keys of ``record`` that ``redact`` would remove, e.g. to show "2 fields hidden"."""
    hidden = _hidden(policies, viewer_roles)
    return sorted(k for k in record if catalog_field(str(k)) in hidden)
