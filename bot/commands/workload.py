"""``rapport workload``: each owner's load over a window (accounts against the tier caps, open hand-offs,
escalations, alerts, pages and out-of-hours pages, SLA breaches) and who is flagged as a burnout risk."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from bot.commands.common import UserError, offline_services, parse_time
from bot.kpi.format import text_table
from bot.kpi.workload import WORKLOAD_HEADER, WorkloadRefused, owner_workload, resolve_owner, workload_rows

app = typer.Typer(help="Owner workload: accounts against cap, hand-offs, alerts, pages, out-of-hours pages.")


@app.callback(invoke_without_command=True)
def workload(
    owner: Annotated[str | None, typer.Option("--owner", help="One owner: a user id (U...) or a roster name.")] = None,
    days: Annotated[int, typer.Option(min=1, max=92, help="Window length in days, ending at --until.")] = 7,
    until: Annotated[str | None, typer.Option(help="End of the window (ISO date/time, UTC); default now.")] = None,
) -> None:
    """Print the workload table and the burnout-risk flags (what the leads are told)."""
    end = parse_time(until, "--until")
    services = offline_services(need_playbooks=True)
    try:
        who = resolve_owner(services.policies, owner, "") if owner else None
    except WorkloadRefused as exc:
        raise UserError(str(exc)) from None
    w = owner_workload(services.engine, services.policies, end - dt.timedelta(days=days), end, who)
    typer.echo(f"Workload {w.since:%Y-%m-%d %H:%M} to {w.until:%Y-%m-%d %H:%M} UTC ({len(w.owners)} owners)")
    typer.echo(text_table(WORKLOAD_HEADER, workload_rows(w, limit=len(w.owners))))
    flagged = w.flagged
    typer.echo(f"\nBurnout-risk flags (sent to the leads with the weekly digest): {len(flagged)}")
    for o in flagged:
        typer.echo(f"  {o.name}: {'; '.join(w.reasons(o))}")
    services.engine.dispose()
