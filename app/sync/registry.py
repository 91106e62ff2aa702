"""Every kind of record Ledgerhub knows, and everything it knows about each: one entry apiece.

An entry says what the record is called on pages, which model and name column hold it, whether
it is a party, a list or a transaction, what it becomes in QuickBooks (entity, payload builder,
dependencies, layer), whether it is imported from QuickBooks (and by which builder), matched
against QuickBooks records, or mapped to a QuickBooks list. Importer, push engine, pre-flight,
mappings, matcher and pages all read these entries; none keeps a table of its own.

A new record type is one ``RecordType(...)`` in ``RECORD_TYPES`` below, plus its payload
builder (``app.sync.payloads``) and, when QuickBooks rows are imported, its ``from_qbo``
builder (``app.sync.from_qbo``).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from app.models import (
    Account,
    Associate,
    BillingCode,
    Client,
    ExpenseEntry,
    HoursEntry,
    Invoice,
    MileageEntry,
    Organization,
    OrganizationCategory,
    PaymentMethod,
    PaymentTerm,
    PurchaseOrder,
    TaxCode,
    TxnClass,
)
from app.sync import from_qbo
from app.sync.entities import Key, Refs, no_deps
from app.sync.from_qbo import Incoming
from app.sync.payloads import lists, parties, transactions

__all__ = [
    "CACHED_QBO_ENTITIES",
    "IMPORT_STEPS",
    "MAPPED_LISTS",
    "MATCHABLE",
    "PARTIES",
    "PUSHABLE",
    "RECORD_TYPES",
    "RecordType",
    "Role",
    "by_slug",
    "importable",
    "of_qbo",
]


class Role(enum.Enum):
    """What a record is to QuickBooks."""

    PARTY = "party"  # customer, vendor, employee: one DisplayName space
    LIST = "list"  # a name list: mapped to QBO's rows or created by the push
    TRANSACTION = "transaction"  # dated, carries Ledgerhub's marker


def _words(camel: str) -> str:
    """"PaymentMethod" -> "payment method"."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", camel).lower()


