"""Pre-flight: everything that would make QBO refuse a record, found before any write.

The push engine calls ``check_record`` for each record of a plan and fails the record with the
problems' messages instead of sending it; the go-live readiness page (``readiness``) runs the
same rules over the whole database.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import (
    Associate,
    Client,
    ConnectionStatus,
    Invoice,
    InvoiceLine,
    LineKind,
    Organization,
    QboConnection,
    QboLink,
    QboObject,
    TaxCode,
)
from app.models.base import utcnow
from app.models.people import as_utc
from app.sync import mappings, sales_tax
from app.sync.currency import rate_for
from app.sync.mappings import US_LINE_MARKERS, preference
from app.sync.names import name_key, same_name_parties
from app.sync.payloads.parties import associate_vendor_name
from app.sync.registry import MAPPED_LISTS as LIST_KINDS
from app.sync.registry import PARTIES, RECORD_TYPES
from app.sync.registry import RecordType as ListKind
from app.sync.tax import qbo_percent, rate_difference

SETTINGS = "/admin/qbo/settings"
MAPPINGS_URL = f"{SETTINGS}/mappings"
DEFAULTS_URL = f"{SETTINGS}/defaults"
RATES_URL = f"{SETTINGS}/rates"
READINESS_URL = f"{SETTINGS}/readiness"
CONNECT_URL = "/admin/qbo/"
IMPORT_URL = "/admin/qbo/import/"
LIST_ENTITIES = tuple(kind.qbo_entity for kind in LIST_KINDS.values())
PARTY_ENTITIES = {name: kind.qbo_entity for name, kind in PARTIES.items()}
MAX_LIST_AGE = timedelta(hours=24)
_FORBIDDEN = re.compile(r"[:\t\n\r]")
TRANSACTIONS = ("invoice", "hours", "expense", "mileage", "purchase_order")


@dataclass(frozen=True)
class Problem:
    """One reason QBO would refuse a record, with where to fix it."""

    code: str
    message: str
    fix_url: str | None


@dataclass(frozen=True)
class Check:
    """One line of the go-live checklist."""

    name: str
    ok: bool
    count: int
    message: str
    fix_url: str | None
    key: str = ""


def record_url(entity_type: str, local_id: int | None) -> str | None:
    """Where a record is edited."""
    if local_id is None:
        return None
    paths = {"client": "/clients/{}", "organization": "/organizations/{}",
             "associate": "/admin/associates/{}", "invoice": "/invoices/{}",
             "purchase_order": "/purchase-orders/{}", "hours": "/my/hours/{}",
             "expense": "/my/expenses/{}", "mileage": "/my/mileage/{}"}
    kind = LIST_KINDS.get(entity_type)
    if kind is not None:
        return f"/lists/{kind.slug}/{local_id}"
    return paths[entity_type].format(local_id) if entity_type in paths else None


def mapping_url(kind: ListKind) -> str:
    """The mapping section of a list."""
    return f"{MAPPINGS_URL}#{kind.slug}"


# ---------------------------------------------------------------- helpers


class _Company:
    """What the checks need to know about the QBO company, read once."""

    def __init__(self, session: Session, realm_id: str) -> None:
        row = session.scalars(
            select(QboConnection).where(QboConnection.realm_id == realm_id)
        ).first()
        self.row = row
        country = (row.country if row is not None else None) or "US"
        self.us = country.upper() in ("US", "USA", "UNITED STATES")

    # Read live, as a push re-reads QuickBooks' preferences once per run.
    @property
    def home(self) -> str:
        """The company's home currency."""
        return (self.row.home_currency if self.row is not None else None) or "USD"

    @property
    def multicurrency(self) -> bool:
        """Whether multi-currency is on in QuickBooks."""
        return bool(self.row.multicurrency_enabled) if self.row is not None else False

    @property
    def automated(self) -> bool:
        """US automated sales tax: QBO picks the rate from the address (read live, as a push
        may learn of a switch half-way through its run)."""
        return self.us and self.row is not None and bool(self.row.automated_sales_tax)


def _company(session: Session, realm_id: str) -> _Company:
    return mappings._remembered(session, ("company", realm_id),
                                lambda: _Company(session, realm_id))


