"""Links between local records and QBO objects made without writing to QBO.

An import links the local records it creates (origin IMPORTED) or finds (MATCHED); a person
links a record to a QBO row from the match page or an import question. Every such link is
written by ``link_pair``; ``create_from_qbo`` builds a local record from one QBO row first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from app.database import DbSession
from app.models import CompanySettings, LinkOrigin, LinkState, QboLink
from app.models.base import utcnow
from app.qbo.connection import current_connection
from app.sync import registry
from app.sync.from_qbo import Incoming, TooLong, Unusable
from app.sync.lists import describe

__all__ = ["build", "create_from_qbo", "display", "home_currency", "link_pair",
           "linked_local_ids"]


def _fingerprint(entity_type: str, record: Any) -> str | None:
    """The push engine's fingerprint of a record, when it has one (imported = unchanged)."""
    from app.sync.entities import fingerprint

    try:
        return fingerprint(entity_type, record)
    except Exception:  # noqa: BLE001 - a missing fingerprint only means "push to compare"
        return None


def home_currency(session: DbSession) -> str:
    """The connected company's home currency (else the company setting, else USD)."""
    connection = current_connection(session)
    if connection is not None and connection.home_currency:
        return connection.home_currency
    return CompanySettings.load().home_currency or "USD"


def display(entity: str, row: Mapping[str, Any]) -> str:
    """The QBO name of a row, for messages."""
    return describe(entity, row)["name"] or f"{entity} #{row.get('Id')}"


def build(entity: str, row: Mapping[str, Any], ctx: Incoming,
          tax_rates: Mapping[str, dict[str, Any]] | None = None) -> Any:
    """A new local record for one QBO row (not added to the session).

    Raises ``Unusable`` (no place for it) or ``TooLong`` (a person decides).
    """
    builder = registry.of_qbo(entity).from_qbo if registry.importable(entity) else None
    if builder is None:
        raise Unusable(f"{entity} is not imported")
    return builder(row, describe(entity, row, tax_rates), ctx)


def linked_local_ids(session: DbSession, realm_id: str, entity_type: str) -> set[int]:
    """Local ids that already have a link in the realm (synced, or a push under way)."""
    rows = session.execute(select(QboLink.local_id, QboLink.qbo_id, QboLink.state).where(
        QboLink.realm_id == realm_id, QboLink.entity_type == entity_type))
    return {local for local, qbo_id, state in rows
            if qbo_id is not None or state == LinkState.PENDING}


def link_pair(session: DbSession, realm_id: str, entity_type: str, record: Any, qbo_id: str,
              sync_token: str | None, origin: LinkOrigin) -> QboLink:
    """Link a local record to a QBO object (no write to QBO); reuses a failed link row."""
    link = session.scalars(select(QboLink).where(
        QboLink.realm_id == realm_id, QboLink.entity_type == entity_type,
        QboLink.local_id == record.id)).first()
    if link is None:
        link = QboLink(realm_id=realm_id, entity_type=entity_type, local_id=record.id)
        session.add(link)
    link.qbo_id = qbo_id
    link.sync_token = sync_token
    link.state = LinkState.SYNCED
    link.origin = origin
    link.last_error = None
    link.pending_request_id = None
    link.synced_at = utcnow()
    link.pushed_hash = _fingerprint(entity_type, record)
    return link


def create_from_qbo(session: DbSession, realm_id: str, entity: str, row: Mapping[str, Any],
                    tax_rates: Mapping[str, dict[str, Any]] | None = None) -> Any:
    """Create (and link, origin IMPORTED) the local record for one QBO row; no commit.

    Raises ``ValueError`` with a plain reason when Ledgerhub cannot hold the row.
    """
    try:
        record = build(entity, row, Incoming(session, realm_id, home_currency(session)),
                       tax_rates)
    except (Unusable, TooLong) as exc:
        raise ValueError(f"{display(entity, row)} cannot be imported: {exc}") from exc
    kind = registry.of_qbo(entity)
    model, value = kind.model, kind.local_name(record)
    if kind.role is not registry.Role.PARTY and session.scalars(
            select(model.id).where(getattr(model, kind.name_column) == value)).first() is not None:
        raise ValueError(f"A local record named “{value}” already exists; link that one "
                         "instead.")
    session.add(record)
    session.flush()
    token = row.get("SyncToken")
    link_pair(session, realm_id, kind.name, record, str(row["Id"]),
              str(token) if token is not None else None, LinkOrigin.IMPORTED)
    return record
