"""Exchange rates, CurrencyRef/ExchangeRate fields, and multi-currency on and off in QBO."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
from flask import Flask

from app.extensions import db
from app.models import (
    BillingCode,
    BillingCodeKind,
    Client,
    ConnectionStatus,
    Invoice,
    InvoiceLine,
    LineKind,
    QboConnection,
)
from app.models.base import utcnow
from app.money import round_cents
from app.qbo.client import dumps_json, loads_json
from app.sync import mappings
from app.sync.currency import (
    RateError,
    add_rate,
    currency_fields,
    parse_rate,
    rate_for,
)
from app.sync.preflight import check_record


def test_rate_for_uses_the_latest_rate_not_after_the_date(app_ctx: Flask) -> None:
    add_rate(db.session, "cad", "USD", Decimal("0.70"), date(2026, 1, 1))
    add_rate(db.session, "CAD", "USD", Decimal("0.74"), date(2026, 2, 1))
    add_rate(db.session, "CAD", "EUR", Decimal("0.66"), date(2026, 1, 15))
    assert rate_for(db.session, "CAD", date(2025, 12, 31), "USD") is None
    assert rate_for(db.session, "CAD", date(2026, 1, 31), "USD") == Decimal("0.70")
    assert rate_for(db.session, "CAD", date(2026, 2, 1), "USD") == Decimal("0.74")
    assert rate_for(db.session, "CAD", date(2026, 2, 1), "EUR") == Decimal("0.66")
    assert rate_for(db.session, "USD", date(2000, 1, 1), "USD") == Decimal(1)
    add_rate(db.session, "CAD", "USD", Decimal("0.75"), date(2026, 2, 1))  # replaces
    assert rate_for(db.session, "CAD", date(2026, 3, 1), "USD") == Decimal("0.75")


def test_rates_are_validated(app_ctx: Flask) -> None:
    assert parse_rate(" 1,234.5 ") == Decimal("1234.5")
    for text in ("0", "-2", "x", "NaN", "1.000000001", "99999999999"):
        with pytest.raises(RateError):
            parse_rate(text)
    with pytest.raises(RateError, match="home currency"):
        add_rate(db.session, "USD", "USD", Decimal(1), date.today())


def test_currency_fields() -> None:
    assert currency_fields("USD", "USD", False, None) == {}
    assert currency_fields("USD", "USD", True, None) == {"CurrencyRef": {"value": "USD"}}
    assert currency_fields("CAD", "USD", True, Decimal("0.73")) == {
        "CurrencyRef": {"value": "CAD"}, "ExchangeRate": Decimal("0.73")}
    with pytest.raises(ValueError, match="Multi-currency is off"):
        currency_fields("CAD", "USD", False, Decimal("0.73"))
    with pytest.raises(ValueError, match="No exchange rate"):
        currency_fields("CAD", "USD", True, None)


def _save_connection(company: Any, multicurrency: bool) -> None:
    db.session.add(QboConnection(realm_id=company.realm_id, environment="emulator",
                                 status=ConnectionStatus.CONNECTED, company_name="MC",
                                 access_token_enc="x", refresh_token_enc="x",  # noqa: S106
                                 access_expires_at=utcnow() + timedelta(hours=1),
                                 country="US", home_currency="USD",
                                 multicurrency_enabled=multicurrency))
    db.session.flush()


def _post(company: Any, entity: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = requests.post(f"{company.base_url}/{entity.lower()}?minorversion=75",
                             data=dumps_json(body),
                             headers={**company.headers, "Content-Type": "application/json"},
                             timeout=30)
    return response.status_code, loads_json(response.content)


def _cad_invoice() -> Invoice:
    client = Client(name="Maple Leaf", currency="CAD")
    code = BillingCode(code="Design", kind=BillingCodeKind.HOURLY)
    invoice = Invoice(number="C-1", client=client, issue_date=date(2026, 3, 2), currency="CAD",
                      lines=[InvoiceLine(kind=LineKind.HOURLY, hours=Decimal("2.5"),
                                         rate=Decimal("120.10"), billing_code=code)])
    db.session.add(invoice)
    db.session.flush()
    return invoice


def _send(company: Any, invoice: Invoice, fields: dict[str, Any]) -> tuple[int, dict]:
    status, customer = _post(company, "Customer", {"DisplayName": invoice.client.name,
                                                   "CurrencyRef": {"value": "CAD"}})
    if status != 200:
        return status, customer
    line = invoice.lines[0]
    return _post(company, "Invoice", {
        "CustomerRef": {"value": customer["Customer"]["Id"]},
        "Line": [{"Amount": line.amount, "DetailType": "SalesItemLineDetail",
                  "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": line.quantity,
                                          "UnitPrice": line.unit_price}}],
        **fields})


def test_multicurrency_on_sends_the_rate_from_the_table(app_ctx: Flask, emulator: Any) -> None:
    company = emulator.create_company(name="MC on", multicurrency=True, home_currency="USD")
    _save_connection(company, multicurrency=True)
    mappings.set_preference(db.session, company.realm_id, "income_account", "1")
    invoice = _cad_invoice()
    problems = check_record(db.session, company.realm_id, "invoice", invoice)
    assert [p.code for p in problems] == ["exchange_rate_missing"]
    add_rate(db.session, "CAD", "USD", Decimal("0.7312"), date(2026, 3, 1))
    assert check_record(db.session, company.realm_id, "invoice", invoice) == []
    rate = rate_for(db.session, "CAD", invoice.issue_date, "USD")
    status, body = _send(company, invoice, currency_fields("CAD", "USD", True, rate))
    assert status == 200, body
    created = body["Invoice"]
    assert created["CurrencyRef"]["value"] == "CAD"
    assert Decimal(created["ExchangeRate"]) == Decimal("0.7312")
    assert Decimal(created["HomeTotalAmt"]) == round_cents(invoice.total * Decimal("0.7312"))


def test_multicurrency_off_refuses_before_qbo_would(app_ctx: Flask, emulator: Any) -> None:
    company = emulator.create_company(name="MC off", multicurrency=False, home_currency="USD")
    _save_connection(company, multicurrency=False)
    invoice = _cad_invoice()
    client_problems = check_record(db.session, company.realm_id, "client", invoice.client)
    invoice_problems = check_record(db.session, company.realm_id, "invoice", invoice)
    assert [p.code for p in client_problems] == ["multicurrency_off"]
    assert "multi-currency is off in QuickBooks" in client_problems[0].message
    assert "multicurrency_off" in [p.code for p in invoice_problems]
    with pytest.raises(ValueError, match="Multi-currency is off"):
        currency_fields("CAD", "USD", False, Decimal("0.73"))
    # QuickBooks itself would refuse it: the pre-flight only says so earlier.
    status, body = _send(company, invoice, {"CurrencyRef": {"value": "CAD"},
                                            "ExchangeRate": Decimal("0.73")})
    assert status == 400 and "Multicurrency is not enabled" in str(body)
