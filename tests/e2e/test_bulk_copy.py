"""In the browser: a listing copies to QuickBooks only on a deliberate, counted click."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, Request, expect

from app.extensions import db
from app.models import Client, SyncRun
from tests.e2e.test_foundation_journey import _login


@pytest.fixture()
def connected(app: Flask, app_ctx: Flask, users: dict, emulator: Any, enable_qbo: None,
              monkeypatch: pytest.MonkeyPatch) -> str:
    """A connected company and four clients on the listing."""
    from tests.sync.import_support import connect_company, use_dev_client

    use_dev_client(app, emulator, monkeypatch)
    realm = connect_company(app, emulator, "Enter Key Co")
    db.session.add_all([Client(name=f"Keyboard Client {n}") for n in range(4)])
    db.session.commit()
    return realm


def _runs() -> list[SyncRun]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(SyncRun)))


def test_enter_on_a_row_checkbox_copies_nothing(connected: str, live_server: str,
                                                 page: Page) -> None:
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if _is_post(r) else None)
    _login(page, live_server, "qboadmin")
    page.goto(f"{live_server}/clients/")
    posts.clear()
    boxes = page.locator("input[name=ids]")
    expect(boxes).to_have_count(4)
    boxes.first.focus()
    page.keyboard.press("Enter")  # unticked: a browser would press "QBO Add All"
    boxes.nth(1).focus()
    page.keyboard.press("Space")
    expect(boxes.nth(1)).to_be_checked()
    page.keyboard.press("Enter")  # ticked: still nothing
    # The ticked count shows on the button once the keys above were handled.
    expect(page.get_by_role("button", name="QBO Add Selected (1)")).to_be_visible()
    assert posts == []
    expect(page.locator("#qbo-progress")).to_be_empty()
    assert _runs() == []


def test_add_all_names_the_count_and_waits_for_a_second_click(
        connected: str, live_server: str, page: Page) -> None:
    _login(page, live_server, "qboadmin")
    page.goto(f"{live_server}/clients/?q=Keyboard")
    add_all = page.get_by_role("button", name="QBO Add All (4)")
    expect(add_all).to_be_visible()
    # Not beside "QBO Add Selected": the two sit in different forms, apart on the page.
    selected = page.get_by_role("button", name="QBO Add Selected")
    assert add_all.evaluate("b => b.form.id") != selected.evaluate("b => b.form.id")
    add_all.click()
    question = page.locator(".qbo-confirm")
    expect(question).to_contain_text("Copy 4 clients to QuickBooks?")
    assert _runs() == []
    question.get_by_role("button", name="Cancel").click()
    expect(question).to_have_count(0)
    assert _runs() == []

    add_all.click()
    page.get_by_role("button", name="Copy 4 clients").click()
    expect(page.locator(".qbo-run")).to_be_visible()
    [run] = _runs()
    assert run.total == 4 and run.scope["selection"]["values"]["q"] == "Keyboard"


def _is_post(request: Request) -> bool:
    return request.method == "POST"
