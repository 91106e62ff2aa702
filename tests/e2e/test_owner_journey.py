"""In the browser, from an empty database: the owner's whole road to a first copy in QuickBooks.

The owner (made by ``flask create-owner``) turns the integration on, makes a bookkeeper a QBO
Admin and enters a client, a billing code and an invoice; the bookkeeper connects on the consent
page, imports both steps, maps, sets the defaults, reaches a green readiness, copies the invoice
while watching its progress, meets a refused copy, fixes it where "Fix" leads, retries from the
sync log and finds every attempt there. Each step is kept as a full-page screenshot under
``test-artifacts/journey/``.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, Response, expect

from app.config import BASE_DIR
from tests.conftest import TEST_CLIENT_ID, TEST_CLIENT_SECRET
from tests.support import TEST_TOKEN_KEY, stop_worker
from tests.sync.import_support import api
from tests.sync.push_support import account_id, qbo_rows, start_worker

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(BASE_DIR) / "test-artifacts" / "journey"
OWNER = ("olivia", "owner-journey-1")
BOOKKEEPER = ("quinn", "bookkeeper-journey-1")
RUN_TIMEOUT = 30_000


class Shots:
    """Numbered full-page screenshots of each step, kept after the run."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.number = 0

    def __call__(self, name: str) -> None:
        """Save the page as NN-name.png."""
        self.number += 1
        self.page.screenshot(path=str(ARTIFACTS / f"{self.number:02d}-{name}.png"),
                             full_page=True)


@pytest.fixture()
def journey_app(app: Flask, live_server: str, emulator: Any,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Flask, str]]:
    """The app pointed at the emulator (integration still off) and a QBO company to connect."""
    callback = f"{live_server}/admin/qbo/callback"
    for key, value in (("QBO_EMULATOR_URL", emulator.url), ("QBO_ENVIRONMENT", "emulator"),
                       ("QBO_CLIENT_ID", TEST_CLIENT_ID),
                       ("QBO_CLIENT_SECRET", TEST_CLIENT_SECRET),
                       ("QBO_REDIRECT_URI", callback),
                       ("TOKEN_ENCRYPTION_KEY", TEST_TOKEN_KEY)):
        monkeypatch.setitem(app.config, key, value)
    emulator.control("POST", "clients", {"client_id": TEST_CLIENT_ID,
                                         "client_secret": TEST_CLIENT_SECRET,
                                         "redirect_uris": [callback]})
    realm = emulator.control("POST", "companies", {"name": "Journey Books",
                                                   "seed": "sample"})["realm_id"]
    # The accountant already sells mileage in QuickBooks as an item of its own.
    api(emulator, realm, "POST", "item", {
        "Name": "Mileage", "Type": "Service", "UnitPrice": 0.7,
        "IncomeAccountRef": {"value": account_id(emulator, realm, "Services")}})
    with app.app_context():  # as `flask create-owner` runs it
        result = app.test_cli_runner().invoke(args=[
            "create-owner", "--username", OWNER[0], "--display-name", "Olivia Owner",
            "--email", "olivia@journey.example", "--password", OWNER[1]])
    assert result.exit_code == 0, result.output
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    yield app, realm


