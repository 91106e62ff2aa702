"""Tax outside the US, end to end: a Canadian emulator company, inclusive and exclusive amounts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from app.models import (
    BillingCode,
    BillingCodeKind,
    EventOutcome,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    LinkOrigin,
    LinkState,
    QboConnection,
    QboLink,
    QboObject,
    QboPreference,
    RunStatus,
    SyncEvent,
    TaxCode,
)
from app.sync.lists import refresh_lists
from tests.conftest import Auth
from tests.sync.import_support import connect_company, qbo_client, use_dev_client
from tests.sync.push_support import link_of, make_invoice, push, qbo_rows, set_defaults


@pytest.fixture()
def realm(app: Flask, app_ctx: Flask, emulator: Any, enable_qbo: None, users: dict,
          monkeypatch: pytest.MonkeyPatch) -> str:
    """A connected Canadian company (home CAD) with its defaults and tax codes cached."""
    use_dev_client(app, emulator, monkeypatch)
    realm_id = connect_company(app, emulator, "Maple Co", country="CA", home_currency="CAD")
    connection = db.session.scalars(db.select(QboConnection)).one()
    connection.country = "CA"
    set_defaults(emulator, realm_id)
    with qbo_client(app, realm_id) as client:
        refresh_lists(client, db.session, realm_id, ["TaxCode"])
    exempt = _qbo_code(realm_id, "Exempt")
    db.session.add(QboPreference(realm_id=realm_id, key="exempt_tax_code", value=exempt))
    db.session.commit()
    return realm_id


def _qbo_code(realm_id: str, name: str) -> str:
    return db.session.scalars(db.select(QboObject.qbo_id).where(
        QboObject.realm_id == realm_id, QboObject.entity == "TaxCode",
        QboObject.name == name)).one()


def _mapped_code(realm_id: str, code: str, rate: str, qbo_name: str) -> TaxCode:
    local = TaxCode(code=code, name=code, rate_percent=Decimal(rate))
    db.session.add(local)
    db.session.flush()
    db.session.add(QboLink(realm_id=realm_id, entity_type="tax_code", local_id=local.id,
                           qbo_id=_qbo_code(realm_id, qbo_name), state=LinkState.SYNCED,
                           origin=LinkOrigin.MAPPED))
    return local


def _canadian_invoice(number: str, code: TaxCode, mode: str) -> Invoice:
    """Hours of 187.50, 375.00 and 562.50 (taxable) and a 736.57 expense (exempt)."""
    invoice = make_invoice(number, client_name=f"Client {number}")
    invoice.client.currency = "CAD"
    invoice.currency = "CAD"
    invoice.tax_code = code
    invoice.tax_calculation = mode
    for line in invoice.lines:
        line.taxable = True
    materials = BillingCode(code=f"Materials {number}", kind=BillingCodeKind.EXPENSE)
    invoice.lines.append(InvoiceLine(position=9, kind=LineKind.EXPENSE, taxable=False,
                                     billing_code=materials,
                                     expense_amount=Decimal("736.57"),
                                     service_date=date(2026, 11, 9), description="Materials"))
    db.session.commit()
    return invoice


def _failures(run: Any) -> list[str]:
    return [f"{e.label}: {e.message}" for e in db.session.scalars(db.select(SyncEvent).where(
        SyncEvent.run_id == run.id, SyncEvent.outcome == EventOutcome.FAILED))]


def _qbo_invoice(emulator: Any, realm_id: str, invoice: Invoice) -> dict[str, Any]:
    link = link_of(realm_id, "invoice", invoice.id)
    [row] = qbo_rows(emulator, realm_id, "Invoice", f"Id = '{link.qbo_id}'")
    return row


def test_inclusive_invoice_total_equals_qbo(realm: str, emulator: Any, auth: Auth) -> None:
    invoice = _canadian_invoice("7001", _mapped_code(realm, "HST ON", "13", "HST ON"),
                                "TaxInclusive")
    # The amounts already contain the tax: the total is their sum, before any copy.
    assert invoice.total == invoice.subtotal == Decimal("1861.57")
    # Per line: 187.50 x 13/113 = 21.57, 375.00 -> 43.14, 562.50 -> 64.71.
    assert invoice.tax == Decimal("129.42")
    page = auth.login("qboadmin").get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "Amounts are inclusive of tax" in page
    assert 'id="invoice-total">1,861.57 CAD' in page

    run = push([("invoice", invoice.id)])
    assert run.status == RunStatus.SUCCEEDED, _failures(run)
    qbo = _qbo_invoice(emulator, realm, invoice)
    invoice = db.session.get(Invoice, invoice.id)
    assert qbo["GlobalTaxCalculation"] == "TaxInclusive"
    assert Decimal(str(qbo["TotalAmt"])) == invoice.total == Decimal("1861.57")
    assert Decimal(str(qbo["TxnTaxDetail"]["TotalTax"])) == invoice.tax == Decimal("129.42")
    assert invoice.estimated_totals.total == invoice.total
    assert not db.session.scalars(db.select(SyncEvent).where(
        SyncEvent.run_id == run.id, SyncEvent.fault_code == "drift")).all()
    assert link_of(realm, "invoice", invoice.id).last_error is None


def test_company_default_applies_and_the_invoice_records_it(realm: str, emulator: Any) -> None:
    db.session.add(QboPreference(realm_id=realm, key="global_tax_calculation",
                                 value="TaxInclusive"))
    invoice = _canadian_invoice("7002", _mapped_code(realm, "GST", "5", "GST"), None)
    assert invoice.tax_calculation is None  # created before the choice existed
    run = push([("invoice", invoice.id)])
    assert run.status == RunStatus.SUCCEEDED, _failures(run)
    invoice = db.session.get(Invoice, invoice.id)
    assert invoice.tax_calculation == "TaxInclusive"
    qbo = _qbo_invoice(emulator, realm, invoice)
    assert qbo["GlobalTaxCalculation"] == "TaxInclusive"
    assert Decimal(str(qbo["TotalAmt"])) == invoice.total == Decimal("1861.57")
    again = push([("invoice", invoice.id)])  # recording the treatment is no local change
    assert (again.updated_count, again.skipped_count) == (0, again.done)


def test_a_mapping_to_another_rate_is_flagged_and_the_run_warns(realm: str, emulator: Any,
                                                                 auth: Auth) -> None:
    # The case: a local 13% code mapped to a QuickBooks code of another rate.
    invoice = _canadian_invoice("7003", _mapped_code(realm, "HST ON", "13", "GST"),
                                "TaxExcluded")
    assert invoice.tax == Decimal("146.26")  # 24.38 + 48.75 + 73.13: 13% line by line
    run = push([("invoice", invoice.id)])
    assert run.status == RunStatus.WARNING, _failures(run)
    [drift] = db.session.scalars(db.select(SyncEvent).where(
        SyncEvent.run_id == run.id, SyncEvent.fault_code == "drift")).all()
    assert drift.outcome == EventOutcome.INFO
    assert "tax 146.26 here, 56.26 in QuickBooks" in drift.message
    assert "total 2007.83 here, 1917.83 in QuickBooks" in drift.message
    qbo = _qbo_invoice(emulator, realm, invoice)
    assert Decimal(str(qbo["TxnTaxDetail"]["TotalTax"])) == Decimal("56.26")

    client = auth.login("qboadmin")
    page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert 'id="invoice-drift"' in page and "tax 146.26 here, 56.26 in QuickBooks" in page
    run_page = client.get(f"/admin/qbo/runs/{run.id}").get_data(as_text=True)
    assert "Succeeded with warnings" in run_page
    assert "tax 146.26 here, 56.26 in QuickBooks" in run_page
    log = client.get("/admin/qbo/log").get_data(as_text=True)
    assert "tax 146.26 here, 56.26 in QuickBooks" in log


def test_foreign_invoice_shows_the_home_amount_qbo_computed(
        app: Flask, app_ctx: Flask, emulator: Any, enable_qbo: None, users: dict, auth: Auth,
        monkeypatch: pytest.MonkeyPatch) -> None:
    use_dev_client(app, emulator, monkeypatch)
    realm_id = connect_company(app, emulator, "Maple Multi Co", country="CA",
                               home_currency="CAD", multicurrency=True)
    db.session.scalars(db.select(QboConnection)).one().country = "CA"
    set_defaults(emulator, realm_id)
    with qbo_client(app, realm_id) as client:
        refresh_lists(client, db.session, realm_id, ["TaxCode"])
    db.session.add(QboPreference(realm_id=realm_id, key="exempt_tax_code",
                                 value=_qbo_code(realm_id, "Exempt")))
    invoice = make_invoice("7004", client_name="Euro Client")
    invoice.client.currency = invoice.currency = "EUR"
    invoice.exchange_rate = Decimal("1.47250000")
    invoice.tax_calculation = "TaxExcluded"
    db.session.commit()
    page = auth.login("qboadmin").get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "(estimate at 1.4725)" in page and "1.47250000" not in page

    run = push([("invoice", invoice.id)])
    assert run.status == RunStatus.SUCCEEDED, _failures(run)
    qbo = _qbo_invoice(emulator, realm_id, invoice)
    invoice = db.session.get(Invoice, invoice.id)
    # 1,125.00 EUR x 1.4725 = 1,656.5625 -> 1,656.56 CAD, as QBO computed it
    assert Decimal(str(qbo["HomeTotalAmt"])) == invoice.qbo_home_total == Decimal("1656.56")
    page = auth.login("qboadmin").get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert 'id="invoice-home-total">1,656.56 CAD' in page
    assert "as computed by QuickBooks" in page


def test_each_invoice_chooses_inclusive_or_exclusive(realm: str, auth: Auth) -> None:
    db.session.add(QboPreference(realm_id=realm, key="global_tax_calculation",
                                 value="TaxInclusive"))
    code = _mapped_code(realm, "HST ON", "13", "HST ON")
    invoice = _canadian_invoice("7005", code, "TaxExcluded")
    invoice.status = InvoiceStatus.DRAFT  # still being written: its header can change
    db.session.commit()
    client = auth.login("qboadmin")
    new = client.get("/invoices/new").get_data(as_text=True)
    assert 'name="tax_calculation"' in new
    assert '<option selected value="TaxInclusive">' in new  # the company's default
    assert "Amounts are exclusive of tax" in client.get(f"/invoices/{invoice.id}").get_data(
        as_text=True)
    assert invoice.total == Decimal("2007.83")
    response = client.post(f"/invoices/{invoice.id}", follow_redirects=True, data={
        "client_id": str(invoice.client_id), "number": "7005", "issue_date": "2026-11-02",
        "currency": "CAD", "tax_code_id": str(code.id), "tax_calculation": "TaxInclusive"})
    assert "Amounts are inclusive of tax" in response.get_data(as_text=True)
    invoice = db.session.get(Invoice, invoice.id)
    assert (invoice.tax_calculation, invoice.total) == ("TaxInclusive", Decimal("1861.57"))
    bad = client.post(f"/invoices/{invoice.id}", data={
        "client_id": str(invoice.client_id), "number": "7005", "issue_date": "2026-11-02",
        "currency": "CAD", "tax_calculation": "Sideways"})
    assert bad.status_code == 200 and "Not a valid choice" in bad.get_data(as_text=True)
