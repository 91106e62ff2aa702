"""Pre-flight: everything that would make QBO refuse a record, found before any write.

The push engine calls ``check_record`` for each record of a plan and fails the record with the
problems' messages instead of sending it; go-live readiness (``app.sync.readiness``) runs the
same rules over the whole database. A problem says what fixes it (a ``Fix``: a code and the
record concerned), never a web address: the web layer turns it into a link.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from app.database import DbSession
from app.models import (
    Associate,
    Client,
    Fix,
    FixCode,
    Invoice,
    LineKind,
    Organization,
    QboConnection,
    QboLink,
    QboObject,
    TaxCode,
)
from app.qbo.connection import is_us
from app.sync import lookups, mappings
from app.sync.currency import rate_for
from app.sync.mappings import US_LINE_MARKERS
from app.sync.names import name_key, same_name_parties
from app.sync.payloads.parties import associate_vendor_name
from app.sync.registry import MAPPED_LISTS as LIST_KINDS
from app.sync.registry import PARTIES, RECORD_TYPES

PARTY_ENTITIES = {name: kind.qbo_entity for name, kind in PARTIES.items()}
_FORBIDDEN = re.compile(r"[:\t\n\r]")
SET_DEFAULTS = Fix(FixCode.SET_DEFAULTS)
ADD_EXCHANGE_RATE = Fix(FixCode.ADD_EXCHANGE_RATE)


@dataclass(frozen=True)
class Problem:
    """One reason QBO would refuse a record, with what fixes it."""

    code: str
    message: str
    fix: Fix | None


def map_list(entity_type: str) -> Fix:
    """Fixed in the mappings, at this list's section."""
    return Fix(FixCode.MAP_LIST, entity_type)


# ---------------------------------------------------------------- helpers


class Company:
    """What the checks need to know about the QBO company, read once."""

    def __init__(self, session: DbSession, realm_id: str) -> None:
        row = session.scalars(
            select(QboConnection).where(QboConnection.realm_id == realm_id)
        ).first()
        self.row = row
        self.us = is_us(row.country if row is not None else None)

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


def company_of(session: DbSession, realm_id: str) -> Company:
    """What the checks know about the company (read once per run)."""
    return lookups.remembered(session, ("company", realm_id),
                              lambda: Company(session, realm_id))


def preference(session: DbSession, realm_id: str, key: str) -> str | None:
    """A company default, read once per run (a run checks it for every record and line)."""
    return lookups.remembered(session, ("preference", realm_id, key),
                              lambda: mappings.preference(session, realm_id, key))


def name_problems(name: str | None, what: str, fix: Fix | None,
                  max_len: int = 100) -> list[Problem]:
    """QBO's name rules: not blank, no colon, tab or line break, not too long."""
    text = (name or "").strip()
    if not text:
        return [Problem("invalid_name", f"The {what} has no name; QuickBooks requires one.",
                        fix)]
    problems = []
    if _FORBIDDEN.search(name or ""):
        problems.append(Problem("invalid_name", f"“{text}”: QuickBooks names cannot contain a "
                                "colon, tab or line break.", fix))
    if len(text) > max_len:
        problems.append(Problem("invalid_name", f"“{text[:40]}…” is longer than QuickBooks' "
                                f"{max_len}-character limit.", fix))
    return problems


# One rule for "the same name" everywhere (app.sync.names).
display_key = name_key


def party_name(entity_type: str, record: Any) -> str:
    """The name QBO shows for a client, organization or associate."""
    return record.display_name if entity_type == "associate" else record.name


