"""Import QBO lists and parties into Ledgerhub, re-runnable without damage.

Step 1 brings the chart of accounts, items, payment methods, terms, classes and tax codes;
step 2 the customers (clients), vendors (organizations) and employees (associates). Each QBO
row ends in exactly one of five buckets: added, linked to an existing local record, already
linked (left untouched), skipped (Ledgerhub has no place for it), or needing attention (a
person decides). Rows are read page by page and every page is committed with its links,
events and run counters, so an interrupted import keeps its work and a re-run finishes it.
"""

from __future__ import annotations

import copy
import logging
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.models import (
    Account,
    AccountType,
    Associate,
    BillingCode,
    BillingCodeKind,
    Client,
    CompanySettings,
    EventOutcome,
    LinkOrigin,
    LinkState,
    Organization,
    PaymentMethod,
    PaymentTerm,
    PermissionLevel,
    QboLink,
    SyncEvent,
    SyncRun,
    TaxCode,
    TxnClass,
)
from app.models.base import utcnow
from app.qbo.client import QBOClient
from app.qbo.connection import current_connection
from app.qbo.query import select_query
from app.sync.context import RunContext
from app.sync.lists import ACTIVE_ANY, PAGE_SIZE, describe, load_tax_rates, store_page
from app.sync.locks import RealmLock
from app.sync.mappings import US_LINE_MARKERS
from app.sync.names import email_key, phone_key
from app.sync.names import name_key as normalize_name
from app.sync.sales_tax import apply_preferences

log = logging.getLogger(__name__)

__all__ = [
    "ATTENTION_ACTION",
    "ENTITY_TYPES",
    "STEPS",
    "BUCKETS",
    "create_from_qbo",
    "email_key",
    "link_pair",
    "normalize_name",
    "phone_key",
    "run_import",
    "steps_from_scope",
]

# Step -> the QBO entities it imports, in dependency order.
STEPS: dict[str, tuple[str, ...]] = {
    "lists": ("Account", "Term", "PaymentMethod", "Class", "TaxCode", "Item"),
    "clients": ("Customer",),
    "organizations": ("Vendor",),
    "associates": ("Employee",),
}
STEP_LABELS = {
    "lists": "Chart of accounts, items, payment methods, terms, classes and tax codes",
    "clients": "Clients (QuickBooks customers)",
    "organizations": "Organizations (QuickBooks vendors)",
    "associates": "Associates (QuickBooks employees)",
}
# QBO entity -> the local entity_type used in qbo_links (the push engine uses the same).
ENTITY_TYPES: dict[str, str] = {
    "Account": "account",
    "Item": "billing_code",
    "PaymentMethod": "payment_method",
    "Term": "payment_term",
    "Class": "txn_class",
    "TaxCode": "tax_code",
    "Customer": "client",
    "Vendor": "organization",
    "Employee": "associate",
}
ENTITY_LABELS = {
    "Account": "Accounts", "Item": "Items", "PaymentMethod": "Payment methods",
    "Term": "Terms", "Class": "Classes", "TaxCode": "Tax codes", "Customer": "Customers",
    "Vendor": "Vendors", "Employee": "Employees",
}
BUCKETS = ("added", "linked", "already_linked", "skipped", "attention")
ATTENTION_ACTION = "attention"
PARTIES = frozenset({"Customer", "Vendor", "Employee"})
_LOCK_SECONDS = 6 * 3600
_CENT = Decimal("0.01")


# ---------------------------------------------------------------- normalisation


def _party_currency(row: Mapping[str, Any], home: str) -> str:
    """A QBO customer's or vendor's currency (the home currency when it names none)."""
    ref = row.get("CurrencyRef")
    value = ref.get("value") if isinstance(ref, Mapping) else None
    return str(value or home).upper()


def _limit(model: type, column: str) -> int | None:
    return getattr(model.__table__.c[column].type, "length", None)


def _clip(value: Any, model: type, column: str) -> str | None:
    if value in (None, ""):
        return None
    text = str(value)
    limit = _limit(model, column)
    return text[:limit] if limit else text


