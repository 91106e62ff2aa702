"""Sync-log retention: events older than N days are pruned, except what still waits for a person."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, delete, not_, or_, select

from app.database import DbSession
from app.models import EventOutcome, RunStatus, SyncEvent, SyncRun
from app.models.base import utcnow

FINISHED = [status for status in RunStatus if status.finished]


def prune_sync_log(session: DbSession, older_than_days: int,
                   now: datetime | None = None) -> tuple[int, int]:
    """Delete old events and the finished runs left without any; (events, runs) removed.

    Failures waiting for a fix or retry and open import questions are kept at any age: they
    are the dashboard's and the import page's to-do list, not history.
    """
    from app.sync.importer import ATTENTION_ACTION

    if older_than_days < 1:
        raise ValueError("older_than_days must be at least 1")
    cutoff = (now or utcnow()) - timedelta(days=older_than_days)
    waiting = and_(SyncEvent.resolved.is_(False),
                   or_(SyncEvent.outcome == EventOutcome.FAILED,
                       SyncEvent.action == ATTENTION_ACTION))
    # A DELETE answers with a CursorResult, which knows how many rows it removed.
    events = cast(CursorResult[Any], session.execute(
        delete(SyncEvent).where(SyncEvent.created_at < cutoff, not_(waiting)))).rowcount
    has_events = select(SyncEvent.id).where(SyncEvent.run_id == SyncRun.id).exists()
    runs = cast(CursorResult[Any], session.execute(
        delete(SyncRun).where(SyncRun.created_at < cutoff, SyncRun.status.in_(FINISHED),
                              not_(has_events)))).rowcount
    session.commit()
    return events, runs
