"""Add QBO: copy records and their dependencies to QuickBooks exactly once, in batches.

For every run: plan the dependency closure of the scope, then go layer by layer (lists, then
parties, then transactions). Before a write the intended requestid is committed to the link row
(the outbox) and transactions carry a marker built from it; a record whose earlier write had an
unknown outcome is first looked for in QBO, so nothing is ever created twice. One push per
company runs at a time (a Redis lock), so overlapping runs cannot copy a record twice either.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import (
    EventOutcome,
    Fix,
    FixCode,
    Invoice,
    LinkOrigin,
    LinkState,
    QboConnection,
    QboLink,
    QboPreference,
)
from app.models.base import utcnow
from app.money import round_cents, to_decimal
from app.qbo.client import BatchOp, BatchResult, QBOClient, batch_chunks, dumps_json
from app.qbo.faults import DuplicateNameError, QBOError, StaleObjectError
from app.sync.context import RunContext
from app.sync.currency import currency_fields, rate_for
from app.sync.docnumbers import marker
from app.sync.entities import Key, NotSendable, fingerprint
from app.sync.lookups import memoized_lookups
from app.sync.parties import (
    clash_message,
    find_clash,
    link_existing_fix,
    live_matches,
    match_message,
)
from app.sync.payloads.transactions import owed_choice
from app.sync.recovery import UNSURE_TRIES, RecoveryMixin
from app.sync.registry import PARTIES
from app.sync.registry import PUSHABLE as ENTITY_TYPES
from app.sync.registry import RecordType as EntityType
from app.sync.sales_tax import AUTOMATED_DRIFT, refresh_preferences
from app.sync.selection import Selection
from app.sync.tax import EXCLUDED, Totals, compare, invoice_totals, qbo_rates, tax_fields
from app.sync.upfront import check_plan

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- references


class RunRefs:
    """Resolves references to QBO ids from the run's links, mappings and preferences."""

    def __init__(self, session: Session, realm_id: str, connection: QboConnection,
                 links: dict[Key, QboLink]) -> None:
        self.session = session
        self.realm_id = realm_id
        self.connection = connection
        self.links = links
        self.planned: set[Key] = set()  # dry run: created earlier in this preview
        self._prefs = {p.key: p.value for p in session.scalars(
            select(QboPreference).where(QboPreference.realm_id == realm_id))}

    @property
    def us_tax(self) -> bool:
        """US companies use TAX/NON on lines."""
        return (self.connection.country or "US").upper() in ("US", "USA")

    @property
    def automated_tax(self) -> bool:
        """A US company on automated sales tax: QBO picks the rate from the address."""
        return self.us_tax and bool(self.connection.automated_sales_tax)

    def _link(self, entity_type: str, local_id: int) -> QboLink | None:
        key = (entity_type, local_id)
        if key not in self.links:
            self.links[key] = self.session.scalars(select(QboLink).where(
                QboLink.realm_id == self.realm_id, QboLink.entity_type == entity_type,
                QboLink.local_id == local_id)).first()
        return self.links[key]

    def ref(self, entity_type: str, local_id: int) -> dict[str, str]:
        """The QBO id of a dependency copied (or linked) earlier in this run or before."""
        if (entity_type, local_id) in self.planned:
            return {"value": "(new)"}
        link = self._link(entity_type, local_id)
        if link is None or link.qbo_id is None or link.state != LinkState.SYNCED:
            raise NotSendable(f"Its {entity_type.replace('_', ' ')} is not in QuickBooks yet.",
                              code="dependency")
        return {"value": link.qbo_id}

    def mapped(self, entity_type: str, local_id: int, what: str) -> dict[str, str]:
        """A list entry Ledgerhub cannot create in QBO: it must be mapped."""
        link = self._link(entity_type, local_id)
        if link is None or link.qbo_id is None:
            raise NotSendable(f"The {what} is not mapped to QuickBooks: map it in QuickBooks "
                              "Online Settings -> Mappings.", fix=Fix(FixCode.MAP_LIST),
                              code=f"mapping:{entity_type}")
        return {"value": link.qbo_id}

    def preference(self, key: str, what: str) -> dict[str, str]:
        """A default chosen in the QuickBooks settings."""
        value = self._prefs.get(key)
        if not value:
            raise NotSendable(f"Choose the {what} in QuickBooks Online Settings -> Defaults.",
                              fix=Fix(FixCode.SET_DEFAULTS), code=f"preference:{key}")
        return {"value": value}

    def option(self, key: str, default: str) -> str:
        """A per-company option, or its default."""
        return self._prefs.get(key) or default

    def owed_as(self, entity_type: str, local_id: int) -> str:
        """Bill or Purchase: as it was created in QBO, else the company's current choice."""
        link = self._link(entity_type, local_id)
        if link is not None and link.qbo_entity:
            return link.qbo_entity
        if link is not None and link.qbo_id:
            return "Purchase"  # copied before the choice existed
        return owed_choice(self._prefs)

    def currency(self, code: str | None, rate: Decimal | None = None,
                 on: date | None = None) -> dict[str, Any]:
        """CurrencyRef, and for a transaction the ExchangeRate (entered or from the rate table)."""
        home = (self.connection.home_currency or "USD").upper()
        code = (code or home).upper()
        multicurrency = bool(self.connection.multicurrency_enabled)
        if on is None:  # a customer or vendor: its currency only
            rate = Decimal(1)
        elif rate is None and code != home:
            rate = rate_for(self.session, code, on, home)
        try:
            fields = currency_fields(code, home, multicurrency, rate)
        except ValueError as exc:
            raise NotSendable(f"{exc} Add the rate under QuickBooks Online Settings -> "
                              "Exchange rates, or enter it on the record."
                              if multicurrency else str(exc),
                              fix=Fix(FixCode.ADD_EXCHANGE_RATE) if multicurrency else None,
                              code="currency") from None
        if on is None:
            fields.pop("ExchangeRate", None)
        return fields

    def invoice_tax(self, invoice: Invoice) -> dict[str, Any]:
        """Line tax codes and TxnTaxDetail / GlobalTaxCalculation for the company's model."""
        code = invoice.tax_code
        taxable = code is not None and code.taxable and any(x.taxable for x in invoice.lines)
        # Automated sales tax ignores a sent tax code, so none is sent (nor needs a mapping).
        needs_code = taxable and not self.automated_tax
        mapped = self.mapped("tax_code", code.id, "tax code")["value"] if needs_code else None
        mode = self.tax_calculation(invoice)
        override = self.option("tax_mode", "qbo") == "override"
        # An override sends Ledgerhub's own tax: the local tax code's rate, not QBO's.
        local = invoice_totals(invoice, us=self.us_tax, global_tax=mode) if override else None
        return tax_fields(invoice, us=self.us_tax, txn_tax_code=mapped, line_tax_code=mapped,
                          exempt_tax_code=self._prefs.get("exempt_tax_code"), global_tax=mode,
                          override=override, totals=local)

    def tax_calculation(self, invoice: Invoice) -> str:
        """The invoice's own GlobalTaxCalculation, else the company's default."""
        return invoice.tax_calculation or self.option("global_tax_calculation", EXCLUDED)

    def invoice_totals(self, invoice: Invoice) -> Totals:
        """The totals QBO will compute, with the mapped QBO tax rates when known."""
        # Under automated sales tax QBO's rate is not known beforehand: compare with the
        # local tax code's own rate.
        rates = None if self.automated_tax else qbo_rates(self.session, self.realm_id) or None
        return invoice_totals(invoice, us=self.us_tax,
                              global_tax=self.tax_calculation(invoice), rates=rates)


