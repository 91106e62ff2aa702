"""The one progress writer: a run's DB row (which outlives RQ's result TTL) and ``job.meta``.

It writes through its own short transactions, so progress and events are visible to the web
app at once and survive a rollback of the work they describe.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rq import get_current_job
from sqlalchemy import Engine, insert, update
from sqlalchemy.orm import Session

from app.models import EventOutcome, Fix, RunStatus, SyncEvent, SyncRun
from app.models.base import utcnow

_COUNTER = {
    EventOutcome.CREATED: "created_count",
    EventOutcome.LINKED: "created_count",
    EventOutcome.UPDATED: "updated_count",
    EventOutcome.SKIPPED: "skipped_count",
    EventOutcome.FAILED: "failed_count",
}
_FLUSH_SECONDS = 0.3


class Progress:
    """Counts, current record and events of one run."""

    def __init__(self, engine: Engine, run_id: int) -> None:
        self.engine = engine
        self.run_id = run_id
        self._pending: dict[str, Any] = {}
        self._events: list[dict[str, Any]] = []
        self._last_flush = 0.0
        self._held = 0
        self.total = 0
        self.warnings = 0
        self.counts = {"done": 0, "created_count": 0, "updated_count": 0, "skipped_count": 0,
                       "failed_count": 0}

    def start(self, total: int, realm_id: str | None = None) -> None:
        """Mark the run as running with the number of records it will go through."""
        values: dict[str, Any] = {"status": RunStatus.RUNNING, "total": total,
                                  "started_at": utcnow(), "heartbeat_at": utcnow()}
        if realm_id:
            values["realm_id"] = realm_id
        self.total = total
        self._write(values)

    def grow(self, more: int) -> None:
        """Count ``more`` records into the total (dependencies found as a run goes on)."""
        if more:
            self.total += more
            self._pending["total"] = self.total
            self._maybe_flush()

    def advance(self, done: int) -> None:
        """Count ``done`` records gone through that need no event each (rows of a refresh)."""
        if done:
            self.counts["done"] += done
            self._pending["done"] = self.counts["done"]
            self._maybe_flush()

    def current(self, label: str) -> None:
        """Name the record being worked on (written at most a few times a second)."""
        self._pending["current"] = label[:255]
        self._maybe_flush()

    def rate_limited(self, seconds: float) -> None:
        """Show that the run waits for QuickBooks' rate limit (a 429 pause), and log it."""
        text = f"Waiting for QuickBooks' rate limit ({max(1, round(seconds))} s)"
        self._pending["current"] = text
        self.record(EventOutcome.INFO, action="wait", message=f"{text}; the run resumes "
                    "by itself.", counts=False)
        # Written now: the wait is exactly when the page must be able to say why nothing moves.
        self.flush()

    def record(self, outcome: EventOutcome, *, entity_type: str | None = None,
               local_id: int | None = None, label: str | None = None, action: str = "",
               qbo_id: str | None = None, request_id: str | None = None,
               fault_code: str | None = None, message: str | None = None,
               request_body: str | None = None, response_body: str | None = None,
               intuit_tid: str | None = None, realm_id: str | None = None,
               fix: Fix | None = None, counts: bool = True,
               warning: bool = False) -> None:
        """Store one SyncEvent and count it (``counts=False`` for extra detail rows).

        ``warning`` marks something a person must look at (e.g. amounts that differ from
        QuickBooks'): a run with warnings does not end as plainly succeeded.

        Events are written with the counters, a few times a second and at every flush, in one
        transaction: the link rows, not the log, are what exactly-once relies on.
        """
        self._events.append(dict(
            run_id=self.run_id, realm_id=realm_id, entity_type=entity_type,
            local_id=local_id, label=(label or "")[:255] or None, action=action or "",
            outcome=outcome, qbo_id=qbo_id, request_id=request_id, fault_code=fault_code,
            message=message, request_body=request_body, response_body=response_body,
            intuit_tid=intuit_tid, fix_code=fix.code if fix else None,
            fix_entity_type=fix.entity_type if fix else None,
            fix_local_id=fix.local_id if fix else None, created_at=utcnow(),
        ))
        if warning:
            self.warnings += 1
        if counts:
            self.counts["done"] += 1
            counter = _COUNTER.get(outcome)
            if counter:
                self.counts[counter] += 1
            self._pending.update(self.counts)
            self._maybe_flush()

    def finish(self, status: RunStatus | None = None, message: str | None = None,
               summary: dict[str, Any] | None = None) -> RunStatus:
        """Write the final state: by default succeeded, warning, partial when one failed, or
        failed when records failed and none was copied."""
        if status is None:
            copied = self.counts["created_count"] + self.counts["updated_count"]
            status = (RunStatus.FAILED if self.counts["failed_count"] and not copied else
                      RunStatus.PARTIAL if self.counts["failed_count"] else
                      RunStatus.WARNING if self.warnings else RunStatus.SUCCEEDED)
        values: dict[str, Any] = {**self.counts, **self._pending, "status": status,
                                  "finished_at": utcnow(), "current": None}
        if message is not None:
            values["message"] = message
        if summary is not None:
            values["summary"] = summary
        self._pending.clear()
        self._write(values)
        return status

    def flush(self) -> None:
        """Write pending counts and events now (before a step that may take a while)."""
        if self._pending or self._events:
            self._write({})

    @contextmanager
    def held(self) -> Iterator[None]:
        """Write nothing until the block ends, then flush.

        Used around work whose own session may hold a write lock until it commits: on SQLite a
        progress write from a second connection would otherwise wait for that commit, which
        only comes after the progress write returns.
        """
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
        if not self._held:
            self.flush()

    def _maybe_flush(self) -> None:
        if self._held:
            return
        now = time.monotonic()
        if (self._pending or self._events) and now - self._last_flush >= _FLUSH_SECONDS:
            self._write({})

    def _write(self, values: dict[str, Any]) -> None:
        values = {**self._pending, **values}
        self._pending.clear()
        self._last_flush = time.monotonic()
        events, self._events = self._events, []
        with Session(self.engine) as session, session.begin():
            if events:
                session.execute(insert(SyncEvent), events)
            if values:
                session.execute(update(SyncRun).where(SyncRun.id == self.run_id)
                                .values(**values))
        job = get_current_job()
        if job is not None:
            job.meta.update({k: (v.value if hasattr(v, "value") else v)
                             for k, v in values.items()
                             if isinstance(v, (int, str)) or hasattr(v, "value")})
            job.save_meta()
