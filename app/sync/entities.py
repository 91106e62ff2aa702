"""What each local record becomes in QuickBooks: its QBO entity, dependencies and payload.

A payload is built from the record and a ``Refs`` resolver. Built with ``LocalRefs`` (local ids
in place of QBO ids), the same function yields the record's fingerprint, so "changed since it
was copied" and "nothing to send" are decided without asking QBO.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from app.models import (
    Associate,
    BillingCode,
    Client,
    EntryStatus,
    ExpenseEntry,
    Fix,
    HoursEntry,
    Invoice,
    InvoiceStatus,
    LineKind,
    MileageEntry,
    Organization,
    PaymentTerm,
    PurchaseOrder,
    TxnClass,
)
from app.money import ZERO, line_amount

Key = tuple[str, int]  # (entity_type, local id)


class NotSendable(Exception):
    """The record cannot be sent as it is; the message names the fix."""

    def __init__(self, message: str, fix: Fix | None = None, code: str = "local") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.code = code


class Refs(Protocol):
    """Resolves references while a payload is built."""

    def ref(self, entity_type: str, local_id: int) -> dict[str, str]:
        """The QBO reference of a record the push creates or links (a dependency)."""

    def mapped(self, entity_type: str, local_id: int, what: str) -> dict[str, str]:
        """The QBO reference of a list entry that must be mapped (tax codes, accounts)."""

    def preference(self, key: str, what: str) -> dict[str, str]:
        """A default account or item chosen in the QBO settings."""

    def option(self, key: str, default: str) -> str:
        """A plain per-company option."""

    def invoice_tax(self, invoice: Invoice) -> dict[str, Any]:
        """Tax parts of an invoice: ``line_tax_codes`` and TxnTaxDetail / GlobalTaxCalculation."""

    def currency(self, code: str | None, rate: Decimal | None = None,
                 on: Any = None) -> dict[str, Any]:
        """CurrencyRef (+ ExchangeRate for a transaction dated ``on``) under multi-currency."""

    def owed_as(self, entity_type: str, local_id: int) -> str:
        """What an associate's expense or mileage becomes: "Bill" (owed) or "Purchase" (paid)."""


@dataclass(frozen=True)
class EntityType:
    """How one kind of local record is copied to QBO."""

    name: str
    model: type
    qbo_entity: str
    layer: int
    label: Callable[[Any], str]
    deps: Callable[[Any], Iterable[Key]]
    payload: Callable[[Any, Refs], dict[str, Any]]
    name_field: str | None = None  # unique name in QBO (name lists); None for transactions
    marker_field: str | None = None  # where transactions carry Ledgerhub's marker
    txn_date: Callable[[Any], Any] | None = None
    # Raises NotSendable when the record must not reach QBO as it stands (a draft invoice).
    ready: Callable[[Any], None] | None = None
    # Dependencies that depend on the company's defaults, given as a mapping of them.
    option_deps: Callable[[Any, Mapping[str, str]], Iterable[Key]] | None = None
    # Records already in QBO that must be brought up to date after this one is copied.
    followers: Callable[[Any], Iterable[Key]] | None = None
    # The QBO entity when it depends on the record or the defaults (Bill or Purchase).
    qbo_entity_for: Callable[[Any, Refs], str] | None = None


def _clip(text: str | None, limit: int) -> str | None:
    return text[:limit] if text else None


def _address(record: Any) -> dict[str, str] | None:
    parts = {"Line1": record.address_line1, "Line2": record.address_line2, "City": record.city,
             "CountrySubDivisionCode": record.region, "PostalCode": record.postal_code,
             "Country": record.country}
    parts = {k: v for k, v in parts.items() if v}
    return parts or None


def _contact(body: dict[str, Any], email: str | None, phone: str | None) -> None:
    if email:
        body["PrimaryEmailAddr"] = {"Address": email}
    if phone:
        body["PrimaryPhone"] = {"FreeFormNumber": phone}


