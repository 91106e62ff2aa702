"""Local invoice totals equal QuickBooks' to the cent: random lines, rates and tax rates.

Each example creates a real invoice in the emulator over HTTP and compares its TotalAmt and
TxnTaxDetail.TotalTax with ``app.sync.tax.invoice_totals``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.models import Invoice, InvoiceLine, LineKind, TaxCode
from app.qbo.client import dumps_json, loads_json
from app.sync.tax import compare, invoice_totals, tax_fields

_ids = itertools.count(1)


@dataclass
class Company:
    """A test company in the emulator with a customer and an item to invoice."""

    realm_id: str
    base_url: str
    headers: dict[str, str]
    customer: str
    item: str
    store: Any
    company: Any

    def post(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create a record; fail the test with QBO's fault otherwise."""
        response = requests.post(f"{self.base_url}/{entity.lower()}?minorversion=75",
                                 data=dumps_json(body),
                                 headers={**self.headers, "Content-Type": "application/json"},
                                 timeout=30)
        data = loads_json(response.content)
        assert response.status_code == 200, data
        return data[entity]

    def query(self, text: str) -> list[dict[str, Any]]:
        """Rows of a query."""
        response = requests.get(f"{self.base_url}/query", params={"query": text},
                                headers=self.headers, timeout=30)
        answer = loads_json(response.content)["QueryResponse"]
        return next((v for v in answer.values() if isinstance(v, list)), [])

    def tax_code(self, percents: list[Decimal]) -> str:
        """A new sales tax code (a group when several rates) with the given rates."""
        details = []
        with self.store.lock:
            for percent in percents:
                rate_id = f"9{next(_ids)}"
                self.store.put(self.company, "TaxRate", {
                    "Id": rate_id, "SyncToken": "0", "Active": True, "Name": f"Rate {rate_id}",
                    "RateValue": percent, "SpecialTaxType": "NONE"})
                details.append({"TaxRateRef": {"value": rate_id},
                                "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": 0})
            code_id = f"8{next(_ids)}"
            self.store.put(self.company, "TaxCode", {
                "Id": code_id, "SyncToken": "0", "Active": True, "Name": f"Code {code_id}",
                "Taxable": True, "TaxGroup": len(percents) > 1,
                "SalesTaxRateList": {"TaxRateDetail": details},
                "PurchaseTaxRateList": {"TaxRateDetail": []}})
        return code_id


def _company(emulator: Any, country: str) -> Company:
    # The US invoices here carry a transaction tax code: a company on manual sales tax.
    model = {"sales_tax": "manual"} if country == "US" else {}
    created = emulator.create_company(name=f"Tax property {country}", country=country, **model)
    store = emulator.emulator.store
    company = Company(created.realm_id, created.base_url, created.headers, "", "", store,
                      store.companies[created.realm_id])
    income = next(a for a in company.query("select * from Account")
                  if a.get("AccountType") == "Income")
    company.customer = company.post("Customer", {"DisplayName": f"Prop Client {country}"})["Id"]
    company.item = company.post("Item", {"Name": f"Prop Service {country}", "Type": "Service",
                                         "IncomeAccountRef": {"value": income["Id"]}})["Id"]
    return company


@pytest.fixture(scope="module")
def companies(emulator: Any) -> Iterator[dict[str, Company]]:
    """A US and an Australian company, with throttling off while the examples run."""
    was_throttling = emulator.emulator.throttle.enabled
    emulator.control("POST", "settings", {"throttle": False})
    try:
        yield {"US": _company(emulator, "US"), "AU": _company(emulator, "AU")}
    finally:
        emulator.control("POST", "settings", {"throttle": was_throttling})


def _decimal(low: str, high: str, places: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=Decimal(low), max_value=Decimal(high), places=places,
                       allow_nan=False, allow_infinity=False)


LINE = st.one_of(
    st.tuples(st.just(LineKind.HOURLY), _decimal("0.01", "999.99", 2),
              _decimal("0.01", "2500", 4), st.booleans()),
    st.tuples(st.just(LineKind.MILEAGE), _decimal("0.1", "5000", 2),
              _decimal("0.01", "2", 4), st.booleans()),
    st.tuples(st.just(LineKind.EXPENSE), st.just(Decimal(1)),
              _decimal("0.01", "99999.99", 2), st.booleans()),
)
PERCENTS = st.lists(_decimal("0", "27.5", 3), min_size=1, max_size=3)


def _invoice(lines: list[tuple[LineKind, Decimal, Decimal, bool]], code: TaxCode) -> Invoice:
    invoice = Invoice(number="P-1", issue_date=date(2026, 1, 5), currency="USD",
                      tax_code=code, lines=[])
    for position, (kind, qty, price, taxable) in enumerate(lines):
        line = InvoiceLine(kind=kind, position=position, taxable=taxable)
        if kind == LineKind.HOURLY:
            line.hours, line.rate = qty, price
        elif kind == LineKind.MILEAGE:
            line.miles, line.rate = qty, price
        else:
            line.expense_amount = price
        invoice.lines.append(line)
    return invoice


def _payload(company: Company, invoice: Invoice, fields: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"CustomerRef": {"value": company.customer}, "Line": []}
    for line, code_ref in zip(invoice.lines, fields.pop("line_tax_codes"), strict=True):
        detail: dict[str, Any] = {"ItemRef": {"value": company.item}, "Qty": line.quantity,
                                  "UnitPrice": line.unit_price}
        if code_ref:
            detail["TaxCodeRef"] = code_ref
        body["Line"].append({"Amount": line.amount, "DetailType": "SalesItemLineDetail",
                             "SalesItemLineDetail": detail})
    body.update(fields)
    return body


