"""The per-realm cache of QBO list rows (``QboObject``): refreshed page by page from QBO.

Mapping dropdowns, matching, readiness checks and the push engine read this cache instead of
asking QBO again. A refresh streams each entity in pages of 1000 rows and commits every page,
so memory stays bounded and an interrupted refresh keeps what it already stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select

from app.database import DbSession
from app.models import QboObject
from app.models.base import utcnow
from app.models.people import as_utc
from app.qbo.client import QBOClient
from app.qbo.query import select_query, where_in
from app.sync.registry import CACHED_QBO_ENTITIES, PARTIES

__all__ = [
    "PAGE_SIZE",
    "cache_age",
    "cached",
    "describe",
    "display_name",
    "iter_pages",
    "load_tax_rates",
    "refresh_lists",
    "store_page",
]

PAGE_SIZE = 1000
# Name lists answer only active rows unless the query asks about Active.
ACTIVE_ANY = where_in("Active", [True, False])

PageCallback = Callable[[str, list[dict[str, Any]]], None]


def _plain(value: Any) -> Any:
    """JSON-safe copy: Decimals become exact strings (the JSON column cannot hold Decimal)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _number(value: Any) -> str | None:
    """A QBO number (int or Decimal) as exact decimal text."""
    if value is None or isinstance(value, bool):
        return None
    return format(Decimal(str(value)), "f")


def _ref(row: Mapping[str, Any], key: str) -> str | None:
    ref = row.get(key)
    if isinstance(ref, Mapping) and ref.get("value") not in (None, ""):
        return str(ref["value"])
    return None


def _address(addr: Any) -> dict[str, str] | None:
    """A QBO PhysicalAddress as Ledgerhub's address fields (empty parts left out)."""
    if not isinstance(addr, Mapping):
        return None
    parts = {
        "line1": addr.get("Line1"),
        "line2": " ".join(str(addr[k]) for k in ("Line2", "Line3", "Line4", "Line5")
                          if addr.get(k)) or None,
        "city": addr.get("City"),
        "region": addr.get("CountrySubDivisionCode"),
        "postal_code": addr.get("PostalCode"),
        "country": addr.get("Country"),
    }
    cleaned = {k: str(v) for k, v in parts.items() if v not in (None, "")}
    return cleaned or None


# The QBO entities of parties (one DisplayName space), and of every list the cache keeps.
_PARTY_ENTITIES = frozenset(t.qbo_entity for t in PARTIES.values())
LIST_ENTITIES = tuple(e for e in CACHED_QBO_ENTITIES if e not in _PARTY_ENTITIES)


def display_name(entity: str, row: Mapping[str, Any]) -> str:
    """The name QBO shows for a row: DisplayName for parties, Name for lists."""
    if entity in _PARTY_ENTITIES:
        return str(row.get("DisplayName") or row.get("CompanyName") or "")
    return str(row.get("Name") or "")


def _phone(row: Mapping[str, Any]) -> str | None:
    for key in ("PrimaryPhone", "Mobile", "AlternatePhone"):
        value = (row.get(key) or {}).get("FreeFormNumber") if isinstance(row.get(key),
                                                                         Mapping) else None
        if value:
            return str(value)
    return None


def _party_data(entity: str, row: Mapping[str, Any]) -> dict[str, Any]:
    email = row.get("PrimaryEmailAddr")
    address_key = "PrimaryAddr" if entity == "Employee" else "BillAddr"
    data: dict[str, Any] = {
        "email": (email or {}).get("Address") if isinstance(email, Mapping) else None,
        "phone": _phone(row),
        "mobile": (row.get("Mobile") or {}).get("FreeFormNumber")
        if isinstance(row.get("Mobile"), Mapping) else None,
        "address": _address(row.get(address_key)),
        "CompanyName": row.get("CompanyName"),
        "GivenName": row.get("GivenName"),
        "FamilyName": row.get("FamilyName"),
        "Notes": row.get("Notes"),
    }
    if entity == "Customer":
        data.update(SalesTermRef=_ref(row, "SalesTermRef"), ParentRef=_ref(row, "ParentRef"),
                    Job=row.get("Job"), FullyQualifiedName=row.get("FullyQualifiedName"),
                    Taxable=row.get("Taxable"),
                    DefaultTaxCodeRef=_ref(row, "DefaultTaxCodeRef"))
    elif entity == "Vendor":
        data.update(TermRef=_ref(row, "TermRef"), AcctNum=row.get("AcctNum"),
                    Vendor1099=row.get("Vendor1099"))
    else:
        data.update(EmployeeNumber=row.get("EmployeeNumber"),
                    BillRate=_number(row.get("BillRate")),
                    CostRate=_number(row.get("CostRate")), BillableTime=row.get("BillableTime"))
    return {k: v for k, v in data.items() if v is not None}