def list_problems(session: DbSession, realm_id: str, entity_type: str, record: Any,
                  company: Company, *, via: str = "") -> list[Problem]:
    """A list row (billing code, term, class, tax code, account, payment method)."""
    kind = LIST_KINDS[entity_type]
    label = kind.local_name(record)
    fix = map_list(entity_type)
    noun = kind.noun
    prefix = f"{via}: " if via else ""
    link = lookups.link(session, realm_id, entity_type, record.id)
    if link is None or not link.qbo_id:
        if not kind.creatable:
            reason = ("tax codes are read-only in QuickBooks" if entity_type == "tax_code"
                      else f"Ledgerhub does not create {noun}s in QuickBooks")
            return [Problem("not_mapped", f"{prefix}The {noun} “{label}” is not mapped to a "
                            f"QuickBooks {kind.qbo_entity} ({reason}). Map it first.", fix)]
        problems = name_problems(label, noun, Fix.edit(entity_type, record.id),
                                 kind.max_name)
        if entity_type == "billing_code" and not preference(session, realm_id,
                                                             "income_account"):
            problems.append(Problem(
                "default_missing", f"{prefix}The billing code “{label}” will be created as a "
                "QuickBooks item, which needs an income account: set the default income "
                "account, or map the billing code to an existing item.", SET_DEFAULTS))
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


def default_problem(session: DbSession, realm_id: str, key: str, why: str) -> Problem | None:
    """A required default that is unset, unknown or inactive in QBO."""
    spec = mappings.DEFAULT_KEYS[key]
    value = preference(session, realm_id, key)
    if not value:
        return Problem("default_missing", f"{why}: set “{spec.label}” in the QuickBooks "
                       "defaults.", SET_DEFAULTS)
    obj = mappings.qbo_object(session, realm_id, spec.entity or "", value)
    if obj is not None and not obj.active:
        return Problem("qbo_inactive", f"{why}: “{spec.label}” is set to “{obj.name}”, which "
                       "is inactive in QuickBooks.", SET_DEFAULTS)
    return None


_PARTY_SOURCES = (("client", Client, Client.name),
                  ("organization", Organization, Organization.name),
                  ("associate", Associate, Associate.display_name))


def _party_names(session: DbSession) -> dict[str, list[tuple[str, int, str]]]:
    """Every client, organization and associate by display key (read once per run)."""
    def load() -> dict[str, list[tuple[str, int, str]]]:
        index: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
        for other_type, model, column in _PARTY_SOURCES:
            for local_id, name in session.execute(select(model.id, column)):
                index[display_key(name)].append((other_type, local_id, name))
        return index

    return lookups.remembered(session, ("party_names",), load)


def _collisions(session: DbSession, entity_type: str, record: Any) -> list[str]:
    """Other clients, organizations and associates with the same display name."""
    key = display_key(party_name(entity_type, record))
    if not key:
        return []
    if lookups.active(session):
        candidates = _party_names(session).get(key, [])
    else:
        candidates = same_name_parties(session, party_name(entity_type, record))
    return [f"{other_type} “{name}”" for other_type, local_id, name in candidates
            if not (other_type == entity_type and local_id == record.id)
            and display_key(name) == key]


def _qbo_parties_named(session: DbSession, realm_id: str, key: str) -> list[QboObject]:
    """Cached QBO customers, vendors and employees with this display key."""
    parties = tuple(PARTY_ENTITIES.values())
    if not lookups.active(session):
        return [obj for obj in session.scalars(select(QboObject).where(
            QboObject.realm_id == realm_id, QboObject.entity.in_(parties)))
            if display_key(obj.name) == key]

    def load() -> dict[str, list[QboObject]]:
        index: dict[str, list[QboObject]] = defaultdict(list)
        for obj in session.scalars(select(QboObject).where(
                QboObject.realm_id == realm_id, QboObject.entity.in_(parties))):
            index[display_key(obj.name)].append(obj)
        return index

    return lookups.remembered(session, ("qbo_parties", realm_id), load).get(key, [])


def _qbo_name_taken(session: DbSession, realm_id: str, entity_type: str, record: Any
                    ) -> str | None:
    """A QBO party of another kind (or linked to another record) already has the name."""
    key = display_key(party_name(entity_type, record))
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