def company_is_us(session: Session, realm_id: str) -> bool:
    """True for a US company (TAX/NON sales tax model)."""
    return _company(session, realm_id).us


def name_problems(name: str | None, what: str, fix_url: str | None,
                  max_len: int = 100) -> list[Problem]:
    """QBO's name rules: not blank, no colon, tab or line break, not too long."""
    text = (name or "").strip()
    if not text:
        return [Problem("invalid_name", f"The {what} has no name; QuickBooks requires one.",
                        fix_url)]
    problems = []
    if _FORBIDDEN.search(name or ""):
        problems.append(Problem("invalid_name", f"“{text}”: QuickBooks names cannot contain a "
                                "colon, tab or line break.", fix_url))
    if len(text) > max_len:
        problems.append(Problem("invalid_name", f"“{text[:40]}…” is longer than QuickBooks' "
                                f"{max_len}-character limit.", fix_url))
    return problems


# One rule for "the same name" everywhere (app.sync.names).
display_key = name_key


def _party_name(entity_type: str, record: Any) -> str:
    return record.display_name if entity_type == "associate" else record.name


def _links(session: Session, realm_id: str, entity_type: str) -> dict[int, QboLink]:
    return mappings.mapped_ids(session, realm_id, entity_type)


def _list_problems(session: Session, realm_id: str, entity_type: str, record: Any,
                   company: _Company, *, via: str = "") -> list[Problem]:
    """A list row (billing code, term, class, tax code, account, payment method)."""
    kind = LIST_KINDS[entity_type]
    label = kind.local_name(record)
    fix = mapping_url(kind)
    noun = kind.noun
    prefix = f"{via}: " if via else ""
    link = mappings._link(session, realm_id, entity_type, record.id)
    if link is None or not link.qbo_id:
        if not kind.creatable:
            reason = ("tax codes are read-only in QuickBooks" if entity_type == "tax_code"
                      else f"Ledgerhub does not create {noun}s in QuickBooks")
            return [Problem("not_mapped", f"{prefix}The {noun} “{label}” is not mapped to a "
                            f"QuickBooks {kind.qbo_entity} ({reason}). Map it first.", fix)]
        problems = name_problems(label, noun, record_url(entity_type, record.id),
                                 kind.max_name)
        if entity_type == "billing_code" and not preference(session, realm_id,
                                                             "income_account"):
            problems.append(Problem(
                "default_missing", f"{prefix}The billing code “{label}” will be created as a "
                "QuickBooks item, which needs an income account: set the default income "
                "account, or map the billing code to an existing item.", DEFAULTS_URL))
        return problems
    if entity_type == "tax_code" and company.us and link.qbo_id in US_LINE_MARKERS:
        return [Problem("tax_code_marker", f"{prefix}The tax code “{label}” is mapped to "
                        f"QuickBooks “{link.qbo_id}”, which only marks US invoice lines as "
                        "taxable or not. Map it to a sales tax code or rate group (for "
                        "example your state's).", fix)]
    obj = mappings.qbo_object(session, realm_id, kind.qbo_entity, link.qbo_id)
    if obj is not None and not obj.active:
        return [Problem("qbo_inactive", f"{prefix}The {noun} “{label}” is mapped to "
                        f"QuickBooks {kind.qbo_entity} “{obj.name}”, which is inactive in "
                        "QuickBooks. Map it to an active one or reactivate it in QuickBooks.",
                        fix)]
    return []


def _default_problem(session: Session, realm_id: str, key: str, why: str) -> Problem | None:
    """A required default that is unset, unknown or inactive in QBO."""
    spec = mappings.DEFAULT_KEYS[key]
    value = preference(session, realm_id, key)
    if not value:
        return Problem("default_missing", f"{why}: set “{spec.label}” in the QuickBooks "
                       "defaults.", DEFAULTS_URL)
    obj = mappings.qbo_object(session, realm_id, spec.entity or "", value)
    if obj is not None and not obj.active:
        return Problem("qbo_inactive", f"{why}: “{spec.label}” is set to “{obj.name}”, which "
                       "is inactive in QuickBooks.", DEFAULTS_URL)
    return None


_PARTY_SOURCES = (("client", Client, Client.name),
                  ("organization", Organization, Organization.name),
                  ("associate", Associate, Associate.display_name))


