"""Sync-log retention: old history goes, what waits for a person stays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from redis import Redis
from rq.cron import CronScheduler

from app.config import Config
from app.extensions import db
from app.models import EventOutcome, RunKind, RunStatus, SyncEvent, SyncRun
from app.models.base import utcnow
from app.sync import jobs
from app.sync.importer import ATTENTION_ACTION
from app.sync.schedule import register_cron_jobs
from tests.conftest import Auth


def _run(days_ago: int, status: RunStatus = RunStatus.SUCCEEDED) -> SyncRun:
    run = SyncRun(kind=RunKind.PUSH, status=status, scope={},
                  created_at=utcnow() - timedelta(days=days_ago))
    db.session.add(run)
    db.session.flush()
    return run


def _event(run: SyncRun | None, days_ago: int, label: str, outcome: EventOutcome,
           action: str = "create", resolved: bool = False) -> None:
    db.session.add(SyncEvent(run=run, label=label, action=action, outcome=outcome,
                             resolved=resolved, message=f"{label} happened",
                             created_at=utcnow() - timedelta(days=days_ago)))


@pytest.fixture()
def history(app_ctx: Flask) -> dict[str, int]:
    """Runs and events of various ages and states."""
    old = _run(120)
    _event(old, 120, "Old copy", EventOutcome.CREATED)
    _event(old, 120, "Old fixed failure", EventOutcome.FAILED, resolved=True)
    waiting = _run(100)
    _event(waiting, 100, "Old failure waiting", EventOutcome.FAILED)
    _event(waiting, 100, "Old sibling", EventOutcome.UPDATED)
    _event(None, 95, "Old open question", EventOutcome.INFO, action=ATTENTION_ACTION)
    recent = _run(2)
    _event(recent, 2, "Recent copy", EventOutcome.CREATED)
    stuck = _run(200, RunStatus.RUNNING)  # never removed while it might still move
    db.session.commit()
    return {"old": old.id, "waiting": waiting.id, "recent": recent.id, "stuck": stuck.id}


def test_prune_removes_old_history_and_keeps_what_waits(history: dict[str, int], auth: Auth,
                                                        enable_qbo: None, app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["prune-sync-log", "--older-than-days", "30"])
    assert result.exit_code == 0, result.output
    assert "Removed 3 sync-log event(s) and 1 run(s) older than 30 days" in result.output

    db.session.expire_all()
    labels = set(db.session.scalars(db.select(SyncEvent.label)))
    assert labels == {"Old failure waiting", "Old open question", "Recent copy"}
    runs = set(db.session.scalars(db.select(SyncRun.id)))
    assert runs == {history["waiting"], history["recent"], history["stuck"]}

    log = auth.login("qboadmin").get("/admin/qbo/log").get_data(as_text=True)
    assert "Old failure waiting" in log and "Recent copy" in log
    assert "Old copy" not in log and "Old fixed failure" not in log


def test_prune_needs_a_retention(app: Flask, app_ctx: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["prune-sync-log"])
    assert result.exit_code == 2 and "--older-than-days" in result.output


def test_the_retention_setting_prunes_daily(history: dict[str, int], redis_url: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    scheduler = CronScheduler(connection=Redis.from_url(redis_url), name="retention-test")
    register_cron_jobs(scheduler)
    assert jobs.prune_sync_log not in [j.func for j in scheduler.get_jobs()]  # kept for ever

    monkeypatch.setattr(Config, "SYNC_LOG_RETENTION_DAYS", 30)
    scheduler = CronScheduler(connection=Redis.from_url(redis_url), name="retention-test-2")
    register_cron_jobs(scheduler)
    prune = [j for j in scheduler.get_jobs() if j.func is jobs.prune_sync_log]
    assert len(prune) == 1 and prune[0].cron == "17 3 * * *" and prune[0].args == (30,)
    assert prune[0].func(*prune[0].args) == "3 events, 1 runs"