def _tax_rates(code: Mapping[str, Any], key: str,
               rates: Mapping[str, dict[str, Any]]) -> list[dict[str, Any]]:
    details = (code.get(key) or {}).get("TaxRateDetail") or []
    out = []
    for detail in details:
        rate_id = _ref(detail, "TaxRateRef")
        if rate_id is None:
            continue
        rate = rates.get(rate_id, {})
        out.append({"id": rate_id, "name": rate.get("name"), "percent": rate.get("percent")})
    return out


def _sum_percent(rates: list[dict[str, Any]]) -> str | None:
    known = [Decimal(r["percent"]) for r in rates if r.get("percent") is not None]
    return format(sum(known, Decimal("0")), "f") if known else None


def describe(entity: str, row: Mapping[str, Any],
             tax_rates: Mapping[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The cache columns (name, active, subtype, currency, data...) for one QBO row."""
    subtype: str | None = None
    data: dict[str, Any]
    if entity == "Account":
        subtype = row.get("AccountType")
        data = {"AccountType": row.get("AccountType"),
                "AccountSubType": row.get("AccountSubType"), "AcctNum": row.get("AcctNum"),
                "FullyQualifiedName": row.get("FullyQualifiedName"),
                "Classification": row.get("Classification")}
    elif entity == "Item":
        subtype = row.get("Type")
        data = {"Type": row.get("Type"), "IncomeAccountRef": _ref(row, "IncomeAccountRef"),
                "ExpenseAccountRef": _ref(row, "ExpenseAccountRef"),
                "UnitPrice": _number(row.get("UnitPrice")),
                "PurchaseCost": _number(row.get("PurchaseCost")),
                "Description": row.get("Description"), "Taxable": row.get("Taxable"),
                "FullyQualifiedName": row.get("FullyQualifiedName"), "Sku": row.get("Sku")}
    elif entity == "Term":
        data = {"DueDays": row.get("DueDays"), "Type": row.get("Type")}
    elif entity == "PaymentMethod":
        subtype = row.get("Type")
        data = {"Type": row.get("Type")}
    elif entity == "Class":
        data = {"ParentRef": _ref(row, "ParentRef"),
                "FullyQualifiedName": row.get("FullyQualifiedName")}
    elif entity == "TaxCode":
        sales = _tax_rates(row, "SalesTaxRateList", tax_rates or {})
        purchase = _tax_rates(row, "PurchaseTaxRateList", tax_rates or {})
        data = {"Description": row.get("Description"), "Taxable": row.get("Taxable"),
                "TaxGroup": row.get("TaxGroup"), "sales_rates": sales,
                "purchase_rates": purchase, "rate_percent": _sum_percent(sales)}
    elif entity in _PARTY_ENTITIES:
        data = _party_data(entity, row)
    else:
        data = {}
    currency = _ref(row, "CurrencyRef")
    meta = row.get("MetaData") or {}
    return {
        "name": display_name(entity, row)[:255],
        "active": row.get("Active") is not False,
        "sync_token": str(row["SyncToken"]) if row.get("SyncToken") is not None else None,
        "subtype": str(subtype)[:100] if subtype else None,
        "currency": currency[:3] if currency else None,
        "data": _plain({k: v for k, v in data.items() if v is not None}),
        "qbo_updated_at": meta.get("LastUpdatedTime") if isinstance(meta, Mapping) else None,
    }


def iter_pages(client: QBOClient, entity: str, where: str | None = ACTIVE_ANY,
               page_size: int = PAGE_SIZE) -> Iterator[list[dict[str, Any]]]:
    """Yield one page of rows at a time (ordered by Id) until a short page."""
    start = 1
    while True:
        text = select_query(entity, where, order_by="Id", start_position=start,
                            max_results=page_size)
        answer = client.query(text).get("QueryResponse") or {}
        rows = answer.get(entity) or []
        yield rows
        if len(rows) < page_size:
            return
        start += len(rows)


def load_tax_rates(client: QBOClient) -> dict[str, dict[str, Any]]:
    """TaxRate id -> {name, percent} (a short read-only list)."""
    rates: dict[str, dict[str, Any]] = {}
    for page in iter_pages(client, "TaxRate"):
        for row in page:
            value = row.get("RateValue")
            rates[str(row["Id"])] = {
                "name": row.get("Name"),
                "percent": format(Decimal(str(value)), "f") if value is not None else None,
            }
    return rates


def store_page(session: DbSession, realm_id: str, entity: str, rows: Iterable[Mapping[str, Any]],
               tax_rates: Mapping[str, dict[str, Any]] | None = None) -> int:
    """Upsert one page of QBO rows into the cache (no commit); returns the rows stored."""
    by_id = {str(row["Id"]): row for row in rows if row.get("Id") is not None}
    if not by_id:
        return 0
    existing = {
        obj.qbo_id: obj
        for obj in session.scalars(select(QboObject).where(
            QboObject.realm_id == realm_id, QboObject.entity == entity,
            QboObject.qbo_id.in_(list(by_id))))
    }
    moment = utcnow()
    for qbo_id, row in by_id.items():
        values = describe(entity, row, tax_rates)
        obj = existing.get(qbo_id)
        if obj is None:
            obj = QboObject(realm_id=realm_id, entity=entity, qbo_id=qbo_id)
            session.add(obj)
        for key, value in values.items():
            setattr(obj, key, value)
        obj.fetched_at = moment
    return len(by_id)


def refresh_lists(client: QBOClient, session: DbSession, realm_id: str,
                  entities: Iterable[str] = LIST_ENTITIES, *,
                  on_page: PageCallback | None = None) -> dict[str, int]:
    """Refresh the cache for each entity, committing per page; returns rows stored per entity.

    Rows that QBO no longer returns (merged parties) are dropped once an entity's refresh has
    completed. ``on_page(entity, rows)`` is called after each page is committed.
    """
    counts: dict[str, int] = {}
    tax_rates: dict[str, dict[str, Any]] | None = None
    session.commit()  # no transaction stays open across a call to QuickBooks
    for entity in entities:
        if entity not in CACHED_QBO_ENTITIES:
            raise ValueError(f"not a cached QBO list: {entity}")
        if entity == "TaxCode" and tax_rates is None:
            tax_rates = load_tax_rates(client)
        started = utcnow()
        total = 0
        for page in iter_pages(client, entity):
            total += store_page(session, realm_id, entity, page, tax_rates)
            session.commit()
            if on_page is not None:
                on_page(entity, page)
        session.execute(delete(QboObject).where(
            QboObject.realm_id == realm_id, QboObject.entity == entity,
            QboObject.fetched_at < started))
        session.commit()
        counts[entity] = total
    return counts


def cached(session: DbSession, realm_id: str, entity: str,
           active_only: bool = False) -> list[QboObject]:
    """The cached rows of one entity, by name (for dropdowns)."""
    stmt = select(QboObject).where(QboObject.realm_id == realm_id, QboObject.entity == entity)
    if active_only:
        stmt = stmt.where(QboObject.active.is_(True))
    return list(session.scalars(stmt.order_by(QboObject.name)))


def cache_age(session: DbSession, realm_id: str, entity: str) -> datetime | None:
    """When the oldest cached row of an entity was fetched (None when nothing is cached)."""
    value = session.scalar(select(func.min(QboObject.fetched_at)).where(
        QboObject.realm_id == realm_id, QboObject.entity == entity))
    return as_utc(value)
