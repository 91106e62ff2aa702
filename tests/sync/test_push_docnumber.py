"""Invoice numbers: Ledgerhub's number is kept; a number QBO already has is ours or theirs."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from app.models import EventOutcome, LinkState, QboLink, RunStatus, SyncEvent
from tests.conftest import Auth
from tests.support import fix_path
from tests.sync.import_support import api, connect_company, use_dev_client
from tests.sync.push_support import link_of, make_invoice, push, qbo_rows, set_defaults


@pytest.fixture()
def realm(app: Flask, app_ctx: Flask, emulator: Any, enable_qbo: None,
          monkeypatch: pytest.MonkeyPatch) -> Any:
    """A connected company; fault rules are cleared afterwards."""
    use_dev_client(app, emulator, monkeypatch)
    monkeypatch.setitem(app.config, "QBO_BACKOFF_BASE", 0.01)
    realm_id = connect_company(app, emulator, "Numbers Co")
    set_defaults(emulator, realm_id)
    yield realm_id
    emulator.control("DELETE", "faults")


def _their_invoice(emulator: Any, realm: str, number: str) -> dict[str, Any]:
    """An invoice someone typed in QuickBooks, for a seeded customer."""
    customer = qbo_rows(emulator, realm, "Customer", "DisplayName = 'Cool Cars'")[0]
    item = qbo_rows(emulator, realm, "Item", "Name = 'Design'")[0]
    body = {"CustomerRef": {"value": customer["Id"]}, "DocNumber": number,
            "TxnDate": "2026-10-30",
            "Line": [{"Amount": 75, "DetailType": "SalesItemLineDetail",
                      "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}, "Qty": 1,
                                              "UnitPrice": 75}}]}
    return api(emulator, realm, "POST", "invoice", body)["Invoice"]


def _events(run_id: int, entity_type: str = "invoice") -> list[SyncEvent]:
    return list(db.session.scalars(db.select(SyncEvent).where(
        SyncEvent.run_id == run_id, SyncEvent.entity_type == entity_type)
        .order_by(SyncEvent.id)))


def _numbered(emulator: Any, realm: str, number: str) -> list[dict[str, Any]]:
    return qbo_rows(emulator, realm, "Invoice", f"DocNumber = '{number}'")


def _lookups(emulator: Any, realm: str) -> int:
    stats = emulator.control("GET", f"stats?realm={realm}")["requests"]
    return sum(sum(v.values()) for k, v in stats.items() if k.endswith("/query"))


def _fail_number_lookup(app: Flask, emulator: Any, realm: str,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The run's one number lookup fails, so QuickBooks' own 6140 decides at write time."""
    monkeypatch.setitem(app.config, "QBO_MAX_RETRIES", 0)
    emulator.control("POST", "faults", {"rules": [{"realm": realm, "path": "/query$",
                                                   "kind": "http_503", "next_n": 1}]})


def test_our_invoice_number_is_sent_and_kept(realm: str, emulator: Any) -> None:
    invoice = make_invoice("LH-2026-07", client_name="Kept Number Co")
    run = push([("invoice", invoice.id)])
    assert run.status == RunStatus.SUCCEEDED, run.message
    [row] = _numbered(emulator, realm, "LH-2026-07")
    assert row["Id"] == link_of(realm, "invoice", invoice.id).qbo_id


def test_preflight_fails_an_invoice_whose_number_someone_else_used(realm: str,
                                                                   emulator: Any) -> None:
    theirs = _their_invoice(emulator, realm, "2001")
    mine = make_invoice("2001", client_name="Preflight Co")
    other = make_invoice("2002", client_name="Unaffected Co")
    before = _lookups(emulator, realm)
    run = push([("invoice", mine.id), ("invoice", other.id)])

    assert run.status == RunStatus.PARTIAL, run.message
    # One query for the run's numbers; the four new parties add one for the customers' names,
    # one for their emails and one for the employees' names (asked for twins typed into QBO).
    assert _lookups(emulator, realm) - before == 1 + 3
    [failed] = [e for e in _events(run.id) if e.local_id == mine.id]
    assert failed.outcome == EventOutcome.FAILED and failed.fault_code == "6140"
    assert failed.action == "plan"  # refused before any write
    assert f"invoice 2001 (#{theirs['Id']}, customer “Cool Cars”, dated 2026-10-30)" in \
        failed.message
    assert "which Ledgerhub did not create" in failed.message
    assert fix_path(failed.fix) == f"/invoices/{mine.id}#number"
    assert [r["Id"] for r in _numbered(emulator, realm, "2001")] == [theirs["Id"]]
    assert len(_numbered(emulator, realm, "2002")) == 1

    mine.number = "2001-B"  # the Fix: renumber, then Add QBO again
    db.session.commit()
    again = push([("invoice", mine.id)])
    assert again.status == RunStatus.SUCCEEDED, again.message
    assert len(_numbered(emulator, realm, "2001-B")) == 1


