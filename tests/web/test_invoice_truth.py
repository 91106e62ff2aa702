"""Nothing wrong reaches QuickBooks: billed time, drafts, inquiries, money owed to associates."""

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
    Client,
    EntryStatus,
    ExpenseEntry,
    HoursEntry,
    Invoice,
    InvoiceStatus,
    MileageEntry,
    SyncRun,
)
from app.sync import mappings
from tests.conftest import Auth
from tests.sync.import_support import api, connect_company, use_dev_client, work_queue
from tests.sync.push_support import link_of, make_invoice, push, qbo_rows, set_defaults

HTMX = {"HX-Request": "true"}


@pytest.fixture()
def realm(app: Flask, app_ctx: Flask, emulator: Any, enable_qbo: None, users: dict,
          monkeypatch: pytest.MonkeyPatch) -> str:
    """A connected company with its defaults chosen."""
    use_dev_client(app, emulator, monkeypatch)
    realm_id = connect_company(app, emulator, "Truth Co")
    set_defaults(emulator, realm_id)
    return realm_id


def _run_html(auth: Auth) -> str:
    """The feedback of the latest run, as the page shows it once finished."""
    run = db.session.scalars(db.select(SyncRun).order_by(SyncRun.id.desc())).first()
    return auth.client.get(f"/admin/qbo/runs/{run.id}", headers=HTMX).get_data(as_text=True)


def _add_qbo(auth: Auth, entity: str, local_id: int) -> str:
    """Press Add QBO on a record as a QBO admin, let the worker run it, return the feedback."""
    auth.login("qboadmin").post(f"/admin/qbo/push/{entity}/{local_id}", headers=HTMX)
    work_queue()
    db.session.expire_all()
    return _run_html(auth)


def _billable_hours(users: dict, client_name: str = "Billed Co") -> HoursEntry:
    client = Client(name=client_name)
    code = BillingCode(code="Advisory", kind=BillingCodeKind.HOURLY,
                       default_rate=Decimal("120.00"))
    entry = HoursEntry(associate=users["alex"], client=client, billing_code=code,
                       work_date=date(2026, 11, 4), hours=Decimal("2.5"),
                       rate=Decimal("120.00"), description="Quarter close")
    db.session.add(entry)
    db.session.commit()
    return entry


def test_time_invoiced_here_is_marked_billed_in_qbo(realm: str, auth: Auth, emulator: Any,
                                                   users: dict) -> None:
    entry = _billable_hours(users)
    expense = ExpenseEntry(associate=users["alex"], client=entry.client,
                           billing_code=BillingCode(code="Travel", kind=BillingCodeKind.EXPENSE),
                           expense_date=date(2026, 11, 4), amount=Decimal("30.00"))
    db.session.add(expense)
    db.session.commit()
    assert push([("hours", entry.id), ("expense", expense.id)]).failed_count == 0
    [activity] = qbo_rows(emulator, realm, "TimeActivity")
    assert activity["BillableStatus"] == "Billable"
    [bill] = qbo_rows(emulator, realm, "Bill")
    assert bill["Line"][0]["AccountBasedExpenseLineDetail"]["BillableStatus"] == "Billable"
    invoice = Invoice(number="7001", client=entry.client, issue_date=date(2026, 11, 5))
    db.session.add(invoice)
    db.session.commit()
    owner = auth.login("owner")
    added = owner.post(f"/invoices/{invoice.id}/open-hours", headers=HTMX)
    assert "Added 2 lines: 1 from hours, 1 from expenses." in added.get_data(as_text=True)
    owner.post(f"/invoices/{invoice.id}/final")
    # Someone touched the time in QBO meanwhile: Ledgerhub's SyncToken is stale (5010), so
    # the update re-reads it and applies once more.
    api(emulator, realm, "POST", "timeactivity", {
        "Id": activity["Id"], "SyncToken": activity["SyncToken"], "sparse": True,
        "Description": "Quarter close (checked)"})
    page = owner.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert (f"Time #{activity['Id']} still billable in QuickBooks: copying this invoice "
            "marks it billed") in page
    feedback = _add_qbo(auth, "invoice", invoice.id)
    assert "Succeeded" in feedback and "2 updated" in feedback, feedback  # time, expense
    [after] = qbo_rows(emulator, realm, "TimeActivity")
    assert after["Id"] == activity["Id"]
    assert after["BillableStatus"] == "HasBeenBilled"
    assert int(after["SyncToken"]) == int(activity["SyncToken"]) + 2
    assert len(qbo_rows(emulator, realm, "Invoice")) == 1
    [billed] = qbo_rows(emulator, realm, "Bill")
    assert billed["Id"] == bill["Id"]
    assert billed["Line"][0]["AccountBasedExpenseLineDetail"]["BillableStatus"] == \
        "HasBeenBilled"
    page = auth.login("owner").get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert f"Time #{activity['Id']} marked billed in QuickBooks" in page
    # Copying again changes nothing more in QBO.
    _add_qbo(auth, "invoice", invoice.id)
    [again] = qbo_rows(emulator, realm, "TimeActivity")
    assert again["SyncToken"] == after["SyncToken"]


