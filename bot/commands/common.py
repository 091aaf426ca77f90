"""What every ``rapport`` command shares: settings, user errors (one line, exit 2), times given as options."""

from __future__ import annotations

import datetime as dt
import os
import sys
from typing import NoReturn

import typer
from sqlalchemy import Engine

from bot.app import build_services, engine_for
from bot.notify import RecordingNotifier
from bot.services import Services
from bot.settings import Settings, load_settings


class UserError(Exception):
    """An error caused by input or configuration: one line to stderr, exit code 2, no traceback."""


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"rapport: error: {message}", err=True)
    raise typer.Exit(code)


def settings_for(need_playbooks: bool = False, **overrides: object) -> Settings:
    settings = load_settings(**{k: v for k, v in overrides.items() if v is not None})
    settings.validate_runtime(need_playbooks=need_playbooks)
    return settings


def engine_from_settings(need_playbooks: bool = False) -> Engine:
    return engine_for(settings_for(need_playbooks=need_playbooks))


def offline_services(need_playbooks: bool = True) -> Services:
    """Services for a command that sends nothing to Slack (messages are recorded, not posted)."""
    return build_services(settings_for(need_playbooks=need_playbooks), notifier=RecordingNotifier())


def progress_enabled() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")


def parse_time(value: str | None, option: str = "--now") -> dt.datetime:
    """An ISO 8601 date or timestamp given as an option (naive = UTC); now when not given."""
    if not value:
        return dt.datetime.now(dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise UserError(f"{option} {value!r} is not a date (YYYY-MM-DD) or an ISO 8601 timestamp") from None
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)
