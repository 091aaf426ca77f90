"""Feature results -> Block Kit. Pure functions; each feature module registers its renderers on ``render``.

``render(obj)`` returns a list of blocks for any registered result type. Feature modules under this
package are imported by :func:`load_renderers` (called by the Slack app and the Slack notifier).
"""

from __future__ import annotations

import importlib
from functools import singledispatch
from typing import Any

Blocks = list[dict[str, Any]]

RENDERER_MODULES = ("common", "ask", "alerts", "approvals", "customers", "handoff", "home", "kpi")


@singledispatch
def render(obj: object) -> Blocks:
    raise TypeError(f"no Block Kit renderer registered for {type(obj).__name__}")


def load_renderers() -> None:
    for name in RENDERER_MODULES:
        try:
            importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
