"""Typed QuickBooks Online faults and the parsers that turn HTTP answers into them."""

from __future__ import annotations

import contextlib
import json
import re
import xml.etree.ElementTree as ET  # noqa: S405 - see _parse_xml for why this is safe here
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from app.qbo.jsonio import ci_get

__all__ = [
    "AuthenticationError",
    "AuthorizationError",
    "DuplicateNameError",
    "InactiveReferenceError",
    "InvalidReferenceError",
    "QBOError",
    "ReconnectRequired",
    "ServerError",
    "StaleObjectError",
    "ThrottledError",
    "TransportError",
    "ValidationError",
    "fault_from_batch_item",
    "fault_from_response",
]

# Bodies larger than this are not worth parsing for a fault (and keep XML parsing cheap).
_MAX_PARSE_BYTES = 1_000_000


class QBOError(Exception):
    """Any failure talking to QuickBooks Online; subclasses say which kind."""

    default_retryable = False

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        code: str | None = None,
        detail: str | None = None,
        element: str | None = None,
        intuit_tid: str | None = None,
        fault_type: str | None = None,
        retryable: bool | None = None,
        outcome_unknown: bool = False,
        errors: list[dict[str, Any]] | None = None,
        entity: str | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(message or detail or code or type(self).__name__)
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
        self.element = element
        self.intuit_tid = intuit_tid
        self.fault_type = fault_type
        self.retryable = self.default_retryable if retryable is None else retryable
        # True when a write may or may not have been applied by QBO: the caller must look for
        # its own earlier write before trying again with a different requestid.
        self.outcome_unknown = outcome_unknown
        # Every error of a multi-error fault, as {"code","message","detail","element"} dicts.
        self.errors = errors or []
        # Filled in by the client from the request, so plain_message() can name the record.
        self.entity = entity
        self.name = name

    def __str__(self) -> str:
        parts = [self.message or type(self).__name__]
        if self.detail and self.detail != self.message:
            parts.append(self.detail)
        head = f"[{self.code}] " if self.code else ""
        tail = f" (status {self.status})" if self.status else ""
        return head + ": ".join(parts) + tail

    def plain_message(self) -> str:
        """Say what went wrong in words an accountant understands."""
        text = self.detail or self.message
        if text:
            return f"QuickBooks refused the request: {text}"
        return "QuickBooks refused the request."

    def facts(self) -> str | None:
        """QBO's Detail without its repeated title, e.g. "Object Not Found : " dropped."""
        # The real service puts the facts in Detail and mostly leaves element empty.
        detail = (self.detail or "").strip()
        if not detail:
            return None
        head, sep, rest = detail.partition(" : ")
        if sep and rest and self.message and head.strip().lower() == self.message.lower():
            return rest.strip()
        return detail

    def _record(self) -> str:
        """Name the record in a sentence, e.g. "customer 'Acme'"."""
        kind = (self.entity or "record").lower()
        return f"{kind} '{self.name}'" if self.name else f"this {kind}"


class ValidationError(QBOError):
    """A business rule or request-shape fault (4xx); retrying unchanged will fail again."""

    def plain_message(self) -> str:
        """Say what went wrong in words an accountant understands."""
        messages = {
            "2010": "The request contained a field QuickBooks does not accept",
            "2020": "A field QuickBooks requires is missing",
            "2030": "QuickBooks does not recognise an id in the request",
            "4001": "The lookup sent to QuickBooks was not valid",
            "6000": "QuickBooks rejected the record",
            "6070": "A line amount does not equal quantity times rate",
            "6140": "QuickBooks already has a transaction with this document number",
        }
        base = messages.get(self.code or "", "QuickBooks rejected the record")
        where = f" (field {self.element})" if self.element else ""
        why = f": {self.detail}" if self.detail else (f": {self.message}" if self.message else "")
        return f"{base}{where} for {self._record()}{why}"


class DuplicateNameError(ValidationError):
    """6240: DisplayName already used by a customer, vendor or employee."""

    def plain_message(self) -> str:
        """Say what went wrong in words an accountant understands."""
        if self.name:
            return f"QuickBooks already has a customer, vendor or employee named '{self.name}'"
        facts = self.facts()
        return "QuickBooks already has a customer, vendor or employee with this name" + (
            f": {facts}" if facts else ""
        )


class StaleObjectError(ValidationError):
    """5010: the SyncToken sent is not the current one; re-read and reapply."""

    def plain_message(self) -> str:
        """Say what went wrong in words an accountant understands."""
        return (
            f"Someone changed {self._record()} in QuickBooks since it was last read; "
            "reload it and try again"
        )


class InactiveReferenceError(ValidationError):
    """610: a referenced record is inactive or deleted."""

    def plain_message(self) -> str:
        """Say what went wrong in words an accountant understands."""
        facts = self.facts()
        what = f" ({facts})" if facts else ""
        return (
            f"{self._record().capitalize()} refers to something that is inactive or deleted "
            f"in QuickBooks{what}"
        )


