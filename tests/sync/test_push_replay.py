"""Exactly once even when QBO executes a repeated requestid again (the replay_miss fault)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from app.models import (
    Associate,
    BillingCode,
    BillingCodeKind,
    Client,
    HoursEntry,
    LinkState,
    QboLink,
    RunStatus,
)
from tests.sync.import_support import api, connect_company, qbo_client, use_dev_client
from tests.sync.push_support import make_invoice, push, qbo_rows, set_defaults

INVOICES = 6
HOURS = 35  # with the invoices, more than one 30-item batch of transactions


@pytest.fixture()
def realm(app: Flask, app_ctx: Flask, emulator: Any, enable_qbo: None,
          monkeypatch: pytest.MonkeyPatch) -> Any:
    """A connected company; fault rules are cleared afterwards."""
    use_dev_client(app, emulator, monkeypatch)
    monkeypatch.setitem(app.config, "QBO_BACKOFF_BASE", 0.01)
    monkeypatch.setitem(app.config, "QBO_HTTP_TIMEOUT", 5.0)
    realm_id = connect_company(app, emulator, "Replay Co")
    set_defaults(emulator, realm_id)
    yield realm_id
    emulator.control("DELETE", "faults")


def _records() -> list[tuple[str, int]]:
    invoices = [make_invoice(f"R-{n}", client_name=f"Replay Client {n}", lines=2)
                for n in range(1, INVOICES + 1)]
    kim = Associate(first_name="Kim", last_name="Replay", display_name="Kim Replay")
    client = Client(name="Replay Hours Co")
    code = BillingCode(code="Replay work", kind=BillingCodeKind.HOURLY)
    entries = [HoursEntry(associate=kim, client=client, billing_code=code,
                          work_date=date(2026, 10, 1 + i % 5), hours=Decimal("1.25"),
                          rate=Decimal("80"), description=f"Visit {i}") for i in range(HOURS)]
    db.session.add_all(entries)
    db.session.commit()
    return [("invoice", i.id) for i in invoices] + [("hours", e.id) for e in entries]


def _rules(emulator: Any, realm: str, path: str) -> None:
    """A share of writes lands with its answer lost, some fail before landing, and every
    repeated requestid is executed again instead of answered from the stored response."""
    emulator.control("POST", "faults", {"rules": [
        {"realm": realm, "method": "POST", "path": path, "kind": "timeout_after_commit",
         "every_nth": 2},
        {"realm": realm, "method": "POST", "path": path, "kind": "http_503", "every_nth": 2},
        {"realm": realm, "kind": "replay_miss"},
    ]})


def _assert_zero_duplicates(emulator: Any, realm: str) -> None:
    numbers = ", ".join(f"'R-{n}'" for n in range(1, INVOICES + 1))
    assert len(qbo_rows(emulator, realm, "Invoice", f"DocNumber IN ({numbers})")) == INVOICES
    assert len(qbo_rows(emulator, realm, "TimeActivity")) == HOURS
    customers = qbo_rows(emulator, realm, "Customer", "DisplayName LIKE 'Replay%'")
    assert len(customers) == INVOICES + 1
    assert len(qbo_rows(emulator, realm, "Employee", "DisplayName LIKE '%Replay%'")) == 1
    assert len(qbo_rows(emulator, realm, "Item", "Name LIKE 'Replay%'")) == 1
    links = db.session.scalars(db.select(QboLink).where(QboLink.realm_id == realm)).all()
    assert all(link.state == LinkState.SYNCED for link in links)
    by_type: dict[str, set[str]] = {}
    for link in links:
        by_type.setdefault(link.entity_type, set()).add(link.qbo_id)
    assert len(by_type["hours"]) == HOURS and len(by_type["invoice"]) == INVOICES


def _fired(emulator: Any, kind: str) -> int:
    return sum(r["fired"] for r in emulator.control("GET", "faults")["rules"]
               if r["kind"] == kind)


def test_batched_push_under_replay_miss_creates_no_duplicates(realm: str,
                                                               emulator: Any) -> None:
    records = _records()
    _rules(emulator, realm, "/batch$")
    run = push(records)
    assert run.status == RunStatus.SUCCEEDED, run.message
    assert _fired(emulator, "timeout_after_commit") >= 2  # answers of whole batches lost
    assert _fired(emulator, "http_503") >= 1
    _assert_zero_duplicates(emulator, realm)


def test_single_writes_under_replay_miss_create_no_duplicates(realm: str, emulator: Any,
                                                              app: Flask,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    monkeypatch.setitem(app.config, "QBO_PUSH_BATCHING", False)
    records = _records()
    _rules(emulator, realm, "/(term|item|customer|employee|invoice|timeactivity)$")
    run = push(records)
    assert run.status == RunStatus.SUCCEEDED, run.message
    assert _fired(emulator, "timeout_after_commit") >= 10
    _assert_zero_duplicates(emulator, realm)


def test_replay_miss_duplicates_a_write_that_trusts_the_requestid(realm: str, emulator: Any,
                                                                  app: Flask) -> None:
    """Why the marker search is needed: resending with the same requestid is not enough."""
    employee = api(emulator, realm, "POST", "employee",
                   {"DisplayName": "Trusting Tess", "GivenName": "Tess"})["Employee"]
    emulator.control("POST", "faults", {"rules": [
        {"realm": realm, "path": "/timeactivity$", "kind": "timeout_after_commit",
         "next_n": 1},
        {"realm": realm, "kind": "replay_miss"},
    ]})
    client = qbo_client(app, realm)
    client.create("TimeActivity", {"NameOf": "Employee", "EmployeeRef": {"value":
                  employee["Id"]}, "Hours": 1, "Minutes": 0}, request_id="trusting-1")
    assert len(qbo_rows(emulator, realm, "TimeActivity")) == 2
    assert _fired(emulator, "replay_miss") == 1
