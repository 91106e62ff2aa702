"""What a run handler gets: the run, its progress writer, the database, QBO."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import scoped_session

from app.models import ConnectionStatus, SyncRun
from app.qbo.client import Exchange, QBOClient
from app.qbo.faults import ReconnectRequired
from app.sync.progress import Progress


@dataclass
class RunContext:
    """Everything a handler needs; handlers never import Flask or RQ."""

    run: SyncRun
    progress: Progress
    session: scoped_session[Any]  # db.session: the job's Session, and a factory of it
    config: Mapping[str, Any]
    redis: Redis
    preferences_read: bool = False  # QBO Preferences are re-read once per push run
    _clients: list[QBOClient] = field(default_factory=list)

    def realm_id(self) -> str:
        """The connected company's realm (the run is refused when there is none)."""
        from app.qbo.connection import current_connection

        connection = current_connection(self.session)
        if connection is None:
            raise ReconnectRequired("QuickBooks is not connected.", code="not_connected")
        if connection.status != ConnectionStatus.CONNECTED:
            raise ReconnectRequired(connection.status_reason or "QuickBooks needs to be "
                                    "reconnected.", code="invalid_grant")
        return connection.realm_id

    def engine(self) -> Engine:
        """The engine the run's session is bound to (QBO token reads use their own sessions)."""
        bind = self.session.get_bind()
        return bind if isinstance(bind, Engine) else bind.engine

    def client(self, on_exchange: Callable[[Exchange], None] | None = None) -> QBOClient:
        """A QBO client for the connected company, closed when the run ends."""
        from app.qbo.connection import client_for

        client = client_for(self.config, self.engine(), self.redis, self.realm_id(),
                            on_exchange=on_exchange, on_pause=self.progress.rate_limited)
        self._clients.append(client)
        return client

    def close(self) -> None:
        """Release HTTP sessions."""
        for client in self._clients:
            client.close()
        self._clients.clear()