# --------------------------------------------------------------------------- plan


@dataclass
class Node:
    """One record of the run: what it is, what it depends on, what happens to it."""

    key: Key
    etype: EntityType
    record: Any
    link: QboLink | None
    deps: list[Key]
    fingerprint: str | None = None
    body: dict[str, Any] | None = None
    operation: str = ""  # create | update
    final: bool = False  # the pre-flight body needs no id of a record new in this run
    outcome: EventOutcome | None = None
    message: str | None = None
    unsure: bool = False  # the last write got no answer: look for it before sending again
    tries: int = 0
    qbo_entity: str = ""  # the QBO entity it is sent as (set when prepared)
    # Follows a record this run copies (billed time follows its invoice): decided only once
    # that record is in QuickBooks, since what it must say depends on it.
    follows: Key | None = None

    def __post_init__(self) -> None:
        self.qbo_entity = self.qbo_entity or self.etype.qbo_entity

    @property
    def label(self) -> str:
        """How the record is named in progress and feedback."""
        return self.etype.label(self.record)


@dataclass
class Plan:
    """The dependency closure of a scope, by layer."""

    nodes: dict[Key, Node] = field(default_factory=dict)
    missing: list[Key] = field(default_factory=list)

    def layers(self) -> Iterator[list[Node]]:
        """Nodes grouped by layer, lists first, transactions last."""
        for layer in sorted({n.etype.layer for n in self.nodes.values()}):
            yield [n for n in self.nodes.values() if n.etype.layer == layer]


