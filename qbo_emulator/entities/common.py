"""Helpers shared by the entity rules: the write context, numbers, references."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .. import errors
from ..store import Company, Store

CENT = Decimal("0.01")

# Reference property -> entity it points at. ParentRef and EntityRef are resolved specially.
REF_TARGETS = {
    "CustomerRef": "Customer",
    "VendorRef": "Vendor",
    "EmployeeRef": "Employee",
    "ItemRef": "Item",
    "ClassRef": "Class",
    "AccountRef": "Account",
    "IncomeAccountRef": "Account",
    "ExpenseAccountRef": "Account",
    "AssetAccountRef": "Account",
    "APAccountRef": "Account",
    "ARAccountRef": "Account",
    "DepositToAccountRef": "Account",
    "BankAccountRef": "Account",
    "CCAccountRef": "Account",
    "DiscountAccountRef": "Account",
    "SalesTermRef": "Term",
    "TermRef": "Term",
    "PaymentMethodRef": "PaymentMethod",
    "TaxCodeRef": "TaxCode",
    "TxnTaxCodeRef": "TaxCode",
    "SalesTaxCodeRef": "TaxCode",
    "PurchaseTaxCodeRef": "TaxCode",
    "DefaultTaxCodeRef": "TaxCode",
    "TaxRateRef": "TaxRate",
    "DepartmentRef": "Department",
}
PERSON_TYPES = ("Customer", "Vendor", "Employee")


@dataclass
class WriteContext:
    """What a rule may touch during one write: the store, the company, the clock, events."""

    store: Store
    company: Company
    moment: datetime
    events: list[tuple[str, str, str]] = field(default_factory=list)
    # The request asked for include=allowduplicatedocnum: no 6140 for a reused DocNumber.
    allow_duplicate_docnum: bool = False

    def get(self, entity: str, obj_id: Any) -> dict[str, Any] | None:
        """A record of this company."""
        return self.company.get(entity, str(obj_id))


def money(value: Decimal) -> Decimal:
    """Round half-up to cents."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def number(value: Any, element: str) -> Decimal:
    """A JSON number (or numeric string) as Decimal; 2010 otherwise."""
    if isinstance(value, bool) or value is None:
        raise errors.QBOFault("2010", f"Invalid number for {element}", element)
    try:
        result = Decimal(value) if not isinstance(value, float) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise errors.QBOFault("2010", f"Invalid number for {element}", element) from exc
    if not result.is_finite():
        raise errors.QBOFault("2010", f"Invalid number for {element}", element)
    return result


def ref_value(obj: dict[str, Any], key: str) -> str | None:
    """The `value` of a reference property, or None when absent or empty."""
    ref = obj.get(key)
    if isinstance(ref, dict) and ref.get("value") not in (None, ""):
        return str(ref["value"])
    return None


def display(entity: str, obj: dict[str, Any]) -> str:
    """The name QBO puts into `name` of references to this record."""
    if entity in PERSON_TYPES:
        return obj.get("DisplayName", "")
    return obj.get("FullyQualifiedName") or obj.get("Name") or ""


def resolve_refs(ctx: WriteContext, entity: str, obj: dict[str, Any]) -> None:
    """Check every reference in a body: 2500 when missing, 610 when inactive; fill `name`."""
    _walk(ctx, entity, obj, "")


def _walk(ctx: WriteContext, entity: str, node: Any, path: str) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(ctx, entity, item, path)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        element = f"{path}.{key}" if path else key
        if key == "LinkedTxn" or not isinstance(value, dict | list):
            continue
        if key.endswith("Ref") and isinstance(value, dict):
            target = _target(entity, key, value)
            if target is not None:
                _check_ref(ctx, target, value, element)
            continue
        _walk(ctx, entity, value, element)


def _target(entity: str, key: str, ref: dict[str, Any]) -> str | tuple[str, ...] | None:
    if key == "ParentRef":
        return entity
    if key == "EntityRef":
        kind = ref.get("type")
        return kind if kind in PERSON_TYPES else PERSON_TYPES
    return REF_TARGETS.get(key)


def _check_ref(
    ctx: WriteContext, target: str | tuple[str, ...], ref: dict[str, Any], element: str
) -> None:
    value = ref.get("value")
    if value in (None, ""):
        raise errors.required(f"{element}.value")
    candidates = (target,) if isinstance(target, str) else target
    for kind in candidates:
        found = ctx.get(kind, value)
        if found is not None:
            if found.get("Active") is False:
                raise errors.inactive_ref(element, value)
            name = display(kind, found)
            if name and kind != "TaxCode":
                ref["name"] = name
            if isinstance(target, tuple):
                ref["type"] = kind
            return
    raise errors.invalid_ref(element, value, target)


def require(obj: dict[str, Any], *keys: str, prefix: str = "") -> None:
    """2020 for the first key that is absent, null or empty."""
    for key in keys:
        if obj.get(key) in (None, "", [], {}):
            raise errors.required(f"{prefix}{key}")
