"""Schema of ``playbooks/policies/sources.yaml``: data sources, survivorship trust, retention.

Kept here (not in bot/policies) because only the sync service, identity resolution and governance
read it. Errors are :class:`bot.policies.PolicyError` with file and line, like every policy file.
Secrets never live in the YAML: a source names the environment variable holding its secret.

A source may translate its export's vocabulary (``values``: per-field value maps; ``derive``: fields made
from other columns, see :mod:`connectors.values`). Those are checked against the other policy files
(:class:`Vocabulary`, read from ``tiers.yaml`` and ``roles.yaml`` beside it): a map onto a tier or region
that does not exist, or two keys of one map that are the same value, is an error naming the line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.policies import checks
from bot.policies.loader import validate
from bot.policies.primitives import PRIORITIES, parse_duration
from bot.policies.roles import RolesPolicy
from bot.policies.tiers import TiersPolicy
from bot.policies.yamldoc import YamlDoc
from connectors.records import (
    RECORD_TYPES,
    Entity,
    activity_kind,
    contact_change,
    order_status,
    renewal_outcome,
    shipment_status,
    ticket_priority,
    ticket_status,
)
from connectors.values import Derived, fold, overlaps

SOURCES_FILE = "sources.yaml"
DATA_TYPES = ("interactions", "tickets", "orders", "usage", "answers_log", "feedback", "quarantine", "sync_runs")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceSpec(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,63}$")
    kind: Literal["csv", "jsonl", "sql", "helpdesk", "webhook"]
    entity: Entity | None = None  # webhook sources may carry several entities per request
    customer_source: str | None = None  # where customer_external_id values come from (default: this source)
    trust: int = Field(default=50, ge=0, le=100)  # survivorship: higher wins
    schedule: str | None = None  # e.g. "1h"; absent = manual/webhook only
    batch_size: int = Field(default=5000, ge=1, le=100_000)
    # file options
    path: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    mapping: dict[str, str] = Field(default_factory=dict)
    defaults: dict[str, Any] = Field(default_factory=dict)
    cursor_field: str | None = None
    date_format: str | None = None
    # the export's vocabulary: field -> {source value: record value}, and fields made from other columns
    values: dict[str, dict[str, Any]] = Field(default_factory=dict)
    derive: dict[str, str | list[str]] = Field(default_factory=dict)
    # sql options
    url_env: str | None = None  # env var holding the SQLAlchemy URL (may contain a password)
    url: str | None = None  # a URL without credentials may be written inline
    query: str | None = None
    cursor_column: str | None = None
    # helpdesk / webhook options
    base_url: str | None = None
    resource: Literal["tickets", "organizations"] | None = None
    token_env: str | None = None
    secret_env: str | None = None
    auth: Literal["hmac", "bearer"] = "hmac"
    # Accept the old body-only HMAC (no timestamp, so a captured delivery can be replayed): only for a
    # sender that cannot sign X-Rapport-Timestamp yet. See bot/sync/ingest.py and SECURITY.md.
    legacy_signature: bool = False

    @model_validator(mode="after")
    def _kind_options(self) -> SourceSpec:
        need: dict[str, tuple[str, ...]] = {
            "csv": ("path", "entity"),
            "jsonl": ("path", "entity"),
            "sql": ("query", "entity"),
            "helpdesk": ("base_url", "resource"),
            "webhook": ("secret_env",),
        }
        for key in need[self.kind]:
            if getattr(self, key) in (None, ""):
                raise ValueError(f"a {self.kind} source needs {key!r}")
        if self.kind == "sql" and not (self.url or self.url_env):
            raise ValueError("a sql source needs 'url_env' (or a credential-free 'url')")
        if self.schedule:
            parse_duration(self.schedule)
        return self

    @field_validator("values", mode="before")
    @classmethod
    def _text_keys(cls, value: Any) -> Any:
        """Map keys as the export's text: YAML reads ``1`` as a number (fine: it means "1"), but ``Yes``/``No``/
        ``On``/``Off`` as booleans, which would silently never match: those must be quoted."""
        if not isinstance(value, dict):
            return value
        out: dict[Any, Any] = {}
        for name, table in value.items():
            if isinstance(table, dict):
                for key in table:
                    if isinstance(key, bool):
                        raise ValueError(
                            f"values.{name}: quote the key {str(key).lower()!r}: YAML reads Yes/No/On/Off "
                            "as true/false, which no exported text equals"
                        )
                table = {str(k) if isinstance(k, int | float) else k: v for k, v in table.items()}
            out[name] = table
        return out

    @field_validator("derive")
    @classmethod
    def _derive_parses(cls, value: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        for name, spec in value.items():
            Derived.parse(name, spec)
        return value

    @property
    def schedule_seconds(self) -> int | None:
        return int(parse_duration(self.schedule).total_seconds()) if self.schedule else None

    def connector_spec(self, env: dict[str, str]) -> dict[str, Any]:
        """The plain mapping ``connectors.create`` takes, with secrets resolved from ``env``."""
        spec = self.model_dump(exclude_none=True)
        if self.url_env:
            spec["url"] = env.get(self.url_env, "")
        if self.token_env:
            spec["token"] = env.get(self.token_env, "")
        if self.kind == "helpdesk":
            spec["entity"] = "ticket" if self.resource == "tickets" else "customer"
        return spec


class Retention(_Strict):
    """How long each data type is kept after its timestamp; ``null`` keeps it forever."""

    periods: dict[str, str | None] = Field(default_factory=dict)

    @field_validator("periods")
    @classmethod
    def _known(cls, value: dict[str, str | None]) -> dict[str, str | None]:
        for key, period in value.items():
            if key not in DATA_TYPES:
                raise ValueError(f"unknown data type {key!r} (known: {', '.join(DATA_TYPES)})")
            if period is not None:
                parse_duration(period)
        return value


class SourcesPolicy(_Strict):
    sources: list[SourceSpec] = Field(default_factory=list)
    retention: Retention = Field(default_factory=Retention)
    # Survivorship fallback for records not created by a configured source (e.g. demo "crm").
    trust: dict[str, int] = Field(default_factory=dict)

    @field_validator("sources")
    @classmethod
    def _unique(cls, value: list[SourceSpec]) -> list[SourceSpec]:
        names = [s.name for s in value]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"duplicate source name(s): {', '.join(dup)}")
        return value

    @cached_property
    def by_name(self) -> dict[str, SourceSpec]:
        return {s.name: s for s in self.sources}

    def source(self, name: str) -> SourceSpec:
        spec = self.by_name.get(name)
        if spec is None:
            known = ", ".join(self.by_name) or "none configured"
            raise KeyError(f"unknown source {name!r} (known: {known})")
        return spec

    def trust_of(self, source: str) -> int:
        spec = self.by_name.get(source)
        return spec.trust if spec else self.trust.get(source, 10)


def load_sources(policies_dir: Path) -> SourcesPolicy:
    """Read ``sources.yaml`` (absent file: no sources, default retention), its value maps checked against the
    vocabulary of the policy files beside it (:func:`load_vocabulary`)."""
    path = Path(policies_dir) / SOURCES_FILE
    if not path.is_file():
        return SourcesPolicy()
    doc = YamlDoc.parse(path.read_bytes(), str(path))
    if doc.data is None:
        return SourcesPolicy()
    sources = validate(doc, SourcesPolicy)
    if any(s.values or s.derive for s in sources.sources):
        check_source_values(doc, sources, load_vocabulary(policies_dir))
    return sources


@dataclass(frozen=True)
class Vocabulary:
    """The words the policy files know, that a source's values are checked against: tier names (highest
    first) and their thresholds, regions, currencies (tiers.yaml) and owners (staff and groups, roles.yaml)."""

    tiers: tuple[str, ...]
    regions: frozenset[str]
    currencies: frozenset[str]
    owners: frozenset[str] = frozenset()  # empty: roles.yaml not read, owners are not checked
    thresholds: tuple[tuple[str, float, float], ...] = ()  # (tier, min lifetime value, min ARR), highest first

    @classmethod
    def of(cls, tiers: TiersPolicy, roles: RolesPolicy | None = None) -> Vocabulary:
        ranked = sorted(tiers.tiers, key=lambda t: t.rank)
        owners = frozenset([s.id for s in roles.staff] + [g.id for g in roles.groups]) if roles else frozenset()
        return cls(
            tuple(t.name for t in ranked),
            frozenset(tiers.regions),
            frozenset({tiers.currency, *tiers.exchange_rates}),
            owners,
            tuple((t.name, t.min_lifetime_value, t.min_arr) for t in ranked),
        )

    def place(self, lifetime_value: float | None, arr: float | None) -> str | None:
        """The highest tier whose lifetime-value OR ARR threshold the record meets; None without either value
        (a customer with no value on record is placed by ``rapport segment``, which also reads its orders)."""
        if not lifetime_value and not arr:
            return None
        for name, min_ltv, min_arr in self.thresholds:
            if (lifetime_value or 0) >= min_ltv or (arr or 0) >= min_arr:
                return name
        return self.tiers[-1] if self.tiers else None

    def problem(self, field: str, value: Any) -> str | None:
        """Why ``value`` of a record's ``field`` is a word no policy file knows (None when it is known)."""
        text = str(value)
        if field == "tier" and text not in self.tiers:
            return f"tier {text!r} is not in tiers.yaml (known: {', '.join(self.tiers)})"
        if field == "region" and text not in self.regions:
            return f"region {text!r} is not in tiers.yaml (known: {', '.join(sorted(self.regions))})"
        if field == "currency" and text not in self.currencies:
            return f"currency {text!r} is not in tiers.yaml (currency or exchange_rates)"
        if field in ("owner_slack_id", "owner") and self.owners and text not in self.owners:
            return f"owner {text!r} is not in roles.yaml"
        return None


