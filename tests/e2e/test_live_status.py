"""Live progress speaks a short line through one live region, and Retry leaves focus on the
new run; the skip link jumps to the page's content."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.e2e.site import populate, visit_as


def test_retry_focuses_the_new_run_and_announces_it(qbo_app: Flask, live_server: str,
                                                   page: Page, users: dict, emulator: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    pages = populate(qbo_app, emulator, users, monkeypatch)
    run = next(p for p in pages if re.fullmatch(r"/admin/qbo/runs/\d+", p))
    visit_as(page, live_server, "owner")
    page.goto(f"{live_server}{run}")
    live = page.locator("#live-status")
    expect(live).to_have_attribute("aria-live", "polite")
    # Opening a finished run reads nothing out: the page itself says it.
    expect(live).to_have_text("")
    page.get_by_role("button", name="Retry").first.click()
    heading = page.locator("[data-run-heading]")
    expect(heading).to_contain_text("retry of")
    expect(heading).to_be_focused()
    # One short line, not the card: the run's kind and state.
    expect(live).to_have_text(re.compile(r"^Copy to QuickBooks (queued|running|failed|succeeded)"))
    assert len(live.inner_text()) < 160


def test_the_skip_link_moves_to_the_content(live_server: str, page: Page, users: dict) -> None:
    visit_as(page, live_server, "owner")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
