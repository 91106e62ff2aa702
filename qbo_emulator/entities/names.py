"""Rules for name-list entities (people, items, accounts, classes, terms, payment methods)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .. import currency, errors
from .common import WriteContext, number, ref_value, require, resolve_refs

DELETED = " (deleted)"

ACCOUNT_CLASSIFICATION = {
    "Bank": "Asset",
    "Other Current Asset": "Asset",
    "Fixed Asset": "Asset",
    "Other Asset": "Asset",
    "Accounts Receivable": "Asset",
    "Equity": "Equity",
    "Expense": "Expense",
    "Other Expense": "Expense",
    "Cost of Goods Sold": "Expense",
    "Accounts Payable": "Liability",
    "Credit Card": "Liability",
    "Long Term Liability": "Liability",
    "Other Current Liability": "Liability",
    "Income": "Revenue",
    "Other Income": "Revenue",
}
# A few sub-types, so that AccountSubType alone is enough (as in QBO).
SUBTYPE_TO_TYPE = {
    "Checking": "Bank",
    "Savings": "Bank",
    "CashOnHand": "Bank",
    "CreditCard": "Credit Card",
    "AccountsReceivable": "Accounts Receivable",
    "AccountsPayable": "Accounts Payable",
    "SalesOfProductIncome": "Income",
    "ServiceFeeIncome": "Income",
    "OtherPrimaryIncome": "Income",
    "DiscountsRefundsGiven": "Income",
    "SuppliesMaterialsCogs": "Cost of Goods Sold",
    "CostOfLaborCos": "Cost of Goods Sold",
    "OtherCostsOfServiceCos": "Cost of Goods Sold",
    "AdvertisingPromotional": "Expense",
    "Travel": "Expense",
    "OfficeGeneralAdministrativeExpenses": "Expense",
    "LegalProfessionalFees": "Expense",
    "Auto": "Expense",
    "OtherMiscellaneousServiceCost": "Expense",
    "UndepositedFunds": "Other Current Asset",
    "Inventory": "Other Current Asset",
    "OtherCurrentAssets": "Other Current Asset",
    "PrepaidExpenses": "Other Current Asset",
    "OpeningBalanceEquity": "Equity",
    "RetainedEarnings": "Equity",
    "OtherCurrentLiabilities": "Other Current Liability",
    "SalesTaxPayable": "Other Current Liability",
}
DEFAULT_SUBTYPE = {
    "Bank": "Checking",
    "Credit Card": "CreditCard",
    "Accounts Receivable": "AccountsReceivable",
    "Accounts Payable": "AccountsPayable",
    "Income": "ServiceFeeIncome",
    "Expense": "OfficeGeneralAdministrativeExpenses",
    "Cost of Goods Sold": "SuppliesMaterialsCogs",
    "Other Current Asset": "OtherCurrentAssets",
    "Equity": "OpeningBalanceEquity",
    "Other Current Liability": "OtherCurrentLiabilities",
}
ITEM_TYPES = ("Service", "NonInventory", "Inventory", "Category")


def prepare(
    ctx: WriteContext, entity: str, obj: dict[str, Any], old: dict[str, Any] | None
) -> None:
    """Validate and complete a name-list record in place."""
    active = obj.get("Active", True)
    if not isinstance(active, bool):
        raise errors.QBOFault("2010", "Active must be true or false", "Active")
    obj["Active"] = active
    key = "DisplayName" if entity in ("Customer", "Vendor", "Employee") else "Name"
    if entity in ("Customer", "Vendor", "Employee"):
        _person(ctx, entity, obj, old)
    else:
        require(obj, "Name")
    name = str(obj[key])
    reactivated = old is not None and old.get("Active") is False
    if active and reactivated and name.endswith(DELETED):
        name = name[: -len(DELETED)]
    elif not active and not name.endswith(DELETED):
        name = name + DELETED
    obj[key] = name
    if key == "DisplayName" and entity != "Employee":
        obj.setdefault("PrintOnCheckName", name)
    RULES[entity](ctx, obj, old)
    resolve_refs(ctx, entity, obj)
    _fully_qualified(ctx, entity, obj)
    _unique(ctx, entity, obj, key)


def _person(
    ctx: WriteContext, entity: str, obj: dict[str, Any], old: dict[str, Any] | None
) -> None:
    if entity == "Employee" and not (obj.get("GivenName") or obj.get("FamilyName")):
        raise errors.required("GivenName")
    if not obj.get("DisplayName"):
        parts = [obj.get(k) for k in ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")]
        derived = " ".join(str(p) for p in parts if p) or obj.get("CompanyName")
        if not derived:
            raise errors.required("DisplayName")
        obj["DisplayName"] = derived
    name = str(obj["DisplayName"])
    if any(ch in name for ch in ":\t\n\r"):
        raise errors.business(
            "The name supplied contains invalid characters (:, tab or newline).", "DisplayName"
        )
    if len(name) > 100:
        raise errors.QBOFault("2050", "String length exceeds 100 characters", "DisplayName")
    if entity in ("Customer", "Vendor"):
        currency.party_currency(ctx.company, obj, old)
        obj.setdefault("Balance", Decimal("0"))
        if old is not None:
            obj["Balance"] = old.get("Balance", Decimal("0"))


def _unique(ctx: WriteContext, entity: str, obj: dict[str, Any], key: str) -> None:
    name = obj.get("FullyQualifiedName") if entity in ("Item", "Class", "Account") else obj[key]
    holder = ctx.company.find_name(entity, str(name))
    if holder is not None and holder != (entity, obj.get("Id")):
        raise errors.duplicate_name(entity, str(name))


def _fully_qualified(ctx: WriteContext, entity: str, obj: dict[str, Any]) -> None:
    if entity not in ("Customer", "Item", "Class", "Account"):
        return
    own = obj["DisplayName"] if entity == "Customer" else obj["Name"]
    parent_id = ref_value(obj, "ParentRef")
    if parent_id is None:
        obj["FullyQualifiedName"] = own
        if entity == "Customer":
            obj["Job"] = False
        flags = {"Item": "SubItem", "Class": "SubClass", "Account": "SubAccount"}
        if entity in flags:
            obj[flags[entity]] = False
        return
    if parent_id == obj.get("Id"):
        raise errors.business("A record cannot be its own parent.", "ParentRef")
    parent = ctx.get(entity, parent_id) or {}
    obj["FullyQualifiedName"] = f"{parent.get('FullyQualifiedName', '')}:{own}"
    if entity == "Customer":
        obj["Job"] = True
        obj["Level"] = int(parent.get("Level", 0)) + 1
    else:
        flags = {"Item": "SubItem", "Class": "SubClass", "Account": "SubAccount"}
        obj[flags[entity]] = True


def _no_colon(obj: dict[str, Any], limit: int, forbidden: str = ":") -> None:
    name = str(obj["Name"])
    if any(ch in name for ch in forbidden + "\t\n"):
        raise errors.business("The name supplied contains invalid characters.", "Name")
    if len(name) > limit:
        raise errors.QBOFault("2050", f"String length exceeds {limit} characters", "Name")


def _account(ctx: WriteContext, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    _no_colon(obj, 100, ':"')
    kind = obj.get("AccountType")
    sub = obj.get("AccountSubType")
    if not kind and sub:
        kind = SUBTYPE_TO_TYPE.get(sub)
        if kind is None:
            raise errors.required("AccountType")
    if not kind:
        raise errors.required("AccountType")
    if kind not in ACCOUNT_CLASSIFICATION:
        raise errors.QBOFault("2010", f"Invalid AccountType {kind}", "AccountType")
    if sub and SUBTYPE_TO_TYPE.get(sub, kind) != kind:
        raise errors.business(f"AccountSubType {sub} does not belong to {kind}", "AccountSubType")
    obj["AccountType"] = kind
    obj["AccountSubType"] = sub or DEFAULT_SUBTYPE.get(kind, "")
    obj["Classification"] = ACCOUNT_CLASSIFICATION[kind]
    balance = old.get("CurrentBalance", Decimal("0")) if old else Decimal("0")
    obj["CurrentBalance"] = balance
    obj["CurrentBalanceWithSubAccounts"] = balance
    home = ctx.company.home_currency
    home_only = ("Income", "Expense", "Cost of Goods Sold", "Other Income", "Other Expense")
    if kind in home_only and ref_value(obj, "CurrencyRef") not in (None, home):
        raise errors.business("Income and expense accounts use the home currency.", "CurrencyRef")
    code = ref_value(obj, "CurrencyRef") or (ref_value(old, "CurrencyRef") if old else None) or home
    if code != home and not ctx.company.multicurrency:
        raise errors.business("Multicurrency is not enabled for this company.", "CurrencyRef")
    obj["CurrencyRef"] = currency.ref(code)


def _item(ctx: WriteContext, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    _no_colon(obj, 100)
    kind = obj.get("Type") or "Service"
    if kind not in ITEM_TYPES:
        raise errors.QBOFault("2010", f"Invalid Item Type {kind}", "Type")
    obj["Type"] = kind
    if kind in ("Service", "NonInventory"):
        if not (ref_value(obj, "IncomeAccountRef") or ref_value(obj, "ExpenseAccountRef")):
            raise errors.required("IncomeAccountRef")
    elif kind == "Inventory":
        require(obj, "IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef", "InvStartDate")
        obj["TrackQtyOnHand"] = True
        obj["QtyOnHand"] = number(obj.get("QtyOnHand", 0), "QtyOnHand")
    for key in ("UnitPrice", "PurchaseCost"):
        if key in obj and obj[key] is not None:
            obj[key] = number(obj[key], key)
    obj.setdefault("Taxable", False)


def _class(ctx: WriteContext, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    _no_colon(obj, 100)


def _term(ctx: WriteContext, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    _no_colon(obj, 31)
    if obj.get("DueDays") is None and obj.get("DayOfMonthDue") is None:
        raise errors.required("DueDays")
    obj["Type"] = "STANDARD" if obj.get("DueDays") is not None else "DATE_DRIVEN"


def _payment_method(ctx: WriteContext, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    _no_colon(obj, 31)
    kind = obj.get("Type") or "NON_CREDIT_CARD"
    if kind not in ("CREDIT_CARD", "NON_CREDIT_CARD"):
        raise errors.QBOFault("2010", f"Invalid PaymentMethod Type {kind}", "Type")
    obj["Type"] = kind


def _nothing(ctx: WriteContext, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    return None


RULES = {
    "Account": _account,
    "Item": _item,
    "Class": _class,
    "Term": _term,
    "PaymentMethod": _payment_method,
    "Customer": _nothing,
    "Vendor": _nothing,
    "Employee": _nothing,
}
