"""axe-core finds no accessibility violation on any page, for any role, with QuickBooks on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from app.assets import TEST_PACKAGES, TEST_VENDOR
from tests.e2e.site import ROLES, populate, visit_as

AXE = TEST_VENDOR / "axe.min.js"
# Every violation as one readable line: rule, impact, and the first offending elements.
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} -> `
    + v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | "));
}"""


def axe_source() -> str:
    """The axe-core script fetched by ``make test`` (``python -m app.assets --test``)."""
    if not AXE.exists():
        name, version = TEST_PACKAGES[0][:2]
        pytest.fail(f"{AXE} is missing: run `make test` (it fetches {name}@{version})")
    return AXE.read_text()


@pytest.fixture()
def axe_page(browser: Any) -> Iterator[Page]:
    """A page whose context lets axe's script in despite the app's Content-Security-Policy."""
    context = browser.new_context(bypass_csp=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def violations(page: Page) -> list[str]:
    """axe-core's violations for the page as it is now."""
    page.add_script_tag(content=axe_source())
    return page.evaluate(RUN_AXE)


def test_every_page_for_every_role(qbo_app: Flask, live_server: str, axe_page: Page, users: dict,
                                   emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    pages = populate(qbo_app, emulator, users, monkeypatch)
    assert len(pages) > 40
    axe_page.goto(f"{live_server}/login")
    found = {"anonymous /login": violations(axe_page)}
    for role in ROLES:
        visit_as(axe_page, live_server, role)
        for path in pages:
            axe_page.goto(f"{live_server}{path}")
            found[f"{role} {path}"] = violations(axe_page)
    # States a plain visit does not reach: the invoice line editor and a form with errors.
    visit_as(axe_page, live_server, "owner")
    invoice = next(p for p in pages if p.startswith("/invoices/") and p[10:].isdigit())
    axe_page.goto(f"{live_server}{invoice}")
    back = axe_page.get_by_role("button", name="Back to draft")
    if back.count():  # only a draft's lines can be edited
        axe_page.once("dialog", lambda dialog: dialog.accept())
        back.click()
        expect(axe_page.get_by_role("button", name="Mark final")).to_be_visible()
    axe_page.locator("#invoice-lines-table").get_by_role("link", name="Edit").first.click()
    expect(axe_page.get_by_role("button", name="Save line")).to_be_visible()
    found["owner invoice line editor"] = violations(axe_page)
    axe_page.goto(f"{live_server}/clients/new")
    axe_page.get_by_label("Email").fill("not-an-address")
    axe_page.get_by_role("button", name="Save").first.click()
    name = axe_page.get_by_label("Company or person name")
    expect(name).to_be_focused()
    expect(name).to_have_accessible_description("Required.")
    assert axe_page.title().startswith("Errors to fix: ")
    found["owner client form with errors"] = violations(axe_page)
    failing = {where: found_here for where, found_here in found.items() if found_here}
    assert failing == {}, "\n".join(f"{w}: {v}" for w, vs in failing.items() for v in vs)


def test_axe_notices_a_violation(live_server: str, axe_page: Page, users: dict) -> None:
    """The check itself works: an image without a text alternative is reported."""
    axe_page.goto(f"{live_server}/login")
    axe_page.evaluate("() => document.querySelector('main').append(document.createElement('img'))")
    assert any(v.startswith("image-alt") for v in violations(axe_page))


def test_axe_is_not_served_by_the_app(client: Any) -> None:
    """axe-core is a test asset: the app's static folder does not carry it."""
    assert not (Path(client.application.static_folder) / "vendor" / "axe.min.js").exists()
    assert client.get("/static/vendor/axe.min.js").status_code == 404
