"""Sending a layer to QuickBooks: the outbox written first, then batches of 30 and singles.

Part of the push engine. Before a write its requestid is committed to the link row (and a
transaction's marker to its body), so a write whose answer is lost can be found again.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from app.models import LinkOrigin, LinkState, QboLink
from app.qbo.client import BatchOp, BatchResult, batch_chunks, dumps_json
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
        """Carry a layer to QBO: batches of 30 while the batch limit allows, single requests
        from the rest of the minute's budget while it does not, and a lone record singly."""
        if not self.batching:
            for node in nodes:
                self._check_lock()
                self._send_single(node)
            return
        start = 0
        while start < len(nodes):
            self._check_lock()
            rest = nodes[start:]
            if len(rest) > 1 and not self.qbo.batch_budget_spent():
                chunk = next(batch_chunks(rest))
                self._send_batch(chunk)
                start += len(chunk)
            else:
                self._send_single(rest[0])
                start += 1

    def _send_batch(self, chunk: Sequence[Node]) -> None:
        ops = [BatchOp(bid=str(i), operation=n.operation, entity=n.qbo_entity,
                       body=n.payload) for i, n in enumerate(chunk)]
        ids = ",".join(n.request_id for n in chunk)
        prefix = "lhb-" + hashlib.sha256(ids.encode()).hexdigest()[:24]
        # A create whose answer is lost is looked for before it is sent again (_settle).
        results = self.qbo.batch(ops, request_id_prefix=prefix, resend_unknown=False)
        by_bid = {r.bid: r for r in results}
        with self.ctx.progress.held():
            for i, node in enumerate(chunk):
                self._apply(node, by_bid.get(str(i)))
            self.session.commit()

    def _send_single(self, node: Node) -> None:
        entity = node.qbo_entity
        request_id = node.request_id
        try:
            if node.operation == "create":
                data = self.qbo.create(entity, node.payload, request_id=request_id,
                                          resend_unknown=False)
            else:
                data = self.qbo.update(entity, node.payload, request_id=request_id)
            result = BatchResult(bid="0", operation=node.operation, entity=entity, data=data)
        except QBOError as exc:
            result = BatchResult(bid="0", operation=node.operation, entity=entity, fault=exc,
                                 sent=True)
        with self.ctx.progress.held():
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
