"""QBO Add All over any number of records: kept as the filter, resolved in chunks, all copied."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from app.extensions import db, get_queue
from app.models import Client, LinkState, RunKind, RunStatus, SyncRun
from app.sync.runs import enqueue_run
from app.sync.selection import Selection
from tests.conftest import Auth
from tests.sync.import_support import connect_company, use_dev_client, work_queue
from tests.sync.push_support import link_of, qbo_rows, set_defaults, start_worker


@pytest.fixture()
def realm(app: Flask, app_ctx: Flask, emulator: Any, enable_qbo: None, users: dict,
          monkeypatch: pytest.MonkeyPatch) -> str:
    """A connected company, and a chunk size far below the selections used here."""
    use_dev_client(app, emulator, monkeypatch)
    monkeypatch.setitem(app.config, "QBO_PUSH_CHUNK_SIZE", 3)
    realm_id = connect_company(app, emulator, "Chunks Co")
    set_defaults(emulator, realm_id)
    return realm_id


def _clients(prefix: str, count: int, **fields: Any) -> list[Client]:
    clients = [Client(name=f"{prefix} {i:02d}", **fields) for i in range(count)]
    db.session.add_all(clients)
    db.session.commit()
    return clients


def test_add_all_copies_every_record_beyond_any_chunk(realm: str, auth: Auth,
                                                      emulator: Any) -> None:
    wanted = _clients("Harbor", 11)
    _clients("Other", 4)
    fragment = auth.login("qboadmin").post(
        "/admin/qbo/push/client?q=harbor&status=active",
        data={"selection": "all", "confirm": "11"},
        headers={"HX-Request": "true"}).get_data(as_text=True)
    run = db.session.scalars(db.select(SyncRun)).one()
    assert run.total == 11  # the whole selection counted from the click, before the worker
    assert "0 of 11" in fragment
    assert "records" not in run.scope and run.scope["selection"]["values"]["q"] == "harbor"

    work_queue()
    db.session.expire_all()
    run = db.session.get(SyncRun, run.id)
    assert run.status == RunStatus.SUCCEEDED, run.message
    assert (run.total, run.created_count) == (11, 11)
    for client in wanted:
        assert link_of(realm, "client", client.id).state == LinkState.SYNCED
    assert len(qbo_rows(emulator, realm, "Customer", "DisplayName LIKE 'Harbor%'")) == 11
    assert qbo_rows(emulator, realm, "Customer", "DisplayName LIKE 'Other%'") == []


def test_the_selection_is_exactly_what_the_filtered_listing_showed(
        realm: str, auth: Auth, app: Flask) -> None:
    app.config["PAGE_SIZE"] = 4
    _clients("Lantern", 9)
    _clients("Lantern Dormant", 3, active=False)
    _clients("Quay", 5)
    client = auth.login("qboadmin")
    shown: set[str] = set()
    for page in (1, 2, 3):
        html = client.get(f"/clients/?q=lantern&status=active&page={page}").get_data(
            as_text=True)
        shown |= set(re.findall(r"Lantern(?: Dormant)? \d\d", html))
    selection = Selection.of(db.session, "client", {"q": "lantern", "status": "active",
                                                    "page": "2", "sort": "name"})
    chosen = {db.session.get(Client, i).name for chunk in selection.chunks(db.session, 2)
              for i in chunk}
    assert chosen == shown and len(chosen) == 9
    assert selection.count(db.session) == 9


def test_a_record_changed_after_the_click_is_copied_as_it_is_then(
        realm: str, auth: Auth, emulator: Any) -> None:
    clients = _clients("Beacon", 5)
    auth.login("qboadmin").post("/admin/qbo/push/client",
                                data={"selection": "all", "confirm": "5"})
    added_later = _clients("Beacon Late", 1)[0]  # not on the listing when the button was pressed
    clients[4].name = "Beacon Renamed"
    db.session.commit()

    work_queue()
    [customer] = qbo_rows(emulator, realm, "Customer",
                          f"Id = '{link_of(realm, 'client', clients[4].id).qbo_id}'")
    assert customer["DisplayName"] == "Beacon Renamed"
    assert link_of(realm, "client", added_later.id) is None


@pytest.mark.slow
def test_two_add_alls_over_overlapping_selections_copy_each_record_once(
        realm: str, app: Flask, emulator: Any) -> None:
    _clients("Overlap", 10)
    _clients("Overlap Extra", 4)
    for values in ({"q": "overlap"}, {"q": "overlap extra"}):
        selection = Selection.of(db.session, "client", values)
        enqueue_run(db.session, get_queue(), RunKind.PUSH,
                    {"selection": selection.to_scope()}, user_id=None, realm_id=realm,
                    total=selection.count(db.session))
    workers = [start_worker(app, extra_env={"QBO_PUSH_CHUNK_SIZE": "3"}) for _ in range(2)]
    for worker in workers:
        assert worker.wait(timeout=120) == 0
    db.session.expire_all()
    runs = db.session.scalars(db.select(SyncRun).order_by(SyncRun.id)).all()
    assert [r.status for r in runs] == [RunStatus.SUCCEEDED] * 2
    assert sum(r.created_count for r in runs) == 14
    assert len(qbo_rows(emulator, realm, "Customer", "DisplayName LIKE 'Overlap%'")) == 14
