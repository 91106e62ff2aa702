"""Exactly once under faults: lost answers, resets, double clicks, a killed worker."""

from __future__ import annotations

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
from tests.sync.import_support import connect_company, use_dev_client, work_queue
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


def test_lost_answers_are_found_by_marker_in_the_same_run(realm: str, emulator: Any) -> None:
    invoice = make_invoice("4004", client_name="Lost Answers Co")
    # Every batch is applied but its answer is lost: each record is looked for, then linked.
    _faults(emulator, realm, kind="timeout_after_commit", probability=1.0)
    run = push([("invoice", invoice.id)])
    assert run.status == RunStatus.SUCCEEDED, run.message
    assert run.created_count == 5
    _assert_exactly_once(emulator, realm, invoice)


def test_unknown_outcome_then_retry_links_what_arrived(realm: str, emulator: Any,
                                                       app: Flask,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "QBO_MAX_RETRIES", 1)
    invoice = make_invoice("4002", client_name="Unknown Outcome Co")
    # Every batch is applied but its answer is lost, and QBO cannot be searched either: the
    # run cannot know what arrived.
    _faults(emulator, realm, kind="timeout_after_commit", probability=1.0)
    emulator.control("POST", "faults", {"rules": [{"realm": realm, "path": "/query",
                                                   "kind": "http_503"}]})
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


def _wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], list(children.get(pid, []))
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


@pytest.mark.slow
def test_worker_killed_mid_run_is_interrupted_and_resumed(realm: str, emulator: Any,
                                                          app: Flask) -> None:
    from app.sync.liveness import reap_dead_runs

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
    # the worker's main process is killed during that stall.
    emulator.control("POST", "faults", {"rules": [{"realm": realm, "path": "/batch",
                                                   "kind": "timeout_after_commit",
                                                   "mode": "stall", "stall_seconds": 20,
                                                   "every_nth": 4}]})
    run = enqueue_run(db.session, get_queue(), RunKind.PUSH, scope, user_id=None,
                      realm_id=realm)
    worker = start_worker(app, extra_env={"RUN_HEARTBEAT_SECONDS": "0.5"})
    _wait_for(lambda: _count(emulator, realm, "TimeActivity", "") >= 60, 60,
              "the second batch of hours to be applied in QuickBooks")
    family = _descendants(worker.pid)
    assert family, "the worker runs the job in a work horse"
    os.kill(worker.pid, signal.SIGKILL)  # only the main process, like an OOM kill
    worker.wait(10)
    _wait_for(lambda: not any(_alive(pid) for pid in family), 10,
              "the work horse to die with its worker")
    emulator.control("DELETE", "faults")
    db.session.expire_all()
    assert db.session.get(SyncRun, run.id).status == RunStatus.RUNNING
    pending = db.session.scalar(db.select(db.func.count()).select_from(QboLink).where(
        QboLink.state == LinkState.PENDING))
    assert pending > 0

    _wait_for(lambda: reap_dead_runs(db.session, get_queue(), dead_after=2.0) != [], 30,
              "the reaper to notice the silent run")
    db.session.expire_all()
    killed = db.session.get(SyncRun, run.id)
    assert killed.status == RunStatus.INTERRUPTED
    resumed = db.session.scalars(db.select(SyncRun).where(SyncRun.id != run.id)).one()
    assert f"resumed in run #{resumed.id}" in killed.message
    assert resumed.scope["records"] == scope["records"]

    assert start_worker(app).wait(timeout=120) == 0
    db.session.expire_all()
    assert db.session.get(SyncRun, resumed.id).status == RunStatus.SUCCEEDED
    assert db.session.get(SyncRun, run.id).status == RunStatus.INTERRUPTED
    activities = qbo_rows(emulator, realm, "TimeActivity")
    assert len(activities) == 120
    links = db.session.scalars(db.select(QboLink).where(QboLink.entity_type == "hours")).all()
    assert len({link.qbo_id for link in links}) == 120
    assert all(link.state == LinkState.SYNCED for link in links)


def test_a_finished_run_is_never_taken_for_dead(realm: str, emulator: Any) -> None:
    from app.sync.liveness import reap_dead_runs

    invoice = make_invoice("4010", client_name="Finished Co")
    run = push([("invoice", invoice.id)])
    assert run.status == RunStatus.SUCCEEDED
    assert reap_dead_runs(db.session, get_queue(), dead_after=0.0) == []
    db.session.expire_all()
    assert db.session.get(SyncRun, run.id).status == RunStatus.SUCCEEDED


def test_a_queued_run_whose_job_redis_lost_is_queued_again(realm: str, emulator: Any) -> None:
    from app.sync.liveness import reap_dead_runs

    invoice = make_invoice("4011", client_name="Lost Job Co")
    run = push([("invoice", invoice.id)], work=False)
    get_queue().connection.flushdb()  # Redis restarted without persistence
    assert reap_dead_runs(db.session, get_queue(), dead_after=0.0) == [run.id]
    work_queue()
    db.session.expire_all()
    assert db.session.get(SyncRun, run.id).status == RunStatus.SUCCEEDED
    _assert_exactly_once(emulator, realm, invoice)


@pytest.mark.slow
def test_killing_a_worker_stops_its_cron_scheduler(app: Flask, app_ctx: Flask) -> None:
    worker = start_worker(app, cron=True)
    try:
        _wait_for(lambda: len(_descendants(worker.pid)) >= 1, 30, "the cron scheduler child")
        family = _descendants(worker.pid)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    _wait_for(lambda: not any(_alive(pid) for pid in family), 10,
              "the cron scheduler to die with its worker")