def _party_names(session: Session) -> dict[str, list[tuple[str, int, str]]]:
    """Every client, organization and associate by display key (read once per run)."""
    def load() -> dict[str, list[tuple[str, int, str]]]:
        index: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
        for other_type, model, column in _PARTY_SOURCES:
            for local_id, name in session.execute(select(model.id, column)):
                index[display_key(name)].append((other_type, local_id, name))
        return index

    return mappings._remembered(session, ("party_names",), load)


def _collisions(session: Session, entity_type: str, record: Any) -> list[str]:
    """Other clients, organizations and associates with the same display name."""
    key = display_key(_party_name(entity_type, record))
    if not key:
        return []
    if session.info.get(mappings.MEMO_KEY) is not None:
        candidates = _party_names(session).get(key, [])
    else:
        candidates = same_name_parties(session, _party_name(entity_type, record))
    return [f"{other_type} “{name}”" for other_type, local_id, name in candidates
            if not (other_type == entity_type and local_id == record.id)
            and display_key(name) == key]


def _qbo_parties_named(session: Session, realm_id: str, key: str) -> list[QboObject]:
    """Cached QBO customers, vendors and employees with this display key."""
    parties = tuple(PARTY_ENTITIES.values())
    if session.info.get(mappings.MEMO_KEY) is None:
        return [obj for obj in session.scalars(select(QboObject).where(
            QboObject.realm_id == realm_id, QboObject.entity.in_(parties)))
            if display_key(obj.name) == key]

    def load() -> dict[str, list[QboObject]]:
        index: dict[str, list[QboObject]] = defaultdict(list)
        for obj in session.scalars(select(QboObject).where(
                QboObject.realm_id == realm_id, QboObject.entity.in_(parties))):
            index[display_key(obj.name)].append(obj)
        return index

    return mappings._remembered(session, ("qbo_parties", realm_id), load).get(key, [])


def _qbo_name_taken(session: Session, realm_id: str, entity_type: str, record: Any
                    ) -> str | None:
    """A QBO party of another kind (or linked to another record) already has the name."""
    key = display_key(_party_name(entity_type, record))
    mine = PARTY_ENTITIES[entity_type]
    for obj in _qbo_parties_named(session, realm_id, key):
        if display_key(obj.name) != key:
            continue
        if obj.entity != mine:
            return f"QuickBooks already has a {obj.entity.lower()} named “{obj.name}”"
        owner = session.scalars(
            select(QboLink).where(QboLink.realm_id == realm_id,
                                  QboLink.entity_type == entity_type,
                                  QboLink.qbo_id == obj.qbo_id)
        ).first()
        if owner is not None and owner.local_id != record.id:
            return f"QuickBooks {mine.lower()} “{obj.name}” is linked to another record"
    return None


def _currency_problems(session: Session, realm_id: str, entity_type: str, record: Any,
                       company: _Company) -> list[Problem]:
    """A client's or organization's currency against the company's settings and QBO."""
    currency = record.currency
    fix = record_url(entity_type, record.id)
    label = _party_name(entity_type, record)
    if currency != company.home and not company.multicurrency:
        return [Problem("multicurrency_off", f"“{label}” uses {currency}, but multi-currency "
                        f"is off in QuickBooks (home currency {company.home}). Turn "
                        "multi-currency on in QuickBooks, or use the home currency.", fix)]
    link = mappings._link(session, realm_id, entity_type, record.id)
    if link is not None and link.qbo_id:
        obj = mappings.qbo_object(session, realm_id, PARTY_ENTITIES[entity_type], link.qbo_id)
        if obj is not None and obj.currency and obj.currency != currency:
            return [Problem("currency_mismatch", f"“{label}” uses {currency} here but "
                            f"{obj.currency} in QuickBooks; QuickBooks never changes a "
                            f"party's currency. Set it back to {obj.currency}.", fix)]
    return []


