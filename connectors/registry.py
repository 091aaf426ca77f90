"""Connectors by kind name: ``create(spec)`` builds one from a source definition (a mapping)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from connectors.base import Connector, ConnectorError

Factory = Callable[[Mapping[str, Any]], Connector]
_FACTORIES: dict[str, Factory] = {}


def register(kind: str) -> Callable[[Factory], Factory]:
    def deco(factory: Factory) -> Factory:
        _FACTORIES[kind] = factory
        return factory

    return deco


def kinds() -> list[str]:
    _load_builtin()
    return sorted(_FACTORIES)


def create(spec: Mapping[str, Any]) -> Connector:
    """Build the connector for one source definition (keys: name, kind, entity and kind options)."""
    _load_builtin()
    kind = str(spec.get("kind"))
    factory = _FACTORIES.get(kind)
    if factory is None:
        raise ConnectorError(f"source {spec.get('name')!r}: unknown kind {kind!r} (known: {', '.join(kinds())})")
    return factory(spec)


def _load_builtin() -> None:
    # Importing the modules runs their @register decorators.
    import connectors.files  # noqa: F401
    import connectors.helpdesk  # noqa: F401
    import connectors.sql  # noqa: F401
