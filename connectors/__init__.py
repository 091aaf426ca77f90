"""Connectors: read customer data from files, SQL databases and SaaS APIs as typed, validated records.

Never imports ``bot`` (import-linter): the bot-side sync service (``bot.sync``) stores
what these yield.
"""

from connectors.base import Batch, Connector, ConnectorError, RowError, validate_row
from connectors.records import (
    RECORD_TYPES,
    ContactRecord,
    CustomerRecord,
    OrderRecord,
    Record,
    TicketRecord,
    UsageRecord,
)
from connectors.registry import create, kinds, register

__all__ = [
    "RECORD_TYPES",
    "Batch",
    "Connector",
    "ConnectorError",
    "ContactRecord",
    "CustomerRecord",
    "OrderRecord",
    "Record",
    "RowError",
    "TicketRecord",
    "UsageRecord",
    "create",
    "kinds",
    "register",
    "validate_row",
]