def _decimal(value: Any, places: Decimal = _CENT) -> Decimal | None:
    if value in (None, "") or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value)).quantize(places, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None


def _fingerprint(entity_type: str, record: Any) -> str | None:
    """The push engine's fingerprint of a record, when it has one (imported = unchanged)."""
    try:
        from app.sync.entities import fingerprint
    except ImportError:
        return None
    try:
        return fingerprint(entity_type, record)
    except Exception:  # noqa: BLE001 - a missing fingerprint only means "push to compare"
        return None


# ---------------------------------------------------------------- building local records


@dataclass
class Refs:
    """QBO id -> local id for the lists a party or item refers to (terms, tax codes)."""

    session: Session
    realm_id: str
    _cache: dict[str, dict[str, int]] = field(default_factory=dict)

    def local(self, entity_type: str, qbo_id: str | None) -> int | None:
        """The local id linked to a QBO id, if any."""
        if not qbo_id:
            return None
        if entity_type not in self._cache:
            rows = self.session.execute(select(QboLink.qbo_id, QboLink.local_id).where(
                QboLink.realm_id == self.realm_id, QboLink.entity_type == entity_type,
                QboLink.qbo_id.is_not(None)))
            self._cache[entity_type] = {q: loc for q, loc in rows}
        return self._cache[entity_type].get(qbo_id)


class Unusable(Exception):
    """Ledgerhub has no place for this QBO row (skipped, with the reason)."""


class TooLong(Exception):
    """A name longer than the local column holds: a person must decide (never truncated)."""


def _address_fields(record: Any, address: Mapping[str, str] | None) -> None:
    if not address:
        return
    model = type(record)
    for key, column in (("line1", "address_line1"), ("line2", "address_line2"),
                        ("city", "city"), ("region", "region"),
                        ("postal_code", "postal_code"), ("country", "country")):
        setattr(record, column, _clip(address.get(key), model, column))


def _check_name(model: type, column: str, name: str) -> str:
    limit = _limit(model, column)
    if not name.strip():
        raise Unusable("it has no name")
    if limit and len(name) > limit:
        raise TooLong(f"its name is {len(name)} characters long and Ledgerhub keeps at most "
                      f"{limit}; shorten it in QuickBooks and import again")
    return name


def _home_currency(session: Session) -> str:
    connection = current_connection(session)
    if connection is not None and connection.home_currency:
        return connection.home_currency
    return CompanySettings.load().home_currency or "USD"


def _build(entity: str, row: Mapping[str, Any], refs: Refs, home: str,
           tax_rates: Mapping[str, dict[str, Any]] | None = None) -> Any:
    """A new local record for one QBO row (not added to the session)."""
    info = describe(entity, row, tax_rates)
    data, active, name = info["data"], info["active"], info["name"]
    if entity == "Account":
        kind = row.get("AccountType")
        try:
            account_type = AccountType(kind)
        except ValueError as exc:
            raise Unusable(f"Ledgerhub does not use {kind or 'untyped'} accounts") from exc
        return Account(name=_check_name(Account, "name", name), account_type=account_type,
                       number=_clip(row.get("AcctNum"), Account, "number"), active=active)
    if entity == "Item":
        kind = row.get("Type")
        kinds = {"Service": BillingCodeKind.HOURLY, "NonInventory": BillingCodeKind.EXPENSE}
        if kind not in kinds:
            raise Unusable(f"{kind or 'untyped'} items are not billing codes")
        return BillingCode(code=_check_name(BillingCode, "code", name), kind=kinds[kind],
                           description=row.get("Description") or None,
                           default_rate=_decimal(row.get("UnitPrice")),
                           taxable=bool(row.get("Taxable")), active=active)
    if entity == "PaymentMethod":
        return PaymentMethod(name=_check_name(PaymentMethod, "name", name), active=active)
    if entity == "Term":
        days = row.get("DueDays")
        return PaymentTerm(name=_check_name(PaymentTerm, "name", name),
                           due_days=int(days) if isinstance(days, int | Decimal) else 0,
                           active=active)
    if entity == "Class":
        return TxnClass(name=_check_name(TxnClass, "name", name), active=active)
    if entity == "TaxCode":
        rate = _decimal(data.get("rate_percent"), Decimal("0.0001")) or Decimal("0")
        return TaxCode(code=_check_name(TaxCode, "code", name),
                       name=_clip(row.get("Description") or name, TaxCode, "name") or name,
                       rate_percent=rate, taxable=bool(row.get("Taxable")), active=active)
    currency = info["currency"] or home
    address = data.get("address")
    if entity == "Customer":
        company = data.get("CompanyName")
        person = " ".join(p for p in (data.get("GivenName"), data.get("FamilyName")) if p)
        notes = data.get("Notes")
        if data.get("ParentRef"):
            parent = (data.get("FullyQualifiedName") or "").rpartition(":")[0]
            notes = "\n".join(p for p in (notes, f"Sub-customer of {parent}" if parent else
                                          "Sub-customer in QuickBooks") if p)
        client = Client(name=_check_name(Client, "name", name), is_company=bool(company),
                        contact_name=_clip(person if company else None, Client, "contact_name"),
                        email=_clip(data.get("email"), Client, "email"),
                        phone=_clip(data.get("phone"), Client, "phone"),
                        currency=currency, notes=notes or None, active=active,
                        payment_term_id=refs.local("payment_term", data.get("SalesTermRef")),
                        tax_code_id=refs.local("tax_code", data.get("DefaultTaxCodeRef")))
        _address_fields(client, address)
        return client
    if entity == "Vendor":
        org = Organization(name=_check_name(Organization, "name", name),
                           email=_clip(data.get("email"), Organization, "email"),
                           phone=_clip(data.get("phone"), Organization, "phone"),
                           currency=currency, notes=data.get("Notes") or None, active=active,
                           payment_term_id=refs.local("payment_term", data.get("TermRef")))
        _address_fields(org, address)
        return org
    if entity == "Employee":
        return Associate(display_name=_check_name(Associate, "display_name", name),
                         first_name=_clip(data.get("GivenName"), Associate, "first_name") or "",
                         last_name=_clip(data.get("FamilyName"), Associate, "last_name") or "",
                         email=_clip(data.get("email"), Associate, "email"),
                         phone=_clip(data.get("phone"), Associate, "phone"),
                         hourly_rate=_decimal(data.get("BillRate")),
                         cost_rate=_decimal(data.get("CostRate")),
                         permission=PermissionLevel.ASSOCIATE, active=active)
    raise Unusable(f"{entity} is not imported")


MODELS: dict[str, tuple[type, str]] = {
    "Account": (Account, "name"),
    "Item": (BillingCode, "code"),
    "PaymentMethod": (PaymentMethod, "name"),
    "Term": (PaymentTerm, "name"),
    "Class": (TxnClass, "name"),
    "TaxCode": (TaxCode, "code"),
    "Customer": (Client, "name"),
    "Vendor": (Organization, "name"),
    "Employee": (Associate, "display_name"),
}
MODEL_BY_TYPE: dict[str, tuple[type, str]] = {ENTITY_TYPES[e]: m for e, m in MODELS.items()}


# ---------------------------------------------------------------- linking


def linked_local_ids(session: Session, realm_id: str, entity_type: str) -> set[int]:
    """Local ids that already have a link in the realm (synced, or a push under way)."""
    rows = session.execute(select(QboLink.local_id, QboLink.qbo_id, QboLink.state).where(
        QboLink.realm_id == realm_id, QboLink.entity_type == entity_type))
    return {local for local, qbo_id, state in rows
            if qbo_id is not None or state == LinkState.PENDING}


def link_pair(session: Session, realm_id: str, entity_type: str, record: Any, qbo_id: str,
              sync_token: str | None, origin: LinkOrigin) -> QboLink:
    """Link a local record to a QBO object (no write to QBO); reuses a failed link row."""
    link = session.scalars(select(QboLink).where(
        QboLink.realm_id == realm_id, QboLink.entity_type == entity_type,
        QboLink.local_id == record.id)).first()
    if link is None:
        link = QboLink(realm_id=realm_id, entity_type=entity_type, local_id=record.id)
        session.add(link)
    link.qbo_id = qbo_id
    link.sync_token = sync_token
    link.state = LinkState.SYNCED
    link.origin = origin
    link.last_error = None
    link.pending_request_id = None
    link.synced_at = utcnow()
    link.pushed_hash = _fingerprint(entity_type, record)
    return link


def create_from_qbo(session: Session, realm_id: str, entity: str, row: Mapping[str, Any],
                    tax_rates: Mapping[str, dict[str, Any]] | None = None) -> Any:
    """Create (and link, origin IMPORTED) the local record for one QBO row; no commit.

    Raises ``ValueError`` with a plain reason when Ledgerhub cannot hold the row.
    """
    try:
        record = _build(entity, row, Refs(session, realm_id), _home_currency(session),
                        tax_rates)
    except (Unusable, TooLong) as exc:
        raise ValueError(f"{display(entity, row)} cannot be imported: {exc}") from exc
    model, column = MODELS[entity]
    value = getattr(record, column)
    if entity not in PARTIES and session.scalars(
            select(model.id).where(getattr(model, column) == value)).first() is not None:
        raise ValueError(f"A local record named “{value}” already exists; link that one "
                         "instead.")
    session.add(record)
    session.flush()
    link_pair(session, realm_id, ENTITY_TYPES[entity], record, str(row["Id"]),
              str(row.get("SyncToken")) if row.get("SyncToken") is not None else None,
              LinkOrigin.IMPORTED)
    return record


def display(entity: str, row: Mapping[str, Any]) -> str:
    """The QBO name of a row, for messages."""
    return describe(entity, row)["name"] or f"{entity} #{row.get('Id')}"


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
        self.refs = Refs(self.session, realm_id)
        self.home = _home_currency(self.session)
        self.tax_rates: dict[str, dict[str, Any]] | None = None

    # -- local indexes, built once per entity (local rows only, never the QBO list)

    def _indexes(self, entity: str) -> tuple[dict[str, list[_Local]], set[str], set[int]]:
        model, column = MODELS[entity]
        entity_type = ENTITY_TYPES[entity]
        linked = linked_local_ids(self.session, self.realm_id, entity_type)
        columns = [model.id, getattr(model, column)]
        has_contact = entity in PARTIES
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
        entity_type = ENTITY_TYPES[entity]
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
        if entity in PARTIES:
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
            record = _build(entity, row, self.refs, self.home, self.tax_rates)
        except Unusable as exc:
            return _Decision("skipped", row, message=f"Not imported: {exc}.")
        except TooLong as exc:
            return _Decision("attention", row, message=f"Not imported: {exc}.")
        model, column = MODELS[entity]
        value = getattr(record, column)
        if entity not in PARTIES and value in names:
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
        entity_type = ENTITY_TYPES[entity]
        model, _column = MODELS[entity]
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


def _sync_currencies(session: Session, client: QBOClient) -> str:
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

