"""Any SQL database reachable by a SQLAlchemy URL: a query whose columns are named like the record's
fields, and a cursor column for incremental polls (``WHERE cursor >= :last ORDER BY cursor``). A batch's
cursor is that of its last valid row: rejected rows (one dated in the future, say) never move it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from connectors.base import Batch, ConnectorError, validate_row
from connectors.records import RECORD_TYPES, Record
from connectors.registry import register
from connectors.values import Shaper


def _cursor_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


class SqlConnector:
    def __init__(
        self, name: str, entity: str, url: str, query: str, cursor_column: str | None, shaper: Shaper | None = None
    ) -> None:
        if entity not in RECORD_TYPES:
            raise ConnectorError(f"source {name!r}: unknown entity {entity!r}")
        if not url:
            raise ConnectorError(f"source {name!r}: no database URL (set the variable named by url_env)")
        if cursor_column and not cursor_column.replace("_", "").isalnum():
            raise ConnectorError(f"source {name!r}: cursor_column must be a plain column name")
        self.name, self.entity, self.url, self.query, self.cursor_column = name, entity, url, query, cursor_column
        self.model: type[Record] = RECORD_TYPES[entity]
        self.shaper = shaper

    def full_load(self, batch_size: int = 5000) -> Iterator[Batch]:
        return self._run(None, batch_size)

    def poll(self, cursor: str | None, batch_size: int = 5000) -> Iterator[Batch]:
        return self._run(cursor if self.cursor_column else None, batch_size)

    def _run(self, cursor: str | None, batch_size: int) -> Iterator[Batch]:
        sql, params = f"SELECT * FROM ({self.query}) src", {}
        if self.cursor_column:
            if cursor is not None:
                sql += f" WHERE src.{self.cursor_column} >= :cursor"
                params["cursor"] = int(cursor) if cursor.isdigit() else cursor
            sql += f" ORDER BY src.{self.cursor_column}"
        try:
            engine = create_engine(self.url)
        except (SQLAlchemyError, ValueError) as exc:
            raise ConnectorError(f"source {self.name!r}: bad database URL: {type(exc).__name__}") from None
        fields = set(self.model.model_fields)
        try:
            with engine.connect() as conn:
                result = conn.execution_options(stream_results=True, yield_per=batch_size).execute(text(sql), params)
                row_no = 0
                for part in result.partitions(batch_size):
                    batch = Batch()
                    for row in part:
                        row_no += 1
                        values = dict(row._mapping)
                        given = {k: v for k, v in values.items() if k in fields}
                        if self.shaper is not None:
                            given = self.shaper.apply(given, values)
                        batch.rows_read += 1
                        record = validate_row(self.model, given, row_no)
                        if isinstance(record, list):
                            batch.errors.extend(record)  # a rejected row does not move the cursor
                        else:
                            batch.add(record, row_no)
                            if self.cursor_column:
                                batch.cursor = _cursor_text(values.get(self.cursor_column)) or batch.cursor
                    yield batch
        except SQLAlchemyError as exc:
            raise ConnectorError(
                f"source {self.name!r}: query failed: {str(getattr(exc, 'orig', None) or exc).splitlines()[0]}"
            ) from None
        finally:
            engine.dispose()


@register("sql")
def _sql(spec: Mapping[str, Any]) -> SqlConnector:
    return SqlConnector(
        str(spec["name"]),
        str(spec.get("entity")),
        str(spec.get("url") or ""),
        str(spec["query"]),
        spec.get("cursor_column"),
        _shaper(spec),
    )


def _shaper(spec: Mapping[str, Any]) -> Shaper | None:
    try:
        return Shaper.build(spec.get("values"), spec.get("derive"))
    except ValueError as exc:
        raise ConnectorError(f"source {spec.get('name')!r}: {exc}") from None
