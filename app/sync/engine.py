"""The push engine: one run (or one chunk of a selection) planned, checked and sent by layer.

Its parts live beside it: ``plan`` (what the run covers), ``decision`` (what happens to each
record), ``upfront`` (every record checked before the first write), ``sending`` (outbox and
batches), ``results`` (QBO's answers applied) and ``recovery`` (lost answers, invoice numbers).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from app.models import EventOutcome, LinkState, QboConnection, QboLink, QboPreference
from app.qbo.client import QBOClient
from app.qbo.faults import QBOError
from app.sync.context import RunContext
from app.sync.decision import judge
from app.sync.entities import Key
from app.sync.lookups import memoized_lookups
from app.sync.parties import link_existing_fix, live_matches, match_message
from app.sync.plan import Node, Plan, build_plan
from app.sync.recovery import RecoveryMixin
from app.sync.refs import RunRefs
from app.sync.registry import PARTIES
from app.sync.results import ResultsMixin
from app.sync.sales_tax import refresh_preferences
from app.sync.sending import SendingMixin, as_json
from app.sync.upfront import check_plan

if TYPE_CHECKING:
    from app.sync.locks import RealmLock


class PushEngine(ResultsMixin, SendingMixin, RecoveryMixin):
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
        links: dict[Key, QboLink | None] = {key: node.link for key, node in plan.nodes.items()
                                            if node.link is not None}
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
                             request_body=as_json(node.body),
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

    def _prepare(self, node: Node, plan: Plan, refs: RunRefs) -> bool:
        """The node's final body (pre-flight decided it goes); False when it cannot go now."""
        self.ctx.progress.current(node.label)
        return judge(self, node, plan, sending=True)

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
                found = live_matches(self.qbo, self.session, self.realm_id, entity_type,
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