# Record fields whose values the policy files name, per entity: what a sync reports when it stores an unknown one.
POLICY_FIELDS: dict[str, tuple[str, ...]] = {
    "customer": ("tier", "region", "owner_slack_id"),
    "order": ("currency",),
    "activity": ("owner",),
}


def _record_rule(check: Callable[[str], str]) -> Callable[[Any, Vocabulary | None], str | None]:
    def rule(value: Any, _vocab: Vocabulary | None) -> str | None:
        try:
            check(str(value))
        except ValueError as exc:
            return str(exc)
        return None

    return rule


def _vocab_rule(field: str) -> Callable[[Any, Vocabulary | None], str | None]:
    def rule(value: Any, vocab: Vocabulary | None) -> str | None:
        if field == "currency" and not (isinstance(value, str) and len(value) == 3 and value.isupper()):
            return f"currency {value!r} is not a 3-letter code"
        return vocab.problem(field, value) if vocab is not None else None

    return rule


def _priority(value: Any, _vocab: Vocabulary | None) -> str | None:
    try:
        if ticket_priority(str(value)) not in PRIORITIES:  # pragma: no cover - ticket_priority only gives these
            return f"priority {value!r} is not one of {', '.join(PRIORITIES)}"
    except ValueError as exc:
        return str(exc)
    return None


