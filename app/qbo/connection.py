"""The QuickBooks connection: connecting, switching companies, disconnecting, building clients.

Everything here takes its dependencies (config, database session, Redis) as arguments, so the
web app and the RQ workers use it alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from redis import Redis
from sqlalchemy import Engine, delete, select

from app.database import DbSession
from app.models import ConnectionStatus, QboConnection, QboLink
from app.models.base import utcnow
from app.qbo.client import BATCH_TIMEOUT, Exchange, QBOClient
from app.qbo.crypto import TokenCipher
from app.qbo.faults import QBOError, ReconnectRequired
from app.qbo.oauth import QBOEndpoints, QBOOAuth, TokenSet
from app.qbo.ratelimit import RateLimiter
from app.qbo.retry import THROTTLE_WAIT_MAX
from app.qbo.tokens import ConnectionTokens, store_tokens

log = logging.getLogger(__name__)


def cipher_for(config: Mapping[str, Any]) -> TokenCipher:
    """The token cipher keyed by ``TOKEN_ENCRYPTION_KEY``."""
    return TokenCipher(config["TOKEN_ENCRYPTION_KEY"])


def check_token_key(session: DbSession, config: Mapping[str, Any]) -> None:
    """Raise TokenKeyMismatch when a stored token does not open with ``TOKEN_ENCRYPTION_KEY``."""
    cipher = cipher_for(config)
    for row in session.scalars(select(QboConnection)):
        cipher.decrypt(row.refresh_token_enc)


def oauth_for(config: Mapping[str, Any], redirect_uri: str | None = None) -> QBOOAuth:
    """The OAuth client for the configured environment."""
    return QBOOAuth(
        QBOEndpoints.from_config(dict(config)),
        config["QBO_CLIENT_ID"],
        config["QBO_CLIENT_SECRET"],
        redirect_uri or config.get("QBO_REDIRECT_URI") or "",
        timeout=config.get("QBO_HTTP_TIMEOUT", 30.0),
    )


def current_connection(session: DbSession) -> QboConnection | None:
    """The connection in use (connected or needing reconnection), if any."""
    return session.scalars(
        select(QboConnection).where(QboConnection.status != ConnectionStatus.PENDING_CONFIRMATION)
    ).first()


def pending_connection(session: DbSession) -> QboConnection | None:
    """A connection to another company waiting for the admin's confirmation."""
    return session.scalars(
        select(QboConnection).where(QboConnection.status == ConnectionStatus.PENDING_CONFIRMATION)
    ).first()


def limiter_for(config: Mapping[str, Any], redis: Redis) -> RateLimiter:
    """The Redis-shared limiter that keeps each realm inside QBO's limits."""
    return RateLimiter(
        redis, window_seconds=config.get("QBO_RATE_WINDOW_SECONDS", 60.0), spread=True
    )


def client_for(
    config: Mapping[str, Any],
    engine: Engine,
    redis: Redis,
    realm_id: str,
    on_exchange: Callable[[Exchange], None] | None = None,
    on_pause: Callable[[float], None] | None = None,
) -> QBOClient:
    """A QBO client for the realm, with single-flight token refresh and the shared limiter."""
    tokens = ConnectionTokens(
        realm_id, engine=engine, redis=redis, oauth=oauth_for(config), cipher=cipher_for(config)
    )
    endpoints = QBOEndpoints.from_config(dict(config))
    return QBOClient(
        base_url=endpoints.api_base,
        realm_id=realm_id,
        tokens=tokens,
        limiter=limiter_for(config, redis),
        on_exchange=on_exchange,
        on_pause=on_pause,
        minor_version=config.get("QBO_MINOR_VERSION", 75),
        timeout=config.get("QBO_HTTP_TIMEOUT", 30.0),
        batch_timeout=config.get("QBO_BATCH_TIMEOUT", BATCH_TIMEOUT),
        max_retries=config.get("QBO_MAX_RETRIES", 5),
        backoff_base=config.get("QBO_BACKOFF_BASE", 0.5),
        throttle_wait=config.get("QBO_THROTTLE_WAIT_SECONDS", THROTTLE_WAIT_MAX),
        concurrency=int(config.get("QBO_PUSH_CONCURRENCY", 1)),
    )


class _FixedTokens:
    """Tokens just received from the code exchange, used to read the company once."""

    def __init__(self, access_token: str) -> None:
        self._token = access_token

    def access_token(self) -> str:
        return self._token

    def refresh(self, rejected_token: str) -> str:
        raise ReconnectRequired("The new authorization was refused; connect again.")


@dataclass(frozen=True)
class CompanyDetails:
    """What the connect page shows about the company."""

    name: str | None
    country: str | None
    home_currency: str | None
    multicurrency: bool
    automated_sales_tax: bool = False


def is_us(country: str | None) -> bool:
    """True for a US company (a missing country counts as US; CompanyInfo says "US" or "USA")."""
    return (country or "US").upper() in ("US", "USA", "UNITED STATES")


