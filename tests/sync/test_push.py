"""Add QBO: records and their dependencies copied exactly once (emulator, real RQ worker)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from app.models import EventOutcome, LinkState, RunStatus, SyncEvent, TaxCode
from tests.support import fix_path
from tests.sync.import_support import connect_company, use_dev_client
from tests.sync.push_support import (
    link_of,
    make_invoice,
    push,
    qbo_rows,
    set_defaults,
    total_requests,
    writes,
)


@pytest.fixture()
def realm(app: Flask, app_ctx: Flask, emulator: Any, enable_qbo: None,
          monkeypatch: pytest.MonkeyPatch) -> str:
    """A connected emulator company with its defaults chosen."""
    use_dev_client(app, emulator, monkeypatch)
    realm_id = connect_company(app, emulator, "Push Co")
    set_defaults(emulator, realm_id)
    return realm_id


@pytest.fixture()
def manual_realm(app: Flask, app_ctx: Flask, emulator: Any, enable_qbo: None,
                 monkeypatch: pytest.MonkeyPatch) -> str:
    """A connected US company on manual sales tax (tax codes decide the rate)."""
    use_dev_client(app, emulator, monkeypatch)
    realm_id = connect_company(app, emulator, "Manual Tax Co", sales_tax="manual")
    set_defaults(emulator, realm_id)
    return realm_id


def test_invoice_brings_its_customer_employee_item_and_term(realm: str, emulator: Any) -> None:
    invoice = make_invoice()
    run = push([("invoice", invoice.id)])

    assert run.status == RunStatus.SUCCEEDED, run.message
    assert (run.created_count, run.failed_count) == (5, 0)  # term, item, client, employee, inv
    inv_link = link_of(realm, "invoice", invoice.id)
    [qbo_invoice] = qbo_rows(emulator, realm, "Invoice", f"Id = '{inv_link.qbo_id}'")
    customer = link_of(realm, "client", invoice.client_id)
    assert qbo_invoice["CustomerRef"]["value"] == customer.qbo_id
    assert qbo_invoice["DocNumber"] == "1001"
    sales = [line for line in qbo_invoice["Line"] if line["DetailType"] == "SalesItemLineDetail"]
    assert [(line["SalesItemLineDetail"]["Qty"], line["Amount"]) for line in sales] == [
        (Decimal("1.25"), Decimal("187.50")), (Decimal("2.50"), Decimal("375.00")),
        (Decimal("3.75"), Decimal("562.50"))]
    item = link_of(realm, "billing_code", invoice.lines[0].billing_code_id)
    assert {line["SalesItemLineDetail"]["ItemRef"]["value"] for line in sales} == {item.qbo_id}
    assert Decimal(str(qbo_invoice["TotalAmt"])) == invoice.total == Decimal("1125.00")
    [employee] = qbo_rows(emulator, realm, "Employee", "DisplayName = 'Robin Hale 1001'")
    assert employee["Id"] == link_of(realm, "associate", invoice.lines[0].associate_id).qbo_id
    assert "Ledgerhub ref" in qbo_invoice["PrivateNote"]


def test_second_push_makes_no_request_and_an_edit_updates(realm: str, emulator: Any) -> None:
    invoice = make_invoice()
    push([("invoice", invoice.id)])
    before = total_requests(emulator, realm)

    again = push([("invoice", invoice.id)])
    assert again.status == RunStatus.SUCCEEDED
    assert (again.created_count, again.updated_count, again.skipped_count) == (0, 0, 5)
    assert total_requests(emulator, realm) == before  # not one request for unchanged records

    invoice = db.session.get(type(invoice), invoice.id)
    invoice.lines[0].hours = Decimal("2.00")
    db.session.commit()
    edited = push([("invoice", invoice.id)])
    assert (edited.updated_count, edited.skipped_count) == (1, 4)
    link = link_of(realm, "invoice", invoice.id)
    [qbo_invoice] = qbo_rows(emulator, realm, "Invoice", f"Id = '{link.qbo_id}'")
    assert qbo_invoice["SyncToken"] == "1"
    assert Decimal(str(qbo_invoice["TotalAmt"])) == Decimal("1237.50")
    assert len(qbo_rows(emulator, realm, "Invoice")) == 1


def test_changed_in_qbo_meanwhile_is_reread_and_reapplied(realm: str, emulator: Any) -> None:
    from tests.sync.import_support import api

    invoice = make_invoice()
    push([("invoice", invoice.id)])
    client_link = link_of(realm, "client", invoice.client_id)
    # Someone edits the customer in QBO: our SyncToken is now stale (5010 on update).
    api(emulator, realm, "POST", "customer", {"Id": client_link.qbo_id, "SyncToken": "0",
                                              "sparse": True, "Notes": "edited in QBO"})
    invoice.client.phone = "555-0199"
    db.session.commit()
    run = push([("client", invoice.client_id)])
    assert (run.updated_count, run.failed_count) == (1, 0), run.message
    [customer] = qbo_rows(emulator, realm, "Customer", f"Id = '{client_link.qbo_id}'")
    assert customer["PrimaryPhone"]["FreeFormNumber"] == "555-0199"
    assert customer["SyncToken"] == "2"


def test_unmapped_tax_code_fails_alone_before_any_write(manual_realm: str, emulator: Any) -> None:
    realm = manual_realm
    bad = make_invoice("2001", client_name="Taxed Client")
    bad.tax_code = TaxCode(code="STATE", name="State tax", rate_percent=Decimal("6"))
    bad.lines[0].taxable = True
    good = make_invoice("2002", client_name="Plain Client")
    db.session.commit()
    before = writes(emulator, realm)

    run = push([("invoice", bad.id), ("invoice", good.id)])

    assert run.status == RunStatus.PARTIAL
    failed = db.session.scalars(db.select(SyncEvent).where(
        SyncEvent.run_id == run.id, SyncEvent.outcome == EventOutcome.FAILED)).all()
    assert [(e.entity_type, e.local_id) for e in failed] == [("invoice", bad.id)]
    assert "is not mapped" in failed[0].message and "STATE" in failed[0].message
    assert fix_path(failed[0].fix).startswith("/admin/qbo/settings/mappings")
    assert link_of(realm, "invoice", bad.id) is None
    assert link_of(realm, "invoice", good.id).state == LinkState.SYNCED
    assert writes(emulator, realm) > before  # the rest of the run went on


def test_dry_run_writes_nothing(realm: str, emulator: Any) -> None:
    invoice = make_invoice()
    before = writes(emulator, realm)
    run = push([("invoice", invoice.id)], dry_run=True)
    assert run.status == RunStatus.SUCCEEDED
    planned = db.session.scalars(db.select(SyncEvent).where(
        SyncEvent.run_id == run.id, SyncEvent.outcome == EventOutcome.PLANNED)).all()
    assert {e.entity_type for e in planned} == {"payment_term", "billing_code", "client",
                                                "associate", "invoice"}
    [preview] = [e for e in planned if e.entity_type == "invoice"]
    assert '"CustomerRef":{"value":"(new)"}' in preview.request_body
    assert writes(emulator, realm) == before
    assert link_of(realm, "invoice", invoice.id) is None


def test_duplicate_name_in_qbo_offers_to_link(realm: str, emulator: Any) -> None:
    from app.models import Client

    client = Client(name="Amy's Bird Sanctuary")  # created in QBO by hand already (seed)
    db.session.add(client)
    db.session.commit()
    run = push([("client", client.id)])
    [event] = db.session.scalars(db.select(SyncEvent).where(SyncEvent.run_id == run.id)).all()
    # QBO is asked before the create, so the twin is offered instead of a 6240.
    assert event.outcome == EventOutcome.FAILED and event.fault_code == "qbo_match"
    assert "QuickBooks already has customer “Amy's Bird Sanctuary”" in event.message
    assert "link it or create anyway" in event.message
    assert fix_path(event.fix) == f"/admin/qbo/match/client/{client.id}"
    assert len(qbo_rows(emulator, realm, "Customer",
                        "DisplayName = 'Amy\\'s Bird Sanctuary'")) == 1


def _map_texas(realm: str, app: Flask, rate: str) -> TaxCode:
    """A local tax code mapped to the emulator's Texas code (8.25%), lists cached."""
    from app.models import LinkOrigin, QboLink
    from app.sync.lists import refresh_lists
    from tests.sync.import_support import qbo_client

    with qbo_client(app, realm) as client:
        refresh_lists(client, db.session, realm, ["TaxCode"])
    code = TaxCode(code="TX", name="Texas", rate_percent=Decimal(rate))
    db.session.add(code)
    db.session.flush()
    db.session.add(QboLink(realm_id=realm, entity_type="tax_code", local_id=code.id,
                           qbo_id="2", state=LinkState.SYNCED, origin=LinkOrigin.MAPPED))
    db.session.commit()
    return code


