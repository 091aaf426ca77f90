"""``rapport segment``: place every customer in its tier (tiers.yaml thresholds, the record and 12 months of
orders); show the proposed moves, write them as CSV, post them to the governance channel, or apply them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from bot.app import build_services
from bot.commands.common import UserError, settings_for
from bot.notify import DeliveryError, RecordingNotifier
from bot.segments.present import SegmentError, post_review, text_report
from bot.segments.review import review

app = typer.Typer(help="Tier placement (the segmentation review): proposed moves, CSV, post, apply.")


def _as_of(value: str | None) -> dt.date:
    if not value:
        return dt.datetime.now(dt.UTC).date()
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise UserError(f"--as-of {value!r} is not a date (YYYY-MM-DD)") from None


@app.callback(invoke_without_command=True)
def segment(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Place as of this date (YYYY-MM-DD); default today.")
    ] = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Move the customers (audited; down moves keep promises until renewal).")
    ] = False,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="Write every proposed move to this CSV file.")] = None,
    post: Annotated[
        bool, typer.Option("--post", help="Post the review to the governance channel (tiers.yaml).")
    ] = False,
    channel: Annotated[str | None, typer.Option(help="With --post: this channel id instead.")] = None,
    actor: Annotated[str, typer.Option("--as", help="Who applies it (Slack user id, for the audit trail).")] = "cli",
) -> None:
    """Print the proposed moves (largest first), the owner impact and what cannot be placed."""
    settings = settings_for()
    if post and settings.slack_bot_token is None:
        raise UserError("--post needs SLACK_BOT_TOKEN (and SLACK_API_URL for a local Slack)")
    services = build_services(settings, notifier=None if post else RecordingNotifier())
    if not services.policies.tiers.tiers:
        raise UserError("tiers are not configured: this handbook has no policies/tiers.yaml")
    day = _as_of(as_of)
    if csv_out is not None and csv_out.is_dir():
        raise UserError(f"--csv {str(csv_out)!r} is a directory; give a file name")
    result = review(
        services.engine,
        services.policies,
        day,
        apply=apply,
        actor=f"user:{actor}" if actor != "cli" else "cli",
        csv_path=csv_out,
    )
    typer.echo(text_report(result, services.policies))
    if apply:
        typer.echo(f"\napplied: run #{result.run_id}, moves sha256 {result.digest}")
    if post:
        try:
            ref = post_review(services, result, channel)
        except (SegmentError, DeliveryError) as exc:
            raise UserError(str(exc)) from None
        typer.echo(f"posted to {ref.channel} (ts {ref.ts})")
    services.engine.dispose()
