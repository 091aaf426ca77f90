"""``render(result) -> blocks``: one function every feature result type registers its Block Kit renderer on."""

from __future__ import annotations

from functools import singledispatch
from typing import Any

Blocks = list[dict[str, Any]]


@singledispatch
def render(obj: object) -> Blocks:
    raise TypeError(f"no Block Kit renderer registered for {type(obj).__name__}")
