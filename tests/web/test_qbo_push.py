"""The Add QBO buttons on every manager, the progress fragment and self-service."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from app.models import (
    Associate,
    Client,
    CompanySettings,
    DistanceUnit,
    ExpenseEntry,
    HoursEntry,
    LinkState,
    MileageEntry,
    Organization,
    POLine,
    PurchaseOrder,
    SyncRun,
)
from tests.conftest import Auth
from tests.sync.import_support import connect_company, use_dev_client, work_queue
from tests.sync.push_support import link_of, make_invoice, qbo_rows, set_defaults


@pytest.fixture()
def realm(app: Flask, app_ctx: Flask, emulator: Any, enable_qbo: None, users: dict,
          monkeypatch: pytest.MonkeyPatch) -> str:
    """A connected company with its defaults chosen."""
    use_dev_client(app, emulator, monkeypatch)
    realm_id = connect_company(app, emulator, "Buttons Co")
    set_defaults(emulator, realm_id)
    return realm_id


def _post(auth: Auth, who: str, url: str, **data: Any) -> Any:
    client = auth.login(who)
    return client.post(url, data=data, headers={"HX-Request": "true"})


def test_add_qbo_on_a_record_shows_progress_then_feedback(realm: str, auth: Auth,
                                                          emulator: Any) -> None:
    invoice = make_invoice("5001", client_name="Feedback Co")
    client = auth.login("qboadmin")
    page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "Add QBO" in page and "Not in QBO" in page
    fragment = client.post(f"/admin/qbo/push/invoice/{invoice.id}",
                           headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in fragment and "Queued" in fragment
    work_queue()
    run = db.session.scalars(db.select(SyncRun)).one()
    done = client.get(f"/admin/qbo/runs/{run.id}", headers={"HX-Request": "true"})
    html = done.get_data(as_text=True)
    assert "every 1s" not in html  # finished: polling stops by itself
    assert "Succeeded" in html and "5 created" in html
    assert f"QBO #{link_of(realm, 'invoice', invoice.id).qbo_id}" in html
    assert "In QBO #" in client.get(f"/invoices/{invoice.id}").get_data(as_text=True)


@pytest.mark.parametrize("entity,url,make", [
    ("client", "/clients/", lambda i: Client(name=f"All Client {i}")),
    ("organization", "/organizations/", lambda i: Organization(name=f"All Vendor {i}")),
    ("associate", "/admin/associates", lambda i: Associate(display_name=f"All Person {i}",
                                                           first_name="All",
                                                           last_name=f"Person {i}")),
])
def test_qbo_add_all_copies_what_the_filter_shows(realm: str, auth: Auth, emulator: Any,
                                                  entity: str, url: str, make: Any) -> None:
    records = [make(i) for i in range(3)]
    hidden = make(99)
    hidden.active = False  # not shown by the default "active" filter
    db.session.add_all([*records, hidden])
    db.session.commit()
    shown = len(records) + (3 if entity == "associate" else 0)  # the three demo logins
    html = auth.login("qboadmin").get(url).get_data(as_text=True)
    assert f"QBO Add All ({shown})" in html and "QBO Add Selected" in html
    question = auth.client.post(f"/admin/qbo/push/{entity}?status=active",
                                data={"selection": "all"}, headers={"HX-Request": "true"})
    assert f"Copy {shown} {entity}s" in question.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(SyncRun)) == 0
    response = auth.client.post(f"/admin/qbo/push/{entity}?status=active",
                                data={"selection": "all", "confirm": str(shown)},
                                headers={"HX-Request": "true"})
    assert response.status_code == 200
    work_queue()
    for record in records:
        assert link_of(realm, entity, record.id).state == LinkState.SYNCED
    assert link_of(realm, entity, hidden.id) is None


def test_qbo_add_all_on_invoices_and_purchase_orders(realm: str, auth: Auth,
                                                     emulator: Any) -> None:
    invoices = [make_invoice(f"60{i}", client_name=f"Inv Client {i}") for i in range(2)]
    vendor = Organization(name="PO Vendor")
    po = PurchaseOrder(number="PO-7", organization=vendor, order_date=date(2026, 11, 3),
                       lines=[POLine(billing_code=invoices[0].lines[0].billing_code,
                                     quantity=Decimal("4"), unit_cost=Decimal("25.00"))])
    db.session.add(po)
    db.session.commit()
    auth.login("owner")
    auth.client.post("/admin/qbo/push/invoice", data={"selection": "all", "confirm": "2"})
    auth.client.post("/admin/qbo/push/purchase_order", data={"selection": "all", "confirm": "1"})
    work_queue()
    for invoice in invoices:
        assert link_of(realm, "invoice", invoice.id).state == LinkState.SYNCED
    po_link = link_of(realm, "purchase_order", po.id)
    [qbo_po] = qbo_rows(emulator, realm, "PurchaseOrder", f"Id = '{po_link.qbo_id}'")
    assert Decimal(str(qbo_po["TotalAmt"])) == Decimal("100.00")


def test_qbo_add_selected_copies_only_checked_rows(realm: str, auth: Auth) -> None:
    chosen, other = Client(name="Checked Co"), Client(name="Unchecked Co")
    db.session.add_all([chosen, other])
    db.session.commit()
    auth.login("qboadmin").post("/admin/qbo/push/client",
                                data={"selection": "selected", "ids": [chosen.id],
                                      "confirm": "1"})
    work_queue()
    assert link_of(realm, "client", chosen.id).state == LinkState.SYNCED
    assert link_of(realm, "client", other.id) is None


def _entries(associate: Associate) -> list[Any]:
    rows = [HoursEntry(associate=associate, work_date=date(2026, 11, 4), hours=Decimal("2.5"),
                       rate=Decimal("90"), description="Own hours"),
            ExpenseEntry(associate=associate, expense_date=date(2026, 11, 4),
                         amount=Decimal("12.40"), description="Parking"),
            MileageEntry(associate=associate, trip_date=date(2026, 11, 4), miles=Decimal("30"),
                         rate_per_mile=Decimal("0.70"), description="Site visit")]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def test_associate_copies_own_history_when_allowed(realm: str, auth: Auth, users: dict,
                                                   emulator: Any) -> None:
    CompanySettings.load().associates_self_push = True
    db.session.commit()
    hours, expense, mileage = _entries(users["alex"])
    client = auth.login("alex")
    assert "QBO Add All (1)" in client.get("/my/hours").get_data(as_text=True)
    client.post(f"/my/qbo/push/hours/{hours.id}")
    client.post("/my/qbo/push/expense", data={"selection": "all", "confirm": "1"})
    client.post("/my/qbo/push/mileage", data={"selection": "selected", "ids": [mileage.id],
                                              "confirm": "1"})
    work_queue()
    for entity, entry in (("hours", hours), ("expense", expense), ("mileage", mileage)):
        assert link_of(realm, entity, entry.id).state == LinkState.SYNCED, (
            entity, link_of(realm, entity, entry.id).last_error)
    [activity] = qbo_rows(emulator, realm, "TimeActivity")
    assert (activity["Hours"], activity["Minutes"]) == (2, 30)
    assert 'id="qbo-menu"' not in client.get("/").get_data(as_text=True)


def test_associate_cannot_copy_someone_elses_entry(realm: str, auth: Auth,
                                                   users: dict) -> None:
    CompanySettings.load().associates_self_push = True
    db.session.commit()
    [theirs, *_] = _entries(users["qboadmin"])
    client = auth.login("alex")
    assert client.post(f"/my/qbo/push/hours/{theirs.id}").status_code == 404
    answer = client.post("/my/qbo/push/hours", data={"selection": "selected", "ids": [theirs.id]},
                         headers={"HX-Request": "true"})
    assert "Nothing to copy" in answer.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(SyncRun)) == 0
    assert link_of(realm, "hours", theirs.id) is None


def test_self_service_is_refused_when_the_owner_has_not_allowed_it(realm: str, auth: Auth,
                                                                   users: dict) -> None:
    [mine, *_] = _entries(users["alex"])
    client = auth.login("alex")
    assert "QBO Add All" not in client.get("/my/hours").get_data(as_text=True)
    assert client.post(f"/my/qbo/push/hours/{mine.id}").status_code == 403
    assert client.post(f"/admin/qbo/push/client/{mine.id}").status_code == 403


def test_failed_record_shows_fix_and_retry(realm: str, auth: Auth, emulator: Any) -> None:
    client_row = Client(name="Amy's Bird Sanctuary")  # already in QBO, created by hand
    db.session.add(client_row)
    db.session.commit()
    http = auth.login("qboadmin")
    # "None of these: create it" skips the offer of QBO's twin, so QBO refuses the name.
    http.post(f"/admin/qbo/push/client/{client_row.id}?skip_match=1")
    work_queue()
    db.session.expire_all()  # the worker ran in this process, with this session
    run = db.session.scalars(db.select(SyncRun)).one()
    html = http.get(f"/admin/qbo/runs/{run.id}").get_data(as_text=True)
    assert "Duplicate name" in html and "It already has customer “Amy&#39;s Bird" in html
    assert "Retry" in html and "Fix" in html and "Link to existing" in html
    assert f"/admin/qbo/match/client/{client_row.id}" in html  # link it instead
    dashboard = http.get("/").get_data(as_text=True)
    assert "QuickBooks copies that failed" in dashboard
    log = http.get("/admin/qbo/log?open=1").get_data(as_text=True)
    assert "Amy&#39;s Bird Sanctuary" in log and "6240" in log


def test_add_qbo_on_a_party_qbo_may_have_offers_next(realm: str, auth: Auth, app: Flask,
                                                     emulator: Any) -> None:
    from app.sync.lists import refresh_lists
    from tests.sync.import_support import qbo_client

    with qbo_client(app, realm) as qbo:
        refresh_lists(qbo, db.session, realm, ["Customer"])
    twin = Client(name="Bills Windsurf Shop")  # QBO has "Bill's Windsurf Shop"
    db.session.add(twin)
    db.session.commit()
    http = auth.login("qboadmin")
    prompt = http.post(f"/admin/qbo/push/client/{twin.id}", headers={"HX-Request": "true"})
    html = prompt.get_data(as_text=True)
    assert "QuickBooks may already have this client" in html and ">Next<" in html
    assert db.session.scalar(db.select(db.func.count()).select_from(SyncRun)) == 0
    match_page = http.get(f"/admin/qbo/match/client/{twin.id}").get_data(as_text=True)
    assert "Bill&#39;s Windsurf Shop" in match_page
    http.post(f"/admin/qbo/push/client/{twin.id}?skip_match=1")
    work_queue()
    assert link_of(realm, "client", twin.id).state == LinkState.SYNCED


def test_qbo_add_all_uses_the_filters_as_they_are_now(realm: str, auth: Auth) -> None:
    # After HTMX filtering the page URL is stale: the button posts the filter form along.
    wanted, other = Client(name="Harbor Filtered Co"), Client(name="Elsewhere Co")
    db.session.add_all([wanted, other])
    db.session.commit()
    auth.login("qboadmin").post("/admin/qbo/push/client",
                                data={"selection": "all", "q": "harbor", "status": "active",
                                      "confirm": "1"})
    work_queue()
    assert link_of(realm, "client", wanted.id).state == LinkState.SYNCED
    assert link_of(realm, "client", other.id) is None


def test_mileage_in_kilometres_reaches_quickbooks_as_km(realm: str, auth: Auth, users: dict,
                                                         emulator: Any) -> None:
    """A company claiming kilometres sees "km" on the QuickBooks purchase, not "mi"."""
    settings = CompanySettings.load()
    settings.distance_unit, settings.associates_self_push = DistanceUnit.KILOMETRES, True
    db.session.commit()
    *_, mileage = _entries(users["alex"])
    auth.login("alex").post(f"/my/qbo/push/mileage/{mileage.id}")
    work_queue()
    link = link_of(realm, "mileage", mileage.id)
    assert link.state == LinkState.SYNCED
    # Owed to the associate by default: a Bill to their vendor record (else a Purchase).
    [expense] = qbo_rows(emulator, realm, link.qbo_entity or "Purchase", f"Id = '{link.qbo_id}'")
    assert expense["Line"][0]["Description"] == "30.00 km x 0.7000: Site visit"
