"""Rules for transactions: Invoice, Bill, Purchase, PurchaseOrder, BillPayment, TimeActivity."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from .. import currency, errors, tax
from . import purchasing
from .common import WriteContext, money, number, ref_value, require, resolve_refs

LINE_DETAILS = {
    "Invoice": ("SalesItemLineDetail", "DescriptionOnly"),
    "Bill": ("AccountBasedExpenseLineDetail", "ItemBasedExpenseLineDetail"),
    "Purchase": ("AccountBasedExpenseLineDetail", "ItemBasedExpenseLineDetail"),
    "PurchaseOrder": ("AccountBasedExpenseLineDetail", "ItemBasedExpenseLineDetail"),
}
PARTY = {
    "Invoice": "CustomerRef",
    "Bill": "VendorRef",
    "PurchaseOrder": "VendorRef",
    "BillPayment": "VendorRef",
}
AUTO_NUMBERED = ("Invoice", "PurchaseOrder")


def prepare(
    ctx: WriteContext, entity: str, obj: dict[str, Any], old: dict[str, Any] | None
) -> None:
    """Validate and complete a transaction in place (totals, tax, currency, numbering)."""
    if entity == "TimeActivity":
        _time_activity(ctx, obj)
        resolve_refs(ctx, entity, obj)
        _dates(ctx, obj)
        return
    if entity == "BillPayment":
        _bill_payment_required(obj)
    else:
        require(obj, *REQUIRED[entity])
    if entity == "Purchase":
        _purchase_header(obj)
    lines = _lines(entity, obj, old)
    resolve_refs(ctx, entity, obj)
    if entity == "Purchase":
        _purchase_account(ctx, obj)
    _dates(ctx, obj)
    if entity == "BillPayment":
        total = number(obj["TotalAmt"], "TotalAmt")
        obj["TotalAmt"] = total
        purchasing.check_bill_payment(ctx, obj, old)
    else:
        subtotal = sum((Decimal(line["Amount"]) for line in lines), Decimal("0"))
        total = subtotal + tax.compute(ctx, entity, obj, lines)
        obj["TotalAmt"] = money(total)
        if entity == "Invoice":
            lines.append(
                {
                    "Amount": money(subtotal),
                    "DetailType": "SubTotalLineDetail",
                    "SubTotalLineDetail": {},
                }
            )
        if entity in ("Invoice", "Bill"):
            obj["Balance"] = obj["TotalAmt"]  # payments are applied by the BillPayment rules
    obj["Line"] = lines
    party = _party(ctx, entity, obj)
    currency.transaction_currency(ctx.company, obj, party, Decimal(obj["TotalAmt"]))
    _doc_number(ctx, entity, obj, old)
    if entity == "PurchaseOrder":
        purchasing.prepare_po(obj, old)
    elif entity == "Bill":
        purchasing.prepare_bill_links(ctx, obj, old)


REQUIRED = {
    "Invoice": ("CustomerRef", "Line"),
    "Bill": ("VendorRef", "Line"),
    "Purchase": ("PaymentType", "AccountRef", "Line"),
    "PurchaseOrder": ("VendorRef", "Line"),
}


def _bill_payment_required(obj: dict[str, Any]) -> None:
    require(obj, "VendorRef", "PayType", "Line")
    if obj.get("TotalAmt") is None:
        raise errors.required("TotalAmt")
    kind = obj["PayType"]
    if kind == "Check":
        require(obj.get("CheckPayment") or {}, "BankAccountRef", prefix="CheckPayment.")
    elif kind == "CreditCard":
        require(obj.get("CreditCardPayment") or {}, "CCAccountRef", prefix="CreditCardPayment.")
    else:
        raise errors.QBOFault("2010", f"Invalid PayType {kind}", "PayType")


def _purchase_header(obj: dict[str, Any]) -> None:
    if obj["PaymentType"] not in ("Cash", "Check", "CreditCard"):
        raise errors.QBOFault("2010", f"Invalid PaymentType {obj['PaymentType']}", "PaymentType")


def _purchase_account(ctx: WriteContext, obj: dict[str, Any]) -> None:
    account = ctx.get("Account", ref_value(obj, "AccountRef")) or {}
    wanted = "Credit Card" if obj["PaymentType"] == "CreditCard" else "Bank"
    if account.get("AccountType") != wanted:
        raise errors.business(
            f"A {obj['PaymentType']} expense must be paid from a {wanted} account.", "AccountRef"
        )


def _lines(entity: str, obj: dict[str, Any], old: dict[str, Any] | None) -> list[dict[str, Any]]:
    raw = obj.get("Line")
    if not isinstance(raw, list):
        raise errors.required("Line")
    if entity == "BillPayment":
        return _payment_lines(raw)
    allowed = LINE_DETAILS[entity]
    old_ids = {line.get("Id") for line in (old or {}).get("Line", []) if line.get("Id")}
    used = [int(i) for i in old_ids if str(i).isdigit()]
    next_id = max(used, default=0) + 1
    lines: list[dict[str, Any]] = []
    for line in raw:
        if not isinstance(line, dict):
            raise errors.QBOFault("2010", "Line must be an object", "Line")
        kind = line.get("DetailType")
        if kind == "SubTotalLineDetail":
            continue  # echoed back from a read; the service adds its own
        if not kind:
            raise errors.required("Line.DetailType")
        if kind not in allowed:
            raise errors.business(
                f"Line DetailType {kind} is not supported on {entity}.", "Line.DetailType"
            )
        line = dict(line)
        if kind != "DescriptionOnly":
            detail = line.get(kind)
            if not isinstance(detail, dict):
                raise errors.required(f"Line.{kind}")
            line[kind] = detail = dict(detail)
            _line_amount(kind, line, detail)
        elif line.get("Amount") is not None:
            line["Amount"] = number(line["Amount"], "Line.Amount")
        if old is not None and line.get("Id") in old_ids:
            line["Id"] = str(line["Id"])
        else:
            line["Id"] = str(next_id)
            next_id += 1
        lines.append(line)
    if not lines:
        raise errors.required("Line")
    for position, line in enumerate(lines, start=1):
        line["LineNum"] = position
    return lines


def _line_amount(kind: str, line: dict[str, Any], detail: dict[str, Any]) -> None:
    if line.get("Amount") is None:
        raise errors.required("Line.Amount")
    amount = number(line["Amount"], "Line.Amount")
    line["Amount"] = amount
    if kind == "ItemBasedExpenseLineDetail":
        require(detail, "ItemRef", prefix=f"Line.{kind}.")
    if kind == "AccountBasedExpenseLineDetail":
        require(detail, "AccountRef", prefix=f"Line.{kind}.")
    if kind == "SalesItemLineDetail":
        require(detail, "ItemRef", prefix=f"Line.{kind}.")
    qty = detail.get("Qty")
    price = detail.get("UnitPrice")
    if qty is not None:
        detail["Qty"] = qty = number(qty, f"Line.{kind}.Qty")
    if price is not None:
        detail["UnitPrice"] = price = number(price, f"Line.{kind}.UnitPrice")
    if qty is not None and price is not None and money(qty * price) != money(amount):
        raise errors.QBOFault(
            "6070",
            f"Amount is not equal to UnitPrice * Qty. Supplied value:{amount}",
            "Line.Amount",
        )
    status = detail.get("BillableStatus")
    if status is not None and status not in ("Billable", "NotBillable", "HasBeenBilled"):
        raise errors.QBOFault(
            "2010", f"Invalid BillableStatus {status}", f"Line.{kind}.BillableStatus"
        )
    if status == "Billable" and kind != "SalesItemLineDetail":
        require(detail, "CustomerRef", prefix=f"Line.{kind}.")


def _payment_lines(raw: list[Any]) -> list[dict[str, Any]]:
    lines = []
    for position, line in enumerate(raw, start=1):
        if not isinstance(line, dict):
            raise errors.QBOFault("2010", "Line must be an object", "Line")
        line = dict(line)
        if line.get("Amount") is None:
            raise errors.required("Line.Amount")
        line["Amount"] = number(line["Amount"], "Line.Amount")
        links = line.get("LinkedTxn")
        if not isinstance(links, list) or not links:
            raise errors.required("Line.LinkedTxn")
        line["LinkedTxn"] = [dict(link) for link in links if isinstance(link, dict)]
        for link in line["LinkedTxn"]:
            require(link, "TxnId", "TxnType", prefix="Line.LinkedTxn.")
            if link["TxnType"] != "Bill":
                raise errors.business(
                    "A BillPayment line can only pay a Bill.", "Line.LinkedTxn.TxnType"
                )
            link["TxnId"] = str(link["TxnId"])
        line["LineNum"] = position
        lines.append(line)
    return lines


def _party(ctx: WriteContext, entity: str, obj: dict[str, Any]) -> dict[str, Any] | None:
    if entity == "Purchase":
        entity_ref = obj.get("EntityRef")
        if isinstance(entity_ref, dict) and entity_ref.get("type") in ("Vendor", "Customer"):
            return ctx.get(entity_ref["type"], entity_ref.get("value"))
        return None
    key = PARTY[entity]
    return ctx.get("Customer" if key == "CustomerRef" else "Vendor", ref_value(obj, key))


def _dates(ctx: WriteContext, obj: dict[str, Any]) -> None:
    today = ctx.moment.date()
    txn_date = obj.get("TxnDate") or today.isoformat()
    try:
        parsed = date.fromisoformat(str(txn_date)[:10])
    except ValueError as exc:
        raise errors.QBOFault("2010", f"Invalid date {txn_date}", "TxnDate") from exc
    obj["TxnDate"] = parsed.isoformat()
    if "DueDate" in obj and obj["DueDate"]:
        return
    term_id = ref_value(obj, "SalesTermRef")
    if term_id is not None:
        term = ctx.get("Term", term_id) or {}
        days = int(term.get("DueDays") or 0)
        obj["DueDate"] = (parsed + timedelta(days=days)).isoformat()
    elif "SalesTermRef" in obj or "DueDate" in obj:
        obj["DueDate"] = parsed.isoformat()


def _doc_number(
    ctx: WriteContext, entity: str, obj: dict[str, Any], old: dict[str, Any] | None
) -> None:
    """A sent DocNumber is kept as sent; the service numbers a record only when none is sent.

    Intuit's Invoice reference (DocNumber): without CustomTxnNumbers the number is "system
    generated by incrementing the last number by 1"; a duplicate is refused unless the request
    carries ``include=allowduplicatedocnum``. The notes add that a sent number is always kept and
    that with custom numbers on QBO continues from the highest number it has seen.
    """
    doc = obj.get("DocNumber")
    if doc in (None, ""):
        if old is not None and old.get("DocNumber"):
            obj["DocNumber"] = old["DocNumber"]  # an update never renumbers
        elif entity in AUTO_NUMBERED:
            obj["DocNumber"] = _next_number(ctx, entity)
        else:
            obj.pop("DocNumber", None)
        return
    doc = str(doc)
    if len(doc) > 21:
        raise errors.QBOFault("2050", "DocNumber is longer than 21 characters", "DocNumber")
    obj["DocNumber"] = doc
    unchanged = old is not None and old.get("DocNumber") == doc
    if unchanged or ctx.allow_duplicate_docnum or not duplicate_check(ctx.company, entity):
        return  # emulator rule: only a new or changed number is checked
    for other in ctx.company.objects[entity].values():
        if other.get("DocNumber") == doc and other["Id"] != obj.get("Id"):
            if entity == "Bill" and ref_value(other, "VendorRef") != ref_value(obj, "VendorRef"):
                continue
            raise errors.QBOFault(
                "6140",
                "You must specify a different number. This number has already been used. "
                f"DocNumber={doc} is assigned to TxnType={entity} with TxnId={other['Id']}",
                "DocNumber",
            )


def _next_number(ctx: WriteContext, entity: str) -> str:
    """The service's own next number: never one already in use."""
    used = {str(o.get("DocNumber")) for o in ctx.company.objects[entity].values()}
    counter = f"doc:{entity}"
    custom = bool(ctx.company.preferences.get("SalesFormsPrefs", {}).get("CustomTxnNumbers"))
    if custom:
        # Continue from the highest number seen, sent ones included.
        highest = max((int(d) - 1000 for d in used if d.isdigit()), default=0)
        if highest > ctx.company.counters.get(counter, 0):
            ctx.company.counters[counter] = highest
    while True:
        number = str(1000 + ctx.store.next_id(ctx.company, counter))
        if number not in used:
            return number


