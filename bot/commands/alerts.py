"""``rapport alerts run | explain | deliver | digest | status | retry-failed``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from sqlalchemy import Engine, func, select

from bot.alerts.delivery import deliver_due, retry_failed
from bot.alerts.digest import build_digests
from bot.alerts.evaluate import evaluate
from bot.alerts.explain import explain, find_customer
from bot.alerts.models import AlertOutbox, AlertRun
from bot.app import engine_for, slack_notifier
from bot.commands.common import UserError, parse_time, settings_for
from bot.policies import Policies, load_policies
from bot.policies.bundle import NOT_CONFIGURED
from bot.settings import SLACK_API_DEFAULT, Settings

app = typer.Typer(help="Alert rules: evaluate, explain, deliver, and see what failed.", no_args_is_help=True)


def _context() -> tuple[Settings, Engine, Policies]:
    settings = settings_for(need_playbooks=True)
    if not settings.policies_dir.exists():  # a plain handbook: no alert rules to run
        raise UserError(NOT_CONFIGURED.format(what="alerts"))
    return settings, engine_for(settings), load_policies(settings.policies_dir)


def _now(value: str | None) -> dt.datetime:
    return parse_time(value, "--now")


@app.command("run")
def run(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be sent; write nothing.")] = False,
    rule: Annotated[list[str] | None, typer.Option("--rule", help="Only this rule (repeatable).")] = None,
    now: Annotated[str | None, typer.Option(help="Evaluate as of this time (ISO 8601, UTC).")] = None,
    show: Annotated[int, typer.Option(help="List at most this many new alerts.")] = 50,
) -> None:
    """Evaluate the rules: what would be / was sent, to whom, when and why (rule and data)."""
    _, engine, policies = _context()
    known = {r.name for r in policies.alerts.rules}
    unknown = sorted(set(rule or []) - known)
    if unknown:
        raise UserError(f"unknown rule {unknown[0]!r} (known: {', '.join(sorted(known))})")
    report = evaluate(engine, policies, _now(now), rules=rule or None, dry_run=dry_run)
    typer.echo(f"{'DRY RUN: nothing written. ' if dry_run else ''}evaluated at {report.now:%Y-%m-%d %H:%M} UTC")
    typer.echo(
        f"{'rule':32} {'matched':>8} {'new':>6} {'alerted':>8} {'capped':>7} {'still':>6} {'resolved':>8} {'s':>6}"
    )
    for r in report.rules:
        typer.echo(
            f"{r.rule:32} {r.matched:8,} {r.candidates:6,} {r.created:8,} {r.capped:7,} {r.refreshed:6,} "
            f"{r.resolved:8,} {r.seconds:6.2f}" + (f"  ERROR {r.error}" if r.error else "")
        )
        if r.capped:
            typer.echo(f"  ! {r.rule}: {r.capped:,} new matches over the cap were not alerted (reported)")
    planned = sorted(report.planned, key=lambda p: (-p.priority, p.customer_id, p.rule))
    # One interruption per recipient and customer roll-up, as delivery sends them.
    now_msgs = {(x.recipient, p.customer_id) for p in planned for x in p.routes if x.mode == "immediate"}
    per_recipient: dict[str, int] = {}
    for recipient, _ in now_msgs:
        per_recipient[recipient] = per_recipient.get(recipient, 0) + 1
    typer.echo(
        f"routed {report.routed:,} alert(s): {len(now_msgs):,} interruption(s) now"
        + (f" (most to one recipient: {max(per_recipient.values())})" if per_recipient else "")
        + f", the rest in digests; without a recipient: {report.unrouted}"
        + (f"; ROUTING ERROR {report.routing_error}" if report.routing_error else "")
    )
    for p in planned[:show]:
        routes = "; ".join(f"{x.recipient} {x.mode} at {x.due_at:%m-%d %H:%M} ({x.reason})" for x in p.routes)
        also = f" [+{p.together_with} with it]" if p.together_with else ""
        typer.echo(
            f"- [{p.severity}, {p.band} {p.priority:.1f}] {p.rule} -> {p.customer} (#{p.customer_id}, {p.tier})"
            f"{also}: {p.why} => {routes}"
        )
    if len(planned) > show:
        typer.echo(f"... and {len(planned) - show:,} more")
    if any(r.error for r in report.rules) or report.routing_error:
        raise typer.Exit(1)


@app.command("explain")
def explain_cmd(
    customer: Annotated[str, typer.Argument(help="Customer id or name (prefix).")],
    now: Annotated[str | None, typer.Option(help="As of this time (ISO 8601, UTC).")] = None,
) -> None:
    """Why each rule does or does not fire for one customer, and its alert history."""
    _, engine, policies = _context()
    found = find_customer(engine, customer)
    if found is None:
        raise UserError(f"no customer matches {customer!r}")
    ex = explain(engine, policies, found[0], _now(now))
    typer.echo(f"{ex.customer} (#{ex.customer_id}, {ex.tier})")
    for v in ex.verdicts:
        mark = "FIRES" if v.matches else "-"
        line = f"  {v.rule:28} {mark:6} {v.why}"
        if v.alert_state:
            line += f" | last alert {v.alert_state} since {v.alert_since:%Y-%m-%d %H:%M}"
        if v.next_possible:
            line += f" | cooldown until {v.next_possible:%Y-%m-%d %H:%M}"
        typer.echo(line)
        for c in v.conditions:
            typer.echo(
                f"      {'ok ' if c.met else 'NO '} {c.label}: {c.value}" + (f"  (rule: {c.rule})" if c.rule else "")
            )
        typer.echo(f"      priority {v.priority:.1f} ({v.band})")


@app.command("deliver")
def deliver() -> None:
    """Build due digests and deliver the outbox once (the scheduler does this continuously in serve)."""
    settings, engine, policies = _context()
    now = dt.datetime.now(dt.UTC)
    if settings.slack_bot_token is None and settings.slack_api_url == SLACK_API_DEFAULT:
        # Without a token Slack answers not_authed to every message: say so once instead of retrying each.
        o = AlertOutbox.__table__.c
        with engine.connect() as conn:
            waiting = conn.scalar(select(func.count()).where(o.state == "pending")) or 0
        raise UserError(
            f"SLACK_BOT_TOKEN is not set: nothing delivered ({waiting:,} message(s) wait in the outbox). "
            "Set the bot token, or SLACK_API_URL to a local Slack double."
        )
    notifier = slack_notifier(settings)
    parts = build_digests(engine, now, policies)
    r = deliver_due(engine, notifier, notifier)
    typer.echo(
        f"digest messages built: {parts}; sent {r.sent}, retrying {r.retried}, failed {r.failed}, "
        f"reconciled {r.reconciled}, re-queued {r.requeued}"
    )
    if r.stopped:
        typer.echo(
            f"stopped after {r.in_a_row} failures in a row ({r.left:,} due message(s) left for later): {r.stopped}"
        )
        raise typer.Exit(1)


@app.command("status")
def status() -> None:
    """Outbox by state, permanent failures with their error, and the latest run of each rule."""
    _, engine, _ = _context()
    o, r = AlertOutbox.__table__.c, AlertRun.__table__.c
    with engine.connect() as conn:
        states: dict[str, int] = dict(conn.execute(select(o.state, func.count()).group_by(o.state)).tuples().all())
        typer.echo("outbox: " + (", ".join(f"{k} {v:,}" for k, v in sorted(states.items())) or "empty"))
        for row in conn.execute(
            select(o.id, o.recipient, o.kind, o.attempts, o.last_error)
            .where(o.state == "failed")
            .order_by(o.id)
            .limit(20)
        ):
            typer.echo(
                f"  FAILED #{row.id} {row.kind} to {row.recipient} after {row.attempts} attempt(s): {row.last_error}"
            )
        latest = select(r.rule, func.max(r.id).label("id")).group_by(r.rule).subquery()
        for row in conn.execute(select(AlertRun.__table__).join(latest, latest.c.id == r.id).order_by(r.rule)):
            typer.echo(
                f"  {row.rule:30} last run {row.started_at:%Y-%m-%d %H:%M}: alerted {row.created}, "
                f"capped {row.capped}, open seen again {row.refreshed}, resolved {row.resolved}"
            )


@app.command("retry-failed")
def retry_failed_cmd() -> None:
    """Queue permanently failed messages again (after fixing the cause, e.g. inviting the bot)."""
    _, engine, _ = _context()
    typer.echo(f"re-queued {retry_failed(engine, dt.datetime.now(dt.UTC))} message(s)")