def test_open_expenses_and_mileage_are_offered_with_the_hours(app_ctx: Flask, auth: Auth,
                                                              users: dict) -> None:
    alex = users["alex"]
    client = Client(name="Trip Client")
    other = Client(name="Someone Else")
    supplies = BillingCode(code="Supplies", kind=BillingCodeKind.EXPENSE)
    expense = ExpenseEntry(associate=alex, client=client, billing_code=supplies,
                           expense_date=date(2026, 11, 2), amount=Decimal("42.50"),
                           description="Printer paper")
    trip = MileageEntry(associate=alex, client=client, trip_date=date(2026, 11, 3),
                        miles=Decimal("10"), rate_per_mile=Decimal("0.70"),
                        description="Site visit")
    kept = [ExpenseEntry(associate=alex, client=client, expense_date=date(2026, 11, 2),
                         amount=Decimal("9"), billable=False),
            ExpenseEntry(associate=alex, client=other, expense_date=date(2026, 11, 2),
                         amount=Decimal("9"))]
    invoice = Invoice(number="7101", client=client, issue_date=date(2026, 11, 5))
    db.session.add_all([expense, trip, *kept, invoice])
    db.session.commit()
    owner = auth.login("owner")
    page = owner.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "Add lines from open hours, expenses and mileage" in page
    added = owner.post(f"/invoices/{invoice.id}/open-hours", headers=HTMX)
    assert "Added 2 lines: 1 from expenses, 1 from mileage." in added.get_data(as_text=True)
    db.session.expire_all()
    invoice = db.session.get(Invoice, invoice.id)
    assert [(line.kind.value, line.amount, line.description) for line in invoice.lines] == [
        ("expense", Decimal("42.50"), "Printer paper"), ("mileage", Decimal("7.00"),
                                                         "Site visit")]
    assert db.session.get(ExpenseEntry, expense.id).status == EntryStatus.INVOICED
    assert db.session.get(MileageEntry, trip.id).status == EntryStatus.INVOICED
    assert all(db.session.get(ExpenseEntry, e.id).status == EntryStatus.OPEN for e in kept)
    mileage_line = invoice.lines[1]
    deleted = owner.post(f"/invoices/{invoice.id}/lines/{mileage_line.id}/delete", headers=HTMX)
    assert "Its entry is open again." in deleted.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(MileageEntry, trip.id).status == EntryStatus.OPEN


def test_a_draft_is_refused_with_a_mark_final_action(realm: str, auth: Auth,
                                                    emulator: Any) -> None:
    invoice = make_invoice("7201", client_name="Draft Client")
    invoice.status = InvoiceStatus.DRAFT
    db.session.commit()
    page = auth.login("qboadmin").get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "Only final invoices are copied to QuickBooks: mark it final first." in page
    feedback = _add_qbo(auth, "invoice", invoice.id)
    assert ("Invoice 7201 is a draft: only final invoices are copied to QuickBooks. Mark it "
            "final on its page, then copy it.") in feedback
    assert f'action="/invoices/{invoice.id}/final"' in feedback and "Mark final" in feedback
    # Nothing was copied on its behalf: not even its customer.
    assert qbo_rows(emulator, realm, "Invoice") == []
    assert qbo_rows(emulator, realm, "Customer", "DisplayName = 'Draft Client'") == []
    auth.client.post(f"/invoices/{invoice.id}/final")
    _add_qbo(auth, "invoice", invoice.id)
    [copied] = qbo_rows(emulator, realm, "Invoice")
    assert copied["Id"] == link_of(realm, "invoice", invoice.id).qbo_id


def test_a_copied_invoice_edited_again_is_changed_and_updated(realm: str, auth: Auth,
                                                              emulator: Any) -> None:
    invoice = make_invoice("7301", client_name="Edit Client", lines=1)
    _add_qbo(auth, "invoice", invoice.id)
    [before] = qbo_rows(emulator, realm, "Invoice")
    owner = auth.login("owner")
    page = owner.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert f"In QuickBooks as #{before['Id']}." in page
    reopened = owner.post(f"/invoices/{invoice.id}/draft", follow_redirects=True)
    assert (f"QuickBooks keeps its copy (#{before['Id']}) as it was: your edits show as "
            "changed") in reopened.get_data(as_text=True)
    line = db.session.get(Invoice, invoice.id).lines[0]
    owner.post(f"/invoices/{invoice.id}/lines/{line.id}", data={
        f"line-{line.id}-hours": "3", f"line-{line.id}-rate": "150.00",
        f"line-{line.id}-billing_code_id": str(line.billing_code_id),
        f"line-{line.id}-associate_id": str(line.associate_id),
        f"line-{line.id}-service_date": "2026-11-01", f"line-{line.id}-billable": "y"},
        headers=HTMX)
    page = auth.login("qboadmin").get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "This draft's edits show as changed" in page
    assert "Changed" in page or "changed since" in page.lower()
    auth.login("owner").post(f"/invoices/{invoice.id}/final")
    _add_qbo(auth, "invoice", invoice.id)
    [after] = qbo_rows(emulator, realm, "Invoice")
    assert after["Id"] == before["Id"]
    assert Decimal(str(after["TotalAmt"])) == Decimal("450.00")


