"""Mappings between Ledgerhub's lists and QBO's, and the per-company default accounts.

A mapping is a QboLink with origin MAPPED pointing at a row of the QboObject cache. The push
engine resolves every list reference through ``mapped_qbo_id``; lists QBO lets an app create
(Items, Terms, Classes) may stay unmapped and are created by the push. Which lists are mapped,
and to what, is ``app.sync.registry.MAPPED_LISTS``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from app.database import DbSession
from app.models import Account, LinkOrigin, LinkState, QboLink, QboObject, QboPreference
from app.models.base import utcnow
from app.sync import lookups
from app.sync.names import name_key
from app.sync.registry import MAPPED_LISTS, RecordType


class MappingError(ValueError):
    """A mapping or default that cannot be saved; the message is shown to the user."""


# AccountType values (QboObject.subtype) that fit each kind of default.
EXPENSE_TYPES = ("Expense", "Other Expense", "Cost of Goods Sold")
INCOME_TYPES = ("Income", "Other Income")
PAYMENT_TYPES = ("Cash", "Check", "CreditCard")
TAX_MODES = ("qbo", "override")
GLOBAL_TAX_MODES = ("TaxExcluded", "TaxInclusive")


@dataclass(frozen=True)
class DefaultSpec:
    """A per-company default: a QBO row of an entity (and account types), or a fixed choice."""

    key: str
    label: str
    help: str
    entity: str | None = None
    subtypes: tuple[str, ...] = ()
    choices: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    default: str | None = None


DEFAULT_KEYS: dict[str, DefaultSpec] = {d.key: d for d in (
    DefaultSpec("ar_account", "Accounts receivable (A/R) account",
                "Where invoices post.", "Account", ("Accounts Receivable",)),
    DefaultSpec("ap_account", "Accounts payable (A/P) account",
                "Where purchase orders and bills post.", "Account",
                ("Accounts Payable",)),
    DefaultSpec("associate_expenses_as", "Associates' expenses and mileage are recorded as",
                "Owed to the associate: a bill payable to a vendor record for them "
                "(“Name (expenses)”), paid later; the usual way. Already paid: an expense "
                "paid from the account below, as money that has left it.",
                choices=(("bill", "A bill payable to the associate (owed)"),
                         ("purchase", "An expense paid from the account below (already paid)")),
                default="bill"),
    DefaultSpec("expense_payment_account", "Expenses are paid from",
                "The bank or credit-card account associates' expenses are paid from.",
                "Account", ("Bank", "Credit Card")),
    DefaultSpec("expense_payment_type", "Expense payment type",
                "Credit card needs a credit-card account above; cash and check a bank account.",
                choices=(("Cash", "Cash"), ("Check", "Check"), ("CreditCard", "Credit card")),
                default="Cash"),
    DefaultSpec("expense_account", "Expense account",
                "Expense category of associates' expenses and expense billing codes.",
                "Account", EXPENSE_TYPES),
    DefaultSpec("mileage_item", "Mileage item",
                "The QBO item mileage is recorded with (or set a mileage account below).",
                "Item"),
    DefaultSpec("invoice_mileage_item", "Item for mileage billed to clients",
                "Invoice mileage lines without a billing code are sold as this item.", "Item"),
    DefaultSpec("mileage_account", "Mileage expense account",
                "Used for mileage when no mileage item is set.", "Account", EXPENSE_TYPES),
    DefaultSpec("income_account", "Income account for new items",
                "The income account of the products and services Ledgerhub creates in "
                "QuickBooks for billing codes that are not mapped.",
                "Account", INCOME_TYPES),
    DefaultSpec("exempt_tax_code", "Tax code for non-taxable lines (outside the US)",
                "Companies outside the US need a tax code on every line, e.g. Exempt or "
                "Zero-rated.", "TaxCode"),
    DefaultSpec("global_tax_calculation", "Prices on invoices (outside the US)",
                "Whether line amounts exclude or include tax: the default of new invoices, "
                "each of which can choose otherwise.",
                choices=(("TaxExcluded", "Exclusive of tax"),
                         ("TaxInclusive", "Inclusive of tax")), default="TaxExcluded"),
    DefaultSpec("tax_mode", "Sales tax on copied invoices",
                "Either QuickBooks calculates the tax (with automated sales tax: from the "
                "customer's address) and the invoice here then shows QuickBooks' tax and "
                "total, or the tax Ledgerhub calculated is sent and QuickBooks keeps it as "
                "the invoice's tax (a tax override).",
                choices=(("qbo", "QuickBooks calculates the tax; show its figures here"),
                         ("override", "Send Ledgerhub's tax; QuickBooks keeps it")),
                default="qbo"),
)}

# Defaults every go-live needs (mileage is checked as "item or account").
REQUIRED_DEFAULTS = ("ar_account", "ap_account", "expense_payment_account", "expense_account",
                     "income_account")


# ---------------------------------------------------------------- links and preferences


def mapped_qbo_id(session: DbSession, realm_id: str, entity_type: str,
                  local_id: int) -> str | None:
    """The QBO Id a local record is linked or mapped to in this company (any origin)."""
    link = lookups.link(session, realm_id, entity_type, local_id)
    return link.qbo_id if link is not None else None


def mapped_ids(session: DbSession, realm_id: str, entity_type: str) -> dict[int, QboLink]:
    """All links of one local list in one company, by local id."""
    links = session.scalars(
        select(QboLink).where(QboLink.realm_id == realm_id, QboLink.entity_type == entity_type)
    )
    return {link.local_id: link for link in links}


def preference(session: DbSession, realm_id: str, key: str) -> str | None:
    """A company default (or its built-in default for choice settings)."""
    value = session.scalar(
        select(QboPreference.value).where(QboPreference.realm_id == realm_id,
                                          QboPreference.key == key)
    )
    if value in (None, "") and key in DEFAULT_KEYS:
        return DEFAULT_KEYS[key].default
    return value


def set_preference(session: DbSession, realm_id: str, key: str, value: str | None) -> None:
    """Store a company default; None or '' clears it. Flushes, does not commit."""
    row = session.scalars(
        select(QboPreference).where(QboPreference.realm_id == realm_id,
                                    QboPreference.key == key)
    ).first()
    if value in (None, ""):
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(QboPreference(realm_id=realm_id, key=key, value=value))
    else:
        row.value = value
    session.flush()


# ---------------------------------------------------------------- the QBO side (cache)


def qbo_object(session: DbSession, realm_id: str, entity: str, qbo_id: str | None
               ) -> QboObject | None:
    """One cached QBO row."""
    if not qbo_id:
        return None
    return lookups.remembered(session, ("qbo_object", realm_id, entity, qbo_id), lambda: (
        session.scalars(select(QboObject).where(
            QboObject.realm_id == realm_id, QboObject.entity == entity,
            QboObject.qbo_id == qbo_id)).first()))


# In US companies QBO's "TAX" and "NON" codes only mark lines taxable or not: a transaction's
# tax code must be a real sales tax code or group, so local tax codes never map to them.
US_LINE_MARKERS = frozenset({"TAX", "NON"})


def qbo_choices(session: DbSession, realm_id: str, entity: str,
                subtypes: Iterable[str] = ()) -> list[QboObject]:
    """Cached QBO rows of one list (active first, then by name), optionally of some types."""
    stmt = select(QboObject).where(QboObject.realm_id == realm_id, QboObject.entity == entity)
    wanted = tuple(subtypes)
    if wanted:
        stmt = stmt.where(QboObject.subtype.in_(wanted))
    rows = session.scalars(stmt).all()
    return sorted(rows, key=lambda o: (not o.active, o.name.casefold()))


def refusal(obj: QboObject, us: bool) -> str | None:
    """Why QuickBooks would refuse this row as a mapping target, or None."""
    if not obj.active:
        # QBO answers 610 "Object Not Found" for a reference to an inactive entry.
        return "it is inactive in QuickBooks, which refuses references to inactive entries"
    if us and obj.entity == "TaxCode" and obj.qbo_id in US_LINE_MARKERS:
        return ("it only marks US invoice lines as taxable or not; an invoice needs a sales "
                "tax code or rate group")
    return None


# Suggestions use the same rule as every other name comparison (app.sync.names).
normalize = name_key


def _compatible(kind: RecordType, record: Any, obj: QboObject) -> bool:
    """An account suggestion must be of the same type; US line markers are no tax codes."""
    if obj.entity == "TaxCode" and obj.qbo_id in US_LINE_MARKERS:
        return False
    if isinstance(record, Account) and obj.subtype:
        return obj.subtype == record.account_type.value
    return True


def _local_rows(session: DbSession, kind: RecordType, active_only: bool = True) -> list[Any]:
    stmt = select(kind.model)
    if active_only:
        stmt = stmt.where(kind.model.active.is_(True))
    return list(session.scalars(stmt.order_by(getattr(kind.model, kind.name_column))))


def suggestions(session: DbSession, realm_id: str, entity_type: str) -> dict[int, QboObject | None]:
    """For each active local row of a list, the active QBO row with the same normalized name."""
    kind = MAPPED_LISTS[entity_type]
    by_name: dict[str, list[QboObject]] = {}
    for obj in qbo_choices(session, realm_id, kind.qbo_entity):
        if obj.active:
            by_name.setdefault(normalize(obj.name), []).append(obj)
            full = (obj.data or {}).get("FullyQualifiedName")
            if isinstance(full, str) and full != obj.name:
                by_name.setdefault(normalize(full), []).append(obj)
    result: dict[int, QboObject | None] = {}
    for record in _local_rows(session, kind):
        found = None
        for name in kind.names(record):
            candidates = [o for o in by_name.get(normalize(name), [])
                          if _compatible(kind, record, o)]
            if candidates:
                found = candidates[0]
                break
        result[record.id] = found
    return result


# ---------------------------------------------------------------- saving mappings


def set_mapping(session: DbSession, realm_id: str, entity_type: str, local_id: int,
                qbo_id: str | None) -> QboLink | None:
    """Map a local list row to a cached QBO row (None removes a mapping). Flushes only.

    Raises MappingError when the QBO row is unknown, or when the row was created in QBO by a
    push or import (unlinking it would create a duplicate).
    """
    kind = MAPPED_LISTS.get(entity_type)
    if kind is None:
        raise MappingError(f"Unknown list {entity_type!r}.")
    if session.get(kind.model, local_id) is None:
        raise MappingError("That record no longer exists.")
    link = lookups.link(session, realm_id, entity_type, local_id)
    if not qbo_id:
        if link is None:
            return None
        if link.origin != LinkOrigin.MAPPED:
            raise MappingError("This record was copied to or from QuickBooks; it stays linked "
                               "to its QuickBooks counterpart. Map it to another row instead.")
        session.delete(link)
        session.flush()
        return None
    obj = qbo_object(session, realm_id, kind.qbo_entity, qbo_id)
    if obj is None:
        raise MappingError(f"QuickBooks {kind.qbo_entity} #{qbo_id} is not in the imported "
                           "lists. Refresh the lists and try again.")
    if link is None:
        link = QboLink(realm_id=realm_id, entity_type=entity_type, local_id=local_id)
        session.add(link)
    elif link.qbo_id == qbo_id:
        return link
    link.qbo_id = obj.qbo_id
    link.sync_token = obj.sync_token
    link.origin = LinkOrigin.MAPPED
    link.state = LinkState.SYNCED
    link.pushed_hash = None
    link.pending_request_id = None
    link.last_error = None
    link.synced_at = utcnow()
    session.flush()
    return link


def accept_suggestions(session: DbSession, realm_id: str, entity_type: str) -> int:
    """Map every unmapped active row that has a suggestion; returns how many. Flushes only."""
    links = mapped_ids(session, realm_id, entity_type)
    count = 0
    for local_id, obj in suggestions(session, realm_id, entity_type).items():
        if obj is not None and local_id not in links:
            set_mapping(session, realm_id, entity_type, local_id, obj.qbo_id)
            count += 1
    return count


def check_default(session: DbSession, realm_id: str, key: str, value: str | None) -> str | None:
    """Why a default value is not acceptable, or None."""
    spec = DEFAULT_KEYS.get(key)
    if spec is None:
        return f"Unknown setting {key!r}."
    if value in (None, ""):
        return None
    if spec.choices:
        return None if value in dict(spec.choices) else "Choose one of the listed options."
    obj = qbo_object(session, realm_id, spec.entity or "", value)
    if obj is None:
        return "That QuickBooks row is not in the imported lists."
    if spec.subtypes and obj.subtype not in spec.subtypes:
        return f"Choose an account of type {' or '.join(spec.subtypes)}."
    return None


def save_defaults(session: DbSession, realm_id: str, values: dict[str, str | None]
                  ) -> dict[str, str]:
    """Validate and store defaults; returns errors by key and writes nothing if any."""
    errors = {key: message for key, value in values.items()
              if (message := check_default(session, realm_id, key, value))}
    pay_type = values.get("expense_payment_type", preference(session, realm_id,
                                                             "expense_payment_type"))
    account = qbo_object(session, realm_id, "Account",
                         values.get("expense_payment_account",
                                    preference(session, realm_id, "expense_payment_account")))
    problem = payment_account_problem(pay_type, account)
    if problem and "expense_payment_type" not in errors:
        errors["expense_payment_type"] = problem
    if errors:
        return errors
    for key, value in values.items():
        set_preference(session, realm_id, key, value)
    return {}


def payment_account_problem(payment_type: str | None, account: QboObject | None) -> str | None:
    """QBO refuses a credit-card expense from a bank account and the reverse."""
    if account is None or not payment_type or not account.subtype:
        return None
    wanted = "Credit Card" if payment_type == "CreditCard" else "Bank"
    if account.subtype != wanted:
        return (f"A {payment_type} expense must be paid from a {wanted} account; "
                f"“{account.name}” is a {account.subtype} account.")
    return None


def income_account_name(session: DbSession, realm_id: str, item: QboObject) -> str | None:
    """The name of an item's income account (from the item, else the account cache)."""
    ref = (item.data or {}).get("IncomeAccountRef")
    if isinstance(ref, dict):  # a full QBO reference
        if ref.get("name"):
            return str(ref["name"])
        ref = ref.get("value")
    if not ref:
        return None
    account = qbo_object(session, realm_id, "Account", str(ref))
    return account.name if account is not None else None


def rows_with_links(session: DbSession, realm_id: str, entity_type: str,
                    active_only: bool = True) -> list[tuple[Any, QboLink | None]]:
    """The local rows of a list with their link in this company."""
    kind = MAPPED_LISTS[entity_type]
    links = mapped_ids(session, realm_id, entity_type)
    return [(row, links.get(row.id)) for row in _local_rows(session, kind, active_only)]

