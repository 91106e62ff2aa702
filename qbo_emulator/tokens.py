"""The OAuth 2.0 authorization server's state: clients, codes, grants, access tokens."""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from . import errors
from .config import Clock
from .store import Store

ACCESS_LIFETIME = 3600
REFRESH_LIFETIME = 8726400  # what Intuit reports in x_refresh_token_expires_in
HARD_CAP = 5 * 365 * 86400  # five years from the first authorization
CODE_LIFETIME = 600


class OAuthError(Exception):
    """An OAuth error answer: `error` code and HTTP status."""

    def __init__(self, error: str, status: int = 400, description: str = "") -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.description = description


@dataclass
class Client:
    """A registered app."""

    client_id: str
    client_secret: str
    redirect_uris: list[str]


@dataclass
class Grant:
    """One authorization (client x company) with its current refresh token and access tokens."""

    grant_id: str
    client_id: str
    realm_id: str
    refresh_token: str
    refresh_expires: float
    hard_cap: float
    revoked: bool = False
    access: dict[str, float] = field(default_factory=dict)  # access token -> expiry


class TokenServer:
    """Issues and checks tokens. Thread-safe; persisted through the store when it has a file."""

    def __init__(self, store: Store, clock: Clock, rotate: bool = True) -> None:
        self.store = store
        self.clock = clock
        self.rotate = rotate
        self.lock = threading.Lock()
        self.clients: dict[str, Client] = {}
        self.codes: dict[str, tuple[str, str, str, float]] = {}
        self.grants: dict[str, Grant] = {}
        self.by_refresh: dict[str, str] = {}
        self.by_access: dict[str, str] = {}
        self.retired: dict[str, str] = {}  # rotated-out refresh token -> grant id
        self.spent: dict[str, str] = {}  # used authorization code -> realm id
        for data in store.load_globals("client").values():
            self.clients[data["client_id"]] = Client(**data)
        for data in store.load_globals("grant").values():
            self._index(Grant(**data))

    def _index(self, grant: Grant) -> None:
        self.grants[grant.grant_id] = grant
        self.by_refresh[grant.refresh_token] = grant.grant_id
        for token in grant.access:
            self.by_access[token] = grant.grant_id

    def _save(self, grant: Grant) -> None:
        self.store.save_global("grant", grant.grant_id, asdict(grant))

    def register(self, client_id: str, secret: str, redirect_uris: list[str]) -> Client:
        """Add or replace a client."""
        client = Client(client_id, secret, list(redirect_uris))
        with self.lock:
            self.clients[client_id] = client
        self.store.save_global("client", client_id, asdict(client))
        return client

    def authenticate(self, header: str | None) -> Client:
        """The client named by an HTTP Basic header; invalid_client (401) otherwise."""
        if not header or not header.startswith("Basic "):
            raise OAuthError("invalid_client", 401)
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise OAuthError("invalid_client", 401) from exc
        client_id, _, secret = decoded.partition(":")
        client = self.clients.get(client_id)
        if client is None or not secrets.compare_digest(client.client_secret, secret):
            raise OAuthError("invalid_client", 401)
        return client

    def issue_code(self, client: Client, redirect_uri: str, realm_id: str) -> str:
        """An authorization code for the consent redirect."""
        code = "AB" + secrets.token_urlsafe(30)
        with self.lock:
            expires = time.time() + self.clock.window(CODE_LIFETIME)
            self.codes[code] = (client.client_id, redirect_uri, realm_id, expires)
        return code

    def exchange_code(self, client: Client, code: str, redirect_uri: str) -> tuple[Grant, dict]:
        """authorization_code grant: codes are single-use and bound to client and redirect_uri."""
        with self.lock:
            entry = self.codes.pop(code, None)
            if entry is None:
                raise OAuthError("invalid_grant")
            client_id, uri, realm_id, expires = entry
            self.spent[code] = realm_id
            if client_id != client.client_id or uri != redirect_uri or time.time() > expires:
                raise OAuthError("invalid_grant")
            return self._new_grant(client.client_id, realm_id)

    def direct(self, client_id: str, realm_id: str) -> tuple[Grant, dict]:
        """Tokens without consent (control plane)."""
        with self.lock:
            return self._new_grant(client_id, realm_id)

    def _new_grant(self, client_id: str, realm_id: str) -> tuple[Grant, dict]:
        now = time.time()
        grant = Grant(
            grant_id=secrets.token_hex(8),
            client_id=client_id,
            realm_id=realm_id,
            refresh_token="RT1-" + secrets.token_urlsafe(36),
            refresh_expires=now + self.clock.window(REFRESH_LIFETIME),
            hard_cap=now + self.clock.window(HARD_CAP),
        )
        answer = self._access(grant, now)
        self._index(grant)
        self._save(grant)
        return grant, answer

    def _access(self, grant: Grant, now: float) -> dict[str, Any]:
        token = "eyJ" + secrets.token_urlsafe(90)
        lifetime = self.clock.window(ACCESS_LIFETIME)
        grant.access = {t: exp for t, exp in grant.access.items() if exp > now}
        grant.access[token] = now + lifetime
        self.by_access[token] = grant.grant_id
        return {
            "token_type": "bearer",
            "access_token": token,
            "expires_in": max(1, round(lifetime)),
            "refresh_token": grant.refresh_token,
            "x_refresh_token_expires_in": max(1, round(grant.refresh_expires - now)),
            # Intuit's late-2025 policy: the 5-year end of the authorization, counted from the
            # first consent and never moved by a refresh (qbo-api-notes "OAuth").
            "x_refresh_token_hard_expires_in": max(1, round(grant.hard_cap - now)),
        }

    def refresh(self, client: Client, refresh_token: str) -> tuple[Grant, dict]:
        """refresh_token grant, rotating the refresh token when configured."""
        with self.lock:
            grant = self.grants.get(self.by_refresh.get(refresh_token, ""))
            now = time.time()
            if (
                grant is None
                or grant.revoked
                or grant.client_id != client.client_id
                or grant.refresh_token != refresh_token
                or now > grant.refresh_expires
                or now > grant.hard_cap
            ):
                raise OAuthError("invalid_grant")
            if self.rotate:
                del self.by_refresh[refresh_token]
                self.retired[refresh_token] = grant.grant_id
                grant.refresh_token = "RT1-" + secrets.token_urlsafe(36)
                self.by_refresh[grant.refresh_token] = grant.grant_id
            grant.refresh_expires = min(now + self.clock.window(REFRESH_LIFETIME), grant.hard_cap)
            answer = self._access(grant, now)
            self._save(grant)
            return grant, answer

    def realm_of(self, grant_type: str, form: dict[str, str]) -> str | None:
        """The realm a token request is about (also for failing ones), for statistics."""
        with self.lock:
            if grant_type == "authorization_code":
                code = form.get("code", "")
                entry = self.codes.get(code)
                return entry[2] if entry else self.spent.get(code)
            token = form.get("refresh_token", "")
            grant_id = self.by_refresh.get(token) or self.retired.get(token)
            grant = self.grants.get(grant_id or "")
            return grant.realm_id if grant else None

    def revoke(self, token: str) -> bool:
        """Revoke the whole grant an access or refresh token belongs to."""
        with self.lock:
            grant_id = self.by_refresh.get(token) or self.by_access.get(token)
            grant = self.grants.get(grant_id or "")
            if grant is None:
                return False
            grant.revoked = True
            self._save(grant)
            return True

    def check(self, header: str | None, realm_id: str) -> Grant:
        """The grant behind a Bearer header for this realm: 401 3200 / 403 3100 otherwise."""
        if not header or not header.startswith("Bearer "):
            raise errors.auth_failed("Authorization header missing or not a Bearer token")
        token = header[7:].strip()
        with self.lock:
            grant = self.grants.get(self.by_access.get(token, ""))
            if grant is None or grant.revoked:
                raise errors.auth_failed("Token invalid or revoked")
            if time.time() >= grant.access.get(token, 0):
                raise errors.auth_failed("Token expired")
        if grant.realm_id != realm_id:
            raise errors.forbidden()
        return grant

    def expire(self, header: str | None) -> None:
        """Make the presented access token expired from now on."""
        token = (header or "")[7:].strip()
        with self.lock:
            grant = self.grants.get(self.by_access.get(token, ""))
            if grant is not None and token in grant.access:
                grant.access[token] = time.time() - 1
                self._save(grant)

    def age(self, refresh_token: str, seconds: float) -> Grant | None:
        """Move a grant's first authorization back in time (its hard end comes closer)."""
        with self.lock:
            grant = self.grants.get(self.by_refresh.get(refresh_token, ""))
            if grant is None:
                return None
            grant.hard_cap -= seconds
            grant.refresh_expires = min(grant.refresh_expires, grant.hard_cap)
            self._save(grant)
            return grant

    def grant_for(self, header: str | None) -> Grant | None:
        """The grant behind a Bearer header, without checks (for userinfo)."""
        token = (header or "")[7:].strip()
        with self.lock:
            grant = self.grants.get(self.by_access.get(token, ""))
            if grant is None or grant.revoked or time.time() >= grant.access.get(token, 0):
                return None
            return grant

    def reset(self) -> None:
        """Forget codes and grants (clients stay)."""
        with self.lock:
            for grant_id in list(self.grants):
                self.store.save_global("grant", grant_id, None)
            self.codes.clear()
            self.grants.clear()
            self.by_refresh.clear()
            self.by_access.clear()
            self.retired.clear()
            self.spent.clear()
