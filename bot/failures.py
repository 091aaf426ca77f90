"""Failures a person sees: a short message with a reference id that is also in the log with the traceback."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import OperationalError


class Unavailable(RuntimeError):
    """A dependency is down (the playbook index, Slack...): the user is told what, not just "it failed"."""

    what = "A service I depend on is unavailable right now. Please try again in a minute."


def new_reference() -> str:
    """A short id shown to the user and logged with the traceback, so support can find the failure."""
    return uuid.uuid4().hex[:8]


def failure_message(exc: BaseException, ref: str, doing: str = "answer that") -> str:
    if isinstance(exc, Unavailable):
        what = exc.what
    elif isinstance(exc, OperationalError):
        what = f"My database is busy or unavailable right now, so I couldn't {doing}. Please try again in a minute."
    else:
        what = f"Sorry, I couldn't {doing} just now. Please try again in a minute."
    return f":warning: {what} (reference `{ref}`)"
