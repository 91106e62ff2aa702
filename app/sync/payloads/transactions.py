"""Invoices, time, expenses, mileage and purchase orders as QBO transactions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from app.models import (
    EntryStatus,
    ExpenseEntry,
    Fix,
    HoursEntry,
    Invoice,
    InvoiceStatus,
    LineKind,
    MileageEntry,
    PurchaseOrder,
)
from app.money import line_amount
from app.sync.entities import Key, NotSendable, Refs, clip


def invoice(inv: Invoice, refs: Refs) -> dict[str, Any]:
    """Invoice -> Invoice with one SalesItemLineDetail line per local line."""
    if not inv.lines:
        raise NotSendable(f"Invoice {inv.number} has no lines.")
    tax = refs.invoice_tax(inv)
    line_codes = tax.pop("line_tax_codes", [])
    lines = []
    for n, line in enumerate(inv.lines, start=1):
        if line.billing_code_id is not None:
            item = refs.ref("billing_code", line.billing_code_id)
        elif line.kind == LineKind.MILEAGE:
            item = refs.preference("invoice_mileage_item", "item for mileage billed to clients")
        else:
            raise NotSendable(f"Line {n} of invoice {inv.number} has no billing code.")
        detail: dict[str, Any] = {"ItemRef": item, "Qty": line.quantity,
                                  "UnitPrice": line.unit_price}
        if line.service_date:
            detail["ServiceDate"] = line.service_date.isoformat()
        if inv.class_id:
            detail["ClassRef"] = refs.ref("txn_class", inv.class_id)
        if n <= len(line_codes) and line_codes[n - 1]:
            detail["TaxCodeRef"] = line_codes[n - 1]
        description = line.description or (line.billing_code.description
                                           if line.billing_code else None)
        if line.kind == LineKind.HOURLY and line.associate is not None:
            description = f"{line.associate.display_name}: {description or ''}".rstrip(": ")
        entry: dict[str, Any] = {"DetailType": "SalesItemLineDetail", "Amount": line.amount,
                                 "SalesItemLineDetail": detail}
        if description:
            entry["Description"] = clip(description, 4000)
        lines.append(entry)
    body: dict[str, Any] = {"CustomerRef": refs.ref("client", inv.client_id),
                            "DocNumber": inv.number, "TxnDate": inv.issue_date.isoformat(),
                            "Line": lines}
    if inv.due_date:
        body["DueDate"] = inv.due_date.isoformat()
    if inv.payment_term_id:
        body["SalesTermRef"] = refs.ref("payment_term", inv.payment_term_id)
    if inv.memo:
        body["CustomerMemo"] = {"value": clip(inv.memo, 1000)}
    body.update(tax)
    body.update(refs.currency(inv.currency, inv.exchange_rate, inv.issue_date))
    return body


def time_activity(e: HoursEntry, refs: Refs) -> dict[str, Any]:
    """Hours entry -> TimeActivity for the associate as an Employee."""
    whole = int(e.hours)
    minutes = int(((e.hours - whole) * 60).to_integral_value())
    body: dict[str, Any] = {"NameOf": "Employee", "EmployeeRef": refs.ref("associate",
                                                                          e.associate_id),
                            "TxnDate": e.work_date.isoformat(), "Hours": whole,
                            "Minutes": minutes}
    if e.client_id:
        body["CustomerRef"] = refs.ref("client", e.client_id)
    if e.billing_code_id:
        body["ItemRef"] = refs.ref("billing_code", e.billing_code_id)
    if e.status == EntryStatus.INVOICED and e.client_id:
        # Invoiced from Ledgerhub: QBO must not offer this time for billing again.
        body["BillableStatus"] = "HasBeenBilled"
        if e.rate is not None:
            body["HourlyRate"] = e.rate
    elif e.billable and e.client_id and e.rate is not None:
        body["BillableStatus"] = "Billable"
        body["HourlyRate"] = e.rate
    else:
        body["BillableStatus"] = "NotBillable"
    if e.description:
        body["Description"] = clip(e.description, 3900)
    return body


def _expense_purchase(entry: Any, refs: Refs, amount: Decimal, detail: dict[str, Any],
                      description: str | None) -> dict[str, Any]:
    """A Bill payable to the associate (owed) or a Purchase (already paid), with one line.

    ``detail`` names the line's detail type and its account or item. QBO has no mileage
    entity: integrations record it as a Purchase, or as a Bill to a vendor record for the
    person when it is owed to them (qbo-api-notes, "Mileage").
    """
    detail_type, fields = next(iter(detail.items()))
    if entry.client_id and entry.status == EntryStatus.INVOICED:
        # Billed on a Ledgerhub invoice: QBO must not offer it for billing again.
        fields["BillableStatus"] = "HasBeenBilled"
        fields["CustomerRef"] = refs.ref("client", entry.client_id)
    elif entry.client_id and entry.billable:
        fields["BillableStatus"] = "Billable"
        fields["CustomerRef"] = refs.ref("client", entry.client_id)
    else:
        fields["BillableStatus"] = "NotBillable"
    line: dict[str, Any] = {"DetailType": detail_type, "Amount": amount, detail_type: fields}
    if description:
        line["Description"] = clip(description, 4000)
    kind = "expense" if isinstance(entry, ExpenseEntry) else "mileage"
    if refs.owed_as(kind, entry.id) == "Bill":
        body: dict[str, Any] = {"VendorRef": refs.ref("associate_vendor", entry.associate_id),
                                "TxnDate": entry.entry_date.isoformat(), "Line": [line]}
        ap = refs.option("ap_account", "")
        if ap:
            body["APAccountRef"] = {"value": ap}
        return body
    return {
        "PaymentType": refs.option("expense_payment_type", "Cash"),
        "AccountRef": refs.preference("expense_payment_account",
                                      "bank or card account expenses are paid from"),
        "EntityRef": {**refs.ref("associate", entry.associate_id), "type": "Employee"},
        "TxnDate": entry.entry_date.isoformat(),
        "Line": [line],
    }


def purchase_for_expense(e: ExpenseEntry, refs: Refs) -> dict[str, Any]:
    """Expense entry -> Purchase against the mapped expense and payment accounts."""
    account = refs.preference("expense_account", "expense account")
    return _expense_purchase(e, refs, e.amount,
                             {"AccountBasedExpenseLineDetail": {"AccountRef": account}},
                             e.description)


def distance_unit() -> str:
    """The company's unit for mileage: "mi" or "km"."""
    # The company counts mileage in miles or kilometres (Admin -> Settings): "mi" or "km".
    from app.models import CompanySettings

    return CompanySettings.load().distance_unit.value