def _currency_problems(session: DbSession, realm_id: str, entity_type: str, record: Any,
                       company: Company) -> list[Problem]:
    """A client's or organization's currency against the company's settings and QBO."""
    currency = record.currency
    fix = Fix.edit(entity_type, record.id)
    label = party_name(entity_type, record)
    if currency != company.home and not company.multicurrency:
        return [Problem("multicurrency_off", f"“{label}” uses {currency}, but multi-currency "
                        f"is off in QuickBooks (home currency {company.home}). Turn "
                        "multi-currency on in QuickBooks, or use the home currency.", fix)]
    link = lookups.link(session, realm_id, entity_type, record.id)
    if link is not None and link.qbo_id:
        obj = mappings.qbo_object(session, realm_id, PARTY_ENTITIES[entity_type], link.qbo_id)
        if obj is not None and obj.currency and obj.currency != currency:
            return [Problem("currency_mismatch", f"“{label}” uses {currency} here but "
                            f"{obj.currency} in QuickBooks; QuickBooks never changes a "
                            f"party's currency. Set it back to {obj.currency}.", fix)]
    return []


def _party_problems(session: DbSession, realm_id: str, entity_type: str, record: Any,
                    company: Company) -> list[Problem]:
    name = party_name(entity_type, record)
    fix = Fix.edit(entity_type, record.id)
    what = PARTIES[entity_type].noun
    problems = name_problems(name, what, fix)
    others = _collisions(session, entity_type, record)
    if others:
        problems.append(Problem("duplicate_name", f"“{name.strip()}” is also the name of "
                                f"{', '.join(others)}. QuickBooks requires display names to be "
                                "unique across customers, vendors and employees: rename one.",
                                fix))
    linked = lookups.link(session, realm_id, entity_type, record.id)
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


def _transaction_currency(session: DbSession, entity_type: str, record: Any, party: Any,
                          on: date, company: Company) -> list[Problem]:
    """A transaction's currency: the party's, accepted by QBO, with a rate when foreign."""
    currency = record.currency
    fix = Fix.edit(entity_type, record.id)
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
                        f"table (home-currency units per one {currency}).", ADD_EXCHANGE_RATE)]
    return []


