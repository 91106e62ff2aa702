"""Remove credentials from headers, URLs and bodies before anything is logged or stored."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = [
    "REDACTED",
    "SECRET_KEYS",
    "redact_body",
    "redact_headers",
    "redact_json",
    "redact_text",
    "redact_url",
]

REDACTED = "[REDACTED]"

# Keys whose values are credentials wherever they appear (JSON, form bodies, query strings).
SECRET_KEYS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "code",
        "client_secret",
        "token",
        "password",
        "authorization",
    }
)
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})

# Fault bodies carry "code": "6240"; those short numeric codes are not secrets and the sync
# log needs them, whereas OAuth authorization codes are long random strings.
_FAULT_CODE = re.compile(r"^\d{1,8}$")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_KV_TEXT = re.compile(
    r"(?i)([\"']?\b(?:access_token|refresh_token|id_token|client_secret|code)\b[\"']?\s*[:=]\s*[\"']?)"
    r"([^\"'&\s,;}]+)"
)


def _is_secret(key: str, value: Any) -> bool:
    """Whether this key/value pair must be hidden."""
    lowered = key.lower()
    if lowered not in SECRET_KEYS:
        return False
    is_fault_code = isinstance(value, (str, int)) and _FAULT_CODE.match(str(value))
    return not (lowered == "code" and is_fault_code)


def redact_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """Copy headers with Authorization, cookies and similar replaced."""
    return {
        k: (REDACTED if k.lower() in SECRET_HEADERS else redact_text(v))
        for k, v in (headers or {}).items()
    }


def redact_json(obj: Any) -> Any:
    """Copy a parsed JSON value with every secret key's value replaced, at any depth."""
    if isinstance(obj, Mapping):
        return {k: (REDACTED if _is_secret(str(k), v) else redact_json(v)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [redact_json(v) for v in obj]
    return obj


def _redact_pairs(query: str) -> str:
    """Redact an application/x-www-form-urlencoded string."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, REDACTED if _is_secret(k, v) else v) for k, v in pairs], safe="[]")


def redact_url(url: str) -> str:
    """Copy a URL with secret query parameters and user:password credentials removed."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    query = _redact_pairs(parts.query) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_text(text: str) -> str:
    """Scrub bearer/basic credentials and token=... fragments out of free text."""
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)

    def _kv(match: re.Match[str]) -> str:
        value = match.group(2)
        if value == REDACTED or _FAULT_CODE.match(value):
            return match.group(0)
        return match.group(1) + REDACTED

    return _KV_TEXT.sub(_kv, text)


def redact_body(body: bytes | str | None, content_type: str | None = None) -> str | None:
    """Redact a request or response body, whatever its format, and return it as text."""
    if body is None:
        return None
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    ctype = (content_type or "").lower()
    stripped = text.strip()
    if stripped.startswith(("{", "[")) or "json" in ctype:
        try:
            doc = json.loads(stripped)
        except ValueError:
            return redact_text(text)
        if redact_json(doc) == doc:
            # Nothing secret inside: keep the original bytes (exact decimals, key order).
            return redact_text(text)
        return json.dumps(redact_json(doc), ensure_ascii=False)
    if "x-www-form-urlencoded" in ctype or (
        "=" in stripped and " " not in stripped and "<" not in stripped and "\n" not in stripped
    ):
        return _redact_pairs(stripped)
    return redact_text(text)
