"""Parties created in QBO by hand after the import: asked for live, never created twice."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from app.models import Client, EventOutcome, LinkState, Organization, SyncEvent
from app.sync import importer, mappings, preflight
from app.sync.lists import refresh_lists
from app.sync.matcher import candidates, link_record
from app.sync.names import name_key
from tests.support import fix_path
from tests.sync.import_support import (
    api,
    connect_company,
    qbo_client,
    query_requests,
    request_count,
    use_dev_client,
)
from tests.sync.push_support import link_of, push, qbo_rows


@pytest.fixture()
def realm(app: Flask, app_ctx: Flask, emulator: Any, enable_qbo: None,
          monkeypatch: pytest.MonkeyPatch) -> str:
    """A connected company whose parties were imported before anyone typed more into QBO."""
    use_dev_client(app, emulator, monkeypatch)
    realm_id = connect_company(app, emulator, "Parties Co", seed="empty")
    with qbo_client(app, realm_id) as client:
        refresh_lists(client, db.session, realm_id, ["Customer", "Vendor", "Employee"])
    db.session.commit()
    return realm_id


def _by_hand(emulator: Any, realm_id: str, entity: str, body: dict[str, Any]) -> dict[str, Any]:
    """Someone creates a record in QBO itself (after the import)."""
    return api(emulator, realm_id, "POST", entity.lower(), body)[entity]


def _events(entity_type: str, local_id: int) -> list[SyncEvent]:
    return list(db.session.scalars(db.select(SyncEvent).where(
        SyncEvent.entity_type == entity_type, SyncEvent.local_id == local_id)))


def test_one_rule_decides_whether_two_names_are_the_same() -> None:
    assert name_key("  Harbor   Labs, INC. ") == name_key("Harbor Labs, Inc.")
    assert name_key("O\u2019Brien Plumbing") == name_key("O'Brien Plumbing")
    assert name_key("\uff21cme") == name_key("acme")  # full-width letters, as typed on some IMEs
    assert name_key("Harbor Labs") != name_key("Harbor Labs, Inc.")
    # The importer, pre-flight and the mapping suggestions all use it.
    for other in (importer.normalize_name, preflight.display_key, mappings.normalize):
        assert other("O\u2019Brien  Plumbing") == name_key("o'brien plumbing")


def test_bulk_run_offers_a_party_typed_into_qbo_instead_of_creating_it(
        realm: str, emulator: Any) -> None:
    by_hand = _by_hand(emulator, realm, "Customer", {
        "DisplayName": "Harbor Labs, Inc.", "PrimaryEmailAddr": {"Address": "AP@harborlabs.test"}})
    twin = Client(name="Harbor Labs", email="ap@harborlabs.test")
    same_name = Client(name="harbor  labs, inc.")
    plain = [Client(name=f"Plain Client {i}", email=f"p{i}@plain.test") for i in range(5)]
    db.session.add_all([twin, same_name, *plain])
    db.session.commit()
    before = query_requests(request_count(emulator, realm))

    run = push([("client", c.id) for c in (twin, same_name, *plain)])

    # One name query and one email query for the whole run, not one per record.
    assert query_requests(request_count(emulator, realm)) - before == 2
    customers = qbo_rows(emulator, realm, "Customer")
    assert sorted(c["DisplayName"] for c in customers) == sorted(
        ["Harbor Labs, Inc.", *(f"Plain Client {i}" for i in range(5))])
    assert run.created_count == 5 and run.failed_count == 2
    for record, why in ((twin, "same email"), (same_name, "same name")):
        event = _events("client", record.id)[-1]
        assert event.outcome == EventOutcome.FAILED and event.fault_code == "qbo_match"
        assert (f"QuickBooks already has customer “Harbor Labs, Inc.” (#{by_hand['Id']}, "
                f"{why})") in event.message
        assert "link it or create anyway" in event.message
        assert fix_path(event.fix) == f"/admin/qbo/match/client/{record.id}"
    # The live answer is in the cache: the match page's candidates show it without a refresh.
    offered = candidates(db.session, realm, "client", twin)
    assert offered[0].qbo_id == by_hand["Id"] and "same email" in offered[0].reasons


def test_create_anyway_creates_it(realm: str, emulator: Any) -> None:
    _by_hand(emulator, realm, "Customer", {
        "DisplayName": "Harbor Labs, Inc.", "PrimaryEmailAddr": {"Address": "ap@harborlabs.test"}})
    twin = Client(name="Harbor Labs West", email="ap@harborlabs.test")
    db.session.add(twin)
    db.session.commit()
    from app.extensions import get_queue
    from app.models import RunKind
    from app.sync.runs import enqueue_run
    from tests.sync.import_support import work_queue

    enqueue_run(db.session, get_queue(), RunKind.PUSH,
                {"records": [["client", twin.id]], "create_anyway": [["client", twin.id]]},
                user_id=None, realm_id=None)
    work_queue()
    db.session.expire_all()
    assert link_of(realm, "client", twin.id).state == LinkState.SYNCED
    names = [c["DisplayName"] for c in qbo_rows(emulator, realm, "Customer")]
    assert sorted(names) == ["Harbor Labs West", "Harbor Labs, Inc."]


def test_duplicate_name_finds_the_clashing_record_live(realm: str, emulator: Any) -> None:
    # A vendor typed into QBO after the import holds the name the client wants.
    vendor = _by_hand(emulator, realm, "Vendor", {"DisplayName": "Northwind Supply"})
    client_row = Client(name="Northwind Supply")
    db.session.add(client_row)
    db.session.commit()

    push([("client", client_row.id)])

    event = _events("client", client_row.id)[-1]
    assert event.fault_code == "6240"
    assert f"Its vendor “Northwind Supply” (#{vendor['Id']}) has this name" in \
        event.message
    assert "rename one of them" in event.message
    assert not qbo_rows(emulator, realm, "Customer")


def test_duplicate_name_of_the_same_kind_can_be_linked_without_a_refresh(
        realm: str, emulator: Any) -> None:
    by_hand = _by_hand(emulator, realm, "Customer", {"DisplayName": "Harbor Labs, Inc."})
    client_row = Client(name="Harbor Labs, Inc.")
    db.session.add(client_row)
    db.session.commit()
    from app.extensions import get_queue
    from app.models import RunKind
    from app.sync.runs import enqueue_run
    from tests.sync.import_support import work_queue

    # "Create anyway" skips the offer; QBO then refuses the name (6240).
    enqueue_run(db.session, get_queue(), RunKind.PUSH,
                {"records": [["client", client_row.id]],
                 "create_anyway": [["client", client_row.id]]}, user_id=None, realm_id=None)
    work_queue()
    db.session.expire_all()

    event = _events("client", client_row.id)[-1]
    assert event.fault_code == "6240"
    assert f"It already has customer “Harbor Labs, Inc.” (#{by_hand['Id']})" in \
        event.message and "Link to existing" in event.message
    assert fix_path(event.fix) == f"/admin/qbo/match/client/{client_row.id}"
    offered = candidates(db.session, realm, "client", client_row)
    assert [c.qbo_id for c in offered] == [by_hand["Id"]]
    link_record(db.session, realm, "client", client_row, by_hand)
    assert link_of(realm, "client", client_row.id).qbo_id == by_hand["Id"]
    assert len(qbo_rows(emulator, realm, "Customer")) == 1


def test_organizations_and_associates_are_asked_for_too(realm: str, emulator: Any) -> None:
    _by_hand(emulator, realm, "Vendor", {"DisplayName": "Paper Mill LLC",
                                         "PrimaryEmailAddr": {"Address": "bills@mill.test"}})
    _by_hand(emulator, realm, "Employee", {"GivenName": "Dana", "FamilyName": "Scully"})
    from app.models import Associate

    mill = Organization(name="The Paper Mill", email="bills@mill.test")
    dana = Associate(display_name="Dana Scully", first_name="Dana", last_name="Scully")
    db.session.add_all([mill, dana])
    db.session.commit()

    push([("organization", mill.id), ("associate", dana.id)])

    assert _events("organization", mill.id)[-1].fault_code == "qbo_match"
    assert "employee “Dana Scully”" in _events("associate", dana.id)[-1].message
    assert len(qbo_rows(emulator, realm, "Vendor")) == 1
    assert len(qbo_rows(emulator, realm, "Employee")) == 1
