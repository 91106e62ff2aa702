"""Pages tell the truth after a run: record badges, failure counts, listing columns, guidance."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from app.models import (
    Account,
    AccountType,
    Client,
    CompanySettings,
    Integration,
    LinkOrigin,
    LinkState,
    Organization,
    POLine,
    PurchaseOrder,
    QboLink,
    RunKind,
    RunStatus,
    SyncRun,
)
from tests.conftest import Auth
from tests.sync.import_support import connect_company, use_dev_client, work_queue
from tests.sync.push_support import link_of, make_invoice, set_defaults


@pytest.fixture()
def realm(app: Flask, app_ctx: Flask, emulator: Any, enable_qbo: None, users: dict,
          monkeypatch: pytest.MonkeyPatch) -> str:
    """A connected company with its defaults chosen."""
    use_dev_client(app, emulator, monkeypatch)
    realm_id = connect_company(app, emulator, "Truthful Co")
    set_defaults(emulator, realm_id)
    return realm_id


def _badge(html: str, entity: str, local_id: int) -> str:
    match = re.search(rf'<span id="qbo-state-{entity}-{local_id}"[^>]*>(.*?)</span>\s*</span>',
                      html, re.S)
    assert match, f"no badge for {entity} {local_id}"
    return match.group(0)


def test_record_page_badge_is_swapped_in_when_its_run_ends(realm: str, auth: Auth) -> None:
    invoice = make_invoice("6101", client_name="Badge Co")
    client = auth.login("qboadmin")
    page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "Not in QBO" in _badge(page, "invoice", invoice.id)
    client.post(f"/admin/qbo/push/invoice/{invoice.id}", headers={"HX-Request": "true"})
    run = db.session.scalars(db.select(SyncRun)).one()
    running = client.get(f"/admin/qbo/runs/{run.id}", headers={"HX-Request": "true"})
    assert "qbo-state-invoice" not in running.get_data(as_text=True)  # not before it ends

    work_queue()
    db.session.expire_all()
    html = client.get(f"/admin/qbo/runs/{run.id}",
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    badge = _badge(html, "invoice", invoice.id)
    assert 'hx-swap-oob="true"' in badge
    assert f"In QBO #{link_of(realm, 'invoice', invoice.id).qbo_id}" in badge
    assert "Not in QBO" not in badge


class _Cells(HTMLParser):
    """Counts the cells of the listing's header row and of each body row (with colspans)."""

    def __init__(self) -> None:
        super().__init__()
        self.section = ""
        self.header: list[int] = []
        self.rows: list[int] = []
        self.depth = 0  # nested tables (none expected) are not counted

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.depth += 1
        if self.depth != 1:
            return
        if tag in ("thead", "tbody"):
            self.section = tag
        elif tag == "tr":
            (self.header if self.section == "thead" else self.rows).append(0)
        elif tag in ("th", "td"):
            span = int(dict(attrs).get("colspan") or 1)
            (self.header if self.section == "thead" else self.rows)[-1] += span

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.depth -= 1


def _cells(html: str) -> tuple[list[int], list[int]]:
    start = html.index('id="listing"')
    if "</table>" not in html[start:]:
        return [], []
    parser = _Cells()
    parser.feed(html[start:html.index("</table>", start) + len("</table>")])
    return parser.header, parser.rows


def _listing_records() -> None:
    make_invoice("6201", client_name="Columns Co")
    vendor = Organization(name="Columns Vendor", currency="USD")
    db.session.add(vendor)
    db.session.flush()
    db.session.add(PurchaseOrder(number="PO-6201", organization=vendor,
                                 order_date=date(2026, 11, 3), currency="USD",
                                 lines=[POLine(position=1, description="Paper",
                                               quantity=Decimal("2"),
                                               unit_cost=Decimal("5.00"))]))
    db.session.commit()


LISTINGS = ["/clients/", "/organizations/", "/invoices/", "/purchase-orders/",
            "/admin/associates", "/lists/billing-codes", "/admin/qbo/log"]


@pytest.mark.parametrize("qbo_on", [True, False])
def test_listing_headers_line_up_with_their_columns(app_ctx: Flask, auth: Auth, users: dict,
                                                    emulator: Any, app: Flask,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    qbo_on: bool) -> None:
    if qbo_on:
        CompanySettings.load().integration = Integration.QBO
        db.session.commit()
        use_dev_client(app, emulator, monkeypatch)
        connect_company(app, emulator, "Columns Co QBO")
    _listing_records()
    client = auth.login("owner")
    checked = 0
    refresh = {"HX-Request": "true", "HX-Target": "listing"}  # a listing refreshed after a run
    for url in LISTINGS:
        for headers in ({}, refresh):
            response = client.get(url, headers=headers)
            html = response.get_data(as_text=True)
            if response.status_code != 200 or 'id="listing"' not in html:
                continue
            header, rows = _cells(html)
            if not rows:
                continue
            checked += 1
            assert header and set(rows) == {header[0]}, (url, headers, header, rows)
    assert checked == 12  # the log has no rows yet


def _open_failures(client: Any) -> tuple[str, str]:
    dashboard = client.get("/").get_data(as_text=True)
    log = client.get("/admin/qbo/log?open=1").get_data(as_text=True)
    return dashboard, log


