"""What the import, follow-up, match and refresh pages share: the blueprint and the connection."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, url_for
from werkzeug.wrappers import Response

from app.extensions import db, get_redis
from app.models import ConnectionStatus, QboConnection
from app.qbo.client import QBOClient
from app.qbo.connection import client_for, current_connection
from app.sync.matching import ClientFactory

bp = Blueprint("qbo_import", __name__)
PREFIX = "/admin/qbo/import"
MATCH_PREFIX = "/admin/qbo/match"


def connected() -> QboConnection | None:
    """The QuickBooks connection when it is usable, else None."""
    connection = current_connection(db.session)
    if connection is None or connection.status != ConnectionStatus.CONNECTED:
        return None
    return connection


def not_connected_message() -> str:
    """Why nothing can be read from QuickBooks now, and where to fix it."""
    if current_connection(db.session) is None:
        return "QuickBooks is not connected: connect it first (QuickBooks Online Connect)."
    return "QuickBooks needs to be reconnected first (QuickBooks Online Connect)."


def open_client(connection: QboConnection) -> QBOClient:
    """A QBO client for the connected company (close it, or use it in ``with``)."""
    return client_for(current_app.config, db.engine, get_redis(), connection.realm_id)


def client_factory(connection: QboConnection) -> ClientFactory:
    """Opens a QBO client for the company when a service needs one."""
    return lambda: open_client(connection)


def back(endpoint: str = ".index", **values: Any) -> Response:
    """Redirect to a page of this blueprint."""
    return redirect(url_for(endpoint, **values))
