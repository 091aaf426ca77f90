"""``rapport approvals list | report | show ID``: approval requests from the command line."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.approvals.models import ApprovalRequest, ApprovalVote
from bot.approvals.queries import summarize
from bot.approvals.report import build_report, format_report
from bot.commands.common import UserError, engine_from_settings
from bot.store.db import make_session_factory
from bot.store.models import AuditEvent

app = typer.Typer(
    help="Approval requests: list, show one, report volume/turnaround/recurring exceptions.", no_args_is_help=True
)


def _sessions() -> sessionmaker[Session]:
    return make_session_factory(engine_from_settings())


@app.command("list")
def list_cmd(
    state: Annotated[str | None, typer.Option(help="pending, approved, rejected, expired...")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
) -> None:
    """Newest requests first."""
    with _sessions()() as s:
        stmt = select(ApprovalRequest).order_by(ApprovalRequest.id.desc()).limit(limit)
        if state:
            stmt = stmt.where(ApprovalRequest.state == state)
        rows = [summarize(r) for r in s.scalars(stmt)]
    for r in rows:
        measure = (
            " / ".join(
                x
                for x in (
                    f"{r.percent:g}%" if r.percent is not None else "",
                    f"${r.amount:,.0f}" if r.amount is not None else "",
                )
                if x
            )
            or "-"
        )
        typer.echo(
            f"#{r.request_id:<6} {r.created_at:%Y-%m-%d} {r.state:<18} {r.request_type:<21} "
            f"{measure:<16} {r.customer_name} ({r.step_name or '-'})"
        )
    if not rows:
        typer.echo("no approval requests")


@app.command("show")
def show_cmd(request_id: int) -> None:
    """One request: its route, steps, votes, and its audit events."""
    with _sessions()() as s:
        req = s.get(ApprovalRequest, request_id)
        if req is None:
            raise UserError(f"no approval request #{request_id}")
        typer.echo(
            f"#{req.id} {req.request_type} for {req.customer_name} ({req.tier}, {req.region}), "
            f"risk {req.risk}: {req.state}"
        )
        typer.echo(
            f"  requested by {req.requester} at {req.created_at:%Y-%m-%d %H:%M} UTC; rule {req.rule}; "
            f"policy {req.policy_version[:12]}"
        )
        for i, st in enumerate(req.steps):
            mark = "->" if req.state == "pending" and i == req.step else "  "
            typer.echo(
                f"  {mark} step {i + 1}: {st['name']} ({st['approvers']} in {st['channel']}, {st['required']} needed)"
            )
        for v in s.scalars(select(ApprovalVote).where(ApprovalVote.request_id == req.id).order_by(ApprovalVote.id)):
            typer.echo(f"  vote: step {v.step + 1} {v.approver} {v.decision} at {v.created_at:%Y-%m-%d %H:%M}")
        for ev in s.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_type == "approval_request", AuditEvent.subject_id == str(req.id))
            .order_by(AuditEvent.id)
        ):
            typer.echo(f"  audit #{ev.id}: {ev.occurred_at:%Y-%m-%d %H:%M:%S} {ev.actor} {ev.action}")


@app.command("report")
def report_cmd(
    days: Annotated[int, typer.Option(help="Look back this many days.")] = 90,
    recurring_min: Annotated[int, typer.Option(help="Approvals in one band that make it 'recurring'.")] = 5,
) -> None:
    """Volume, turnaround, approval rate by type/tier and requester; recurring exceptions."""
    if days < 1 or recurring_min < 1:
        raise UserError("--days and --recurring-min must be at least 1")
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    with _sessions()() as s:
        typer.echo(format_report(build_report(s, since, recurring_min)))