def _plural(noun: str) -> str:
    if noun.endswith(("s", "ch", "x")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


@dataclass(frozen=True)
class RecordType:
    """One kind of local record and what Ledgerhub does with it."""

    name: str  # the entity type: qbo_links.entity_type, sync_events.entity_type, URLs
    model: type[Any]
    name_column: str  # the local column holding the record's name (or number)
    noun: str  # how pages name one record
    role: Role
    qbo_entity: str = ""  # "": kept in Ledgerhub only
    plural: str = ""  # default: the noun's plural
    qbo_noun: str = ""  # default: the QBO entity in words ("tax code")
    qbo_plural: str = ""
    # -- copying to QBO (a payload builder makes the record pushable)
    payload: Callable[[Any, Refs], dict[str, Any]] | None = None
    deps: Callable[[Any], Iterable[Key]] = no_deps
    layer: int = 0  # push order: names before the transactions that refer to them
    label_with: Callable[[Any], str] | None = None  # how the log names one; default: its name
    name_field: str | None = None  # unique name in QBO (name lists); None for transactions
    marker_field: str | None = None  # where transactions carry Ledgerhub's marker
    txn_date: Callable[[Any], Any] | None = None
    # Raises NotSendable when the record must not reach QBO as it stands (a draft invoice).
    ready: Callable[[Any], None] | None = None
    # Dependencies that depend on the company's defaults, given as a mapping of them.
    option_deps: Callable[[Any, Mapping[str, str]], Iterable[Key]] | None = None
    # Records already in QBO that must be brought up to date after this one is copied.
    followers: Callable[[Any], Iterable[Key]] | None = None
    # The QBO entity when it depends on the record or the defaults (Bill or Purchase).
    qbo_entity_for: Callable[[Any, Refs], str] | None = None
    # Another entry's local record sent as a second QBO entity (an associate as a vendor).
    stands_for: str | None = None
    self_service: bool = False  # an associate's own entries, pushed from My History
    # -- importing from QBO (an import step and a builder make the QBO entity importable)
    import_step: str | None = None
    from_qbo: Callable[[Mapping[str, Any], Mapping[str, Any], Incoming], Any] | None = None
    # -- matching and mapping
    matchable: bool = False  # "Link to existing": QBO records that may be this one
    slug: str | None = None  # URL segment of a list's page and mapping section
    max_name: int = 100  # QBO's length limit of a list's name
    alt_name_columns: tuple[str, ...] = ()  # other names a mapping suggestion may match

    def __post_init__(self) -> None:
        derived = {"plural": _plural(self.noun),
                   "qbo_noun": _words(self.qbo_entity)}
        for key, value in derived.items():
            if not getattr(self, key):
                object.__setattr__(self, key, value)
        if not self.qbo_plural and self.qbo_noun:
            object.__setattr__(self, "qbo_plural", _plural(self.qbo_noun))

    @property
    def creatable(self) -> bool:
        """The push creates the QBO record (a list without a builder must be mapped)."""
        return self.payload is not None

    @property
    def title(self) -> str:
        """The heading of a page of these records ("Billing codes")."""
        return self.plural[:1].upper() + self.plural[1:]

    @property
    def qbo_title(self) -> str:
        """The QBO side's heading ("Items")."""
        return self.qbo_plural[:1].upper() + self.qbo_plural[1:]

    @property
    def mapping_label(self) -> str:
        """The heading of a list's mapping section ("Billing codes → Items")."""
        return f"{self.title} → {self.qbo_title}"

    @property
    def entity_type(self) -> str:
        """The entity type (the registry key)."""
        return self.name

    def label(self, record: Any) -> str:
        """How the sync log and progress name one record."""
        return self.label_with(record) if self.label_with else self.local_name(record)

    def local_name(self, record: Any) -> str:
        """The record's name as QBO would show it."""
        return str(getattr(record, self.name_column) or "")

    def names(self, record: Any) -> list[str]:
        """Every name a mapping suggestion may match on."""
        values = [self.local_name(record)]
        values += [str(getattr(record, c) or "") for c in self.alt_name_columns]
        if isinstance(record, Account) and record.number:
            values.append(f"{record.number} {record.name}")
        return [v for v in values if v]


_P, _L, _T = Role.PARTY, Role.LIST, Role.TRANSACTION

# In page order: lists as the mapping page shows them, then parties, then transactions.
RECORD_TYPES: dict[str, RecordType] = {t.name: t for t in (
    RecordType("billing_code", BillingCode, "code", "billing code", _L, "Item",
               payload=lists.item, name_field="Name", import_step="lists",
               from_qbo=from_qbo.item, slug="billing-codes"),
    RecordType("payment_term", PaymentTerm, "name", "payment term", _L, "Term",
               payload=lists.term, name_field="Name", import_step="lists",
               from_qbo=from_qbo.term, slug="payment-terms", max_name=31),
    RecordType("txn_class", TxnClass, "name", "class", _L, "Class", payload=lists.qbo_class,
               name_field="Name", import_step="lists", from_qbo=from_qbo.txn_class,
               slug="classes"),
    RecordType("tax_code", TaxCode, "code", "tax code", _L, "TaxCode", import_step="lists",
               from_qbo=from_qbo.tax_code, slug="tax-codes", alt_name_columns=("name",)),
    RecordType("account", Account, "name", "account", _L, "Account", import_step="lists",
               from_qbo=from_qbo.account, slug="accounts"),
    RecordType("payment_method", PaymentMethod, "name", "payment method", _L, "PaymentMethod",
               import_step="lists", from_qbo=from_qbo.payment_method,
               slug="payment-methods", max_name=31),
    RecordType("organization_category", OrganizationCategory, "name", "organization category",
               _L, slug="organization-categories"),
    RecordType("client", Client, "name", "client", _P, "Customer", payload=parties.customer,
               deps=parties.term_dep, layer=1, name_field="DisplayName",
               ready=parties.client_ready, import_step="clients", from_qbo=from_qbo.customer,
               matchable=True),
    RecordType("organization", Organization, "name", "organization", _P, "Vendor",
               payload=parties.vendor, deps=parties.term_dep, layer=1,
               name_field="DisplayName", import_step="organizations",
               from_qbo=from_qbo.vendor, matchable=True),
    RecordType("associate", Associate, "display_name", "associate", _P, "Employee",
               payload=parties.employee, layer=1, name_field="DisplayName",
               import_step="associates", from_qbo=from_qbo.employee, matchable=True),
    RecordType("associate_vendor", Associate, "display_name", "associate", _P, "Vendor",
               payload=parties.associate_vendor, layer=1,
               label_with=parties.associate_vendor_name, name_field="DisplayName",
               stands_for="associate"),
    RecordType("invoice", Invoice, "number", "invoice", _T, "Invoice",
               payload=transactions.invoice, deps=transactions.invoice_deps, layer=2,
               label_with=lambda i: f"Invoice {i.number}", marker_field="PrivateNote",
               txn_date=lambda i: i.issue_date, ready=transactions.invoice_ready,
               followers=transactions.billed_entries),
    RecordType("purchase_order", PurchaseOrder, "number", "purchase order", _T,
               "PurchaseOrder", payload=transactions.purchase_order,
               deps=transactions.po_deps, layer=2,
               label_with=lambda p: f"Purchase order {p.number}",
               marker_field="PrivateNote", txn_date=lambda p: p.order_date),
    # After invoices: an invoice's copy brings the time billed on it up to date.
    RecordType("hours", HoursEntry, "work_date", "hours entry", _T, "TimeActivity",
               plural="hours entries", payload=transactions.time_activity,
               deps=transactions.entry_deps, layer=3,
               label_with=lambda e: f"{e.hours} h on {e.work_date.isoformat()}",
               marker_field="Description", txn_date=lambda e: e.work_date, self_service=True),
    RecordType("expense", ExpenseEntry, "expense_date", "expense", _T, "Purchase",
               payload=transactions.purchase_for_expense, deps=transactions.entry_deps,
               layer=3,
               label_with=lambda e: f"Expense {e.amount} on {e.expense_date.isoformat()}",
               marker_field="PrivateNote", txn_date=lambda e: e.expense_date,
               option_deps=transactions.owed_deps,
               qbo_entity_for=lambda e, refs: refs.owed_as("expense", e.id), self_service=True),
    RecordType("mileage", MileageEntry, "trip_date", "mileage entry", _T, "Purchase",
               plural="mileage entries", payload=transactions.purchase_for_mileage,
               deps=transactions.entry_deps, layer=3,
               label_with=lambda m: (f"{m.miles} {transactions.distance_unit()} on "
                                f"{m.trip_date.isoformat()}"),
               marker_field="PrivateNote", txn_date=lambda m: m.trip_date,
               option_deps=transactions.owed_deps,
               qbo_entity_for=lambda m, refs: refs.owed_as("mileage", m.id), self_service=True),
)}


def _where(test: Callable[[RecordType], bool]) -> dict[str, RecordType]:
    return {name: t for name, t in RECORD_TYPES.items() if test(t)}


# Views of the registry, by entity type, in registry order.
PUSHABLE = _where(lambda t: t.payload is not None)
PARTIES = _where(lambda t: t.role is Role.PARTY and t.stands_for is None)
MATCHABLE = _where(lambda t: t.matchable)
MAPPED_LISTS = _where(lambda t: t.role is Role.LIST and bool(t.qbo_entity))
_SLUGS = {t.slug: t for t in RECORD_TYPES.values() if t.slug}
# QBO entities whose rows the list cache keeps (lists, then parties).
CACHED_QBO_ENTITIES: tuple[str, ...] = tuple(
    t.qbo_entity for t in (*MAPPED_LISTS.values(), *PARTIES.values()) if t.qbo_entity)
# Import steps in the order they run; each names the QBO entities it imports.
IMPORT_STEPS: dict[str, tuple[str, ...]] = {}
for _t in RECORD_TYPES.values():
    if _t.import_step and _t.qbo_entity:
        IMPORT_STEPS.setdefault(_t.import_step, ())
        IMPORT_STEPS[_t.import_step] += (_t.qbo_entity,)
_BY_QBO = {t.qbo_entity: t for t in reversed(RECORD_TYPES.values())
           if t.qbo_entity and t.stands_for is None}


def of_qbo(qbo_entity: str) -> RecordType:
    """The record type a QBO entity is imported as, matched to or cached for (KeyError)."""
    return _BY_QBO[qbo_entity]


def importable(qbo_entity: str) -> bool:
    """True when rows of the QBO entity are imported into Ledgerhub."""
    found = _BY_QBO.get(qbo_entity)
    return found is not None and found.from_qbo is not None


def by_slug(slug: str) -> RecordType | None:
    """The list a URL segment names."""
    return _SLUGS.get(slug)
