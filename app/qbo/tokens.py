"""Tokens of the QuickBooks connection: single-flight refresh across every process.

A refresh takes a Redis lock per realm, re-reads the connection row, and only calls Intuit when
no other process has refreshed meanwhile. The rotated refresh token is committed before the new
access token is handed out, so a crash can never leave us holding only a rotated-out token.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from redis import Redis
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.database import DbSession
from app.models import ConnectionStatus, QboConnection
from app.models.base import utcnow
from app.models.people import as_utc
from app.qbo.crypto import TokenCipher, TokenKeyMismatch
from app.qbo.faults import AuthenticationError, ReconnectRequired
from app.qbo.oauth import InvalidGrant, QBOOAuth, TokenSet

log = logging.getLogger(__name__)

EXPIRY_MARGIN = timedelta(seconds=120)
LOCK_TIMEOUT = 60


def store_tokens(
    row: QboConnection, tokens: TokenSet, cipher: TokenCipher, now: datetime | None = None
) -> None:
    """Put a token set on the connection row, encrypted."""
    row.access_token_enc = cipher.encrypt(tokens.access_token)
    row.refresh_token_enc = cipher.encrypt(tokens.refresh_token)
    row.access_expires_at = tokens.access_expires_at
    row.refresh_expires_at = tokens.refresh_expires_at
    if tokens.hard_expires_at is not None:  # an answer without it keeps the known end
        row.hard_expires_at = tokens.hard_expires_at
    row.last_refreshed_at = now or utcnow()


def reencrypt_tokens(session: DbSession, old: TokenCipher, new: TokenCipher) -> int:
    """Re-encrypt every stored token with ``new``; returns the connections changed.

    Tokens already under ``new`` are left as they are, so a rotation interrupted half-way can
    simply be run again. Nothing is changed when ``old`` opens neither (TokenKeyMismatch).
    """
    changed = 0
    for row in session.scalars(select(QboConnection)):
        touched = False
        for field in ("access_token_enc", "refresh_token_enc"):
            value = getattr(row, field)
            try:
                new.decrypt(value)
                continue
            except TokenKeyMismatch:
                pass
            try:
                setattr(row, field, new.encrypt(old.decrypt(value)))
            except TokenKeyMismatch:
                session.rollback()
                raise
            touched = True
        changed += touched
    session.commit()
    return changed


class ConnectionTokens:
    """The TokenSource of one realm's connection, shared safely by web and worker processes."""

    def __init__(
        self, realm_id: str, *, engine: Engine, redis: Redis, oauth: QBOOAuth, cipher: TokenCipher
    ) -> None:
        self.realm_id = realm_id
        self.engine = engine
        self.redis = redis
        self.oauth = oauth
        self.cipher = cipher
        # The token this process last saw and when it expires: a run makes hundreds of
        # requests, and a still-valid access token needs no database read. A token revoked
        # meanwhile answers 401, and refresh() then reads the row again.
        self._known: tuple[str, datetime] | None = None
        # A copy's sender threads share this object: one of them refreshes at a time, and the
        # others then find the new token in the row. The Redis lock does the same across
        # processes, but a Redis restart forgets it, and once a refresh has issued a new refresh
        # token Intuit refuses the old one (invalid_grant: the company must be reconnected).
        self._refreshing = threading.Lock()

    def _row(self, session: DbSession) -> QboConnection:
        row = session.scalars(
            select(QboConnection).where(QboConnection.realm_id == self.realm_id)
        ).first()
        if row is None:
            raise ReconnectRequired("QuickBooks is not connected.", code="not_connected")
        if row.status == ConnectionStatus.NEEDS_RECONNECT:
            raise ReconnectRequired(
                row.status_reason or "QuickBooks needs to be reconnected.", code="invalid_grant"
            )
        return row

    @staticmethod
    def _fresh(row: QboConnection) -> bool:
        return as_utc(row.access_expires_at) - EXPIRY_MARGIN > utcnow()

    def access_token(self) -> str:
        """The current access token, refreshed first when it is about to expire."""
        if self._known is not None and self._known[1] - EXPIRY_MARGIN > utcnow():
            return self._known[0]
        with Session(self.engine) as session:
            row = self._row(session)
            token = self.cipher.decrypt(row.access_token_enc)
            if self._fresh(row):
                self._known = (token, as_utc(row.access_expires_at))
                return token
        return self.refresh(token)

    def refresh(self, rejected_token: str) -> str:
        """A valid access token after ``rejected_token`` failed or expired (single-flight)."""
        with self._refreshing:
            return self._refresh(rejected_token)

    def _refresh(self, rejected_token: str) -> str:
        lock = self.redis.lock(
            f"ledgerhub:qbo:refresh:{self.realm_id}",
            timeout=LOCK_TIMEOUT,
            blocking_timeout=LOCK_TIMEOUT + 5,
        )
        if not lock.acquire():
            raise AuthenticationError(
                "Timed out waiting for another process to refresh the QuickBooks token.",
                retryable=True,
            )
        self._known = None
        try:
            with Session(self.engine) as session:
                row = self._row(session)
                current = self.cipher.decrypt(row.access_token_enc)
                if current != rejected_token and self._fresh(row):
                    self._known = (current, as_utc(row.access_expires_at))
                    return current  # another process refreshed while we waited
                refresh_token = self.cipher.decrypt(row.refresh_token_enc)
                # No transaction stays open across the call to Intuit; the Redis lock keeps
                # every other process from refreshing meanwhile.
                session.rollback()
                try:
                    tokens = self.oauth.refresh(refresh_token)
                except InvalidGrant:
                    row.status = ConnectionStatus.NEEDS_RECONNECT
                    row.status_reason = (
                        "QuickBooks refused the saved authorization "
                        "(invalid_grant). A QBO admin must reconnect."
                    )
                    session.commit()
                    log.warning("QBO refresh refused for realm %s: needs reconnect", self.realm_id)
                    raise ReconnectRequired(row.status_reason, code="invalid_grant") from None
                store_tokens(row, tokens, self.cipher)
                row.refresh_count = (row.refresh_count or 0) + 1
                session.commit()  # the rotated refresh token is durable before any use
                log.info("QBO token refreshed for realm %s", self.realm_id)
                self._known = (tokens.access_token, tokens.access_expires_at)
                return tokens.access_token
        finally:
            try:
                lock.release()
            except Exception:  # noqa: BLE001 - lock expired: nothing to release
                log.warning("QBO refresh lock for realm %s expired before release", self.realm_id)
