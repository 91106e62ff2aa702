"""The owner turns the QuickBooks integration on; an associate records hours."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.support import PASSWORDS


def _login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORDS[username])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def _logout(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_owner_enables_qbo_and_associate_logs_hours(live_server: str, page: Page,
                                                    users: dict) -> None:
    _login(page, live_server, "owner")
    expect(page.locator("#qbo-menu")).to_have_count(0)
    page.goto(f"{live_server}/admin/settings")
    expect(page.get_by_text("Section 1) Basic Settings")).to_be_visible()
    page.get_by_label("QBO", exact=True).check()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    expect(page.locator("#qbo-menu")).to_be_visible()
    expect(page.get_by_role("button", name="QuickBooks")).to_be_visible()
    _logout(page)

    _login(page, live_server, "alex")
    expect(page.locator("#qbo-menu")).to_have_count(0)
    page.goto(f"{live_server}/my/hours")
    page.get_by_role("link", name="Add hours entry").first.click()
    page.get_by_label("Date").fill("2026-11-20")
    page.get_by_label("Hours").fill("3.75")
    page.get_by_label("Description").fill("Quarterly review prep")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The hours entry was saved.")).to_be_visible()
    row = page.locator("tbody tr", has_text="Quarterly review prep")
    expect(row).to_contain_text("3.75")
    expect(row).to_contain_text("2026-11-20")
    expect(page.locator("#qbo-menu")).to_have_count(0)
