"""Add QBO on a party someone typed into QBO after the import; names QBO would refuse."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Associate,
    Client,
    LinkOrigin,
    Organization,
    PermissionLevel,
    QboLink,
    SyncRun,
)
from app.sync.lists import refresh_lists
from tests.conftest import Auth
from tests.sync.import_support import api, connect_company, qbo_client, use_dev_client
from tests.sync.push_support import qbo_rows, writes

HX = {"HX-Request": "true"}


@pytest.fixture()
def realm(app: Flask, emulator: Any, enable_qbo: None, users: dict,
          monkeypatch: pytest.MonkeyPatch) -> str:
    """A connected company whose parties were imported (cached) before more were typed in."""
    use_dev_client(app, emulator, monkeypatch)
    realm_id = connect_company(app, emulator, "Match Live Co", seed="empty")
    with qbo_client(app, realm_id) as client:
        refresh_lists(client, db.session, realm_id, ["Customer", "Vendor", "Employee"])
    db.session.commit()
    return realm_id


def _link(realm: str, entity_type: str, local_id: int) -> QboLink | None:
    return db.session.scalars(select(QboLink).where(
        QboLink.realm_id == realm, QboLink.entity_type == entity_type,
        QboLink.local_id == local_id)).first()


def _runs() -> int:
    return db.session.scalar(select(func.count()).select_from(SyncRun))


def test_add_qbo_offers_a_customer_typed_into_qbo_after_the_import(
        realm: str, auth: Auth, emulator: Any) -> None:
    typed = api(emulator, realm, "POST", "customer", {
        "DisplayName": "Harbor Labs, Inc.",
        "PrimaryEmailAddr": {"Address": "ap@harborlabs.test"}})["Customer"]
    client_row = Client(name="Harbor Labs", email="ap@harborlabs.test")
    db.session.add(client_row)
    db.session.commit()
    http = auth.login("qboadmin")

    prompt = http.post(f"/admin/qbo/push/client/{client_row.id}", headers=HX)
    html = prompt.get_data(as_text=True)
    assert "QuickBooks may already have this client" in html
    assert "best: Harbor Labs, Inc." in html and ">Next<" in html
    assert _runs() == 0  # nothing was started, so nothing was created

    page = http.get(f"/admin/qbo/match/client/{client_row.id}").get_data(as_text=True)
    assert f'data-qbo-id="{typed["Id"]}"' in page and "same email" in page
    before = writes(emulator, realm)
    done = http.post(f"/admin/qbo/match/client/{client_row.id}/link",
                     data={"qbo_id": typed["Id"]}, follow_redirects=True)
    assert "Nothing was written to QuickBooks" in done.get_data(as_text=True)
    link = _link(realm, "client", client_row.id)
    assert link.qbo_id == typed["Id"] and link.origin == LinkOrigin.MATCHED
    assert writes(emulator, realm) == before
    assert [c["DisplayName"] for c in qbo_rows(emulator, realm, "Customer")] == \
        ["Harbor Labs, Inc."]


def test_qbo_admin_links_an_associate_from_the_associate_manager(
        realm: str, auth: Auth, emulator: Any) -> None:
    typed = api(emulator, realm, "POST", "employee",
                {"GivenName": "Dana", "FamilyName": "Scully"})["Employee"]
    dana = Associate(display_name="Dana Scully", first_name="Dana", last_name="Scully")
    db.session.add(dana)
    db.session.commit()
    http = auth.login("qboadmin")

    listing = http.get("/admin/associates").get_data(as_text=True)
    match_url = f"/admin/qbo/match/associate/{dana.id}"
    assert match_url in listing
    assert f"/admin/associates/{dana.id}\"" not in listing  # the editor stays the owner's
    assert http.get(f"/admin/associates/{dana.id}").status_code == 403

    page = http.get(match_url).get_data(as_text=True)
    assert "Add QBO" in page and f'data-qbo-id="{typed["Id"]}"' in page
    prompt = http.post(f"/admin/qbo/push/associate/{dana.id}", headers=HX)
    assert "QuickBooks may already have this associate" in prompt.get_data(as_text=True)
    http.post(f"{match_url}/link", data={"qbo_id": typed["Id"]})
    assert _link(realm, "associate", dana.id).qbo_id == typed["Id"]
    assert len(qbo_rows(emulator, realm, "Employee")) == 1

    # Reaching the match page gives no say over permission levels.
    refused = http.post(f"/admin/associates/{dana.id}",
                        data={"display_name": "Dana Scully", "permission": "owner"})
    assert refused.status_code == 403
    db.session.expire_all()
    assert db.session.get(Associate, dana.id).permission != PermissionLevel.OWNER


def test_forms_refuse_a_name_another_party_has(app_ctx: Flask, auth: Auth, users: dict) -> None:
    vendor = Organization(name="Paper Mill LLC")
    db.session.add(vendor)
    db.session.commit()
    http = auth.login("owner")

    # Quinn Bookkeeper is an associate: QBO would refuse a customer of that name.
    html = http.post("/clients/new", data={"name": "  quinn   BOOKKEEPER ", "is_company": "1",
                                           "currency": "USD", "act_as_reference": "",
                                           "active": "y"}).get_data(as_text=True)
    assert "The associate “Quinn Bookkeeper” already has this name" in html
    assert db.session.scalar(select(func.count()).select_from(Client)) == 0

    kept = Client(name="Harbor Labs")
    db.session.add(kept)
    db.session.commit()
    html = http.post(f"/organizations/{vendor.id}",
                     data={"name": "Harbor Labs", "currency": "USD", "active": "y"}
                     ).get_data(as_text=True)
    assert "The client “Harbor Labs” already has this name" in html
    db.session.expire_all()
    assert db.session.get(Organization, vendor.id).name == "Paper Mill LLC"

    html = http.post("/admin/associates/new", data={
        "display_name": "Paper Mill LLC", "first_name": "Paper", "permission": "associate",
        "active": "y"}).get_data(as_text=True)
    assert "The organization “Paper Mill LLC” already has this name" in html

    # A record keeps its own name when saved again.
    saved = http.post(f"/clients/{kept.id}", data={"name": "Harbor Labs", "is_company": "1",
                                                   "currency": "USD", "act_as_reference": "",
                                                   "active": "y"})
    assert saved.status_code == 302


def test_qbo_add_all_asks_qbo_once_per_hundred_names_and_holds_back_twins(
        realm: str, auth: Auth, emulator: Any) -> None:
    from tests.sync.import_support import query_requests, request_count, work_queue

    for name in ("Harbor Labs, Inc.", "Bulk Client 007"):
        api(emulator, realm, "POST", "customer", {"DisplayName": name})
    db.session.add_all([Client(name=f"Bulk Client {i:03d}") for i in range(150)])
    db.session.add(Client(name="HARBOR LABS, INC."))
    db.session.commit()
    http = auth.login("qboadmin")
    before = query_requests(request_count(emulator, realm))
    http.post("/admin/qbo/push/client?status=active", headers=HX,
              data={"selection": "all", "confirm": "151"})
    work_queue()

    # 151 names: two name queries (100 per query), no emails, so no email query.
    assert query_requests(request_count(emulator, realm)) - before == 2
    run = db.session.scalars(select(SyncRun)).one()
    assert run.created_count == 149 and run.failed_count == 2
    names = [c["DisplayName"] for c in qbo_rows(emulator, realm, "Customer")]
    assert len(names) == 151 and names.count("Bulk Client 007") == 1
    page = http.get(f"/admin/qbo/runs/{run.id}").get_data(as_text=True)
    assert "QuickBooks already has customer “Harbor Labs, Inc.”" in page
    assert "link it or create anyway" in page and "Link to existing" in page
    twin = db.session.scalar(select(Client).where(Client.name == "HARBOR LABS, INC."))
    log = http.get("/admin/qbo/log?open=1").get_data(as_text=True)
    assert f"/admin/qbo/match/client/{twin.id}\">Link to existing" in log
