"""The push engine's exactly-once helpers: find what an earlier write created, before writing.

QBO's requestid normally answers a repeated write with the stored response, but it has been
seen to execute the write again, so a write whose outcome is unknown is never simply resent:
its own marker (transactions) or its name (lists) is looked for first, and what is found is
linked. Invoice numbers get the same care before any write (see ``docnumbers``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from app.models import EventOutcome, LinkOrigin, LinkState, QboLink
from app.models.base import utcnow
from app.qbo.client import BatchResult, QBOClient
from app.qbo.faults import QBOError
from app.qbo.query import and_, where_eq, where_in
from app.sync import docnumbers
from app.sync.entities import Key, NotSendable
from app.sync.parts import EngineParts
from app.sync.preflight import display_key

if TYPE_CHECKING:
    from app.sync.plan import Node

# How often a write whose answer was lost is looked for and sent again within one run.
UNSURE_TRIES = 3
_NAME_CHUNK = 100


def find_existing(client: QBOClient, nodes: list[Node]) -> dict[Key, dict[str, Any]]:
    """What earlier writes of these nodes created in QBO: lists by name, transactions by marker.

    One query per list entity (names chunked) and per transaction entity and date.
    """
    groups: dict[tuple[str, str | None, str | None], list[Node]] = defaultdict(list)
    for node in nodes:
        etype = node.etype
        if etype.name_field:
            groups[(node.qbo_entity, etype.name_field, None)].append(node)
        elif etype.txn_date is not None:
            day = etype.txn_date(node.record).isoformat()
            groups[(node.qbo_entity, None, day)].append(node)
        else:  # a write that cannot be looked for must never be sent twice
            raise ValueError(f"{etype.name} has neither a unique name nor a date to be found by")
    found: dict[Key, dict[str, Any]] = {}
    for (entity, name_field, day), group in groups.items():
        if name_field:
            found.update(_by_name(client, entity, name_field, group))
            continue
        if day is None:
            continue
        wanted = {docnumbers.marker(n.request_id): n for n in group
                  if n.link is not None and n.link.pending_request_id}
        for row in client.query_rows(entity, where_eq("TxnDate", day)):
            note = str(row.get(group[0].etype.marker_field or "") or "")
            for text, node in wanted.items():
                if text in note and node.key not in found:
                    found[node.key] = row
    return found


def _by_name(client: QBOClient, entity: str, name_field: str,
             group: list[Node]) -> dict[Key, dict[str, Any]]:
    names = {display_key(n.body.get(name_field)): n for n in group
             if n.body and n.body.get(name_field)}
    raw = sorted({str(n.payload[name_field]) for n in names.values()})
    found: dict[Key, dict[str, Any]] = {}
    for start in range(0, len(raw), _NAME_CHUNK):
        where = and_(where_in(name_field, raw[start:start + _NAME_CHUNK]),
                     "Active IN (true, false)")
        for row in client.query_rows(entity, where):
            node = names.get(display_key(row.get(name_field)))
            if node is not None and node.key not in found:
                found[node.key] = row
    return found


class RecoveryMixin(EngineParts):
    """Part of PushEngine: recovery after lost answers and invoice-number conflicts."""

    # ------------------------------------------------------------------ earlier runs

    def _recover(self, nodes: list[Node]) -> None:
        """Look for the records an earlier attempt may have created before writing again."""
        if not nodes:
            return
        assert self.client is not None
        found = find_existing(self.client, nodes)
        for node in nodes:
            row = found.get(node.key)
            if row is not None:
                # What was created may predate an edit: bring it up to date in the same run.
                self._link_found(node, row)

    def _link_found(self, node: Node, row: dict[str, Any]) -> None:
        """Link a record to what QBO already has; the caller then sends it as an update."""
        link = node.link
        if link is None:
            link = node.link = QboLink(realm_id=self.realm_id, entity_type=node.key[0],
                                       local_id=node.key[1], origin=LinkOrigin.PUSHED)
            self.session.add(link)
            self.refs.remember(node.key, link)
        link.qbo_id, link.sync_token = str(row["Id"]), str(row.get("SyncToken", "0"))
        link.state = LinkState.SYNCED
        link.pending_request_id = None
        link.last_error = None
        link.synced_at = utcnow()
        self.session.commit()
        node.operation = "update"

    # ------------------------------------------------------------------ this run

    def _settle(self, nodes: list[Node]) -> None:
        """Writes whose answer was lost: link what arrived, send the rest again."""
        while True:
            unsure = [n for n in nodes if n.unsure]
            if not unsure:
                return
            for node in unsure:
                node.unsure = False
                node.tries += 1
            creates = [n for n in unsure if n.operation == "create"]
            try:
                found = find_existing(self.qbo, creates) if creates else {}
            except QBOError:
                found = None
            resend = []
            # Progress is written after the commit (see RunProgress.held).
            with self.ctx.progress.held():
                for node in unsure:
                    row = found.get(node.key) if found is not None else None
                    if found is None:
                        node.tries = UNSURE_TRIES  # cannot check now: the next run checks first
                        self._apply(node, None)
                    elif row is None:
                        resend.append(node)
                    else:
                        self._apply(node, BatchResult(bid="0", operation="create",
                                                      entity=node.qbo_entity, data=row))
                self.session.commit()
            self._send(resend)

    # ------------------------------------------------------------------ invoice numbers

    def _customer_id(self, node: Node) -> str | None:
        try:
            return self.refs.ref("client", node.record.client_id)["value"]
        except NotSendable:
            return None

    def _number_conflicts(self, nodes: list[Node], dry_run: bool) -> list[Node]:
        """Look the run's invoice numbers up in QBO (one query) before writing any of them."""
        invoices = [n for n in nodes if n.etype.name == "invoice"]
        if not invoices or self.client is None:
            return nodes
        try:
            taken = docnumbers.lookup(self.client, (n.record.number for n in invoices))
        except QBOError as exc:
            # QBO still refuses a taken number with 6140, which is handled when it comes.
            self.ctx.progress.record(EventOutcome.INFO, action="check", realm_id=self.realm_id,
                                     message="Invoice numbers could not be checked in "
                                     f"QuickBooks before sending: {exc.plain_message()}",
                                     counts=False)
            return nodes
        with self.ctx.progress.held():
            for node in invoices:
                link = node.link
                mine = link.qbo_id if link is not None else None
                rows = [r for r in taken.get(node.record.number, [])
                        if str(r.get("Id")) != mine]
                if rows:
                    self._number_held(node, rows, dry_run)
        return [n for n in nodes if n.outcome is None]

    def _number_held(self, node: Node, rows: list[dict[str, Any]], dry_run: bool) -> None:
        link = node.link
        request_id = link.pending_request_id if link is not None else None
        customer = self._customer_id(node)
        ours = None
        if link is None or link.qbo_id is None:
            ours = next((r for r in rows if docnumbers.is_ours(
                r, node.key[0], node.key[1], request_id, customer)), None)
        if ours is None:
            row = rows[0]
            note = str(row.get("PrivateNote") or "")
            if link is not None and link.qbo_id and \
                    docnumbers.record_marker(*node.key) in note:
                message, fix = docnumbers.extra_copy_message(row, link.qbo_id), None
            else:
                message = docnumbers.taken_message(node.record.number, row)
                fix = docnumbers.renumber_fix(node.key[1])
            self._finish(node, EventOutcome.FAILED, action="plan", fault_code="6140",
                         message=message, fix=fix)
        elif dry_run:
            self._finish(node, EventOutcome.PLANNED, action="link", qbo_id=str(ours["Id"]),
                         message=f"Would link QuickBooks invoice #{ours['Id']} (an earlier "
                         "copy of this invoice) and update it.")
        else:
            self._note_linked(node, ours)
            self._link_found(node, ours)

    def _note_linked(self, node: Node, row: dict[str, Any]) -> None:
        self.ctx.progress.record(EventOutcome.INFO, entity_type=node.key[0],
                                 local_id=node.key[1], label=node.label, action="link",
                                 qbo_id=str(row["Id"]), realm_id=self.realm_id, counts=False,
                                 message=f"Already in QuickBooks as {docnumbers.describe(row)}"
                                 ", an earlier copy by Ledgerhub: linked, not created again.")

    def _number_taken(self, node: Node, fault: QBOError, request: str,
                      tid: str | None) -> None:
        """6140 on an invoice: link our own earlier copy, or fail naming the other invoice."""
        assert self.client is not None
        qbo_id = docnumbers.conflicting_id(fault)
        row = docnumbers.read_invoice(self.client, qbo_id)
        link = node.written
        if row is not None and node.operation == "create" and docnumbers.is_ours(
                row, node.key[0], node.key[1], link.pending_request_id, self._customer_id(node)):
            self._note_linked(node, row)
            self._link_found(node, row)
            self._update_now(node)
            return
        self._fail_link(node, fault, request, tid,
                        message=docnumbers.taken_message(node.record.number, row, qbo_id),
                        fix=docnumbers.renumber_fix(node.key[1]))