def test_taxed_invoice_matches_qbo_to_the_cent(manual_realm: str, emulator: Any,
                                               app: Flask) -> None:
    realm = manual_realm
    invoice = make_invoice("3001", client_name="Taxed Co")
    invoice.tax_code = _map_texas(realm, app, "8.25")
    for line in invoice.lines[:2]:
        line.taxable = True
    db.session.commit()
    run = push([("invoice", invoice.id)])
    assert run.status == RunStatus.SUCCEEDED, run.message
    link = link_of(realm, "invoice", invoice.id)
    [qbo_invoice] = qbo_rows(emulator, realm, "Invoice", f"Id = '{link.qbo_id}'")
    assert Decimal(str(qbo_invoice["TxnTaxDetail"]["TotalTax"])) == invoice.tax == Decimal("46.41")
    assert Decimal(str(qbo_invoice["TotalAmt"])) == invoice.total
    assert link.last_error is None


def test_a_cent_of_difference_is_flagged_with_both_figures(manual_realm: str, emulator: Any,
                                                           app: Flask) -> None:
    realm = manual_realm
    invoice = make_invoice("3002", client_name="Drift Co")
    invoice.tax_code = _map_texas(realm, app, "8.25")
    invoice.lines[0].taxable = True
    db.session.commit()
    # QBO's rate changed since the lists were cached: the local estimate is now off.
    db.session.execute(db.text("UPDATE qbo_objects SET data = :d WHERE entity = 'TaxCode' "
                               "AND qbo_id = '2'"), {"d": '{"sales_rates": [{"id": "1", '
                                                          '"rate": "8.00"}]}'})
    db.session.commit()
    run = push([("invoice", invoice.id)])
    [drift] = db.session.scalars(db.select(SyncEvent).where(
        SyncEvent.run_id == run.id, SyncEvent.fault_code == "drift")).all()
    assert "tax 15.00 here, 15.47 in QuickBooks" in drift.message
    assert link_of(realm, "invoice", invoice.id).last_error == drift.message


