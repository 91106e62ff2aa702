"""HTTP client for the QuickBooks Online Accounting API v3: the only code that calls QBO."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import quote as url_quote
from urllib.parse import urlencode

import requests
import requests.adapters
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from app.qbo.faults import (
    QBOError,
    ServerError,
    TransportError,
    fault_from_batch_item,
    fault_from_response,
)
from app.qbo.jsonio import dumps_json, loads_json
from app.qbo.query import count_query, select_query
from app.qbo.ratelimit import RateLimiter
from app.qbo.redact import redact_body, redact_text, redact_url
from app.qbo.retry import (
    THROTTLE_WAIT_MAX,
    Action,
    Decision,
    RetryPolicy,
    leaves_outcome_unknown,
)

__all__ = [
    "BATCH_MAX_ITEMS",
    "BatchOp",
    "BatchQuery",
    "BatchResult",
    "Exchange",
    "QBOClient",
    "TokenSource",
    "batch_request_id",
    "dumps_json",
    "loads_json",
]

log = logging.getLogger(__name__)

BATCH_MAX_ITEMS = 30
BATCH_TIMEOUT = 130.0  # seconds; at least QBO's own 120 s request ceiling
REQUEST_ID_MAX = 50
BATCH_REQUEST_ID_MAX = 36
BID_MAX = 10
EXCHANGE_BODY_MAX = 64 * 1024
# Longer queries go in a POST body: URLs past a few KB are refused by some proxies.
_QUERY_GET_MAX = 2000
_WRITE_OPERATIONS = frozenset({"create", "update", "delete", "void"})


class TokenSource(Protocol):
    """Supplies access tokens; refresh is single-flight and persists the rotated token."""

    def access_token(self) -> str:
        """The current access token."""
        ...

    def refresh(self, rejected_token: str) -> str:
        """A fresh access token after QBO rejected rejected_token (may raise ReconnectRequired)."""
        ...


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class BatchOp:
    """One write in a batch: operation is create, update, delete or void."""

    bid: str
    operation: str
    entity: str
    body: Mapping[str, Any]


@dataclass(frozen=True)
class BatchQuery:
    """One query in a batch."""

    bid: str
    query: str


@dataclass
class BatchResult:
    """The answer for one batch item: data (entity dict or QueryResponse) or a fault."""

    bid: str
    operation: str
    entity: str | None
    data: dict[str, Any] | None = None
    fault: QBOError | None = None
    # False when the item was never sent because an earlier batch request failed.
    sent: bool = True

    @property
    def ok(self) -> bool:
        """True when QBO carried out the item."""
        return self.fault is None and self.data is not None


# ---------------------------------------------------------------- helpers


def _ci_get(obj: Mapping[str, Any], name: str) -> Any:
    """Value for name, matching the key case-insensitively ("customer" finds "Customer")."""
    if name in obj:
        return obj[name]
    wanted = name.lower()
    for key, value in obj.items():
        if key.lower() == wanted:
            return value
    return None


def _check_request_id(request_id: str, limit: int = REQUEST_ID_MAX) -> str:
    """QBO ignores or rejects over-long requestids, which would silently lose idempotency."""
    if not request_id or len(request_id) > limit:
        raise ValueError(f"requestid must be 1..{limit} characters, got {request_id!r}")
    return request_id


def batch_request_id(prefix: str, index: int) -> str:
    """Deterministic requestid (<= 36 chars) for the index-th sub-request of a batch."""
    suffix = f"-{index}"
    room = BATCH_REQUEST_ID_MAX - len(suffix)
    if len(prefix) > room:
        # Hash instead of truncating, so two long prefixes that share a start stay distinct.
        prefix = hashlib.sha256(prefix.encode()).hexdigest()[:room]
    return prefix + suffix


def _record_name(body: Mapping[str, Any] | None) -> str | None:
    """The human name of a record being written, for plain-language fault messages."""
    if not body:
        return None
    for key in ("DisplayName", "Name", "FullyQualifiedName", "DocNumber"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _pooled_session() -> requests.Session:
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


# ---------------------------------------------------------------- client


@dataclass
class _Call:
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


class QBOClient:
    """QuickBooks Online API client for one realm, with retries, rate limiting and logging."""

    def __init__(
        self,
        *,
        base_url: str,
        realm_id: str,
        tokens: TokenSource,
        limiter: RateLimiter | None = None,
        session: requests.Session | None = None,
        minor_version: int = 75,
        timeout: float = 30.0,
        batch_timeout: float = BATCH_TIMEOUT,
        max_retries: int = 5,
        backoff_base: float = 0.5,
        backoff_cap: float = 60.0,
        throttle_wait: float = THROTTLE_WAIT_MAX,
        on_exchange: Callable[[Exchange], None] | None = None,
        on_pause: Callable[[float], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.realm_id = str(realm_id)
        self.tokens = tokens
        self.limiter = limiter
        self.session = session or _pooled_session()
        self._own_session = session is None
        self.minor_version = minor_version
        self.timeout = timeout
        # QBO ends a request on its side after 120 s and 30-item batches are known to take
        # long, so a batch's outcome is only "unknown" after that (qbo-api-notes "Limits").
        self.batch_timeout = batch_timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.throttle_wait = throttle_wait
        self.on_exchange = on_exchange
        # Called with the pause in seconds whenever calls for the realm wait for a 429 pause.
        self.on_pause = on_pause
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self.last_intuit_tid: str | None = None

    # -------------------------------------------------------------- lifecycle

    def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._own_session:
            self.session.close()

    def __enter__(self) -> QBOClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -------------------------------------------------------------- reads

    def read(self, entity: str, id: str) -> dict[str, Any]:
        """GET one record by Id; raises a typed fault when it does not exist."""
        doc = self._call(_Call("GET", f"{entity.lower()}/{url_quote(str(id), safe='')}"))
        return self._entity(doc, entity)

    def query(self, select_text: str) -> dict[str, Any]:
        """Run one query and return QBO's raw answer (one page)."""
        if len(select_text) <= _QUERY_GET_MAX:
            call = _Call("GET", "query", params={"query": select_text})
        else:
            call = _Call(
                "POST", "query", body=select_text.encode(), content_type="application/text"
            )
        return self._call(call)

    def query_rows(
        self,
        entity: str,
        where: str | Sequence[str] | None = None,
        order_by: str = "Id",
        page_size: int = 1000,
    ) -> Iterator[dict[str, Any]]:
        """Yield every matching row, fetching one page at a time until a short page."""
        start = 1
        while True:
            text = select_query(
                entity, where, order_by=order_by, start_position=start, max_results=page_size
            )
            answer = _ci_get(self.query(text), "QueryResponse") or {}
            rows = _ci_get(answer, entity) or []
            yield from rows
            if len(rows) < page_size:
                return
            start += len(rows)

    def count(self, entity: str, where: str | Sequence[str] | None = None) -> int:
        """SELECT COUNT(*) for entity."""
        answer = _ci_get(self.query(count_query(entity, where)), "QueryResponse") or {}
        return int(answer.get("totalCount", 0))

    def cdc(
        self, entities: Iterable[str], changed_since: datetime | str
    ) -> dict[str, list[dict[str, Any]]]:
        """Change Data Capture: changed (and deleted) records per entity since a time."""
        names = list(entities)
        since = changed_since if isinstance(changed_since, str) else changed_since.isoformat()
        doc = self._call(
            _Call("GET", "cdc", params={"entities": ",".join(names), "changedSince": since})
        )
        canonical = {n.lower(): n for n in names}
        out: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
        for part in _ci_get(doc, "CDCResponse") or []:
            for answer in _ci_get(part, "QueryResponse") or []:
                for key, rows in answer.items():
                    if isinstance(rows, list):
                        out.setdefault(canonical.get(key.lower(), key), []).extend(rows)
        return out

    def company_info(self) -> dict[str, Any]:
        """The connected company's CompanyInfo record."""
        doc = self._call(_Call("GET", f"companyinfo/{url_quote(self.realm_id, safe='')}"))
        return self._entity(doc, "CompanyInfo")

    def preferences(self) -> dict[str, Any]:
        """The company's Preferences (currency, tax, numbering settings)."""
        return self._entity(self._call(_Call("GET", "preferences")), "Preferences")

    # -------------------------------------------------------------- writes

    def create(
        self,
        entity: str,
        body: Mapping[str, Any],
        *,
        request_id: str,
        resend_unknown: bool = True,
    ) -> dict[str, Any]:
        """Create a record; request_id makes a repeat of this call return the first answer.

        With ``resend_unknown=False`` a create whose outcome became unknown is not sent again:
        a TransportError with ``outcome_unknown`` tells the caller to look for it first.
        """
        return self._write(
            entity, dict(body), request_id=request_id, resend_unknown=resend_unknown
        )

    def update(
        self,
        entity: str,
        body: Mapping[str, Any],
        *,
        request_id: str,
        sparse: bool = True,
    ) -> dict[str, Any]:
        """Update a record (body needs Id and SyncToken); sparse=False blanks omitted fields."""
        if "Id" not in body or "SyncToken" not in body:
            raise ValueError("an update needs Id and SyncToken")
        return self._write(entity, {**body, "sparse": sparse}, request_id=request_id)

    def delete(self, entity: str, id: str, sync_token: str, *, request_id: str) -> dict[str, Any]:
        """Delete a transaction (name lists are made inactive with update instead)."""
        body = {"Id": str(id), "SyncToken": str(sync_token)}
        return self._write(entity, body, request_id=request_id, operation="delete")

    def void(self, entity: str, id: str, sync_token: str, *, request_id: str) -> dict[str, Any]:
        """Void a transaction (e.g. an invoice): amounts become zero, the record stays."""
        body = {"Id": str(id), "SyncToken": str(sync_token)}
        return self._write(entity, body, request_id=request_id, operation="void")

    def _write(
        self,
        entity: str,
        body: dict[str, Any],
        *,
        request_id: str,
        operation: str | None = None,
        resend_unknown: bool = True,
    ) -> dict[str, Any]:
        """POST a write with its requestid and return the entity QBO answered with."""
        call = _Call(
            "POST",
            entity.lower(),
            params={"operation": operation} if operation else {},
            body=dumps_json(body).encode(),
            content_type="application/json",
            request_id=_check_request_id(request_id),
            write=True,
            entity=entity,
            name=_record_name(body),
            resend_unknown=resend_unknown,
        )
        return self._entity(self._call(call), entity)

    # -------------------------------------------------------------- batch

    def batch(
        self,
        items: Iterable[BatchOp | BatchQuery],
        *,
        request_id_prefix: str,
        resend_unknown: bool = True,
    ) -> list[BatchResult]:
        """Send items 30 to a request; each request's requestid is derived from the prefix.

        The same items in the same order give the same requestids, so re-running a batch
        whose outcome was unknown replays QBO's stored answers instead of writing twice.
        When a whole request fails, its items carry that error (outcome_unknown says whether
        writes may have landed) and later items are returned unsent (sent=False).
        ``resend_unknown=False`` stops at the first attempt that may have landed (see create).
        """
        ops = list(items)
        seen: set[str] = set()
        for op in ops:
            if not op.bid or len(op.bid) > BID_MAX or op.bid in seen:
                raise ValueError(f"batch ids must be unique and 1..{BID_MAX} chars: {op.bid!r}")
            seen.add(op.bid)
            if isinstance(op, BatchOp) and op.operation not in _WRITE_OPERATIONS:
                raise ValueError(f"unknown batch operation {op.operation!r}")
        if not request_id_prefix:
            raise ValueError("request_id_prefix is required")

        results: list[BatchResult] = []
        failure: QBOError | None = None
        for index in range(0, len(ops), BATCH_MAX_ITEMS):
            chunk = ops[index : index + BATCH_MAX_ITEMS]
            if failure is not None:
                results.extend(self._batch_result(op, fault=failure, sent=False) for op in chunk)
                continue
            request_id = batch_request_id(request_id_prefix, index // BATCH_MAX_ITEMS)
            try:
                doc = self._call(
                    _Call(
                        "POST",
                        "batch",
                        body=dumps_json(
                            {"BatchItemRequest": [_batch_item(op) for op in chunk]}
                        ).encode(),
                        content_type="application/json",
                        request_id=request_id,
                        write=any(isinstance(op, BatchOp) for op in chunk),
                        batch=True,
                        resend_unknown=resend_unknown,
                    )
                )
            except QBOError as exc:
                failure = exc
                results.extend(self._batch_result(op, fault=exc) for op in chunk)
                continue
            answers = {str(a.get("bId")): a for a in (_ci_get(doc, "BatchItemResponse") or [])}
            results.extend(self._batch_answer(op, answers.get(op.bid)) for op in chunk)
        return results

    def _batch_result(
        self, op: BatchOp | BatchQuery, *, fault: QBOError, sent: bool = True
    ) -> BatchResult:
        """A result carrying a whole-request failure."""
        if isinstance(op, BatchOp):
            return BatchResult(op.bid, op.operation, op.entity, fault=fault, sent=sent)
        return BatchResult(op.bid, "query", None, fault=fault, sent=sent)

    def _batch_answer(
        self, op: BatchOp | BatchQuery, answer: Mapping[str, Any] | None
    ) -> BatchResult:
        """Turn one BatchItemResponse entry into a BatchResult."""
        is_write = isinstance(op, BatchOp)
        operation = op.operation if isinstance(op, BatchOp) else "query"
        entity = op.entity if isinstance(op, BatchOp) else None
        if answer is None:
            fault = QBOError(
                "QuickBooks returned no answer for this batch item",
                outcome_unknown=is_write,
                retryable=True,
            )
            return BatchResult(op.bid, operation, entity, fault=fault)
        if _ci_get(answer, "Fault") is not None:
            fault = fault_from_batch_item(answer)
            fault.intuit_tid = self.last_intuit_tid
            if isinstance(op, BatchOp):
                fault.entity, fault.name = op.entity, _record_name(op.body)
            return BatchResult(op.bid, operation, entity, fault=fault)
        if isinstance(op, BatchQuery):
            return BatchResult(op.bid, operation, None, data=_ci_get(answer, "QueryResponse"))
        data = _ci_get(answer, op.entity)
        if data is None:
            data = next((v for k, v in answer.items() if isinstance(v, dict) and k != "bId"), None)
        return BatchResult(op.bid, operation, entity, data=data)

    # -------------------------------------------------------------- transport

    def _entity(self, doc: Mapping[str, Any], entity: str) -> dict[str, Any]:
        """The entity object inside {"Customer": {...}, "time": ...}."""
        found = _ci_get(doc, entity)
        if not isinstance(found, dict):
            raise QBOError(f"QuickBooks answered without a {entity}", detail=str(list(doc))[:200])
        return found

    def _emit(self, exchange: Exchange) -> None:
        """Hand the record to the sync log; a failing logger must not fail the sync."""
        if self.on_exchange is None:
            return
        try:
            self.on_exchange(exchange)
        except Exception:  # logging must never break a write
            log.exception("on_exchange callback failed")

    def _timeout_for(self, call: _Call) -> float:
        """Seconds to wait for an answer: batches get at least the batch limit (QBO's 120 s)."""
        return max(self.timeout, self.batch_timeout) if call.batch else self.timeout

    def _slot(self, call: _Call) -> contextlib.AbstractContextManager[None]:
        """A rate-limiter slot for one attempt (or nothing without a limiter)."""
        if self.limiter is None:
            return contextlib.nullcontext()
        return self.limiter.acquire(
            self.realm_id,
            batch=call.batch,
            lease_seconds=self._timeout_for(call) + 10.0,
            on_pause=self._paused,
        )

    def _paused(self, seconds: float) -> None:
        """Tell the caller that calls wait for QuickBooks' rate limit; never fails the call."""
        log.info("QBO realm %s: waiting %.1fs for QuickBooks' rate limit", self.realm_id, seconds)
        if self.on_pause is None:
            return
        try:
            self.on_pause(seconds)
        except Exception:  # progress reporting must never break a write
            log.exception("on_pause callback failed")

    def _pause(self, seconds: float) -> None:
        """After a 429: hold every process's calls for the realm (through Redis), this one too."""
        if self.limiter is not None:
            # The next attempt's slot waits out the pause (and reports it), as every other
            # process's does.
            self.limiter.penalize(self.realm_id, seconds)
            return
        self._paused(seconds)
        self._sleep(seconds)

    def _call(self, call: _Call) -> dict[str, Any]:
        """Send with auth refresh, rate limiting, retries and exchange records."""
        target = self._target(call)
        policy = RetryPolicy(
            self.max_retries, self.backoff_base, self.backoff_cap, self.throttle_wait, self._rng
        )
        attempt = 0
        # Once any attempt of a write may have reached QBO, the outcome stays unknown until an
        # answer arrives: a later 5xx does not prove the earlier attempt did nothing.
        unknown = False
        while True:
            attempt += 1
            token = self.tokens.access_token()
            sent = self._attempt(call, target, token, attempt)
            if isinstance(sent, _NoAnswer):
                unknown = unknown or (call.write and sent.maybe_sent)
                decision = policy.after_no_answer()
                if decision.action is Action.RAISE or (unknown and not call.resend_unknown):
                    raise TransportError(
                        f"No answer from QuickBooks after {attempt} attempts: {sent.error}",
                        outcome_unknown=unknown,
                        entity=call.entity,
                        name=call.name,
                    ) from None
                self._back_off(call, target, sent.error, policy.retries, decision.delay)
                continue
            doc, fault = self._classify(call, target, sent, attempt)
            if fault is None:
                return doc
            unknown = unknown or leaves_outcome_unknown(fault, call.write)
            decision = policy.after_fault(fault)
            if unknown and not call.resend_unknown and decision.action in (Action.RETRY,
                                                                        Action.PAUSE):
                # The caller looks for its own write before anything is sent again.
                decision = Decision(Action.RAISE)
            if decision.action is Action.REFRESH:
                self.tokens.refresh(token)
            elif decision.action is Action.PAUSE:
                self._pause(decision.delay)
            elif decision.action is Action.RETRY:
                self._back_off(call, target, str(fault), policy.retries, decision.delay)
            elif fault.retryable and unknown:
                raise TransportError(
                    f"QuickBooks did not confirm the write after {attempt} attempts: {fault}",
                    status=fault.status,
                    code=fault.code,
                    intuit_tid=fault.intuit_tid,
                    outcome_unknown=True,
                    entity=call.entity,
                    name=call.name,
                ) from fault
            else:
                raise fault

    def _target(self, call: _Call) -> _Target:
        """URL, query parameters and the redacted forms of URL and body for the log."""
        url = f"{self.base_url}/v3/company/{url_quote(self.realm_id, safe='')}/{call.path}"
        params = dict(call.params)
        if call.request_id is not None:
            params["requestid"] = call.request_id
        params["minorversion"] = str(self.minor_version)
        return _Target(
            url,
            params,
            redact_url(f"{url}?{urlencode(params)}"),
            redact_body(call.body, call.content_type),
        )

    def _attempt(self, call: _Call, target: _Target, token: str, attempt: int) -> _Sent | _NoAnswer:
        """One HTTP attempt inside a rate-limiter slot; a failed connection is logged here."""
        headers = {"Accept": "application/json", "Authorization": f"Bearer {token}"}
        if call.content_type:
            headers["Content-Type"] = call.content_type
        started = time.monotonic()
        sent_at = time.time()
        try:
            with self._slot(call):
                started = time.monotonic()
                sent_at = time.time()
                resp = self.session.request(
                    call.method,
                    target.url,
                    params=target.params,
                    data=call.body,
                    headers=headers,
                    timeout=self._timeout_for(call),
                )
                content = resp.content
        except (requests.ConnectionError, requests.Timeout) as exc:
            error = redact_text(f"{type(exc).__name__}: {exc}")
            self._emit(
                Exchange(call.method, target.log_url, None, target.log_body, None,
                         time.monotonic() - started, call.request_id, None, attempt, None,
                         error=error, realm_id=self.realm_id, started_at=sent_at)
            )  # fmt: skip
            return _NoAnswer(error, _maybe_sent(exc))
        return _Sent(resp.status_code, resp.headers, content, time.monotonic() - started, sent_at)

    def _classify(
        self, call: _Call, target: _Target, sent: _Sent, attempt: int
    ) -> tuple[Any, QBOError | None]:
        """The answer's document, or the fault it carries; logs the exchange."""
        status = sent.status
        tid = sent.headers.get("intuit_tid")
        self.last_intuit_tid = tid or self.last_intuit_tid
        fault: QBOError | None = None
        doc: Any = None
        if 200 <= status < 300:
            try:
                doc = loads_json(sent.content) if sent.content.strip() else {}
            except ValueError:
                # QBO answered but we cannot read it; repeating with the same requestid
                # returns the stored answer, so a retry is safe for writes too.
                fault = ServerError("QuickBooks sent an unreadable answer", status=status,
                                    intuit_tid=tid, outcome_unknown=call.write)  # fmt: skip
            if doc is not None and not isinstance(doc, dict):
                fault = ServerError("QuickBooks sent an unexpected answer", status=status,
                                    intuit_tid=tid, outcome_unknown=call.write)  # fmt: skip
        else:
            fault = fault_from_response(status, sent.headers, sent.content)
        if fault is not None:
            fault.entity, fault.name = call.entity, call.name
        body = _truncate(redact_body(sent.content, sent.headers.get("Content-Type")))
        self._emit(
            Exchange(call.method, target.log_url, status, target.log_body, body, sent.duration,
                     call.request_id, tid, attempt, fault.code if fault else None,
                     realm_id=self.realm_id, started_at=sent.sent_at)
        )  # fmt: skip
        return doc, fault

    def _back_off(
        self, call: _Call, target: _Target, why: str, retry: int, delay: float
    ) -> None:
        """Wait before retry number `retry`, saying why in the log."""
        log.warning(
            "QBO %s %s: %s; retry %d in %.2fs", call.method, target.log_url, why, retry, delay
        )
        self._sleep(delay)


@dataclass(frozen=True)
class _Target:
    """Where one logical request goes, and how it appears in the log."""

    url: str
    params: dict[str, str]
    log_url: str
    log_body: str | None


@dataclass(frozen=True)
class _Sent:
    """An HTTP answer to one attempt."""

    status: int
    headers: Mapping[str, str]
    content: bytes
    duration: float
    sent_at: float


@dataclass(frozen=True)
class _NoAnswer:
    """An attempt that got no HTTP answer; maybe_sent is False only when it surely never left."""

    error: str
    maybe_sent: bool


def _batch_item(op: BatchOp | BatchQuery) -> dict[str, Any]:
    """The BatchItemRequest entry for one item."""
    if isinstance(op, BatchQuery):
        return {"bId": op.bid, "Query": op.query}
    return {"bId": op.bid, "operation": op.operation, op.entity: dict(op.body)}
