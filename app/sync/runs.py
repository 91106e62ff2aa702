"""Creating runs and handing them to the queue."""

from __future__ import annotations

from typing import Any

from rq import Queue
from sqlalchemy.orm import Session

from app.models import RunKind, RunStatus, SyncRun
from app.models.base import utcnow

JOB_TIMEOUT = 6 * 3600


def enqueue_run(session: Session, queue: Queue, kind: RunKind, scope: dict[str, Any], *,
                user_id: int | None, realm_id: str | None, dry_run: bool = False,
                total: int = 0) -> SyncRun:
    """Create a queued run (``total`` records known so far) and enqueue the job."""
    run = SyncRun(kind=kind, scope=scope, requested_by_id=user_id, realm_id=realm_id,
                  dry_run=dry_run, status=RunStatus.QUEUED, total=total)
    session.add(run)
    session.commit()
    enqueue_job(session, queue, run)
    return run


def enqueue_job(session: Session, queue: Queue, run: SyncRun) -> None:
    """Put the job that executes ``run`` on the queue and remember its id."""
    from app.sync import jobs

    job = queue.enqueue(jobs.execute_run, run.id, job_timeout=JOB_TIMEOUT,
                        result_ttl=24 * 3600, failure_ttl=7 * 24 * 3600,
                        description=f"{run.kind.value} run {run.id}")
    run.rq_job_id = job.id
    session.commit()


def fail_run(session: Session, run: SyncRun, message: str) -> None:
    """Close a run that could not execute at all."""
    run.status = RunStatus.FAILED
    run.message = message
    run.finished_at = utcnow()
    session.commit()