def build_plan(session: Session, realm_id: str, roots: Iterable[Key]) -> Plan:
    """Load the scope's records and everything they depend on, with their links."""
    plan = Plan()
    stack = list(roots)
    options: dict[str, str | None] | None = None
    followers: list[tuple[Key, Key]] = []  # (follower, what it follows)
    while stack:
        key = stack.pop()
        if key in plan.nodes or key[0] not in ENTITY_TYPES:
            continue
        etype = ENTITY_TYPES[key[0]]
        record = session.get(etype.model, key[1])
        if record is None:
            plan.missing.append(key)
            continue
        if etype.option_deps is not None:
            if options is None:
                options = {p.key: p.value for p in session.scalars(
                    select(QboPreference).where(QboPreference.realm_id == realm_id))}
            deps = list(dict.fromkeys(etype.option_deps(record, options)))
        else:
            deps = list(dict.fromkeys(etype.deps(record)))
        refused = False
        if etype.ready is not None:
            try:
                etype.ready(record)
            except NotSendable:
                deps, refused = [], True  # nothing is copied on behalf of a refused record
        plan.nodes[key] = Node(key=key, etype=etype, record=record, link=None, deps=deps)
        stack.extend(deps)
        if etype.followers is not None and not refused:
            followers += [(f, key) for f in etype.followers(record)]
    _add_followers(session, realm_id, plan, followers)
    by_type: dict[str, list[int]] = {}
    for entity_type, local_id in plan.nodes:
        by_type.setdefault(entity_type, []).append(local_id)
    for entity_type, ids in by_type.items():
        for start in range(0, len(ids), 500):
            for link in session.scalars(select(QboLink).where(
                    QboLink.realm_id == realm_id, QboLink.entity_type == entity_type,
                    QboLink.local_id.in_(ids[start:start + 500]))):
                plan.nodes[(entity_type, link.local_id)].link = link
    return plan


