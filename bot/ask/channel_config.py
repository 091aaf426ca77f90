"""Per-channel behaviour of Ask: when to answer, from which playbooks, how visibly, and who sees cards.

Three layers, the first found wins: a row in ``ask_channel_config`` (``/rapport config set``), the channel's
``ask:`` block in ``channels.yaml`` (the policy file), the conservative defaults of :class:`ChannelSettings`
(answer only when mentioned, answers in the thread, sensitive card fields only ever ephemeral). Only admins
change the row (``Policies.is_admin``: CS leads, or members of the admins group in roles.yaml); ``reset``
deletes it, which returns the channel to the policy file or the defaults.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from bot.ask.models import ChannelConfig
from bot.governance.audit import record
from bot.policies import Policies
from retrieval.loader import load_documents

MODES = ("mention", "questions")
MODE_TEXT = {"mention": "mentions only", "questions": "also questions asked without a mention"}
VISIBILITY = ("public", "ephemeral")
KEYS = ("mode", "collections", "answers", "card_roles", "quiet", "escalation")
QUESTION_START = re.compile(
    r"^(who|what|when|where|which|why|how|can|could|should|does|do|is|are|will|would|may|anyone|any idea)\b", re.I
)


class ConfigError(ValueError):
    """A setting we cannot take; the message is shown to the admin as is."""


class NotAdmin(PermissionError):
    pass


@dataclass(frozen=True)
class ChannelSettings:
    channel: str
    mode: str = "mention"
    collections: tuple[str, ...] = ()  # folder prefixes ("service") or "tag:<tag>"; empty = every playbook
    answers: str = "public"
    card_roles: tuple[str, ...] = ()  # roles that may see customer cards here; empty = every role
    quiet: bool = False  # nothing posted publicly: answers go ephemeral, no unprompted answers
    escalation: str | None = None  # hand-off channel; None = the policy default
    updated_by: str | None = None
    custom: bool = False  # a stored row, not the defaults
    source: str = "defaults"  # defaults | policy file | admin

    @property
    def ephemeral(self) -> bool:
        return self.quiet or self.answers == "ephemeral"

    def may_see_card(self, roles: list[str]) -> bool:
        return not self.card_roles or bool(set(self.card_roles) & set(roles))

    @property
    def source_text(self) -> str:
        if self.source == "admin" and self.updated_by:
            return f"set by <@{self.updated_by}>"
        return {"policy": "from channels.yaml", "defaults": "defaults"}.get(self.source, self.source)

    def describe(self) -> str:
        cols = ", ".join(self.collections) or "all playbooks"
        roles = ", ".join(self.card_roles) or "every role (sensitive fields only privately)"
        lines = [
            f"*Rapport in <#{self.channel}>* ({self.source_text})",
            f"• mode: `{self.mode}` ({MODE_TEXT.get(self.mode, self.mode)})",
            f"• collections: {cols}",
            f"• answers: `{self.answers}`",
            f"• card_roles: {roles}",
            f"• quiet: `{'on' if self.quiet else 'off'}`",
            f"• escalation: {f'<#{self.escalation}>' if self.escalation else 'policy default'}",
        ]
        return "\n".join(lines)


def from_policy(policies: Policies | None, channel: str) -> ChannelSettings:
    """The channel's ``ask:`` block in channels.yaml, or the defaults."""
    entry = policies.channel(channel) if policies is not None else None
    if entry is None or entry.ask is None:
        return ChannelSettings(channel=channel)
    a = entry.ask
    return ChannelSettings(
        channel=channel,
        mode=a.mode,
        collections=tuple(c.strip("/").lower() for c in a.collections),
        answers=a.answers,
        card_roles=tuple(a.card_roles),
        quiet=a.quiet,
        source="policy",
    )


def load(session: Session, channel: str | None, policies: Policies | None = None) -> ChannelSettings:
    if not channel:
        return ChannelSettings(channel="")
    row = session.get(ChannelConfig, channel)
    if row is None:
        return from_policy(policies, channel)
    return ChannelSettings(
        channel=channel,
        mode=row.mode,
        collections=tuple(row.collections or ()),
        answers=row.answers,
        card_roles=tuple(row.card_roles or ()),
        quiet=row.quiet,
        escalation=row.escalation_channel,
        updated_by=row.updated_by,
        custom=True,
        source="admin",
    )


def _on_off(value: str) -> bool:
    v = value.strip().lower()
    if v in ("on", "true", "yes", "1"):
        return True
    if v in ("off", "false", "no", "0"):
        return False
    raise ConfigError("quiet takes `on` or `off`")


