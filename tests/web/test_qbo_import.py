"""Import page, needs-attention decisions, follow-ups and match-and-link, over real HTTP."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Associate,
    BillingCode,
    Client,
    LinkOrigin,
    Organization,
    OrganizationCategory,
    QboLink,
    QboObject,
    SyncEvent,
    SyncRun,
)
from tests.conftest import Auth
from tests.sync.import_support import (
    api,
    connect_company,
    request_count,
    use_dev_client,
    work_queue,
)

HX = {"HX-Request": "true"}


@pytest.fixture()
def web(app: Flask, emulator: Any, enable_qbo: None, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """The app on the emulator's development client, QBO integration on."""
    use_dev_client(app, emulator, monkeypatch)
    return app


def _links(realm: str, entity_type: str) -> dict[int, QboLink]:
    rows = db.session.scalars(select(QboLink).where(QboLink.realm_id == realm,
                                                    QboLink.entity_type == entity_type))
    return {link.local_id: link for link in rows}


def _writes(emulator: Any, realm: str) -> int:
    """POST requests other than queries the company received (writes to QBO)."""
    stats = request_count(emulator, realm)
    return sum(sum(v.values()) for k, v in (stats.get("requests") or {}).items()
               if k.startswith("POST") and not k.endswith("/query"))


def test_import_page_runs_steps_with_live_progress_and_summary(web: Flask, auth: Auth,
                                                               emulator: Any) -> None:
    connect_company(web, emulator, "Web Import Co")
    client = auth.login("qboadmin")
    page = client.get("/admin/qbo/import/").get_data(as_text=True)
    assert "Step 1" in page and "Step 2" in page and "Web Import Co" in page
    fragment = client.post("/admin/qbo/import/start", data={"step": "lists"},
                           headers=HX).get_data(as_text=True)
    run = db.session.scalar(select(SyncRun).order_by(SyncRun.id.desc()))
    assert f'id="import-run-{run.id}"' in fragment and 'hx-trigger="every 1s"' in fragment
    work_queue()
    done = client.get(f"/admin/qbo/import/runs/{run.id}", headers=HX).get_data(as_text=True)
    assert "hx-trigger" not in done and 'data-run-status="succeeded"' in done
    assert re.search(r'data-count="added">\s*\d+', done)
    assert "Opening Balance Equity" in done and "Equity accounts" in done  # skipped, with why
    response = client.post("/admin/qbo/import/start", data={"step": "parties"})
    assert response.status_code == 302
    work_queue()
    run = db.session.scalar(select(SyncRun).order_by(SyncRun.id.desc()))
    html = client.get(f"/admin/qbo/import/runs/{run.id}").get_data(as_text=True)
    assert 'data-count="added">60' in html and "Customers" in html
    index = client.get("/admin/qbo/import/").get_data(as_text=True)
    assert "4 associates without a login" in index and f"#{run.id}" in index