def purchase_for_mileage(m: MileageEntry, refs: Refs) -> dict[str, Any]:
    """Mileage entry -> Purchase with the mileage item (distance x rate) or mileage account."""
    text = (f"{m.miles} {distance_unit()} x {m.rate_per_mile}"
            + (f": {m.description}" if m.description else ""))
    mileage_item = refs.option("mileage_item", "")
    if mileage_item:
        detail = {"ItemBasedExpenseLineDetail": {"ItemRef": {"value": mileage_item},
                                                 "Qty": m.miles, "UnitPrice": m.rate_per_mile}}
    else:
        detail = {"AccountBasedExpenseLineDetail": {
            "AccountRef": refs.preference("mileage_account", "mileage item or account")}}
    return _expense_purchase(m, refs, m.amount, detail, text)


def purchase_order(po: PurchaseOrder, refs: Refs) -> dict[str, Any]:
    """Purchase order -> PurchaseOrder (item lines for billing codes, account lines otherwise)."""
    if not po.lines:
        raise NotSendable(f"Purchase order {po.number} has no lines.")
    lines = []
    for n, line in enumerate(po.lines, start=1):
        entry: dict[str, Any] = {"Amount": line_amount(line.quantity, line.unit_cost)}
        if line.description:
            entry["Description"] = clip(line.description, 4000)
        if line.billing_code_id:
            entry["DetailType"] = "ItemBasedExpenseLineDetail"
            entry["ItemBasedExpenseLineDetail"] = {
                "ItemRef": refs.ref("billing_code", line.billing_code_id),
                "Qty": line.quantity, "UnitPrice": line.unit_cost}
        elif line.account_id:
            entry["DetailType"] = "AccountBasedExpenseLineDetail"
            entry["AccountBasedExpenseLineDetail"] = {
                "AccountRef": refs.mapped("account", line.account_id, "account")}
        else:
            raise NotSendable(f"Line {n} of purchase order {po.number} has neither a billing "
                              "code nor an account.")
        lines.append(entry)
    body: dict[str, Any] = {"VendorRef": refs.ref("organization", po.organization_id),
                            "DocNumber": po.number, "TxnDate": po.order_date.isoformat(),
                            "POStatus": "Closed" if po.status.value == "closed" else "Open",
                            "Line": lines}
    ap = refs.option("ap_account", "")
    if ap:
        body["APAccountRef"] = {"value": ap}
    body.update(refs.currency(po.currency, None, po.order_date))
    return body


