"""Which local records can be copied from which page, and how their listings are filtered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import g, url_for
from sqlalchemy import select

from app.extensions import db
from app.models import EventOutcome, QboLink, SyncEvent
from app.qbo.connection import current_connection
from app.sync.entities import fingerprint
from app.sync.registry import PUSHABLE, RECORD_TYPES, RecordType


@dataclass(frozen=True)
class PushTarget:
    """A kind of record with an "Add QBO" button, and the page where one is edited."""

    record: RecordType
    edit_endpoint: str
    id_arg: str

    @property
    def entity_type(self) -> str:
        """The record type's name."""
        return self.record.name

    @property
    def noun(self) -> str:
        """One record, in words."""
        return self.record.noun

    @property
    def self_service(self) -> bool:
        """Pushed by associates from My History."""
        return self.record.self_service

    @property
    def matchable(self) -> bool:
        """Offers "Link to existing" before a first copy."""
        return self.record.matchable

    def edit_url(self, local_id: int) -> str:
        """The record's page (where a failed push is fixed)."""
        values: dict[str, Any] = {self.id_arg: local_id}
        return url_for(self.edit_endpoint, **values)


# Record type -> (edit endpoint, its id argument): the pages with "Add QBO" buttons.
_EDIT_PAGES = {
    "client": ("clients.edit", "client_id"),
    "organization": ("organizations.edit", "organization_id"),
    "associate": ("admin.associate_edit", "associate_id"),
    "invoice": ("invoices.edit", "invoice_id"),
    "purchase_order": ("purchasing.edit", "po_id"),
    "hours": ("history.hours_edit", "entry_id"),
    "expense": ("history.expenses_edit", "entry_id"),
    "mileage": ("history.mileage_edit", "entry_id"),
}
TARGETS: dict[str, PushTarget] = {
    name: PushTarget(RECORD_TYPES[name], *page) for name, page in _EDIT_PAGES.items()}


DRIFT_PREFIX = "Amounts differ"  # how app.sync.tax.Drift messages start


@dataclass(frozen=True)
class QboState:
    """A record's QBO status badge."""

    state: str  # none | synced | changed | pending | failed
    link: QboLink | None = None

    @property
    def label(self) -> str:
        """Badge text."""
        if self.link is None or self.state == "none":
            return "Not in QBO"
        return {"synced": f"In QBO #{self.link.qbo_id}", "changed": "Changed since copied",
                "pending": "Being checked", "failed": "Failed",
                "drift": "Amounts differ"}[self.state]


def prefetch_states(records: Sequence[Any]) -> None:
    """Load the QBO links of a listing page's records in one query, for their badges.

    Without it every row's badge asks for the connection and its own link (two statements a
    row); ``qbo_state`` reads what this keeps for the request and asks only for other records.
    """
    types = [name for name, spec in PUSHABLE.items()
             if records and isinstance(records[0], spec.model)]
    if not types:
        return
    connection = current_connection(db.session)
    if connection is None:
        return
    ids = [record.id for record in records]
    links = db.session.scalars(select(QboLink).where(
        QboLink.realm_id == connection.realm_id, QboLink.entity_type.in_(types),
        QboLink.local_id.in_(ids))).all()
    kept: dict[tuple[str, int], QboLink | None] = {(t, i): None for t in types for i in ids}
    kept.update({(link.entity_type, link.local_id): link for link in links})
    g.qbo_prefetched_links = kept


def _link(entity_type: str, record: Any) -> QboLink | None:
    """The record's link in the connected company; None when there is none or no connection."""
    kept = g.get("qbo_prefetched_links") or {}
    if (entity_type, record.id) in kept:
        return kept[(entity_type, record.id)]
    connection = current_connection(db.session)
    if connection is None:
        return None
    return db.session.scalars(select(QboLink).where(
        QboLink.realm_id == connection.realm_id, QboLink.entity_type == entity_type,
        QboLink.local_id == record.id)).first()


def qbo_state(entity_type: str, record: Any) -> QboState:
    """The QBO state of a record in the connected company."""
    if entity_type not in PUSHABLE:
        return QboState("none")
    link = _link(entity_type, record)
    if not link:
        return QboState("none")
    if link.state.value == "failed" and link.qbo_id is None:
        return QboState("failed", link)
    if link.state.value == "pending" and link.qbo_id is None:
        return QboState("pending", link)
    if link.pushed_hash and link.pushed_hash != fingerprint(entity_type, record):
        return QboState("changed", link)
    if link.last_error:
        drift = link.last_error.startswith(DRIFT_PREFIX)
        return QboState("drift" if drift else "failed", link)
    return QboState("synced", link)


def qbo_failure(entity_type: str, record: Any) -> SyncEvent | None:
    """The record's last QBO attempt when it failed (its message and Fix link), else None."""
    connection = current_connection(db.session)
    if connection is None or entity_type not in PUSHABLE:
        return None
    last = db.session.scalars(select(SyncEvent).where(
        SyncEvent.realm_id == connection.realm_id, SyncEvent.entity_type == entity_type,
        SyncEvent.local_id == record.id, SyncEvent.outcome.not_in(
            (EventOutcome.INFO, EventOutcome.PLANNED))).order_by(SyncEvent.id.desc())
        .limit(1)).first()
    return last if last is not None and last.outcome == EventOutcome.FAILED else None