def _party_problems(session: Session, realm_id: str, entity_type: str, record: Any,
                    company: _Company) -> list[Problem]:
    name = _party_name(entity_type, record)
    fix = record_url(entity_type, record.id)
    what = PARTIES[entity_type].noun
    problems = name_problems(name, what, fix)
    others = _collisions(session, entity_type, record)
    if others:
        problems.append(Problem("duplicate_name", f"“{name.strip()}” is also the name of "
                                f"{', '.join(others)}. QuickBooks requires display names to be "
                                "unique across customers, vendors and employees: rename one.",
                                fix))
    linked = mappings._link(session, realm_id, entity_type, record.id)
    if linked is None:
        taken = _qbo_name_taken(session, realm_id, entity_type, record)
        if taken:
            problems.append(Problem("duplicate_name", f"{taken}; “{name.strip()}” cannot be "
                                    "created. Rename it, or link the existing one by "
                                    "importing.", fix))
    if entity_type == "associate":
        if not (record.first_name or "").strip() and not (record.last_name or "").strip():
            problems.append(Problem("employee_name", f"The associate “{name}” needs a first or "
                                    "last name: QuickBooks employees require one.", fix))
    else:
        problems += _currency_problems(session, realm_id, entity_type, record, company)
    return problems


def _transaction_currency(session: Session, entity_type: str, record: Any, party: Any,
                          on: date, company: _Company) -> list[Problem]:
    """A transaction's currency: the party's, accepted by QBO, with a rate when foreign."""
    currency = record.currency
    fix = record_url(entity_type, record.id)
    noun = "invoice" if entity_type == "invoice" else "purchase order"
    party_label = getattr(party, "name", "")
    if party is not None and party.currency != currency:
        return [Problem("currency_differs", f"The {noun} is in {currency} but “{party_label}” "
                        f"uses {party.currency}; QuickBooks requires the party's currency.",
                        fix)]
    if currency == company.home:
        return []
    if not company.multicurrency:
        return [Problem("multicurrency_off", f"The {noun} is in {currency}, but multi-currency "
                        f"is off in QuickBooks (home currency {company.home}). Turn "
                        "multi-currency on in QuickBooks first.", fix)]
    entered = getattr(record, "exchange_rate", None)
    if entered is not None and entered > 0:
        return []
    if rate_for(session, currency, on, company.home) is None:
        return [Problem("exchange_rate_missing", f"No exchange rate for {currency} on or before "
                        f"{on.isoformat()}: enter one on the {noun} or add one to the rate "
                        f"table (home-currency units per one {currency}).", RATES_URL)]
    return []


def _invoice_problems(session: Session, realm_id: str, invoice: Invoice,
                      company: _Company) -> list[Problem]:
    fix = record_url("invoice", invoice.id)
    problems: list[Problem] = []
    if not invoice.lines:
        problems.append(Problem("no_lines", "The invoice has no lines; QuickBooks needs at "
                                "least one.", fix))
    problems += _transaction_currency(session, "invoice", invoice, invoice.client,
                                      invoice.issue_date, company)
    seen: set[tuple[str, int]] = set()

    def refer(entity_type: str, row: Any) -> None:
        if row is not None and (entity_type, row.id) not in seen:
            seen.add((entity_type, row.id))
            problems.extend(_list_problems(session, realm_id, entity_type, row, company))

    for number, line in enumerate(invoice.lines, start=1):
        refer("billing_code", line.billing_code)
        if line.billing_code is not None:
            continue
        if line.kind == LineKind.MILEAGE:
            problem = _default_problem(session, realm_id, "invoice_mileage_item",
                                       f"Line {number} (mileage)")
            problems += [problem] if problem else []
        else:
            problems.append(Problem("no_item", f"Line {number} has no billing code; "
                                    "QuickBooks needs an item on every line.", fix))
    refer("payment_term", invoice.payment_term)
    refer("txn_class", invoice.txn_class)
    taxable_code = invoice.tax_code if invoice.tax_code is not None and invoice.tax_code.taxable \
        else None
    # Automated sales tax ignores tax codes, so a US invoice's code needs no mapping there.
    if invoice.tax_code is not None and (taxable_code is not None or not company.us) \
            and not company.automated:
        refer("tax_code", invoice.tax_code)
    if not company.us:
        problems += _global_tax_problems(session, realm_id, invoice, taxable_code)
    return problems


