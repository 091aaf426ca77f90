"""Feature results -> Block Kit. Pure functions; each module registers its renderers on :func:`render`.

Importing this package imports every renderer module explicitly, so a result type without a renderer is a
``TypeError`` naming it, never a module skipped because it failed to load.
"""

from __future__ import annotations

from bot.slack.views import alerts, approvals, ask, channels, common, home, kpi
from bot.slack.views.render import Blocks, render

RENDERER_MODULES = (alerts, approvals, ask, channels, common, home, kpi)
__all__ = ["RENDERER_MODULES", "Blocks", "render"]