def test_start_refuses_unknown_steps_and_missing_connection(web: Flask, auth: Auth) -> None:
    client = auth.login("qboadmin")
    html = client.post("/admin/qbo/import/start", data={"step": "lists"},
                       follow_redirects=True).get_data(as_text=True)
    assert "QuickBooks is not connected" in html
    html = client.post("/admin/qbo/import/start", data={"step": "everything"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Choose which import to run" in html
    assert db.session.scalar(select(SyncRun)) is None


def test_needs_attention_link_or_create_separately(web: Flask, auth: Auth,
                                                  emulator: Any) -> None:
    realm = connect_company(web, emulator, "Attention Co", seed="empty")
    twin_a, twin_b = Client(name="Twin Peaks Cafe"), Client(name="Solo Bakery")
    db.session.add_all([twin_a, twin_b])
    db.session.commit()
    api(emulator, realm, "POST", "customer", {"DisplayName": "Twin Peaks Cafe"})
    api(emulator, realm, "POST", "customer", {"DisplayName": "Solo Bakery",
                                              "PrimaryEmailAddr": {"Address": "s@b.test"}})
    client = auth.login("qboadmin")
    client.post("/admin/qbo/import/start", data={"step": "clients"})
    work_queue()
    html = client.get("/admin/qbo/import/attention").get_data(as_text=True)
    assert "Twin Peaks Cafe" in html and "Solo Bakery" in html
    questions = {e.label: e for e in db.session.scalars(select(SyncEvent).where(
        SyncEvent.action == "attention", SyncEvent.resolved.is_(False)))}
    writes = _writes(emulator, realm)
    client.post(f"/admin/qbo/import/attention/{questions['Twin Peaks Cafe'].id}/link",
                data={"local_id": twin_a.id})
    html = client.post(f"/admin/qbo/import/attention/{questions['Solo Bakery'].id}/create",
                       follow_redirects=True).get_data(as_text=True)
    assert "created as a separate local record" in html
    assert _links(realm, "client")[twin_a.id].origin == LinkOrigin.MATCHED
    solos = db.session.scalars(select(Client).where(Client.name == "Solo Bakery")).all()
    assert len(solos) == 2 and twin_b.id not in _links(realm, "client")
    created = next(c for c in solos if c.id != twin_b.id)
    assert created.email == "s@b.test"
    assert _links(realm, "client")[created.id].origin == LinkOrigin.IMPORTED
    assert _writes(emulator, realm) == writes  # nothing written to QBO
    assert "Nothing needs attention" in client.get("/admin/qbo/import/attention").get_data(
        as_text=True)
    again = client.post(f"/admin/qbo/import/attention/{questions['Solo Bakery'].id}/create",
                        follow_redirects=True).get_data(as_text=True)
    assert "already answered" in again
    assert len(db.session.scalars(select(Client).where(Client.name == "Solo Bakery")).all()) == 2


def test_follow_ups_page_lists_and_edits_in_place(web: Flask, auth: Auth, users: dict) -> None:
    supplier = OrganizationCategory(name="Subcontractor")
    imported = Associate(display_name="Imported Ivy", first_name="Ivy")
    code = BillingCode(code="Advisory", kind="hourly")
    acme = Client(name="Acme Rockets")
    vendor = Organization(name="Loose Vendor")
    db.session.add_all([supplier, imported, code, acme, vendor])
    db.session.commit()
    client = auth.login("owner")
    html = client.get("/admin/qbo/import/follow-ups").get_data(as_text=True)
    assert "Imported Ivy" in html and "no username" in html
    # Filterable.
    html = client.get("/admin/qbo/import/follow-ups?list=logins&q=zzz").get_data(as_text=True)
    assert "Imported Ivy" not in html
    # Logins: owner only, edited in place.
    edit = client.get(f"/admin/qbo/import/follow-ups/logins/{imported.id}?edit=1",
                      headers=HX).get_data(as_text=True)
    assert f'id="fu-logins-{imported.id}"' in edit and 'type="password"' in edit
    bad = client.post(f"/admin/qbo/import/follow-ups/logins/{imported.id}", headers=HX,
                      data={f"r{imported.id}-username": "owner",
                            f"r{imported.id}-password": "long-enough-1",
                            f"r{imported.id}-password_confirm": "long-enough-1"})
    assert bad.status_code == 200 and "already has this username" in bad.get_data(as_text=True)
    db.session.refresh(imported)
    assert imported.username is None and imported.password_hash is None
    ok = client.post(f"/admin/qbo/import/follow-ups/logins/{imported.id}", headers=HX,
                     data={f"r{imported.id}-username": "ivy",
                           f"r{imported.id}-password": "long-enough-1",
                           f"r{imported.id}-password_confirm": "long-enough-1"})
    assert "saved" in ok.get_data(as_text=True)
    db.session.refresh(imported)
    assert imported.username == "ivy" and imported.check_password("long-enough-1")
    # Rates, references and categories.
    bad_rate = client.post(f"/admin/qbo/import/follow-ups/rates/{imported.id}", headers=HX,
                           data={f"r{imported.id}-hourly_rate": "-3"})
    assert "is-invalid" in bad_rate.get_data(as_text=True)
    client.post(f"/admin/qbo/import/follow-ups/rates/{imported.id}", headers=HX,
                data={f"r{imported.id}-hourly_rate": "85.50"})
    client.post(f"/admin/qbo/import/follow-ups/codes/{code.id}", headers=HX,
                data={f"r{code.id}-default_rate": "120"})
    client.post(f"/admin/qbo/import/follow-ups/references/{acme.id}", headers=HX,
                data={f"r{acme.id}-referred_by": "Wile E.", f"r{acme.id}-act_as_reference": "no"})
    html = client.get("/admin/qbo/import/follow-ups?list=vendors").get_data(as_text=True)
    assert "Loose Vendor" in html and "uncategorized" in html
    client.post(f"/admin/qbo/import/follow-ups/vendors/{vendor.id}", headers=HX,
                data={f"r{vendor.id}-category_id": str(supplier.id)})
    db.session.expire_all()
    assert str(db.session.get(Associate, imported.id).hourly_rate) == "85.50"
    assert str(db.session.get(BillingCode, code.id).default_rate) == "120.00"
    acme = db.session.get(Client, acme.id)
    assert (acme.referred_by, acme.act_as_reference) == ("Wile E.", False)
    assert db.session.get(Organization, vendor.id).category_id == supplier.id
    # A QBO admin sees the lists but cannot set passwords.
    auth.logout()
    admin = auth.login("qboadmin")
    response = admin.post(f"/admin/qbo/import/follow-ups/logins/{imported.id}", headers=HX,
                          data={f"r{imported.id}-username": "x2",
                                f"r{imported.id}-password": "another-pass-1",
                                f"r{imported.id}-password_confirm": "another-pass-1"})
    assert response.status_code == 403
    assert "Only the Company Owner" in admin.get("/admin/qbo/import/follow-ups").get_data(
        as_text=True)


@pytest.mark.parametrize(("entity", "qbo_entity", "body", "local"), [
    ("client", "customer", {"DisplayName": "Harbor Freight Co",
                            "PrimaryEmailAddr": {"Address": "hf@x.test"}},
     lambda: Client(name="Harbor Freight", email="HF@x.test")),
    ("organization", "vendor", {"DisplayName": "Pinecone Supply",
                                "PrimaryPhone": {"FreeFormNumber": "555 222 3333"}},
     lambda: Organization(name="Pinecone Supply", phone="(555) 222-3333")),
    ("associate", "employee", {"GivenName": "Mara", "FamilyName": "Lind"},
     lambda: Associate(display_name="Mara Lind", first_name="Mara", last_name="Lind")),
], ids=["client", "organization", "associate"])
def test_match_and_link(web: Flask, auth: Auth, emulator: Any, entity: str, qbo_entity: str,
                        body: dict, local: Any) -> None:
    realm = connect_company(web, emulator, f"Match {entity}", seed="empty")
    created = api(emulator, realm, "POST", qbo_entity, body)
    qbo_row = next(iter(v for k, v in created.items() if k != "time"))
    api(emulator, realm, "POST", qbo_entity, {**body, "Id": qbo_row["Id"], "SyncToken": "0",
                                              "sparse": True})  # SyncToken becomes 1
    record = local()
    other = local()
    db.session.add_all([record, other])
    db.session.commit()
    client = auth.login("qboadmin")
    url = f"/admin/qbo/match/{entity}/{record.id}"
    html = client.get(url).get_data(as_text=True)
    # Never imported: QBO itself is asked, so the record typed into QBO is offered at once.
    assert "Asked QuickBooks just now" in html and f'data-qbo-id="{qbo_row["Id"]}"' in html
    # The refresh is a queued run: the page follows it, then shows what it read.
    started = client.post(f"{url}/refresh")
    assert started.status_code == 302 and "refresh=" in started.headers["Location"]
    work_queue()
    html = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "Refreshed from QuickBooks" in html and f'data-qbo-id="{qbo_row["Id"]}"' in html
    assert "skip_match=1" in html  # "None of these" goes on to create it in QBO
    writes = _writes(emulator, realm)
    html = client.post(f"{url}/link", data={"qbo_id": qbo_row["Id"]},
                       follow_redirects=True).get_data(as_text=True)
    assert "Nothing was written to QuickBooks" in html and 'id="match-linked"' in html
    link = _links(realm, entity)[record.id]
    assert link.origin == LinkOrigin.MATCHED and link.qbo_id == qbo_row["Id"]
    assert link.sync_token == "1"  # noqa: S105
    assert _writes(emulator, realm) == writes
    refused = client.post(f"/admin/qbo/match/{entity}/{other.id}/link",
                          data={"qbo_id": qbo_row["Id"]},
                          follow_redirects=True).get_data(as_text=True)
    assert "already linked to" in refused and other.id not in _links(realm, entity)
    missing = client.post(f"/admin/qbo/match/{entity}/{other.id}/link", data={"qbo_id": "9999"},
                          follow_redirects=True)
    assert missing.status_code == 200 and "could not be read" in missing.get_data(as_text=True)


def test_list_refresh_is_a_queued_run_whose_progress_the_match_page_follows(
        web: Flask, auth: Auth, emulator: Any) -> None:
    realm = connect_company(web, emulator, "Refresh Co", seed="empty")
    record = Client(name="Lantern Works", email="lw@x.test")
    db.session.add(record)
    db.session.commit()
    client = auth.login("qboadmin")
    url = f"/admin/qbo/match/client/{record.id}"
    created = api(emulator, realm, "POST", "customer",
                  {"DisplayName": "Lantern Works Inc",
                   "PrimaryEmailAddr": {"Address": "lw@x.test"}})
    qbo_id = next(iter(v for k, v in created.items() if k != "time"))["Id"]
    reads = request_count(emulator, realm)
    fragment = client.post(f"{url}/refresh", headers=HX).get_data(as_text=True)
    run = db.session.scalar(select(SyncRun).order_by(SyncRun.id.desc()))
    # The press only queues the run: QuickBooks was not asked while the request waited.
    assert request_count(emulator, realm) == reads
    assert run.kind.value == "refresh" and run.scope["entities"] == ["Customer"]
    assert f'id="refresh-run-{run.id}"' in fragment and 'hx-trigger="every 1s"' in fragment
    polling = client.get(f"/admin/qbo/import/refreshes/{run.id}", headers=HX)
    assert 'data-run-status="queued"' in polling.get_data(as_text=True)
    work_queue()
    done = client.get(f"/admin/qbo/import/refreshes/{run.id}",
                      headers=HX).get_data(as_text=True)
    assert "hx-trigger" not in done and 'data-run-status="succeeded"' in done
    assert "Refreshed from QuickBooks: 1 customer records." in done
    # The finished run swaps in the candidates read by the refresh.
    assert 'id="match-list" hx-swap-oob="true"' in done and f'data-qbo-id="{qbo_id}"' in done
    db.session.expire_all()
    finished = db.session.get(SyncRun, run.id)
    assert (finished.done, finished.total) == (1, 1)
    # The import run page sends a refresh run to its own page.
    moved = client.get(f"/admin/qbo/import/runs/{run.id}")
    assert moved.headers["Location"].endswith(f"/admin/qbo/import/refreshes/{run.id}")
    page = client.get(f"/admin/qbo/import/refreshes/{run.id}").get_data(as_text=True)
    assert "Refreshed from QuickBooks" in page and "Back to the match page" in page


def test_mappings_page_refreshes_the_quickbooks_lists_in_a_queued_run(
        web: Flask, auth: Auth, emulator: Any) -> None:
    realm = connect_company(web, emulator, "Lists Refresh Co")
    client = auth.login("qboadmin")
    page = client.get("/admin/qbo/settings/mappings").get_data(as_text=True)
    assert "Refresh the QuickBooks lists" in page and "Cedar Clearing Account" not in page
    api(emulator, realm, "POST", "account", {"Name": "Cedar Clearing Account",
                                             "AccountType": "Bank"})
    mappings = "http://localhost/admin/qbo/settings/mappings"
    fragment = client.post("/admin/qbo/import/refresh", headers=HX).get_data(as_text=True)
    run = db.session.scalar(select(SyncRun).order_by(SyncRun.id.desc()))
    assert f'id="refresh-run-{run.id}"' in fragment and set(run.scope["entities"]) == {
        "Account", "Item", "PaymentMethod", "Term", "Class", "TaxCode"}
    work_queue()
    done = client.get(f"/admin/qbo/import/refreshes/{run.id}",
                      headers={**HX, "HX-Current-URL": mappings}).get_data(as_text=True)
    assert 'data-run-status="succeeded"' in done and "account records" in done
    assert f'href="{mappings}"' in done  # back to the page, now with the refreshed lists
    cached = db.session.scalars(select(QboObject.name).where(
        QboObject.realm_id == realm, QboObject.entity == "Account")).all()
    assert "Cedar Clearing Account" in cached  # what the mapping dropdowns choose from
    # Without HTMX the press lands on the run's own page.
    plain = client.post("/admin/qbo/import/refresh")
    assert "/admin/qbo/import/refreshes/" in plain.headers["Location"]