def _global_tax_problems(session: Session, realm_id: str, invoice: Invoice,
                         taxable_code: TaxCode | None) -> list[Problem]:
    """Outside the US every line needs a tax code."""
    problems = []
    if taxable_code is None and any(line.taxable for line in invoice.lines):
        problems.append(Problem("tax_code_missing", "Some lines are taxable but the invoice has "
                                "no tax code; outside the US QuickBooks needs a tax code on "
                                "every line.", record_url("invoice", invoice.id)))
    if any(not line.taxable or taxable_code is None for line in invoice.lines):
        problem = _default_problem(session, realm_id, "exempt_tax_code",
                                   "Non-taxable lines need a tax code outside the US")
        if problem:
            problems.append(problem)
    return problems


def _mileage_problem(session: Session, realm_id: str) -> Problem | None:
    if preference(session, realm_id, "mileage_item"):
        return _default_problem(session, realm_id, "mileage_item", "Mileage")
    if preference(session, realm_id, "mileage_account"):
        return _default_problem(session, realm_id, "mileage_account", "Mileage")
    return Problem("default_missing", "Mileage: set a mileage item or a mileage expense "
                   "account in the QuickBooks defaults.", DEFAULTS_URL)


def _owed_as_purchase(session: Session, realm_id: str) -> bool:
    """True when associates' expenses are recorded as already paid (a Purchase)."""
    return preference(session, realm_id, "associate_expenses_as") == "purchase"


def _expense_problems(session: Session, realm_id: str, entry: Any,
                      company: _Company) -> list[Problem]:
    problems = []
    # A bill owed to the associate is paid later: no payment account is involved yet.
    paid = _owed_as_purchase(session, realm_id)
    keys = (("expense_payment_account", "Expenses"),) if paid else ()
    for key, why in (*keys, ("expense_account", "Expenses")):
        problem = _default_problem(session, realm_id, key, why)
        if problem:
            problems.append(problem)
    if paid:
        account = mappings.qbo_object(session, realm_id, "Account",
                                      preference(session, realm_id, "expense_payment_account"))
        mismatch = mappings.payment_account_problem(
            preference(session, realm_id, "expense_payment_type"), account)
        if mismatch:
            problems.append(Problem("payment_account", mismatch, DEFAULTS_URL))
    if entry.billing_code is not None:
        problems += _list_problems(session, realm_id, "billing_code", entry.billing_code,
                                   company)
    return problems


def _entry_party_currency(entry: Any, company: _Company) -> list[Problem]:
    """Entries are in the home currency; a billable client must be able to take them."""
    client = entry.client
    if client is None or client.currency == company.home:
        return []
    if not company.multicurrency:
        return [Problem("multicurrency_off", f"The client “{client.name}” uses "
                        f"{client.currency}, but multi-currency is off in QuickBooks.",
                        record_url("client", client.id))]
    return []


def _po_problems(session: Session, realm_id: str, po: Any,
                 company: _Company) -> list[Problem]:
    fix = record_url("purchase_order", po.id)
    problems: list[Problem] = []
    if not po.lines:
        problems.append(Problem("no_lines", "The purchase order has no lines; QuickBooks needs "
                                "at least one.", fix))
    problems += _transaction_currency(session, "purchase_order", po, po.organization,
                                      po.order_date, company)
    if preference(session, realm_id, "ap_account"):  # optional: QBO uses its A/P otherwise
        problem = _default_problem(session, realm_id, "ap_account", "Purchase orders")
        if problem:
            problems.append(problem)
    seen: set[tuple[str, int]] = set()
    for number, line in enumerate(po.lines, start=1):
        for entity_type, row in (("billing_code", line.billing_code),
                                 ("account", line.account)):
            if row is not None and (entity_type, row.id) not in seen:
                seen.add((entity_type, row.id))
                problems += _list_problems(session, realm_id, entity_type, row, company)
        if line.billing_code is None and line.account is None:
            problems.append(Problem("no_item", f"Line {number} has neither a billing code nor "
                                    "an account.", fix))
    return problems


# ---------------------------------------------------------------- public API