# What a value map may map onto, per entity and field (fields not listed take any value).
TARGET_RULES: dict[tuple[str, str], Callable[[Any, Vocabulary | None], str | None]] = {
    ("customer", "tier"): _vocab_rule("tier"),
    ("customer", "region"): _vocab_rule("region"),
    ("customer", "owner_slack_id"): _vocab_rule("owner_slack_id"),
    ("ticket", "priority"): _priority,
    ("ticket", "status"): _record_rule(ticket_status),
    ("order", "status"): _record_rule(order_status),
    ("order", "currency"): _vocab_rule("currency"),
    ("shipment", "status"): _record_rule(shipment_status),
    ("contact_change", "change"): _record_rule(contact_change),
    ("renewal", "outcome"): _record_rule(renewal_outcome),
    ("activity", "kind"): _record_rule(activity_kind),
    ("activity", "owner"): _vocab_rule("owner"),
}


def check_source_values(doc: YamlDoc, sources: SourcesPolicy, vocab: Vocabulary | None) -> None:
    """Each source's ``values`` and ``derive``: known fields, no field both mapped and derived, no two keys of
    one map that are the same value, and every target a value the policy files (or the record) accept. Two
    sources of one entity may not map the same value of a field to different things."""
    decided: dict[tuple[str, str, str], tuple[str, Any]] = {}
    for i, spec in enumerate(sources.sources):
        base = ("sources", i)
        entity = spec.entity or ("ticket" if spec.resource == "tickets" else "customer" if spec.resource else None)
        model = RECORD_TYPES.get(entity or "")
        for key in ("values", "derive"):
            for name in getattr(spec, key):
                if model is not None and name not in model.model_fields:
                    raise doc.error((*base, key, name), f"{name!r} is not a {entity} field")
        for name in spec.derive:
            if name in spec.mapping:
                raise doc.error(
                    (*base, "derive", name), f"{name!r} is both mapped (mapping:) and derived (derive:): keep one"
                )
        for name, table in spec.values.items():
            loc = (*base, "values", name)
            if spec.mapping and name not in spec.mapping and name not in spec.derive and name not in spec.defaults:
                raise doc.error(loc, f"no column is mapped to {name!r}, so this map would never apply")
            for first, later in overlaps(table):
                raise doc.error(
                    (*loc, later),
                    f"{later!r} and {first!r} are the same value (keys match whatever their case and spacing)",
                )
            rule = TARGET_RULES.get((entity or "", name))
            for source_value, target in table.items():
                if target is None or rule is None:
                    continue
                reason = rule(target, vocab)
                if reason is not None:
                    raise doc.error((*loc, source_value), f"{source_value!r} maps to {target!r}, but {reason}")
                said = decided.setdefault((entity or "", name, fold(source_value)), (spec.name, target))
                if said[1] != target:
                    raise doc.error(
                        (*loc, source_value),
                        f"{source_value!r} maps to {target!r} here but to {said[1]!r} in source {said[0]!r}: "
                        "one value cannot mean two things",
                    )


def load_vocabulary(policies_dir: Path) -> Vocabulary | None:
    """The policy files' vocabulary, or None when ``tiers.yaml`` is not there (values are then not checked)."""
    path = Path(policies_dir) / "tiers.yaml"
    if not path.is_file():
        return None
    doc = YamlDoc.read(path)
    tiers = validate(doc, TiersPolicy)
    checks.check_tiers(doc, tiers)
    roles_path = Path(policies_dir) / "roles.yaml"
    roles = validate(YamlDoc.read(roles_path), RolesPolicy) if roles_path.is_file() else None
    return Vocabulary.of(tiers, roles)
