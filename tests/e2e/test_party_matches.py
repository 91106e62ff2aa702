"""In the browser: a party typed into QBO after the import is offered by Add QBO and linked."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import Associate, Client
from app.sync.lists import refresh_lists
from tests.e2e.test_foundation_journey import _login
from tests.support import stop_worker
from tests.sync.import_support import api, connect_company, qbo_client, use_dev_client
from tests.sync.push_support import link_of, qbo_rows, start_worker, writes


@pytest.fixture()
def realm(app: Flask, app_ctx: Flask, emulator: Any, enable_qbo: None, users: dict,
          monkeypatch: pytest.MonkeyPatch) -> str:
    """A connected company whose parties were imported before more were typed into QBO."""
    use_dev_client(app, emulator, monkeypatch)
    realm_id = connect_company(app, emulator, "Browser Match Co", seed="empty")
    with qbo_client(app, realm_id) as client:
        refresh_lists(client, db.session, realm_id, ["Customer", "Vendor", "Employee"])
    db.session.commit()
    return realm_id


def _link_it(page: Page, qbo_id: str) -> None:
    """On the match page: the typed-in record is listed; link it."""
    row = page.locator(f'#match-candidates tr[data-qbo-id="{qbo_id}"]')
    expect(row).to_be_visible()
    row.get_by_role("button", name=f"Link to #{qbo_id}").click()
    expect(page.get_by_text("Nothing was written to QuickBooks")).to_be_visible()
    expect(page.locator("#match-linked")).to_contain_text(f"#{qbo_id}")


def test_client_manager_add_qbo_offers_and_links_a_customer_typed_into_qbo(
        realm: str, live_server: str, page: Page, emulator: Any) -> None:
    typed = api(emulator, realm, "POST", "customer", {
        "DisplayName": "Harbor Labs, Inc.",
        "PrimaryEmailAddr": {"Address": "ap@harborlabs.test"}})["Customer"]
    client_row = Client(name="Harbor Labs", email="ap@harborlabs.test")
    db.session.add(client_row)
    db.session.commit()
    before = writes(emulator, realm)

    _login(page, live_server, "qboadmin")
    page.goto(f"{live_server}/clients/")
    page.get_by_role("link", name="Harbor Labs").click()
    page.get_by_role("button", name="Add QBO").click()
    prompt = page.locator("#qbo-match-prompt")
    expect(prompt).to_contain_text("QuickBooks may already have this client")
    expect(prompt).to_contain_text("Harbor Labs, Inc.")
    prompt.get_by_role("link", name="Next").click()
    _link_it(page, typed["Id"])

    db.session.expire_all()
    assert link_of(realm, "client", client_row.id).qbo_id == typed["Id"]
    assert writes(emulator, realm) == before  # nothing new in QBO
    assert [c["DisplayName"] for c in qbo_rows(emulator, realm, "Customer")] == \
        ["Harbor Labs, Inc."]


def test_qbo_admin_links_an_associate_from_the_associate_manager(
        realm: str, live_server: str, page: Page, emulator: Any) -> None:
    typed = api(emulator, realm, "POST", "employee",
                {"GivenName": "Dana", "FamilyName": "Scully"})["Employee"]
    dana = Associate(display_name="Dana Scully", first_name="Dana", last_name="Scully")
    db.session.add(dana)
    db.session.commit()
    before = writes(emulator, realm)

    _login(page, live_server, "qboadmin")
    page.goto(f"{live_server}/admin/associates")
    row = page.locator(f"#associate-{dana.id}")
    expect(row.get_by_role("link", name="Dana Scully")).to_have_count(0)  # editor: owner only
    row.get_by_role("link", name="QuickBooks…").click()
    page.get_by_role("button", name="Add QBO").click()
    prompt = page.locator("#qbo-match-prompt")
    expect(prompt).to_contain_text("QuickBooks may already have this associate")
    prompt.get_by_role("link", name="Next").click()
    _link_it(page, typed["Id"])

    db.session.expire_all()
    assert link_of(realm, "associate", dana.id).qbo_id == typed["Id"]
    assert writes(emulator, realm) == before
    assert len(qbo_rows(emulator, realm, "Employee")) == 1


def test_refresh_from_quickbooks_runs_on_the_worker_and_the_page_follows_it(
        app: Flask, realm: str, live_server: str, page: Page, emulator: Any) -> None:
    """The refresh shows live progress; when it ends the refreshed candidates are in place."""
    record = Client(name="Quarry Lane Studio")
    db.session.add(record)
    db.session.commit()
    _login(page, live_server, "qboadmin")
    page.goto(f"{live_server}/admin/qbo/match/client/{record.id}")
    expect(page.locator("#match-cache")).to_contain_text("Asked QuickBooks just now")
    # Typed into QBO after the page asked: only a refresh of the list brings it.
    typed = api(emulator, realm, "POST", "customer",
                {"DisplayName": "Quarry Lane Studio LLC"})["Customer"]
    candidate = page.locator(f'#match-candidates tr[data-qbo-id="{typed["Id"]}"]')
    expect(candidate).to_have_count(0)
    page.get_by_role("button", name="Refresh from QuickBooks").click()
    run = page.locator("#match-refresh .refresh-run")
    expect(run.locator("[data-run-status]")).to_have_attribute("data-run-status", "queued")
    worker = start_worker(app, burst=False)
    try:
        expect(run.locator("[data-run-status]")).to_have_attribute(
            "data-run-status", "succeeded", timeout=30_000)
        expect(run).to_contain_text("Refreshed from QuickBooks: ")
        expect(candidate).to_be_visible()  # swapped in by the finished run, no reload
    finally:
        stop_worker(worker)
    _link_it(page, typed["Id"])
