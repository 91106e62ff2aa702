"""In Chromium under the Content-Security-Policy: the main pages, their scripts and the live
progress work, and the browser reports no violation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import Client, HoursEntry
from tests.e2e.test_foundation_journey import _login
from tests.support import stop_worker

# Chromium reports a violation both as a console message and as this DOM event; the init script
# runs before the page's own scripts (and is itself exempt from the policy).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
                              + ` at ${e.sourceFile}:${e.lineNumber}`);
});
"""
# Violation events are queued as tasks: a zero-delay timer runs after those already queued.
READ_VIOLATIONS = "() => new Promise((r) => setTimeout(() => r(window.__cspViolations || []), 0))"


class Violations:
    """Every CSP violation the browser reported for the page, console and events alike."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        page.on("console", self._console)
        page.add_init_script(RECORD_VIOLATIONS)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            self.console.append(message.text)

    def take(self) -> list[str]:
        """The violations reported since the last call (for the current document)."""
        found = self.console + self.page.evaluate(READ_VIOLATIONS)
        self.console = []
        self.page.evaluate("() => { window.__cspViolations = []; }")
        return found


@pytest.fixture()
def watched(page: Page) -> Violations:
    return Violations(page)


def test_a_violation_is_noticed(live_server: str, page: Page, watched: Violations,
                                users: dict) -> None:
    """The watcher itself works: an inline style attribute is refused and reported."""
    page.goto(f"{live_server}/login")
    assert watched.take() == []
    page.evaluate("() => document.body.setAttribute('style', 'color: red')")
    page.wait_for_function("() => window.__cspViolations.length > 0")
    assert any("style-src" in v for v in watched.take())


def _main_pages(app: Flask) -> list[str]:
    """Every page a signed-in person can open without parameters."""
    skip = {"auth.logout", "qbo.callback"}
    return sorted({r.rule for r in app.url_map.iter_rules()
                   if "GET" in r.methods and not r.arguments and r.endpoint not in skip
                   and r.endpoint != "static"})


def test_main_pages_run_under_the_policy(qbo_app: Flask, live_server: str, page: Page,
                                         watched: Violations, users: dict, emulator: Any,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.sync.import_support import connect_company, use_dev_client
    from tests.sync.push_support import make_invoice, start_worker

    use_dev_client(qbo_app, emulator, monkeypatch)
    connect_company(qbo_app, emulator, "Policy Books")
    invoice = make_invoice("8801", client_name="Policy Client")
    db.session.add_all([Client(name="Second Client"), HoursEntry(
        associate_id=users["owner"].id, work_date=date(2026, 11, 20), hours=Decimal("2"),
        description="Policy review")])
    db.session.commit()
    entry = db.session.scalar(db.select(HoursEntry))

    _login(page, live_server, "owner")
    pages = _main_pages(qbo_app) + [f"/invoices/{invoice.id}",
                                    f"/admin/associates/{users['alex'].id}",
                                    f"/my/hours/{entry.id}"]
    assert len(pages) > 20
    for path in pages:
        response = page.goto(f"{live_server}{path}")
        assert response.ok, path
        assert watched.take() == [], path

    # Bootstrap's own script: the navigation dropdowns open.
    page.goto(f"{live_server}/clients/")
    page.get_by_role("button", name="Admin").click()
    expect(page.get_by_role("link", name="Associate Manager").first).to_be_visible()
    # "Select all" ticks every row (was an inline onclick).
    boxes = page.locator("input[name=ids][form=qbo-selected-form]")
    expect(boxes).to_have_count(2)
    page.get_by_label("Select all rows").check()
    for i in range(2):
        expect(boxes.nth(i)).to_be_checked()
    assert watched.take() == []

    # A form that asks first (was an inline onsubmit): cancelling keeps the entry.
    page.goto(f"{live_server}/my/hours/{entry.id}")
    questions: list[str] = []

    def answer(dialog: Any, accept: bool) -> None:
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", name="Edit hours entry")).to_be_visible()
    assert questions == ["Delete this hours entry?"]
    page.once("dialog", lambda d: answer(d, True))
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("cell", name="Policy review")).to_have_count(0)
    assert len(questions) == 2
    assert watched.take() == []

    # Live progress: htmx polls the run until it ends; the bar is sized by the app's script.
    worker = start_worker(qbo_app, burst=False)
    try:
        page.goto(f"{live_server}/admin/qbo/import/")
        page.get_by_role("button", name="Import step 1").click()
        run = page.locator(".import-run")
        expect(run.locator("[data-run-status]")).to_have_attribute(
            "data-run-status", "succeeded", timeout=60_000)
        bar = run.locator(".progress-bar")
        expect(bar).to_have_text("100%")
        assert bar.evaluate("e => e.style.width") == "100%"
        assert watched.take() == []
    finally:
        stop_worker(worker)