class InvalidReferenceError(ValidationError):
    """2500: a reference id does not exist in QBO."""

    def plain_message(self) -> str:
        """Say what went wrong in words an accountant understands."""
        where = f" in {self.element}" if self.element else ""
        facts = self.facts()
        # "Invalid Reference Id : Names element id 583 not found" names the missing id, which
        # element alone never does (and element is often empty).
        why = f" ({facts})" if facts and facts != self.element else ""
        return (
            f"{self._record().capitalize()} refers to a record QuickBooks does not have"
            f"{where}{why}"
        )


class AuthenticationError(QBOError):
    """401 / 3200: the access token was rejected."""

    def plain_message(self) -> str:
        """Say what went wrong in words an accountant understands."""
        return "QuickBooks did not accept the saved sign-in; reconnect QuickBooks"


class ReconnectRequired(AuthenticationError):
    """The refresh token was refused (invalid_grant): an admin must reconnect QBO."""

    def plain_message(self) -> str:
        """Say what went wrong in words an accountant understands."""
        return "The QuickBooks connection has expired; a QBO admin must reconnect it"


class AuthorizationError(QBOError):
    """403 / 3100: the connected user or app may not do this."""

    def plain_message(self) -> str:
        """Say what went wrong in words an accountant understands."""
        return "The connected QuickBooks user is not allowed to do this"


