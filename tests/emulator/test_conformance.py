"""The independent python-quickbooks library works against the emulator with only its base URL
changed: OAuth refresh through intuitlib, create, read, sparse update, query paging,
batch_create with the library's own bIds, CDC over several entities, Payment create and query,
exchange rates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from intuitlib.client import AuthClient
from quickbooks import QuickBooks
from quickbooks.batch import batch_create
from quickbooks.cdc import change_data_capture
from quickbooks.exceptions import ValidationException
from quickbooks.objects.base import LinkedTxn, Ref
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.estimate import Estimate
from quickbooks.objects.exchangerate import ExchangeRate
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.payment import Payment, PaymentLine
from quickbooks.objects.vendor import Vendor

from qbo_emulator.testing import Company, RunningEmulator

from .conftest import Api


@pytest.fixture
def qb(emulator: RunningEmulator, company: Company, monkeypatch: pytest.MonkeyPatch) -> QuickBooks:
    """A python-quickbooks client whose only change is the API base URL."""
    # requests-oauthlib refuses plain http unless told that this is a local test server.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    auth = AuthClient(
        client_id=emulator.client_id,
        client_secret=emulator.client_secret,
        redirect_uri="http://127.0.0.1:5000/admin/qbo/callback",
        environment=f"{emulator.url}/.well-known/openid_sandbox_configuration",
    )
    client = QuickBooks(
        auth_client=auth,
        refresh_token=company.refresh_token,
        company_id=company.realm_id,
        minorversion=75,
    )
    client.api_url_v3 = f"{emulator.url}/v3"
    return client


def test_refresh_create_read_sparse_update(
    emulator: RunningEmulator, company: Company, qb: QuickBooks
) -> None:
    stats = emulator.control("GET", f"stats?realm={company.realm_id}")
    assert stats["token_calls"] == {"refresh_token": 1}  # intuitlib refreshed at start-up
    customer = Customer()
    customer.DisplayName = "Conformance O'Neil"
    customer.GivenName = "Pat"
    customer.save(qb=qb)
    assert customer.Id
    read = Customer.get(customer.Id, qb=qb)
    assert read.DisplayName == "Conformance O'Neil"
    read.CompanyName = "Sparse Ltd"
    read.sparse = True
    read.save(qb=qb)
    again = Customer.get(customer.Id, qb=qb)
    assert again.CompanyName == "Sparse Ltd" and again.GivenName == "Pat"
    assert again.SyncToken == "1"


def test_invoice_and_validation_fault(qb: QuickBooks) -> None:
    customer = Customer.filter(DisplayName="Amy's Bird Sanctuary", qb=qb)[0]
    item = Item.filter(Name="Design", qb=qb)[0]
    line = SalesItemLine()
    line.Amount = Decimal("150.00")
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = item.to_ref()
    line.SalesItemLineDetail.Qty = 2
    line.SalesItemLineDetail.UnitPrice = Decimal("75")
    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()
    invoice.Line = [line]
    invoice.save(qb=qb)
    stored = Invoice.get(invoice.Id, qb=qb)
    assert Decimal(str(stored.TotalAmt)) == Decimal("150")
    assert stored.Line[-1].DetailType == "SubTotalLineDetail"
    assert stored.CustomerRef.name == "Amy's Bird Sanctuary"
    bad = Invoice()
    bad.CustomerRef = Ref()
    bad.CustomerRef.value = "424242"
    bad.Line = [line]
    with pytest.raises(ValidationException) as info:
        bad.save(qb=qb)
    assert info.value.error_code == 2500


def test_query_pagination(qb: QuickBooks) -> None:
    first = Customer.filter(start_position=1, max_results=10, order_by="Id", qb=qb)
    second = Customer.filter(start_position=11, max_results=10, order_by="Id", qb=qb)
    assert len(first) == 10 and len(second) == 10
    assert not {c.Id for c in first} & {c.Id for c in second}
    assert Customer.count(qb=qb) >= 30


def test_batch_create_with_the_library_ids(api: Api, qb: QuickBooks) -> None:
    customers = []
    for n in range(3):
        customer = Customer()
        customer.DisplayName = f"Batch Conformance {n}"
        customers.append(customer)
    duplicate = Customer()
    duplicate.DisplayName = "Batch Conformance 0"
    # batch_create names each item with a 36-character UUID; without a requestid QBO takes them.
    result = batch_create(customers + [duplicate], qb=qb)
    assert len(result.successes) == 3 and len(result.faults) == 1
    assert result.faults[0].Error[0].code == "6240"
    assert all(len(item.bId) == 36 for item in result.batch_responses)
    stored = api.query("select * from Customer where DisplayName like 'Batch Conformance%'")
    assert sorted(c["DisplayName"] for c in stored["Customer"]) == [
        f"Batch Conformance {n}" for n in range(3)
    ]


def _invoice(qb: QuickBooks, customer: Customer, amount: Decimal) -> Invoice:
    item = Item.filter(Name="Design", qb=qb)[0]
    line = SalesItemLine()
    line.Amount = amount
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = item.to_ref()
    line.SalesItemLineDetail.Qty = 1
    line.SalesItemLineDetail.UnitPrice = amount
    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()
    invoice.Line = [line]
    return invoice.save(qb=qb)


def _payment(qb: QuickBooks, customer: Customer, invoice: Invoice) -> Payment:
    link = LinkedTxn()
    link.TxnId = invoice.Id
    link.TxnType = "Invoice"
    line = PaymentLine()
    line.Amount = Decimal("40.00")
    line.LinkedTxn = [link]
    payment = Payment()
    payment.CustomerRef = customer.to_ref()
    payment.TotalAmt = Decimal("40.00")
    payment.Line = [line]
    return payment.save(qb=qb)


def test_cdc_over_several_entities(qb: QuickBooks) -> None:
    since = datetime.now(UTC) - timedelta(seconds=5)
    customer = Customer()
    customer.DisplayName = "CDC Conformance"
    customer.save(qb=qb)
    vendor = Vendor()
    vendor.DisplayName = "CDC Conformance Supplies"
    vendor.save(qb=qb)
    invoice = _invoice(qb, customer, Decimal("120.00"))
    payment = _payment(qb, customer, invoice)
    cdc = change_data_capture(
        [Customer, Vendor, Invoice, Payment, Estimate], since.isoformat(timespec="seconds"), qb=qb
    )
    assert customer.Id in {c.Id for c in cdc.Customer}
    assert vendor.Id in {v.Id for v in cdc.Vendor}
    assert invoice.Id in {i.Id for i in cdc.Invoice}
    changed = {p.Id: p for p in cdc.Payment}
    assert Decimal(str(changed[payment.Id].TotalAmt)) == Decimal("40")
    assert not hasattr(cdc, "Estimate")  # nothing changed: no list, and no failure


def test_query_payment(qb: QuickBooks) -> None:
    customer = Customer.filter(DisplayName="Amy's Bird Sanctuary", qb=qb)[0]
    invoice = _invoice(qb, customer, Decimal("75.00"))
    payment = _payment(qb, customer, invoice)
    found = Payment.filter(CustomerRef=customer.Id, qb=qb)
    assert [p.Id for p in found] == [payment.Id]
    assert found[0].Line[0].LinkedTxn[0].TxnId == invoice.Id
    assert found[0].CurrencyRef.value == "USD" and found[0].TxnDate
    assert Payment.count(qb=qb) == 1
    assert Payment.get(payment.Id, qb=qb).CustomerRef.name == "Amy's Bird Sanctuary"


def test_exchange_rates_read_and_set(
    emulator: RunningEmulator, company: Company, qb: QuickBooks
) -> None:
    emulator.control("POST", f"companies/{company.realm_id}/preferences", {"multicurrency": True})
    rate = ExchangeRate()
    rate.SourceCurrencyCode = "EUR"
    rate.Rate = Decimal("1.0912")
    rate.AsOfDate = "2026-11-05"
    saved = rate.save(qb=qb)
    assert saved.TargetCurrencyCode == "USD" and saved.SyncToken == "1"
    found = ExchangeRate.filter(SourceCurrencyCode="EUR", AsOfDate="2026-11-05", qb=qb)
    assert [Decimal(str(r.Rate)) for r in found] == [Decimal("1.0912")]
