"""Import QBO lists and parties into Ledgerhub, re-runnable without damage.

Step 1 brings the chart of accounts, items, payment methods, terms, classes and tax codes;
step 2 the customers (clients), vendors (organizations) and employees (associates). Each QBO
row ends in exactly one of five buckets: added, linked to an existing local record, already
linked (left untouched), skipped (Ledgerhub has no place for it), or needing attention (a
person decides). Rows are read page by page and every page is committed with its links,
events and run counters, so an interrupted import keeps its work and a re-run finishes it.
Which QBO entities each step brings, and what they become, is in ``app.sync.registry``.
"""

from __future__ import annotations

import copy
import logging
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from app.database import DbSession
from app.models import EventOutcome, LinkOrigin, QboLink, SyncEvent, SyncRun
from app.qbo.client import QBOClient
from app.qbo.connection import current_connection
from app.qbo.query import select_query
from app.sync import registry
from app.sync.context import RunContext
from app.sync.from_qbo import Incoming, TooLong, Unusable
from app.sync.linking import build, display, home_currency, link_pair, linked_local_ids
from app.sync.lists import ACTIVE_ANY, PAGE_SIZE, describe, load_tax_rates, store_page
from app.sync.locks import RealmLock
from app.sync.mappings import US_LINE_MARKERS
from app.sync.names import email_key, phone_key
from app.sync.names import name_key as normalize_name
from app.sync.sales_tax import apply_preferences

log = logging.getLogger(__name__)

__all__ = [
    "ATTENTION_ACTION",
    "BUCKETS",
    "STEPS",
    "ENTITY_LABELS",
    "STEP_LABELS",
    "run_import",
    "steps_from_scope",
]

# Step -> the QBO entities it imports, in order (names before the parties that refer to them).
STEPS: dict[str, tuple[str, ...]] = registry.IMPORT_STEPS
STEP_LABELS = {
    "lists": "Chart of accounts, items, payment methods, terms, classes and tax codes",
    "clients": "Clients (QuickBooks customers)",
    "organizations": "Organizations (QuickBooks vendors)",
    "associates": "Associates (QuickBooks employees)",
}
# How progress and the run page name a QBO entity's rows ("Tax codes").
ENTITY_LABELS = {e: registry.of_qbo(e).qbo_title for step in STEPS.values() for e in step}
BUCKETS = ("added", "linked", "already_linked", "skipped", "attention")
ATTENTION_ACTION = "attention"
_LOCK_SECONDS = 6 * 3600


def _party_currency(row: Mapping[str, Any], home: str) -> str:
    """A QBO customer's or vendor's currency (the home currency when it names none)."""
    ref = row.get("CurrencyRef")
    value = ref.get("value") if isinstance(ref, Mapping) else None
    return str(value or home).upper()


def _is_party(entity: str) -> bool:
    return registry.of_qbo(entity).role is registry.Role.PARTY


# ---------------------------------------------------------------- the import itself


@dataclass
class _Local:
    """What matching needs to know about an unlinked local record."""

    id: int
    name: str
    email: str | None
    phone: str | None
    currency: str | None = None


@dataclass
class _Decision:
    bucket: str
    row: Mapping[str, Any]
    record: Any = None
    local_id: int | None = None
    message: str | None = None


@dataclass
class Tally:
    """The five counts, overall and per QBO entity."""

    total: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))
    by_entity: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, entity: str, bucket: str) -> None:
        """Count one row."""
        self.total[bucket] += 1
        self.by_entity.setdefault(entity, dict.fromkeys(BUCKETS, 0))[bucket] += 1

    def summary(self, steps: list[str]) -> dict[str, Any]:
        """The run's summary JSON."""
        return {**self.total, "steps": steps, "by_entity": self.by_entity}

    def message(self) -> str:
        """One sentence for the run row."""
        t = self.total
        return (f"{t['added']} added, {t['linked']} linked to existing records, "
                f"{t['already_linked']} already linked (untouched), {t['skipped']} skipped, "
                f"{t['attention']} needing attention.")


_OUTCOME = {
    "added": (EventOutcome.CREATED, "import"),
    "linked": (EventOutcome.LINKED, "match"),
    "already_linked": (EventOutcome.SKIPPED, "already-linked"),
    "skipped": (EventOutcome.SKIPPED, "skip"),
    "attention": (EventOutcome.INFO, ATTENTION_ACTION),
}
_COUNTERS = {"added": "created_count", "linked": "created_count",
             "already_linked": "skipped_count", "skipped": "skipped_count"}


