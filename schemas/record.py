"""`Record`: a pydantic model that is also an Arrow schema.

Every artifact is declared once, as a `Record` subclass; its Arrow schema is derived from the type
hints, so the Python record and the Parquet columns can never drift apart. Supported field types are
the ones analysts can query directly in DuckDB: str, int, float, bool, str enums, `dict[str, V]`
(Arrow map), `list[V]`, nested records (Arrow struct) and `X | None` (nullable).
"""

from __future__ import annotations

import enum
import hashlib
import types
import typing
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Self

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, ValidationError

_SCALARS: dict[type, pa.DataType] = {
    str: pa.string(),
    int: pa.int64(),
    float: pa.float64(),
    bool: pa.bool_(),
}


class RecordError(ValueError):
    """A row that does not fit its record: names the source, the row and the fields at fault."""


def content_id(*parts: object) -> str:
    """A short stable id for the given parts (content addressing for tasks, turns, requests)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()
    return digest[:16]


def _unwrap_optional(hint: Any) -> tuple[Any, bool]:
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        if len(rest) != 1:
            raise TypeError(f"unsupported union {hint}")
        return rest[0], True
    return hint, False


def arrow_type(hint: Any) -> pa.DataType:
    """The Arrow type for one field's type hint."""
    hint, _ = _unwrap_optional(hint)
    origin = typing.get_origin(hint)
    if origin is dict:
        key, value = typing.get_args(hint)
        return pa.map_(arrow_type(key), arrow_type(value))
    if origin in (list, tuple):
        return pa.list_(arrow_type(typing.get_args(hint)[0]))
    if isinstance(hint, type) and issubclass(hint, Record):
        return pa.struct(hint.arrow_schema())
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return pa.string()
    if hint in _SCALARS:
        return _SCALARS[hint]
    raise TypeError(f"no Arrow type for {hint!r}")


def _from_arrow(value: Any, hint: Any) -> Any:
    """Undo Arrow's python conversion where pydantic cannot: maps come back as (key, value) lists."""
    hint, _ = _unwrap_optional(hint)
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin is dict:
        _, value_hint = typing.get_args(hint)
        return {k: _from_arrow(v, value_hint) for k, v in value}
    if origin in (list, tuple):
        (item_hint,) = typing.get_args(hint)[:1]
        return [_from_arrow(v, item_hint) for v in value]
    if isinstance(hint, type) and issubclass(hint, Record):
        return hint._row_to_fields(value)
    return value


class Record(BaseModel):
    """Base of every artifact; `TABLE` names its Parquet table and catalog view."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    TABLE: ClassVar[str] = ""

    @classmethod
    def arrow_schema(cls) -> pa.Schema:
        hints = typing.get_type_hints(cls)
        return pa.schema(
            [
                pa.field(name, arrow_type(hints[name]), nullable=_unwrap_optional(hints[name])[1])
                for name in cls.model_fields
            ]
        )

    @classmethod
    def to_table(cls, records: Iterable[Self]) -> pa.Table:
        rows = [r.model_dump(mode="json") for r in records]
        return pa.Table.from_pylist(rows, schema=cls.arrow_schema())

    @classmethod
    def _row_to_fields(cls, row: dict[str, Any]) -> dict[str, Any]:
        hints = typing.get_type_hints(cls)
        return {k: _from_arrow(v, hints[k]) for k, v in row.items() if k in cls.model_fields}

    @classmethod
    def from_table(cls, table: pa.Table, source: str = "<table>") -> list[Self]:
        """Records from an Arrow table; extra columns (e.g. the `run_id` partition) are ignored."""
        missing = [name for name in cls.model_fields if name not in table.column_names]
        if missing:
            raise RecordError(f"{source}: not a {cls.__name__} table, missing columns {missing}")
        records = []
        for index, row in enumerate(table.select(list(cls.model_fields)).to_pylist()):
            try:
                records.append(cls.model_validate(cls._row_to_fields(row)))
            except ValidationError as err:
                raise RecordError(f"{source}: row {index} is not a valid {cls.__name__}: {err}") from err
        return records


def records_table(records: Sequence[Record]) -> tuple[str, pa.Table]:
    """(table name, Arrow table) for a non-empty batch of one record type."""
    if not records:
        raise ValueError("records_table needs at least one record")
    kind = type(records[0])
    if any(type(r) is not kind for r in records):
        raise TypeError(f"mixed record types in one batch of {kind.__name__}")
    return kind.TABLE, kind.to_table(records)
