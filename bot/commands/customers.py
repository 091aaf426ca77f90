"""``rapport customers resolve | explain ID | unmerge ID``: identity resolution from the command line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer
from sqlalchemy import Engine

from bot.app import engine_for
from bot.commands.common import UserError, settings_for
from bot.customers import merge
from bot.customers.identity import measure
from bot.sync.config import load_sources

app = typer.Typer(
    help="Identity resolution: merge duplicate customer records, explain and undo merges.", no_args_is_help=True
)


def _context() -> tuple[Engine, Callable[[str], int]]:
    settings = settings_for()
    return engine_for(settings), load_sources(settings.policies_dir).trust_of


@app.command("resolve")
def resolve() -> None:
    """Find records of the same customer (domain, email, external id, name + region) and merge them."""
    engine, trust = _context()
    report = merge.resolve(engine, trust)
    typer.echo(
        f"merged {report.merged_records:,} records into {report.clusters:,} golden records in {report.seconds:.1f} s"
    )
    with engine.connect() as conn:
        q = measure(conn)
    if q.true_pairs:
        typer.echo(f"against planted demo duplicates: precision {q.precision:.3f}, recall {q.recall:.3f}")


@app.command("explain")
def explain(customer_id: Annotated[int, typer.Argument(help="Customer id (golden or merged).")]) -> None:
    """Which records form this customer, on what evidence, and where each field's value came from."""
    engine, _ = _context()
    try:
        why = merge.explain(engine, customer_id)
    except LookupError as exc:
        raise UserError(str(exc)) from None
    typer.echo(f"customer {customer_id} -> golden record {why.golden_id} ({why.name})")
    for m in why.members:
        extra = f" on {', '.join(m['evidence'])} at {m['merged_at']}" if m["role"] == "merged" else ""
        typer.echo(f"  {m['role']:7} {m['id']} from {m['source']}{extra}")
    for fld, origin in sorted(why.provenance.items()):
        typer.echo(f"  field {fld}: from {origin['source']} (record {origin['customer_id']})")


@app.command("unmerge")
def unmerge(customer_id: Annotated[int, typer.Argument(help="A merged record's id.")]) -> None:
    """Detach a merged record from its golden record; the golden fields are recomputed without it."""
    engine, trust = _context()
    try:
        merge.unmerge(engine, customer_id, trust)
    except (LookupError, ValueError) as exc:
        raise UserError(str(exc)) from None
    typer.echo(f"customer {customer_id} is a separate record again")
