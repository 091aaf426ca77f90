"""CSV and JSONL file connectors: column mapping, any delimiter and encoding, common date formats.

Bytes are decoded line by line so one badly encoded line is reported (and quarantined) with its
line number instead of aborting the file. Incremental polls compare only the cursor column before
validating, so re-reading a large export to pick up 1% changed rows costs one pass of parsing dates.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

from connectors.base import Batch, ConnectorError, RowError, raw_dict, validate_row
from connectors.compiled import COMPILED, compile_row_validator
from connectors.dates import parse_datetime
from connectors.records import RECORD_TYPES, Record
from connectors.registry import register
from connectors.values import Shaper

csv.field_size_limit(10 * 1024 * 1024)


@dataclass
class FileSpec:
    name: str
    entity: str
    path: Path
    format: str = "csv"  # csv | jsonl
    delimiter: str = ","
    encoding: str = "utf-8"
    mapping: dict[str, str] = field(default_factory=dict)  # record field -> column / key (dotted for JSONL)
    defaults: dict[str, Any] = field(default_factory=dict)
    cursor_field: str | None = None  # a record field holding the change time, e.g. updated_at
    date_format: str | None = None
    values: dict[str, dict[str, Any]] = field(default_factory=dict)  # field -> {source value: record value}
    derive: dict[str, Any] = field(default_factory=dict)  # field -> "{Column} template" or [columns]
    # Read only the lines starting in [start, stop) bytes (after the header), the first being line ``first_line``:
    # a part of a big file for a worker (``rapport sync --check``); the caller splits at line boundaries.
    byte_range: tuple[int, int] | None = None
    first_line: int = 2

    @classmethod
    def from_mapping(cls, spec: Mapping[str, Any]) -> FileSpec:
        entity = str(spec.get("entity"))
        if entity not in RECORD_TYPES:
            raise ConnectorError(f"source {spec.get('name')!r}: unknown entity {entity!r}")
        return cls(
            name=str(spec["name"]),
            entity=entity,
            path=Path(str(spec["path"])),
            format=str(spec.get("kind", "csv")),
            delimiter=str(spec.get("delimiter") or ","),
            encoding=str(spec.get("encoding") or "utf-8"),
            mapping=dict(spec.get("mapping") or {}),
            defaults=dict(spec.get("defaults") or {}),
            cursor_field=spec.get("cursor_field"),
            date_format=spec.get("date_format"),
            values=dict(spec.get("values") or {}),
            derive=dict(spec.get("derive") or {}),
            byte_range=tuple(spec["byte_range"]) if spec.get("byte_range") else None,  # type: ignore[arg-type]
            first_line=int(spec.get("first_line") or 2),
        )


def _lines(fh: Any, byte_range: tuple[int, int] | None) -> Iterator[tuple[int, bytes]]:
    """(number, raw line): every line, or the header then the lines starting in ``byte_range`` (numbered on from
    2 as if they followed the header: the reader adds the part's offset to what it reports)."""
    if byte_range is None:
        yield from enumerate(fh, start=1)
        return
    yield 1, fh.readline()
    start, stop = byte_range
    fh.seek(start)
    at = start
    for number, raw in enumerate(fh, start=2):
        if at >= stop:
            return
        at += len(raw)
        yield number, raw


def _decoded_lines(
    path: Path, encoding: str, bad: dict[int, str], byte_range: tuple[int, int] | None = None
) -> Iterator[str]:
    """Yield text lines; a line that does not decode is yielded with replacement characters and
    its number recorded in ``bad`` so the row built from it is quarantined, not loaded."""
    with path.open("rb") as fh:
        for number, raw in _lines(fh, byte_range):
            try:
                line = raw.decode(encoding)
            except UnicodeDecodeError as exc:
                bad[number] = (
                    f"not valid {encoding} (byte 0x{raw[exc.start]:02x} at column {exc.start + 1});"
                    f" set encoding: for this source"
                )
                line = raw.decode(encoding, errors="replace")
            if number == 1:
                line = line.lstrip("\ufeff")
            yield line


class FileConnector:
    def __init__(self, spec: FileSpec) -> None:
        self.spec = spec
        self.name = spec.name
        self.entity = spec.entity
        self.model: type[Record] = RECORD_TYPES[spec.entity]
        if spec.cursor_field and spec.cursor_field not in self.model.model_fields:
            raise ConnectorError(
                f"source {spec.name!r}: cursor_field {spec.cursor_field!r} is not a {spec.entity} field"
            )
        if not spec.path.is_file():
            raise ConnectorError(f"source {spec.name!r}: file not found: {spec.path}")
        try:
            self.shaper = Shaper.build(spec.values, spec.derive)
        except ValueError as exc:
            raise ConnectorError(f"source {spec.name!r}: {exc}") from None
        unknown = sorted((set(spec.mapping) | set(spec.derive) | set(spec.values)) - set(self.model.model_fields))
        if unknown:
            raise ConnectorError(
                f"source {spec.name!r}: mapping names unknown {spec.entity} field(s) {', '.join(unknown)}"
                f" (fields: {', '.join(self.model.model_fields)})"
            )

    # ---- Connector protocol ------------------------------------------------------------
    def full_load(self, batch_size: int = 5000) -> Iterator[Batch]:
        return self._batches(None, batch_size)

    def poll(self, cursor: str | None, batch_size: int = 5000) -> Iterator[Batch]:
        if cursor is not None and not self.spec.cursor_field:
            cursor = None  # no change column: every poll is a full read (upserts skip unchanged rows)
        return self._batches(parse_datetime(cursor) if cursor else None, batch_size)

    # ---- reading -------------------------------------------------------------------------
    def _batches(self, since: dt.datetime | None, batch_size: int) -> Iterator[Batch]:
        if self.spec.format == "csv":
            rows, fields = self._csv_rows()
        else:
            rows, fields = self._jsonl_rows(), None
        # CSV rows arrive as value tuples in ``fields`` order (no dict per row); a dict is built only
        # for a row that needs pydantic's verdict or is reported. JSONL rows are dicts.
        check_row = compile_row_validator(self.model, fields) if fields is not None else None
        check_dict = COMPILED[self.model]
        cursor_field = self.spec.cursor_field
        cursor_at = fields.index(cursor_field) if fields is not None and cursor_field in fields else None
        mapping = self.spec.mapping
        seen: dict[int, int] = {}  # hash(external id) -> first line: duplicated ids in one file
        high: dt.datetime | None = since
        batch = Batch()
        for line, values, problem in rows:
            if problem is not None:
                batch.rows_read += 1
                batch.errors.append(problem)
            else:
                given: Any = None
                if cursor_field:
                    if check_row is None:
                        given = values.get(cursor_field)
                    elif cursor_at is not None:
                        given = values[cursor_at]
                stamp: dt.datetime | None = None
                if since is not None and cursor_field:
                    stamp = self._stamp(given)
                    # Strictly after: a file cursor is only saved after a complete pass, so every row
                    # stamped at the cursor was already read in that pass.
                    if stamp is not None and stamp <= since:
                        continue
                batch.rows_read += 1  # rows past the cursor: what this poll actually read
                if check_row is not None:
                    result: Record | list[RowError] | None = check_row(values)
                    if result is None:
                        values = dict(zip(fields, values, strict=True))  # type: ignore[arg-type]
                        result = validate_row(self.model, values, line, mapping)
                else:
                    result = check_dict(values) or validate_row(self.model, values, line, mapping)
                if isinstance(result, list):
                    batch.errors.extend(result)
                else:
                    key = hash(result.external_id)
                    first = seen.setdefault(key, line)
                    if first != line:
                        if not isinstance(values, dict):
                            values = dict(zip(fields, values, strict=True))  # type: ignore[arg-type]
                        batch.errors.append(
                            RowError(
                                line,
                                mapping.get("external_id", "external_id"),
                                f"duplicate id {result.external_id!r} (first seen at line {first})",
                                raw_dict(values),
                            )
                        )
                    else:
                        batch.records.append(result)
                        batch.lines.append(line)
                        if cursor_field:
                            # Only rows that are loaded move the cursor: a row dated in the future fails
                            # validation, and counting it would make every later poll skip the real
                            # changes dated before it.
                            if since is None:  # full pass: the valid row's stamp is already parsed
                                stamp = result.__dict__[cursor_field]
                            if stamp is not None and (high is None or stamp > high):
                                high = stamp
            if len(batch.records) + len(batch.errors) >= batch_size:
                yield batch
                batch = Batch()
        # The file is unordered: only a completed pass may move the cursor (to its newest loaded row).
        batch.cursor = high.isoformat() if high is not None and cursor_field else None
        yield batch

    def _stamp(self, value: Any) -> dt.datetime | None:
        if value in (None, ""):
            return None
        try:
            stamp = parse_datetime(value, self.spec.date_format)
        except ValueError:
            return None  # validation reports it
        return stamp if isinstance(stamp, dt.datetime) else None

    def _apply(self, values: dict[str, Any], raw: Mapping[str, Any] | None = None) -> dict[str, Any]:
        if self.shaper is not None:
            self.shaper.apply(values, raw)
        for key, default in self.spec.defaults.items():
            if values.get(key) in (None, ""):
                values[key] = default
        if self.spec.date_format:
            for key in self.model.model_fields:
                v = values.get(key)
                if (key.endswith(("_at", "_date")) or key == "day") and isinstance(v, str) and v.strip():
                    try:
                        values[key] = parse_datetime(v.strip(), self.spec.date_format)
                    except ValueError:
                        values[key] = v  # left as text: validation reports the format
        return values

    def _csv_rows(self) -> tuple[Iterator[tuple[int, Any, RowError | None]], list[str] | None]:
        """The rows after the header, and the record fields their values are for: rows are value
        tuples in that order, or dicts (fields ``None``) when defaults or a date format apply."""
        spec = self.spec
        bad: dict[int, str] = {}
        lines = _decoded_lines(spec.path, spec.encoding, bad, spec.byte_range)
        reader = csv.reader(lines, delimiter=spec.delimiter)
        try:
            header = next(reader)
        except StopIteration:
            raise ConnectorError(f"{spec.path}: the file is empty (expected a header line)") from None
        except csv.Error as exc:
            raise ConnectorError(f"{spec.path}: line 1: unreadable header: {exc}") from None
        if 1 in bad:
            raise ConnectorError(f"{spec.path}: line 1: header {bad[1]}")
        header = [h.strip() for h in header]
        index = {h: i for i, h in enumerate(header)}
        mapping = spec.mapping or {f: f for f in self.model.model_fields if f in index}
        columns: list[tuple[str, int]] = []
        for fld, column in mapping.items():
            if column in index:
                columns.append((fld, index[column]))
            elif self.model.model_fields[fld].is_required() and fld not in spec.defaults:
                sep = "tab" if spec.delimiter == "\t" else repr(spec.delimiter)
                raise ConnectorError(
                    f"{spec.path}: line 1: missing column {column!r} (mapped to {fld}); header has "
                    f"{', '.join(repr(h) for h in header[:20])} (delimiter {sep})"
                )
        derived = self.shaper.derived_fields if self.shaper else set()
        absent = sorted(c for c in (self.shaper.columns() if self.shaper else ()) if c not in index)
        if absent:
            raise ConnectorError(
                f"{spec.path}: line 1: missing column {absent[0]!r} (read by derive:); header has "
                f"{', '.join(repr(h) for h in header[:20])}"
            )
        missing = [
            f
            for f, info in self.model.model_fields.items()
            if info.is_required() and f not in mapping and f not in spec.defaults and f not in derived
        ]
        if missing:
            raise ConnectorError(f"source {spec.name!r}: no column mapped to required field(s) {', '.join(missing)}")
        columns = [(fld, i) for fld, i in columns if fld not in derived]
        fields = [fld for fld, _ in columns]
        # value maps alone keep the fast path (tuples, compiled checks); derived fields need the whole row
        as_dicts = bool(spec.defaults or spec.date_format or (self.shaper and self.shaper.derived))
        return self._csv_values(reader, header, bad, fields, [i for _, i in columns], as_dicts), (
            None if as_dicts else fields
        )

    def _csv_values(
        self,
        reader: Any,
        header: list[str],
        bad: dict[int, str],
        fields: list[str],
        positions: list[int],
        as_dicts: bool,
    ) -> Iterator[tuple[int, Any, RowError | None]]:
        width = len(header)
        derive = bool(self.shaper and self.shaper.derived)
        shaper = self.shaper
        maps_at = (
            [] if shaper is None or as_dicts else [(i, m) for i, f in enumerate(fields) if (m := shaper.mapper(f))]
        )
        # itemgetter of two or more indexes returns a tuple; the trailing 0 makes sure, sliced off
        pick = itemgetter(*positions, 0) if positions else (lambda row: ("",))
        last = 1
        offset = self.spec.first_line - 2 if self.spec.byte_range else 0  # a part of the file: absolute lines
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                start, last = last + 1, reader.line_num
                yield start + offset, {}, RowError(start + offset, None, f"malformed CSV: {exc}")
                continue
            start, last = last + 1, reader.line_num
            if not row:
                continue
            at = start + offset
            broken = next((bad[n] for n in range(start, last + 1) if n in bad), None) if bad else None
            if broken is not None:
                raw = dict(zip(header, row, strict=False))
                yield at, raw, RowError(at, None, broken, raw)
            elif len(row) != width:
                raw = dict(zip(header, row, strict=False))
                yield at, raw, RowError(at, None, f"expected {width} columns, found {len(row)}", raw)
            elif as_dicts:
                source_row = dict(zip(header, row, strict=True)) if derive else None
                yield at, self._apply(dict(zip(fields, pick(row), strict=False)), source_row), None
            elif maps_at:
                values = list(pick(row)[:-1])
                for i, map_one in maps_at:
                    values[i] = map_one(values[i])
                yield at, values, None
            else:
                yield at, pick(row)[:-1], None

    def _jsonl_rows(self) -> Iterator[tuple[int, dict[str, Any], RowError | None]]:
        spec = self.spec
        bad: dict[int, str] = {}
        for number, line in enumerate(_decoded_lines(spec.path, spec.encoding, bad), start=1):
            if not line.strip():
                continue
            if number in bad:
                yield number, {}, RowError(number, None, bad[number], {"line": line[:500]})
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield (
                    number,
                    {},
                    RowError(number, None, f"invalid JSON: {exc.msg} at column {exc.colno}", {"line": line[:500]}),
                )
                continue
            if not isinstance(obj, dict):
                yield number, {}, RowError(number, None, f"expected a JSON object, found {type(obj).__name__}")
                continue
            yield number, self._apply(map_object(obj, spec.mapping, self.model.model_fields), obj), None


def map_object(obj: Mapping[str, Any], mapping: Mapping[str, str], fields: Iterable[str]) -> dict[str, Any]:
    """Record values from a JSON object: ``mapping`` field -> dotted key path; unmapped fields by name."""
    if not mapping:
        return {k: v for k, v in obj.items() if k in set(fields)}
    out: dict[str, Any] = {}
    for fld, path in mapping.items():
        value: Any = obj
        for part in path.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        if value is not None:
            out[fld] = value
    return out


@register("csv")
def _csv(spec: Mapping[str, Any]) -> FileConnector:
    return FileConnector(FileSpec.from_mapping(spec))


@register("jsonl")
def _jsonl(spec: Mapping[str, Any]) -> FileConnector:
    return FileConnector(FileSpec.from_mapping(spec))