def _split_name(name: str) -> tuple[str, str]:
    given, _, family = name.strip().partition(" ")
    return given[:100], family[:100]


def _party(body: dict[str, Any], record: Client | Organization, refs: Refs,
           term_key: str) -> dict[str, Any]:
    """What customers and vendors share: contact, address, notes, terms, currency."""
    _contact(body, record.email, record.phone)
    if (addr := _address(record)) is not None:
        body["BillAddr"] = addr
    if record.notes:
        body["Notes"] = _clip(record.notes, 2000)
    if record.payment_term_id:
        body[term_key] = refs.ref("payment_term", record.payment_term_id)
    body.update(refs.currency(record.currency, None))
    return body


def customer(c: Client, refs: Refs) -> dict[str, Any]:
    """Client -> Customer."""
    body: dict[str, Any] = {"DisplayName": c.name, "Active": c.active}
    if c.is_company:
        body["CompanyName"] = c.name
    else:
        body["GivenName"], body["FamilyName"] = _split_name(c.name)
    return _party(body, c, refs, "SalesTermRef")


def vendor(o: Organization, refs: Refs) -> dict[str, Any]:
    """Organization -> Vendor."""
    body: dict[str, Any] = {"DisplayName": o.name, "CompanyName": o.name, "Active": o.active}
    return _party(body, o, refs, "TermRef")


def employee(a: Associate, refs: Refs) -> dict[str, Any]:
    """Associate -> Employee (QBO needs a given or family name)."""
    given, family = a.first_name, a.last_name
    if not (given or family):
        given, family = _split_name(a.display_name)
    body: dict[str, Any] = {"DisplayName": a.display_name, "Active": a.active}
    if given:
        body["GivenName"] = given
    if family:
        body["FamilyName"] = family
    _contact(body, a.email, a.phone)
    if a.hourly_rate is not None:
        body["BillRate"] = a.hourly_rate
    if a.cost_rate is not None:
        body["CostRate"] = a.cost_rate
    return body


VENDOR_SUFFIX = " (expenses)"


def associate_vendor_name(a: Associate) -> str:
    """The associate's vendor record's DisplayName: unlike their Employee's, as QBO requires."""
    return a.display_name[:500 - len(VENDOR_SUFFIX)] + VENDOR_SUFFIX


def associate_vendor(a: Associate, refs: Refs) -> dict[str, Any]:
    """Associate -> Vendor that expenses and mileage owed to them are payable to."""
    given, family = a.first_name, a.last_name
    if not (given or family):
        given, family = _split_name(a.display_name)
    body: dict[str, Any] = {"DisplayName": associate_vendor_name(a), "Active": a.active,
                            "PrintOnCheckName": a.display_name[:110]}
    if given:
        body["GivenName"] = given
    if family:
        body["FamilyName"] = family
    _contact(body, a.email, a.phone)
    return body


def item(b: BillingCode, refs: Refs) -> dict[str, Any]:
    """Billing code -> Service item (sold; also purchasable when an expense account is set)."""
    body: dict[str, Any] = {"Name": b.code, "Type": "Service", "Active": b.active,
                            "Taxable": b.taxable,
                            "IncomeAccountRef": refs.preference("income_account",
                                                                "income account for new items")}
    if b.description:
        body["Description"] = _clip(b.description, 4000)
    if b.default_rate is not None:
        body["UnitPrice"] = b.default_rate
    return body


def term(t: PaymentTerm, refs: Refs) -> dict[str, Any]:
    """Payment term -> Term."""
    return {"Name": t.name, "DueDays": t.due_days, "Active": t.active}


