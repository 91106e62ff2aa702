"""HTTP client for the QuickBooks Online Accounting API v3: the only code that calls QBO.

The client wires the small pieces together: ``transport`` sends one attempt and classifies
its answer, ``retry`` decides what follows a failure, ``batch`` cuts and reads batches, and
the ``ratelimit`` limiter hands out each attempt's slot.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import quote as url_quote
from urllib.parse import urlencode

import requests

from app.qbo.batch import (
    BATCH_MAX_ITEMS,
    BatchOp,
    BatchQuery,
    BatchResult,
    batch_chunks,
    batch_item,
    batch_request_id,
    check_batch,
    failed_item,
    item_answer,
    record_name,
)
from app.qbo.faults import QBOError, TransportError
from app.qbo.jsonio import ci_get, dumps_json, loads_json
from app.qbo.query import count_query, select_query
from app.qbo.ratelimit import RateLimiter
from app.qbo.redact import redact_body, redact_url
from app.qbo.retry import THROTTLE_WAIT_MAX, Action, RetryPolicy
from app.qbo.transport import (
    Exchange,
    NoAnswer,
    Request,
    Target,
    classify,
    exchange_for,
    pooled_session,
    send_attempt,
)

__all__ = [
    "BATCH_MAX_ITEMS",
    "BatchOp",
    "BatchQuery",
    "BatchResult",
    "Exchange",
    "QBOClient",
    "TokenSource",
    "batch_chunks",
    "batch_request_id",
    "dumps_json",
    "loads_json",
]

log = logging.getLogger(__name__)

BATCH_TIMEOUT = 130.0  # seconds; at least QBO's own 120 s request ceiling
REQUEST_ID_MAX = 50
# Longer queries go in a POST body: URLs past a few KB are refused by some proxies.
_QUERY_GET_MAX = 2000


class TokenSource(Protocol):
    """Supplies access tokens; refresh is single-flight and persists the rotated token."""

    def access_token(self) -> str:
        """The current access token."""
        ...

    def refresh(self, rejected_token: str) -> str:
        """A fresh access token after QBO rejected rejected_token (may raise ReconnectRequired)."""
        ...


def _check_request_id(request_id: str, limit: int = REQUEST_ID_MAX) -> str:
    """QBO ignores or rejects over-long requestids, which would silently lose idempotency."""
    if not request_id or len(request_id) > limit:
        raise ValueError(f"requestid must be 1..{limit} characters, got {request_id!r}")
    return request_id


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
        concurrency: int = 1,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # Queries a lookup may run at once (query_rows_many); each still waits for its slot.
        self.concurrency = max(1, concurrency)
        self.realm_id = str(realm_id)
        self.tokens = tokens
        self.limiter = limiter
        self.session = session or pooled_session()
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
        # Per thread: a sender may carry several requests at once, each in its own thread.
        self._local = threading.local()

    @property
    def last_intuit_tid(self) -> str | None:
        """The intuit_tid of the last answer this thread received (for support requests)."""
        return getattr(self._local, "intuit_tid", None)

    @last_intuit_tid.setter
    def last_intuit_tid(self, value: str | None) -> None:
        self._local.intuit_tid = value

    @contextlib.contextmanager
    def on_first_slot(self, callback: Callable[[], None]) -> Iterator[None]:
        """Call `callback` once this thread's next call has its rate-limiter slot (or ends).

        A sender that starts calls in other threads waits for this before it asks the limiter
        about the next one, so every earlier call is counted in the answer.
        """
        self._local.on_slot = callback
        try:
            yield
        finally:
            self._local.on_slot = None
            callback()

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
        doc = self._call(Request("GET", f"{entity.lower()}/{url_quote(str(id), safe='')}"))
        return self._entity(doc, entity)

    def query(self, select_text: str) -> dict[str, Any]:
        """Run one query and return QBO's raw answer (one page)."""
        if len(select_text) <= _QUERY_GET_MAX:
            request = Request("GET", "query", params={"query": select_text})
        else:
            request = Request(
                "POST", "query", body=select_text.encode(), content_type="application/text"
            )
        return self._call(request)

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
            answer = ci_get(self.query(text), "QueryResponse") or {}
            rows = ci_get(answer, entity) or []
            yield from rows
            if len(rows) < page_size:
                return
            start += len(rows)

    def query_rows_many(self, entity: str, wheres: Sequence[str]) -> list[dict[str, Any]]:
        """Every row matching each where clause in turn, up to `concurrency` queries at once.

        For lookups cut into many IN (...) queries: a QBO that takes a while to answer each
        would otherwise hold the caller for the sum of their times.
        """
        if self.concurrency == 1 or len(wheres) < 2:
            return [row for where in wheres for row in self.query_rows(entity, where)]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(wheres)),
                                thread_name_prefix="qbo-query") as pool:
            pages = list(pool.map(lambda where: list(self.query_rows(entity, where)), wheres))
        return [row for rows in pages for row in rows]

    def count(self, entity: str, where: str | Sequence[str] | None = None) -> int:
        """SELECT COUNT(*) for entity."""
        answer = ci_get(self.query(count_query(entity, where)), "QueryResponse") or {}
        return int(answer.get("totalCount", 0))

    def cdc(
        self, entities: Iterable[str], changed_since: datetime | str
    ) -> dict[str, list[dict[str, Any]]]:
        """Change Data Capture: changed (and deleted) records per entity since a time."""
        names = list(entities)
        since = changed_since if isinstance(changed_since, str) else changed_since.isoformat()
        doc = self._call(
            Request("GET", "cdc", params={"entities": ",".join(names), "changedSince": since})
        )
        canonical = {n.lower(): n for n in names}
        out: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
        for part in ci_get(doc, "CDCResponse") or []:
            for answer in ci_get(part, "QueryResponse") or []:
                for key, rows in answer.items():
                    if isinstance(rows, list):
                        out.setdefault(canonical.get(key.lower(), key), []).extend(rows)
        return out

    def company_info(self) -> dict[str, Any]:
        """The connected company's CompanyInfo record."""
        doc = self._call(Request("GET", f"companyinfo/{url_quote(self.realm_id, safe='')}"))
        return self._entity(doc, "CompanyInfo")

    def preferences(self) -> dict[str, Any]:
        """The company's Preferences (currency, tax, numbering settings)."""
        return self._entity(self._call(Request("GET", "preferences")), "Preferences")

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
        request = Request(
            "POST",
            entity.lower(),
            params={"operation": operation} if operation else {},
            body=dumps_json(body).encode(),
            content_type="application/json",
            request_id=_check_request_id(request_id),
            write=True,
            entity=entity,
            name=record_name(body),
            resend_unknown=resend_unknown,
        )
        return self._entity(self._call(request), entity)

    # -------------------------------------------------------------- batch

    def batch_requests_free(self) -> int | None:
        """Batch requests QBO's 40-a-minute limit still allows now (None: no limiter)."""
        if self.limiter is None:
            return None
        return max(0, self.limiter.batch_limit - self.limiter.usage(self.realm_id)["batch"])

    def batch_budget_spent(self) -> bool:
        """True while QBO's 40-a-minute batch limit, and only it, keeps a batch request waiting.

        A sender then carries records in single requests from the rest of the minute's 500
        instead of waiting (qbo-api-notes.md, "Limits"). Without a limiter it is never spent.
        """
        if self.limiter is None:
            return False
        wait, reason = self.limiter.wait_estimate(self.realm_id, batch=True)
        return wait > 0 and reason == "batch"

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
        check_batch(ops, request_id_prefix)
        results: list[BatchResult] = []
        failure: QBOError | None = None
        for index, chunk in enumerate(batch_chunks(ops)):
            if failure is not None:
                results.extend(failed_item(op, fault=failure, sent=False) for op in chunk)
                continue
            request = Request(
                "POST",
                "batch",
                body=dumps_json({"BatchItemRequest": [batch_item(op) for op in chunk]}).encode(),
                content_type="application/json",
                request_id=batch_request_id(request_id_prefix, index),
                write=any(isinstance(op, BatchOp) for op in chunk),
                batch=True,
                resend_unknown=resend_unknown,
            )
            try:
                doc = self._call(request)
            except QBOError as exc:
                failure = exc
                results.extend(failed_item(op, fault=exc) for op in chunk)
                continue
            answers = {str(a.get("bId")): a for a in (ci_get(doc, "BatchItemResponse") or [])}
            results.extend(item_answer(op, answers.get(op.bid), self.last_intuit_tid)
                           for op in chunk)  # fmt: skip
        return results

    # -------------------------------------------------------------- the core

    def _call(self, request: Request) -> dict[str, Any]:
        """Send until QBO answers, the retry policy gives up, or a fault is final."""
        target = self._target(request)
        policy = RetryPolicy(
            max_retries=self.max_retries,
            backoff_base=self.backoff_base,
            backoff_cap=self.backoff_cap,
            throttle_wait=self.throttle_wait,
            rng=self._rng,
            write=request.write,
            resend_unknown=request.resend_unknown,
        )
        attempt = 0
        while True:
            attempt += 1
            token = self.tokens.access_token()
            doc, failure = self._attempt(request, target, token, attempt)
            if failure is None:
                return doc
            if isinstance(failure, NoAnswer):
                decision = policy.after_no_answer(failure.maybe_sent)
            else:
                decision = policy.after_fault(failure)
            if decision.action is Action.REFRESH:
                self.tokens.refresh(token)
            elif decision.action is Action.PAUSE:
                self._pause(decision.delay)
            elif decision.action is Action.RETRY:
                self._back_off(request, target, str(failure), policy.retries, decision.delay)
            else:
                raise self._give_up(request, policy, attempt, failure)

    def _attempt(
        self, request: Request, target: Target, token: str, attempt: int
    ) -> tuple[Any, QBOError | NoAnswer | None]:
        """One attempt in a limiter slot, logged: the document, or what went wrong."""
        with self._slot(request):
            outcome = send_attempt(
                self.session, request, target, token=token, timeout=self._timeout_for(request)
            )
        if isinstance(outcome, NoAnswer):
            self._emit(exchange_for(request, target, outcome, attempt=attempt, fault=None,
                                    realm_id=self.realm_id))  # fmt: skip
            return None, outcome
        self.last_intuit_tid = outcome.headers.get("intuit_tid") or self.last_intuit_tid
        doc, fault = classify(request, outcome)
        self._emit(exchange_for(request, target, outcome, attempt=attempt, fault=fault,
                                realm_id=self.realm_id))  # fmt: skip
        return doc, fault

    def _give_up(
        self, request: Request, policy: RetryPolicy, attempt: int, failure: QBOError | NoAnswer
    ) -> QBOError:
        """The error a call ends with once the policy says raise."""
        if isinstance(failure, NoAnswer):
            return TransportError(
                f"No answer from QuickBooks after {attempt} attempts: {failure}",
                outcome_unknown=policy.unknown,
                entity=request.entity,
                name=request.name,
            )
        if not policy.gives_up_unconfirmed(failure):
            return failure
        error = TransportError(
            f"QuickBooks did not confirm the write after {attempt} attempts: {failure}",
            status=failure.status,
            code=failure.code,
            intuit_tid=failure.intuit_tid,
            outcome_unknown=True,
            entity=request.entity,
            name=request.name,
        )
        error.__cause__, error.__suppress_context__ = failure, True
        return error

    def _target(self, request: Request) -> Target:
        """URL, query parameters and the redacted forms of URL and body for the log."""
        url = f"{self.base_url}/v3/company/{url_quote(self.realm_id, safe='')}/{request.path}"
        params = dict(request.params)
        if request.request_id is not None:
            params["requestid"] = request.request_id
        params["minorversion"] = str(self.minor_version)
        return Target(
            url,
            params,
            redact_url(f"{url}?{urlencode(params)}"),
            redact_body(request.body, request.content_type),
        )

    def _entity(self, doc: Mapping[str, Any], entity: str) -> dict[str, Any]:
        """The entity object inside {"Customer": {...}, "time": ...}."""
        found = ci_get(doc, entity)
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

    def _timeout_for(self, request: Request) -> float:
        """Seconds to wait for an answer: batches get at least the batch limit (QBO's 120 s)."""
        return max(self.timeout, self.batch_timeout) if request.batch else self.timeout

    @contextlib.contextmanager
    def _slot(self, request: Request) -> Iterator[None]:
        """A rate-limiter slot for one attempt (or nothing without a limiter)."""
        if self.limiter is None:
            self._slot_taken()
            yield
            return
        with self.limiter.acquire(
            self.realm_id,
            batch=request.batch,
            lease_seconds=self._timeout_for(request) + 10.0,
            on_pause=self._paused,
        ):
            self._slot_taken()
            yield

    def _slot_taken(self) -> None:
        """Tell this thread's on_first_slot caller, once."""
        callback = getattr(self._local, "on_slot", None)
        if callback is not None:
            self._local.on_slot = None
            callback()

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

    def _back_off(self, request: Request, target: Target, why: str, retry: int,
                  delay: float) -> None:
        """Wait before retry number `retry`, saying why in the log."""
        log.warning(
            "QBO %s %s: %s; retry %d in %.2fs", request.method, target.log_url, why, retry, delay
        )
        self._sleep(delay)