def partner_tax_enabled(prefs: Mapping[str, Any]) -> bool:
    """Whether QBO Preferences say the company uses US automated sales tax."""
    return bool((prefs.get("TaxPrefs") or {}).get("PartnerTaxEnabled"))


def read_company(config: Mapping[str, Any], realm_id: str, access_token: str) -> CompanyDetails:
    """CompanyInfo and Preferences of the company just authorised."""
    endpoints = QBOEndpoints.from_config(dict(config))
    with QBOClient(
        base_url=endpoints.api_base,
        realm_id=realm_id,
        tokens=_FixedTokens(access_token),
        max_retries=2,
        timeout=config.get("QBO_HTTP_TIMEOUT", 30.0),
    ) as client:
        info = client.company_info()
        prefs = client.preferences()
    currency = prefs.get("CurrencyPrefs") or {}
    home = (currency.get("HomeCurrency") or {}).get("value")
    return CompanyDetails(
        name=info.get("CompanyName"),
        country=info.get("Country"),
        home_currency=home,
        multicurrency=bool(currency.get("MultiCurrencyEnabled")),
        automated_sales_tax=is_us(info.get("Country")) and partner_tax_enabled(prefs),
    )


def other_realms_in_use(session: DbSession, realm_id: str) -> list[str]:
    """Realms other than ``realm_id`` that links or the current connection belong to."""
    realms = set(
        session.scalars(select(QboLink.realm_id).where(QboLink.realm_id != realm_id).distinct())
    )
    current = current_connection(session)
    if current is not None and current.realm_id != realm_id:
        realms.add(current.realm_id)
    return sorted(realms)


def complete_authorization(
    session: DbSession,
    config: Mapping[str, Any],
    oauth: QBOOAuth,
    code: str,
    realm_id: str,
    user_id: int | None,
) -> QboConnection:
    """Exchange the code and save the connection; pending when another company is in use."""
    session.commit()  # no transaction stays open across the calls to Intuit and QuickBooks
    tokens = oauth.exchange_code(code)
    details = read_company(config, realm_id, tokens.access_token)
    cipher = cipher_for(config)
    session.execute(
        delete(QboConnection).where(QboConnection.status == ConnectionStatus.PENDING_CONFIRMATION)
    )
    switching = bool(other_realms_in_use(session, realm_id))
    row = session.scalars(select(QboConnection).where(QboConnection.realm_id == realm_id)).first()
    if row is None:
        row = QboConnection(realm_id=realm_id)
        session.add(row)
    row.environment = config["QBO_ENVIRONMENT"]
    row.status = ConnectionStatus.PENDING_CONFIRMATION if switching else ConnectionStatus.CONNECTED
    row.status_reason = None
    _describe(row, details, tokens, cipher, user_id)
    session.commit()
    return row


def _describe(
    row: QboConnection,
    details: CompanyDetails,
    tokens: TokenSet,
    cipher: TokenCipher,
    user_id: int | None,
) -> None:
    store_tokens(row, tokens, cipher)
    row.company_name = details.name
    row.country = details.country
    row.home_currency = details.home_currency
    row.multicurrency_enabled = details.multicurrency
    row.automated_sales_tax = details.automated_sales_tax
    row.connected_by_id = user_id
    row.connected_at = utcnow()


def confirm_switch(session: DbSession, config: Mapping[str, Any]) -> QboConnection | None:
    """Make the pending company the connected one; the previous connection is revoked."""
    pending = pending_connection(session)
    if pending is None:
        return None
    previous = current_connection(session)
    if previous is not None:
        _revoke(config, previous)
        session.delete(previous)
        session.flush()
    pending.status = ConnectionStatus.CONNECTED
    session.commit()
    return pending


def cancel_switch(session: DbSession, config: Mapping[str, Any]) -> None:
    """Forget the pending company's authorization (revoked at Intuit)."""
    pending = pending_connection(session)
    if pending is not None:
        _revoke(config, pending)
        session.delete(pending)
        session.commit()


def disconnect(session: DbSession, config: Mapping[str, Any]) -> bool:
    """Revoke the token at Intuit and delete it locally; links are kept for a reconnect."""
    row = current_connection(session)
    if row is None:
        return False
    _revoke(config, row)
    session.delete(row)
    session.commit()
    return True


def _revoke(config: Mapping[str, Any], row: QboConnection) -> None:
    try:
        token = cipher_for(config).decrypt(row.refresh_token_enc)
        if not oauth_for(config).revoke(token):
            log.warning("QuickBooks did not confirm the revocation for realm %s", row.realm_id)
    except (QBOError, ValueError, OSError) as exc:
        # The local tokens are deleted whatever Intuit answers: never keep them around.
        log.warning("Revocation for realm %s failed: %s", row.realm_id, type(exc).__name__)
