"""Sync runs (one per button click or import) and the event log of every attempt."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.base import enum_column, utcnow
from app.models.people import Associate


class RunKind(enum.StrEnum):
    """What a run does."""

    PUSH = "push"  # Add QBO / QBO Add All / QBO Add Selected
    IMPORT = "import"  # bring QBO lists into Ledgerhub


class RunStatus(enum.StrEnum):
    """Where a run stands; every state after RUNNING is final."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"  # finished, some records failed
    WARNING = "warning"  # finished, nothing failed, something needs a look (amounts differ)
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"  # its worker died; the records left were resumed in a new run

    @property
    def finished(self) -> bool:
        """True once the run will not change any more."""
        return self not in (RunStatus.QUEUED, RunStatus.RUNNING)

    @property
    def tone(self) -> str:
        """The Bootstrap colour a badge of this status uses."""
        return {RunStatus.RUNNING: "primary", RunStatus.SUCCEEDED: "success",
                RunStatus.PARTIAL: "warning", RunStatus.WARNING: "warning",
                RunStatus.FAILED: "danger",
                RunStatus.INTERRUPTED: "warning"}.get(self, "secondary")

    @property
    def label(self) -> str:
        """How a badge names this status."""
        if self == RunStatus.WARNING:
            return "Succeeded with warnings"
        return self.value.capitalize()


class SyncRun(Model):
    """One execution of a sync job, with its live progress and final counts."""

    __tablename__ = "sync_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[RunKind] = mapped_column(enum_column(RunKind))
    status: Mapped[RunStatus] = mapped_column(enum_column(RunStatus), default=RunStatus.QUEUED)
    realm_id: Mapped[str | None] = mapped_column(String(32))
    scope: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("associates.id", ondelete="SET NULL"))
    rq_job_id: Mapped[str | None] = mapped_column(String(64))
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, default=0)
    skipped_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    current: Mapped[str | None] = mapped_column(String(255))
    message: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Written every few seconds by the process executing the run: a stale one means it died.
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    requested_by: Mapped[Associate | None] = relationship()
    events: Mapped[list[SyncEvent]] = relationship(back_populates="run",
                                                   order_by="SyncEvent.id")

    @property
    def percent(self) -> int:
        """Progress in percent (100 once finished)."""
        if self.status.finished:
            return 100
        return min(99, int(self.done * 100 / self.total)) if self.total else 0


class EventOutcome(enum.StrEnum):
    """What happened to one record in one attempt."""

    CREATED = "created"
    UPDATED = "updated"
    LINKED = "linked"
    SKIPPED = "skipped"
    FAILED = "failed"
    PLANNED = "planned"  # dry run: what would be sent
    INFO = "info"

    @property
    def label(self) -> str:
        """How the sync log names the outcome, in a filter and on its badge."""
        return _OUTCOME_LABELS[self.value]


_OUTCOME_LABELS = {"created": "Created", "updated": "Updated", "linked": "Linked to existing",
                   "skipped": "Skipped", "failed": "Failed", "planned": "Preview only (not sent)",
                   "info": "Note"}


class SyncEvent(Model):
    """One attempt on one record (or one request), kept for the sync log and retries."""

    __tablename__ = "sync_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id", ondelete="CASCADE"),
                                               index=True)
    realm_id: Mapped[str | None] = mapped_column(String(32))
    entity_type: Mapped[str | None] = mapped_column(String(40))
    local_id: Mapped[int | None] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[EventOutcome] = mapped_column(enum_column(EventOutcome))
    qbo_id: Mapped[str | None] = mapped_column(String(32))
    request_id: Mapped[str | None] = mapped_column(String(50))
    fault_code: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str | None] = mapped_column(Text)
    fix_url: Mapped[str | None] = mapped_column(String(255))  # where the cause is fixed
    request_body: Mapped[str | None] = mapped_column(Text)
    response_body: Mapped[str | None] = mapped_column(Text)
    intuit_tid: Mapped[str | None] = mapped_column(String(100))
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 index=True)

    run: Mapped[SyncRun | None] = relationship(back_populates="events")