def qbo_class(c: TxnClass, refs: Refs) -> dict[str, Any]:
    """Class -> Class."""
    return {"Name": c.name, "Active": c.active}


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
            entry["Description"] = _clip(description, 4000)
        lines.append(entry)
    body: dict[str, Any] = {"CustomerRef": refs.ref("client", inv.client_id),
                            "DocNumber": inv.number, "TxnDate": inv.issue_date.isoformat(),
                            "Line": lines}
    if inv.due_date:
        body["DueDate"] = inv.due_date.isoformat()
    if inv.payment_term_id:
        body["SalesTermRef"] = refs.ref("payment_term", inv.payment_term_id)
    if inv.memo:
        body["CustomerMemo"] = {"value": _clip(inv.memo, 1000)}
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
        body["Description"] = _clip(e.description, 3900)
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
        line["Description"] = _clip(description, 4000)
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


def _distance_unit() -> str:
    # The company counts mileage in miles or kilometres (Admin -> Settings): "mi" or "km".
    from app.models import CompanySettings

    return CompanySettings.load().distance_unit.value


def purchase_for_mileage(m: MileageEntry, refs: Refs) -> dict[str, Any]:
    """Mileage entry -> Purchase with the mileage item (distance x rate) or mileage account."""
    text = (f"{m.miles} {_distance_unit()} x {m.rate_per_mile}"
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
            entry["Description"] = _clip(line.description, 4000)
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


def _invoice_deps(inv: Invoice) -> Iterable[Key]:
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


def _entry_deps(entry: Any) -> Iterable[Key]:
    yield ("associate", entry.associate_id)
    if entry.client_id:
        yield ("client", entry.client_id)
    if getattr(entry, "billing_code_id", None):
        yield ("billing_code", entry.billing_code_id)


def _owed_deps(entry: Any, options: Mapping[str, str]) -> Iterable[Key]:
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


def _invoice_ready(inv: Invoice) -> None:
    if inv.status != InvoiceStatus.FINAL:
        raise NotSendable(f"Invoice {inv.number} is a draft: only final invoices are copied to "
                          "QuickBooks. Mark it final on its page, then copy it.",
                          fix=Fix.edit("invoice", inv.id), code="draft")


def _client_ready(c: Client) -> None:
    if c.is_inquiry:
        raise NotSendable(f"{c.name} is an inquiry, not a customer yet: convert it to a "
                          "customer on its page, then copy it.", fix=Fix.edit("client", c.id),
                          code="inquiry")


def _billed_entries(inv: Invoice) -> Iterable[Key]:
    """The hours, expenses and mileage billed on the invoice: in QBO they stop being billable."""
    for line in inv.lines:
        if line.hours_entry_id:
            yield ("hours", line.hours_entry_id)
        if line.expense_entry_id:
            yield ("expense", line.expense_entry_id)
        if line.mileage_entry_id:
            yield ("mileage", line.mileage_entry_id)


def _po_deps(po: PurchaseOrder) -> Iterable[Key]:
    yield ("organization", po.organization_id)
    for line in po.lines:
        if line.billing_code_id:
            yield ("billing_code", line.billing_code_id)


def _term_dep(record: Any) -> Iterable[Key]:
    if record.payment_term_id:
        yield ("payment_term", record.payment_term_id)


def _none(_: Any) -> Iterable[Key]:
    return ()


ENTITY_TYPES: dict[str, EntityType] = {t.name: t for t in (
    EntityType("payment_term", PaymentTerm, "Term", 0, lambda t: t.name, _none, term,
               name_field="Name"),
    EntityType("txn_class", TxnClass, "Class", 0, lambda c: c.name, _none, qbo_class,
               name_field="Name"),
    EntityType("billing_code", BillingCode, "Item", 0, lambda b: b.code, _none, item,
               name_field="Name"),
    EntityType("client", Client, "Customer", 1, lambda c: c.name, _term_dep, customer,
               name_field="DisplayName", ready=_client_ready),
    EntityType("organization", Organization, "Vendor", 1, lambda o: o.name, _term_dep, vendor,
               name_field="DisplayName"),
    EntityType("associate", Associate, "Employee", 1, lambda a: a.display_name, _none,
               employee, name_field="DisplayName"),
    EntityType("associate_vendor", Associate, "Vendor", 1, associate_vendor_name, _none,
               associate_vendor, name_field="DisplayName"),
    EntityType("invoice", Invoice, "Invoice", 2, lambda i: f"Invoice {i.number}",
               _invoice_deps, invoice, marker_field="PrivateNote",
               txn_date=lambda i: i.issue_date, ready=_invoice_ready,
               followers=_billed_entries),
    # After invoices: an invoice's copy brings the time billed on it up to date.
    EntityType("hours", HoursEntry, "TimeActivity", 3,
               lambda e: f"{e.hours} h on {e.work_date.isoformat()}", _entry_deps,
               time_activity, marker_field="Description", txn_date=lambda e: e.work_date),
    EntityType("expense", ExpenseEntry, "Purchase", 3,
               lambda e: f"Expense {e.amount} on {e.expense_date.isoformat()}", _entry_deps,
               purchase_for_expense, marker_field="PrivateNote",
               txn_date=lambda e: e.expense_date, option_deps=_owed_deps,
               qbo_entity_for=lambda e, refs: refs.owed_as("expense", e.id)),
    EntityType("mileage", MileageEntry, "Purchase", 3,
               lambda m: f"{m.miles} {_distance_unit()} on {m.trip_date.isoformat()}",
               _entry_deps,
               purchase_for_mileage, marker_field="PrivateNote",
               txn_date=lambda m: m.trip_date, option_deps=_owed_deps,
               qbo_entity_for=lambda m, refs: refs.owed_as("mileage", m.id)),
    EntityType("purchase_order", PurchaseOrder, "PurchaseOrder", 2,
               lambda p: f"Purchase order {p.number}", _po_deps, purchase_order,
               marker_field="PrivateNote", txn_date=lambda p: p.order_date),
)}


class LocalRefs:
    """Refs that stand for local ids: the payload becomes a fingerprint of the record."""

    def ref(self, entity_type: str, local_id: int) -> dict[str, str]:
        """A stand-in reference."""
        return {"value": f"{entity_type}:{local_id}"}

    def mapped(self, entity_type: str, local_id: int, what: str) -> dict[str, str]:
        """A stand-in reference."""
        return {"value": f"{entity_type}:{local_id}"}

    def preference(self, key: str, what: str) -> dict[str, str]:
        """A stand-in reference."""
        return {"value": f"pref:{key}"}

    def option(self, key: str, default: str) -> str:
        """A stand-in option."""
        return f"option:{key}"

    def invoice_tax(self, invoice: Invoice) -> dict[str, Any]:
        """The local tax inputs: line taxability, the invoice's tax code and tax treatment."""
        inputs: dict[str, Any] = {
            "line_tax_codes": [{"value": str(line.taxable)} for line in invoice.lines],
            "tax_code": invoice.tax_code_id}
        if invoice.tax_calculation is not None:  # absent before it existed: same hash as then
            inputs["tax_calculation"] = invoice.tax_calculation
        return inputs

    def currency(self, code: str | None, rate: Decimal | None = None,
                 on: Any = None) -> dict[str, Any]:
        """Currency and rate as entered."""
        return {"currency": code, "rate": rate}

    def owed_as(self, entity_type: str, local_id: int) -> str:
        """One form for the fingerprint: the choice of Bill or Purchase is not a local edit."""
        return "Purchase"


def _canonical(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value.normalize()) if value != ZERO else "0"
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def fingerprint(entity_type: str, record: Any) -> str | None:
    """A hash of everything the record would send; None when it cannot be sent as is."""
    from app.sync.amounts import amount_problems

    if amount_problems(record):
        return None
    try:
        body = ENTITY_TYPES[entity_type].payload(record, LocalRefs())
    except NotSendable:
        return None
    text = json.dumps(_canonical(body), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()
