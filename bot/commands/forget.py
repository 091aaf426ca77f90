"""``rapport forget CUSTOMER``: erase a customer's personal data everywhere (keeps a non-personal audit event)."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.commands.common import UserError, offline_services
from bot.privacy.erasure import ErasureError, lookup
from bot.privacy.erasure import forget as erase

# A group whose callback is the command: interspersed args so `forget ACME --yes` parses.
app = typer.Typer(
    help="Erase a customer's personal data (right to erasure).",
    invoke_without_command=True,
    context_settings={"allow_interspersed_args": True},
)


@app.callback()
def forget(
    customer: Annotated[str, typer.Argument(help="Customer id, external id, domain or exact name.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete the customer, every record merged with it, and scrub mentions in other tables."""
    services = offline_services(need_playbooks=False)
    try:
        target = lookup(services, customer)  # look up first: never ask to confirm erasing nobody
    except ErasureError as exc:
        raise UserError(str(exc)) from None
    if target.on_hold:
        raise UserError(f"customer {target.customer_id} is under legal hold; lift the hold before erasing")
    who = "; ".join(f"{name} (id {cid})" for cid, name in target.records[:10])
    more = f" and {len(target.records) - 10} more" if len(target.records) > 10 else ""
    typer.echo(f"will erase {len(target.records)} customer record(s): {who}{more}")
    if not yes and not typer.confirm("Erase all their personal data? This cannot be undone"):
        raise typer.Exit(1)
    try:
        report = erase(services, customer, actor="system:cli")
    except ErasureError as exc:
        raise UserError(str(exc)) from None
    deleted = sum(report.rows_deleted.values())
    typer.echo(
        f"erased {report.customers} customer record(s): {deleted:,} rows deleted, "
        f"{sum(report.values_scrubbed.values()):,} values scrubbed, {report.suppressed} identities kept out of "
        f"future syncs; audit reference {report.reference}"
    )
    for line in report.storage:
        typer.echo(line)
