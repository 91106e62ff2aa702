"""Build QBO query text safely: every literal and field name goes through these helpers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

__all__ = [
    "and_",
    "count_query",
    "field",
    "quote",
    "select_query",
    "where_eq",
    "where_in",
    "where_like",
    "where_op",
]

_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")
_OPERATORS = frozenset({"=", "<", ">", "<=", ">=", "LIKE"})

Literal = str | int | Decimal | bool | date | datetime


def field(name: str) -> str:
    """Check a property or entity name (e.g. "MetaData.LastUpdatedTime") and return it."""
    if not _FIELD.match(name):
        raise ValueError(f"not a QBO property name: {name!r}")
    return name


def quote(value: Literal) -> str:
    """Render a value as a QBO query literal; strings are single-quoted with \\' escapes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("NaN and infinity are not QBO literals")
        return format(value, "f")
    if isinstance(value, date):  # datetime is a date subclass
        value = value.isoformat()
    if not isinstance(value, str):
        raise TypeError(f"cannot use {type(value).__name__} in a QBO query")
    # Backslash first, so the escapes added for quotes are not themselves doubled.
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def where_op(name: str, op: str, value: Literal) -> str:
    """One comparison, e.g. where_op("TxnDate", ">=", date(2024, 1, 1))."""
    op = op.upper()
    if op not in _OPERATORS:
        raise ValueError(f"QBO queries do not support the operator {op!r}")
    return f"{field(name)} {op} {quote(value)}"


def where_eq(name: str, value: Literal) -> str:
    """name = value."""
    return where_op(name, "=", value)


def where_like(name: str, pattern: str) -> str:
    """name LIKE pattern (QBO understands only % wildcards)."""
    return where_op(name, "LIKE", pattern)


def where_in(name: str, values: Iterable[Literal]) -> str:
    """name IN (v1, v2, ...); an empty list is refused because QBO rejects IN ()."""
    items = [quote(v) for v in values]
    if not items:
        raise ValueError("where_in needs at least one value")
    return f"{field(name)} IN ({', '.join(items)})"


def and_(*clauses: str | None) -> str:
    """Join clauses with AND (QBO has no OR), skipping empty ones."""
    return " AND ".join(c for c in clauses if c)


def _where(where: str | Sequence[str] | None) -> str:
    """Normalise a clause or list of clauses into " WHERE ..." text."""
    if where is None:
        return ""
    text = where if isinstance(where, str) else and_(*where)
    return f" WHERE {text}" if text else ""


def select_query(
    entity: str,
    where: str | Sequence[str] | None = None,
    *,
    order_by: str | None = None,
    descending: bool = False,
    start_position: int | None = None,
    max_results: int | None = None,
) -> str:
    """SELECT * FROM entity [WHERE ...] [ORDERBY ...] [STARTPOSITION n] [MAXRESULTS n]."""
    # Safe: the entity is checked by field() and WHERE text comes from the helpers above.
    text = f"SELECT * FROM {field(entity)}{_where(where)}"  # noqa: S608
    if order_by:
        text += f" ORDERBY {field(order_by)}" + (" DESC" if descending else "")
    if start_position is not None:
        if start_position < 1:
            raise ValueError("STARTPOSITION is 1-based")
        text += f" STARTPOSITION {int(start_position)}"
    if max_results is not None:
        if not 1 <= max_results <= 1000:
            raise ValueError("MAXRESULTS must be between 1 and 1000")
        text += f" MAXRESULTS {int(max_results)}"
    return text


def count_query(entity: str, where: str | Sequence[str] | None = None) -> str:
    """SELECT COUNT(*) FROM entity [WHERE ...]."""
    return f"SELECT COUNT(*) FROM {field(entity)}{_where(where)}"  # noqa: S608
