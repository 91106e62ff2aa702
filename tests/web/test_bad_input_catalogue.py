"""Every form, every field, a catalogue of bad values: never a 500, never a partial write.

Each value is posted alone into an otherwise valid form. The answer is either a refusal (a
message next to a field, nothing in the database changed) or, for free text, a save that
stores exactly what was typed. Numbers, dates, choices and lists of values must refuse every
one of them. The suite's database decides the dialect (SQLite here, PostgreSQL in CI).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from app.extensions import db
from app.models import (
    Account,
    AccountType,
    Associate,
    BillingCode,
    BillingCodeKind,
    Client,
    Contact,
    ExpenseEntry,
    HoursEntry,
    Invoice,
    InvoiceLine,
    LineKind,
    MileageEntry,
    Organization,
    OrganizationCategory,
    PaymentMethod,
    PaymentTerm,
    POLine,
    PurchaseOrder,
    TaxCode,
    TxnClass,
)
from tests.conftest import Auth

BAD_VALUES = ["Infinity", "-Infinity", "1e400", "1e12", "0.005", "-1", "NaN", "sNaN", "'", ":",
              "\t", "a" * 101, "9" * 101, "\U0001F642", "abc", "2026-02-30", "2026-13-45"]
STRICT = {"date", "choice", "integer", "enum"}  # must refuse every value above


@dataclass(frozen=True)
class Case:
    """One form: where it posts, a valid submission, its fields and where it writes."""

    name: str
    user: str
    url: str  # formatted with the seeded ids
    base: dict[str, str]
    fields: dict[str, str]  # field -> kind (number, date, choice, integer, enum, text)
    tables: tuple[str, ...]
    record: tuple[type, str] | None = None  # the row a free-text save lands in
    prefix: str = ""
    htmx: bool = False
    extra: dict[str, str] = field(default_factory=dict)
    # Puts the record back on its follow-up list (a saved value takes it off) before each post.
    reset: tuple[type, str, str] | None = None


def _entry(kind: str, own: dict[str, str], new: bool) -> Case:
    model = {"hours": HoursEntry, "expenses": ExpenseEntry, "mileage": MileageEntry}[kind]
    where = "new" if new else "{" + kind + "}"
    fields = {**own, "client_id": "choice", "description": "text"}
    base = {"hours": {"work_date": "2026-11-20", "hours": "2", "rate": "100",
                      "billing_code_id": ""},
            "expenses": {"expense_date": "2026-11-20", "amount": "12.50",
                         "billing_code_id": ""},
            "mileage": {"trip_date": "2026-11-20", "miles": "10", "rate_per_mile": "0.7"},
            }[kind]
    return Case(f"{kind}-{'new' if new else 'edit'}", "alex", f"/my/{kind}/{where}",
                {**base, "client_id": "", "description": "Base entry", "billable": "y"},
                fields, (model.__tablename__,), (model, "new" if new else kind))


CASES = [
    _entry("hours", {"work_date": "date", "billing_code_id": "choice", "hours": "number",
                     "rate": "number"}, new=True),
    _entry("hours", {"work_date": "date", "hours": "number", "rate": "number"}, new=False),
    _entry("expenses", {"expense_date": "date", "billing_code_id": "choice",
                        "amount": "number"}, new=True),
    _entry("expenses", {"expense_date": "date", "amount": "number"}, new=False),
    _entry("mileage", {"trip_date": "date", "miles": "number", "rate_per_mile": "number"},
           new=True),
    _entry("mileage", {"trip_date": "date", "miles": "number", "rate_per_mile": "number"},
           new=False),
    Case("client", "owner", "/clients/{client}",
         {"name": "Base Client", "is_company": "1", "currency": "USD", "active": "y"},
         {"name": "text", "contact_name": "text", "email": "text", "phone": "text",
          "address_line1": "text", "city": "text", "region": "text", "postal_code": "text",
          "country": "text", "currency": "enum", "payment_term_id": "choice",
          "tax_code_id": "choice", "referred_by": "text", "act_as_reference": "enum",
          "notes": "text"}, ("clients",), (Client, "client")),
    Case("organization", "owner", "/organizations/{organization}",
         {"name": "Base Vendor", "currency": "USD", "active": "y"},
         {"name": "text", "category_id": "choice", "email": "text", "phone": "text",
          "city": "text", "currency": "enum", "payment_term_id": "choice", "notes": "text"},
         ("organizations",), (Organization, "organization")),
    Case("contact", "owner", "/organizations/{organization}/contacts/{contact}",
         {"name": "Base Contact"}, {"name": "text", "title": "text", "email": "text",
                                    "phone": "text"},
         ("contacts",), (Contact, "contact"), prefix="contact-{contact}-", htmx=True),
    Case("associate", "owner", "/admin/associates/{alex}",
         {"display_name": "Alex Rivera", "first_name": "Alex", "last_name": "Rivera",
          "username": "alex", "permission": "associate", "active": "y"},
         {"first_name": "text", "last_name": "text", "display_name": "text", "email": "text",
          "phone": "text", "username": "text", "hourly_rate": "number", "cost_rate": "number",
          "permission": "enum"}, ("associates",), (Associate, "alex")),
    Case("billing-code", "owner", "/lists/billing-codes/{code}",
         {"code": "Base Code", "kind": "hourly", "default_rate": "90", "active": "y"},
         {"code": "text", "kind": "enum", "description": "text", "default_rate": "number"},
         ("billing_codes",), (BillingCode, "code")),
    Case("payment-term", "owner", "/lists/payment-terms/{term}",
         {"name": "Net 30", "due_days": "30", "active": "y"},
         {"name": "text", "due_days": "integer"}, ("payment_terms",), (PaymentTerm, "term")),
    Case("class", "owner", "/lists/classes/{txn_class}", {"name": "Base Class", "active": "y"},
         {"name": "text"}, ("classes",), (TxnClass, "txn_class")),
    Case("tax-code", "owner", "/lists/tax-codes/{tax}",
         {"code": "TAXB", "name": "Base tax", "rate_percent": "8.25", "taxable": "y",
          "active": "y"},
         {"code": "text", "name": "text", "rate_percent": "number"}, ("tax_codes",),
         (TaxCode, "tax")),
    Case("payment-method", "owner", "/lists/payment-methods/{method}",
         {"name": "Cheque", "active": "y"}, {"name": "text"}, ("payment_methods",),
         (PaymentMethod, "method")),
    Case("account", "owner", "/lists/accounts/{account}",
         {"name": "Base Account", "account_type": "Expense", "active": "y"},
         {"name": "text", "number": "text", "account_type": "enum"}, ("accounts",),
         (Account, "account")),
    Case("category", "owner", "/lists/organization-categories/{category}",
         {"name": "Base Category"}, {"name": "text"}, ("organization_categories",),
         (OrganizationCategory, "category")),
    Case("invoice", "owner", "/invoices/{invoice}",
         {"client_id": "{client}", "number": "INV-1", "issue_date": "2026-11-01",
          "currency": "USD"},
         {"client_id": "choice", "number": "text", "issue_date": "date", "due_date": "date",
          "payment_term_id": "choice", "class_id": "choice", "tax_code_id": "choice",
          "currency": "enum", "exchange_rate": "number", "memo": "text"},
         ("invoices", "invoice_lines"), (Invoice, "invoice")),
    Case("invoice-hourly-line", "owner", "/invoices/{invoice}/lines/{hourly}",
         {"associate_id": "{alex}", "service_date": "2026-11-01", "billing_code_id": "{code}",
          "hours": "2", "rate": "90"},
         {"associate_id": "choice", "service_date": "date", "billing_code_id": "choice",
          "description": "text", "hours": "number", "rate": "number"},
         ("invoice_lines",), (InvoiceLine, "hourly"), prefix="line-{hourly}-", htmx=True),
    Case("invoice-new-hourly-line", "owner", "/invoices/{invoice}/lines",
         {"associate_id": "{alex}", "billing_code_id": "{code}", "hours": "2", "rate": "90"},
         {"associate_id": "choice", "service_date": "date", "billing_code_id": "choice",
          "hours": "number", "rate": "number"},
         ("invoice_lines",), (InvoiceLine, "new"), prefix="hourly-", htmx=True,
         extra={"kind": "hourly"}),
    Case("invoice-expense-line", "owner", "/invoices/{invoice}/lines/{expense_line}",
         {"billing_code_id": "{code}", "expense_amount": "5.00", "billable": "y"},
         {"billing_code_id": "choice", "description": "text", "expense_amount": "number"},
         ("invoice_lines",), (InvoiceLine, "expense_line"), prefix="line-{expense_line}-",
         htmx=True),
    Case("invoice-mileage-line", "owner", "/invoices/{invoice}/lines/{mileage_line}",
         {"associate_id": "{alex}", "miles": "10", "rate": "0.70"},
         {"associate_id": "choice", "service_date": "date", "description": "text",
          "miles": "number", "rate": "number"},
         ("invoice_lines",), (InvoiceLine, "mileage_line"), prefix="line-{mileage_line}-",
         htmx=True),
    Case("purchase-order", "owner", "/purchase-orders/{po}",
         {"organization_id": "{organization}", "number": "PO-1", "order_date": "2026-11-01",
          "currency": "USD", "status": "open"},
         {"organization_id": "choice", "number": "text", "order_date": "date",
          "currency": "enum", "status": "enum", "memo": "text"},
         ("purchase_orders", "po_lines"), (PurchaseOrder, "po")),
    Case("po-line", "owner", "/purchase-orders/{po}/lines/{po_line}",
         {"billing_code_id": "{code}", "account_id": "", "quantity": "2", "unit_cost": "25"},
         {"billing_code_id": "choice", "account_id": "choice", "description": "text",
          "quantity": "number", "unit_cost": "number"},
         ("po_lines",), (POLine, "po_line"), prefix="line-{po_line}-", htmx=True),
    Case("follow-up-rates", "owner", "/admin/qbo/import/follow-ups/rates/{alex}",
         {"hourly_rate": "125"}, {"hourly_rate": "number", "cost_rate": "number"},
         ("associates",), (Associate, "alex"), prefix="r{alex}-", htmx=True,
         reset=(Associate, "alex", "hourly_rate")),
    Case("follow-up-codes", "owner", "/admin/qbo/import/follow-ups/codes/{code}",
         {"default_rate": "90"}, {"default_rate": "number"}, ("billing_codes",),
         (BillingCode, "code"), prefix="r{code}-", htmx=True,
         reset=(BillingCode, "code", "default_rate")),
    Case("follow-up-references", "owner", "/admin/qbo/import/follow-ups/references/{client}",
         {"act_as_reference": ""}, {"referred_by": "text", "act_as_reference": "enum"},
         ("clients",), (Client, "client"), prefix="r{client}-", htmx=True),
    Case("follow-up-vendors", "owner", "/admin/qbo/import/follow-ups/vendors/{organization}",
         {}, {"category_id": "choice"}, ("organizations",), (Organization, "organization"),
         prefix="r{organization}-", htmx=True),
]


@pytest.fixture()
def seeded(users: dict, enable_qbo: None) -> dict[str, int]:
    """One record of every kind the forms edit."""
    term, tax = PaymentTerm(name="Net 30", due_days=30), TaxCode(code="TAXB", name="Base tax",
                                                                rate_percent=Decimal("8.25"))
    code = BillingCode(code="Base Code", kind=BillingCodeKind.HOURLY,
                       default_rate=Decimal("90"))
    client = Client(name="Base Client")
    organization = Organization(name="Base Vendor")
    contact = Contact(organization=organization, name="Base Contact")
    alex = users["alex"]
    invoice = Invoice(client=client, number="INV-1", issue_date=date(2026, 11, 1), lines=[
        InvoiceLine(kind=LineKind.HOURLY, associate=alex, billing_code=code,
                    hours=Decimal("2"), rate=Decimal("90"), position=1),
        InvoiceLine(kind=LineKind.EXPENSE, billing_code=code, expense_amount=Decimal("5"),
                    position=2),
        InvoiceLine(kind=LineKind.MILEAGE, associate=alex, miles=Decimal("10"),
                    rate=Decimal("0.7"), position=3)])
    po = PurchaseOrder(organization=organization, number="PO-1", order_date=date(2026, 11, 1),
                       lines=[POLine(billing_code=code, quantity=Decimal("2"),
                                     unit_cost=Decimal("25"))])
    rows = {"term": term, "tax": tax, "code": code, "client": client,
            "organization": organization, "contact": contact, "invoice": invoice, "po": po,
            "txn_class": TxnClass(name="Base Class"), "method": PaymentMethod(name="Cheque"),
            "account": Account(name="Base Account", account_type=AccountType.EXPENSE),
            "category": OrganizationCategory(name="Base Category"),
            "hours": HoursEntry(associate=alex, work_date=date(2026, 11, 2), hours=Decimal("1")),
            "expenses": ExpenseEntry(associate=alex, expense_date=date(2026, 11, 2),
                                     amount=Decimal("3")),
            "mileage": MileageEntry(associate=alex, trip_date=date(2026, 11, 2),
                                    miles=Decimal("4"), rate_per_mile=Decimal("0.5"))}
    db.session.add_all(rows.values())
    db.session.commit()
    ids = {name: row.id for name, row in rows.items()}
    ids.update(alex=alex.id, hourly=invoice.lines[0].id, expense_line=invoice.lines[1].id,
               mileage_line=invoice.lines[2].id, po_line=po.lines[0].id)
    return ids


def _snapshot(tables: tuple[str, ...]) -> list[Any]:
    db.session.expire_all()
    return [sorted(tuple(map(repr, row)) for row in db.session.execute(
        text(f"SELECT * FROM {table}"))) for table in tables]  # noqa: S608 - fixed names


def _stored(case: Case, ids: dict[str, int], name: str) -> Any:
    model, key = case.record
    if key == "new":
        row = db.session.scalars(db.select(model).order_by(model.id.desc()).limit(1)).first()
    else:
        row = db.session.get(model, ids[key])
    return getattr(row, name)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_bad_value_is_refused_or_kept_exactly(case: Case, auth: Auth,
                                                    seeded: dict[str, int]) -> None:
    client: FlaskClient = auth.login(case.user)
    url = case.url.format(**seeded)
    prefix = case.prefix.format(**seeded)
    base = {f"{prefix}{k}": v.format(**seeded) for k, v in case.base.items()}
    headers = {"HX-Request": "true"} if case.htmx else {}
    for name, kind in case.fields.items():
        for value in BAD_VALUES:
            if case.reset is not None:
                model, key, column = case.reset
                setattr(db.session.get(model, seeded[key]), column, None)
                db.session.commit()
            before = _snapshot(case.tables)
            answer = client.post(url, data={**case.extra, **base, f"{prefix}{name}": value},
                                 headers=headers)
            where = f"{case.name}.{name}={value!r}"
            assert answer.status_code < 500, where
            if not value.strip():
                continue  # whitespace is a blank field: refused when required, else cleared
            if _snapshot(case.tables) == before:
                assert "invalid-feedback" in answer.get_data(as_text=True), where
                continue
            _assert_kept(case, seeded, name, kind, value, where)


def _assert_kept(case: Case, ids: dict[str, int], name: str, kind: str, value: str,
                 where: str) -> None:
    """A saved value is exactly what was typed: text (trimmed or not), or the very number."""
    assert kind not in STRICT and case.record is not None, f"{where} was saved"
    stored = _stored(case, ids, name)
    if kind == "number":
        assert isinstance(stored, Decimal) and stored == Decimal(value), where
    else:
        assert (stored or "") in (value, value.strip()), where


def test_login_form_takes_any_value_without_failing(client: FlaskClient, users: dict) -> None:
    for value in BAD_VALUES:
        answer = client.post("/login", data={"username": value, "password": value})
        html = answer.get_data(as_text=True).lower()
        assert answer.status_code in (200, 401) and ("invalid" in html or "required" in html)
