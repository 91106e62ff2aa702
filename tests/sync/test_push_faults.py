"""Exactly once under faults: lost answers, resets, double clicks, a killed worker."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.extensions import db, get_queue
from app.models import (
    Associate,
    BillingCode,
    BillingCodeKind,
    Client,
    HoursEntry,
    LinkState,
    QboLink,
    RunKind,
    RunStatus,
    SyncRun,
)
from app.sync.runs import enqueue_run
from tests.sync.import_support import connect_company, use_dev_client
from tests.sync.push_support import (
    link_of,
    make_invoice,
    push,
    qbo_rows,
    set_defaults,
    start_worker,
)


@pytest.fixture()
def realm(app: Flask, app_ctx: Flask, emulator: Any, enable_qbo: None,
          monkeypatch: pytest.MonkeyPatch) -> Any:
    """A connected company; fault rules are cleared afterwards."""
    use_dev_client(app, emulator, monkeypatch)
    monkeypatch.setitem(app.config, "QBO_BACKOFF_BASE", 0.01)
    monkeypatch.setitem(app.config, "QBO_HTTP_TIMEOUT", 5.0)
    realm_id = connect_company(app, emulator, "Faulty Co")
    set_defaults(emulator, realm_id)
    yield realm_id
    emulator.control("DELETE", "faults")


def _faults(emulator: Any, realm: str, **rule: Any) -> None:
    emulator.control("POST", "faults", {"rules": [{"realm": realm, "path": "/batch", **rule}]})


def _count(emulator: Any, realm: str, entity: str, where: str) -> int:
    return len(qbo_rows(emulator, realm, entity, where))


def _assert_exactly_once(emulator: Any, realm: str, invoice: Any) -> None:
    assert _count(emulator, realm, "Customer", f"DisplayName = '{invoice.client.name}'") == 1
    customer = link_of(realm, "client", invoice.client_id).qbo_id
    assert _count(emulator, realm, "Invoice", f"CustomerRef = '{customer}'") == 1
    assert _count(emulator, realm, "Item", f"Name = '{invoice.lines[0].billing_code.code}'") == 1
    for entity_type, local_id in (("invoice", invoice.id), ("client", invoice.client_id)):
        link = link_of(realm, entity_type, local_id)
        assert link.state == LinkState.SYNCED and link.qbo_id


@pytest.mark.parametrize("kind", ["timeout_after_commit", "reset_before_commit", "http_503"])
def test_lost_answers_are_retried_without_duplicates(realm: str, emulator: Any,
                                                     kind: str) -> None:
    invoice = make_invoice("4001", client_name=f"Retry {kind}")
    _faults(emulator, realm, kind=kind, next_n=2)
    run = push([("invoice", invoice.id)])
    assert run.status == RunStatus.SUCCEEDED, run.message
    _assert_exactly_once(emulator, realm, invoice)


def test_unknown_outcome_then_retry_links_what_arrived(realm: str, emulator: Any,
                                                       app: Flask,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "QBO_MAX_RETRIES", 1)
    invoice = make_invoice("4002", client_name="Unknown Outcome Co")
    # Every batch is applied but its answer is lost: the run cannot know what arrived.
    _faults(emulator, realm, kind="timeout_after_commit", probability=1.0)
    first = push([("invoice", invoice.id)])
    assert first.status in (RunStatus.PARTIAL, RunStatus.FAILED)
    # The lists went out first; their answers were lost, so nothing that needs them was sent.
    assert link_of(realm, "billing_code", invoice.lines[0].billing_code_id).state == \
        LinkState.PENDING
    assert link_of(realm, "client", invoice.client_id) is None
    emulator.control("DELETE", "faults")

    second = push([("invoice", invoice.id)])
    assert second.status == RunStatus.SUCCEEDED, second.message
    _assert_exactly_once(emulator, realm, invoice)


def test_double_click_and_concurrent_runs_copy_once(realm: str, emulator: Any,
                                                    app: Flask) -> None:
    invoice = make_invoice("4003", client_name="Double Click Co")
    for _ in range(2):  # the second click lands before the first run starts
        enqueue_run(db.session, get_queue(), RunKind.PUSH,
                    {"records": [["invoice", invoice.id]]}, user_id=None, realm_id=realm)
    procs = [start_worker(app) for _ in range(2)]  # two real workers, in parallel
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    db.session.expire_all()
    runs = db.session.scalars(db.select(SyncRun).order_by(SyncRun.id)).all()
    assert [r.status for r in runs] == [RunStatus.SUCCEEDED] * 2
    assert sorted(r.created_count for r in runs) == [0, 5]
    _assert_exactly_once(emulator, realm, invoice)


def _kill_tree(pid: int) -> None:
    """SIGKILL a process and its descendants (RQ's work horse has a session of its own)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    todo, victims = [pid], []
    while todo:
        current = todo.pop()
        victims.append(current)
        todo.extend(children.get(current, []))
    for victim in victims:
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)


@pytest.mark.slow
def test_worker_killed_mid_run_then_restarted(realm: str, emulator: Any, app: Flask) -> None:
    alex = Associate(first_name="Kim", last_name="Lee", display_name="Kim Lee")
    client = Client(name="Killed Worker Co")
    code = BillingCode(code="Field work", kind=BillingCodeKind.HOURLY)
    entries = [HoursEntry(associate=alex, client=client, billing_code=code,
                          work_date=date(2026, 10, 1 + i % 28), hours=Decimal("1.50"),
                          rate=Decimal("90"), description=f"Visit {i}") for i in range(120)]
    db.session.add_all(entries)
    db.session.commit()
    scope = {"records": [["hours", e.id] for e in entries]}
    # The fourth batch (the second of hours) is applied in QBO, then its answer stalls:
    # the worker is killed during that stall.
    emulator.control("POST", "faults", {"rules": [{"realm": realm, "path": "/batch",
                                                   "kind": "timeout_after_commit",
                                                   "mode": "stall", "stall_seconds": 20,
                                                   "every_nth": 4}]})
    run = enqueue_run(db.session, get_queue(), RunKind.PUSH, scope, user_id=None,
                      realm_id=realm)
    worker = start_worker(app)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        db.session.expire_all()
        if db.session.get(SyncRun, run.id).created_count >= 30:
            break
        time.sleep(0.2)
    time.sleep(1.0)  # inside the stalled third batch
    _kill_tree(worker.pid)  # the worker and its work horse at once, like a crash
    worker.wait(10)
    emulator.control("DELETE", "faults")
    db.session.expire_all()
    killed = db.session.get(SyncRun, run.id)
    assert killed.status == RunStatus.RUNNING, killed.message
    pending = db.session.scalar(db.select(db.func.count()).select_from(QboLink).where(
        QboLink.state == LinkState.PENDING))
    assert pending > 0

    retry = enqueue_run(db.session, get_queue(), RunKind.PUSH, scope, user_id=None,
                        realm_id=realm)
    assert start_worker(app).wait(timeout=120) == 0
    db.session.expire_all()
    assert db.session.get(SyncRun, retry.id).status == RunStatus.SUCCEEDED
    assert db.session.get(SyncRun, run.id).status == RunStatus.FAILED  # closed as interrupted
    activities = qbo_rows(emulator, realm, "TimeActivity")
    assert len(activities) == 120
    links = db.session.scalars(db.select(QboLink).where(QboLink.entity_type == "hours")).all()
    assert len({link.qbo_id for link in links}) == 120
    assert all(link.state == LinkState.SYNCED for link in links)