def _login(page: Page, base: str, who: tuple[str, str], shot: Shots | None = None) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username", exact=True).fill(who[0])
    page.get_by_label("Password", exact=True).fill(who[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    if shot:
        shot(f"{who[0]}-signed-in")


def _menu(page: Page, menu: str, item: str) -> None:
    """Open a navigation menu and follow one of its entries."""
    nav = page.get_by_role("navigation", name="Main navigation")
    nav.get_by_role("button", name=menu, exact=True).click()
    nav.get_by_role("link", name=item, exact=True).click()


def _tab(page: Page, name: str) -> Any:
    """A tab of the QuickBooks Online Settings pages (the menu has links of the same names)."""
    tabs = page.get_by_role("navigation", name="QuickBooks Online Settings")
    return tabs.get_by_role("link", name=name, exact=True)


def _flash(page: Page, text: str) -> None:
    expect(page.locator("#flashes")).to_contain_text(text)


def _owner_sets_up(page: Page, base: str, shot: Shots) -> None:
    """Integration on, a QBO Admin, and the firm's first client, billing code and invoice."""
    _login(page, base, OWNER, shot)
    expect(page.locator("#qbo-menu")).to_have_count(0)
    _menu(page, "Admin", "Settings")
    page.get_by_label("QBO", exact=True).check()
    page.get_by_role("button", name="Save settings").click()
    _flash(page, "Settings saved.")
    expect(page.get_by_role("button", name="QuickBooks", exact=True)).to_be_visible()
    shot("integration-on")

    _menu(page, "Admin", "Associate Manager")
    page.get_by_role("link", name="Add associate").click()
    page.get_by_label("First name", exact=True).fill("Quinn")
    page.get_by_label("Last name", exact=True).fill("Bookkeeper")
    page.get_by_label("Display name", exact=True).fill("Quinn Bookkeeper")
    page.get_by_label("Hourly rate", exact=True).fill("120.00")
    page.get_by_label("Username", exact=True).fill(BOOKKEEPER[0])
    page.get_by_label("New password", exact=True).fill(BOOKKEEPER[1])
    page.get_by_label("Repeat new password", exact=True).fill(BOOKKEEPER[1])
    page.get_by_label("QBO Admin", exact=True).check()
    page.get_by_role("button", name="Save", exact=True).click()
    _flash(page, "Associate “Quinn Bookkeeper” added.")
    expect(page.get_by_label("QBO Admin", exact=True)).to_be_checked()
    shot("qbo-admin-granted")

    page.get_by_role("link", name="Clients / Inquiries").click()
    page.get_by_role("link", name="Add client").click()
    page.get_by_label("Company or person name", exact=True).fill("Northwind Analytics")
    page.get_by_label("Email", exact=True).fill("ap@northwind.example")
    page.get_by_role("button", name="Save", exact=True).click()
    _flash(page, "Client “Northwind Analytics” added.")
    shot("client-added")

    _menu(page, "Admin", "Lists (billing codes, terms, …)")
    page.locator("#list-billing-codes").get_by_role("link", name=re.compile("^Add ")).click()
    page.get_by_label("Code", exact=True).fill("Advisory")
    page.get_by_label("Default rate", exact=True).fill("180.00")
    page.get_by_role("button", name="Save", exact=True).click()
    _flash(page, "Advisory")
    shot("billing-code-added")

    _menu(page, "Admin", "Invoice Manager")
    page.get_by_role("link", name="New invoice").click()
    page.get_by_label("Client", exact=True).select_option(label="Northwind Analytics")
    page.get_by_label("Invoice number", exact=True).fill("1001")
    page.get_by_role("button", name="Create draft").click()
    _flash(page, "Invoice 1001 created.")
    hours = page.get_by_role("tabpanel", name="Hours")
    hours.get_by_label("Associate", exact=True).select_option(label="Quinn Bookkeeper")
    hours.get_by_label("Date", exact=True).fill("2026-11-16")
    hours.get_by_label("Billing code", exact=True).select_option(label="Advisory")
    hours.get_by_label("Description", exact=True).fill("Year-end close review")
    hours.get_by_label("Hours", exact=True).fill("2.50")
    hours.get_by_role("button", name="Add hours line").click()
    expect(page.locator("#invoice-total")).to_have_text("450.00 USD")
    shot("invoice-with-a-line")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def _connect(page: Page, realm: str, shot: Shots) -> None:
    _menu(page, "QuickBooks", "QuickBooks Online Connect")
    expect(page.get_by_text("You are not currently authenticated")).to_be_visible()
    page.get_by_role("button", name="Connect to QuickBooks").click()
    expect(page.get_by_role("heading", name="Connect to QuickBooks")).to_be_visible()
    # The emulator's label wraps its select, so the box's name begins with "Company".
    company = page.get_by_role("combobox", name=re.compile("^Company"))
    company.select_option(label=f"Journey Books ({realm})")
    shot("consent-page")
    page.get_by_role("button", name="Authorize").click()
    _flash(page, "Connected to QuickBooks company “Journey Books”.")
    expect(page.locator("#qbo-connection")).to_contain_text(realm)
    shot("connected")


def _import(page: Page, shot: Shots) -> None:
    _menu(page, "QuickBooks", "Import")
    for step, name, title in (("Import step 1", "lists", "Import: lists"),
                              ("Import step 2", "parties",
                               "Import: clients, organizations, associates")):
        page.get_by_role("button", name=step).click()
        run = page.locator("#import-progress .import-run").filter(has_text=title)
        expect(run.locator("[data-run-status]")).to_have_attribute(
            "data-run-status", "succeeded", timeout=RUN_TIMEOUT)
        expect(run.locator("[data-count=added]")).not_to_have_text("0")
        shot(f"import-{name}")
    expect(run.get_by_role("row", name=re.compile("^Employees 4 "))).to_be_visible()


def _map_and_default(page: Page, shot: Shots) -> None:
    _menu(page, "QuickBooks", "Mappings")
    row = page.locator("#billing-codes tbody tr", has_text="Advisory")
    expect(row).to_contain_text("Created in QuickBooks by the first copy")
    page.get_by_label("Advisory", exact=True).select_option(label="Consulting · income: Services")
    page.get_by_role("button", name="Save billing codes").click()
    _flash(page, "Billing codes: 1 mapping saved.")
    expect(row).to_contain_text("Mapped")
    shot("billing-code-mapped")

    _tab(page, "Go-live readiness").click()
    expect(page.locator("#check-defaults")).to_contain_text("To fix")
    shot("readiness-before-defaults")
    page.locator("#check-defaults").get_by_role("link", name="Fix").click()
    for label, choice in (
            ("Accounts receivable (A/R) account", "Accounts Receivable (A/R)"),
            ("Accounts payable (A/P) account", "Accounts Payable (A/P)"),
            ("Expenses are paid from", "Checking"),
            ("Expense account", "Travel"),
            ("Mileage expense account", "Automobile"),
            ("Income account for new items", "Services")):
        _choose(page, label, choice)
    page.get_by_role("button", name="Save defaults").click()
    _flash(page, "QuickBooks defaults saved.")
    shot("defaults-saved")

    _tab(page, "Go-live readiness").click()
    expect(page.get_by_text("Ready: every check passes.")).to_be_visible()
    expect(page.locator("#readiness").get_by_text("To fix")).to_have_count(0)
    shot("readiness-green")


def _choose(page: Page, label: str, name: str) -> None:
    """Pick the option of a QuickBooks row by its name (labels add the account type)."""
    select = page.get_by_label(label, exact=True)
    option = select.locator("option").filter(has_text=re.compile(rf"^{re.escape(name)}( \(|$)"))
    select.select_option(value=option.first.get_attribute("value"))


def _watch_copy(page: Page, shot: Shots, polls: list[str]) -> Any:
    """Mark the invoice final, press Add QBO and follow the run's live progress to its end;
    returns the run card (only final invoices are copied)."""
    final = page.get_by_role("button", name="Mark final")
    if final.count():
        final.first.click()
        expect(page.get_by_text(re.compile(r"Invoice \S+ is final\."))).to_be_visible()
    url = page.url
    polls.clear()
    with page.expect_response(lambda r: "/admin/qbo/push/" in r.url) as answer:
        page.get_by_role("button", name="Add QBO").click()
    started = re.search(r'data-run-status="(\w+)"', answer.value.text())
    run = page.locator("#qbo-progress .qbo-run")
    expect(run).to_be_visible()
    expect(run.get_by_role("progressbar", name="Progress")).to_be_visible()
    shot("copy-started")
    expect(run.locator("[data-run-status]")).to_have_attribute(
        "data-run-status", re.compile("succeeded|failed|partial"), timeout=RUN_TIMEOUT)
    assert page.url == url  # the card updated itself in place
    if started and started.group(1) in ("queued", "running"):
        assert polls, "the progress card never asked for news"
    return run


def _logged(page: Page, record: str, outcome: str) -> Any:
    """Sync log rows of a record (by its Record cell) with an outcome."""
    return page.locator("#listing tbody tr").filter(
        has=page.locator("td:nth-child(3)", has_text=re.compile(rf"^\s*{re.escape(record)}\s*$"))
    ).filter(has=page.locator("td:nth-child(1) .badge", has_text=outcome))  # Outcome column


def test_owner_journey_from_an_empty_database(journey_app: tuple[Flask, str], live_server: str,
                                              page: Page, emulator: Any) -> None:
    app, realm = journey_app
    shot = Shots(page)
    polls: list[str] = []

    def note_poll(response: Response) -> None:
        if "/admin/qbo/runs/" in response.url and response.request.method == "GET":
            polls.append(response.url)

    page.on("response", note_poll)
    worker = start_worker(app, burst=False)
    try:
        _owner_sets_up(page, live_server, shot)

        _login(page, live_server, BOOKKEEPER, shot)
        expect(page.get_by_text("Quinn Bookkeeper · QBO Admin")).to_be_visible()
        expect(page.get_by_role("button", name="QuickBooks", exact=True)).to_be_visible()
        _connect(page, realm, shot)
        _import(page, shot)
        _map_and_default(page, shot)

        # The first copy: the invoice with everything it depends on.
        _menu(page, "Admin", "Invoice Manager")
        page.get_by_role("link", name="1001", exact=True).click()
        expect(page.get_by_text("Not in QBO")).to_be_visible()
        run = _watch_copy(page, shot, polls)
        expect(run.locator("[data-run-status]")).to_have_attribute("data-run-status",
                                                                   "succeeded")
        expect(run).to_contain_text("Invoice 1001 (QBO #")
        expect(run).to_contain_text("Northwind Analytics")
        expect(run).to_contain_text("Quinn Bookkeeper")
        shot("copy-succeeded")
        [sent] = qbo_rows(emulator, realm, "Invoice", "DocNumber = '1001'")
        assert sent["CustomerRef"]["name"] == "Northwind Analytics"
        [line] = [x for x in sent["Line"] if x.get("DetailType") == "SalesItemLineDetail"]
        assert line["SalesItemLineDetail"]["ItemRef"]["name"] == "Consulting"
        assert str(line["Amount"]) in ("450", "450.0", "450.00")
        page.reload()
        expect(page.get_by_text(f"In QBO #{sent['Id']}")).to_be_visible()

        # A second invoice bills mileage through the defaults' item, which nobody chose yet.
        _menu(page, "Admin", "Invoice Manager")
        page.get_by_role("link", name="New invoice").click()
        page.get_by_label("Client", exact=True).select_option(label="Northwind Analytics")
        page.get_by_label("Invoice number", exact=True).fill("1002")
        page.get_by_role("button", name="Create draft").click()
        _flash(page, "Invoice 1002 created.")
        page.get_by_role("tab", name="Mileage").click()
        mileage = page.get_by_role("tabpanel", name="Mileage")
        mileage.get_by_label("Associate", exact=True).select_option(label="Quinn Bookkeeper")
        mileage.get_by_label("Date", exact=True).fill("2026-11-18")
        mileage.get_by_label("Description", exact=True).fill("Drive to the Northwind office")
        mileage.get_by_label("Miles", exact=True).fill("42")
        mileage.get_by_label("Rate per mile", exact=True).fill("0.70")
        mileage.get_by_role("button", name="Add mileage line").click()
        expect(page.locator("#invoice-total")).to_have_text("29.40 USD")
        shot("mileage-invoice")

        run = _watch_copy(page, shot, polls)
        failure = run.locator("li", has_text="Invoice 1002")
        expect(failure).to_contain_text("failed")
        expect(failure).to_contain_text("Item for mileage billed to clients")
        expect(failure.get_by_role("button", name="Retry")).to_be_visible()
        shot("copy-refused")
        assert qbo_rows(emulator, realm, "Invoice", "DocNumber = '1002'") == []

        failure.get_by_role("link", name="Fix").click()
        expect(_tab(page, "Defaults")).to_have_attribute(
            "aria-current", "page")
        _choose(page, "Item for mileage billed to clients", "Mileage")
        page.get_by_role("button", name="Save defaults").click()
        _flash(page, "QuickBooks defaults saved.")
        shot("fixed-in-defaults")

        _menu(page, "QuickBooks", "Errors to retry")
        expect(page.get_by_label("Unresolved failures only", exact=True)).to_be_checked()
        failed_row = page.locator("#listing tbody tr", has_text="Invoice 1002")
        expect(failed_row).to_have_count(1)
        shot("errors-to-retry")
        failed_row.get_by_role("button", name="Retry").click()
        retry = page.locator("#qbo-progress .qbo-run")
        expect(retry.locator("[data-run-status]")).to_have_attribute(
            "data-run-status", "succeeded", timeout=RUN_TIMEOUT)
        expect(retry).to_contain_text("Invoice 1002 (QBO #")
        shot("retry-succeeded")
        [second] = qbo_rows(emulator, realm, "Invoice", "DocNumber = '1002'")
        [line] = [x for x in second["Line"] if x.get("DetailType") == "SalesItemLineDetail"]
        assert line["SalesItemLineDetail"]["ItemRef"]["name"] == "Mileage"

        # The sync log keeps every attempt: the refusal (now retried) and the later success.
        _menu(page, "QuickBooks", "Sync log")
        log = page.locator("#listing tbody tr")
        expect(log.first).to_be_visible()
        shot("sync-log")
        refused = _logged(page, "Invoice 1002", "failed")
        expect(refused).to_have_count(1)
        expect(refused).to_contain_text("retried")
        expect(refused).to_contain_text("Item for mileage billed to clients")
        for record, qbo_id in (("Invoice 1002", second["Id"]), ("Invoice 1001", sent["Id"]),
                               ("Northwind Analytics", sent["CustomerRef"]["value"])):
            expect(_logged(page, record, "created").locator("td").nth(7)).to_have_text(qbo_id)
        expect(_logged(page, "Quinn Bookkeeper", "created")).to_have_count(1)
        expect(_logged(page, "Emily Platt", "created")).to_contain_text("import")
        page.get_by_label("Unresolved failures only", exact=True).check()
        expect(page.get_by_text("Nothing logged yet for these filters.")).to_be_visible()
    finally:
        stop_worker(worker)
