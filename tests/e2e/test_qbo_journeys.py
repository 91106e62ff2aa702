"""In the browser: connect to QuickBooks, then copy an invoice and read the feedback."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from flask import Flask
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import QboConnection
from app.qbo.connection import cipher_for
from tests.conftest import TEST_CLIENT_ID, TEST_CLIENT_SECRET
from tests.e2e.test_foundation_journey import _login
from tests.support import stop_worker
from tests.sync.push_support import link_of, make_invoice, set_defaults, start_worker


def test_connect_and_disconnect(qbo_app: Flask, live_server: str, page: Page, users: dict,
                                emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    callback = f"{live_server}/admin/qbo/callback"
    emulator.control("POST", "clients", {"client_id": TEST_CLIENT_ID,
                                         "client_secret": TEST_CLIENT_SECRET,
                                         "redirect_uris": [callback]})
    monkeypatch.setitem(qbo_app.config, "QBO_REDIRECT_URI", callback)
    realm = emulator.control("POST", "companies", {"name": "Browser Books"})["realm_id"]

    _login(page, live_server, "qboadmin")
    page.get_by_role("button", name="QuickBooks").click()
    page.get_by_role("link", name="QuickBooks Online Connect").click()
    expect(page.get_by_text("You are not currently authenticated")).to_be_visible()
    page.get_by_role("button", name="Connect to QuickBooks").click()
    # The emulator's consent page: pick the company, then Authorize.
    if page.locator("select[name=realmId]").count():
        page.locator("select[name=realmId]").select_option(realm)
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_text("Connected to QuickBooks company “Browser Books”.")).to_be_visible()
    expect(page.locator("#qbo-connection")).to_contain_text(realm)

    db.session.expire_all()
    row = db.session.scalar(db.select(QboConnection))
    refresh_token = cipher_for(qbo_app.config).decrypt(row.refresh_token_enc)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Disconnect").click()
    expect(page.get_by_text("Disconnected from QuickBooks")).to_be_visible()
    expect(page.get_by_role("button", name="Connect to QuickBooks")).to_be_visible()
    answer = requests.post(f"{emulator.url}/oauth2/v1/tokens/bearer",
                           data={"grant_type": "refresh_token", "refresh_token": refresh_token},
                           auth=(TEST_CLIENT_ID, TEST_CLIENT_SECRET), timeout=10)
    assert answer.json()["error"] == "invalid_grant"


def test_add_qbo_on_an_invoice_shows_progress_and_feedback(
        app: Flask, app_ctx: Flask, live_server: str, page: Page, users: dict, emulator: Any,
        enable_qbo: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.sync.import_support import connect_company, use_dev_client

    use_dev_client(app, emulator, monkeypatch)
    realm = connect_company(app, emulator, "Browser Push Co")
    set_defaults(emulator, realm)
    invoice = make_invoice("7001", client_name="Browser Client")
    worker = start_worker(app, burst=False)
    try:
        _login(page, live_server, "qboadmin")
        page.goto(f"{live_server}/invoices/{invoice.id}")
        expect(page.get_by_text("Not in QBO")).to_be_visible()
        page.get_by_role("button", name="Add QBO").click()
        run = page.locator(".qbo-run")
        expect(run).to_be_visible()
        expect(run.locator("[data-run-status]")).to_have_attribute(
            "data-run-status", "succeeded", timeout=30_000)
        expect(run).to_contain_text("5 created")
        qbo_id = link_of(realm, "invoice", invoice.id).qbo_id
        expect(run).to_contain_text(f"Invoice 7001 (QBO #{qbo_id})")
        expect(run).to_contain_text("Browser Client")
        page.reload()
        expect(page.get_by_text(f"In QBO #{qbo_id}")).to_be_visible()

        # On a listing, the rows' badges change as soon as the run ends.
        from app.models import Client

        db.session.add(Client(name="Listing Refresh Co"))
        db.session.commit()
        page.goto(f"{live_server}/clients/?q=Listing+Refresh")
        row = page.locator("tbody tr", has_text="Listing Refresh Co")
        expect(row).to_contain_text("Not in QBO")
        page.get_by_role("button", name="QBO Add All (1)").click()
        page.get_by_role("button", name="Copy 1 client", exact=True).click()
        expect(page.locator(".qbo-run [data-run-status]")).to_have_attribute(
            "data-run-status", "succeeded", timeout=30_000)
        expect(row).to_contain_text("In QBO #")
    finally:
        stop_worker(worker)
