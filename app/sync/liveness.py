"""Runs whose worker died: a heartbeat while a run executes, and a reaper that resumes the rest.

A worker can vanish at any moment (SIGKILL, an out-of-memory kill, a host restart) without its
``finally`` blocks running. The executing process therefore writes ``SyncRun.heartbeat_at``
every few seconds from a thread of its own; a running run whose heartbeat is older than the
configured limit has no process behind it. The reaper marks it interrupted and, for a push,
enqueues a new run over the same selection: links and request ids make that safe, so nothing
is copied twice and what the dead run left pending is checked in QuickBooks first.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import Engine, or_, select, update
from sqlalchemy.orm import Session

from app.database import DbSession
from app.models import RunKind, RunStatus, SyncRun
from app.models.base import utcnow
from app.models.people import as_utc

log = logging.getLogger(__name__)

# A run that was resumed this many times in a row is left for a person to look at.
MAX_RESUMES = 3


class RunHeartbeat:
    """Writes ``heartbeat_at`` of one run every ``seconds`` until stopped."""

    def __init__(self, engine: Engine, run_id: int, seconds: float) -> None:
        self.engine = engine
        self.run_id = run_id
        self.seconds = seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"run-{run_id}-heartbeat",
                                        daemon=True)

    def __enter__(self) -> RunHeartbeat:
        self.beat()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(self.seconds + 5)

    def beat(self) -> None:
        """Say the run is alive now."""
        with Session(self.engine) as session, session.begin():
            session.execute(update(SyncRun).where(SyncRun.id == self.run_id)
                            .values(heartbeat_at=utcnow()))

    def _beat(self) -> None:
        while not self._stop.wait(self.seconds):
            try:
                self.beat()
            except Exception:  # noqa: BLE001 - the database may be briefly away; try again
                log.warning("heartbeat of run %s could not be written", self.run_id)


def is_dead(run: SyncRun, dead_after: float, now: datetime | None = None) -> bool:
    """True when a run a worker took up has shown no sign of life for ``dead_after`` seconds."""
    if run.status.finished or (run.status == RunStatus.QUEUED and run.heartbeat_at is None):
        return False
    last = as_utc(run.heartbeat_at or run.started_at or run.created_at)
    return last is None or (now or utcnow()) - last > timedelta(seconds=dead_after)


def reap_dead_runs(session: DbSession, queue: Queue, dead_after: float,
                   run_ids: list[int] | None = None) -> list[int]:
    """Mark dead runs interrupted, resume pushes, re-enqueue queued runs Redis lost.

    Returns the ids of the runs it changed. Each change is a conditional update, so a run
    that finished (or was reaped by another process) meanwhile is left as it is.
    """
    now = utcnow()
    cutoff = now - timedelta(seconds=dead_after)
    stmt = select(SyncRun).where(
        SyncRun.status.in_((RunStatus.RUNNING, RunStatus.QUEUED)),
        or_(SyncRun.heartbeat_at.is_(None), SyncRun.heartbeat_at < cutoff))
    if run_ids is not None:
        stmt = stmt.where(SyncRun.id.in_(run_ids))
    changed = []
    for run in session.scalars(stmt).all():
        if is_dead(run, dead_after, now):
            if _interrupt(session, queue, run, cutoff):
                changed.append(run.id)
        elif (run.status == RunStatus.QUEUED and run.heartbeat_at is None
              and _lost_by_queue(run, queue, cutoff)):
            _requeue(session, queue, run)
            changed.append(run.id)
    return changed


def _interrupt(session: DbSession, queue: Queue, run: SyncRun, cutoff: datetime) -> bool:
    """Close a dead run (only if it is still running with a stale heartbeat) and resume it."""
    message = "Interrupted: the worker executing this run stopped."
    result = session.execute(
        update(SyncRun)
        .where(SyncRun.id == run.id,
               SyncRun.status.in_((RunStatus.RUNNING, RunStatus.QUEUED)),
               or_(SyncRun.heartbeat_at.is_(None), SyncRun.heartbeat_at < cutoff))
        .values(status=RunStatus.INTERRUPTED, finished_at=utcnow(), current=None,
                message=message)
        .execution_options(synchronize_session=False))
    session.commit()
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    session.refresh(run)
    resumes = int((run.scope or {}).get("resumes", 0))
    if run.kind != RunKind.PUSH or run.dry_run or resumes >= MAX_RESUMES:
        log.warning("run %s was interrupted", run.id)
        return True
    from app.sync.runs import enqueue_run

    scope: dict[str, Any] = {**(run.scope or {}), "resumes": resumes + 1, "resumed_from": run.id}
    resumed = enqueue_run(session, queue, run.kind, scope, user_id=run.requested_by_id,
                          realm_id=run.realm_id)
    run.message = (f"{message} The records it had not finished were resumed in run "
                   f"#{resumed.id}; nothing is copied twice.")
    session.commit()
    log.warning("run %s was interrupted; resumed as run %s", run.id, resumed.id)
    return True


def _lost_by_queue(run: SyncRun, queue: Queue, cutoff: datetime) -> bool:
    """A queued run whose job Redis no longer holds (Redis restarted without persistence)."""
    created = as_utc(run.created_at)
    if created is None or created > cutoff:
        return False
    if not run.rq_job_id:
        return True
    try:
        Job.fetch(run.rq_job_id, connection=queue.connection)
    except NoSuchJobError:
        return True
    return False


def _requeue(session: DbSession, queue: Queue, run: SyncRun) -> None:
    from app.sync.runs import enqueue_job

    enqueue_job(session, queue, run)
    log.warning("run %s had lost its queued job; queued it again", run.id)


def settle(session: DbSession, queue: Callable[[], Queue], run: SyncRun, dead_after: float) -> None:
    """Reap ``run`` now if its worker is dead, so a page never shows a dead run as running."""
    if not is_dead(run, dead_after):
        return
    try:
        reap_dead_runs(session, queue(), dead_after, run_ids=[run.id])
    except RedisError:
        log.warning("run %s looks dead but Redis is unreachable; left for the reaper", run.id)
    session.refresh(run)
