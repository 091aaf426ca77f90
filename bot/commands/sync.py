"""``rapport sync``: pull configured sources into the store; ``status`` and ``errors`` report on runs."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from sqlalchemy import Engine

from bot.app import engine_for
from bot.commands.common import UserError, settings_for
from bot.policies import PolicyError
from bot.sync import service
from bot.sync.check import DEFAULT_SAMPLE, check_source
from bot.sync.config import SourcesPolicy, Vocabulary, load_sources, load_vocabulary

app = typer.Typer(help="Sync customer data from configured sources (playbooks/policies/sources.yaml).")


def _context() -> tuple[Engine, SourcesPolicy]:
    settings = settings_for()
    try:
        sources = load_sources(settings.policies_dir)
    except PolicyError as exc:
        raise UserError(exc.one_line()) from None
    return engine_for(settings), sources


def _vocabulary() -> Vocabulary | None:
    try:
        return load_vocabulary(settings_for().policies_dir)
    except PolicyError as exc:
        raise UserError(exc.one_line()) from None


@app.callback(invoke_without_command=True)
def sync(
    ctx: typer.Context,
    source: Annotated[
        str | None, typer.Option("--source", help="Only this source (default: every pull source).")
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Re-read everything instead of changes since the cursor.")
    ] = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Read a sample and report what a sync would do (coverage, unmapped columns, values no policy "
            "knows, rows it would quarantine); writes nothing.",
        ),
    ] = False,
    rows: Annotated[
        int, typer.Option(min=0, help=f"With --check: rows to read per source (0 = all; default {DEFAULT_SAMPLE:,}).")
    ] = DEFAULT_SAMPLE,
) -> None:
    """Incremental by default; resumable (the cursor moves only with committed batches)."""
    if ctx.invoked_subcommand is not None:
        return
    engine, sources = _context()
    if source and source not in sources.by_name:
        raise UserError(f"unknown source {source!r} (known: {', '.join(sources.by_name) or 'none configured'})")
    vocabulary = _vocabulary()
    if check:
        _check(engine, sources, source, vocabulary, rows or None)
        return
    show = sys.stderr.isatty()

    def progress(r: service.SyncResult) -> None:
        if show:
            typer.echo(
                f"\r{r.source}: {r.rows_read:,} read, {r.rows_loaded:,} loaded, {r.rows_quarantined:,} quarantined",
                err=True,
                nl=False,
            )

    failed = False
    for spec in [sources.source(source)] if source else [s for s in sources.sources if s.kind != "webhook"]:
        r = service.sync_source(engine, spec, full=full, on_batch=progress, vocabulary=vocabulary)
        if show:
            typer.echo("", err=True)
        line = (
            f"{r.source}: {r.status} ({r.mode}) read {r.rows_read:,}, loaded {r.rows_loaded:,}, "
            f"unchanged {r.rows_unchanged:,}, quarantined {r.rows_quarantined:,}"
            + (f", stale {r.rows_stale:,} skipped" if r.rows_stale else "")
            + (f", erased {r.rows_erased:,} skipped" if r.rows_erased else "")
            + f" in {r.seconds:.1f} s "
            f"({r.rows_per_second:,.0f} rows/s)"
        )
        typer.echo(line + (f": {r.error}" if r.error else ""))
        for unknown in r.unknown_lines():
            typer.echo(f"  stored values no policy file knows: {unknown}")
        if r.untiered:
            typer.echo(
                f"  {r.untiered:,} new customers came without a tier: placed by their record's value for now; "
                "`rapport segment --apply` (or its job) places them from their orders too"
            )
        failed |= r.status == "failed"
    if failed:
        raise typer.Exit(1)


def _check(
    engine: Engine, sources: SourcesPolicy, name: str | None, vocabulary: Vocabulary | None, sample: int | None
) -> None:
    specs = [sources.source(name)] if name else list(sources.sources)
    if not specs:
        raise UserError("no sources configured in sources.yaml")
    for spec in specs:
        report = check_source(spec, vocabulary, engine=engine, sample=sample)
        for line in report.lines():
            typer.echo(line)


@app.command("status")
def status() -> None:
    """Per source: last run, rows, errors, cursor."""
    engine, sources = _context()
    for s in service.status(engine, sources):
        typer.echo(service.describe(s))


@app.command("errors")
def errors(
    source: Annotated[str | None, typer.Option("--source", help="Only this source.")] = None,
    limit: Annotated[int, typer.Option(help="How many (newest first).")] = 50,
) -> None:
    """Quarantined rows: source, line/row, field and reason (values are not printed)."""
    engine, _ = _context()
    rows = service.errors(engine, source, limit)
    if not rows:
        typer.echo("no quarantined rows")
    for q in rows:
        where = f"line {q.row}" if q.row is not None else "row ?"
        typer.echo(f"{q.source} ({q.entity}) {where}: {q.field + ': ' if q.field else ''}{q.reason}")
