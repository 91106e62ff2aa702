"""Go-live readiness: the checklist a QBO admin works through before the first copy.

Each check runs pre-flight's rules (``app.sync.preflight``) over the whole database and says
what fixes it as a ``Fix`` (a code and the record concerned); the web layer makes the link.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from app.database import DbSession
from app.models import (
    Associate,
    Client,
    ConnectionStatus,
    Fix,
    FixCode,
    Invoice,
    InvoiceLine,
    LineKind,
    Organization,
    QboObject,
    TaxCode,
)
from app.models.base import utcnow
from app.models.people import as_utc
from app.sync import mappings, sales_tax
from app.sync.currency import rate_for
from app.sync.lists import LIST_ENTITIES
from app.sync.preflight import (
    ADD_EXCHANGE_RATE,
    PARTY_ENTITIES,
    SET_DEFAULTS,
    Company,
    Problem,
    company_of,
    default_problem,
    display_key,
    list_problems,
    map_list,
    mileage_problem,
    party_name,
    preference,
)
from app.sync.registry import MAPPED_LISTS as LIST_KINDS
from app.sync.tax import qbo_percent, rate_difference

MAX_LIST_AGE = timedelta(hours=24)
CONNECT = Fix(FixCode.CONNECT)
IMPORT_LISTS = Fix(FixCode.IMPORT_LISTS)


@dataclass(frozen=True)
class Check:
    """One line of the go-live checklist."""

    name: str
    ok: bool
    count: int
    message: str
    fix: Fix | None
    key: str = ""


def _check(key: str, name: str, count: int, ok_message: str, bad_message: str,
           fix: Fix | None) -> Check:
    ok = count == 0
    return Check(name, ok, count, ok_message if ok else bad_message, fix, key)


def _lists_check(session: DbSession, realm_id: str) -> Check:
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
                  "Import the QuickBooks lists (" + "; ".join(parts) + ").", IMPORT_LISTS)


def _tax_codes_in_use(session: DbSession, us: bool) -> list[TaxCode]:
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


def _tax_rates_check(session: DbSession, realm_id: str) -> Check:
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
                  map_list("tax_code"))


MAPPING_CODES = ("not_mapped", "qbo_inactive", "invalid_name", "tax_code_marker")


def _mapping_check(session: DbSession, realm_id: str, entity_type: str,
                   company: Company) -> Check:
    kind = LIST_KINDS[entity_type]
    if entity_type == "tax_code" and company.automated:
        return Check(f"{kind.title} mapped", True, 0,
                     "Not needed: with automated sales tax QuickBooks calculates sales tax "
                     "from the customer's address and ignores tax codes, so Ledgerhub does "
                     "not send them.", map_list(entity_type), "map_tax_code")
    if entity_type == "tax_code":
        rows = _tax_codes_in_use(session, company.us)
    else:
        rows = [row for row, _ in mappings.rows_with_links(session, realm_id, entity_type)]
    bad = []
    for row in rows:
        problems = [p for p in list_problems(session, realm_id, entity_type, row, company)
                    if p.code in MAPPING_CODES]
        if problems:
            bad.append(kind.local_name(row))
    how = "mapped or will be created by the push" if kind.creatable else "mapped"
    in_use = " in use" if entity_type == "tax_code" else ""
    return _check(f"map_{entity_type}", f"{kind.title} mapped", len(bad),
                  f"Every active {kind.noun}{in_use} is {how}.",
                  f"{len(bad)} need attention: {', '.join(bad[:8])}"
                  f"{'…' if len(bad) > 8 else ''}.", map_list(entity_type))


def duplicate_names(session: DbSession) -> list[list[tuple[str, Any]]]:
    """Groups of clients, organizations and associates sharing a display name."""
    groups: dict[str, list[tuple[str, Any]]] = defaultdict(list)
    for entity_type, model in (("client", Client), ("organization", Organization),
                               ("associate", Associate)):
        for row in session.scalars(select(model)):
            key = display_key(party_name(entity_type, row))
            if key:
                groups[key].append((entity_type, row))
    return [group for group in groups.values() if len(group) > 1]


def _names_check(session: DbSession) -> Check:
    groups = duplicate_names(session)
    fix = None
    if groups:
        entity_type, row = groups[0][0]
        fix = Fix.edit(entity_type, row.id)
    examples = ", ".join(f"“{party_name(*g[0]).strip()}” ({len(g)}×)" for g in groups[:5])
    return _check("names", "Display names unique across clients, organizations and associates",
                  len(groups), "No two clients, organizations or associates share a name.",
                  f"Shared names: {examples}. Rename all but one in each group.", fix)


def _currency_check(session: DbSession, realm_id: str, company: Company) -> Check:
    reasons: list[str] = []
    fix = None
    parties: tuple[tuple[str, type[Client] | type[Organization]], ...] = (
        ("client", Client), ("organization", Organization))
    for entity_type, model in parties:
        links = mappings.mapped_ids(session, realm_id, entity_type)
        noun = "customer" if entity_type == "client" else "vendor"
        qbo_rows = session.execute(
            select(QboObject.qbo_id, QboObject.name, QboObject.currency).where(
                QboObject.realm_id == realm_id,
                QboObject.entity == PARTY_ENTITIES[entity_type])).tuples().all()
        by_id = {qbo_id: currency for qbo_id, _, currency in qbo_rows}
        by_name = {display_key(name): (qbo_id, currency) for qbo_id, name, currency in qbo_rows}
        rows: list[Client | Organization] = list(session.scalars(
            select(model).where(model.active.is_(True))))
        for row in rows:
            reason = _party_currency_reason(row, links.get(row.id), by_id, by_name, noun,
                                            company)
            if reason:
                reasons.append(reason)
                fix = fix or Fix.edit(entity_type, row.id)
    mode = (f"multi-currency on, home {company.home}" if company.multicurrency
            else f"multi-currency off, home {company.home}")
    return _check("currencies", "Client and organization currencies accepted by QuickBooks",
                  len(reasons), f"Every currency is accepted ({mode}).",
                  f"Not accepted ({mode}): {'; '.join(reasons[:8])}"
                  f"{'…' if len(reasons) > 8 else ''}.", fix)


def _party_currency_reason(row: Any, link: Any, by_id: dict[str, str | None],
                           by_name: dict[str, tuple[str, str | None]], noun: str,
                           company: Company) -> str | None:
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


def _rates_check(session: DbSession, company: Company) -> Check:
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
                  "transaction).", ADD_EXCHANGE_RATE)


def _defaults_check(session: DbSession, realm_id: str, company: Company) -> Check:
    problems = [p for key in mappings.REQUIRED_DEFAULTS
                if (p := default_problem(session, realm_id, key, "Defaults"))]
    mileage = mileage_problem(session, realm_id)
    if mileage:
        problems.append(mileage)
    if session.scalar(select(InvoiceLine.id).where(InvoiceLine.kind == LineKind.MILEAGE,
                                                   InvoiceLine.billing_code_id.is_(None))
                      .limit(1)) is not None:
        invoiced = default_problem(session, realm_id, "invoice_mileage_item",
                                    "Invoice mileage lines")
        if invoiced:
            problems.append(invoiced)
    if not company.us:
        exempt = default_problem(session, realm_id, "exempt_tax_code", "Defaults")
        if exempt:
            problems.append(exempt)
    account = mappings.qbo_object(session, realm_id, "Account",
                                  preference(session, realm_id, "expense_payment_account"))
    mismatch = mappings.payment_account_problem(
        preference(session, realm_id, "expense_payment_type"), account)
    if mismatch:
        problems.append(Problem("payment_account", mismatch, SET_DEFAULTS))
    labels = []
    for p in problems:
        labels.append(p.message.split(": ", 1)[-1])
    return _check("defaults", "Default accounts set", len(problems),
                  "A/R, A/P, expense, payment, income and mileage defaults are set.",
                  " ".join(labels), SET_DEFAULTS)


def _sales_tax_check(session: DbSession, realm_id: str, company: Company) -> Check:
    """Which sales tax model applies and what it means for invoices (information, never due)."""
    if company.row is None:
        return Check("Sales tax model", True, 0, "Known once QuickBooks is connected: "
                     "automated sales tax (QuickBooks calculates it from the customer's "
                     "address) or manual tax codes.", CONNECT, "sales_tax")
    text = sales_tax.describe(company.row, preference(session, realm_id, "tax_mode"))
    return Check(f"Sales tax: {text.title}", True, 0, f"{text.rule} {text.invoices}",
                 SET_DEFAULTS, "sales_tax")


def readiness(session: DbSession, realm_id: str) -> list[Check]:
    """The go-live checklist for a company, each item with a count and a link to the fix."""
    company = company_of(session, realm_id)
    row = company.row
    connected = row is not None and row.status == ConnectionStatus.CONNECTED
    checks = [Check("Connected to QuickBooks", connected, 0 if connected else 1,
                    f"Connected to “{row.company_name or realm_id}”." if connected and row
                    else "Not connected: connect (or reconnect) to QuickBooks.",
                    CONNECT, "connected")]
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