def invoice_deps(inv: Invoice) -> Iterable[Key]:
    """The client, term, class, billing codes and associates an invoice refers to."""
    yield ("client", inv.client_id)
    if inv.payment_term_id:
        yield ("payment_term", inv.payment_term_id)
    if inv.class_id:
        yield ("txn_class", inv.class_id)
    for line in inv.lines:
        if line.billing_code_id:
            yield ("billing_code", line.billing_code_id)
        if line.associate_id:
            yield ("associate", line.associate_id)


def entry_deps(entry: Any) -> Iterable[Key]:
    """The associate, client and billing code of an hours, expense or mileage entry."""
    yield ("associate", entry.associate_id)
    if entry.client_id:
        yield ("client", entry.client_id)
    if getattr(entry, "billing_code_id", None):
        yield ("billing_code", entry.billing_code_id)


def owed_deps(entry: Any, options: Mapping[str, str]) -> Iterable[Key]:
    """An expense owed to the associate needs their vendor record instead of the Employee."""
    if owed_choice(options) == "Bill":
        yield ("associate_vendor", entry.associate_id)
    else:
        yield ("associate", entry.associate_id)
    if entry.client_id:
        yield ("client", entry.client_id)
    if getattr(entry, "billing_code_id", None):
        yield ("billing_code", entry.billing_code_id)


def owed_choice(options: Mapping[str, str | None]) -> str:
    """The company's choice for associates' expenses: "Bill" (owed, the default) or "Purchase"."""
    return "Purchase" if options.get("associate_expenses_as") == "purchase" else "Bill"


def invoice_ready(inv: Invoice) -> None:
    """Only final invoices are copied."""
    if inv.status != InvoiceStatus.FINAL:
        raise NotSendable(f"Invoice {inv.number} is a draft: only final invoices are copied to "
                          "QuickBooks. Mark it final on its page, then copy it.",
                          fix=Fix.edit("invoice", inv.id), code="draft")


def billed_entries(inv: Invoice) -> Iterable[Key]:
    """The hours, expenses and mileage billed on the invoice: in QBO they stop being billable."""
    for line in inv.lines:
        if line.hours_entry_id:
            yield ("hours", line.hours_entry_id)
        if line.expense_entry_id:
            yield ("expense", line.expense_entry_id)
        if line.mileage_entry_id:
            yield ("mileage", line.mileage_entry_id)


def po_deps(po: PurchaseOrder) -> Iterable[Key]:
    """The vendor and billing codes of a purchase order."""
    yield ("organization", po.organization_id)
    for line in po.lines:
        if line.billing_code_id:
            yield ("billing_code", line.billing_code_id)
