"""A populated site for the browser tests that visit every page: records of each kind, a
connected QuickBooks company, an import run and a failed copy, and the list of pages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask, url_for
from playwright.sync_api import Page

from app.extensions import db
from app.models import (
    Client,
    Contact,
    ExpenseEntry,
    HoursEntry,
    MileageEntry,
    Organization,
    PurchaseOrder,
    RunKind,
    SyncRun,
)
from tests.e2e.test_foundation_journey import _login

ROLES = ("owner", "qboadmin", "alex")


def populate(app: Flask, emulator: Any, users: dict, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Create one record of each kind and return every page path worth visiting."""
    from app.web.catalog.routes import KINDS
    from tests.sync.import_support import connect_company, import_steps, use_dev_client
    from tests.sync.push_support import make_invoice, push

    use_dev_client(app, emulator, monkeypatch)
    realm = connect_company(app, emulator, "Every Page Books")
    import_steps(realm, "lists", "clients")
    invoice = make_invoice("7701", client_name="Every Page Client")
    alex = users["alex"]
    org = Organization(name="Every Page Vendor", contacts=[Contact(name="Vera Vendor")])
    po = PurchaseOrder(number="PO-7701", organization=org, order_date=date(2026, 11, 3))
    entries = [HoursEntry(associate_id=alex.id, work_date=date(2026, 11, 20), hours=Decimal("2"),
                          description="Page review"),
               ExpenseEntry(associate_id=alex.id, expense_date=date(2026, 11, 21),
                            amount=Decimal("12.50"), description="Parking"),
               MileageEntry(associate_id=alex.id, trip_date=date(2026, 11, 22),
                            miles=Decimal("14"), rate_per_mile=Decimal("0.70"),
                            description="Client visit")]
    db.session.add_all([org, Client(name="Second Page Client"), *entries, po])
    db.session.commit()
    # A copy without the QuickBooks defaults fails: the log and run pages show a failure.
    push([("invoice", invoice.id)])
    runs = db.session.scalars(db.select(SyncRun)).all()
    import_run = next(r for r in runs if r.kind == RunKind.IMPORT)
    push_run = next(r for r in runs if r.kind == RunKind.PUSH)

    skip = {"auth.logout", "qbo.callback", "static", "main.healthz"}
    pages = {r.rule for r in app.url_map.iter_rules()
             if "GET" in r.methods and not r.arguments and r.endpoint not in skip}
    with app.test_request_context():
        pages |= {url_for("invoices.edit", invoice_id=invoice.id),
                  url_for("clients.edit", client_id=invoice.client_id),
                  url_for("admin.associate_edit", associate_id=alex.id),
                  url_for("organizations.edit", organization_id=org.id),
                  url_for("qbo_push.run_page", run_id=push_run.id),
                  url_for("qbo_import.run_page", run_id=import_run.id),
                  url_for("purchasing.edit", po_id=po.id),
                  *(url_for("history." + kind, entry_id=entry.id) for kind, entry in
                    zip(("hours_edit", "expenses_edit", "mileage_edit"), entries, strict=True)),
                  *(url_for("catalog.listing", kind=slug) for slug in KINDS),
                  *(url_for("catalog.new", kind=slug) for slug in KINDS)}
    return sorted(pages)


def visit_as(page: Page, base: str, role: str) -> None:
    """Sign out whoever is signed in and sign in as the role."""
    page.context.clear_cookies()
    _login(page, base, role)
