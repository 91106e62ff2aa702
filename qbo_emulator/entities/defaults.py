"""Fields the real service adds to every answer, with the values it picks when none is sent.

Each default is taken from a real response, cited next to it:
- [CUST] Intuit API reference, Customer, "Create a customer" and "Read a customer" responses
  (developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/customer).
- [VEND] a recorded QueryResponse of a 2024 US sandbox company (every Vendor carries
  "Balance": 0, "Vendor1099": false and its CurrencyRef); Intuit's Vendor reference agrees.
- [EMPL] Intuit's Employee reference sample and a recorded 2021 create answer
  ("BillableTime": false, "PrintOnCheckName" = DisplayName).
- [INV] Intuit API reference, Invoice, create response ("ApplyTaxAfterDiscount": false,
  "PrintStatus": "NeedToPrint", "EmailStatus": "NotSet", "Deposit": 0, "LinkedTxn": [],
  "TxnTaxDetail": {"TotalTax": 0}, "Balance" = TotalAmt, AllowOnline* false).
- [ITEM] Intuit API reference, Item, create response of a Service item ("PurchaseCost": 0,
  "TrackQtyOnHand": false, "Taxable": false).
- [BILL] Intuit API reference, Bill sample (the company's Accounts Payable account in
  APAccountRef; DueDate is the TxnDate when no term says otherwise).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .common import WriteContext, ref_value

ZERO = Decimal("0")


def complete(ctx: WriteContext, entity: str, obj: dict[str, Any]) -> None:
    """Add the fields the real service returns for ``entity`` when the request left them out."""
    rule = RULES.get(entity)
    if rule is not None:
        rule(ctx, obj)


def _customer(ctx: WriteContext, obj: dict[str, Any]) -> None:
    obj.setdefault("BillWithParent", False)  # [CUST]
    obj.setdefault("PreferredDeliveryMethod", "Print")  # [CUST]
    obj.setdefault("Balance", ZERO)
    # Sub-customer balances are not tracked here, so the total with jobs is the own balance.
    obj["BalanceWithJobs"] = obj["Balance"]  # [CUST]
    if "Taxable" not in obj:
        # [CUST] "true if DefaultTaxCodeRef is defined or false if TaxExemptionReasonId is
        # set"; a US customer created with neither comes back taxable.
        exempt = obj.get("TaxExemptionReasonId") not in (None, "")
        has_code = ref_value(obj, "DefaultTaxCodeRef") is not None
        obj["Taxable"] = has_code or (ctx.company.us and not exempt)


def _vendor(ctx: WriteContext, obj: dict[str, Any]) -> None:
    obj.setdefault("Vendor1099", False)  # [VEND]
    obj.setdefault("Balance", ZERO)  # [VEND]


def _employee(ctx: WriteContext, obj: dict[str, Any]) -> None:
    obj.setdefault("BillableTime", False)  # [EMPL]
    obj.setdefault("PrintOnCheckName", obj.get("DisplayName"))  # [EMPL]


def _invoice(ctx: WriteContext, obj: dict[str, Any]) -> None:
    obj.setdefault("ApplyTaxAfterDiscount", False)  # [INV]
    customer = ctx.get("Customer", ref_value(obj, "CustomerRef")) or {}
    # [INV] a customer delivered by post ("Print", the default) gets "NeedToPrint".
    printed = customer.get("PreferredDeliveryMethod", "Print") == "Print"
    obj.setdefault("PrintStatus", "NeedToPrint" if printed else "NotSet")
    obj.setdefault("EmailStatus", "NotSet")  # [INV]
    obj.setdefault("Deposit", ZERO)  # [INV]
    obj.setdefault("LinkedTxn", [])  # [INV]
    obj.setdefault("TxnTaxDetail", {"TotalTax": ZERO})  # [INV]
    obj.setdefault("Balance", obj.get("TotalAmt", ZERO))  # [INV]
    for flag in (
        "AllowIPNPayment",
        "AllowOnlinePayment",
        "AllowOnlineCreditCardPayment",
        "AllowOnlineACHPayment",
    ):
        obj.setdefault(flag, False)  # [INV]


def _item(ctx: WriteContext, obj: dict[str, Any]) -> None:
    obj.setdefault("TrackQtyOnHand", obj.get("Type") == "Inventory")  # [ITEM]
    obj.setdefault("PurchaseCost", ZERO)  # [ITEM]
    obj.setdefault("UnitPrice", ZERO)  # [ITEM]


def _payable(ctx: WriteContext, obj: dict[str, Any]) -> None:
    if ref_value(obj, "APAccountRef") is None:
        account = next(
            (
                row
                for row in ctx.company.objects["Account"].values()
                if row.get("AccountType") == "Accounts Payable" and row.get("Active", True)
            ),
            None,
        )
        if account is not None:  # [BILL]
            obj["APAccountRef"] = {"value": account["Id"], "name": account["Name"]}


def _bill(ctx: WriteContext, obj: dict[str, Any]) -> None:
    _payable(ctx, obj)
    if not obj.get("DueDate"):
        obj["DueDate"] = obj.get("TxnDate")  # [BILL]


RULES = {
    "Customer": _customer,
    "Vendor": _vendor,
    "Employee": _employee,
    "Invoice": _invoice,
    "Item": _item,
    "Bill": _bill,
    "PurchaseOrder": _payable,
}
