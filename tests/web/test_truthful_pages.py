"""Pages tell the truth after a run: record badges, failure counts, listing columns, guidance."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from app.models import SyncRun
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
