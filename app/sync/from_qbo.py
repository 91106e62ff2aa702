"""What each imported QBO row becomes in Ledgerhub: one builder per QBO entity.

A builder gets the QBO row, its cache description (``app.sync.lists.describe``) and an
``Incoming`` context, and returns a new local record that is not yet in the session. It raises
``Unusable`` when Ledgerhub has no place for the row and ``TooLong`` when a person must decide.
``app.sync.registry`` names the builder of each importable entity.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from app.database import DbSession
from app.models import (
    Account,
    AccountType,
    Associate,
    BillingCode,
    BillingCodeKind,
    Client,
    Organization,
    PaymentMethod,
    PaymentTerm,
    PermissionLevel,
    QboLink,
    TaxCode,
    TxnClass,
)

_CENT = Decimal("0.01")
Row = Mapping[str, Any]


class Unusable(Exception):
    """Ledgerhub has no place for this QBO row (skipped, with the reason)."""


class TooLong(Exception):
    """A name longer than the local column holds: a person must decide (never truncated)."""


@dataclass
class Incoming:
    """What builders share: the realm's links (QBO id -> local id) and the home currency."""

    session: DbSession
    realm_id: str
    home: str
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


def column_limit(model: type[Any], column: str) -> int | None:
    """The length of a string column (None when unbounded)."""
    return getattr(model.__table__.c[column].type, "length", None)


def _clip(value: Any, model: type[Any], column: str) -> str | None:
    if value in (None, ""):
        return None
    text = str(value)
    limit = column_limit(model, column)
    return text[:limit] if limit else text


def _decimal(value: Any, places: Decimal = _CENT) -> Decimal | None:
    if value in (None, "") or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value)).quantize(places, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None


def _check_name(model: type[Any], column: str, name: str) -> str:
    limit = column_limit(model, column)
    if not name.strip():
        raise Unusable("it has no name")
    if limit and len(name) > limit:
        raise TooLong(f"its name is {len(name)} characters long and Ledgerhub keeps at most "
                      f"{limit}; shorten it in QuickBooks and import again")
    return name


def _address_fields(record: Any, address: Mapping[str, str] | None) -> None:
    if not address:
        return
    model = type(record)
    for key, column in (("line1", "address_line1"), ("line2", "address_line2"),
                        ("city", "city"), ("region", "region"),
                        ("postal_code", "postal_code"), ("country", "country")):
        setattr(record, column, _clip(address.get(key), model, column))


# ---------------------------------------------------------------- lists


def account(row: Row, info: Mapping[str, Any], ctx: Incoming) -> Account:
    """Account -> Account (of a type Ledgerhub uses)."""
    kind: Any = row.get("AccountType")
    try:
        account_type = AccountType(kind)
    except ValueError as exc:
        raise Unusable(f"Ledgerhub does not use {kind or 'untyped'} accounts") from exc
    return Account(name=_check_name(Account, "name", info["name"]), account_type=account_type,
                   number=_clip(row.get("AcctNum"), Account, "number"), active=info["active"])


_ITEM_KINDS = {"Service": BillingCodeKind.HOURLY, "NonInventory": BillingCodeKind.EXPENSE}


def item(row: Row, info: Mapping[str, Any], ctx: Incoming) -> BillingCode:
    """Service or non-inventory Item -> billing code."""
    kind = row.get("Type")
    if kind not in _ITEM_KINDS:
        raise Unusable(f"{kind or 'untyped'} items are not billing codes")
    return BillingCode(code=_check_name(BillingCode, "code", info["name"]),
                       kind=_ITEM_KINDS[kind], description=row.get("Description") or None,
                       default_rate=_decimal(row.get("UnitPrice")),
                       taxable=bool(row.get("Taxable")), active=info["active"])


def payment_method(row: Row, info: Mapping[str, Any], ctx: Incoming) -> PaymentMethod:
    """PaymentMethod -> payment method."""
    return PaymentMethod(name=_check_name(PaymentMethod, "name", info["name"]),
                         active=info["active"])


def term(row: Row, info: Mapping[str, Any], ctx: Incoming) -> PaymentTerm:
    """Term -> payment term."""
    days = row.get("DueDays")
    return PaymentTerm(name=_check_name(PaymentTerm, "name", info["name"]),
                       due_days=int(days) if isinstance(days, int | Decimal) else 0,
                       active=info["active"])


def txn_class(row: Row, info: Mapping[str, Any], ctx: Incoming) -> TxnClass:
    """Class -> class."""
    return TxnClass(name=_check_name(TxnClass, "name", info["name"]), active=info["active"])


def tax_code(row: Row, info: Mapping[str, Any], ctx: Incoming) -> TaxCode:
    """TaxCode -> tax code, with the sum of its sales rates."""
    name = info["name"]
    rate = _decimal(info["data"].get("rate_percent"), Decimal("0.0001")) or Decimal("0")
    return TaxCode(code=_check_name(TaxCode, "code", name),
                   name=_clip(row.get("Description") or name, TaxCode, "name") or name,
                   rate_percent=rate, taxable=bool(row.get("Taxable")), active=info["active"])


# ---------------------------------------------------------------- parties


def customer(row: Row, info: Mapping[str, Any], ctx: Incoming) -> Client:
    """Customer -> client (a sub-customer notes its parent)."""
    data = info["data"]
    company = data.get("CompanyName")
    person = " ".join(p for p in (data.get("GivenName"), data.get("FamilyName")) if p)
    notes = data.get("Notes")
    if data.get("ParentRef"):
        parent = (data.get("FullyQualifiedName") or "").rpartition(":")[0]
        notes = "\n".join(p for p in (notes, f"Sub-customer of {parent}" if parent else
                                      "Sub-customer in QuickBooks") if p)
    client = Client(name=_check_name(Client, "name", info["name"]), is_company=bool(company),
                    contact_name=_clip(person if company else None, Client, "contact_name"),
                    email=_clip(data.get("email"), Client, "email"),
                    phone=_clip(data.get("phone"), Client, "phone"),
                    currency=info["currency"] or ctx.home, notes=notes or None,
                    active=info["active"],
                    payment_term_id=ctx.local("payment_term", data.get("SalesTermRef")),
                    tax_code_id=ctx.local("tax_code", data.get("DefaultTaxCodeRef")))
    _address_fields(client, data.get("address"))
    return client


def vendor(row: Row, info: Mapping[str, Any], ctx: Incoming) -> Organization:
    """Vendor -> organization."""
    data = info["data"]
    org = Organization(name=_check_name(Organization, "name", info["name"]),
                       email=_clip(data.get("email"), Organization, "email"),
                       phone=_clip(data.get("phone"), Organization, "phone"),
                       currency=info["currency"] or ctx.home, notes=data.get("Notes") or None,
                       active=info["active"],
                       payment_term_id=ctx.local("payment_term", data.get("TermRef")))
    _address_fields(org, data.get("address"))
    return org


def employee(row: Row, info: Mapping[str, Any], ctx: Incoming) -> Associate:
    """Employee -> associate (with the associate permission)."""
    data = info["data"]
    return Associate(display_name=_check_name(Associate, "display_name", info["name"]),
                     first_name=_clip(data.get("GivenName"), Associate, "first_name") or "",
                     last_name=_clip(data.get("FamilyName"), Associate, "last_name") or "",
                     email=_clip(data.get("email"), Associate, "email"),
                     phone=_clip(data.get("phone"), Associate, "phone"),
                     hourly_rate=_decimal(data.get("BillRate")),
                     cost_rate=_decimal(data.get("CostRate")),
                     permission=PermissionLevel.ASSOCIATE, active=info["active"])
