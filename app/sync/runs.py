"""Creating runs and handing them to the queue."""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import ColumnElement, and_, exists, or_

from app.database import DbSession
from app.models import EventOutcome, LinkState, QboLink, RunKind, RunStatus, SyncEvent, SyncRun
from app.models.base import utcnow

log = logging.getLogger(__name__)
JOB_TIMEOUT = 6 * 3600
QUEUE_DOWN = ("The job queue (Redis) could not be reached, so this run did not start and nothing "
              "was sent to QuickBooks.")


class QueueUnavailable(RedisError):
    """Redis refused the job: the run was recorded as failed, nothing was started.

    A RedisError still, so callers that already handle an unreachable Redis keep doing so.
    """

    def __init__(self, run: SyncRun) -> None:
        super().__init__(QUEUE_DOWN)
        self.run = run


def enqueue_run(session: DbSession, queue: Queue, kind: RunKind, scope: dict[str, Any], *,
                user_id: int | None, realm_id: str | None, dry_run: bool = False,
                total: int = 0) -> SyncRun:
    """Create a queued run (``total`` records known so far) and enqueue the job.

    When Redis refuses the job the run is recorded as failed and QueueUnavailable is raised.
    """
    run = SyncRun(kind=kind, scope=scope, requested_by_id=user_id, realm_id=realm_id,
                  dry_run=dry_run, status=RunStatus.QUEUED, total=total)
    session.add(run)
    session.commit()
    try:
        enqueue_job(session, queue, run)
    except RedisError as exc:
        # A run left "queued" with no job would never move: close it and say why.
        fail_run(session, run, QUEUE_DOWN)
        log.error("Run %s not started: Redis unreachable (%s)", run.id, type(exc).__name__)
        raise QueueUnavailable(run) from None
    return run


def enqueue_job(session: DbSession, queue: Queue, run: SyncRun) -> None:
    """Put the job that executes ``run`` on the queue and remember its id."""
    from app.sync import jobs

    job = queue.enqueue(jobs.execute_run, run.id, job_timeout=JOB_TIMEOUT,
                        result_ttl=24 * 3600, failure_ttl=7 * 24 * 3600,
                        description=f"{run.kind.value} run {run.id}")
    run.rq_job_id = job.id
    session.commit()


def fail_run(session: DbSession, run: SyncRun, message: str) -> None:
    """Close a run that could not execute at all."""
    run.status = RunStatus.FAILED
    run.message = message
    run.finished_at = utcnow()
    session.commit()


def open_failure() -> ColumnElement[bool]:
    """A failed copy still waiting for a fix: not retried, and its record neither copied nor
    linked since (a later Add QBO, a link by import or matching, a mapping)."""
    fixed = exists().where(
        or_(SyncEvent.realm_id.is_(None), QboLink.realm_id == SyncEvent.realm_id),
        QboLink.entity_type == SyncEvent.entity_type, QboLink.local_id == SyncEvent.local_id,
        QboLink.state == LinkState.SYNCED, QboLink.qbo_id.is_not(None),
        QboLink.synced_at > SyncEvent.created_at)
    return and_(SyncEvent.outcome == EventOutcome.FAILED, SyncEvent.resolved.is_(False),
                ~fixed)
