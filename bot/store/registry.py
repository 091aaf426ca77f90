"""The one metadata object: importing this module imports every package's models onto ``Base``.

Feature packages add their model module to ``MODEL_MODULES`` so Alembic and ``create_all`` see them.
"""

from __future__ import annotations

import importlib

from bot.store.models import Base

MODEL_MODULES: tuple[str, ...] = (
    "bot.store.models",
    "bot.alerts.models",
    "bot.approvals.models",
    "bot.connectors_state.models",
    "bot.ask.models",
)

for _name in MODEL_MODULES:
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as exc:  # a feature not built yet is simply absent
        if exc.name != _name and not _name.startswith(str(exc.name)):
            raise

metadata = Base.metadata
