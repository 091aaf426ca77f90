"""``rapport feedback report | boost | demote | hide | unhide``: what readers thought, and the maintainers' say."""

from __future__ import annotations

import datetime as dt
import getpass
from typing import Annotated

import typer

from bot.ask.feedback import FeedbackError, parse_passage, passage_key, set_override
from bot.ask.report import maintainer_report, passage_report
from bot.commands.common import UserError, offline_services
from bot.services import Services
from retrieval.chunker import chunk_document
from retrieval.loader import load_documents

app = typer.Typer(help="Answer feedback: the report, and boosting, demoting or hiding a passage.", no_args_is_help=True)

AS_USER = typer.Option("--as", help="Who is deciding (Slack user id), for the audit trail; default cli:<login>.")
REASON = typer.Option("--reason", help="Why, for the audit trail and the report.")


def _services() -> Services:
    return offline_services(need_playbooks=True)


def _actor(as_user: str | None) -> str:
    return as_user or f"cli:{getpass.getuser()}"


def known_passages(services: Services) -> set[str]:
    """Every ``path#heading`` the playbooks have now (read from the files; no index or model needed)."""
    docs, _ = load_documents(services.settings.playbooks_dir)
    return {passage_key(c.path, c.heading_path) for d in docs for c in chunk_document(d)}


def _decide(passage: str, action: str | None, as_user: str | None, reason: str | None, check: bool = True) -> None:
    services = _services()
    try:
        key = parse_passage(passage)
    except FeedbackError as exc:
        raise UserError(str(exc)) from None
    if check:
        known = known_passages(services)
        if key not in known:
            path = key.split("#", 1)[0]
            near = sorted(k for k in known if k.startswith(f"{path}#"))
            hint = ("; passages of that file: " + " | ".join(n.split("#", 1)[1] for n in near[:12])) if near else ""
            raise UserError(f"no passage {key!r} in the playbooks{hint}")
    with services.sessions() as session, session.begin():
        before = set_override(session, key, action, _actor(as_user), reason, services.clock())
    typer.echo(f"{key}: {before or 'no override'} -> {action or 'no override'} (in effect for the next question)")


@app.command("boost")
def boost(
    passage: Annotated[str, typer.Argument(help="PATH#HEADING, e.g. 'service/sla-response-times.md#SLA > Targets'")],
    as_user: Annotated[str | None, AS_USER] = None,
    reason: Annotated[str | None, REASON] = None,
) -> None:
    """Rank this passage first whenever retrieval finds it, for every question."""
    _decide(passage, "boost", as_user, reason)


@app.command("demote")
def demote(
    passage: Annotated[str, typer.Argument(help="PATH#HEADING")],
    as_user: Annotated[str | None, AS_USER] = None,
    reason: Annotated[str | None, REASON] = None,
) -> None:
    """Rank this passage after every other one retrieval finds."""
    _decide(passage, "demote", as_user, reason)


@app.command("hide")
def hide(
    passage: Annotated[str, typer.Argument(help="PATH#HEADING")],
    as_user: Annotated[str | None, AS_USER] = None,
    reason: Annotated[str | None, REASON] = None,
) -> None:
    """Never cite this passage (until `unhide`)."""
    _decide(passage, "hide", as_user, reason)


@app.command("unhide")
def unhide(
    passage: Annotated[str, typer.Argument(help="PATH#HEADING")],
    as_user: Annotated[str | None, AS_USER] = None,
    reason: Annotated[str | None, REASON] = None,
) -> None:
    """Lift any boost, demotion or hide on this passage (it need not exist in the playbooks any more)."""
    _decide(passage, None, as_user, reason, check=False)


@app.command("report")
def report(
    days: Annotated[int, typer.Option(help="Look back this many days.")] = 7,
    limit: Annotated[int, typer.Option(help="Rows per list.")] = 20,
) -> None:
    """Passages by votes (with standing overrides), then each owner's unanswered and down-voted questions."""
    services = _services()
    since = services.clock() - dt.timedelta(days=days)
    stats = passage_report(services, since)
    typer.echo(f"passages ({len(stats)} voted on or overridden, last {days} days):")
    typer.echo(f"  {'down':>4} {'up':>4}  {'override':10} passage")
    for s in stats[:limit]:
        typer.echo(f"  {s.down:4} {s.up:4}  {(s.override or '-'):10} {s.passage}")
    for r in maintainer_report(services, since):
        if not r.unanswered and not r.unhelpful:
            continue
        typer.echo(f"{r.owner}: {len(r.unanswered)} unanswered, {len(r.unhelpful)} down-voted")
        for q in r.unanswered[:limit]:
            typer.echo(f"  unanswered: {q[:120]}")
        for q, path in r.unhelpful[:limit]:
            typer.echo(f"  down-voted: {q[:100]} -> {path}")
        for q, why in r.reasons[:limit]:
            typer.echo(f"  reason: {why[:120]} ({q[:60]})")
