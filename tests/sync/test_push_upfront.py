"""Pre-flight before the first write, and QuickBooks preferences re-read once per run."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from app.models import Client, EventOutcome, QboPreference, RunStatus, SyncEvent, TaxCode
from tests.support import fix_path
from tests.sync.import_support import connect_company, use_dev_client
from tests.sync.push_support import link_of, make_invoice, push, qbo_rows, set_defaults, writes

CREATED_BY_A_PUSH = ("Customer", "Employee", "Item", "Term", "Invoice")


@pytest.fixture()
def manual_realm(app: Flask, app_ctx: Flask, emulator: Any, enable_qbo: None,
                 monkeypatch: pytest.MonkeyPatch) -> str:
    """A connected US company on manual sales tax, defaults chosen."""
    use_dev_client(app, emulator, monkeypatch)
    realm_id = connect_company(app, emulator, "Upfront Co", sales_tax="manual")
    set_defaults(emulator, realm_id)
    return realm_id


def _events(run_id: int) -> list[SyncEvent]:
    return list(db.session.scalars(db.select(SyncEvent).where(SyncEvent.run_id == run_id)
                                   .order_by(SyncEvent.id)))


def _counts(emulator: Any, realm: str) -> dict[str, int]:
    return {entity: len(qbo_rows(emulator, realm, entity)) for entity in CREATED_BY_A_PUSH}


def _unmapped_tax(invoice: Any) -> None:
    invoice.tax_code = TaxCode(code="STATE", name="State tax", rate_percent=Decimal("6"))
    invoice.lines[0].taxable = True
    db.session.commit()


def test_unmapped_tax_code_creates_nothing_and_fails_the_run(manual_realm: str,
                                                             emulator: Any, auth: Any) -> None:
    realm = manual_realm
    invoice = make_invoice("5001", client_name="Lone Client")
    _unmapped_tax(invoice)
    before_counts, before_writes = _counts(emulator, realm), writes(emulator, realm)

    run = push([("invoice", invoice.id)])

    assert run.status == RunStatus.FAILED  # nothing copied: not "Partial"
    assert writes(emulator, realm) == before_writes
    assert _counts(emulator, realm) == before_counts  # no customer, item, term, employee
    events = {(e.entity_type, e.local_id): e for e in _events(run.id)}
    failed = events[("invoice", invoice.id)]
    assert failed.outcome == EventOutcome.FAILED
    assert "“STATE” is not mapped" in failed.message
    assert fix_path(failed.fix).startswith("/admin/qbo/settings/mappings")
    held = events[("client", invoice.client_id)]
    assert held.outcome == EventOutcome.INFO
    assert held.message == "Not sent: only Invoice 5001 needs it, and it cannot be copied yet."
    assert link_of(realm, "client", invoice.client_id) is None

    page = auth.login("owner").get(f"/admin/qbo/runs/{run.id}").get_data(as_text=True)
    assert "Failed" in page and "“STATE” is not mapped" in page
    assert "Not sent: only Invoice 5001 needs it" in page
    assert "checks every record it would copy, dependencies included" in page


def test_a_problem_in_one_record_leaves_the_others_to_go(manual_realm: str,
                                                         emulator: Any) -> None:
    realm = manual_realm
    bad = make_invoice("5002", client_name="Problem Client")
    _unmapped_tax(bad)
    good = make_invoice("5003", client_name="Fine Client")

    run = push([("invoice", bad.id), ("invoice", good.id)])

    assert run.status == RunStatus.PARTIAL
    assert (run.created_count, run.failed_count) == (5, 1)
    names = [row["DisplayName"] for row in qbo_rows(emulator, realm, "Customer")]
    assert "Fine Client" in names and "Problem Client" not in names
    [copied] = qbo_rows(emulator, realm, "Invoice")
    assert copied["Id"] == link_of(realm, "invoice", good.id).qbo_id
    assert link_of(realm, "invoice", bad.id) is None


def test_missing_default_account_fails_before_the_dependencies(manual_realm: str,
                                                               emulator: Any) -> None:
    realm = manual_realm
    db.session.execute(db.delete(QboPreference).where(QboPreference.realm_id == realm,
                                                      QboPreference.key == "income_account"))
    db.session.commit()
    invoice = make_invoice("5004", client_name="Needs Income Account")
    before = _counts(emulator, realm)

    run = push([("invoice", invoice.id)])

    assert run.status == RunStatus.FAILED
    assert _counts(emulator, realm) == before
    failed = [e for e in _events(run.id) if e.outcome == EventOutcome.FAILED]
    assert [e.entity_type for e in failed] == ["billing_code", "invoice"]
    assert "income account" in failed[0].message
    assert failed[1].message == "Not sent: Consulting 5004 could not be copied."


def test_multicurrency_turned_on_in_qbo_is_noticed_by_the_next_push(
        app: Flask, app_ctx: Flask, emulator: Any, enable_qbo: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    use_dev_client(app, emulator, monkeypatch)
    realm = connect_company(app, emulator, "Single Currency Co")
    set_defaults(emulator, realm)
    client = Client(name="Euro Client", currency="EUR")
    db.session.add(client)
    db.session.commit()

    refused = push([("client", client.id)])
    assert refused.status == RunStatus.FAILED
    [event] = [e for e in _events(refused.id) if e.outcome == EventOutcome.FAILED]
    assert "multi-currency is off in QuickBooks" in event.message
    assert qbo_rows(emulator, realm, "Customer", "DisplayName = 'Euro Client'") == []

    emulator.control("POST", f"companies/{realm}/preferences", {"multicurrency": True})
    run = push([("client", client.id)])  # no import in between

    assert run.status == RunStatus.SUCCEEDED, run.message
    [customer] = qbo_rows(emulator, realm, "Customer", "DisplayName = 'Euro Client'")
    assert customer["CurrencyRef"]["value"] == "EUR"
    notes = [e.message for e in _events(run.id) if e.action == "preferences"]
    assert notes == ["Multi-currency is now on in QuickBooks: clients, vendors and "
                     "transactions in other currencies can be copied."]
    stats = emulator.control("GET", f"stats?realm={realm}")["requests"]
    reads = [sum(by_status.values()) for endpoint, by_status in stats.items()
             if "preferences" in endpoint.lower()]
    assert reads == [2]  # one read per run


def test_a_changed_dependency_of_an_unchanged_record_is_still_updated(manual_realm: str,
                                                                      emulator: Any) -> None:
    realm = manual_realm
    invoice = make_invoice("5005", client_name="Moved Client")
    assert push([("invoice", invoice.id)]).status == RunStatus.SUCCEEDED
    invoice = db.session.get(type(invoice), invoice.id)
    invoice.client.phone = "555-0142"
    db.session.commit()

    run = push([("invoice", invoice.id)])

    assert (run.updated_count, run.skipped_count, run.failed_count) == (1, 4, 0)
    link = link_of(realm, "client", invoice.client_id)
    [customer] = qbo_rows(emulator, realm, "Customer", f"Id = '{link.qbo_id}'")
    assert customer["PrimaryPhone"]["FreeFormNumber"] == "555-0142"
