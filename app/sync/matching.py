"""Match and link: which QBO parties may be a local one, and linking one read from QBO.

Nothing here writes to QuickBooks. Every operation that reads QBO gets an open client; a
refusal a person can act on is raised as ``Refused`` with the message to show.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.database import DbSession
from app.models import ConnectionStatus, QboConnection, QboLink
from app.qbo.client import QBOClient
from app.qbo.faults import QBOError
from app.sync import matcher, registry
from app.sync.lists import cache_age, store_page
from app.sync.parties import live_matches

log = logging.getLogger(__name__)

ClientFactory = Callable[[], QBOClient]

__all__ = ["ClientFactory", "MatchView", "Refused", "ask_qbo_live", "link_from_qbo",
           "match_view", "read_into_cache"]


class Refused(Exception):
    """An operation that changed nothing; the message says why, in plain words."""


@dataclass
class MatchView:
    """What the match page shows for one local party in the connected company."""

    link: QboLink | None = None
    asked_live: bool = False  # QBO itself was asked for the record's name and email
    live_note: str | None = None  # why QBO could not be asked (the cache is shown)
    age: datetime | None = None
    candidates: list[matcher.Candidate] = field(default_factory=list)
    conflicts: list[Any] = field(default_factory=list)
    linked_names: dict[int, str] = field(default_factory=dict)


def read_into_cache(client: QBOClient, session: DbSession, realm_id: str, entity: str,
                    qbo_id: str) -> dict[str, Any]:
    """Read one QBO record and keep it in the list cache (the cache row is not committed).

    What the session read so far is committed first: no transaction stays open across a call
    to QuickBooks.
    """
    session.commit()
    row = client.read(entity, qbo_id)
    store_page(session, realm_id, entity, [row])
    return row


def ask_qbo_live(session: DbSession, open_client: ClientFactory, connection: QboConnection,
                 entity_type: str, record: Any) -> str | None:
    """Query QBO for parties with the record's name or email (two queries at most).

    Returns None when QBO answered, else why the candidates come from the cached list only.
    """
    if connection.status != ConnectionStatus.CONNECTED:
        return "QuickBooks is not connected, so only the list read at the last import is shown."
    try:
        with open_client() as client:
            live_matches(client, session, connection.realm_id, entity_type, [record])
        session.commit()
    except QBOError as exc:
        session.rollback()
        log.info("live match lookup for %s %s failed: %s", entity_type, record.id, exc.code)
        return (f"QuickBooks could not be asked just now ({exc.plain_message()}); the list "
                "read at the last import or refresh is shown.")
    return None


def _linked_names(session: DbSession, entity_type: str,
                  candidates: list[matcher.Candidate]) -> dict[int, str]:
    owners = [c.linked_local_id for c in candidates if c.linked_local_id]
    if not owners:
        return {}
    model: Any = registry.MATCHABLE[entity_type].model
    return {r.id: getattr(r, "display_name", None) or r.name
            for r in session.scalars(select(model).where(model.id.in_(owners)))}


def match_view(session: DbSession, open_client: ClientFactory, connection: QboConnection,
               entity_type: str, record: Any, *, ask_live: bool = True) -> MatchView:
    """The record's link, and the QBO parties that may be it, best first.

    While the record is not linked QBO itself is asked first (unless ``ask_live`` is False,
    right after the list was refreshed): a party typed into QBO after the last import or
    refresh is not in the cache yet.
    """
    realm = connection.realm_id
    qbo_entity = registry.MATCHABLE[entity_type].qbo_entity
    view = MatchView(link=session.scalars(select(QboLink).where(
        QboLink.realm_id == realm, QboLink.entity_type == entity_type,
        QboLink.local_id == record.id)).first())
    if ask_live and (view.link is None or view.link.qbo_id is None):
        view.live_note = ask_qbo_live(session, open_client, connection, entity_type, record)
        view.asked_live = view.live_note is None
    view.age = cache_age(session, realm, qbo_entity)
    view.candidates = matcher.candidates(session, realm, entity_type, record)
    view.conflicts = matcher.name_conflicts(session, realm, entity_type, record)
    view.linked_names = _linked_names(session, entity_type, view.candidates)
    return view


def link_from_qbo(session: DbSession, client: QBOClient, realm_id: str, entity_type: str,
                  record: Any, qbo_id: str, *, user_label: str | None = None) -> str:
    """Link the record to QBO record ``qbo_id`` as QBO has it now; returns what was done.

    Nothing is written to QuickBooks. Raises ``Refused`` (after a rollback) when QBO cannot
    read the record or the link must not be made.
    """
    qbo_entity = registry.MATCHABLE[entity_type].qbo_entity
    try:
        row = read_into_cache(client, session, realm_id, qbo_entity, qbo_id)
        matcher.link_record(session, realm_id, entity_type, record, row, user_label=user_label)
    except QBOError as exc:
        session.rollback()
        raise Refused(f"QuickBooks record #{qbo_id} could not be read: "
                      f"{exc.plain_message()}") from exc
    except matcher.LinkRefused as exc:
        session.rollback()
        raise Refused(str(exc)) from exc
    name = row.get("DisplayName") or qbo_id
    return (f"Linked to QuickBooks record “{name}” (#{row['Id']}). Nothing was written to "
            "QuickBooks.")