DUPLICATE_PREFS = {"Invoice": "WarnDuplicateDocNum", "Bill": "WarnDuplicateBillNum"}


def duplicate_check(company: Any, entity: str = "Invoice") -> bool:
    """Whether the company refuses a duplicate document number for this entity.

    Invoices are checked by default (WarnDuplicateDocNum, on in a new company); bills per
    vendor when WarnDuplicateBillNum is on; other transactions never.
    """
    name = DUPLICATE_PREFS.get(entity)
    if name is None:
        return False
    for pair in company.preferences.get("OtherPrefs", {}).get("NameValue", []):
        if pair.get("Name") == name:
            return str(pair.get("Value")).lower() == "true"
    return entity == "Invoice"


def _time_activity(ctx: WriteContext, obj: dict[str, Any]) -> None:
    require(obj, "NameOf")
    name_of = obj["NameOf"]
    if name_of == "Employee":
        require(obj, "EmployeeRef")
        obj.pop("VendorRef", None)
    elif name_of == "Vendor":
        require(obj, "VendorRef")
        obj.pop("EmployeeRef", None)
    else:
        raise errors.QBOFault("2010", f"Invalid NameOf {name_of}", "NameOf")
    has_duration = obj.get("Hours") is not None or obj.get("Minutes") is not None
    has_span = obj.get("StartTime") and obj.get("EndTime")
    if not has_duration and not has_span:
        raise errors.required("Hours")
    for key in ("Hours", "Minutes"):
        if obj.get(key) is not None:
            value = number(obj[key], key)
            if value != value.to_integral_value() or value < 0:
                raise errors.QBOFault("2010", f"{key} must be a whole number", key)
            obj[key] = int(value)
    if obj.get("Minutes") is not None and obj["Minutes"] >= 60:
        raise errors.business("Minutes must be less than 60.", "Minutes")
    status = obj.get("BillableStatus") or "NotBillable"
    if status not in ("Billable", "NotBillable", "HasBeenBilled"):
        raise errors.QBOFault("2010", f"Invalid BillableStatus {status}", "BillableStatus")
    obj["BillableStatus"] = status
    if status == "Billable":
        require(obj, "CustomerRef")
        if obj.get("HourlyRate") is None:
            raise errors.required("HourlyRate")
    if obj.get("HourlyRate") is not None:
        obj["HourlyRate"] = number(obj["HourlyRate"], "HourlyRate")
