"""QBO's batch endpoint: items, their ids, the 30-item chunks, and reading the answers."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from app.qbo.faults import QBOError, fault_from_batch_item
from app.qbo.jsonio import ci_get

__all__ = [
    "BATCH_MAX_ITEMS",
    "BATCH_REQUEST_ID_MAX",
    "BID_MAX",
    "BatchOp",
    "BatchQuery",
    "BatchResult",
    "batch_chunks",
    "batch_request_id",
    "record_name",
]

# qbo-api-notes "Limits": at most 30 operations per batch request (31 fails).
BATCH_MAX_ITEMS = 30
BATCH_REQUEST_ID_MAX = 36
BID_MAX = 10
_WRITE_OPERATIONS = frozenset({"create", "update", "delete", "void"})

T = TypeVar("T")


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
    # The answer's intuit_tid (for a support request), when QBO answered.
    intuit_tid: str | None = None

    @property
    def ok(self) -> bool:
        """True when QBO carried out the item."""
        return self.fault is None and self.data is not None


def batch_chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    """Items in the order given, at most BATCH_MAX_ITEMS (30) a chunk: one batch request each.

    The only place batches are cut: the client and the push both split through here.
    """
    for start in range(0, len(items), BATCH_MAX_ITEMS):
        yield items[start : start + BATCH_MAX_ITEMS]


def batch_request_id(prefix: str, index: int) -> str:
    """Deterministic requestid (<= 36 chars) for the index-th sub-request of a batch."""
    suffix = f"-{index}"
    room = BATCH_REQUEST_ID_MAX - len(suffix)
    if len(prefix) > room:
        # Hash instead of truncating, so two long prefixes that share a start stay distinct.
        prefix = hashlib.sha256(prefix.encode()).hexdigest()[:room]
    return prefix + suffix


def check_batch(ops: Iterable[BatchOp | BatchQuery], request_id_prefix: str) -> None:
    """Refuse what QBO would refuse or misread: repeated or long bIds, unknown operations."""
    seen: set[str] = set()
    for op in ops:
        if not op.bid or len(op.bid) > BID_MAX or op.bid in seen:
            raise ValueError(f"batch ids must be unique and 1..{BID_MAX} chars: {op.bid!r}")
        seen.add(op.bid)
        if isinstance(op, BatchOp) and op.operation not in _WRITE_OPERATIONS:
            raise ValueError(f"unknown batch operation {op.operation!r}")
    if not request_id_prefix:
        raise ValueError("request_id_prefix is required")


def batch_item(op: BatchOp | BatchQuery) -> dict[str, Any]:
    """The BatchItemRequest entry for one item."""
    if isinstance(op, BatchQuery):
        return {"bId": op.bid, "Query": op.query}
    return {"bId": op.bid, "operation": op.operation, op.entity: dict(op.body)}


def record_name(body: Mapping[str, Any] | None) -> str | None:
    """The human name of a record being written, for plain-language fault messages."""
    if not body:
        return None
    for key in ("DisplayName", "Name", "FullyQualifiedName", "DocNumber"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def failed_item(op: BatchOp | BatchQuery, *, fault: QBOError, sent: bool = True) -> BatchResult:
    """A result carrying a whole-request failure."""
    if isinstance(op, BatchOp):
        return BatchResult(op.bid, op.operation, op.entity, fault=fault, sent=sent)
    return BatchResult(op.bid, "query", None, fault=fault, sent=sent)


def item_answer(
    op: BatchOp | BatchQuery, answer: Mapping[str, Any] | None, intuit_tid: str | None
) -> BatchResult:
    """Turn one BatchItemResponse entry into a BatchResult."""
    operation = op.operation if isinstance(op, BatchOp) else "query"
    entity = op.entity if isinstance(op, BatchOp) else None
    if answer is None:
        fault = QBOError(
            "QuickBooks returned no answer for this batch item",
            outcome_unknown=isinstance(op, BatchOp),
            retryable=True,
        )
        return BatchResult(op.bid, operation, entity, fault=fault)
    if ci_get(answer, "Fault") is not None:
        fault = fault_from_batch_item(answer)
        fault.intuit_tid = intuit_tid
        if isinstance(op, BatchOp):
            fault.entity, fault.name = op.entity, record_name(op.body)
        return BatchResult(op.bid, operation, entity, fault=fault, intuit_tid=intuit_tid)
    if isinstance(op, BatchQuery):
        return BatchResult(op.bid, operation, None, data=ci_get(answer, "QueryResponse"),
                           intuit_tid=intuit_tid)
    data = ci_get(answer, op.entity)
    if data is None:
        data = next((v for k, v in answer.items() if isinstance(v, dict) and k != "bId"), None)
    return BatchResult(op.bid, operation, entity, data=data, intuit_tid=intuit_tid)
