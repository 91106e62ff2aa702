"""JSON for QBO with exact decimals: money goes out and comes back as Decimal, never float."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

__all__ = ["ci_get", "dumps_json", "loads_json"]


def _encode(value: Any, out: list[str]) -> None:
    """Append the JSON text for value; Decimals become exact JSON numbers."""
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, int):
        out.append(str(int(value)))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("NaN and infinity cannot be sent to QBO")
        out.append(format(value, "f"))
    elif isinstance(value, float):
        # Floats are accepted for convenience but money should be Decimal.
        out.append(json.dumps(value, allow_nan=False))
    elif isinstance(value, datetime | date):
        out.append(json.dumps(value.isoformat()))
    elif isinstance(value, Mapping):
        out.append("{")
        for i, (key, item) in enumerate(value.items()):
            if i:
                out.append(",")
            out.append(json.dumps(str(key), ensure_ascii=False))
            out.append(":")
            _encode(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot send {type(value).__name__} to QBO as JSON")


def dumps_json(value: Any) -> str:
    """Serialise to JSON, writing Decimal values as exact JSON numbers."""
    out: list[str] = []
    _encode(value, out)
    return "".join(out)


def loads_json(text: str | bytes) -> Any:
    """Parse JSON with every non-integer number as a Decimal."""
    return json.loads(text, parse_float=Decimal)


def ci_get(obj: Mapping[str, Any], *names: str) -> Any:
    """The value of the first of names present, keys matched case-insensitively.

    QBO spells keys "Fault", the OAuth layer "fault": an exact match wins, then any casing.
    """
    for name in names:
        if name in obj:
            return obj[name]
        wanted = name.lower()
        for key, value in obj.items():
            if str(key).lower() == wanted:
                return value
    return None