def test_qbo_tax_is_written_back_until_the_lines_change(manual_realm: str, emulator: Any,
                                                        app: Flask) -> None:
    realm = manual_realm
    invoice = make_invoice("3003", client_name="Write Back Co")
    invoice.tax_code = _map_texas(realm, app, "8.00")  # local estimate differs from QBO
    invoice.lines[0].taxable = True
    db.session.commit()
    assert invoice.tax == Decimal("15.00")
    push([("invoice", invoice.id)])
    invoice = db.session.get(type(invoice), invoice.id)
    assert (invoice.qbo_tax, invoice.tax) == (Decimal("15.47"), Decimal("15.47"))
    assert invoice.total == invoice.qbo_total == Decimal("1140.47")
    invoice.lines[1].hours = Decimal("3.00")
    db.session.commit()
    assert invoice.qbo_tax is None and invoice.tax == Decimal("15.00")


def test_override_sends_the_local_tax(manual_realm: str, emulator: Any, app: Flask) -> None:
    realm = manual_realm
    from app.models import QboPreference

    db.session.add(QboPreference(realm_id=realm, key="tax_mode", value="override"))
    invoice = make_invoice("3004", client_name="Override Co")
    invoice.tax_code = _map_texas(realm, app, "8.00")
    invoice.lines[0].taxable = True
    db.session.commit()
    push([("invoice", invoice.id)])
    link = link_of(realm, "invoice", invoice.id)
    [qbo_invoice] = qbo_rows(emulator, realm, "Invoice", f"Id = '{link.qbo_id}'")
    assert Decimal(str(qbo_invoice["TxnTaxDetail"]["TotalTax"])) == Decimal("15.00")
    assert db.session.get(type(invoice), invoice.id).qbo_tax is None


