"""Numbers a record holds that QuickBooks must never receive: not finite, or beyond the column.

Forms refuse such values, but a record saved before they did (or written by other means) may
still hold one; a push then fails that record with this message instead of stopping the run.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric

from app.money import fits, format_rate, largest


def _label(name: str) -> str:
    return name.replace("_", " ")


def _row_problems(row: Any, prefix: str = "") -> list[str]:
    problems = []
    for column in row.__table__.columns:
        kind = column.type
        if not isinstance(kind, Numeric) or kind.precision is None or kind.scale is None:
            continue
        value = getattr(row, column.key, None)
        if not isinstance(value, Decimal) or fits(value, kind.precision, kind.scale):
            continue
        shown = str(value) if not value.is_finite() or value.adjusted() >= 15 \
            else format_rate(value)
        top = f"{largest(kind.precision, kind.scale):,f}"
        problems.append(f"{prefix}{_label(column.key).capitalize()} {shown} is not an amount "
                        f"Ledgerhub can copy (at most {top}, with at most {kind.scale} decimal "
                        "places): correct it and copy again.")
    return problems


def amount_problems(record: Any) -> list[str]:
    """Why a record's numbers (and its lines') cannot be sent; empty when they all fit."""
    problems = _row_problems(record)
    for n, line in enumerate(getattr(record, "lines", None) or (), start=1):
        problems += _row_problems(line, prefix=f"Line {n}: ")
    return problems
