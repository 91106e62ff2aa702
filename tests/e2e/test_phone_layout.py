"""At a phone's 390px width no main page scrolls sideways; screenshots are kept as artifacts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page

from tests.e2e.site import populate, visit_as

WIDTH = 390
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "phone"
MAIN_PAGES = ("/", "/clients/", "/organizations/", "/invoices/", "/purchase-orders/",
              "/admin/associates", "/my/hours", "/my/expenses", "/my/mileage", "/lists/",
              "/admin/settings", "/admin/qbo/", "/admin/qbo/import/", "/admin/qbo/log",
              "/admin/qbo/settings/mappings", "/admin/qbo/settings/readiness",
              "/admin/qbo/settings/rates", "/admin/qbo/settings/defaults",
              "/admin/qbo/import/follow-ups", "/admin/qbo/import/attention")
# The element scrolled past the viewport's right edge, to say what to fix.
WIDEST = """() => {
  let worst = null;
  for (const e of document.querySelectorAll("body *")) {
    const r = e.getBoundingClientRect();
    if (r.right > window.innerWidth + 1 && (!worst || r.right > worst.right)) {
      if (e.closest(".table-responsive") && !e.matches(".table-responsive")) continue;
      worst = {right: Math.round(r.right), tag: e.tagName.toLowerCase(),
               id: e.id, cls: String(e.className).slice(0, 60)};
    }
  }
  return worst;
}"""


@pytest.fixture()
def phone(browser: Any) -> Iterator[Page]:
    """A page the size of a phone's screen."""
    context = browser.new_context(viewport={"width": WIDTH, "height": 844})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _shot(page: Page, role: str, path: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^a-z0-9]+", "-", f"{role}{path}".lower()).strip("-")
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_no_main_page_scrolls_sideways(qbo_app: Flask, live_server: str, phone: Page,
                                      users: dict, emulator: Any,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    pages = populate(qbo_app, emulator, users, monkeypatch)
    invoice = next(p for p in pages if re.fullmatch(r"/invoices/\d+", p))
    run = next(p for p in pages if re.fullmatch(r"/admin/qbo/runs/\d+", p))
    overflowing = {}
    for role, paths in (("owner", (*MAIN_PAGES, invoice, run)),
                        ("alex", ("/", "/my/hours", "/my/expenses", "/my/mileage"))):
        visit_as(phone, live_server, role)
        for path in paths:
            assert phone.goto(f"{live_server}{path}").ok, path
            _shot(phone, role, path)
            width = phone.evaluate("document.documentElement.scrollWidth")
            if width != WIDTH:
                overflowing[f"{role} {path}"] = (width, phone.evaluate(WIDEST))
    assert overflowing == {}
    assert len(list(ARTIFACTS.glob("*.png"))) >= len(MAIN_PAGES)
    # Actions are big enough to tap (the last page is the associate's mileage list).
    heights = phone.locator("main .btn:visible").evaluate_all(
        "buttons => buttons.map((b) => b.getBoundingClientRect().height)")
    assert heights and min(heights) >= 44


def test_invoice_totals_show_without_scrolling_sideways(qbo_app: Flask, live_server: str,
                                                        phone: Page, users: dict, emulator: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    pages = populate(qbo_app, emulator, users, monkeypatch)
    invoice = next(p for p in pages if re.fullmatch(r"/invoices/\d+", p))
    visit_as(phone, live_server, "owner")
    phone.goto(f"{live_server}{invoice}")
    summary = phone.locator("#invoice-totals-summary")
    for label in ("Subtotal", "Tax", "Total"):
        cell = summary.locator("div", has_text=label).last
        box = cell.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, label
    assert summary.locator("dd").last.inner_text() == phone.locator(
        "#invoice-total").inner_text()
