"""A source's own vocabulary turned into the record's: per-field value maps and simple derived fields.

An export says ``Enterprise``/``Pro``/``Basic`` where the policy files say ``platinum``/``gold``/``silver``,
or ``Sev1`` where a ticket priority is ``P1``. ``values`` maps such values field by field, before validation,
so the record (and every rule that reads it) holds the policy's words. A value matches a map key whatever its
case and spacing (``" PRO "`` is ``Pro``); a value the map does not name passes through unchanged, so the sync
can report it instead of hiding it behind a default.

``derive`` computes a field the export has no single column for: a template of columns
(``"{First Name} {Last Name}"``) or the first non-empty of several columns (``[Website, Email Domain]``).
Derived fields are computed from the row as read, then value maps apply to them like to any field.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MEMO_LIMIT = 10_000  # distinct raw values remembered per mapped field


def fold(value: Any) -> str:
    """How a value is compared with a map's keys: text, spacing collapsed, case folded."""
    return " ".join(str(value).split()).casefold()


def _parts(template: str) -> list[tuple[str, str | None]]:
    """(literal text, column or None) pieces of a template; ``{{`` and ``}}`` are literal braces. A column name
    is taken as written (spaces, dots and colons included)."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"bad template {template!r}: {exc}") from None
    out: list[tuple[str, str | None]] = []
    for literal, name, spec, conversion in parsed:
        column = None
        if name is not None:
            column = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            column = column.strip()
            if not column:
                raise ValueError(f"bad template {template!r}: an empty {{}} names no column")
        out.append((literal, column))
    return out


def template_columns(template: str) -> list[str]:
    """The columns a template reads, in order (``{{`` and ``}}`` are literal braces)."""
    return [c for _, c in _parts(template) if c is not None]


def _lookup(raw: Mapping[str, Any], column: str) -> Any:
    """A column's value; a dotted name reaches into nested objects (JSON) when no column has that name."""
    if column in raw:
        return raw[column]
    value: Any = raw
    for part in column.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass(frozen=True)
class Derived:
    field: str
    template: str | None  # "{A} {B}"
    columns: tuple[str, ...]
    parts: tuple[
        tuple[str, str | None], ...
    ] = ()  # the columns read: the template's, or the candidates of a first-non-empty list

    @classmethod
    def parse(cls, field: str, spec: str | Sequence[str]) -> Derived:
        if isinstance(spec, str):
            parts = _parts(spec)
            columns = [c for _, c in parts if c is not None]
            if not columns:
                raise ValueError(f"derive.{field}: the template names no column (write {{Column Name}})")
            return cls(field, spec, tuple(columns), tuple(parts))
        columns = [str(c).strip() for c in spec]
        if not columns or any(not c for c in columns):
            raise ValueError(f"derive.{field}: list the columns to take the first non-empty value of")
        return cls(field, None, tuple(columns))

    def value(self, raw: Mapping[str, Any]) -> Any:
        if self.template is None:
            return next((v for c in self.columns if not _blank(v := _lookup(raw, c))), None)
        values = {c: _lookup(raw, c) for c in self.columns}
        if all(_blank(v) for v in values.values()):
            return None
        pieces = []
        for literal, column in self.parts:
            pieces.append(literal)
            if column is not None:
                v = values[column]
                pieces.append("" if _blank(v) else str(v).strip())
        return " ".join("".join(pieces).split()) or None


@dataclass(frozen=True)
class Shaper:
    """Applies a source's ``values`` and ``derive`` to one row's record values (a dict, changed in place)."""

    maps: Mapping[str, Mapping[str, Any]]  # field -> {folded source value: record value}
    derived: tuple[Derived, ...]

    @classmethod
    def build(
        cls, values: Mapping[str, Mapping[Any, Any]] | None, derive: Mapping[str, str | Sequence[str]] | None
    ) -> Shaper | None:
        """None when the source has neither (the readers then keep their fastest path)."""
        if not values and not derive:
            return None
        maps = {f: {fold(k): v for k, v in (table or {}).items()} for f, table in (values or {}).items()}
        return cls(maps, tuple(Derived.parse(f, s) for f, s in (derive or {}).items()))

    @property
    def derived_fields(self) -> set[str]:
        return {d.field for d in self.derived}

    def columns(self) -> set[str]:
        """Every column the derived fields read."""
        return {c for d in self.derived for c in d.columns}

    def mapper(self, name: str) -> Callable[[Any], Any] | None:
        """The value map of one field as a function (None when the field has none), memoised per raw value: an
        export repeats a handful of plan or region names a million times."""
        table = self.maps.get(name)
        if not table:
            return None
        memo: dict[Any, Any] = {}

        def map_one(value: Any) -> Any:
            try:
                return memo[value]
            except (KeyError, TypeError):
                pass
            out = value
            if value is not None and not isinstance(value, bool):
                key = fold(value)
                if key in table:
                    out = table[key]
            if len(memo) < MEMO_LIMIT and isinstance(value, str | int):
                memo[value] = out
            return out

        return map_one

    def apply(self, values: dict[str, Any], raw: Mapping[str, Any] | None = None) -> dict[str, Any]:
        if raw is not None:
            for d in self.derived:
                values[d.field] = d.value(raw)
        for name, table in self.maps.items():
            v = values.get(name)
            if v is not None and not isinstance(v, bool):
                key = fold(v)
                if key in table:
                    values[name] = table[key]
        return values


def overlaps(keys: Iterable[Any]) -> list[tuple[str, str]]:
    """Pairs of map keys that are the same value once case and spacing are ignored (the later one of each)."""
    seen: dict[str, str] = {}
    out: list[tuple[str, str]] = []
    for key in keys:
        folded = fold(key)
        if folded in seen:
            out.append((seen[folded], str(key)))
        else:
            seen[folded] = str(key)
    return out