def test_us_line_markers_are_refused_as_invoice_tax_codes(manual_realm: str, emulator: Any) -> None:
    realm = manual_realm
    from app.models import LinkOrigin, QboLink

    invoice = make_invoice("3005", client_name="Marker Co")
    invoice.tax_code = TaxCode(code="TAX", name="Sales tax", rate_percent=Decimal("8.25"))
    invoice.lines[0].taxable = True
    db.session.flush()
    db.session.add(QboLink(realm_id=realm, entity_type="tax_code", local_id=invoice.tax_code.id,
                           qbo_id="TAX", state=LinkState.SYNCED, origin=LinkOrigin.MAPPED))
    db.session.commit()
    run = push([("invoice", invoice.id)])
    [failed] = db.session.scalars(db.select(SyncEvent).where(
        SyncEvent.run_id == run.id, SyncEvent.outcome == EventOutcome.FAILED)).all()
    assert "only marks US invoice lines" in failed.message
    assert link_of(realm, "invoice", invoice.id) is None


def test_a_mapped_list_entry_is_used_as_it_is_never_overwritten(realm: str,
                                                                 emulator: Any) -> None:
    from app.models import LinkOrigin, QboLink

    invoice = make_invoice("3006", client_name="Mapped Item Co")
    [design] = qbo_rows(emulator, realm, "Item", "Name = 'Design'")
    code = invoice.lines[0].billing_code
    db.session.add(QboLink(realm_id=realm, entity_type="billing_code", local_id=code.id,
                           qbo_id=design["Id"], sync_token=design["SyncToken"],
                           state=LinkState.SYNCED, origin=LinkOrigin.MAPPED))
    db.session.commit()
    run = push([("invoice", invoice.id)])
    assert run.status == RunStatus.SUCCEEDED, run.message
    [after] = qbo_rows(emulator, realm, "Item", f"Id = '{design['Id']}'")
    assert (after["Name"], after["SyncToken"]) == ("Design", design["SyncToken"])
    link = link_of(realm, "invoice", invoice.id)
    [qbo_invoice] = qbo_rows(emulator, realm, "Invoice", f"Id = '{link.qbo_id}'")
    items = {line["SalesItemLineDetail"]["ItemRef"]["value"] for line in qbo_invoice["Line"]
             if line["DetailType"] == "SalesItemLineDetail"}
    assert items == {design["Id"]}


def test_progress_written_during_a_batch_never_waits_on_the_push(
        realm: str, emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every event flushed at once: the run's own writes must not lock the progress writer out."""
    monkeypatch.setattr("app.sync.progress._FLUSH_SECONDS", 0.0)
    invoices = [make_invoice(number=f"20{n:02d}", client_name=f"Lockstep Client {n}")
                for n in range(4)]
    run = push([("invoice", inv.id) for inv in invoices])

    assert run.status == RunStatus.SUCCEEDED, run.message
    assert run.failed_count == 0
    assert len(qbo_rows(emulator, realm, "Invoice")) == 4


def test_invoice_mileage_line_is_sold_as_the_default_mileage_item(
        realm: str, emulator: Any) -> None:
    from app.models import InvoiceLine, LineKind, QboPreference
    from app.sync.readiness import readiness

    invoice = make_invoice(number="3001", client_name="Mileage Client", lines=1)
    invoice.lines.append(InvoiceLine(position=2, kind=LineKind.MILEAGE, miles=Decimal("42.00"),
                                     rate=Decimal("0.7000"), description="Site visit"))
    db.session.commit()

    refused = push([("invoice", invoice.id)])
    assert refused.failed_count >= 1
    assert "Item for mileage billed to clients" in (refused.message or "") + " ".join(
        e.message or "" for e in db.session.scalars(db.select(SyncEvent)))
    defaults = {c.key: c for c in readiness(db.session, realm)}["defaults"]
    assert not defaults.ok and "Item for mileage billed to clients" in defaults.message

    [services] = qbo_rows(emulator, realm, "Item", "Name = 'Services'")
    db.session.add(QboPreference(realm_id=realm, key="invoice_mileage_item",
                                 value=services["Id"]))
    db.session.commit()
    run = push([("invoice", invoice.id)])

    assert run.status == RunStatus.SUCCEEDED, run.message
    [qbo_invoice] = qbo_rows(emulator, realm, "Invoice",
                             f"Id = '{link_of(realm, 'invoice', invoice.id).qbo_id}'")
    [mileage] = [line for line in qbo_invoice["Line"]
                 if line.get("Description") == "Site visit"]
    assert mileage["SalesItemLineDetail"]["ItemRef"]["value"] == services["Id"]
    assert Decimal(str(mileage["Amount"])) == Decimal("29.40")