def parse_value(policies: Policies, key: str, value: str, known_collections: set[str] | None = None) -> object:
    """The typed value for ``key`` from the admin's text; ConfigError names what is allowed."""
    value = value.strip()
    items = tuple(v for v in re.split(r"[,\s]+", value) if v and v.lower() not in ("none", "all", "-"))
    if key == "mode":
        if value.lower() not in MODES:
            raise ConfigError(f"mode is one of: {', '.join(MODES)}")
        return value.lower()
    if key == "answers":
        if value.lower() not in VISIBILITY:
            raise ConfigError(f"answers is one of: {', '.join(VISIBILITY)}")
        return value.lower()
    if key == "quiet":
        return _on_off(value)
    if key == "card_roles":
        unknown = [r for r in items if r not in policies.roles.roles]
        if unknown:
            raise ConfigError(f"unknown role(s) {', '.join(unknown)}; known: {', '.join(sorted(policies.roles.roles))}")
        return items
    if key == "collections":
        cleaned = tuple(i.strip("/").lower() for i in items)
        if known_collections is not None:
            unknown = [c for c in cleaned if c not in known_collections]
            if unknown:
                raise ConfigError(
                    f"unknown collection(s) {', '.join(unknown)}; known: {', '.join(sorted(known_collections))}"
                )
        return cleaned
    if key == "escalation":
        m = re.fullmatch(r"<#(C[A-Z0-9]+)(?:\|[^>]*)?>|(C[A-Z0-9]+)", value)
        if not value or value.lower() in ("default", "none"):
            return None
        if not m:
            raise ConfigError("escalation takes a channel, e.g. `#cs-escalations` or `C0ESCALATE`")
        return m.group(1) or m.group(2)
    raise ConfigError(f"unknown setting `{key}`; settings: {', '.join(KEYS)}")


def update(
    session: Session,
    policies: Policies,
    channel: str,
    user_id: str,
    key: str,
    value: str,
    now: object,
    known_collections: set[str] | None = None,
) -> ChannelSettings:
    """Admin-only change of one setting, audited. Checked here (server side), whatever the caller checked."""
    if not policies.is_admin(user_id):
        raise NotAdmin("Only Rapport admins (CS leads) can change channel settings.")
    key = key.lower().replace("-", "_")
    parsed = parse_value(policies, key, value, known_collections)
    current = load(session, channel, policies)
    row = session.get(ChannelConfig, channel)
    if row is None:
        row = ChannelConfig(
            channel=channel,
            mode=current.mode,
            collections=list(current.collections),
            answers=current.answers,
            card_roles=list(current.card_roles),
            quiet=current.quiet,
            escalation_channel=current.escalation,
            updated_by=user_id,
        )
        session.add(row)
    column = {"escalation": "escalation_channel"}.get(key, key)
    setattr(row, column, list(parsed) if isinstance(parsed, tuple) else parsed)
    row.updated_by = user_id
    row.updated_at = now  # type: ignore[assignment]
    session.flush()
    record(session, user_id, "ask.channel_config", "channel", channel, {"key": key, "value": _audit_value(parsed)})
    return load(session, channel, policies)


def reset(session: Session, policies: Policies, channel: str, user_id: str) -> ChannelSettings:
    if not policies.is_admin(user_id):
        raise NotAdmin("Only Rapport admins (CS leads) can change channel settings.")
    row = session.get(ChannelConfig, channel)
    if row is not None:
        session.delete(row)
        session.flush()
    record(session, user_id, "ask.channel_config", "channel", channel, {"key": "reset"})
    return from_policy(policies, channel)


def _audit_value(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


def looks_like_question(text: str) -> bool:
    """A channel message worth answering in ``questions`` mode: a question, not chatter."""
    text = text.strip()
    if len(text.split()) < 3:
        return False
    return text.endswith("?") or bool(QUESTION_START.match(text))


# ---- collections -> playbook paths --------------------------------------------------------------------
@dataclass
class Collections:
    """Folders and front-matter tags of the playbooks, read from the files (retrieval does not keep tags)."""

    by_name: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def scan(cls, playbooks_dir: Path) -> Collections:
        docs, _errors = load_documents(playbooks_dir)
        names: dict[str, set[str]] = {}
        for doc in docs:
            path = doc.meta.path
            parts = path.split("/")
            for i in range(1, len(parts)):
                names.setdefault("/".join(parts[:i]).lower(), set()).add(path)
            for tag in doc.meta.tags:
                names.setdefault(f"tag:{tag.lower()}", set()).add(path)
        return cls(names)

    def known(self) -> set[str]:
        """Every name a channel may use: folders, sub-folders and ``tag:`` names."""
        return set(self.by_name)

    def paths(self, collections: tuple[str, ...]) -> list[str] | None:
        """Paths the channel may cite; None = no restriction."""
        if not collections:
            return None
        found: set[str] = set()
        for name in collections:
            found |= self.by_name.get(name, set())
        return sorted(found)


_SCANS: dict[Path, tuple[float, Collections]] = {}
_SCAN_LOCK = threading.Lock()
SCAN_TTL = 60.0  # seconds: a new playbook or tag is honoured within a minute without a rescan per question


def collections_for(playbooks_dir: Path) -> Collections:
    """The playbooks' collections, rescanned at most every :data:`SCAN_TTL` seconds."""
    key = playbooks_dir.resolve()
    with _SCAN_LOCK:
        hit = _SCANS.get(key)
        if hit is not None and time.monotonic() - hit[0] < SCAN_TTL:
            return hit[1]
    found = Collections.scan(key)
    with _SCAN_LOCK:
        _SCANS[key] = (time.monotonic(), found)
    return found


def search_paths(settings: ChannelSettings, playbooks_dir: Path) -> list[str] | None:
    """What ``index.search(paths=...)`` gets for this channel: None = every playbook, [] = none match."""
    if not settings.collections:
        return None
    return collections_for(playbooks_dir).paths(settings.collections)