class Importer:
    """Imports one QBO entity after another into the local tables."""

    def __init__(self, ctx: RunContext, client: QBOClient, realm_id: str,
                 steps: list[str]) -> None:
        self.ctx = ctx
        self.steps = steps
        self.session = ctx.session
        self.client = client
        self.realm_id = realm_id
        self.run_id = ctx.run.id
        self.tally = Tally()
        self.home = home_currency(self.session)
        self.incoming = Incoming(self.session, realm_id, self.home)
        self.tax_rates: dict[str, dict[str, Any]] | None = None

    # -- local indexes, built once per entity (local rows only, never the QBO list)

    def _indexes(self, entity: str) -> tuple[dict[str, list[_Local]], set[str], set[int]]:
        kind = registry.of_qbo(entity)
        model = kind.model
        linked = linked_local_ids(self.session, self.realm_id, kind.name)
        columns = [model.id, getattr(model, kind.name_column)]
        has_contact = kind.role is registry.Role.PARTY
        if has_contact:
            columns += [model.email, model.phone]
        has_currency = hasattr(model, "currency")
        if has_currency:
            columns.append(model.currency)
        unlinked: dict[str, list[_Local]] = defaultdict(list)
        names: set[str] = set()
        for values in self.session.execute(select(*columns)):
            names.add(values[1])
            if values[0] in linked:
                continue
            unlinked[normalize_name(values[1])].append(_Local(
                values[0], values[1], email_key(values[2]) if has_contact else None,
                phone_key(values[3]) if has_contact else None,
                values[-1] if has_currency else None))
        return unlinked, names, linked

    def run_entity(self, entity: str, expected: int, done_before: int, grand_total: int) -> None:
        """Import every row of one entity, committing page by page."""
        if entity == "TaxCode" and self.tax_rates is None:
            self.tax_rates = load_tax_rates(self.client)
        unlinked, names, _linked = self._indexes(entity)
        self.session.commit()  # no transaction stays open across a call to QuickBooks
        seen = 0
        for page in self._pages(entity, expected):
            self._import_page(entity, page, unlinked, names)
            seen += len(page)
            self.ctx.progress.current(
                f"{ENTITY_LABELS[entity]}: {seen} of {max(expected, seen)} "
                f"({done_before + seen} of {grand_total})")

    def _pages(self, entity: str, expected: int) -> Iterator[list[dict[str, Any]]]:
        """Pages of rows by Id; stops at a short page or once the counted rows are read."""
        start, read = 1, 0
        while True:
            text = select_query(entity, ACTIVE_ANY, order_by="Id", start_position=start,
                                max_results=PAGE_SIZE)
            rows = (self.client.query(text).get("QueryResponse") or {}).get(entity) or []
            if rows:
                yield rows
            read += len(rows)
            if len(rows) < PAGE_SIZE or read >= expected:
                return
            start += len(rows)

    def _import_page(self, entity: str, page: list[dict[str, Any]],
                     unlinked: dict[str, list[_Local]], names: set[str]) -> None:
        saved = (copy.deepcopy(self.tally), dict(self.ctx.progress.counts))
        try:
            self._write(entity, self._decide_page(entity, page, unlinked, names))
            self.session.commit()
            return
        except SQLAlchemyError:
            self.session.rollback()
            log.warning("Import page of %s failed; retrying row by row", entity, exc_info=True)
        # One bad row must not cost the page: redo it one row per transaction.
        self.tally = saved[0]
        self.ctx.progress.counts.update(saved[1])
        fresh_unlinked, fresh_names, _ = self._indexes(entity)
        unlinked.clear()
        unlinked.update(fresh_unlinked)
        names.clear()
        names.update(fresh_names)
        for row in page:
            self._import_one(entity, row, unlinked, names)

    def _import_one(self, entity: str, row: dict[str, Any], unlinked: dict[str, list[_Local]],
                    names: set[str]) -> None:
        saved = (copy.deepcopy(self.tally), dict(self.ctx.progress.counts))
        try:
            self._write(entity, self._decide_page(entity, [row], unlinked, names))
            self.session.commit()
        except SQLAlchemyError as exc:
            self.session.rollback()
            self.tally = saved[0]
            self.ctx.progress.counts.update(saved[1])
            reason = type(getattr(exc, "orig", None) or exc).__name__
            self._write(entity, [_Decision("attention", row, message=(
                f"{display(entity, row)} could not be saved ({reason}); check the local "
                "records with this name and import again."))])
            self.session.commit()

    def _decide_page(self, entity: str, page: list[dict[str, Any]],
                     unlinked: dict[str, list[_Local]], names: set[str]) -> list[_Decision]:
        entity_type = registry.of_qbo(entity).name
        store_page(self.session, self.realm_id, entity, page, self.tax_rates)
        ids = [str(row["Id"]) for row in page if row.get("Id") is not None]
        linked_by_qbo = {
            qbo_id: local_id for qbo_id, local_id in self.session.execute(
                select(QboLink.qbo_id, QboLink.local_id).where(
                    QboLink.realm_id == self.realm_id, QboLink.entity_type == entity_type,
                    QboLink.qbo_id.in_(ids)))
        }
        decisions: list[_Decision] = []
        for row in page:
            if row.get("Id") is None:
                continue
            qbo_id = str(row["Id"])
            if qbo_id in linked_by_qbo:
                decisions.append(_Decision("already_linked", row, local_id=linked_by_qbo[qbo_id]))
                continue
            decisions.append(self._decide(entity, row, unlinked, names))
        return decisions

    def _decide(self, entity: str, row: Mapping[str, Any], unlinked: dict[str, list[_Local]],
                names: set[str]) -> _Decision:
        if entity == "TaxCode" and str(row.get("Id")) in US_LINE_MARKERS:
            return _Decision("skipped", row, message=(
                f"QuickBooks “{row['Id']}” only marks US invoice lines as taxable or not; it is "
                "not a tax code to keep in Ledgerhub."))
        name = display(entity, row)
        key = normalize_name(name)
        candidates = unlinked.get(key, [])
        if _is_party(entity):
            data = describe(entity, row)["data"]
            email, phone = email_key(data.get("email")), phone_key(data.get("phone"))
            strong = [c for c in candidates
                      if (email and c.email == email) or (phone and c.phone == phone)]
            theirs = _party_currency(row, self.home)
            if len(strong) == 1 and strong[0].currency not in (None, theirs):
                # QBO never changes a party's currency: linking would make every later copy
                # of its transactions fail, so a person decides.
                return _Decision("attention", row, local_id=strong[0].id, message=(
                    f"Not linked: the currencies differ. “{strong[0].name}” is in "
                    f"{strong[0].currency} here, the QuickBooks {entity.lower()} in {theirs}, "
                    "and QuickBooks never changes a customer's or vendor's currency. Change "
                    "the local currency and import again, or keep them separate."))
            if len(strong) == 1:
                return self._claim(row, strong[0], unlinked, key)
            if candidates:
                return _Decision("attention", row, local_id=candidates[0].id, message=(
                    f"{len(candidates)} unlinked local record(s) have the same name but "
                    + ("several share its email or phone" if strong else
                       "neither email nor phone confirms it is the same")
                    + ": link one, or create it separately."))
        else:
            if len(candidates) == 1:
                return self._claim(row, candidates[0], unlinked, key)
            if len(candidates) > 1:
                return _Decision("attention", row, local_id=candidates[0].id, message=(
                    f"{len(candidates)} unlinked local records have this name: choose one."))
        try:
            record = build(entity, row, self.incoming, self.tax_rates)
        except Unusable as exc:
            return _Decision("skipped", row, message=f"Not imported: {exc}.")
        except TooLong as exc:
            return _Decision("attention", row, message=f"Not imported: {exc}.")
        value = registry.of_qbo(entity).local_name(record)
        if not _is_party(entity) and value in names:
            return _Decision("attention", row, message=(
                f"A local record named “{value}” is already linked to another QuickBooks "
                "record; rename one of them and import again."))
        names.add(value)
        return _Decision("added", row, record=record)

    @staticmethod
    def _claim(row: Mapping[str, Any], local: _Local, unlinked: dict[str, list[_Local]],
               key: str) -> _Decision:
        unlinked[key] = [c for c in unlinked[key] if c.id != local.id]
        return _Decision("linked", row, local_id=local.id,
                         message=f"Linked to the existing local record “{local.name}”.")

    def _write(self, entity: str, decisions: list[_Decision]) -> None:
        """Add records, links, events and counters for decided rows (one transaction)."""
        kind = registry.of_qbo(entity)
        entity_type, model = kind.name, kind.model
        new = [d for d in decisions if d.bucket == "added"]
        self.session.add_all([d.record for d in new])
        self.session.flush()
        to_link = [d for d in decisions if d.bucket == "linked"]
        matched = {}
        if to_link:
            matched = {r.id: r for r in self.session.scalars(
                select(model).where(model.id.in_([d.local_id for d in to_link])))}
        events: list[SyncEvent] = []
        attention_ids = []
        for d in decisions:
            qbo_id = str(d.row["Id"])
            token = d.row.get("SyncToken")
            token = str(token) if token is not None else None
            if d.bucket == "added":
                link_pair(self.session, self.realm_id, entity_type, d.record, qbo_id, token,
                          LinkOrigin.IMPORTED)
                d.local_id = d.record.id
            elif d.bucket == "linked" and d.local_id in matched:
                link_pair(self.session, self.realm_id, entity_type, matched[d.local_id], qbo_id,
                          token, LinkOrigin.MATCHED)
            elif d.bucket == "linked":
                d.bucket, d.message = "attention", "The matching local record was just deleted."
            elif d.bucket == "attention":
                attention_ids.append(qbo_id)
            self.tally.add(entity, d.bucket)
            counts = self.ctx.progress.counts
            counts["done"] += 1
            if d.bucket in _COUNTERS:
                counts[_COUNTERS[d.bucket]] += 1
            if d.bucket == "already_linked":
                continue  # untouched rows are counted, not logged one by one
            outcome, action = _OUTCOME[d.bucket]
            events.append(SyncEvent(
                run_id=self.run_id, realm_id=self.realm_id, entity_type=entity_type,
                local_id=d.local_id, label=display(entity, d.row)[:255], action=action,
                outcome=outcome, qbo_id=qbo_id, message=d.message))
        if attention_ids:
            # A newer decision request replaces an open one for the same QBO record.
            self.session.execute(update(SyncEvent).where(
                SyncEvent.realm_id == self.realm_id, SyncEvent.entity_type == entity_type,
                SyncEvent.action == ATTENTION_ACTION, SyncEvent.resolved.is_(False),
                SyncEvent.qbo_id.in_(attention_ids)).values(resolved=True))
        self.session.add_all(events)
        counts = self.ctx.progress.counts
        self.session.execute(update(SyncRun).where(SyncRun.id == self.run_id).values(
            done=counts["done"], created_count=counts["created_count"],
            skipped_count=counts["skipped_count"], failed_count=counts["failed_count"],
            summary=self.tally.summary(self.steps)))


