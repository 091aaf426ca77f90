"""``rapport sync`` / ``sync status`` / ``sync errors`` through typer (SQLite file database)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.commands.sync import app
from bot.store.db import make_engine
from bot.store.migrate import upgrade

from .conftest import customers_csv


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    policies = tmp_path / "playbooks" / "policies"
    policies.mkdir(parents=True)
    csv_path = customers_csv(tmp_path / "crm.csv", 5)
    with csv_path.open("a") as fh:
        fh.write("A99999,,nowhere.com,emea,-3,2025-01-01\n")
    (policies / "sources.yaml").write_text(
        "sources:\n"
        f"  - {{name: crm, kind: csv, entity: customer, path: '{csv_path}', cursor_field: updated_at,\n"
        "     mapping: {external_id: Account ID, name: Account Name, domain: Website, arr: ARR,"
        " updated_at: Last Modified}}\n"
    )
    return {"DATABASE_URL": url, "PLAYBOOKS_DIR": str(tmp_path / "playbooks")}


def test_sync_status_errors(env: dict[str, str]) -> None:
    runner = CliRunner()
    out = runner.invoke(app, ["--full"], env=env)
    assert out.exit_code == 0, out.output
    assert "crm: partial (full) read 6, loaded 5" in out.output and "quarantined 2" in out.output
    status = runner.invoke(app, ["status"], env=env)
    assert status.exit_code == 0 and "crm [csv]: last run" in status.output and "2 quarantined rows" in status.output
    errors = runner.invoke(app, ["errors"], env=env)
    assert "crm (customer) line 7: Account Name: must not be empty" in errors.output
    assert "line 7: ARR: must not be negative" in errors.output
    assert "nowhere.com" not in errors.output  # values are never printed


def test_unknown_source_is_a_user_error(env: dict[str, str]) -> None:
    from bot.commands.common import UserError

    out = CliRunner().invoke(app, ["--source", "nope"], env=env)
    assert isinstance(out.exception, UserError) and "unknown source 'nope' (known: crm)" in str(out.exception)
