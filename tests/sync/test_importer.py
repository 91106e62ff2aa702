"""Importing QBO lists and parties into Ledgerhub, against the emulator over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import QboObject
from app.sync.lists import ALL_ENTITIES, cache_age, refresh_lists
from tests.sync.import_support import api, connect_company, qbo_client, use_dev_client


@pytest.fixture()
def dev_app(app: Flask, emulator: Any, enable_qbo: None,
            monkeypatch: pytest.MonkeyPatch) -> Flask:
    """The app using the emulator's development client, QBO integration on."""
    use_dev_client(app, emulator, monkeypatch)
    return app


def _cached(realm: str, entity: str) -> dict[str, QboObject]:
    rows = db.session.scalars(select(QboObject).where(QboObject.realm_id == realm,
                                                      QboObject.entity == entity))
    return {row.name: row for row in rows}


def test_refresh_lists_caches_every_list_with_inactive_rows_and_tax_rates(
        dev_app: Flask, emulator: Any) -> None:
    realm = connect_company(dev_app, emulator, "Cache Co")
    cust = api(emulator, realm, "POST", "customer",
               {"DisplayName": "Gone O'Brien", "PrimaryEmailAddr": {"Address": "g@x.test"},
                "PrimaryPhone": {"FreeFormNumber": "(555) 010-2000"}})["Customer"]
    api(emulator, realm, "POST", "customer", {"Id": cust["Id"], "SyncToken": cust["SyncToken"],
                                              "sparse": True, "Active": False})
    with qbo_client(dev_app, realm) as client:
        counts = refresh_lists(client, db.session, realm, ALL_ENTITIES)
    assert counts["Account"] == 21 and counts["Term"] == 4 and counts["Customer"] == 34
    accounts = _cached(realm, "Account")
    assert accounts["Checking"].subtype == "Bank"
    assert accounts["Checking"].data["AccountSubType"] == "Checking"
    items = _cached(realm, "Item")
    assert items["Design"].subtype == "Service" and items["Design"].data["UnitPrice"] == "75"
    assert items["Design"].data["IncomeAccountRef"] == accounts["Services"].qbo_id
    texas = _cached(realm, "TaxCode")["Texas"]
    assert texas.data["rate_percent"] == "8.25"
    assert texas.data["sales_rates"][0]["name"] == "Texas State"
    gone = _cached(realm, "Customer")["Gone O'Brien (deleted)"]
    assert gone.active is False and gone.data["email"] == "g@x.test"
    assert gone.data["phone"] == "(555) 010-2000"
    assert _cached(realm, "Employee")["Renée O'Neil"].data["GivenName"] == "Renée"
    assert cache_age(db.session, realm, "Customer") is not None
    # A second refresh updates in place.
    with qbo_client(dev_app, realm) as client:
        refresh_lists(client, db.session, realm, ["Customer"])
    assert len(_cached(realm, "Customer")) == 34