def _add_followers(session: Session, realm_id: str, plan: Plan,
                   followers: list[tuple[Key, Key]]) -> None:
    """Records already in QBO that a copied record changes (its billed time) join the plan.

    Only ones QBO already holds: the copy updates them, after and only if what they follow
    was copied. Ones never copied are not created as a side effect.
    """
    for key, leader in followers:
        if key in plan.nodes:
            if leader not in plan.nodes[key].deps:
                plan.nodes[key].deps.append(leader)
            plan.nodes[key].follows = leader
            continue
        link = session.scalars(select(QboLink).where(
            QboLink.realm_id == realm_id, QboLink.entity_type == key[0],
            QboLink.local_id == key[1])).first()
        if link is None or link.qbo_id is None or link.state != LinkState.SYNCED:
            continue
        etype = ENTITY_TYPES[key[0]]
        record = session.get(etype.model, key[1])
        if record is not None:
            plan.nodes[key] = Node(key=key, etype=etype, record=record, link=link,
                                   deps=[leader], follows=leader)


def scope_roots(scope: dict[str, Any]) -> list[Key]:
    """The records a run was asked to copy: ``{"records": [[entity_type, id], ...]}``."""
    return [(str(t), int(i)) for t, i in scope.get("records", [])]


# --------------------------------------------------------------------------- the engine


def _new_request_id(key: Key) -> str:
    return f"lh-{key[0][:8]}-{key[1]}-{uuid.uuid4().hex[:16]}"


def _json(value: Any) -> str:
    return dumps_json(value)[:64_000]


