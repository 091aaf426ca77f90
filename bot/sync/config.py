"""Schema of ``playbooks/policies/sources.yaml``: data sources, survivorship trust, retention.

Kept here (not in bot/policies) because only the sync service, identity resolution and governance
read it. Errors are :class:`bot.policies.PolicyError` with file and line, like every policy file.
Secrets never live in the YAML: a source names the environment variable holding its secret.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.policies.errors import PolicyError
from bot.policies.loader import validate
from bot.policies.primitives import parse_duration
from bot.policies.yamldoc import YamlDoc

SOURCES_FILE = "sources.yaml"
Entity = Literal["customer", "contact", "ticket", "order", "usage", "survey", "contact_change", "shipment", "health"]
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
    """Read ``sources.yaml`` (absent file: no sources, default retention)."""
    path = Path(policies_dir) / SOURCES_FILE
    if not path.is_file():
        return SourcesPolicy()
    doc = YamlDoc.parse(path.read_bytes(), str(path))
    if doc.data is None:
        return SourcesPolicy()
    try:
        return validate(doc, SourcesPolicy)
    except PolicyError:
        raise
