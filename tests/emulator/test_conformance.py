"""The independent python-quickbooks library works against the emulator with only its base URL
changed: OAuth refresh through intuitlib, create, read, sparse update, query paging, batch, CDC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from intuitlib.client import AuthClient
from quickbooks import QuickBooks
from quickbooks.batch import BatchManager, batch_create
from quickbooks.cdc import change_data_capture
from quickbooks.exceptions import ValidationException
from quickbooks.objects.base import Ref
from quickbooks.objects.batchrequest import BatchOperation
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item

from qbo_emulator.testing import Company, RunningEmulator


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


def test_batch_and_cdc(qb: QuickBooks) -> None:
    since = datetime.now(UTC) - timedelta(seconds=5)
    customers = []
    for n in range(3):
        customer = Customer()
        customer.DisplayName = f"Batch Conformance {n}"
        customers.append(customer)
    duplicate = Customer()
    duplicate.DisplayName = "Batch Conformance 0"
    objects = customers + [duplicate]
    # The library names items with 36-character UUIDs; QBO documents bId as at most 10
    # characters and the emulator enforces that, so short bIds are set before sending.
    manager = BatchManager(BatchOperation.CREATE)
    batch = manager.list_to_batch_request(objects)
    for number, item in enumerate(batch.BatchItemRequest, start=1):
        item.bId = str(number)
    result = manager.batch_results_to_list(qb.batch_operation(batch.to_json()), batch, objects)
    assert len(result.successes) == 3 and len(result.faults) == 1
    assert result.faults[0].Error[0].code == "6240"
    cdc = change_data_capture([Customer, Invoice], since.isoformat(timespec="seconds"), qb=qb)
    names = {c.DisplayName for c in cdc.Customer}
    assert {f"Batch Conformance {n}" for n in range(3)} <= names


def test_library_default_batch_ids_exceed_bid_limit(qb: QuickBooks) -> None:
    customer = Customer()
    customer.DisplayName = "Long bId"
    with pytest.raises(ValidationException) as info:
        batch_create([customer], qb=qb)
    assert info.value.error_code == 2050