def test_a_failure_leaves_errors_to_retry_once_a_later_copy_succeeds(realm: str, auth: Auth,
                                                                     emulator: Any) -> None:
    euro = Client(name="Fixed Later Co", currency="EUR")  # multi-currency is off
    db.session.add(euro)
    db.session.commit()
    client = auth.login("qboadmin")
    client.post(f"/admin/qbo/push/client/{euro.id}?skip_match=1", headers={"HX-Request": "1"})
    work_queue()
    dashboard, log = _open_failures(client)
    assert "QuickBooks copies that failed and wait for a fix or retry" in dashboard
    assert "Fixed Later Co" in log

    euro = db.session.get(Client, euro.id)
    euro.currency = "USD"  # fixed on the record, then copied with Add QBO (not the log's Retry)
    db.session.commit()
    client.post(f"/admin/qbo/push/client/{euro.id}?skip_match=1", headers={"HX-Request": "1"})
    work_queue()
    assert link_of(realm, "client", euro.id).qbo_id
    dashboard, log = _open_failures(client)
    assert "QuickBooks copies that failed" not in dashboard
    assert "Fixed Later Co" not in log


def test_a_failure_leaves_errors_to_retry_once_the_record_is_linked(realm: str, auth: Auth,
                                                                    emulator: Any) -> None:
    from app.sync.linking import link_pair

    euro = Client(name="Linked Later Co", currency="EUR")
    db.session.add(euro)
    db.session.commit()
    client = auth.login("qboadmin")
    client.post(f"/admin/qbo/push/client/{euro.id}?skip_match=1", headers={"HX-Request": "1"})
    work_queue()
    assert "Linked Later Co" in _open_failures(client)[1]
    link_pair(db.session, realm, "client", db.session.get(Client, euro.id), "58", "0",
              LinkOrigin.MATCHED)
    db.session.commit()
    dashboard, log = _open_failures(client)
    assert "Linked Later Co" not in log and "QuickBooks copies that failed" not in dashboard


def _setup(client: Any) -> str:
    html = client.get("/").get_data(as_text=True)
    if 'id="setup-step"' not in html:
        return ""
    start = html.index('id="setup-step"')
    return re.sub(r"\s+", " ", html[start:html.index("</div>\n</div>", start)])


def test_dashboard_guides_first_use_step_by_step(app: Flask, app_ctx: Flask, auth: Auth,
                                                 users: dict, emulator: Any, enable_qbo: None,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    client = auth.login("owner")
    step = _setup(client)
    assert "step 1 of 4" in step and "Connect to QuickBooks" in step
    assert 'href="/admin/qbo/"' in step
    waiting = Client(name="Waiting Co")
    db.session.add(waiting)
    db.session.commit()
    notice = client.post(f"/admin/qbo/push/client/{waiting.id}",
                         headers={"HX-Request": "1"}).get_data(as_text=True)
    assert "QuickBooks is not connected." in notice and 'href="/admin/qbo/"' in notice

    use_dev_client(app, emulator, monkeypatch)
    realm = connect_company(app, emulator, "Guided Co")
    step = _setup(client)
    assert "step 2 of 4" in step and 'href="/admin/qbo/import/"' in step
    connect_page = client.get("/admin/qbo/").get_data(as_text=True)
    assert 'id="qbo-next-import" href="/admin/qbo/import/"' in connect_page

    db.session.add(SyncRun(kind=RunKind.IMPORT, status=RunStatus.SUCCEEDED, realm_id=realm))
    checking = Account(name="Operating Checking", account_type=AccountType.BANK)
    db.session.add(checking)
    db.session.commit()
    step = _setup(client)
    assert "step 3 of 4" in step and 'href="/admin/qbo/settings/mappings"' in step
    assert ("1 tax code, account or payment method entry needs a QuickBooks counterpart."
            in step)

    db.session.add(QboLink(realm_id=realm, entity_type="account", local_id=checking.id,
                           qbo_id="35", state=LinkState.SYNCED, origin=LinkOrigin.MAPPED))
    db.session.commit()
    step = _setup(client)
    assert "step 4 of 4" in step and 'href="/admin/qbo/settings/readiness"' in step

    db.session.add(SyncRun(kind=RunKind.PUSH, status=RunStatus.SUCCEEDED, realm_id=realm,
                           created_count=1))
    db.session.commit()
    assert _setup(client) == ""  # live: no more set-up card


def test_import_page_counts_are_swapped_in_when_the_run_ends(realm: str, auth: Auth) -> None:
    client = auth.login("qboadmin")
    before = client.get("/admin/qbo/import/").get_data(as_text=True)
    assert "0 associates without a login" in before
    for step in ("lists", "parties"):
        client.post("/admin/qbo/import/start", data={"step": step}, headers={"HX-Request": "1"})
        work_queue()
    db.session.expire_all()
    run = db.session.scalar(db.select(SyncRun).order_by(SyncRun.id.desc()))
    done = client.get(f"/admin/qbo/import/runs/{run.id}",
                      headers={"HX-Request": "1"}).get_data(as_text=True)
    status = done[done.index('id="import-status"'):]
    assert status.startswith('id="import-status" hx-swap-oob="true"')
    assert re.search(r"\b\d+ associates without a login", status)
    assert "0 associates without a login" not in status
    assert 'id="import-company" hx-swap-oob="true"' in done
