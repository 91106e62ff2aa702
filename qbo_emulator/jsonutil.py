"""JSON on the wire: Decimal in, JSON numbers out, QBO-style timestamps."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flask import Response


class DecimalEncoder(json.JSONEncoder):
    """Write Decimal as a JSON number."""

    def default(self, o: Any) -> Any:
        """Encode Decimal values; money has few significant digits, so float's repr is exact."""
        if isinstance(o, Decimal):
            if o == o.to_integral_value() and abs(o) < 10**15:
                return int(o)
            return float(o)
        return super().default(o)


def dumps(obj: Any) -> str:
    """Serialize to compact JSON text."""
    return json.dumps(obj, cls=DecimalEncoder, ensure_ascii=False, separators=(",", ":"))


def loads(text: str | bytes) -> Any:
    """Parse JSON, reading every non-integer number as Decimal."""
    return json.loads(text, parse_float=Decimal)


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """QBO MetaData timestamp (second precision, with offset)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def time_field() -> str:
    """The `time` member every response carries (millisecond precision)."""
    return now().isoformat(timespec="milliseconds")


def json_response(body: dict[str, Any], status: int = 200) -> Response:
    """A JSON response; adds the `time` member when absent."""
    if "time" not in body:
        body = {**body, "time": time_field()}
    return Response(dumps(body), status=status, mimetype="application/json")
