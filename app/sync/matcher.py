"""Which QBO records might be the same as a local client, organization or associate.

Used when a record was created in QBO by hand as well as in Ledgerhub: candidates come from
the QBO list cache (``QboObject``), scored on name similarity, email, phone and address, best
first. Linking a pair writes nothing to QBO.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from sqlalchemy import select

from app.database import DbSession
from app.models import (
    EventOutcome,
    LinkOrigin,
    LinkState,
    QboConnection,
    QboLink,
    QboObject,
    SyncEvent,
)
from app.sync.linking import link_pair
from app.sync.names import email_key, phone_key
from app.sync.names import name_key as normalize_name
from app.sync.registry import MATCHABLE, PARTIES

__all__ = [
    "Candidate",
    "LinkRefused",
    "candidates",
    "link_record",
    "name_conflicts",
    "record_for",
]

_WEIGHTS = {"name": 60, "email": 20, "phone": 12, "address": 8}
_MIN_NAME = 0.6  # below this similarity a row needs another matching detail to be listed


@dataclass(frozen=True)
class Candidate:
    """One QBO record that may be the local record, with why it was proposed."""

    qbo_id: str
    name: str
    score: int  # 0..100
    reasons: tuple[str, ...]
    active: bool = True
    email: str | None = None
    phone: str | None = None
    address: tuple[str, ...] = ()
    sync_token: str | None = None
    linked_local_id: int | None = None  # already linked to another local record
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


class LinkRefused(Exception):
    """A link that must not be made; the message says why and what to do."""


def record_for(session: DbSession, entity_type: str, local_id: int) -> Any | None:
    """The local client, organization or associate, or None."""
    if entity_type not in MATCHABLE:
        return None
    return session.get(MATCHABLE[entity_type].model, local_id)


def _record_name(record: Any) -> str:
    return getattr(record, "display_name", None) or getattr(record, "name", "") or ""


def _address_key(parts: Mapping[str, Any] | None) -> str | None:
    if not parts:
        return None
    line = normalize_name(str(parts.get("line1") or ""))
    postal = normalize_name(str(parts.get("postal_code") or "")).replace(" ", "")
    city = normalize_name(str(parts.get("city") or ""))
    if not line or not (postal or city):
        return None
    return f"{line}|{postal or city}"


def _record_address(record: Any) -> str | None:
    if not hasattr(record, "address_line1"):
        return None
    return _address_key({"line1": record.address_line1, "postal_code": record.postal_code,
                         "city": record.city})


def _address_lines(parts: Mapping[str, Any] | None) -> tuple[str, ...]:
    if not parts:
        return ()
    city = " ".join(str(parts[k]) for k in ("city", "region", "postal_code") if parts.get(k))
    return tuple(str(p) for p in (parts.get("line1"), parts.get("line2"), city,
                                  parts.get("country")) if p)


def candidates(session: DbSession, realm_id: str, entity_type: str, record: Any,
               limit: int = 10) -> list[Candidate]:
    """QBO rows (from the cache) that may be ``record``, best first."""
    if entity_type not in MATCHABLE:
        raise ValueError(f"matching is not offered for {entity_type}")
    qbo_entity = MATCHABLE[entity_type].qbo_entity
    name = normalize_name(_record_name(record))
    email = email_key(getattr(record, "email", None))
    phone = phone_key(getattr(record, "phone", None))
    address = _record_address(record)
    linked = {
        qbo_id: local_id for qbo_id, local_id in session.execute(
            select(QboLink.qbo_id, QboLink.local_id).where(
                QboLink.realm_id == realm_id, QboLink.entity_type == entity_type,
                QboLink.qbo_id.is_not(None)))
    }
    found: list[Candidate] = []
    rows = session.scalars(select(QboObject).where(QboObject.realm_id == realm_id,
                                                   QboObject.entity == qbo_entity))
    matcher = SequenceMatcher(autojunk=False)
    matcher.set_seq2(name)
    for row in rows:
        data = row.data or {}
        other = normalize_name(row.name)
        matcher.set_seq1(other)
        same_email = bool(email) and email_key(data.get("email")) == email
        same_phone = bool(phone) and phone_key(data.get("phone")) == phone
        same_address = bool(address) and _address_key(data.get("address")) == address
        if not (same_email or same_phone or same_address) and (
                matcher.real_quick_ratio() < _MIN_NAME or matcher.quick_ratio() < _MIN_NAME):
            continue
        ratio = 1.0 if other == name else matcher.ratio()
        if ratio < _MIN_NAME and not (same_email or same_phone or same_address):
            continue
        reasons = [f"name {round(ratio * 100)}% similar" if ratio < 1 else "same name"]
        score = ratio * _WEIGHTS["name"]
        for flag, key, text in ((same_email, "email", "same email"),
                                (same_phone, "phone", "same phone"),
                                (same_address, "address", "same address")):
            if flag:
                score += _WEIGHTS[key]
                reasons.append(text)
        if not row.active:
            reasons.append("inactive in QuickBooks")
        owner = linked.get(row.qbo_id)
        if owner is not None and owner != getattr(record, "id", None):
            reasons.append("already linked to another record")
        found.append(Candidate(
            qbo_id=row.qbo_id, name=row.name, score=min(100, round(score)),
            reasons=tuple(reasons), active=row.active, email=data.get("email"),
            phone=data.get("phone"), address=_address_lines(data.get("address")),
            sync_token=row.sync_token, linked_local_id=owner))
    found.sort(key=lambda c: (-c.score, not c.active, c.name.casefold(), c.qbo_id))
    return found[:limit]


def name_conflicts(session: DbSession, realm_id: str, entity_type: str,
                   record: Any) -> list[QboObject]:
    """Cached customers, vendors or employees of the other kinds with the record's name.

    QBO display names are unique across all three, so these also cause Duplicate Name (6240).
    """
    own = MATCHABLE[entity_type].qbo_entity
    others = [t.qbo_entity for t in PARTIES.values() if t.qbo_entity != own]
    name = normalize_name(_record_name(record))
    rows = session.scalars(select(QboObject).where(
        QboObject.realm_id == realm_id, QboObject.entity.in_(others)))
    return [row for row in rows if normalize_name(row.name) == name]


def _check_currency(session: DbSession, realm_id: str, record: Any, qbo_row: Mapping[str, Any],
                    qbo_name: str) -> None:
    """QBO never changes a customer's or vendor's currency: both sides must already agree."""
    mine = getattr(record, "currency", None)
    if not mine:
        return
    home = session.scalar(select(QboConnection.home_currency).where(
        QboConnection.realm_id == realm_id)) or "USD"
    ref = qbo_row.get("CurrencyRef")
    theirs = str((ref.get("value") if isinstance(ref, Mapping) else None) or home).upper()
    if mine.upper() != theirs:
        raise LinkRefused(f"Not linked: the currencies differ. “{_record_name(record)}” is in "
                          f"{mine} here and QuickBooks record “{qbo_name}” in {theirs}; "
                          "QuickBooks never changes a customer's or vendor's currency. Set "
                          f"the local currency to {theirs} first if they are the same party.")


def link_record(session: DbSession, realm_id: str, entity_type: str, record: Any,
                qbo_row: Mapping[str, Any], *, user_label: str | None = None,
                allow_inactive: bool = False) -> QboLink:
    """Link the record to a QBO row just read from QBO (origin MATCHED); commits.

    Raises ``LinkRefused`` when the QBO record is linked to another local record, the local
    record is already linked, a push of it is under way, or the QBO record is inactive
    (``allow_inactive`` for imports, where inactive records pair with inactive ones).
    """
    qbo_id = str(qbo_row["Id"])
    qbo_name = str(qbo_row.get("DisplayName") or qbo_row.get("Name") or qbo_id)
    other = session.scalars(select(QboLink).where(
        QboLink.realm_id == realm_id, QboLink.entity_type == entity_type,
        QboLink.qbo_id == qbo_id, QboLink.local_id != record.id)).first()
    if other is not None:
        holder = record_for(session, entity_type, other.local_id)
        raise LinkRefused(f"QuickBooks record “{qbo_name}” (#{qbo_id}) is already linked to "
                          f"“{_record_name(holder) if holder else other.local_id}”. "
                          "Choose another record.")
    mine = session.scalars(select(QboLink).where(
        QboLink.realm_id == realm_id, QboLink.entity_type == entity_type,
        QboLink.local_id == record.id)).first()
    if mine is not None and mine.qbo_id is not None:
        if mine.qbo_id == qbo_id:
            raise LinkRefused(f"“{_record_name(record)}” is already linked to this QuickBooks "
                              "record.")
        raise LinkRefused(f"“{_record_name(record)}” is already linked to QuickBooks record "
                          f"#{mine.qbo_id}.")
    if mine is not None and mine.state == LinkState.PENDING and mine.pending_request_id:
        raise LinkRefused("A copy of this record to QuickBooks is under way or its outcome is "
                          "not known yet; wait for it or retry it from the sync log first.")
    if qbo_row.get("Active") is False and not allow_inactive:
        raise LinkRefused(f"QuickBooks record “{qbo_name}” is inactive. Make it active in "
                          "QuickBooks first, or choose another record.")
    _check_currency(session, realm_id, record, qbo_row, qbo_name)
    token = qbo_row.get("SyncToken")
    link = link_pair(session, realm_id, entity_type, record, qbo_id,
                     str(token) if token is not None else None, LinkOrigin.MATCHED)
    session.add(SyncEvent(realm_id=realm_id, entity_type=entity_type, local_id=record.id,
                          label=_record_name(record)[:255], action="match",
                          outcome=EventOutcome.LINKED, qbo_id=qbo_id,
                          message=f"Linked to QuickBooks record “{qbo_name}” without writing "
                          f"to QuickBooks{f' by {user_label}' if user_label else ''}."))
    session.commit()
    return link
