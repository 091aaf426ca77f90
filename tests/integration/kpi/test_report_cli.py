"""`rapport report --html` writes a self-contained page with the same figures and the charts embedded;
`--post` posts the digest through the Slack Web API (the local double); a browser renders the page."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.commands.common import UserError
from bot.kpi.charts import PNG_MAGIC
from slackdouble import SlackDouble

from .conftest import NOW, REPO

IMG = re.compile(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'")


@pytest.fixture
def env(book: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("DATABASE_URL", book.url.render_as_string(hide_password=False))
    monkeypatch.setenv("PLAYBOOKS_DIR", str(REPO / "playbooks"))
    for var in ("SLACK_BOT_TOKEN", "SLACK_API_URL", "RAPPORT_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    return book


def _run(*args: str) -> str:
    res = CliRunner().invoke(cli, ["report", *args, "--until", NOW.isoformat()])
    assert res.exit_code == 0, res.output + repr(res.exception)
    return res.output


@pytest.fixture
def page_file(env: Engine, tmp_path: Path) -> Path:
    out = tmp_path / "kpi.html"
    output = _run("--html", str(out))
    assert f"wrote {out}" in output
    return out


def test_html_has_the_figures_and_embedded_charts(page_file: Path) -> None:
    doc = page_file.read_text(encoding="utf-8")
    for figure in ("$540.00", "$157.50", "$45.00", "83%", "$900.00", "67%", "60%", "36.0 h", "74.7 h", "50 min"):
        assert figure in doc, figure
    images = [base64.b64decode(m) for m in IMG.findall(doc)]
    assert len(images) == 4 and all(img.startswith(PNG_MAGIC) for img in images)  # + SLA against targets
    assert "http://" not in doc and "https://" not in doc  # nothing to fetch: it opens offline


def test_terminal_output_and_window(env: Engine) -> None:
    out = _run()
    assert "2026-11-16 09:00 to 2026-11-23 09:00 UTC" in out
    assert re.search(r"Tickets resolved\s+6", out)
    wider = _run("--days", "14")
    assert re.search(r"Tickets resolved\s+7", wider)  # ticket 8 was resolved 8 days before


def test_bad_until_is_a_user_error(env: Engine) -> None:
    res = CliRunner().invoke(cli, ["report", "--until", "next tuesday"])
    assert isinstance(res.exception, UserError)


@pytest.fixture
def double(env: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackDouble]:
    with SlackDouble("test-secret") as d:
        d.add_channel("C0CSLEADS", "cs-leadership")
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
        monkeypatch.setenv("SLACK_API_URL", d.api_url)
        yield d


def test_post_now(double: SlackDouble) -> None:
    out = _run("--post")
    assert re.search(r"posted to C0CSLEADS \(ts [0-9.]+\) with 4 charts", out)
    (top,) = double.messages("C0CSLEADS", include_replies=False)
    assert "$157.50" in str(top["blocks"])
    uploads = list(double.api.uploads.values())
    assert len(uploads) == 4 and all(u.startswith(PNG_MAGIC) for u in uploads)


def test_page_in_a_browser(page_file: Path, page: object) -> None:
    pg: object = page
    pg.goto(page_file.as_uri())  # type: ignore[attr-defined]
    assert pg.title() == "Rapport KPI report"  # type: ignore[attr-defined]
    widths = pg.eval_on_selector_all("img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")  # type: ignore[attr-defined]
    assert len(widths) == 4 and all(w == 800 for w in widths)
    gold = pg.locator("table >> nth=0 >> tr", has_text="gold").inner_text()  # type: ignore[attr-defined]
    assert "$157.50" in gold and "100%" in gold
    pg.screenshot(path=str(page_file.with_suffix(".png")), full_page=True)  # type: ignore[attr-defined]
