"""Structured JSON logs with a request id; tokens and signing secrets are scrubbed whatever a library prints."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import uuid
from concurrent.futures import Executor, Future
from typing import Any

SECRET = re.compile(r"(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|v0=[0-9a-f]{64})")
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("rapport_request_id", default=None)
_SAFE_ID = re.compile(r"[^A-Za-z0-9._:-]")


def scrub(text: str) -> str:
    return SECRET.sub("[redacted]", text)


def new_request_id(incoming: str | None = None) -> str:
    """Reuse a proxy's X-Request-Id (sanitised, bounded) so one id follows a request across hops."""
    if incoming:
        cleaned = _SAFE_ID.sub("", incoming)[:64]
        if cleaned:
            return cleaned
    return uuid.uuid4().hex[:16]


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": scrub(record.getMessage()),
        }
        rid = getattr(record, "request_id", None) or REQUEST_ID.get()
        if rid:
            entry["request_id"] = rid
        if record.exc_info:
            entry["exc"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry)


class ContextExecutor(Executor):
    """Runs submitted work in a copy of the submitter's context, so Bolt's lazy listeners keep the request id."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        ctx = contextvars.copy_context()
        return self.inner.submit(ctx.run, fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.inner.shutdown(wait=wait, cancel_futures=cancel_futures)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "chromadb", "sentence_transformers", "urllib3", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
