"""Applying QuickBooks' answers: links stored, faults explained, totals compared.

Part of the push engine. A definite answer settles the link; a lost one leaves the record to
be looked for before it is sent again (``recovery``); a refusal fails it with QBO's reason.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from app.models import EventOutcome, Fix, LinkState
from app.models.base import utcnow
from app.money import round_cents, to_decimal
from app.qbo.client import BatchResult
from app.qbo.faults import DuplicateNameError, QBOError, StaleObjectError
from app.sync.entities import fingerprint
from app.sync.parties import clash_message, find_clash, link_existing_fix
from app.sync.parts import EngineParts
from app.sync.recovery import UNSURE_TRIES
from app.sync.registry import PARTIES
from app.sync.sales_tax import AUTOMATED_DRIFT
from app.sync.sending import as_json
from app.sync.tax import compare

if TYPE_CHECKING:
    from app.sync.plan import Node

log = logging.getLogger(__name__)


class ResultsMixin(EngineParts):
    """Part of PushEngine: what each answer from QBO does to the link and the log."""

    def _apply(self, node: Node, result: BatchResult | None) -> None:
        """Record QBO's answer on the link (the caller commits) and in the log."""
        link = node.written
        tid = result.intuit_tid if result is not None else None
        if tid is None and result is not None and result.fault is not None:
            tid = result.fault.intuit_tid
        request = as_json(node.body)
        if result is not None and result.ok:
            data = result.data or {}
            request_id = link.pending_request_id
            link.qbo_id = str(data["Id"])
            link.sync_token = str(data.get("SyncToken", "0"))
            link.state = LinkState.SYNCED
            link.pushed_hash = node.fingerprint
            link.pending_request_id = None
            link.last_error = None
            link.synced_at = utcnow()
            outcome = EventOutcome.CREATED if node.operation == "create" else EventOutcome.UPDATED
            verb = "Created" if outcome == EventOutcome.CREATED else "Updated"
            self._finish(node, outcome, action=node.operation, qbo_id=link.qbo_id,
                         request_id=request_id, request_body=request,
                         response_body=as_json(data), intuit_tid=tid,
                         message=f"{verb} {node.qbo_entity} #{link.qbo_id}.")
            self._after_copy(node, data)
            return
        fault = result.fault if result is not None else None
        if result is None or fault is None or not result.sent or fault.outcome_unknown:
            if node.tries < UNSURE_TRIES:
                node.unsure = True  # looked for, then sent again, by _settle
                return
            # QBO may or may not have the record: keep the requestid, look first next time.
            link.last_error = "QuickBooks did not answer; checked and completed on retry."
            self._finish(node, EventOutcome.FAILED, action=node.operation,
                         request_id=link.pending_request_id, request_body=request,
                         fault_code=fault.code if fault else "unknown", intuit_tid=tid,
                         message="QuickBooks did not answer in time. Retry: Ledgerhub first "
                                 "checks whether it arrived, so it is never copied twice.")
            return
        if isinstance(fault, StaleObjectError) and node.operation == "update":
            self._reapply(node)
            return
        if fault.code == "6140" and node.etype.name == "invoice":
            self._number_taken(node, fault, request, tid)
            return
        self._fail_link(node, fault, request, tid)

    def _reapply(self, node: Node) -> None:
        """5010: someone changed it in QBO; re-read its SyncToken and apply once more."""
        try:
            current = self.qbo.read(node.qbo_entity, node.written.qbo_id or "")
        except QBOError as exc:
            self._fail_link(node, exc, as_json(node.body), self.qbo.last_intuit_tid)
            return
        node.written.sync_token = str(current.get("SyncToken", "0"))
        self._update_now(node)


    def _fail_link(self, node: Node, fault: QBOError, request: str, tid: str | None, *,
                   message: str | None = None, fix: Fix | None = None) -> None:
        link = node.written
        # A definite refusal: nothing was created, so the next attempt needs a new requestid
        # (QBO would replay this refusal for the old one).
        request_id = link.pending_request_id
        link.pending_request_id = None
        if link.qbo_id is None:
            link.state = LinkState.FAILED
        message = message or fault.plain_message()
        link.last_error = message[:2000]
        if isinstance(fault, DuplicateNameError):
            message, fix = self._explain_clash(node, message)
        answer = {"code": fault.code, "message": fault.message, "detail": fault.detail,
                  "element": fault.element}
        self._finish(node, EventOutcome.FAILED, action=node.operation, fault_code=fault.code,
                     request_id=request_id, request_body=request,
                     intuit_tid=tid or fault.intuit_tid, response_body=as_json(answer),
                     message=message, fix=fix)

    def _explain_clash(self, node: Node, message: str) -> tuple[str, Fix | None]:
        """6240: find the record holding the name live and name it (the cache may predate it)."""
        name = (node.body or {}).get("DisplayName")
        clash = None
        if node.key[0] in PARTIES and name and self.client is not None:
            try:
                clash = find_clash(self.client, self.session, self.realm_id, str(name))
            except QBOError:
                log.warning("6240 of %s %s: the clashing record could not be read", *node.key)
        if clash is None:
            return (message + " It may be the same record someone created in QuickBooks by "
                    "hand: link the two instead of creating another.", None)
        qbo_entity, row = clash
        same_kind = qbo_entity == PARTIES[node.key[0]].qbo_entity
        return (clash_message(node.key[0], qbo_entity, row),
                link_existing_fix(*node.key) if same_kind else Fix.edit(*node.key))

    def _after_copy(self, node: Node, data: dict[str, Any]) -> None:
        """Compare QBO's computed totals with Ledgerhub's (a cent or more is flagged)."""
        if node.etype.name != "invoice":
            return
        invoice = node.record
        if self.refs.us_tax:
            local = self.refs.invoice_totals(invoice)
        else:
            # The invoice says from now on which treatment QuickBooks applied, and is compared
            # with what Ledgerhub showed for it (its own tax code's rate): a mapping to a QBO
            # code of another rate, or a rounding QBO does differently, shows up here.
            if invoice.tax_calculation is None:
                invoice.tax_calculation = self.refs.tax_calculation(invoice)
                node.written.pushed_hash = fingerprint("invoice", invoice)
            local = invoice.estimated_totals
        if self.refs.option("tax_mode", "qbo") == "qbo":
            # Write QBO's computed figures back: the local record then shows what QBO bills.
            invoice.qbo_tax = round_cents(to_decimal(
                (data.get("TxnTaxDetail") or {}).get("TotalTax") or 0))
            invoice.qbo_total = round_cents(to_decimal(data.get("TotalAmt") or 0))
        home_total = data.get("HomeTotalAmt")
        home = (self.connection.home_currency or "USD").upper()
        foreign = (invoice.currency or home).upper() != home
        invoice.qbo_home_total = (round_cents(to_decimal(home_total))
                                  if home_total is not None and foreign else None)
        drift = compare(local, data)
        if drift is not None:
            message = drift.message
            # QBO computing the tax from the address was asked for: its figures were written
            # back, so a difference is information, not a warning about the run.
            expected = self.refs.automated_tax and self.refs.option("tax_mode", "qbo") == "qbo"
            if expected:
                message += f" {AUTOMATED_DRIFT}"
            node.written.last_error = message
            self.ctx.progress.record(EventOutcome.INFO, entity_type="invoice",
                                     local_id=node.key[1], label=node.label, action="compare",
                                     qbo_id=node.written.qbo_id, fault_code="drift",
                                     message=message, realm_id=self.realm_id,
                                     counts=False, warning=not expected)
