"""Sending a layer to QuickBooks: the outbox written first, then batches of 30 and singles.

Part of the push engine. Before a write its requestid is committed to the link row (and a
transaction's marker to its body), so a write whose answer is lost can be found again.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from app.models import LinkOrigin, LinkState, QboLink
from app.qbo.client import BATCH_MAX_ITEMS, BatchOp, BatchResult, batch_chunks, dumps_json
from app.qbo.faults import QBOError
from app.sync.docnumbers import marker
from app.sync.entities import Key
from app.sync.parts import EngineParts

if TYPE_CHECKING:
    from app.sync.plan import Node


def new_request_id(key: Key) -> str:
    """A fresh requestid for one write of a record."""
    return f"lh-{key[0][:8]}-{key[1]}-{uuid.uuid4().hex[:16]}"


def as_json(value: Any) -> str:
    """A request or answer as stored in the sync log (clipped)."""
    return dumps_json(value)[:64_000]


class SendingMixin(EngineParts):
    """Part of PushEngine: the outbox and the requests that carry a layer to QBO."""

    def _write_outbox(self, nodes: list[Node]) -> None:
        """Commit each write's requestid (and for transactions its marker) before sending."""
        for node in nodes:
            link = node.link
            if link is None:
                link = QboLink(realm_id=self.realm_id, entity_type=node.key[0],
                               local_id=node.key[1], origin=LinkOrigin.PUSHED)
                self.session.add(link)
                node.link = link
            self.refs.remember(node.key, link)
            if node.operation == "create":
                link.state = LinkState.PENDING
                if node.etype.qbo_entity_for is not None:
                    link.qbo_entity = node.qbo_entity
                link.pending_request_id = link.pending_request_id or new_request_id(node.key)
                if node.etype.marker_field:
                    field_name = node.etype.marker_field
                    text = node.payload.get(field_name) or ""
                    node.payload[field_name] = f"{text}\n{marker(link.pending_request_id)}".strip()
            else:
                link.pending_request_id = new_request_id(node.key)
                node.body = {**node.payload, "Id": link.qbo_id, "SyncToken": link.sync_token,
                             "sparse": True}
        self.session.commit()

    def _send(self, nodes: list[Node]) -> None:
        """Carry a layer to QBO, up to the client's `concurrency` requests at a time.

        Batches of 30 go while QBO's batch limit allows; while it does not, records go in
        single requests from the rest of the minute's budget. A lone record goes singly: a batch
        of one would spend a batch slot on it. Only this thread touches the database; the
        others carry HTTP requests and hand back answers.
        """
        pending = list(nodes)
        in_flight: dict[Future[list[BatchResult | None]], Sequence[Node]] = {}
        batches = 0  # batch requests in flight
        # The newest request's rate-limit slot. The next request is chosen once it is held, so
        # the limiter's counts are true for the choice; answers are recorded meanwhile.
        slot: Future[None] | None = None
        with ThreadPoolExecutor(max_workers=self.qbo.concurrency,
                                thread_name_prefix="qbo-send") as pool:
            try:
                while pending or in_flight:
                    if (slot is None or slot.done()) and pending \
                            and len(in_flight) < self.qbo.concurrency:
                        self._check_lock()
                        chunk = self._next_request(pending, batches)
                        if chunk is not None:
                            del pending[:len(chunk)]
                            batches += len(chunk) > 1
                            future, slot = self._start(pool, chunk)
                            in_flight[future] = chunk
                            continue
                    waiting: set[Future[Any]] = set(in_flight)
                    if slot is not None and not slot.done():
                        waiting.add(slot)
                    done, _ = wait(waiting, return_when=FIRST_COMPLETED)
                    for future in done & in_flight.keys():
                        chunk = in_flight.pop(future)
                        batches -= len(chunk) > 1
                        self._record(chunk, future.result())
            finally:
                # Answers not yet recorded stay pending: their links hold the requestids, and
                # the next run finds what QBO created before it sends anything again.
                for future in in_flight:
                    future.cancel()

    def _next_request(self, pending: Sequence[Node], batches: int) -> Sequence[Node] | None:
        """The records the next request carries: a batch, one record, or None (wait).

        At most half the threads carry batches, so a minute whose batch slots free all at once
        cannot take every thread from the single requests.
        """
        if not self.batching or len(pending) == 1 or self.qbo.batch_budget_spent():
            return pending[:1]
        if batches < max(1, self.qbo.concurrency // 2):
            return next(batch_chunks(pending))
        # The other threads carry single records when the layer holds more than the batches
        # QBO still allows this minute can carry; else they wait for a batch to finish.
        free = self.qbo.batch_requests_free()
        if free is not None and len(pending) > free * BATCH_MAX_ITEMS:
            return pending[:1]
        return None

    def _start(self, pool: ThreadPoolExecutor, chunk: Sequence[Node]
               ) -> tuple[Future[list[BatchResult | None]], Future[None]]:
        """Start carrying a request in a thread: its answers, and when it holds its slot."""
        # Read here: the link rows belong to this thread's session.
        requests = [(n.operation, n.qbo_entity, n.payload, n.request_id) for n in chunk]
        slot: Future[None] = Future()

        def held() -> None:
            if not slot.done():
                slot.set_result(None)

        return pool.submit(self._carry, requests, held), slot

    def _carry(self, requests: list[tuple[str, str, dict[str, Any], str]],
               granted: Callable[[], None]) -> list[BatchResult | None]:
        """One request to QBO (in a sender thread): the answer for each record it carries."""
        with self.qbo.on_first_slot(granted):
            if len(requests) > 1:
                ops = [BatchOp(bid=str(i), operation=operation, entity=entity, body=body)
                       for i, (operation, entity, body, _) in enumerate(requests)]
                ids = ",".join(request_id for *_, request_id in requests)
                prefix = "lhb-" + hashlib.sha256(ids.encode()).hexdigest()[:24]
                # A create whose answer is lost is looked for before it is sent again (_settle).
                results = self.qbo.batch(ops, request_id_prefix=prefix, resend_unknown=False)
                by_bid = {r.bid: r for r in results}
                return [by_bid.get(str(i)) for i in range(len(ops))]
            operation, entity, body, request_id = requests[0]
            try:
                if operation == "create":
                    data = self.qbo.create(entity, body, request_id=request_id,
                                           resend_unknown=False)
                else:
                    data = self.qbo.update(entity, body, request_id=request_id)
            except QBOError as exc:
                return [BatchResult(bid="0", operation=operation, entity=entity, fault=exc,
                                    intuit_tid=exc.intuit_tid)]
            return [BatchResult(bid="0", operation=operation, entity=entity, data=data,
                                intuit_tid=self.qbo.last_intuit_tid)]

    def _record(self, chunk: Sequence[Node], results: list[BatchResult | None]) -> None:
        """Apply one request's answers to the links and the log, and commit."""
        with self.ctx.progress.held():
            for node, result in zip(chunk, results, strict=True):
                self._apply(node, result)
            self.session.commit()

    def _update_now(self, node: Node) -> None:
        """Send a linked record as a sparse update at once (outside the layer's batches)."""
        link = node.written
        node.operation = "update"
        node.body = {**node.payload, "Id": link.qbo_id, "SyncToken": link.sync_token,
                     "sparse": True}
        link.pending_request_id = new_request_id(node.key)
        self.session.commit()
        try:
            data = self.qbo.update(node.qbo_entity, node.body,
                                      request_id=link.pending_request_id)
        except QBOError as exc:
            self._fail_link(node, exc, as_json(node.body), self.qbo.last_intuit_tid)
            return
        self._apply(node, BatchResult(bid="0", operation="update",
                                      entity=node.qbo_entity, data=data))
