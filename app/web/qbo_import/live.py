"""Before offering matches for one party, read QBO's likely twins live into the cache."""

from __future__ import annotations

from typing import Any

from app.extensions import db
from app.models import QboConnection
from app.sync import matching
from app.web.qbo_import.common import client_factory


def ask_qbo_live(connection: QboConnection, entity_type: str, record: Any) -> str | None:
    """Query QBO for parties with the record's name or email (two queries at most).

    Returns None when QBO answered, else why the candidates come from the cached list only.
    """
    return matching.ask_qbo_live(db.session, client_factory(connection), connection,
                                entity_type, record)
