"""``rapport report``: the KPI figures in the terminal, as a self-contained HTML page, or posted as the digest now."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from bot.app import build_services, engine_for
from bot.commands.common import UserError, parse_time, settings_for
from bot.customers.outcomes import outcomes
from bot.kpi import format as f
from bot.kpi.charts import render_charts
from bot.kpi.digest import DigestError
from bot.kpi.digest import post as post_digest
from bot.kpi.html import render_html
from bot.kpi.metrics import compute, window
from bot.kpi.outcomes import OUTCOME_HEADER, by_depth_rows, outcome_rows
from bot.kpi.pack import pack
from bot.notify import DeliveryError
from bot.policies import load_policies

app = typer.Typer(help="KPI report: cost-to-serve, resolution, FCR, alert acks, approval pathways.")


def _until(value: str | None) -> dt.datetime:
    return parse_time(value, "--until")


@app.callback(invoke_without_command=True)
def report(
    html_out: Annotated[
        Path | None, typer.Option("--html", help="Write a self-contained HTML page (charts embedded) here.")
    ] = None,
    days: Annotated[int, typer.Option(min=1, max=366, help="Window length in days, ending at --until.")] = 7,
    until: Annotated[str | None, typer.Option(help="End of the window (ISO date/time, UTC); default now.")] = None,
    post: Annotated[bool, typer.Option("--post", help="Post the digest to the governance channel now.")] = False,
    channel: Annotated[str | None, typer.Option(help="With --post: post to this channel id instead.")] = None,
) -> None:
    """Print the KPI figures for the window; --html writes the page, --post posts the Slack digest."""
    settings = settings_for()
    end = _until(until)
    if post:
        if settings.slack_bot_token is None:
            raise UserError("--post needs SLACK_BOT_TOKEN (and SLACK_API_URL for a local Slack)")
        services = build_services(settings)
        engine = services.engine
        tiers = services.policies.tier_names
    else:
        engine = engine_for(settings)
        policies = load_policies(settings.policies_dir) if settings.policies_dir.is_dir() else None
        tiers = policies.tier_names if policies else []
    span = window(end, days)
    k = compute(engine, *span, tiers=tiers)
    policy = services.policies if post else policies
    # the pack and the outcomes need the policy files (targets, SLA, cadence); without them only the figures
    figures = pack(engine, policy, *span) if policy else None
    results = outcomes(engine, policy, *span) if policy else None
    typer.echo(f"KPIs {f.period(k)}")
    for label, value in f.headline(k):
        typer.echo(f"  {label:<26} {value}")
    typer.echo("\n" + f.text_table(f.SERVICE_HEADER, f.service_rows(k)))
    if figures is not None:
        typer.echo(
            "\nPer tier against target (kpis-per-tier.md; ! = missed)\n"
            + f.text_table(f.PACK_HEADER, f.pack_rows(figures))
        )
        for broken in figures.broken:
            typer.echo(f"  promise not kept: {broken}")
    if results is not None and not results.by_tier:
        typer.echo("\nRelationship outcomes: no renewal decisions and no complaints resolved in the window")
    elif results is not None:
        typer.echo("\nRelationship outcomes\n" + f.text_table(OUTCOME_HEADER, outcome_rows(results, results.by_tier)))
        typer.echo("\n" + f.text_table(OUTCOME_HEADER, by_depth_rows(results)))
    if html_out is not None:
        charts = render_charts(k, figures, None, results)
        html_out.write_text(render_html(k, charts, pack=figures, outcomes=results), encoding="utf-8")
        typer.echo(f"\nwrote {html_out}")
    if post:
        try:
            posted = post_digest(services, k, channel=channel, tier_pack=figures, results=results)
        except (DigestError, DeliveryError) as exc:
            raise UserError(str(exc)) from None
        typer.echo(f"posted to {posted.ref.channel} (ts {posted.ref.ts}) with {len(posted.file_ids)} charts")
        if posted.upload_error:
            raise UserError(f"the digest was posted but its charts were not: {posted.upload_error}")
    engine.dispose()
