"""Folder watcher: re-sync the index when playbooks change (used by `rapport serve`)."""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING

from retrieval.loader import MARKDOWN_SUFFIXES

if TYPE_CHECKING:
    from retrieval.index import PlaybookIndex

log = logging.getLogger(__name__)


def _relevant(change: object, path: str) -> bool:
    """Markdown files, and extension-less paths (directories: a renamed folder moves its playbooks)."""
    name = os.path.basename(path)
    if name.startswith("."):
        return False
    return name.lower().endswith(MARKDOWN_SUFFIXES) or "." not in name


def watch(index: PlaybookIndex, stop_event: threading.Event, debounce_ms: int = 500) -> None:
    """Blocking: sync once, then on every batch of Markdown changes, until stop_event is set.

    A failing sync is logged and retried on the next change; it never kills the watcher."""
    from watchfiles import watch as fs_watch

    def _sync() -> None:
        try:
            report = index.sync(progress=False)
            log.info("playbooks re-indexed: %s", report.summary())
        except Exception:
            log.exception("playbook re-index failed; will retry on the next change")

    _sync()
    root = index.playbooks_dir
    root.mkdir(parents=True, exist_ok=True)
    for _changes in fs_watch(
        root,
        watch_filter=_relevant,
        stop_event=stop_event,
        debounce=debounce_ms,
        rust_timeout=500,
        yield_on_timeout=False,
        raise_interrupt=False,
    ):
        if stop_event.is_set():
            break
        _sync()
