"""Before offering matches for one party, read QBO's likely twins live into the cache."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app

from app.extensions import db, get_redis
from app.models import ConnectionStatus, QboConnection
from app.qbo.connection import client_for
from app.qbo.faults import QBOError
from app.sync.parties import live_matches

log = logging.getLogger(__name__)


def ask_qbo_live(connection: QboConnection, entity_type: str, record: Any) -> str | None:
    """Query QBO for parties with the record's name or email (two queries at most).

    Returns None when QBO answered, else why the candidates come from the cached list only.
    """
    if connection.status != ConnectionStatus.CONNECTED:
        return "QuickBooks is not connected, so only the list read at the last import is shown."
    try:
        with client_for(current_app.config, db.engine, get_redis(),
                        connection.realm_id) as client:
            live_matches(client, db.session, connection.realm_id, entity_type, [record])
        db.session.commit()
    except QBOError as exc:
        db.session.rollback()
        log.info("live match lookup for %s %s failed: %s", entity_type, record.id, exc.code)
        return (f"QuickBooks could not be asked just now ({exc.plain_message()}); the list "
                "read at the last import or refresh is shown.")
    return None
