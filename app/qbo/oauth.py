"""OAuth 2.0 with Intuit (or the emulator): discovery, authorization, tokens, revocation.

The authorization-code flow and refreshes go through Authlib's OAuth2Session; endpoints come
from the environment's discovery document.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from app.config import QBO_API_BASE, QBO_DISCOVERY
from app.models.base import utcnow
from app.qbo.faults import QBOError

SCOPE = "com.intuit.quickbooks.accounting"
_DISCOVERY_TTL = 3600.0
_discovery_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_discovery_lock = threading.Lock()


class OAuthFailure(QBOError):
    """The token endpoint refused a request (other than invalid_grant)."""


class InvalidGrant(OAuthFailure):
    """The refresh token or code is no longer valid: the admin must reconnect."""


@dataclass(frozen=True)
class TokenSet:
    """Tokens as the token endpoint returned them, with absolute expiry times."""

    access_token: str
    refresh_token: str
    access_expires_at: datetime
    refresh_expires_at: datetime | None
    # The authorization's 5-year end (Intuit's late-2025 policy); None from older answers.
    hard_expires_at: datetime | None = None

    @classmethod
    def from_response(cls, data: dict[str, Any], now: datetime | None = None) -> TokenSet:
        """Build from Intuit's token response."""
        now = now or utcnow()

        def at(key: str) -> datetime | None:
            seconds = data.get(key)
            return now + timedelta(seconds=int(seconds)) if seconds else None

        return cls(
            access_token=data["access_token"],
            refresh_token=data["refresh_token"],
            access_expires_at=now + timedelta(seconds=int(data.get("expires_in", 3600))),
            refresh_expires_at=at("x_refresh_token_expires_in"),
            hard_expires_at=at("x_refresh_token_hard_expires_in"),
        )


@dataclass(frozen=True)
class QBOEndpoints:
    """Where an environment's OAuth server and Accounting API live."""

    environment: str
    discovery_url: str
    api_base: str

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> QBOEndpoints:
        """Endpoints for ``QBO_ENVIRONMENT`` (emulator, sandbox or production)."""
        env = config["QBO_ENVIRONMENT"]
        if env == "emulator":
            base = config["QBO_EMULATOR_URL"].rstrip("/")
            return cls(env, f"{base}/.well-known/openid_configuration", base)
        if env not in QBO_DISCOVERY:
            raise ValueError(f"QBO_ENVIRONMENT must be emulator, sandbox or production: {env!r}")
        return cls(env, QBO_DISCOVERY[env], QBO_API_BASE[env])

    def discovery(self) -> dict[str, Any]:
        """The discovery document, cached for an hour per process."""
        with _discovery_lock:
            cached = _discovery_cache.get(self.discovery_url)
            if cached and cached[0] > time.monotonic():
                return cached[1]
        response = requests.get(
            self.discovery_url, timeout=15, headers={"Accept": "application/json"}
        )
        response.raise_for_status()
        document = response.json()
        with _discovery_lock:
            _discovery_cache[self.discovery_url] = (time.monotonic() + _DISCOVERY_TTL, document)
        return document


class QBOOAuth:
    """The app's OAuth client: authorization URL, code exchange, refresh, revoke."""

    def __init__(
        self,
        endpoints: QBOEndpoints,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        timeout: float = 30.0,
    ) -> None:
        self.endpoints = endpoints
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.timeout = timeout

    def _session(self, **kwargs: Any) -> OAuth2Session:
        return OAuth2Session(
            self.client_id,
            self.client_secret,
            scope=SCOPE,
            redirect_uri=self.redirect_uri,
            token_endpoint_auth_method="client_secret_basic",  # noqa: S106
            **kwargs,
        )

    def authorization_url(self) -> tuple[str, str]:
        """The consent page URL and the state value to check on the way back."""
        state = generate_token(40)
        with self._session() as session:
            url, _ = session.create_authorization_url(
                self.endpoints.discovery()["authorization_endpoint"], state=state
            )
        return url, state

    def exchange_code(self, code: str) -> TokenSet:
        """Trade the authorization code for tokens."""
        with self._session() as session:
            data = self._call(
                lambda: session.fetch_token(
                    self.endpoints.discovery()["token_endpoint"],
                    grant_type="authorization_code",
                    code=code,
                    timeout=self.timeout,
                )
            )
        return TokenSet.from_response(dict(data))

    def refresh(self, refresh_token: str) -> TokenSet:
        """Use the refresh token; Intuit may rotate it (the answer carries the one to keep)."""
        with self._session() as session:
            data = self._call(
                lambda: session.refresh_token(
                    self.endpoints.discovery()["token_endpoint"],
                    refresh_token=refresh_token,
                    timeout=self.timeout,
                )
            )
        return TokenSet.from_response(dict(data))

    def revoke(self, token: str) -> bool:
        """Revoke the grant at Intuit (JSON body, HTTP Basic); True when it answered 200."""
        response = requests.post(
            self.endpoints.discovery()["revocation_endpoint"],
            json={"token": token},
            auth=(self.client_id, self.client_secret),
            timeout=self.timeout,
            headers={"Accept": "application/json"},
        )
        return response.status_code == 200

    @staticmethod
    def _call(fn: Any) -> Any:
        try:
            return fn()
        except OAuthError as exc:
            if exc.error == "invalid_grant":
                raise InvalidGrant(
                    "QuickBooks refused the authorization (invalid_grant)",
                    status=400,
                    code="invalid_grant",
                ) from None
            raise OAuthFailure(
                f"QuickBooks token endpoint: {exc.error}", status=400, code=str(exc.error)
            ) from None
        except requests.RequestException as exc:
            raise OAuthFailure(
                f"QuickBooks token endpoint unreachable: {type(exc).__name__}", status=None
            ) from None