class ThrottledError(QBOError):
    """429 / 3001: too many requests; wait retry_after seconds (when known)."""

    default_retryable = True

    def __init__(self, message: str = "", *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after

    def plain_message(self) -> str:
        """Say what went wrong in words an accountant understands."""
        return "QuickBooks asked us to slow down; the sync will try again shortly"


class ServerError(QBOError):
    """5xx: QBO failed; safe to retry (with the same requestid for writes)."""

    default_retryable = True

    def plain_message(self) -> str:
        """Say what went wrong in words an accountant understands."""
        return "QuickBooks had a temporary problem; try again later"


class TransportError(QBOError):
    """No HTTP answer (connection dropped, timeout): a write's outcome is unknown."""

    default_retryable = True

    def plain_message(self) -> str:
        """Say what went wrong in words an accountant understands."""
        if self.outcome_unknown:
            return (
                "The connection to QuickBooks was lost before it answered; the record may "
                "or may not have been saved"
            )
        return "Could not reach QuickBooks; try again later"


_BY_CODE: dict[str, type[QBOError]] = {
    "6240": DuplicateNameError,
    "5010": StaleObjectError,
    "610": InactiveReferenceError,
    "2500": InvalidReferenceError,
    "3200": AuthenticationError,
    "3100": AuthorizationError,
    "3001": ThrottledError,
}


def _norm_code(code: Any) -> str | None:
    """Intuit writes codes as "6240", 6240 or "003001"; normalise to digits without zeros."""
    if code is None:
        return None
    text = str(code).strip()
    if text.isdigit():
        return str(int(text))
    return text or None


def _class_for(status: int | None, code: str | None) -> type[QBOError]:
    """Pick the exception class: a known code wins, then the HTTP status."""
    if status is not None and status >= 500:
        return ServerError
    if code in _BY_CODE:
        return _BY_CODE[code]
    if status == 401:
        return AuthenticationError
    if status == 403:
        return AuthorizationError
    if status == 429:
        return ThrottledError
    if status is None or 400 <= status < 500:
        return ValidationError
    return QBOError


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """Case-insensitive header lookup that works for plain dicts too."""
    if not headers:
        return None
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    with contextlib.suppress(ValueError):
        return max(0.0, float(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None

    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _kv_message(text: str | None) -> dict[str, str]:
    """Split Intuit's "message=ThrottleExceeded; errorCode=003001; statusCode=429" text."""
    out: dict[str, str] = {}
    if not text:
        return out
    for part in text.split(";"):
        key, sep, value = part.partition("=")
        if sep:
            out[key.strip().lower()] = value.strip()
    return out


def _errors_from_json(doc: Any) -> tuple[list[dict[str, Any]], str | None]:
    """Pull the error list and fault type out of any JSON fault shape Intuit sends."""
    if not isinstance(doc, Mapping):
        return [], None
    fault = ci_get(doc, "Fault")
    if isinstance(fault, Mapping):
        raw = ci_get(fault, "Error") or []
        if isinstance(raw, Mapping):
            raw = [raw]
        errors = [
            {
                "code": _norm_code(ci_get(e, "code")),
                "message": ci_get(e, "Message"),
                "detail": ci_get(e, "Detail"),
                "element": ci_get(e, "element"),
            }
            for e in raw
            if isinstance(e, Mapping)
        ]
        return errors, ci_get(fault, "type")
    # Some endpoints answer {"error": "...", "error_description": "..."} (OAuth style) or a
    # bare {"code": ..., "message": ...}.
    err = ci_get(doc, "error")
    if isinstance(err, Mapping):
        return _errors_from_json({"Fault": {"Error": [err]}})
    if isinstance(err, list):
        return _errors_from_json({"Fault": {"Error": err}})
    if isinstance(err, str):
        return [
            {
                "code": _norm_code(ci_get(doc, "code")) or err,
                "message": err,
                "detail": ci_get(doc, "error_description", "detail", "message"),
                "element": None,
            }
        ], None
    if ci_get(doc, "code") is not None or ci_get(doc, "message") is not None:
        return [
            {
                "code": _norm_code(ci_get(doc, "code")),
                "message": ci_get(doc, "message"),
                "detail": ci_get(doc, "detail"),
                "element": None,
            }
        ], None
    return [], None


def _local(tag: str) -> str:
    """Drop the XML namespace from a tag name."""
    return tag.rsplit("}", 1)[-1].lower()


def _parse_xml(body: bytes) -> tuple[list[dict[str, Any]], str | None]:
    """Parse an XML fault (Intuit's 429 body, and XML answers from older gateways)."""
    if b"<!DOCTYPE" in body[:1024] or b"<!ENTITY" in body:
        # No DTD or entities are legitimate in a fault; refusing them rules out entity tricks.
        return [], None
    try:
        # The body is bounded in size and carries no DTD (checked above), so expat's default
        # parsing is safe here; defusedxml would be one more dependency for no gain.
        root = ET.fromstring(body)  # noqa: S314
    except ET.ParseError:
        return [], None
    fault = root if _local(root.tag) == "fault" else None
    if fault is None:
        fault = next((el for el in root.iter() if _local(el.tag) == "fault"), None)
    if fault is None:
        return [], None
    errors = []
    for el in fault.iter():
        if _local(el.tag) != "error":
            continue
        fields = {_local(child.tag): (child.text or "").strip() for child in el}
        errors.append(
            {
                "code": _norm_code(el.get("code")),
                "message": fields.get("message"),
                "detail": fields.get("detail"),
                "element": el.get("element"),
            }
        )
    return errors, fault.get("type")


_TAG_RE = re.compile(r"<[^>]+>")


def fault_from_response(
    status: int | None, headers: Mapping[str, str] | None, body_bytes: bytes | str | None
) -> QBOError:
    """Build the typed error for a non-2xx QBO answer (JSON, lowercase JSON, XML or empty)."""
    body = body_bytes.encode() if isinstance(body_bytes, str) else (body_bytes or b"")
    body = body[:_MAX_PARSE_BYTES]
    intuit_tid = _header(headers, "intuit_tid")
    errors: list[dict[str, Any]] = []
    fault_type: str | None = None
    stripped = body.strip()
    if stripped.startswith((b"{", b"[")):
        try:
            doc = json.loads(stripped.decode("utf-8", "replace"))
        except ValueError:
            doc = None
        errors, fault_type = _errors_from_json(doc)
    elif stripped.startswith(b"<"):
        errors, fault_type = _parse_xml(stripped)

    first = errors[0] if errors else {}
    message = first.get("message") or ""
    code = first.get("code")
    kv = _kv_message(message)
    if not code and "errorcode" in kv:
        code = _norm_code(kv["errorcode"])
    if kv.get("message") and "errorcode" in kv:
        # "message=ThrottleExceeded; errorCode=003001; statusCode=429" reads better as its name.
        message = kv["message"]
    if not code:
        auth = _header(headers, "WWW-Authenticate") or ""
        if status == 401 or "invalid_token" in auth:
            code = "3200"
    if not message:
        if stripped and not errors:
            # An HTML error page or plain text: keep a short, tag-free excerpt for the log.
            message = _TAG_RE.sub(" ", stripped[:300].decode("utf-8", "replace"))
            message = " ".join(message.split())
        else:
            message = f"HTTP {status}" if status else "No answer"

    cls = _class_for(status, code)
    kwargs: dict[str, Any] = {
        "status": status,
        "code": code,
        "detail": first.get("detail"),
        "element": first.get("element"),
        "intuit_tid": intuit_tid,
        "fault_type": fault_type,
        "errors": errors,
    }
    if cls is ThrottledError:
        return ThrottledError(
            message, retry_after=parse_retry_after(_header(headers, "Retry-After")), **kwargs
        )
    return cls(message, **kwargs)


def fault_from_batch_item(item_dict: Mapping[str, Any]) -> QBOError:
    """Build the typed error for one BatchItemResponse entry that carries a Fault."""
    errors, fault_type = _errors_from_json(item_dict)
    first = errors[0] if errors else {}
    code = first.get("code")
    # Batch item faults have no HTTP status of their own; the code alone decides.
    cls = _BY_CODE.get(code or "", ValidationError)
    if cls is ThrottledError:
        return ThrottledError(first.get("message") or "", code=code, errors=errors)
    return cls(
        first.get("message") or "",
        code=code,
        detail=first.get("detail"),
        element=first.get("element"),
        fault_type=fault_type,
        errors=errors,
    )
