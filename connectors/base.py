"""The connector interface: full load and incremental poll, both yielding validated batches.

A connector turns source rows into typed :mod:`connectors.records` and reports every row it
could not turn into a record as a :class:`RowError` (line/row, field, reason) instead of raising:
good rows always flow, bad rows are quarantined by the caller. Cursors are opaque strings the
caller stores only after it has committed the batch that carried them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from pydantic import ValidationError

from connectors.compiled import COMPILED
from connectors.records import Record


class ConnectorError(Exception):
    """The source as a whole cannot be read (missing file, bad header, HTTP failure): one clear line."""


@dataclass(frozen=True)
class RowError:
    row: int | None  # physical line (files) or 1-based row number (SQL/API); None if unknown
    field: str | None  # the source's column/key name when known
    reason: str
    raw: dict[str, Any] | None = None  # the offending row as read (quarantined, erased on forget)

    def one_line(self, source: str) -> str:
        where = f"line {self.row}" if self.row is not None else "row ?"
        return f"{source}: {where}: {self.field + ': ' if self.field else ''}{self.reason}"


@dataclass
class Batch:
    records: list[Record] = field(default_factory=list)
    lines: list[int | None] = field(default_factory=list)  # source line/row of each record (parallel list)
    errors: list[RowError] = field(default_factory=list)
    cursor: str | None = None  # resume point after this batch (None: no cursor semantics)
    rows_read: int = 0

    def add(self, record: Record, line: int | None) -> None:
        self.records.append(record)
        self.lines.append(line)


@runtime_checkable
class Connector(Protocol):
    name: str
    entity: str

    def full_load(self, batch_size: int = 5000) -> Iterator[Batch]:
        """Every row of the source."""

    def poll(self, cursor: str | None, batch_size: int = 5000) -> Iterator[Batch]:
        """Rows changed at or after ``cursor`` (inclusive: the caller's upserts are idempotent, so a
        row sharing the last committed cursor value is re-read rather than lost)."""


def validate_row(
    model: type[Record], values: Mapping[str, Any], row: int | None, columns: Mapping[str, str] | None = None
) -> Record | list[RowError]:
    """A record, or one error per bad field; ``columns`` maps record field -> source column name.

    The compiled validator takes the common rows; pydantic decides (and words the errors) for the rest.
    """
    compiled = COMPILED.get(model)
    record = compiled(values) if compiled is not None else None
    if record is not None:
        return record
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        out: list[RowError] = []
        for err in exc.errors(include_url=False):
            name = str(err["loc"][0]) if err["loc"] else None
            column = (columns or {}).get(name, name) if name else None
            reason = err["msg"].removeprefix("Value error, ")
            if err["type"] == "missing":
                reason = "required value is missing"
            elif err["type"] == "extra_forbidden":
                reason = f"unexpected field {name!r}"
            elif err["type"] in ("string_too_short", "too_short"):
                reason = "must not be empty"
            elif err["type"] == "greater_than_equal":
                reason = "must not be negative"
            elif not err["loc"] and "in the future" in reason:
                column = (columns or {}).get(reason.split()[0], reason.split()[0])
            out.append(RowError(row, column, reason, dict(values)))
        return out


def raw_dict(values: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): (v if isinstance(v, str | int | float | bool) or v is None else str(v)) for k, v in values.items()}