def test_6140_at_write_time_names_their_invoice(realm: str, emulator: Any, app: Flask,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    theirs = _their_invoice(emulator, realm, "3001")
    mine = make_invoice("3001", client_name="Write Time Co")
    # The parties are in QBO already, so the run's only query is the number lookup.
    push([("client", mine.client_id), ("associate", mine.lines[0].associate_id)])
    _fail_number_lookup(app, emulator, realm, monkeypatch)
    run = push([("invoice", mine.id)])

    assert run.status == RunStatus.PARTIAL, run.message
    failed = [e for e in _events(run.id) if e.outcome == EventOutcome.FAILED]
    assert [(e.action, e.fault_code) for e in failed] == [("create", "6140")]
    assert f"(#{theirs['Id']}, customer “Cool Cars”, dated 2026-10-30)" in failed[0].message
    assert fix_path(failed[0].fix) == f"/invoices/{mine.id}#number"
    link = link_of(realm, "invoice", mine.id)
    assert link.state == LinkState.FAILED and "another number" in link.last_error
    assert len(_numbered(emulator, realm, "3001")) == 1


def _lose_the_link(realm: str, invoice_id: int) -> str:
    """The invoice reached QBO but Ledgerhub lost its link (e.g. a database restore)."""
    link = link_of(realm, "invoice", invoice_id)
    qbo_id = link.qbo_id
    db.session.delete(link)
    db.session.commit()
    return qbo_id


def test_preflight_links_our_own_earlier_copy(realm: str, emulator: Any) -> None:
    invoice = make_invoice("4101", client_name="Earlier Copy Co")
    assert push([("invoice", invoice.id)]).status == RunStatus.SUCCEEDED
    qbo_id = _lose_the_link(realm, invoice.id)
    invoice.memo = "Edited after the copy"
    db.session.commit()

    run = push([("invoice", invoice.id)])
    assert run.status == RunStatus.SUCCEEDED, run.message
    [row] = _numbered(emulator, realm, "4101")
    assert row["Id"] == qbo_id and row["CustomerMemo"]["value"] == "Edited after the copy"
    link = link_of(realm, "invoice", invoice.id)
    assert (link.qbo_id, link.state) == (qbo_id, LinkState.SYNCED)
    outcomes = [(e.outcome, e.action) for e in _events(run.id)]
    assert outcomes == [(EventOutcome.INFO, "link"), (EventOutcome.UPDATED, "update")]


def test_6140_for_our_own_earlier_copy_links_it(realm: str, emulator: Any, app: Flask,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    invoice = make_invoice("4102", client_name="Own Copy Co")
    assert push([("invoice", invoice.id)]).status == RunStatus.SUCCEEDED
    qbo_id = _lose_the_link(realm, invoice.id)
    _fail_number_lookup(app, emulator, realm, monkeypatch)

    run = push([("invoice", invoice.id)])
    assert run.status == RunStatus.SUCCEEDED, run.message
    assert [r["Id"] for r in _numbered(emulator, realm, "4102")] == [qbo_id]
    assert link_of(realm, "invoice", invoice.id).qbo_id == qbo_id
    assert EventOutcome.UPDATED in [e.outcome for e in _events(run.id)]


def test_a_copy_of_another_ledgerhub_invoice_is_not_ours(realm: str, emulator: Any) -> None:
    first = make_invoice("4103", client_name="First Owner Co")
    assert push([("invoice", first.id)]).status == RunStatus.SUCCEEDED
    # Another local invoice now claims the number (the first was renumbered after its copy).
    first.number = "4103-OLD"
    db.session.commit()
    second = make_invoice("4103-2", client_name="Second Owner Co")
    second.number = "4103"
    db.session.commit()
    run = push([("invoice", second.id)])
    [failed] = [e for e in _events(run.id) if e.outcome == EventOutcome.FAILED]
    assert failed.local_id == second.id and "another number" in failed.message
    assert len(_numbered(emulator, realm, "4103")) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(QboLink).where(
        QboLink.entity_type == "invoice", QboLink.local_id == second.id,
        QboLink.qbo_id.is_not(None))) == 0


def test_preview_warns_about_a_taken_number(realm: str, emulator: Any) -> None:
    _their_invoice(emulator, realm, "5001")
    invoice = make_invoice("5001", client_name="Preview Co")
    run = push([("invoice", invoice.id)], dry_run=True)
    [event] = [e for e in _events(run.id) if e.local_id == invoice.id]
    assert event.outcome == EventOutcome.FAILED and "already used in QuickBooks" in event.message


def test_invoice_page_names_the_conflict_with_a_fix_link(realm: str, emulator: Any,
                                                         auth: Auth) -> None:
    theirs = _their_invoice(emulator, realm, "6001")
    invoice = make_invoice("6001", client_name="Page Co")
    push([("invoice", invoice.id)])
    page = auth.login("qboadmin").get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert 'id="qbo-failure"' in page
    assert f"already used in QuickBooks by invoice 6001 (#{theirs['Id']}" in page
    assert f'href="/invoices/{invoice.id}#number"' in page and 'id="number"' in page


def test_a_second_copy_of_a_linked_invoice_is_named_not_overwritten(realm: str,
                                                                    emulator: Any) -> None:
    invoice = make_invoice("7001", client_name="Two Copies Co")
    assert push([("invoice", invoice.id)]).status == RunStatus.SUCCEEDED
    linked = link_of(realm, "invoice", invoice.id).qbo_id
    [copy] = [r for r in _numbered(emulator, realm, "7001")]
    extra = api(emulator, realm, "POST", "invoice?include=allowduplicatedocnum",
                {k: copy[k] for k in ("CustomerRef", "DocNumber", "TxnDate", "PrivateNote")}
                | {"Line": [line for line in copy["Line"]
                            if line["DetailType"] == "SalesItemLineDetail"]})["Invoice"]
    invoice.memo = "Changed"
    db.session.commit()
    run = push([("invoice", invoice.id)])
    [failed] = [e for e in _events(run.id) if e.outcome == EventOutcome.FAILED]
    assert f"second copy of this invoice, invoice 7001 (#{extra['Id']}" in failed.message
    assert f"besides the linked #{linked}" in failed.message
    assert link_of(realm, "invoice", invoice.id).qbo_id == linked


def test_quickbooks_own_next_number_collides_with_ours_later(realm: str,
                                                             emulator: Any) -> None:
    emulator.control("POST", f"companies/{realm}/preferences", {"custom_txn_numbers": True})
    first = make_invoice("9000", client_name="Sequence Co")
    assert push([("invoice", first.id)]).status == RunStatus.SUCCEEDED
    # Someone types an invoice in QuickBooks: QBO continues from the highest number it has seen.
    customer = qbo_rows(emulator, realm, "Customer", "DisplayName = 'Cool Cars'")[0]
    item = qbo_rows(emulator, realm, "Item", "Name = 'Design'")[0]
    theirs = api(emulator, realm, "POST", "invoice", {
        "CustomerRef": {"value": customer["Id"]},
        "Line": [{"Amount": 10, "DetailType": "SalesItemLineDetail",
                  "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}}}]})["Invoice"]
    assert theirs["DocNumber"] == "9001"
    second = make_invoice("9001", client_name="Sequence Two Co")
    run = push([("invoice", second.id)])
    [failed] = [e for e in _events(run.id) if e.outcome == EventOutcome.FAILED]
    assert failed.local_id == second.id and f"(#{theirs['Id']}, customer “Cool Cars”" in \
        failed.message
    assert [r["Id"] for r in _numbered(emulator, realm, "9001")] == [theirs["Id"]]