def _check(company: Company, invoice: Invoice, rates: dict[int, list[tuple[str, Decimal]]],
           *, us: bool, global_tax: str = "TaxExcluded", exempt: str | None = None) -> None:
    local = invoice_totals(invoice, us=us, global_tax=global_tax, rates=rates)
    code_id = rates_key = invoice.tax_code.id
    qbo_code = rates[rates_key][0][0].split(":")[0] if rates.get(rates_key) else None
    fields = tax_fields(invoice, us=us, txn_tax_code=qbo_code, line_tax_code=qbo_code,
                        exempt_tax_code=exempt, global_tax=global_tax)
    created = company.post("Invoice", _payload(company, invoice, fields))
    qbo_total = Decimal(created["TotalAmt"])
    qbo_tax = Decimal(created["TxnTaxDetail"]["TotalTax"])
    assert (local.total, local.tax) == (qbo_total, qbo_tax), (code_id, rates, invoice.lines)
    assert local.subtotal == sum(Decimal(line["Amount"]) for line in created["Line"]
                                 if line["DetailType"] == "SalesItemLineDetail")
    assert compare(local, created) is None


def _rates(code_id: str, percents: list[Decimal]) -> dict[int, list[tuple[str, Decimal]]]:
    # Key each rate as "<qbo code>:<n>" so the test can read the QBO code back.
    return {1: [(f"{code_id}:{n}", p) for n, p in enumerate(percents)]}


COMMON = settings(max_examples=60, deadline=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture,
                                         HealthCheck.too_slow])


@COMMON
@given(lines=st.lists(LINE, min_size=1, max_size=8), percents=PERCENTS)
def test_us_totals_match_qbo(companies: dict[str, Company], lines: list, percents: list
                             ) -> None:
    """US: TAX/NON lines, a transaction tax code (group) with random rates."""
    company = companies["US"]
    code_id = company.tax_code(percents)
    invoice = _invoice(lines, TaxCode(id=1, code="T", name="T", rate_percent=sum(percents),
                                      taxable=True))
    _check(company, invoice, _rates(code_id, percents), us=True)


@COMMON
@given(lines=st.lists(LINE, min_size=1, max_size=8), percents=PERCENTS,
       mode=st.sampled_from(["TaxExcluded", "TaxInclusive"]))
def test_global_totals_match_qbo(companies: dict[str, Company], lines: list, percents: list,
                                 mode: str) -> None:
    """Non-US: a tax code per line (taxable lines: random rates; others zero-rated)."""
    company = companies["AU"]
    code_id = company.tax_code(percents)
    invoice = _invoice(lines, TaxCode(id=1, code="G", name="G", rate_percent=sum(percents),
                                      taxable=True))
    gst_free = company.query("select * from TaxCode where Name = 'GST free'")[0]["Id"]
    _check(company, invoice, _rates(code_id, percents), us=False, global_tax=mode,
           exempt=gst_free)


def test_local_rates_default_to_the_invoice_tax_code(companies: dict[str, Company]) -> None:
    """Without QBO rates, the local tax code's percentage is used (one rounding)."""
    company = companies["US"]
    code_id = company.tax_code([Decimal("8.25")])
    invoice = _invoice([(LineKind.HOURLY, Decimal("3.33"), Decimal("33.335"), True),
                        (LineKind.EXPENSE, Decimal(1), Decimal("10.01"), False)],
                       TaxCode(id=1, code="T", name="T", rate_percent=Decimal("8.25"),
                               taxable=True))
    local = invoice_totals(invoice, us=True)
    assert local == invoice_totals(invoice, us=True, rates=_rates(code_id, [Decimal("8.25")]))
    assert local.subtotal == Decimal("111.01") + Decimal("10.01")
    _check(company, invoice, _rates(code_id, [Decimal("8.25")]), us=True)


def test_qbo_rates_read_the_cached_tax_codes(app_ctx: Any) -> None:
    """Rates come from the TaxCode rows refresh_lists caches, through the tax code mapping."""
    from app.extensions import db
    from app.models import QboObject
    from app.sync.lists import describe
    from app.sync.mappings import set_mapping
    from app.sync.tax import qbo_rates

    realm = "9130000000000009"
    row = {"Id": "2", "SyncToken": "0", "Name": "Texas", "Active": True, "Taxable": True,
           "TaxGroup": True, "SalesTaxRateList": {"TaxRateDetail": [
               {"TaxRateRef": {"value": "1"}}, {"TaxRateRef": {"value": "5"}}]}}
    rates = {"1": {"name": "State", "percent": "6.25"}, "5": {"name": "City", "percent": "2"}}
    db.session.add(QboObject(realm_id=realm, entity="TaxCode", qbo_id="2",
                             **describe("TaxCode", row, rates)))
    local = TaxCode(code="TX", name="Texas", rate_percent=Decimal("8.25"))
    db.session.add(local)
    db.session.flush()
    set_mapping(db.session, realm, "tax_code", local.id, "2")
    assert qbo_rates(db.session, realm) == {
        local.id: [("1", Decimal("6.25")), ("5", Decimal("2"))]}
