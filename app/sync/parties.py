"""Ask QBO itself, before creating a party, whether someone already created it there by hand.

The list cache (``QboObject``) is only as fresh as the last import or refresh, so a customer
typed into QBO afterwards is invisible to it. Before a client, organization or associate is
created, Ledgerhub queries QBO live: one ``DisplayName IN (...)`` query and, where the
records have one, one ``PrimaryEmailAddr IN (...)`` query per party type and chunk of names
(not one per record). What the queries return is also written to the cache, so the match
page and "Link to existing" see it without a manual refresh.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.database import DbSession
from app.models import Fix, FixCode, QboLink
from app.qbo.client import QBOClient
from app.qbo.faults import ValidationError
from app.qbo.query import where_eq, where_in
from app.sync.lists import store_page
from app.sync.names import email_key, name_key, party_label
from app.sync.registry import PARTIES, of_qbo

__all__ = ["CHUNK", "LiveMatch", "clash_message", "find_clash", "link_existing_fix",
           "live_matches", "match_message"]

log = logging.getLogger(__name__)

# Names per query: a long query is POSTed by the client, and 100 names stay far under QBO's
# 1000-row page (a DisplayName matches at most one active party).
CHUNK = 100


@dataclass(frozen=True)
class LiveMatch:
    """A QBO party, just read from QBO, that may be the local record."""

    qbo_entity: str
    qbo_id: str
    name: str
    same_name: bool
    same_email: bool


def link_existing_fix(entity_type: str, local_id: int) -> Fix:
    """Fixed by linking a client, organization or associate to its QBO twin (match page)."""
    return Fix(FixCode.LINK_EXISTING, entity_type, local_id)


def _email(row: Mapping[str, Any]) -> str | None:
    value = row.get("PrimaryEmailAddr")
    return email_key(value.get("Address") if isinstance(value, Mapping) else None)


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _query(client: QBOClient, qbo_entity: str, field: str,
           values: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Active rows whose ``field`` is one of ``values``, by Id (one query per chunk)."""
    ordered = sorted(set(values))
    wheres = [where_in(field, chunk) for chunk in _chunks(ordered)]
    return {str(row["Id"]): row for row in client.query_rows_many(qbo_entity, wheres)}


def _email_rows(client: QBOClient, qbo_entity: str,
                emails: set[str]) -> dict[str, dict[str, Any]]:
    """Parties by email. QBO filters parties on ``PrimaryEmailAddr`` itself (python-quickbooks
    issue #284: ``Vendor.where("PrimaryEmailAddr = '...'")``), and IN works on any property
    that = does. Should a company refuse the lookup as an invalid query (4001), matching falls
    back to names alone rather than stopping the run: the DisplayName query above still
    catches every name QBO would refuse.
    """
    try:
        return _query(client, qbo_entity, "PrimaryEmailAddr", emails)
    except ValidationError as exc:
        if exc.code != "4001":
            raise
        log.warning("QuickBooks refused the %s email lookup (4001); matching by name only",
                    qbo_entity)
        return {}


def live_matches(client: QBOClient, session: DbSession, realm_id: str, entity_type: str,
                 records: Sequence[Any]) -> dict[int, list[LiveMatch]]:
    """For each record, the unlinked QBO parties of its kind with its name or its email.

    QBO's IN compares case-insensitively but not Ledgerhub's looser ``name_key``, so names are
    sent whitespace-collapsed and every row is compared again here. Rows are cached (no commit;
    the transaction the records were read in is committed before QuickBooks is asked).
    """
    qbo_entity = PARTIES[entity_type].qbo_entity
    names = {" ".join(party_label(entity_type, r).split()) for r in records}
    emails = {e for e in (email_key(getattr(r, "email", None)) for r in records) if e}
    session.commit()  # no transaction stays open across a call to QuickBooks
    rows = _query(client, qbo_entity, "DisplayName", (n for n in names if n))
    if emails:
        rows.update(_email_rows(client, qbo_entity, emails))
    store_page(session, realm_id, qbo_entity, rows.values())
    linked = set(session.scalars(select(QboLink.qbo_id).where(
        QboLink.realm_id == realm_id, QboLink.entity_type == entity_type,
        QboLink.qbo_id.in_(list(rows))))) if rows else set()
    found: dict[int, list[LiveMatch]] = {}
    for record in records:
        key = name_key(party_label(entity_type, record))
        email = email_key(getattr(record, "email", None))
        for qbo_id, row in rows.items():
            if qbo_id in linked:
                continue  # another local record's party: pre-flight names that clash
            same_name = name_key(row.get("DisplayName")) == key
            same_email = bool(email) and _email(row) == email
            if same_name or same_email:
                found.setdefault(record.id, []).append(LiveMatch(
                    qbo_entity, qbo_id, str(row.get("DisplayName") or qbo_id), same_name,
                    same_email))
    return found


def match_message(matches: Sequence[LiveMatch]) -> str:
    """Why a party was held back: QuickBooks already has customer “X” (#58, same email)."""
    parts = []
    for match in matches[:3]:
        why = ", ".join(w for w, flag in (("same name", match.same_name),
                                          ("same email", match.same_email)) if flag)
        parts.append(f"{of_qbo(match.qbo_entity).qbo_noun} “{match.name}” (#{match.qbo_id}, {why})")
    more = f" and {len(matches) - 3} more" if len(matches) > 3 else ""
    return (f"QuickBooks already has {'; '.join(parts)}{more}, created there by hand: link it "
            "or create anyway, from the match page. Nothing was created.")


def find_clash(client: QBOClient, session: DbSession, realm_id: str,
               name: str) -> tuple[str, dict[str, Any]] | None:
    """The customer, vendor or employee that holds ``name`` now (after a 6240), or None.

    DisplayName is unique across the three kinds, so each is asked; found rows are cached.
    """
    for qbo_entity in (t.qbo_entity for t in PARTIES.values()):
        rows = list(client.query_rows(qbo_entity, where_eq("DisplayName", name), page_size=10))
        if rows:
            store_page(session, realm_id, qbo_entity, rows)
            return qbo_entity, rows[0]
    return None


def clash_message(entity_type: str, qbo_entity: str, row: Mapping[str, Any]) -> str:
    """What a 6240 means, naming the record QBO already has."""
    name, qbo_id = row.get("DisplayName") or "", row.get("Id")
    head = f"Duplicate name: QuickBooks refused “{name}”."
    noun = of_qbo(qbo_entity).qbo_noun
    if qbo_entity == PARTIES[entity_type].qbo_entity:
        return (f"{head} It already has {noun} “{name}” (#{qbo_id}), probably "
                "created there by hand: use Link to existing instead of creating another.")
    return (f"{head} Its {noun} “{name}” (#{qbo_id}) has this name, and names "
            "are unique across customers, vendors and employees: rename one of them.")
