"""One HTTP attempt at QBO and what its answer means: no retries, no tokens, no limits here."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import requests
import requests.adapters
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from app.qbo.faults import QBOError, ServerError, fault_from_response
from app.qbo.jsonio import loads_json
from app.qbo.redact import redact_body, redact_text

__all__ = ["Exchange", "NoAnswer", "Request", "Sent", "Target", "classify", "send_attempt"]

EXCHANGE_BODY_MAX = 64 * 1024


@dataclass(frozen=True, kw_only=True)
class Exchange:
    """One HTTP attempt, redacted, for the sync log."""

    method: str
    url: str
    status: int | None
    request_body: str | None
    response_body: str | None
    duration: float
    request_id: str | None
    intuit_tid: str | None
    attempt: int
    fault_code: str | None
    error: str | None = None
    realm_id: str | None = None
    started_at: float = 0.0  # wall-clock (epoch) time the attempt was sent


@dataclass
class Request:
    """Everything needed to send (and resend) one logical request."""

    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    content_type: str | None = None
    request_id: str | None = None
    write: bool = False
    batch: bool = False
    entity: str | None = None
    name: str | None = None
    # False: once a write may have landed, raise instead of sending it again. QBO's requestid
    # has not always prevented duplicates, so the caller looks for its own write first.
    resend_unknown: bool = True


@dataclass(frozen=True)
class Target:
    """Where one logical request goes, and how it appears in the log."""

    url: str
    params: dict[str, str]
    log_url: str
    log_body: str | None


@dataclass(frozen=True)
class Sent:
    """An HTTP answer to one attempt."""

    status: int
    headers: Any  # requests' case-insensitive header mapping
    content: bytes
    duration: float
    sent_at: float


@dataclass(frozen=True)
class NoAnswer:
    """An attempt that got no HTTP answer; maybe_sent is False only when it surely never left."""

    error: str
    maybe_sent: bool
    duration: float
    sent_at: float

    def __str__(self) -> str:
        return self.error


def pooled_session() -> requests.Session:
    """A session keeping enough connections open for every thread a worker may run."""
    session = requests.Session()
    # requests keeps 10 per host; an 11th thread would open (and drop) a connection per call.
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=32)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _maybe_sent(exc: BaseException) -> bool:
    """False only when the request certainly never reached the server."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return not isinstance(reason, NewConnectionError | ConnectTimeoutError)


def _truncate(text: str | None, limit: int = EXCHANGE_BODY_MAX) -> str | None:
    """Keep log records bounded; say how much was cut."""
    if text is None or len(text) <= limit:
        return text
    return f"{text[:limit]}... [truncated {len(text) - limit} characters]"


def send_attempt(
    session: requests.Session,
    request: Request,
    target: Target,
    *,
    token: str,
    timeout: float,
) -> Sent | NoAnswer:
    """Send once; a failed connection or timeout is a NoAnswer, never an exception."""
    headers = {"Accept": "application/json", "Authorization": f"Bearer {token}"}
    if request.content_type:
        headers["Content-Type"] = request.content_type
    started, sent_at = time.monotonic(), time.time()
    try:
        resp = session.request(
            request.method,
            target.url,
            params=target.params,
            data=request.body,
            headers=headers,
            timeout=timeout,
        )
        content = resp.content
    except (requests.ConnectionError, requests.Timeout) as exc:
        error = redact_text(f"{type(exc).__name__}: {exc}")
        return NoAnswer(error, _maybe_sent(exc), time.monotonic() - started, sent_at)
    return Sent(resp.status_code, resp.headers, content, time.monotonic() - started, sent_at)


def classify(request: Request, sent: Sent) -> tuple[Any, QBOError | None]:
    """The answer's JSON document, or the typed fault it carries."""
    status = sent.status
    tid = sent.headers.get("intuit_tid")
    fault: QBOError | None = None
    doc: Any = None
    if 200 <= status < 300:
        try:
            doc = loads_json(sent.content) if sent.content.strip() else {}
        except ValueError:
            # QBO answered but we cannot read it; repeating with the same requestid
            # returns the stored answer, so a retry is safe for writes too.
            fault = ServerError("QuickBooks sent an unreadable answer", status=status,
                                intuit_tid=tid, outcome_unknown=request.write)  # fmt: skip
        if doc is not None and not isinstance(doc, dict):
            fault = ServerError("QuickBooks sent an unexpected answer", status=status,
                                intuit_tid=tid, outcome_unknown=request.write)  # fmt: skip
    else:
        fault = fault_from_response(status, sent.headers, sent.content)
    if fault is not None:
        fault.entity, fault.name = request.entity, request.name
    return doc, fault


def exchange_for(
    request: Request,
    target: Target,
    outcome: Sent | NoAnswer,
    *,
    attempt: int,
    fault: QBOError | None,
    realm_id: str,
) -> Exchange:
    """The sync log's record of one attempt, answered or not."""
    status: int | None = None
    body = tid = error = None
    if isinstance(outcome, Sent):
        status, tid = outcome.status, outcome.headers.get("intuit_tid")
        body = _truncate(redact_body(outcome.content, outcome.headers.get("Content-Type")))
    else:
        error = outcome.error
    return Exchange(
        method=request.method,
        url=target.log_url,
        status=status,
        request_body=target.log_body,
        response_body=body,
        duration=outcome.duration,
        request_id=request.request_id,
        intuit_tid=tid,
        attempt=attempt,
        fault_code=fault.code if fault is not None else None,
        error=error,
        realm_id=realm_id,
        started_at=outcome.sent_at,
    )
