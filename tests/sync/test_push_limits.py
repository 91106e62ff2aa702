"""A push run that meets QuickBooks' rate limit waits it out and fails nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from app.models import LinkState, RunStatus, SyncEvent
from tests.conftest import Auth
from tests.sync.import_support import connect_company, use_dev_client
from tests.sync.push_support import link_of, make_invoice, push, qbo_rows, set_defaults

# QBO's minute, its 120 s ceiling and Intuit's 60 s wait after a 429, all at a twentieth.
SCALE = 20.0


@pytest.fixture()
def realm(app: Flask, app_ctx: Flask, emulator: Any, enable_qbo: None, users: dict,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A connected company on a time-scaled QBO; the app's windows scaled alike."""
    use_dev_client(app, emulator, monkeypatch)
    monkeypatch.setitem(app.config, "QBO_BACKOFF_BASE", 0.01)
    monkeypatch.setitem(app.config, "QBO_RATE_WINDOW_SECONDS", 60 / SCALE)
    monkeypatch.setitem(app.config, "QBO_THROTTLE_WAIT_SECONDS", 60 / SCALE)
    realm_id = connect_company(app, emulator, "Busy Co")
    set_defaults(emulator, realm_id)
    emulator.control("POST", "time-scale", {"scale": SCALE})
    try:
        yield realm_id
    finally:
        emulator.control("POST", "time-scale", {"scale": 1})
        emulator.control("DELETE", "faults")


def test_run_meets_429s_for_90_seconds_waits_and_fails_nothing(realm: str, emulator: Any,
                                                               auth: Auth) -> None:
    invoice = make_invoice("7001", client_name="Throttled Co")
    # Another app on the same company spends the realm's budget: every request meets a 429
    # for 90 (scaled) seconds, whatever this app's own limiter allows.
    emulator.control("POST", "faults", {"rules": [
        {"kind": "throttle_429", "realm": realm, "for_seconds": 90}]})
    run = push([("invoice", invoice.id)])

    assert run.status == RunStatus.SUCCEEDED, run.message
    assert run.failed_count == 0 and run.created_count == 5
    stats = emulator.control("GET", f"stats?realm={realm}")
    # 90 s of 429s with Intuit's 60 s pause in between: at least two were met.
    assert stats["throttled_by"]["injected"] >= 2
    customer = link_of(realm, "client", invoice.client_id)
    assert customer is not None and customer.state == LinkState.SYNCED
    assert len(qbo_rows(emulator, realm, "Customer", "DisplayName = 'Throttled Co'")) == 1
    assert len(qbo_rows(emulator, realm, "Invoice", f"CustomerRef = '{customer.qbo_id}'")) == 1

    waits = db.session.scalars(db.select(SyncEvent).where(SyncEvent.run_id == run.id,
                                                          SyncEvent.action == "wait")).all()
    assert len(waits) >= 2
    assert all(w.message.startswith("Waiting for QuickBooks' rate limit (3 s)") for w in waits)
    log = auth.login("qboadmin").get(f"/admin/qbo/log?run={run.id}").get_data(as_text=True)
    assert "Waiting for QuickBooks&#39; rate limit" in log


def test_records_go_singly_while_the_batch_budget_is_spent(app: Flask, realm: str,
                                                           emulator: Any) -> None:
    from app.extensions import get_redis
    from app.qbo.connection import limiter_for

    invoices = [make_invoice(f"71{n:02d}", client_name=f"Batchless Co {n}") for n in range(3)]
    # Other runs on this company have sent the minute's batch requests; single requests remain.
    limiter = limiter_for(app.config, get_redis())
    for _ in range(limiter.batch_limit):
        limiter.release(realm, limiter.wait_for_slot(realm, batch=True))
    run = push([("invoice", invoice.id) for invoice in invoices])

    assert run.status == RunStatus.SUCCEEDED, run.message
    assert run.failed_count == 0
    stats = emulator.control("GET", f"stats?realm={realm}")
    # Nothing waited for a batch slot: every record went in a single request.
    assert stats["batches"] == 0
    assert stats["objects"]["Invoice"]["active"] == 3 and stats["throttled"] == 0
    for invoice in invoices:
        assert link_of(realm, "invoice", invoice.id).state == LinkState.SYNCED


@pytest.mark.parametrize("concurrency", [1, 4])
def test_requests_are_carried_concurrently(app: Flask, realm: str, emulator: Any,
                                           monkeypatch: pytest.MonkeyPatch,
                                           concurrency: int) -> None:
    monkeypatch.setitem(app.config, "QBO_PUSH_BATCHING", False)
    monkeypatch.setitem(app.config, "QBO_PUSH_CONCURRENCY", concurrency)
    invoices = [make_invoice(f"72{n:02d}", client_name=f"Parallel Co {n}") for n in range(6)]
    # Every answer takes 4 (scaled: 0.2) seconds, as a distant QBO's would.
    emulator.control("POST", "latency", {"request": 4})
    try:
        run = push([("invoice", invoice.id) for invoice in invoices])
    finally:
        emulator.control("POST", "latency", {"request": 0})

    assert run.status == RunStatus.SUCCEEDED, run.message
    assert run.failed_count == 0
    stats = emulator.control("GET", f"stats?realm={realm}")
    if concurrency == 1:
        assert stats["peak_in_flight"] == 1
    else:
        assert 3 <= stats["peak_in_flight"] <= concurrency + 1  # + the lookups' own requests
    for invoice in invoices:
        link = link_of(realm, "invoice", invoice.id)
        assert link is not None and link.state == LinkState.SYNCED
        assert len(qbo_rows(emulator, realm, "Invoice", f"DocNumber = '{invoice.number}'")) == 1
    created = db.session.scalars(db.select(SyncEvent).where(
        SyncEvent.run_id == run.id, SyncEvent.action == "create")).all()
    assert len(created) == run.created_count >= 12  # with each invoice's own client
    # Each answer's own intuit_tid is logged with its record, whichever thread carried it.
    assert len({event.intuit_tid for event in created}) == len(created)