class PushEngine(RecoveryMixin):
    """Executes one push run (or its dry run)."""

    def __init__(self, ctx: RunContext, realm_id: str, *, batching: bool = True) -> None:
        self.ctx = ctx
        self.session = ctx.session
        self.realm_id = realm_id
        self.batching = batching
        self.connection = self.session.scalars(select(QboConnection).where(
            QboConnection.realm_id == realm_id)).one()
        self.client: QBOClient | None = None
        self.refs: RunRefs | None = None
        self.lock: RealmLock | None = None
        self.local_seconds = 0.0  # planning and payload building, for the benchmark
        # Parties a person chose to create although QBO has a likely twin ("create anyway").
        self.create_anyway = {(str(t), int(i))
                              for t, i in (ctx.run.scope or {}).get("create_anyway", [])}

    # ------------------------------------------------------------------ run

    def run(self, roots: list[Key], dry_run: bool = False,
            seen: dict[Key, EventOutcome | None] | None = None) -> None:
        """Plan, then copy layer by layer.

        ``seen`` carries what earlier chunks of the same run already went through: those
        records are neither counted nor logged again, and a failure among them still stops
        what depends on it. Without it, this call is the whole run and starts its progress.
        """
        started = time.perf_counter()
        plan = build_plan(self.session, self.realm_id, roots)
        self.local_seconds += time.perf_counter() - started
        progress = self.ctx.progress
        if seen is None:
            seen = {}
            progress.start(len(plan.nodes) + len(plan.missing), realm_id=self.realm_id)
        else:  # the roots were counted when the run started; their dependencies were not
            root_set = set(roots)
            progress.grow(sum(1 for key in plan.nodes if key not in seen and key not in root_set))
        for key, outcome in seen.items():
            if key in plan.nodes:
                plan.nodes[key].outcome = outcome
        for entity_type, local_id in plan.missing:
            progress.record(EventOutcome.FAILED, entity_type=entity_type, local_id=local_id,
                            action="plan", realm_id=self.realm_id,
                            message="The record no longer exists in Ledgerhub.")
        links = {key: node.link for key, node in plan.nodes.items() if node.link is not None}
        refs = self.refs = RunRefs(self.session, self.realm_id, self.connection, links)
        refs.planned.update(key for key, outcome in seen.items()
                            if outcome == EventOutcome.PLANNED)
        self.client = self.ctx.client()  # a dry run reads (invoice numbers), never writes
        with memoized_lookups(self.session):
            fresh = [n for layer in plan.layers() for n in layer if n.key not in seen]
            check_plan(self, plan, fresh, roots)
            for layer in plan.layers():
                todo = [n for n in layer if n.key not in seen and n.outcome is None]
                if todo:
                    self._layer(todo, plan, refs, dry_run)
        for key, node in plan.nodes.items():
            if node.outcome != EventOutcome.INFO:  # held back: a later chunk may need it
                seen.setdefault(key, node.outcome)

    def _layer(self, layer: list[Node], plan: Plan, refs: RunRefs, dry_run: bool) -> None:
        """Prepare, check and send one layer."""
        started = time.perf_counter()
        ready = [n for n in layer if self._prepare(n, plan, refs)]
        self.local_seconds += time.perf_counter() - started
        self.session.commit()  # no transaction stays open across a call to QuickBooks
        ready = self._number_conflicts(ready, dry_run)
        if dry_run:
            for node in ready:
                refs.planned.add(node.key)
                self._finish(node, EventOutcome.PLANNED, action=node.operation,
                             request_body=_json(node.body),
                             message=f"Would {node.operation} {node.qbo_entity}")
            return
        self._check_lock()
        self.session.commit()  # _number_conflicts may have read links again
        self._recover([n for n in ready if self._pending(n)])
        self._hold_back_twins(ready)
        ready = [n for n in ready if n.outcome is None]
        self._write_outbox(ready)
        self._send(ready)
        self._settle(ready)

    # ------------------------------------------------------------------ preparing

    def _prepare(self, node: Node, plan: Plan, refs: RunRefs) -> bool:
        """The node's final body (pre-flight decided it goes); False when it cannot go now."""
        self.ctx.progress.current(node.label)
        if node.follows is not None and not self._follow(node, plan):
            return False
        failed_dep = next((plan.nodes[d] for d in node.deps if d in plan.nodes
                           and plan.nodes[d].outcome == EventOutcome.FAILED), None)
        if failed_dep is not None:  # refused by QuickBooks earlier in this run
            self._finish(node, EventOutcome.FAILED, action="plan",
                         message=f"Not sent: {failed_dep.label} could not be copied.")
            return False
        if node.final and node.body is not None:
            return True
        try:
            node.body = node.etype.payload(node.record, refs)
            if node.etype.qbo_entity_for is not None:
                node.qbo_entity = node.etype.qbo_entity_for(node.record, refs)
        except NotSendable as exc:
            self._finish(node, EventOutcome.FAILED, action="plan", fault_code=exc.code,
                         message=exc.message, fix=exc.fix)
            return False
        return True

    def _follow(self, node: Node, plan: Plan) -> bool:
        """Decide a follower now that its leader went: unchanged or left alone is skipped."""
        leader = plan.nodes.get(node.follows) if node.follows else None
        link = node.link
        if leader is not None and leader.outcome in (EventOutcome.FAILED, None):
            self._finish(node, EventOutcome.SKIPPED, action="skip",
                         qbo_id=link.qbo_id if link else None,
                         message=f"Left as it is: {leader.label} was not copied.")
            return False
        node.fingerprint = fingerprint(node.etype.name, node.record)
        if (link is not None and link.state == LinkState.SYNCED and link.qbo_id
                and link.pushed_hash == node.fingerprint):
            self._finish(node, EventOutcome.SKIPPED, action="skip", qbo_id=link.qbo_id,
                         message=f"Already in QuickBooks (#{link.qbo_id}), unchanged.")
            return False
        node.final = False
        return True

    def read_preferences(self) -> None:
        """Once per run, before the first record to write is checked: QBO Preferences now
        (multi-currency, home currency, sales tax model), noticed without an import."""
        if self.ctx.preferences_read or self.client is None:
            return
        self.ctx.preferences_read = True
        tax_mode = self.session.scalars(select(QboPreference.value).where(
            QboPreference.realm_id == self.realm_id, QboPreference.key == "tax_mode")).first()
        self.session.commit()  # no transaction stays open across a call to QuickBooks
        messages = refresh_preferences(self.client, self.connection, tax_mode or "qbo")
        if messages:
            self.session.commit()
        for message in messages:
            self.ctx.progress.record(EventOutcome.INFO, entity_type="company",
                                     label="QuickBooks preferences", action="preferences",
                                     realm_id=self.realm_id, counts=False, message=message)

    @staticmethod
    def _pending(node: Node) -> bool:
        link = node.link
        return bool(link is not None and link.state == LinkState.PENDING
                    and link.pending_request_id and node.operation == "create")

    def _hold_back_twins(self, nodes: list[Node]) -> None:
        """Ask QBO (batched per party type) for parties someone created there by hand.

        A party with a live twin is not created blindly: it fails with a pointer to the match
        page, where it is linked, or created anyway.
        """
        by_type: dict[str, list[Node]] = {}
        for node in nodes:
            if (node.key[0] in PARTIES and node.operation == "create"
                    and node.key not in self.create_anyway
                    and not (node.link is not None and node.link.pending_request_id)):
                by_type.setdefault(node.key[0], []).append(node)
        for entity_type, group in by_type.items():
            try:
                found = live_matches(self.client, self.session, self.realm_id, entity_type,
                                     [n.record for n in group])
                self.session.commit()
            except QBOError as exc:
                self.session.rollback()
                for node in group:
                    self._finish(node, EventOutcome.FAILED, action="match",
                                 fault_code=exc.code, message="QuickBooks could not be searched "
                                 f"for an existing copy, so nothing was created: "
                                 f"{exc.plain_message()}")
                continue
            for node in group:
                matches = found.get(node.key[1])
                if matches:
                    self._finish(node, EventOutcome.FAILED, action="match",
                                 fault_code="qbo_match", message=match_message(matches),
                                 fix=link_existing_fix(*node.key))

    # ------------------------------------------------------------------ outbox

    def _write_outbox(self, nodes: list[Node]) -> None:
        """Commit each write's requestid (and for transactions its marker) before sending."""
        for node in nodes:
            link = node.link
            if link is None:
                link = QboLink(realm_id=self.realm_id, entity_type=node.key[0],
                               local_id=node.key[1], origin=LinkOrigin.PUSHED)
                self.session.add(link)
                node.link = link
            if node.operation == "create":
                link.state = LinkState.PENDING
                if node.etype.qbo_entity_for is not None:
                    link.qbo_entity = node.qbo_entity
                link.pending_request_id = link.pending_request_id or _new_request_id(node.key)
                if node.etype.marker_field:
                    field_name = node.etype.marker_field
                    text = node.body.get(field_name) or ""
                    node.body[field_name] = f"{text}\n{marker(link.pending_request_id)}".strip()
            else:
                link.pending_request_id = _new_request_id(node.key)
                node.body = {**node.body, "Id": link.qbo_id, "SyncToken": link.sync_token,
                             "sparse": True}
        self.session.commit()

    # ------------------------------------------------------------------ sending

    def _send(self, nodes: list[Node]) -> None:
        if not nodes:
            return
        if not self.batching:
            for node in nodes:
                self._send_single(node)
            return
        for chunk in batch_chunks(nodes):
            self._check_lock()
            ops = [BatchOp(bid=str(i), operation=n.operation, entity=n.qbo_entity,
                           body=n.body) for i, n in enumerate(chunk)]
            ids = ",".join(n.link.pending_request_id for n in chunk)
            prefix = "lhb-" + hashlib.sha256(ids.encode()).hexdigest()[:24]
            # A create whose answer is lost is looked for before it is sent again (_settle).
            results = self.client.batch(ops, request_id_prefix=prefix, resend_unknown=False)
            by_bid = {r.bid: r for r in results}
            with self.ctx.progress.held():
                for i, node in enumerate(chunk):
                    self._apply(node, by_bid.get(str(i)))
                self.session.commit()

    def _send_single(self, node: Node) -> None:
        entity = node.qbo_entity
        request_id = node.link.pending_request_id
        try:
            if node.operation == "create":
                data = self.client.create(entity, node.body, request_id=request_id,
                                          resend_unknown=False)
            else:
                data = self.client.update(entity, node.body, request_id=request_id)
            result = BatchResult(bid="0", operation=node.operation, entity=entity, data=data)
        except QBOError as exc:
            result = BatchResult(bid="0", operation=node.operation, entity=entity, fault=exc,
                                 sent=True)
        with self.ctx.progress.held():
            self._apply(node, result)
            self.session.commit()

    def _apply(self, node: Node, result: BatchResult | None) -> None:
        """Record QBO's answer on the link (the caller commits) and in the log."""
        link = node.link
        tid = self.client.last_intuit_tid if self.client else None
        request = _json(node.body)
        if result is not None and result.ok:
            data = result.data
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
                         response_body=_json(data), intuit_tid=tid,
                         message=f"{verb} {node.qbo_entity} #{link.qbo_id}.")
            self._after_copy(node, data)
            return
        fault = result.fault if result is not None else None
        if fault is None or not result.sent or fault.outcome_unknown:
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
            current = self.client.read(node.qbo_entity, node.link.qbo_id)
        except QBOError as exc:
            self._fail_link(node, exc, _json(node.body), self.client.last_intuit_tid)
            return
        node.link.sync_token = str(current.get("SyncToken", "0"))
        self._update_now(node)

    def _update_now(self, node: Node) -> None:
        """Send a linked record as a sparse update at once (outside the layer's batches)."""
        link = node.link
        node.operation = "update"
        node.body = {**node.body, "Id": link.qbo_id, "SyncToken": link.sync_token,
                     "sparse": True}
        link.pending_request_id = _new_request_id(node.key)
        self.session.commit()
        try:
            data = self.client.update(node.qbo_entity, node.body,
                                      request_id=link.pending_request_id)
        except QBOError as exc:
            self._fail_link(node, exc, _json(node.body), self.client.last_intuit_tid)
            return
        self._apply(node, BatchResult(bid="0", operation="update",
                                      entity=node.qbo_entity, data=data))

    def _fail_link(self, node: Node, fault: QBOError, request: str, tid: str | None, *,
                   message: str | None = None, fix: Fix | None = None) -> None:
        link = node.link
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
        self._finish(node, EventOutcome.FAILED, action=node.operation, fault_code=fault.code,
                     request_id=request_id, request_body=request, intuit_tid=tid or
                     fault.intuit_tid, response_body=_json({"code": fault.code,
                                                            "message": fault.message,
                                                            "detail": fault.detail,
                                                            "element": fault.element}),
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
                node.link.pushed_hash = fingerprint("invoice", invoice)
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
            node.link.last_error = message
            self.ctx.progress.record(EventOutcome.INFO, entity_type="invoice",
                                     local_id=node.key[1], label=node.label, action="compare",
                                     qbo_id=node.link.qbo_id, fault_code="drift",
                                     message=message, realm_id=self.realm_id,
                                     counts=False, warning=not expected)

    # ------------------------------------------------------------------ bookkeeping

    def _finish(self, node: Node, outcome: EventOutcome, *, action: str,
                message: str | None = None, **fields: Any) -> None:
        node.outcome = outcome
        node.message = message
        self.ctx.progress.record(outcome, entity_type=node.key[0], local_id=node.key[1],
                                 label=node.label, action=action, message=message,
                                 realm_id=self.realm_id, **fields)

    def _check_lock(self) -> None:
        if self.lock is not None:
            self.lock.check()


class LockLost(QBOError):
    """Another process may now hold the push lock: stop before writing anything else."""

    def plain_message(self) -> str:
        """The reason, as is."""
        return self.message


class RealmLock:
    """One push per company at a time, kept alive by a heartbeat while this process lives.

    If the process dies the heartbeat stops and the lock expires after ``seconds``, so the
    next run can recover what the dead one left pending.
    """

    def __init__(self, redis: Redis, realm_id: str, seconds: int) -> None:
        # Not thread-local: the heartbeat thread extends the token this thread acquired.
        self.lock = redis.lock(f"ledgerhub:push:{realm_id}", timeout=seconds,
                               thread_local=False)
        self.realm_id = realm_id
        self.seconds = seconds
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self, waiting: Callable[[], None] | None = None) -> None:
        """Wait for the lock (reporting the wait) and start the heartbeat."""
        while not self.lock.acquire(blocking=True, blocking_timeout=2):
            if waiting is not None:
                waiting()
        self._thread = threading.Thread(target=self._beat, name="push-lock", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            try:
                self.lock.extend(self.seconds, replace_ttl=True)
            except Exception:  # noqa: BLE001 - expired or Redis gone: the run must stop
                self.lost = True
                log.warning("push lock for realm %s was lost", self.realm_id)
                return

    def check(self) -> None:
        """Raise when the lock can no longer be trusted."""
        if self.lost:
            raise LockLost("The run lost its lock (Redis restarted or was unreachable); it "
                           "stopped before writing more. Retry: nothing is copied twice.")

    def release(self) -> None:
        """Stop the heartbeat and free the lock."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        try:
            self.lock.release()
        except Exception:  # noqa: BLE001 - already expired
            log.warning("push lock for realm %s expired before release", self.realm_id)


def run_push(ctx: RunContext) -> None:
    """Handler for push runs (``jobs.execute_run``)."""
    realm_id = ctx.realm_id()
    seconds = int(ctx.config["QBO_PUSH_LOCK_SECONDS"])
    lock = RealmLock(ctx.redis, realm_id, seconds)
    lock.acquire(waiting=lambda: ctx.progress.current("Waiting for another QuickBooks run to "
                                                      "finish"))
    # Holding the realm lock, this run is the only writer of the rows it reads: keeping them
    # loaded across its many small commits saves reloading every record after each one.
    session = ctx.session()
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    try:
        if "selection" in ctx.run.scope:
            _push_selection(ctx, realm_id, lock, Selection.from_scope(ctx.run.scope["selection"]))
        else:
            engine = _engine(ctx, realm_id, lock)
            engine.run(scope_roots(ctx.run.scope), dry_run=ctx.run.dry_run)
    finally:
        session.expire_on_commit = expire_on_commit
        lock.release()


def _engine(ctx: RunContext, realm_id: str, lock: RealmLock) -> PushEngine:
    engine = PushEngine(ctx, realm_id, batching=bool(ctx.config["QBO_PUSH_BATCHING"]))
    engine.lock = lock
    return engine


def _push_selection(ctx: RunContext, realm_id: str, lock: RealmLock,
                    selection: Selection) -> None:
    """Copy a listing's selection in chunks of ``QBO_PUSH_CHUNK_SIZE`` records, one run.

    Ids are read page by page when the worker reaches them, so memory stays bounded at any
    size and a record edited after the click is copied as it is now.
    """
    session = ctx.session()
    left_out, why = selection.skipped(session)
    ctx.progress.start(selection.count(session) - left_out, realm_id=realm_id)
    if left_out:
        ctx.progress.record(EventOutcome.INFO, entity_type=selection.entity_type,
                            label="Inquiries", action="skip", fault_code="inquiries", message=why,
                            realm_id=realm_id, counts=False)
    seen: dict[Key, EventOutcome | None] = {}
    size = max(1, int(ctx.config["QBO_PUSH_CHUNK_SIZE"]))
    for ids in selection.chunks(session, size):
        lock.check()
        _engine(ctx, realm_id, lock).run([(selection.entity_type, i) for i in ids],
                                         dry_run=ctx.run.dry_run, seen=seen)
        # Nothing keeps a finished chunk's records: the session's identity map holds them
        # weakly, so memory stays flat however large the selection.
        ctx.progress.flush()
