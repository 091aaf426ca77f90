"""The services container the composition root builds and hands to every feature and listener.

Nothing here is created at import time; ``bot.app.build_services`` makes one from ``Settings``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.notify import Notifier
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.policies import Policies
    from retrieval.index import PlaybookIndex  # typing only: importing the index pulls numpy and more


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    policies: Policies
    notifier: Notifier
    clock: Callable[[], dt.datetime] = utc_now
    # The playbook index is heavy (model + Chroma): built on first use unless given.
    index_factory: Callable[[], PlaybookIndex] | None = None
    _index: PlaybookIndex | None = field(default=None, repr=False)

    @property
    def index(self) -> PlaybookIndex:
        if self._index is None:
            if self.index_factory is None:
                raise RuntimeError("no playbook index configured")
            self._index = self.index_factory()
        return self._index
