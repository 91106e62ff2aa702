"""Copying invoices to a US company on automated sales tax, and the models around it."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from app.models import (
    EventOutcome,
    Invoice,
    LinkOrigin,
    LinkState,
    QboConnection,
    QboLink,
    QboPreference,
    RunStatus,
    SyncEvent,
    TaxCode,
)
from app.qbo.connection import read_company
from tests.sync.import_support import connect_company, use_dev_client
from tests.sync.push_support import link_of, make_invoice, push, qbo_rows, set_defaults


def _setup(app: Flask, emulator: Any, monkeypatch: pytest.MonkeyPatch, name: str,
           **options: Any) -> str:
    use_dev_client(app, emulator, monkeypatch)
    realm_id = connect_company(app, emulator, name, **options)
    set_defaults(emulator, realm_id)
    return realm_id


@pytest.fixture()
def realm(app: Flask, app_ctx: Flask, emulator: Any, enable_qbo: None,
          monkeypatch: pytest.MonkeyPatch) -> str:
    """A connected US company as created today: automated sales tax."""
    return _setup(app, emulator, monkeypatch, "Automated Co")


def _taxed_invoice(number: str, region: str | None = "NY") -> Invoice:
    """An invoice whose first line (187.50) is taxable at an UNMAPPED local 8.25% code."""
    invoice = make_invoice(number, client_name=f"Client {number}")
    invoice.tax_code = TaxCode(code=f"ST{number}", name="State tax", rate_percent=Decimal("8.25"))
    invoice.lines[0].taxable = True
    if region:
        invoice.client.region, invoice.client.country = region, "USA"
    db.session.commit()
    return invoice


def _sent(run_id: int, invoice_id: int) -> dict[str, Any]:
    [event] = db.session.scalars(db.select(SyncEvent).where(
        SyncEvent.run_id == run_id, SyncEvent.entity_type == "invoice",
        SyncEvent.local_id == invoice_id, SyncEvent.outcome == EventOutcome.CREATED)).all()
    return json.loads(event.request_body)


def _in_qbo(emulator: Any, realm: str, invoice_id: int) -> dict[str, Any]:
    link = link_of(realm, "invoice", invoice_id)
    [row] = qbo_rows(emulator, realm, "Invoice", f"Id = '{link.qbo_id}'")
    return row


def _figures(row: dict[str, Any]) -> tuple[Decimal, Decimal]:
    return Decimal(str(row["TxnTaxDetail"]["TotalTax"])), Decimal(str(row["TotalAmt"]))


def _drift(run_id: int) -> list[str]:
    return [e.message for e in db.session.scalars(db.select(SyncEvent).where(
        SyncEvent.run_id == run_id, SyncEvent.fault_code == "drift"))]


def test_connect_reads_the_sales_tax_model(app: Flask, app_ctx: Flask, emulator: Any,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    use_dev_client(app, emulator, monkeypatch)
    automated = emulator.create_company(name="Read AST")
    manual = emulator.create_company(name="Read manual", sales_tax="manual")
    assert read_company(app.config, automated.realm_id,
                        automated.tokens["access_token"]).automated_sales_tax is True
    assert read_company(app.config, manual.realm_id,
                        manual.tokens["access_token"]).automated_sales_tax is False


def test_default_lets_qbo_compute_and_writes_its_figures_back(realm: str, emulator: Any,
                                                              auth: Any) -> None:
    invoice = _taxed_invoice("7001")  # client in New York: 4% in the emulator's table
    assert invoice.tax == Decimal("15.47")  # Ledgerhub's estimate at 8.25%
    run = push([("invoice", invoice.id)])
    assert run.status == RunStatus.SUCCEEDED, run.message
    sent = _sent(run.id, invoice.id)
    assert "TxnTaxCodeRef" not in json.dumps(sent)  # no tax code QBO would ignore
    assert [line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in sent["Line"]] == [
        "TAX", "NON", "NON"]
    assert _figures(_in_qbo(emulator, realm, invoice.id)) == (Decimal("7.50"),
                                                              Decimal("1132.50"))
    invoice = db.session.get(Invoice, invoice.id)
    assert (invoice.qbo_tax, invoice.qbo_total) == (Decimal("7.50"), Decimal("1132.50"))
    assert (invoice.tax, invoice.total) == (Decimal("7.50"), Decimal("1132.50"))
    [drift] = _drift(run.id)
    assert "tax 15.47 here, 7.50 in QuickBooks" in drift
    assert "from the customer's address" in drift
    page = auth.login("owner").get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "as computed by QuickBooks" in page and "Ledgerhub's estimate: 15.47" in page
    assert "1,132.50" in page or "1132.50" in page


def test_override_sends_ledgerhubs_tax_without_a_tax_code(realm: str, emulator: Any) -> None:
    db.session.add(QboPreference(realm_id=realm, key="tax_mode", value="override"))
    invoice = _taxed_invoice("7002")
    run = push([("invoice", invoice.id)])
    assert run.status == RunStatus.SUCCEEDED, run.message
    sent = _sent(run.id, invoice.id)
    assert list(sent["TxnTaxDetail"]) == ["TotalTax"]  # the amount, no tax code
    assert Decimal(str(sent["TxnTaxDetail"]["TotalTax"])) == Decimal("15.47")
    assert _figures(_in_qbo(emulator, realm, invoice.id)) == (Decimal("15.47"),
                                                              Decimal("1140.47"))
    invoice = db.session.get(Invoice, invoice.id)
    assert invoice.qbo_tax is None and invoice.total == Decimal("1140.47")
    assert _drift(run.id) == []


def test_a_switch_to_automated_is_noticed_before_the_push(app: Flask, app_ctx: Flask,
                                                          emulator: Any, enable_qbo: None,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    realm = _setup(app, emulator, monkeypatch, "Switching Co", sales_tax="manual")
    invoice = _taxed_invoice("7003", region=None)  # no address: the company's (California)
    dry = push([("invoice", invoice.id)], dry_run=True)
    assert "not mapped" in db.session.scalars(db.select(SyncEvent.message).where(
        SyncEvent.run_id == dry.id, SyncEvent.entity_type == "invoice")).one()
    emulator.control("POST", f"companies/{realm}/preferences", {"sales_tax": "automated"})
    run = push([("invoice", invoice.id)])
    assert run.status == RunStatus.SUCCEEDED, run.message
    assert link_of(realm, "invoice", invoice.id).state == LinkState.SYNCED
    notes = db.session.scalars(db.select(SyncEvent.message).where(
        SyncEvent.run_id == run.id, SyncEvent.entity_type == "company")).all()
    assert any("now uses automated sales tax" in n for n in notes)
    row = db.session.scalars(db.select(QboConnection).where(
        QboConnection.realm_id == realm)).one()
    assert row.automated_sales_tax is True
    # 187.50 x 7.25% = 13.59375 -> 13.59
    assert _figures(_in_qbo(emulator, realm, invoice.id))[0] == Decimal("13.59")


def test_manual_company_still_sends_the_mapped_code(app: Flask, app_ctx: Flask, emulator: Any,
                                                    enable_qbo: None,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    realm = _setup(app, emulator, monkeypatch, "Still Manual Co", sales_tax="manual")
    invoice = _taxed_invoice("7004")
    db.session.add(QboLink(realm_id=realm, entity_type="tax_code",
                           local_id=invoice.tax_code_id, qbo_id="2", state=LinkState.SYNCED,
                           origin=LinkOrigin.MAPPED))
    db.session.commit()
    run = push([("invoice", invoice.id)])
    assert run.status == RunStatus.SUCCEEDED, run.message
    assert _sent(run.id, invoice.id)["TxnTaxDetail"]["TxnTaxCodeRef"] == {"value": "2"}
    # Texas 8.25% from the code, although the client is in New York.
    assert _figures(_in_qbo(emulator, realm, invoice.id)) == (Decimal("15.47"),
                                                              Decimal("1140.47"))


def test_non_us_company_is_unchanged(app: Flask, app_ctx: Flask, emulator: Any,
                                     enable_qbo: None, monkeypatch: pytest.MonkeyPatch) -> None:
    realm = _setup(app, emulator, monkeypatch, "Sydney Co", country="AU", home_currency="AUD")
    row = db.session.scalars(db.select(QboConnection).where(
        QboConnection.realm_id == realm)).one()
    row.country = "AU"
    # The Australian seed: tax code 1 is GST 10%, 2 is GST free.
    db.session.add(QboPreference(realm_id=realm, key="exempt_tax_code", value="2"))
    invoice = _taxed_invoice("7005", region=None)
    invoice.tax_code.rate_percent = Decimal("10")  # as GST, the code it is mapped to
    invoice.currency = invoice.client.currency = "AUD"
    db.session.add(QboLink(realm_id=realm, entity_type="tax_code",
                           local_id=invoice.tax_code_id, qbo_id="1", state=LinkState.SYNCED,
                           origin=LinkOrigin.MAPPED))
    db.session.commit()
    run = push([("invoice", invoice.id)])
    assert run.status == RunStatus.SUCCEEDED, run.message
    sent = _sent(run.id, invoice.id)
    assert sent["GlobalTaxCalculation"] == "TaxExcluded"
    assert [line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in sent["Line"]] == [
        "1", "2", "2"]
    assert _figures(_in_qbo(emulator, realm, invoice.id)) == (Decimal("18.75"),
                                                              Decimal("1143.75"))
    db.session.expire_all()
    assert db.session.get(QboConnection, row.id).automated_sales_tax is False
