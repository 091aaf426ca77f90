"""The ``rapport`` command: every subcommand group is imported here by name (``bot.commands.*``).

The ML stack (torch, sentence-transformers, chromadb) loads only when a command builds the playbook index.
"""

from __future__ import annotations

import datetime as dt
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.app import build_services, engine_for
from bot.ask.report import maintainer_report
from bot.ask.service import AskError, AskService
from bot.commands import alerts, approvals, audit, customers, feedback, forget, report, segment, sync, workload
from bot.commands.common import UserError, fail, progress_enabled, settings_for
from bot.commands.retrieval_cmds import eval_command, index_command
from bot.demo.sandbox import busy_ports_message, run_demo
from bot.demo.service import generate_demo_data
from bot.logs import configure_logging
from bot.notify import RecordingNotifier
from bot.offline import offline_env
from bot.policies import PolicyError
from bot.serve import serve_http, serve_socket_mode
from bot.settings import SettingsError, load_settings
from bot.store.migrate import upgrade

app = typer.Typer(
    name="rapport",
    help="Rapport: answers from playbooks and the customer record, alerts and approvals, in Slack.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")

for _name, _group in {
    "sync": sync,
    "customers": customers,
    "alerts": alerts,
    "approvals": approvals,
    "audit": audit,
    "forget": forget,
    "report": report,
    "segment": segment,
    "workload": workload,
    "feedback": feedback,
}.items():
    app.add_typer(_group.app, name=_name)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations (creates the SQLite file under .rapport/ by default)."""
    settings = settings_for()
    engine = engine_for(settings)
    upgrade(engine)
    typer.echo(f"database at {engine.url.render_as_string(hide_password=True)} is up to date")


@app.command("demo-data")
def demo_data(
    customers: Annotated[int, typer.Option(help="How many customers to generate.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same data.")] = 42,
    now: Annotated[str | None, typer.Option(help="Anchor time (ISO 8601, UTC); default: now.")] = None,
) -> None:
    """Generate a seeded synthetic book of business (streams bulk inserts; prints rows/s)."""
    anchor = None
    if now:
        try:
            anchor = dt.datetime.fromisoformat(now)
        except ValueError:
            fail(f"--now {now!r} is not an ISO 8601 timestamp")
        anchor = anchor if anchor.tzinfo else anchor.replace(tzinfo=dt.UTC)
    if customers < 1:
        fail("--customers must be at least 1")
    stats = generate_demo_data(
        settings_for(), customers=customers, seed=seed, now=anchor, progress=progress_enabled(), echo=typer.echo
    )
    typer.echo(
        f"generated {stats.total_rows:,} rows in {stats.seconds:.1f} s ({stats.rows_per_second:,.0f} rows/s): "
        + ", ".join(f"{k}={v:,}" for k, v in stats.rows.items())
    )


@app.command("index")
def index(
    playbooks: Annotated[Path | None, typer.Option(help="Playbooks folder (default PLAYBOOKS_DIR).")] = None,
) -> None:
    """Index the playbooks: re-embed only added or changed sections; drop removed files."""
    s = settings_for(need_playbooks=True, playbooks_dir=playbooks)
    raise typer.Exit(
        index_command(
            s.playbooks_dir, s.effective_chroma_path if not s.chroma_url else None, s.chroma_url, s.chroma_collection
        )
    )


@app.command("eval")
def eval_(
    playbooks: Annotated[Path, typer.Option(help="Folder of Markdown documents to index (throwaway).")],
    questions: Annotated[
        Path | None, typer.Option(help="JSONL: {question, relevant: [paths relative to folder]}")
    ] = None,
    answers: Annotated[
        list[Path] | None,
        typer.Option(help="JSONL answer keys: {question, facts: [[alternative, ...], ...]} (repeatable)"),
    ] = None,
    brief: Annotated[bool, typer.Option(help="Omit the per-question rows.")] = False,
) -> None:
    """Measure retrieval (recall@1/5/10, MRR, against BM25-only and dense-only baselines) and, with --answers,
    answer quality (key-fact coverage, raw markup, declined in and out of scope); prints JSON."""

    if not playbooks.is_dir():
        fail(f"--playbooks {str(playbooks)!r} is not a directory")
    if questions is not None and not questions.is_file():
        fail(f"--questions {str(questions)!r} is not a file")
    for a in answers or []:
        if not a.is_file():
            fail(f"--answers {str(a)!r} is not a file")
    if questions is None and not answers:
        fail("give --questions, --answers or both")
    raise typer.Exit(eval_command(playbooks, questions, answers, brief))


@app.command("demo")
def demo(
    customers: Annotated[int, typer.Option(help="Customers to generate when the database is empty.")] = 5000,
    port: Annotated[int, typer.Option(help="Bot HTTP port.")] = 3000,
    ui_port: Annotated[int, typer.Option(help="Port of the local Slack sandbox page.")] = 3001,
    check: Annotated[bool, typer.Option("--check", help="Ask one question through the sandbox, print, exit.")] = False,
) -> None:
    """Main job on embedded defaults: demo data, index, a local Slack sandbox and the bot (SQLite + Chroma)."""
    s = settings_for(need_playbooks=True)
    busy = busy_ports_message(port, ui_port)  # before minutes of data and indexing, not after
    if busy:
        fail(busy)
    raise typer.Exit(
        run_demo(
            s,
            customers=customers,
            progress=progress_enabled(),
            echo=typer.echo,
            bot_port=port,
            ui_port=ui_port,
            check=check,
        )
    )


@app.command("serve")
def serve(
    port: Annotated[
        int, typer.Option(help="HTTP port (Socket Mode: the /healthz /readyz /metrics routes only).")
    ] = 3000,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "0.0.0.0",
    no_scheduler: Annotated[bool, typer.Option("--no-scheduler", help="Do not run scheduled jobs here.")] = False,
    no_watch: Annotated[bool, typer.Option("--no-watch", help="Do not re-index on playbook edits.")] = False,
) -> None:
    """Serve Slack: Socket Mode when SLACK_APP_TOKEN is set, else HTTP (POST /slack/events)."""
    s = settings_for(need_playbooks=True)
    s.validate_serving()
    configure_logging(s.log_level)
    upgrade(engine_for(s))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):  # a clean stop: running jobs finish, connections close
        signal.signal(sig, lambda *_: stop.set())
    run = serve_socket_mode if s.socket_mode else serve_http
    run(s, port or s.port, host, scheduler=not no_scheduler, watch=not no_watch, stop=stop)


@app.command("ask")
def ask(
    question: Annotated[str, typer.Argument(help="The question, as you would ask it in Slack.")],
    as_user: Annotated[str, typer.Option("--as", help="Slack user id of the asker (decides redaction).")] = "U0CSLEAD",
) -> None:
    """Answer a question from the terminal (same pipeline as Slack, offline)."""
    s = settings_for(need_playbooks=True)
    services = build_services(s, notifier=RecordingNotifier())
    if not services.index.documents():
        # an empty index declines everything at 0%, which reads as "the handbook doesn't say": say what to run
        fail(f"no playbooks are indexed from PLAYBOOKS_DIR={s.playbooks_dir}: run `rapport index` first")
    try:
        answer = AskService(services).answer(question, as_user)
    except AskError as exc:
        fail(str(exc))
    if answer.answered:
        typer.echo(answer.text)
    else:
        card = answer.customer
        account = f", or {answer.account_owner}, who owns {card.name}" if answer.account_owner and card else ""
        typer.echo(
            f"I don't know (confidence {answer.confidence:.0%}). Ask {answer.owner}, the playbook owner{account}."
        )
    for c in answer.citations:
        typer.echo(f"  [{c.number}] {c.title} > {c.heading_path} ({c.path}:{c.line_start}-{c.line_end})")
    if answer.customer:
        typer.echo(
            f"customer: {answer.customer.name} ({answer.customer.tier}); hidden fields: "
            f"{', '.join(answer.customer.hidden) or 'none'}"
        )


@app.command("playbooks-report")
def playbooks_report(
    days: Annotated[int, typer.Option(help="Look back this many days for questions and feedback.")] = 30,
) -> None:
    """For each playbook owner: stale documents (past review_by), unanswered questions, unhelpful answers."""
    s = settings_for(need_playbooks=True)
    services = build_services(s, notifier=RecordingNotifier())
    since = services.clock() - dt.timedelta(days=days)
    reports = maintainer_report(services, since)
    if not reports:
        typer.echo("nothing to report: no stale playbooks, unanswered questions or unhelpful answers")
    for r in reports:
        typer.echo(f"{r.owner}: {len(r.stale)} stale, {len(r.unanswered)} unanswered, {len(r.unhelpful)} unhelpful")
        for path, review_by in r.stale:
            typer.echo(f"  stale: {path} (review by {review_by})")
        for q in r.unanswered[:20]:
            typer.echo(f"  unanswered: {q[:120]}")
        for q, path in r.unhelpful[:20]:
            typer.echo(f"  not helpful: {q[:100]} -> {path}")


def main() -> None:
    """Console entry point: user errors become one line and exit code 2."""
    offline_env()
    try:
        app()
    except (SettingsError, UserError, PolicyError) as exc:
        typer.echo(f"rapport: error: {exc}", err=True)
        sys.exit(2)
    except ProgrammingError as exc:
        if not _behind_schema(exc):
            raise  # a bug, not the user's setup: the traceback is what a report needs
        _no_schema(exc)
    except OperationalError as exc:
        reason = _reason(exc)
        if exc.statement is None:  # no statement: connecting failed, so the setting (or the server) is wrong
            typer.echo(f"rapport: error: cannot connect to DATABASE_URL={_database_shown()} ({reason})", err=True)
            sys.exit(2)
        if _behind_schema(exc):
            _no_schema(exc)
        typer.echo(
            f"rapport: error: the database is unavailable ({reason}); run the command again once it is back",
            err=True,
        )
        sys.exit(1)


def _behind_schema(exc: OperationalError | ProgrammingError) -> bool:
    """A table or a column missing: SQLite's "no such table/column" ("has no column named" on insert) or
    PostgreSQL's undefined_table (42P01) and undefined_column (42703). An older database after an upgrade of
    Rapport lacks the newest columns: migrating helps, retrying does not."""
    if getattr(exc.orig, "pgcode", None) in ("42P01", "42703"):
        return True
    return any(s in str(exc.orig) for s in ("no such table", "no such column", "has no column named"))


def _reason(exc: OperationalError | ProgrammingError) -> str:
    """Only the driver's first line: the full message carries the SQL and its parameters (customer data)."""
    return str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__


def _no_schema(exc: OperationalError | ProgrammingError) -> NoReturn:
    """The database answers but lacks a table or a column: a fresh or older database. Retrying will not help;
    migrating will."""
    typer.echo(
        f"rapport: error: the database at DATABASE_URL={_database_shown()} lacks Rapport's tables or columns "
        f"({_reason(exc)}); run `rapport db upgrade` first (`rapport demo` does that and loads the demo book)",
        err=True,
    )
    sys.exit(2)


def _database_shown() -> str:
    try:
        return load_settings().database_url_for_display
    except Exception:
        return "(unreadable)"


if __name__ == "__main__":
    main()
