"""Currencies after a home-currency change: defaults, imports that never link across
currencies without a person, and readiness naming the mismatch."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Client, CompanySettings, QboLink, SyncEvent
from app.sync import matcher
from app.sync.readiness import readiness
from tests.conftest import Auth
from tests.sync.import_support import api, connect_company, import_steps, use_dev_client


@pytest.fixture()
def realm(app: Flask, app_ctx: Flask, emulator: Any, enable_qbo: None, users: dict,
          monkeypatch: pytest.MonkeyPatch) -> str:
    """A Canadian company (home CAD, multi-currency on) with a EUR and a CAD customer."""
    use_dev_client(app, emulator, monkeypatch)
    realm_id = connect_company(app, emulator, "Loonie Co", country="CA", home_currency="CAD",
                               multicurrency=True, seed="empty")
    api(emulator, realm_id, "POST", "customer", {
        "DisplayName": "Bistro Nord", "PrimaryEmailAddr": {"Address": "ap@bistro.example"}})
    api(emulator, realm_id, "POST", "customer", {
        "DisplayName": "Atelier Sud", "PrimaryEmailAddr": {"Address": "ap@atelier.example"},
        "CurrencyRef": {"value": "EUR"}})
    return realm_id


def test_new_clients_default_to_the_current_home_currency(auth: Auth, app_ctx: Flask) -> None:
    owner = auth.login("owner")
    html = owner.get("/clients/new").get_data(as_text=True)
    assert '<option selected value="USD">' in html or '<option value="USD" selected>' in html
    settings = CompanySettings.load()
    settings.home_currency = "CAD"
    db.session.commit()
    html = owner.get("/clients/new").get_data(as_text=True)
    assert '<option selected value="CAD">' in html or '<option value="CAD" selected>' in html


def test_import_never_links_across_currencies_and_readiness_names_it(realm: str,
                                                                    emulator: Any) -> None:
    # Same names and emails as the QBO customers, but the currencies are swapped.
    bistro = Client(name="Bistro Nord", email="ap@bistro.example", currency="EUR")
    atelier = Client(name="Atelier Sud", email="ap@atelier.example", currency="CAD")
    same = Client(name="Same Currency", email="ap@same.example", currency="CAD")
    db.session.add_all([bistro, atelier, same])
    db.session.commit()
    api(emulator, realm, "POST", "customer", {
        "DisplayName": "Same Currency", "PrimaryEmailAddr": {"Address": "ap@same.example"}})

    run = import_steps(realm, "clients")
    links = {link.local_id: link for link in db.session.scalars(
        select(QboLink).where(QboLink.realm_id == realm, QboLink.entity_type == "client"))}
    assert same.id in links  # the control: same name, email and currency links by itself
    assert bistro.id not in links and atelier.id not in links
    attention = {e.local_id: e.message for e in db.session.scalars(select(SyncEvent).where(
        SyncEvent.run_id == run.id, SyncEvent.action == "attention"))}
    assert "Not linked: the currencies differ. “Bistro Nord” is in EUR here, the QuickBooks " \
        "customer in CAD" in attention[bistro.id]
    assert "“Atelier Sud” is in CAD here, the QuickBooks customer in EUR" in attention[atelier.id]

    check = {c.key: c for c in readiness(db.session, realm)}["currencies"]
    assert (check.ok, check.count) == (False, 2)
    assert "currency mismatch: “Bistro Nord” is EUR here but the QuickBooks customer of that " \
        "name" in check.message
    assert "is CAD, so the import did not link them" in check.message

    # Linking by hand is refused too until the currencies agree.
    [row] = [r for r in api(emulator, realm, "GET", "query?query=select * from Customer where "
                            "DisplayName = 'Bistro Nord'")["QueryResponse"]["Customer"]]
    with pytest.raises(matcher.LinkRefused, match="currencies differ"):
        matcher.link_record(db.session, realm, "client", bistro, row)
    bistro.currency = "CAD"
    db.session.commit()
    matcher.link_record(db.session, realm, "client", bistro, row)
    check = {c.key: c for c in readiness(db.session, realm)}["currencies"]
    assert check.count == 1 and "Bistro Nord" not in check.message
