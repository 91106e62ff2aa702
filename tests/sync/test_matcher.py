"""Scoring QBO records that may be a local client, organization or associate; linking them."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Associate,
    Client,
    LinkOrigin,
    LinkState,
    Organization,
    QboLink,
    SyncEvent,
)
from app.sync.lists import refresh_lists
from app.sync.matcher import LinkRefused, candidates, link_record, name_conflicts
from tests.sync.import_support import api, connect_company, qbo_client, use_dev_client


@pytest.fixture()
def realm(app: Flask, emulator: Any, enable_qbo: None, monkeypatch: pytest.MonkeyPatch) -> str:
    """A connected company with look-alike parties, its parties cached."""
    use_dev_client(app, emulator, monkeypatch)
    realm_id = connect_company(app, emulator, "Match Co", seed="empty")
    for body in (
        {"DisplayName": "Acme Widgets Inc", "PrimaryEmailAddr": {"Address": "ap@acme.test"}},
        {"DisplayName": "ACME Widgets", "PrimaryPhone": {"FreeFormNumber": "(555) 777-1234"},
         "BillAddr": {"Line1": "1 Road", "PostalCode": "9000"}},
        {"DisplayName": "Zebra Crossing Ltd"},
        {"DisplayName": "Totally Different", "PrimaryEmailAddr": {"Address": "x@acme.test"}},
    ):
        api(emulator, realm_id, "POST", "customer", body)
    api(emulator, realm_id, "POST", "vendor", {"DisplayName": "Acme Widgets Co"})
    api(emulator, realm_id, "POST", "employee", {"GivenName": "Dana", "FamilyName": "Scully",
                                                 "PrimaryEmailAddr": {"Address": "d@x.test"}})
    with qbo_client(app, realm_id) as client:
        refresh_lists(client, db.session, realm_id, ["Customer", "Vendor", "Employee"])
    return realm_id


def test_candidates_best_first_with_reasons(realm: str) -> None:
    mine = Client(name="Acme Widgets", phone="555.777.1234", address_line1="1 road",
                  postal_code="9000")
    db.session.add(mine)
    db.session.commit()
    found = candidates(db.session, realm, "client", mine)
    names = [c.name for c in found]
    assert names[0] == "ACME Widgets"
    assert found[0].reasons == ("same name", "same phone", "same address")
    assert found[0].score == 80
    assert "Acme Widgets Inc" in names and "Zebra Crossing Ltd" not in names
    assert found[0].score > found[1].score
    # An email alone brings a record with an unrelated name into the list.
    mine.email = "x@acme.test"
    found = candidates(db.session, realm, "client", mine)
    assert any(c.name == "Totally Different" and "same email" in c.reasons for c in found)
    mine.name = "acme widgets co"
    assert [c.name for c in name_conflicts(db.session, realm, "client", mine)] == \
        ["Acme Widgets Co"]


def test_ambiguous_names_are_all_offered(realm: str) -> None:
    mine = Organization(name="Acme Widgets Co")
    db.session.add(mine)
    db.session.commit()
    assert [c.name for c in candidates(db.session, realm, "organization", mine)] == \
        ["Acme Widgets Co"]
    lookalike = Client(name="Acme Widget")
    db.session.add(lookalike)
    db.session.commit()
    offered = [c.name for c in candidates(db.session, realm, "client", lookalike)]
    assert offered[:2] == ["ACME Widgets", "Acme Widgets Inc"]
    person = Associate(display_name="Dana Scully", email="D@X.test")
    db.session.add(person)
    db.session.commit()
    best = candidates(db.session, realm, "associate", person)[0]
    assert best.reasons == ("same name", "same email") and best.score == 80


def test_link_record_refuses_a_qbo_record_linked_elsewhere(realm: str, app: Flask) -> None:
    first, second = Client(name="Acme Widgets"), Client(name="Acme Widgets Inc.")
    db.session.add_all([first, second])
    db.session.commit()
    row = next(c for c in candidates(db.session, realm, "client", first)
               if c.name == "ACME Widgets")
    with qbo_client(app, realm) as client:
        qbo_row = client.read("customer", row.qbo_id)
    link = link_record(db.session, realm, "client", first, qbo_row)
    assert link.origin == LinkOrigin.MATCHED and link.state == LinkState.SYNCED
    assert link.sync_token == qbo_row["SyncToken"]
    with pytest.raises(LinkRefused, match="already linked to “Acme Widgets”"):
        link_record(db.session, realm, "client", second, qbo_row)
    with pytest.raises(LinkRefused, match="already linked to this QuickBooks record"):
        link_record(db.session, realm, "client", first, qbo_row)
    assert db.session.scalar(select(SyncEvent).where(SyncEvent.action == "match")).local_id \
        == first.id
    assert len(db.session.scalars(select(QboLink)).all()) == 1
    inactive = {**qbo_row, "Id": "999", "Active": False}
    with pytest.raises(LinkRefused, match="inactive"):
        link_record(db.session, realm, "client", second, inactive)