def check_record(session: Session, realm_id: str, entity_type: str, record: Any
                 ) -> list[Problem]:
    """Every problem QBO would refuse this record for that can be known before writing."""
    company = _company(session, realm_id)
    if entity_type in PARTY_ENTITIES:
        return _party_problems(session, realm_id, entity_type, record, company)
    if entity_type == "associate_vendor":
        return name_problems(associate_vendor_name(record), "associate",
                             record_url("associate", record.id))
    if entity_type in LIST_KINDS:
        return _list_problems(session, realm_id, entity_type, record, company)
    if entity_type == "invoice":
        return _invoice_problems(session, realm_id, record, company)
    if entity_type == "purchase_order":
        return _po_problems(session, realm_id, record, company)
    if entity_type in ("hours", "expense", "mileage"):
        problems = _entry_party_currency(record, company)
        if entity_type == "expense":
            problems += _expense_problems(session, realm_id, record, company)
        elif entity_type == "mileage":
            mileage = _mileage_problem(session, realm_id)
            problems += [mileage] if mileage else []
        elif record.billing_code is not None:
            problems += _list_problems(session, realm_id, "billing_code", record.billing_code,
                                       company)
        return problems
    if entity_type in RECORD_TYPES:
        return []  # a record type without rules of its own: QBO's answer is the check
    raise ValueError(f"Unknown entity type {entity_type!r}")


def problems_text(problems: list[Problem]) -> str:
    """The problems as one message (for a sync event or a failed record)."""
    return " ".join(p.message for p in problems)


# ---------------------------------------------------------------- readiness


def _check(key: str, name: str, count: int, ok_message: str, bad_message: str,
           fix_url: str | None) -> Check:
    ok = count == 0
    return Check(name, ok, count, ok_message if ok else bad_message, fix_url, key)


def _lists_check(session: Session, realm_id: str) -> Check:
    now = utcnow()
    missing, stale = [], []
    for entity in LIST_ENTITIES:
        oldest = session.scalar(
            select(func.min(QboObject.fetched_at)).where(QboObject.realm_id == realm_id,
                                                         QboObject.entity == entity)
        )
        if oldest is None:
            if entity != "PaymentMethod":  # a company may have none
                missing.append(entity)
        elif now - as_utc(oldest) > MAX_LIST_AGE:
            stale.append(entity)
    parts = []
    if missing:
        parts.append(f"not imported: {', '.join(missing)}")
    if stale:
        parts.append(f"older than {int(MAX_LIST_AGE.total_seconds() // 3600)} hours: "
                     f"{', '.join(stale)}")
    return _check("lists", "QuickBooks lists imported and fresh", len(missing) + len(stale),
                  "Accounts, items, terms, classes and tax codes are imported and fresh.",
                  "Import the QuickBooks lists (" + "; ".join(parts) + ").", IMPORT_URL)


def _tax_codes_in_use(session: Session, us: bool) -> list[TaxCode]:
    """Active tax codes invoices or clients use; in the US only taxable ones need a mapping
    (non-taxable lines are simply marked NON)."""
    used = set(session.scalars(select(Invoice.tax_code_id).where(
        Invoice.tax_code_id.is_not(None)).distinct()))
    used |= set(session.scalars(select(Client.tax_code_id).where(
        Client.tax_code_id.is_not(None)).distinct()))
    if not used:
        return []
    stmt = select(TaxCode).where(TaxCode.id.in_(used), TaxCode.active.is_(True))
    if us:
        stmt = stmt.where(TaxCode.taxable.is_(True))
    return list(session.scalars(stmt))


def _tax_rates_check(session: Session, realm_id: str) -> Check:
    """Mapped tax codes whose QBO rate is not the local one (QBO charges its own rate)."""
    differing = []
    for row, link in mappings.rows_with_links(session, realm_id, "tax_code"):
        obj = mappings.qbo_object(session, realm_id, "TaxCode", link.qbo_id) if link else None
        if obj is not None and (problem := rate_difference(row, qbo_percent(session, realm_id,
                                                                            obj))):
            differing.append(f"{problem.removeprefix('Rates differ: ').rstrip('.')} "
                             f"(mapped to {obj.name})")
    return _check("tax_rates", "Tax code rates agree with QuickBooks", len(differing),
                  "Every mapped tax code has the rate QuickBooks charges.",
                  f"QuickBooks computes tax at its own rate: {'; '.join(differing[:8])}.",
                  mapping_url(LIST_KINDS["tax_code"]))


MAPPING_CODES = ("not_mapped", "qbo_inactive", "invalid_name", "tax_code_marker")