def _invoice_problems(session: DbSession, realm_id: str, invoice: Invoice,
                      company: Company) -> list[Problem]:
    fix = Fix.edit("invoice", invoice.id)
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
            problems.extend(list_problems(session, realm_id, entity_type, row, company))

    for number, line in enumerate(invoice.lines, start=1):
        refer("billing_code", line.billing_code)
        if line.billing_code is not None:
            continue
        if line.kind == LineKind.MILEAGE:
            problem = default_problem(session, realm_id, "invoice_mileage_item",
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


def _global_tax_problems(session: DbSession, realm_id: str, invoice: Invoice,
                         taxable_code: TaxCode | None) -> list[Problem]:
    """Outside the US every line needs a tax code."""
    problems = []
    if taxable_code is None and any(line.taxable for line in invoice.lines):
        problems.append(Problem("tax_code_missing", "Some lines are taxable but the invoice has "
                                "no tax code; outside the US QuickBooks needs a tax code on "
                                "every line.", Fix.edit("invoice", invoice.id)))
    if any(not line.taxable or taxable_code is None for line in invoice.lines):
        problem = default_problem(session, realm_id, "exempt_tax_code",
                                   "Non-taxable lines need a tax code outside the US")
        if problem:
            problems.append(problem)
    return problems


def mileage_problem(session: DbSession, realm_id: str) -> Problem | None:
    """Mileage needs a mileage item or a mileage expense account, active in QBO."""
    if preference(session, realm_id, "mileage_item"):
        return default_problem(session, realm_id, "mileage_item", "Mileage")
    if preference(session, realm_id, "mileage_account"):
        return default_problem(session, realm_id, "mileage_account", "Mileage")
    return Problem("default_missing", "Mileage: set a mileage item or a mileage expense "
                   "account in the QuickBooks defaults.", SET_DEFAULTS)


def _owed_as_purchase(session: DbSession, realm_id: str) -> bool:
    """True when associates' expenses are recorded as already paid (a Purchase)."""
    return preference(session, realm_id, "associate_expenses_as") == "purchase"


def _expense_problems(session: DbSession, realm_id: str, entry: Any,
                      company: Company) -> list[Problem]:
    problems = []
    # A bill owed to the associate is paid later: no payment account is involved yet.
    paid = _owed_as_purchase(session, realm_id)
    keys = (("expense_payment_account", "Expenses"),) if paid else ()
    for key, why in (*keys, ("expense_account", "Expenses")):
        problem = default_problem(session, realm_id, key, why)
        if problem:
            problems.append(problem)
    if paid:
        account = mappings.qbo_object(session, realm_id, "Account",
                                      preference(session, realm_id, "expense_payment_account"))
        mismatch = mappings.payment_account_problem(
            preference(session, realm_id, "expense_payment_type"), account)
        if mismatch:
            problems.append(Problem("payment_account", mismatch, SET_DEFAULTS))
    if entry.billing_code is not None:
        problems += list_problems(session, realm_id, "billing_code", entry.billing_code,
                                   company)
    return problems


def _entry_party_currency(entry: Any, company: Company) -> list[Problem]:
    """Entries are in the home currency; a billable client must be able to take them."""
    client = entry.client
    if client is None or client.currency == company.home:
        return []
    if not company.multicurrency:
        return [Problem("multicurrency_off", f"The client “{client.name}” uses "
                        f"{client.currency}, but multi-currency is off in QuickBooks.",
                        Fix.edit("client", client.id))]
    return []


def _po_problems(session: DbSession, realm_id: str, po: Any,
                 company: Company) -> list[Problem]:
    fix = Fix.edit("purchase_order", po.id)
    problems: list[Problem] = []
    if not po.lines:
        problems.append(Problem("no_lines", "The purchase order has no lines; QuickBooks needs "
                                "at least one.", fix))
    problems += _transaction_currency(session, "purchase_order", po, po.organization,
                                      po.order_date, company)
    if preference(session, realm_id, "ap_account"):  # optional: QBO uses its A/P otherwise
        problem = default_problem(session, realm_id, "ap_account", "Purchase orders")
        if problem:
            problems.append(problem)
    seen: set[tuple[str, int]] = set()
    for number, line in enumerate(po.lines, start=1):
        for entity_type, row in (("billing_code", line.billing_code),
                                 ("account", line.account)):
            if row is not None and (entity_type, row.id) not in seen:
                seen.add((entity_type, row.id))
                problems += list_problems(session, realm_id, entity_type, row, company)
        if line.billing_code is None and line.account is None:
            problems.append(Problem("no_item", f"Line {number} has neither a billing code nor "
                                    "an account.", fix))
    return problems


# ---------------------------------------------------------------- public API


def check_record(session: DbSession, realm_id: str, entity_type: str, record: Any
                 ) -> list[Problem]:
    """Every problem QBO would refuse this record for that can be known before writing."""
    company = company_of(session, realm_id)
    if entity_type in PARTY_ENTITIES:
        return _party_problems(session, realm_id, entity_type, record, company)
    if entity_type == "associate_vendor":
        return name_problems(associate_vendor_name(record), "associate",
                             Fix.edit("associate", record.id))
    if entity_type in LIST_KINDS:
        return list_problems(session, realm_id, entity_type, record, company)
    if entity_type == "invoice":
        return _invoice_problems(session, realm_id, record, company)
    if entity_type == "purchase_order":
        return _po_problems(session, realm_id, record, company)
    if entity_type in ("hours", "expense", "mileage"):
        problems = _entry_party_currency(record, company)
        if entity_type == "expense":
            problems += _expense_problems(session, realm_id, record, company)
        elif entity_type == "mileage":
            mileage = mileage_problem(session, realm_id)
            problems += [mileage] if mileage else []
        elif record.billing_code is not None:
            problems += list_problems(session, realm_id, "billing_code", record.billing_code,
                                       company)
        return problems
    if entity_type in RECORD_TYPES:
        return []  # a record type without rules of its own: QBO's answer is the check
    raise ValueError(f"Unknown entity type {entity_type!r}")