def test_add_all_clients_skips_inquiries_until_converted(realm: str, auth: Auth,
                                                         emulator: Any) -> None:
    customers = [Client(name=f"Customer {i}") for i in range(2)]
    inquiries = [Client(name=f"Prospect {i}", is_inquiry=True) for i in range(3)]
    db.session.add_all([*customers, *inquiries])
    db.session.commit()
    client = auth.login("qboadmin")
    listed = client.get("/clients/?kind=inquiries").get_data(as_text=True)
    assert "Prospect 0" in listed and "Customer 0" not in listed
    client.post("/admin/qbo/push/client?status=active",
                data={"selection": "all", "confirm": "5"}, headers=HTMX)
    work_queue()
    feedback = _run_html(auth)
    assert "3 inquiries skipped: not customers until converted" in feedback
    names = {row["DisplayName"] for row in qbo_rows(emulator, realm, "Customer")}
    assert {"Customer 0", "Customer 1"} <= names
    assert not any(name.startswith("Prospect") for name in names)
    refused = _add_qbo(auth, "client", inquiries[0].id)
    assert "Prospect 0 is an inquiry, not a customer yet" in refused
    page = client.get(f"/clients/{inquiries[0].id}").get_data(as_text=True)
    assert "Convert to customer" in page
    converted = client.post(f"/clients/{inquiries[0].id}/convert", follow_redirects=True)
    assert "“Prospect 0” is now a customer." in converted.get_data(as_text=True)
    _add_qbo(auth, "client", inquiries[0].id)
    names = {row["DisplayName"] for row in qbo_rows(emulator, realm, "Customer")}
    assert "Prospect 0" in names and "Prospect 1" not in names


def test_expenses_owed_to_an_associate_become_bills_to_their_vendor(
        realm: str, auth: Auth, emulator: Any, users: dict) -> None:
    alex = users["alex"]
    client = Client(name="Rebill Client")
    expense = ExpenseEntry(associate=alex, client=client, expense_date=date(2026, 11, 2),
                           amount=Decimal("18.40"), description="Parking")
    trip = MileageEntry(associate=alex, trip_date=date(2026, 11, 3), miles=Decimal("20"),
                        rate_per_mile=Decimal("0.70"))
    db.session.add_all([expense, trip])
    db.session.commit()
    defaults = auth.login("qboadmin").get("/admin/qbo/settings/defaults").get_data(as_text=True)
    assert "A bill payable to the associate (owed)" in defaults
    assert push([("expense", expense.id), ("mileage", trip.id)]).failed_count == 0
    [vendor] = qbo_rows(emulator, realm, "Vendor", f"DisplayName = '{alex.display_name} "
                                                   "(expenses)'")
    bills = qbo_rows(emulator, realm, "Bill")
    assert sorted(Decimal(str(b["TotalAmt"])) for b in bills) == [Decimal("14.00"),
                                                                  Decimal("18.40")]
    assert {b["VendorRef"]["value"] for b in bills} == {vendor["Id"]}
    parking = next(b for b in bills if Decimal(str(b["TotalAmt"])) == Decimal("18.40"))
    detail = parking["Line"][0]["AccountBasedExpenseLineDetail"]
    assert detail["BillableStatus"] == "Billable"
    assert qbo_rows(emulator, realm, "Purchase") == []
    # The accountant says these were paid already: new ones leave the bank as purchases,
    # and one copied as a bill stays a bill when it changes.
    mappings.set_preference(db.session, realm, "associate_expenses_as", "purchase")
    paid = ExpenseEntry(associate=alex, expense_date=date(2026, 11, 4), amount=Decimal("7"))
    db.session.add(paid)
    db.session.get(ExpenseEntry, expense.id).amount = Decimal("19.40")
    db.session.commit()
    assert push([("expense", paid.id), ("expense", expense.id)]).failed_count == 0
    [purchase] = qbo_rows(emulator, realm, "Purchase")
    assert Decimal(str(purchase["TotalAmt"])) == Decimal("7.00")
    assert purchase["AccountRef"]["value"] == mappings.preference(
        db.session, realm, "expense_payment_account")
    bills = qbo_rows(emulator, realm, "Bill")
    assert sorted(Decimal(str(b["TotalAmt"])) for b in bills) == [Decimal("14.00"),
                                                                  Decimal("19.40")]
    assert link_of(realm, "expense", expense.id).qbo_entity == "Bill"