def steps_from_scope(scope: Mapping[str, Any] | None) -> list[str]:
    """The known steps named by a run's scope, in import order (ValueError when none)."""
    wanted = (scope or {}).get("steps") or []
    if isinstance(wanted, str):
        wanted = [wanted]
    steps = [step for step in STEPS if step in wanted]
    unknown = [s for s in wanted if s not in STEPS]
    if unknown or not steps:
        raise ValueError("Unknown import step: " + ", ".join(map(str, unknown or ["(none)"])))
    return steps


def _sync_currencies(session: DbSession, client: QBOClient) -> str:
    """Home currency and multi-currency from QBO Preferences, kept on the connection."""
    prefs = client.preferences()
    currency = prefs.get("CurrencyPrefs") or {}
    home = (currency.get("HomeCurrency") or {}).get("value")
    multi = bool(currency.get("MultiCurrencyEnabled"))
    connection = current_connection(session)
    if connection is not None:
        # The same Preferences say which sales tax model; the push re-reads them per run.
        apply_preferences(connection, prefs, None)
    session.commit()
    return (f"Home currency {home or 'unknown'}; multi-currency "
            f"{'on: each client and vendor keeps its own currency' if multi else 'off'}.")


def run_import(ctx: RunContext) -> None:
    """RQ handler for import runs: scope {"steps": ["lists" | "clients" | ...]}."""
    steps = steps_from_scope(ctx.run.scope)
    realm_id = ctx.realm_id()
    client = ctx.client()
    entities = [entity for step in steps for entity in STEPS[step]]
    lock = RealmLock(ctx.redis, "import", realm_id, _LOCK_SECONDS)
    lock.acquire(give_up_after=30 * 60, busy="Another import of this company is still running.")
    try:
        _run(ctx, client, realm_id, steps, entities)
    finally:
        lock.release()


def _run(ctx: RunContext, client: QBOClient, realm_id: str, steps: list[str],
         entities: list[str]) -> None:
    ctx.session.commit()  # no transaction stays open across a call to QuickBooks
    counts = {entity: client.count(entity, ACTIVE_ANY) for entity in entities}
    grand_total = sum(counts.values())
    ctx.progress.start(grand_total, realm_id)
    importer = Importer(ctx, client, realm_id, steps)
    ctx.session.commit()  # nothing may stay open while the progress writer commits
    if "lists" in steps:
        note = _sync_currencies(ctx.session, client)
        ctx.progress.record(EventOutcome.INFO, entity_type="currency", label="Company currencies",
                            action="import", message=note, realm_id=realm_id, counts=False)
    done = 0
    for entity in entities:
        ctx.progress.current(f"{ENTITY_LABELS[entity]}: starting")
        importer.run_entity(entity, counts[entity], done, grand_total)
        done += counts[entity]
    summary = importer.tally.summary(steps)
    ctx.session.execute(update(SyncRun).where(SyncRun.id == ctx.run.id).values(
        summary=summary, message=f"Import finished: {importer.tally.message()}"))
    ctx.session.commit()

