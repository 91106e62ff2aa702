"""Invoice Manager: invoices, their three kinds of line, totals and the final state."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    BillingCode,
    BillingCodeKind,
    Client,
    EntryStatus,
    HoursEntry,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    PaymentTerm,
    TaxCode,
)
from tests.conftest import Auth

HTMX = {"HX-Request": "true"}


@pytest.fixture()
def setup(users: dict) -> dict:
    """A client on Net 30 in CAD with an 8.25% tax code, and two billing codes."""
    term = PaymentTerm(name="Net 30", due_days=30)
    tax = TaxCode(code="CA", name="California", rate_percent=Decimal("8.25"))
    client = Client(name="Acme Corp", currency="CAD", payment_term=term, tax_code=tax)
    consulting = BillingCode(code="Consulting", kind=BillingCodeKind.HOURLY, taxable=True,
                             default_rate=Decimal("150.00"))
    supplies = BillingCode(code="Supplies", kind=BillingCodeKind.EXPENSE)
    db.session.add_all([term, tax, client, consulting, supplies])
    db.session.commit()
    return {"term": term, "tax": tax, "client": client, "consulting": consulting,
            "supplies": supplies, "alex": users["alex"]}


def _invoice(setup: dict, **kw: object) -> Invoice:
    invoice = Invoice(**{"number": "1001", "client": setup["client"], "issue_date": date.today(),
                         "tax_code": setup["tax"], "currency": "CAD", **kw})
    db.session.add(invoice)
    db.session.commit()
    return invoice


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _reload(invoice: Invoice) -> Invoice:
    db.session.expire_all()
    return db.session.get(Invoice, invoice.id)


def test_new_invoice_suggests_number_and_takes_defaults_from_client(auth: Auth,
                                                                     setup: dict) -> None:
    client = auth.login("owner")
    page = client.get("/invoices/new").get_data(as_text=True)
    assert 'value="1001"' in page
    issued = date(2026, 3, 1)
    response = client.post("/invoices/new", data={
        "client_id": str(setup["client"].id), "number": "1001",
        "issue_date": issued.isoformat(), "currency": ""})
    assert response.status_code == 302, response.get_data(as_text=True)
    invoice = db.session.scalars(select(Invoice)).one()
    assert invoice.status == InvoiceStatus.DRAFT
    assert (invoice.currency, invoice.payment_term, invoice.tax_code) == (
        "CAD", setup["term"], setup["tax"])
    assert invoice.due_date == issued + timedelta(days=30)
    assert 'value="1002"' in client.get("/invoices/new").get_data(as_text=True)


def test_blank_optional_dates_are_taken_as_no_date(auth: Auth, setup: dict) -> None:
    # A browser posts an untouched date input as an empty value, not as a missing field.
    client = auth.login("owner")
    response = client.post("/invoices/new", data={
        "client_id": str(setup["client"].id), "number": "1001", "issue_date": "2026-03-01",
        "due_date": "", "payment_term_id": "", "class_id": "", "tax_code_id": "",
        "currency": "", "exchange_rate": "", "memo": ""})
    assert response.status_code == 302, response.get_data(as_text=True)
    invoice = db.session.scalars(select(Invoice)).one()
    assert invoice.due_date == date(2026, 3, 31)  # from the client's Net 30
    client.post(f"/invoices/{invoice.id}/lines", headers=HTMX, data={
        "kind": "mileage", "mileage-associate_id": str(setup["alex"].id),
        "mileage-service_date": "", "mileage-miles": "10", "mileage-rate": "0.70"})
    [line] = _reload(invoice).lines
    assert (line.service_date, line.amount) == (None, Decimal("7.00"))
    blank_issue = client.post("/invoices/new", data={
        "client_id": str(setup["client"].id), "number": "1002", "issue_date": " ",
        "due_date": ""}).get_data(as_text=True)
    assert "Required." in blank_issue and "Not a date on the calendar" not in blank_issue
    assert _count(Invoice) == 1


def test_invalid_header_shows_messages_and_writes_nothing(auth: Auth, setup: dict) -> None:
    client = auth.login("owner")
    _invoice(setup)
    data = {"client_id": str(setup["client"].id), "number": "1001",
            "issue_date": "2026-03-01", "currency": "USD"}
    taken = client.post("/invoices/new", data=data).get_data(as_text=True)
    assert "Another invoice already has this number." in taken
    too_long = client.post("/invoices/new", data={**data, "number": "X" * 22})
    assert "Field cannot be longer than 21 characters." in too_long.get_data(as_text=True)
    no_client = client.post("/invoices/new", data={**data, "number": "2", "client_id": ""})
    assert "Required." in no_client.get_data(as_text=True)
    early = client.post("/invoices/new", data={**data, "number": "3", "due_date": "2026-02-01"})
    assert "cannot be before the issue date" in early.get_data(as_text=True)
    rate = client.post("/invoices/new", data={**data, "number": "4", "exchange_rate": "abc"})
    assert "Enter a number, such as 12.50." in rate.get_data(as_text=True)
    assert _count(Invoice) == 1


def test_totals_are_exact_decimals_with_half_up_rounding(auth: Auth, setup: dict) -> None:
    client = auth.login("owner")
    invoice = _invoice(setup)
    url = f"/invoices/{invoice.id}/lines"
    # 0.5 h x 2.01 = 1.005 -> 1.01, taxable through the Consulting billing code.
    client.post(url, headers=HTMX, data={
        "kind": "hourly", "hourly-associate_id": str(setup["alex"].id),
        "hourly-service_date": "2026-03-02", "hourly-billing_code_id": str(setup["consulting"].id),
        "hourly-description": "Review", "hourly-hours": "0.5", "hourly-rate": "2.01"})
    # A taxable expense of 0.99: taxable subtotal 2.00, tax 0.165 -> 0.17 (half-up, not even).
    client.post(url, headers=HTMX, data={
        "kind": "expense", "expense-billing_code_id": str(setup["supplies"].id),
        "expense-description": "Paper", "expense-expense_amount": "0.99",
        "expense-billable": "y", "expense-taxable": "y"})
    # 1.5 mi x 0.67 = 1.005 -> 1.01, not taxable.
    response = client.post(url, headers=HTMX, data={
        "kind": "mileage", "mileage-associate_id": str(setup["alex"].id),
        "mileage-miles": "1.5", "mileage-rate": "0.67"})
    invoice = _reload(invoice)
    assert [line.amount for line in invoice.lines] == [Decimal("1.01"), Decimal("0.99"),
                                                       Decimal("1.01")]
    assert invoice.subtotal == Decimal("3.01")
    assert invoice.taxable_subtotal == Decimal("2.00")
    assert invoice.tax == Decimal("0.17")
    assert invoice.total == Decimal("3.18")
    assert all(isinstance(v, Decimal) for v in (invoice.subtotal, invoice.tax, invoice.total))
    text = response.get_data(as_text=True)
    assert 'id="invoice-subtotal">3.01<' in text
    assert 'id="invoice-tax">0.17<' in text
    assert 'id="invoice-total">3.18 CAD<' in text


def test_hourly_rate_defaults_from_billing_code_then_associate(auth: Auth, setup: dict) -> None:
    client = auth.login("owner")
    invoice = _invoice(setup)
    url = f"/invoices/{invoice.id}/lines"
    client.post(url, headers=HTMX, data={"kind": "hourly", "hourly-hours": "2",
                                         "hourly-billing_code_id": str(setup["consulting"].id)})
    client.post(url, headers=HTMX, data={"kind": "hourly", "hourly-hours": "1",
                                         "hourly-associate_id": str(setup["alex"].id)})
    missing = client.post(url, headers=HTMX, data={"kind": "hourly", "hourly-hours": "1"})
    assert "neither the billing code nor the associate has a default rate" in \
        missing.get_data(as_text=True)
    invoice = _reload(invoice)
    assert [line.rate for line in invoice.lines] == [Decimal("150.00"), Decimal("125.00")]
    assert invoice.subtotal == Decimal("425.00")


def test_line_add_and_delete_return_the_fragment(auth: Auth, setup: dict) -> None:
    client = auth.login("owner")
    invoice = _invoice(setup)
    added = client.post(f"/invoices/{invoice.id}/lines", headers=HTMX, data={
        "kind": "expense", "expense-description": "Courier", "expense-expense_amount": "12.50"})
    text = added.get_data(as_text=True)
    assert added.status_code == 200
    assert text.lstrip().startswith('<section id="invoice-lines"') and "<html" not in text
    assert "Courier" in text
    line = db.session.scalars(select(InvoiceLine)).one()
    assert (line.kind, line.expense_amount, line.billable, line.taxable) == (
        LineKind.EXPENSE, Decimal("12.50"), False, False)

    edited = client.post(f"/invoices/{invoice.id}/lines/{line.id}", headers=HTMX, data={
        f"line-{line.id}-description": "Courier (rush)",
        f"line-{line.id}-expense_amount": "20.00", f"line-{line.id}-billable": "y"})
    assert "Courier (rush)" in edited.get_data(as_text=True)
    assert _reload(invoice).subtotal == Decimal("20.00")

    assert client.get(f"/invoices/{invoice.id}/lines/{line.id}/delete").status_code == 405
    deleted = client.post(f"/invoices/{invoice.id}/lines/{line.id}/delete", headers=HTMX)
    assert "This invoice has no lines yet." in deleted.get_data(as_text=True)
    assert _count(InvoiceLine) == 0


def test_invalid_line_shows_message_and_writes_nothing(auth: Auth, setup: dict) -> None:
    client = auth.login("owner")
    invoice = _invoice(setup)
    url = f"/invoices/{invoice.id}/lines"
    blank = client.post(url, headers=HTMX, data={"kind": "hourly", "hourly-rate": "10"})
    assert "Required." in blank.get_data(as_text=True)
    precise = client.post(url, headers=HTMX, data={"kind": "hourly", "hourly-hours": "1.234",
                                                   "hourly-rate": "10"})
    assert "At most 2 decimal places." in precise.get_data(as_text=True)
    huge = client.post(url, headers=HTMX, data={"kind": "mileage", "mileage-miles": "1",
                                                 "mileage-rate": "-1"})
    assert "Between 0 and 99,999,999.9999." in huge.get_data(as_text=True)
    assert _count(InvoiceLine) == 0


def _add_expense(client: FlaskClient, invoice: Invoice) -> None:
    client.post(f"/invoices/{invoice.id}/lines", headers=HTMX, data={
        "kind": "expense", "expense-expense_amount": "5.00"})


def test_final_invoice_refuses_edits_until_back_to_draft(auth: Auth, setup: dict) -> None:
    client = auth.login("owner")
    invoice = _invoice(setup)
    refused = client.post(f"/invoices/{invoice.id}/final", follow_redirects=True)
    assert "Add at least one line" in refused.get_data(as_text=True)
    _add_expense(client, invoice)
    line_id = _reload(invoice).lines[0].id
    assert client.get(f"/invoices/{invoice.id}/final").status_code == 405
    client.post(f"/invoices/{invoice.id}/final")
    assert _reload(invoice).status == InvoiceStatus.FINAL

    page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "This invoice is final" in page and "Back to draft" in page
    header = client.post(f"/invoices/{invoice.id}", follow_redirects=True, data={
        "client_id": str(setup["client"].id), "number": "CHANGED",
        "issue_date": "2026-01-01", "currency": "USD"})
    assert "is final and cannot be changed" in header.get_data(as_text=True)
    add = client.post(f"/invoices/{invoice.id}/lines", headers=HTMX, data={
        "kind": "expense", "expense-expense_amount": "5.00"})
    assert "is final and cannot be changed" in add.get_data(as_text=True)
    client.post(f"/invoices/{invoice.id}/lines/{line_id}", headers=HTMX,
                data={f"line-{line_id}-expense_amount": "99.00"})
    client.post(f"/invoices/{invoice.id}/lines/{line_id}/delete", headers=HTMX)
    invoice = _reload(invoice)
    assert invoice.number == "1001"
    assert [line.amount for line in invoice.lines] == [Decimal("5.00")]

    client.post(f"/invoices/{invoice.id}/draft")
    _add_expense(client, invoice)
    assert _reload(invoice).status == InvoiceStatus.DRAFT
    assert _reload(invoice).subtotal == Decimal("10.00")


def test_add_lines_from_open_hours(auth: Auth, setup: dict) -> None:
    client = auth.login("owner")
    invoice = _invoice(setup)
    alex = setup["alex"]
    other = Client(name="Other Client")
    db.session.add_all([
        HoursEntry(associate=alex, client=setup["client"], work_date=date(2026, 3, 2),
                   hours=Decimal("1.5"), billing_code=setup["consulting"], description="Audit"),
        HoursEntry(associate=alex, client=setup["client"], work_date=date(2026, 3, 3),
                   hours=Decimal("2.25"), rate=Decimal("100.00")),
        HoursEntry(associate=alex, client=setup["client"], work_date=date(2026, 3, 4),
                   hours=Decimal("9"), status=EntryStatus.INVOICED),
        HoursEntry(associate=alex, client=other, work_date=date(2026, 3, 4), hours=Decimal("9")),
    ])
    db.session.commit()
    response = client.post(f"/invoices/{invoice.id}/open-hours", headers=HTMX)
    assert "Added 2 lines: 2 from hours." in response.get_data(as_text=True)
    invoice = _reload(invoice)
    assert [(line.hours, line.rate, line.amount) for line in invoice.lines] == [
        (Decimal("1.50"), Decimal("150.0000"), Decimal("225.00")),
        (Decimal("2.25"), Decimal("100.0000"), Decimal("225.00"))]
    statuses = db.session.scalars(select(HoursEntry.status).order_by(HoursEntry.id)).all()
    assert statuses == [EntryStatus.INVOICED, EntryStatus.INVOICED, EntryStatus.INVOICED,
                        EntryStatus.OPEN]
    again = client.post(f"/invoices/{invoice.id}/open-hours", headers=HTMX)
    assert "has no open billable hours" in again.get_data(as_text=True)


def test_listing_search_sort_and_status_filter(auth: Auth, setup: dict) -> None:
    client = auth.login("qboadmin")
    beta = Client(name="Beta LLC")
    db.session.add(beta)
    _invoice(setup, number="1001")
    _invoice(setup, number="1002", client=beta, status=InvoiceStatus.FINAL)
    listing = client.get("/invoices/").get_data(as_text=True)
    assert "1001" in listing and "1002" in listing
    assert "Beta LLC" in client.get("/invoices/?q=beta").get_data(as_text=True)
    assert "Acme Corp" not in client.get("/invoices/?q=beta").get_data(as_text=True)
    drafts = client.get("/invoices/?status=draft").get_data(as_text=True)
    assert ">1001<" in drafts and ">1002<" not in drafts
    finals = client.get("/invoices/?status=final").get_data(as_text=True)
    assert ">1002<" in finals and ">1001<" not in finals
    by_client = client.get("/invoices/?sort=client&dir=desc",
                           headers={**HTMX, "HX-Target": "listing"}).get_data(as_text=True)
    assert by_client.lstrip().startswith('<div id="listing">')
    assert by_client.index("Beta LLC") < by_client.index("Acme Corp")
    assert "No invoice matches" in client.get("/invoices/?q=zzz").get_data(as_text=True)


def test_associate_gets_403_everywhere(app: Flask, auth: Auth) -> None:
    client = auth.login("alex")
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("invoices.")]
    assert len(rules) >= 9
    for rule in rules:
        url = rule.rule.replace("<int:invoice_id>", "1").replace("<int:line_id>", "1")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            assert client.open(url, method=method).status_code == 403, (method, url)
