"""The one rule for "is this the same name?", and local parties that already use a name.

QBO keeps a DisplayName unique across customers, vendors and employees, compared without
regard to case (the API notes: 6240). Ledgerhub compares a little more loosely than that, so
that whatever QBO would refuse is caught here first: Unicode width and compatibility forms are
folded (NFKC), case is folded, curly apostrophes count as straight ones, and runs of
whitespace count as one space. The importer, pre-flight, the mappings' suggestions, the match
page and every client, organization and associate form all use ``name_key``.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select

from app.database import DbSession

__all__ = ["email_key", "name_key", "party_label", "phone_key",
           "same_name_parties"]

_SPACES = re.compile(r"\s+")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


def name_key(name: str | None) -> str:
    """The form two names are compared in: equal keys mean QBO sees the same name."""
    text = unicodedata.normalize("NFKC", name or "").casefold().translate(_QUOTES)
    return _SPACES.sub(" ", text).strip()


def email_key(email: str | None) -> str | None:
    """An email address compared case-insensitively."""
    text = (email or "").strip().casefold()
    return text or None


def phone_key(phone: str | None) -> str | None:
    """The last ten digits of a phone number (at least seven digits, else None)."""
    digits = re.sub(r"\D", "", phone or "")
    return digits[-10:] if len(digits) >= 7 else None


def party_label(entity_type: str, record: object) -> str:
    """A client's, organization's or associate's display name."""
    from app.sync.registry import PARTIES

    return PARTIES[entity_type].local_name(record)


def same_name_parties(session: DbSession, name: str | None,
                      exclude: tuple[str, int | None] | None = None) -> list[tuple[str, int, str]]:
    """Clients, organizations and associates whose name has ``name``'s key, as (type, id, name).

    ``exclude`` is the record being edited. Names are compared in Python with ``name_key``
    (SQL's lower() folds neither width nor curly quotes), reading only the name columns.
    """
    from app.sync.registry import PARTIES

    key = name_key(name)
    if not key:
        return []
    found: list[tuple[str, int, str]] = []
    for entity_type, kind in PARTIES.items():
        model = kind.model
        for local_id, other in session.execute(select(model.id,
                                                      getattr(model, kind.name_column))):
            if exclude == (entity_type, local_id):
                continue
            if name_key(other) == key:
                found.append((entity_type, local_id, other))
    return found
