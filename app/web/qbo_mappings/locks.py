"""A client's or organization's currency is fixed once it is in QuickBooks."""

from __future__ import annotations

from typing import Any

from app.extensions import db
from app.qbo.connection import current_connection
from app.sync.currency import party_currency_lock


def currency_lock(entity_type: str, record: Any) -> str | None:
    """Why the record's currency cannot change in the connected company, or None."""
    connection = current_connection(db.session)
    if connection is None or record is None:
        return None
    return party_currency_lock(db.session, connection.realm_id, entity_type, record.id)


def refuse_currency_change(form: Any, record: Any, lock: str | None) -> bool:
    """Put the reason on the currency field when a locked currency was changed."""
    if lock is None or form.currency.data == record.currency:
        return False
    form.currency.errors = [*form.currency.errors, lock]
    return True