def _mapping_check(session: Session, realm_id: str, entity_type: str,
                   company: _Company) -> Check:
    kind = LIST_KINDS[entity_type]
    if entity_type == "tax_code" and company.automated:
        return Check(f"{kind.title} mapped", True, 0,
                     "Not needed: with automated sales tax QuickBooks calculates sales tax "
                     "from the customer's address and ignores tax codes, so Ledgerhub does "
                     "not send them.", mapping_url(kind), "map_tax_code")
    if entity_type == "tax_code":
        rows = _tax_codes_in_use(session, company.us)
    else:
        rows = [row for row, _ in mappings.rows_with_links(session, realm_id, entity_type)]
    bad = []
    for row in rows:
        problems = [p for p in _list_problems(session, realm_id, entity_type, row, company)
                    if p.code in MAPPING_CODES]
        if problems:
            bad.append(kind.local_name(row))
    how = "mapped or will be created by the push" if kind.creatable else "mapped"
    in_use = " in use" if entity_type == "tax_code" else ""
    return _check(f"map_{entity_type}", f"{kind.title} mapped", len(bad),
                  f"Every active {kind.noun}{in_use} is {how}.",
                  f"{len(bad)} need attention: {', '.join(bad[:8])}"
                  f"{'…' if len(bad) > 8 else ''}.", mapping_url(kind))


def duplicate_names(session: Session) -> list[list[tuple[str, Any]]]:
    """Groups of clients, organizations and associates sharing a display name."""
    groups: dict[str, list[tuple[str, Any]]] = defaultdict(list)
    for entity_type, model in (("client", Client), ("organization", Organization),
                               ("associate", Associate)):
        for row in session.scalars(select(model)):
            key = display_key(_party_name(entity_type, row))
            if key:
                groups[key].append((entity_type, row))
    return [group for group in groups.values() if len(group) > 1]


def _names_check(session: Session) -> Check:
    groups = duplicate_names(session)
    fix = None
    if groups:
        entity_type, row = groups[0][0]
        fix = record_url(entity_type, row.id)
    examples = ", ".join(f"“{_party_name(*g[0]).strip()}” ({len(g)}×)" for g in groups[:5])
    return _check("names", "Display names unique across clients, organizations and associates",
                  len(groups), "No two clients, organizations or associates share a name.",
                  f"Shared names: {examples}. Rename all but one in each group.", fix)


def _currency_check(session: Session, realm_id: str, company: _Company) -> Check:
    reasons: list[str] = []
    fix = None
    for entity_type, model in (("client", Client), ("organization", Organization)):
        links = _links(session, realm_id, entity_type)
        noun = "customer" if entity_type == "client" else "vendor"
        qbo_rows = session.execute(
            select(QboObject.qbo_id, QboObject.name, QboObject.currency).where(
                QboObject.realm_id == realm_id,
                QboObject.entity == PARTY_ENTITIES[entity_type])).tuples().all()
        by_id = {qbo_id: currency for qbo_id, _, currency in qbo_rows}
        by_name = {display_key(name): (qbo_id, currency) for qbo_id, name, currency in qbo_rows}
        for row in session.scalars(select(model).where(model.active.is_(True))):
            reason = _party_currency_reason(row, links.get(row.id), by_id, by_name, noun,
                                            company)
            if reason:
                reasons.append(reason)
                fix = fix or record_url(entity_type, row.id)
    mode = (f"multi-currency on, home {company.home}" if company.multicurrency
            else f"multi-currency off, home {company.home}")
    return _check("currencies", "Client and organization currencies accepted by QuickBooks",
                  len(reasons), f"Every currency is accepted ({mode}).",
                  f"Not accepted ({mode}): {'; '.join(reasons[:8])}"
                  f"{'…' if len(reasons) > 8 else ''}.", fix)


def _party_currency_reason(row: Any, link: Any, by_id: dict[str, str | None],
                           by_name: dict[str, tuple[str, str | None]], noun: str,
                           company: _Company) -> str | None:
    """Why QBO would refuse a client's or organization's currency, naming the cause."""
    if row.currency != company.home and not company.multicurrency:
        return f"“{row.name}” uses {row.currency} but multi-currency is off"
    if link is not None and link.qbo_id:
        theirs = by_id.get(link.qbo_id)
        if theirs and theirs != row.currency:
            return (f"currency mismatch: “{row.name}” is {row.currency} here but its "
                    f"QuickBooks {noun} #{link.qbo_id} is {theirs}")
        return None
    same_name = by_name.get(display_key(row.name))
    if same_name is not None and (same_name[1] or company.home) != row.currency:
        return (f"currency mismatch: “{row.name}” is {row.currency} here but the QuickBooks "
                f"{noun} of that name (#{same_name[0]}) is {same_name[1] or company.home}, so "
                "the import did not link them")
    return None


