"""Sync runs (one per button click or import) and the event log of every attempt."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.base import enum_column, search_indexes, utcnow
from app.models.people import Associate


class RunKind(enum.StrEnum):
    """What a run does."""

    PUSH = "push"  # Add QBO / QBO Add All / QBO Add Selected
    IMPORT = "import"  # bring QBO lists into Ledgerhub
    REFRESH = "refresh"  # re-read QBO lists into the cache (nothing local is created)


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


class FixCode(enum.StrEnum):
    """What a person does to remove the cause of a failure; the web layer knows the page."""

    CONNECT = "connect"  # connect (or reconnect) to QuickBooks
    IMPORT_LISTS = "import_lists"  # import QuickBooks' lists
    SET_DEFAULTS = "set_defaults"  # the QuickBooks defaults (accounts, items, tax settings)
    ADD_EXCHANGE_RATE = "add_exchange_rate"  # the exchange-rate table
    MAP_LIST = "map_list"  # the mappings, at the record kind's list when one is named
    EDIT_RECORD = "edit_record"  # the record's own page
    RENUMBER_INVOICE = "renumber_invoice"  # the invoice's number field
    LINK_EXISTING = "link_existing"  # link a party to the QuickBooks record it already is


@dataclass(frozen=True)
class Fix:
    """Where the cause of a failure is fixed: what to do, and the record it concerns."""

    code: FixCode
    entity_type: str | None = None
    local_id: int | None = None

    @classmethod
    def edit(cls, entity_type: str, local_id: int) -> Fix:
        """Fixed on the record's own page."""
        return cls(FixCode.EDIT_RECORD, entity_type, local_id)


class SyncEvent(Model):
    """One attempt on one record (or one request), kept for the sync log and retries."""

    __tablename__ = "sync_events"
    # The log lists newest first, often only failures: outcome and id in one index.
    __table_args__ = (Index("ix_sync_events_outcome_id", "outcome", "id"),)

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
    # Where the cause is fixed, as a Fix (the web layer turns it into a link).
    fix_code: Mapped[FixCode | None] = mapped_column(enum_column(FixCode, 30))
    fix_entity_type: Mapped[str | None] = mapped_column(String(40))
    fix_local_id: Mapped[int | None] = mapped_column(Integer)
    request_body: Mapped[str | None] = mapped_column(Text)
    response_body: Mapped[str | None] = mapped_column(Text)
    intuit_tid: Mapped[str | None] = mapped_column(String(100))
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 index=True)

    run: Mapped[SyncRun | None] = relationship(back_populates="events")

    @property
    def fix(self) -> Fix | None:
        """Where the cause of this event is fixed, if anywhere."""
        if self.fix_code is None:
            return None
        return Fix(self.fix_code, self.fix_entity_type, self.fix_local_id)


search_indexes(SyncEvent.__table__, "label", "message", "qbo_id")
