"""channels.yaml's customer channels: `kind: customer` with `customer:`, the `customer_channels` settings, and
the refusals, with file and line (nothing may name a customer channel as a place to post)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.policies import PolicyError, load_policies

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "policies"
    shutil.copytree(REPO / "playbooks" / "policies", target)
    return target


def add_channel(folder: Path, entry: str) -> None:
    path = folder / "channels.yaml"
    text = path.read_text()
    marker = "channels:\n"
    path.write_text(text.replace(marker, marker + entry + "\n", 1))


def test_the_shipped_settings(folder: Path) -> None:
    cfg = load_policies(folder).channels.customer_channels
    assert cfg.default_priority == "P3" and cfg.nudge_percent == 75 and cfg.resolve_after_quiet == dt.timedelta(days=2)
    assert cfg.priority_reactions["rotating_light"] == "P1" and "ticket" in cfg.ticket_reactions
    assert cfg.complaints.tiers == ["platinum", "gold"] and cfg.complaints.threshold == 0.6


def test_a_customer_channel_names_its_customer(folder: Path) -> None:
    add_channel(folder, "  - {id: C0EXTACME, name: ext-acme, kind: customer, customer: CRM-0001234}")
    channel = load_policies(folder).channel("C0EXTACME")
    assert channel is not None and channel.kind == "customer" and channel.customer == "CRM-0001234"


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("  - {id: C0EXTACME, name: ext-acme, kind: customer}", "needs `customer:`"),
        ("  - {id: C0EXTACME, name: ext-acme, kind: team, customer: Acme}", "only for channels of kind customer"),
    ],
)
def test_customer_links_are_checked(folder: Path, entry: str, reason: str) -> None:
    add_channel(folder, entry)
    with pytest.raises(PolicyError) as err:
        load_policies(folder)
    assert reason in str(err.value) and "channels.yaml" in str(err.value)


def test_nothing_may_post_in_a_customer_channel(folder: Path) -> None:
    add_channel(folder, "  - {id: C0EXTACME, name: ext-acme, kind: customer, customer: Acme}")
    alerts = folder / "alerts.yaml"
    alerts.write_text(alerts.read_text().replace("channel: C0ACCTALRT}", "channel: C0EXTACME}", 1))
    with pytest.raises(PolicyError) as err:
        load_policies(folder)
    assert "alerts.yaml" in str(err.value) and "C0EXTACME" in str(err.value)


def test_complaint_tiers_must_exist(folder: Path) -> None:
    path = folder / "channels.yaml"
    path.write_text(
        path.read_text().replace("tiers: [platinum, gold]   # whose", "tiers: [platinum, diamond]   # whose")
    )
    with pytest.raises(PolicyError) as err:
        load_policies(folder)
    assert "unknown tier 'diamond'" in str(err.value)