def _rates_check(session: Session, company: _Company) -> Check:
    currencies: set[str] = set()
    for model in (Client, Organization):
        currencies |= set(session.scalars(select(model.currency).where(
            model.active.is_(True), model.currency != company.home).distinct()))
    missing = sorted(c for c in currencies
                     if rate_for(session, c, date.today(), company.home) is None)
    if not company.multicurrency:
        missing = []
    return _check("rates", "Exchange rates for foreign currencies", len(missing),
                  "Every foreign currency in use has a rate (or none is in use).",
                  f"No rate yet for {', '.join(missing)}; add one (or enter a rate on each "
                  "transaction).", RATES_URL)


def _defaults_check(session: Session, realm_id: str, company: _Company) -> Check:
    problems = [p for key in mappings.REQUIRED_DEFAULTS
                if (p := _default_problem(session, realm_id, key, "Defaults"))]
    mileage = _mileage_problem(session, realm_id)
    if mileage:
        problems.append(mileage)
    if session.scalar(select(InvoiceLine.id).where(InvoiceLine.kind == LineKind.MILEAGE,
                                                   InvoiceLine.billing_code_id.is_(None))
                      .limit(1)) is not None:
        invoiced = _default_problem(session, realm_id, "invoice_mileage_item",
                                    "Invoice mileage lines")
        if invoiced:
            problems.append(invoiced)
    if not company.us:
        exempt = _default_problem(session, realm_id, "exempt_tax_code", "Defaults")
        if exempt:
            problems.append(exempt)
    account = mappings.qbo_object(session, realm_id, "Account",
                                  preference(session, realm_id, "expense_payment_account"))
    mismatch = mappings.payment_account_problem(
        preference(session, realm_id, "expense_payment_type"), account)
    if mismatch:
        problems.append(Problem("payment_account", mismatch, DEFAULTS_URL))
    labels = []
    for p in problems:
        labels.append(p.message.split(": ", 1)[-1])
    return _check("defaults", "Default accounts set", len(problems),
                  "A/R, A/P, expense, payment, income and mileage defaults are set.",
                  " ".join(labels), DEFAULTS_URL)


def _sales_tax_check(session: Session, realm_id: str, company: _Company) -> Check:
    """Which sales tax model applies and what it means for invoices (information, never due)."""
    if company.row is None:
        return Check("Sales tax model", True, 0, "Known once QuickBooks is connected: "
                     "automated sales tax (QuickBooks calculates it from the customer's "
                     "address) or manual tax codes.", CONNECT_URL, "sales_tax")
    text = sales_tax.describe(company.row, preference(session, realm_id, "tax_mode"))
    return Check(f"Sales tax: {text.title}", True, 0, f"{text.rule} {text.invoices}",
                 DEFAULTS_URL, "sales_tax")


def readiness(session: Session, realm_id: str) -> list[Check]:
    """The go-live checklist for a company, each item with a count and a link to the fix."""
    company = _company(session, realm_id)
    row = company.row
    connected = row is not None and row.status == ConnectionStatus.CONNECTED
    checks = [Check("Connected to QuickBooks", connected, 0 if connected else 1,
                    f"Connected to “{row.company_name or realm_id}”." if connected and row
                    else "Not connected: connect (or reconnect) to QuickBooks.",
                    CONNECT_URL, "connected")]
    checks.append(_lists_check(session, realm_id))
    checks.append(_sales_tax_check(session, realm_id, company))
    for entity_type in ("billing_code", "payment_term", "txn_class", "tax_code"):
        checks.append(_mapping_check(session, realm_id, entity_type, company))
    checks.append(_tax_rates_check(session, realm_id))
    checks.append(_names_check(session))
    checks.append(_currency_check(session, realm_id, company))
    checks.append(_rates_check(session, company))
    checks.append(_defaults_check(session, realm_id, company))
    return checks
