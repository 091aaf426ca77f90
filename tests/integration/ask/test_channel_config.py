"""Per-channel Ask settings: defaults, the channels.yaml layer, admin-only audited changes, collections."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.ask import channel_config
from bot.ask.channel_config import ChannelSettings, Collections, ConfigError, NotAdmin
from bot.ask.service import AskService
from bot.policies import load_policies
from bot.services import Services
from bot.store.models import AuditEvent

from .conftest import NOW, REPO, passage

ADMIN, AGENT = "U0CSLEAD", "U0SUPAGT1"


def test_unconfigured_channel_gets_conservative_defaults(services: Services) -> None:
    with services.sessions() as s:
        cfg = channel_config.load(s, "C0SUPPORT", services.policies)
    assert (cfg.mode, cfg.answers, cfg.quiet, cfg.collections) == ("mention", "public", False, ())
    assert cfg.source == "defaults"
    assert not cfg.ephemeral
    assert "defaults" in cfg.describe()


def test_policy_file_layer_then_admin_override_then_reset(services: Services) -> None:
    with services.sessions() as s, s.begin():
        from_file = channel_config.load(s, "C0ASKCS", services.policies)
        assert from_file.source == "policy" and from_file.mode == "questions"
        assert from_file.collections == ("service", "operations")
        assert from_file.may_see_card(["support_agent"]) and not from_file.may_see_card(["finance"])
        changed = channel_config.update(s, services.policies, "C0ASKCS", ADMIN, "answers", "ephemeral", NOW)
        # The row starts from what was in force (the file), not from the bare defaults.
        assert changed.mode == "questions" and changed.answers == "ephemeral" and changed.ephemeral
        assert changed.source == "admin" and f"<@{ADMIN}>" in changed.describe()
        back = channel_config.reset(s, services.policies, "C0ASKCS", ADMIN)
        assert back == from_file
        actions = s.execute(
            select(AuditEvent.actor, AuditEvent.subject_id, AuditEvent.details).where(
                AuditEvent.action == "ask.channel_config"
            )
        ).all()
    assert [(a, sid) for a, sid, _ in actions] == [(ADMIN, "C0ASKCS"), (ADMIN, "C0ASKCS")]
    assert actions[0][2] == {"key": "answers", "value": "ephemeral"}


def test_only_admins_change_settings_and_bad_values_are_explained(services: Services) -> None:
    with services.sessions() as s, s.begin():
        with pytest.raises(NotAdmin):
            channel_config.update(s, services.policies, "C0SUPPORT", AGENT, "mode", "questions", NOW)
        with pytest.raises(NotAdmin):
            channel_config.reset(s, services.policies, "C0SUPPORT", AGENT)
        with pytest.raises(ConfigError, match="mention, questions"):
            channel_config.update(s, services.policies, "C0SUPPORT", ADMIN, "mode", "always", NOW)
        with pytest.raises(ConfigError, match="unknown role"):
            channel_config.update(s, services.policies, "C0SUPPORT", ADMIN, "card_roles", "wizard", NOW)
        with pytest.raises(ConfigError, match="unknown collection"):
            channel_config.update(s, services.policies, "C0SUPPORT", ADMIN, "collections", "nowhere", NOW, {"service"})
        with pytest.raises(ConfigError, match="unknown setting"):
            channel_config.update(s, services.policies, "C0SUPPORT", ADMIN, "colour", "red", NOW)
        assert channel_config.load(s, "C0SUPPORT", services.policies).source == "defaults"  # nothing written
        assert not s.scalars(select(AuditEvent).where(AuditEvent.action == "ask.channel_config")).all()
        quiet = channel_config.update(s, services.policies, "C0SUPPORT", ADMIN, "quiet", "on", NOW)
        assert quiet.quiet and quiet.ephemeral  # quiet mode: nothing public


def test_collections_by_folder_and_tag_restrict_what_is_cited(services: Services) -> None:
    cols = Collections.scan(REPO / "playbooks")
    assert {"service", "commercial", "tag:sla", "tag:discount"} <= cols.known()
    assert cols.paths(("tag:discount",)) == ["commercial/discount-and-pricing-policy.md"]
    assert "service/sla-response-times.md" in (cols.paths(("service",)) or [])
    assert cols.paths(()) is None
    # The FakeIndex filters by paths like the real one: a channel limited to commercial/ never cites service/.
    cfg = ChannelSettings("C0DEALDESK", collections=("commercial",))
    paths = channel_config.search_paths(cfg, REPO / "playbooks")
    assert paths and all(p.startswith("commercial/") for p in paths)
    services.index.passages.append(  # type: ignore[attr-defined]
        passage(
            "commercial/discount-and-pricing-policy.md",
            "Discount and pricing > Approval thresholds",
            "Discounts above 20% need deal desk approval; a customer password reset is not a pricing matter.",
            0.4,
        )
    )
    answer = AskService(services).answer("How do I reset a customer password?", AGENT, "C0DEALDESK", paths=paths)
    assert [c.path for c in answer.citations] == ["commercial/discount-and-pricing-policy.md"]
    assert services.index.queries[-1][1] == paths  # type: ignore[attr-defined]


def test_questions_mode_answers_questions_not_chatter() -> None:
    assert channel_config.looks_like_question("What is the escalation path for a gold P1?")
    assert channel_config.looks_like_question("anyone know the refund policy for bronze")
    assert channel_config.looks_like_question("the renewal runbook applies here?")
    assert not channel_config.looks_like_question("thanks all")
    assert not channel_config.looks_like_question("deploy done, see you tomorrow")


def test_policy_file_with_an_unknown_card_role_is_refused(tmp_path: Path) -> None:
    from bot.policies.errors import PolicyError

    policies_dir = tmp_path / "policies"
    shutil.copytree(REPO / "playbooks" / "policies", policies_dir)
    path = policies_dir / "channels.yaml"
    path.write_text(path.read_text().replace("card_roles: [support_lead,", "card_roles: [wizard,"))
    with pytest.raises(PolicyError, match="unknown role 'wizard'"):
        load_policies(policies_dir)
