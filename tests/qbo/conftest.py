"""Fixtures for the QBO client tests (Redis comes from the suite-wide redis_url fixture)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis as redis_lib
import requests

from app.qbo.client import Exchange, QBOClient
from app.qbo.faults import ReconnectRequired
from app.qbo.ratelimit import RateLimiter


@pytest.fixture
def redis_conn(redis_url: str) -> Iterator[redis_lib.Redis]:
    """A Redis connection; tests isolate themselves with unique realm ids and key prefixes."""
    conn = redis_lib.Redis.from_url(redis_url)
    yield conn
    conn.close()


@pytest.fixture
def key_prefix(redis_conn: redis_lib.Redis) -> Iterator[str]:
    """A private limiter key prefix, cleaned up afterwards."""
    prefix = f"test:qbo:rl:{uuid.uuid4().hex[:8]}"
    yield prefix
    for key in redis_conn.scan_iter(f"{prefix}:*"):
        redis_conn.delete(key)


# ------------------------------------------------------------------ the QBO emulator

# Every time window of the emulator is this many times shorter: QBO's one-minute throttle
# windows last 3 s, so limiter tests run in seconds, and a 1-hour access token lasts 3 min.
TIME_SCALE = 20.0
WINDOW_SECONDS = 60.0 / TIME_SCALE


class EmulatorTokens:
    """A TokenSource that refreshes against the emulator's real OAuth token endpoint."""

    def __init__(self, emulator_url: str, tokens: dict[str, Any], client: tuple[str, str]) -> None:
        self.url = f"{emulator_url}/oauth2/v1/tokens/bearer"
        self.access = str(tokens["access_token"])
        self.refresh_token = str(tokens["refresh_token"])
        self.client = client
        self.refreshes = 0
        self.issued: list[str] = [self.access, self.refresh_token]
        self.lock = threading.Lock()

    def access_token(self) -> str:
        """The current access token."""
        return self.access

    def refresh(self, rejected_token: str) -> str:
        """Refresh once per rejected token, keeping the rotated refresh token."""
        with self.lock:
            if rejected_token != self.access:
                return self.access  # another thread already refreshed
            resp = requests.post(
                self.url,
                data={"grant_type": "refresh_token", "refresh_token": self.refresh_token},
                auth=self.client,
                headers={"Accept": "application/json"},
                timeout=10,
            )
            if resp.status_code == 400 and resp.json().get("error") == "invalid_grant":
                raise ReconnectRequired("invalid_grant", status=400, code="invalid_grant")
            resp.raise_for_status()
            answer = resp.json()
            self.access = answer["access_token"]
            self.refresh_token = answer["refresh_token"]
            self.issued += [self.access, self.refresh_token]
            self.refreshes += 1
            return self.access


@dataclass
class Company:
    """A fresh emulator company with a client wired to it."""

    realm_id: str
    tokens: EmulatorTokens
    client: QBOClient
    exchanges: list[Exchange]
    emulator: Any

    def stats(self) -> dict[str, Any]:
        """The emulator's request statistics for this company."""
        return self.emulator.control("GET", f"stats?realm={self.realm_id}")

    def faults(self, *rules: dict[str, Any]) -> None:
        """Inject fault rules scoped to this company."""
        self.emulator.control(
            "POST", "faults", {"rules": [{"realm": self.realm_id, **rule} for rule in rules]}
        )

    def count(self, entity: str) -> int:
        """Active objects of an entity, straight from the emulator's store."""
        return int(self.stats()["objects"][entity]["active"])


@pytest.fixture(scope="session")
def emulator() -> Iterator[Any]:
    """One emulator for the session (time-scaled, throttling on as in production).

    It runs in its own process: QBO stamps arrivals without sharing an interpreter lock with
    the client threads, so its one-second windows are measured as the real service would.
    """
    from qbo_emulator.testing import SpawnedEmulator

    running = SpawnedEmulator(time_scale=TIME_SCALE)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def limiter(redis_conn: redis_lib.Redis, key_prefix: str) -> RateLimiter:
    """A limiter matched to the emulator's time scale."""
    return RateLimiter(
        redis_conn, window_seconds=WINDOW_SECONDS, key_prefix=key_prefix, spread=True
    )


@pytest.fixture
def make_company(emulator: Any, limiter: RateLimiter) -> Iterator[Callable[..., Company]]:
    """Factory: a new company (sample data) and a QBOClient for it."""
    made: list[Company] = []

    def make(**client_options: Any) -> Company:
        created = emulator.control("POST", "companies", {"seed": "sample"})
        realm = created["realm_id"]
        answer = emulator.control("POST", f"companies/{realm}/tokens", {})
        tokens = EmulatorTokens(emulator.url, answer, (emulator.client_id, emulator.client_secret))
        exchanges: list[Exchange] = []
        options: dict[str, Any] = {
            "limiter": limiter, "backoff_base": 0.01, "backoff_cap": 0.2, "timeout": 10.0,
            "on_exchange": exchanges.append, **client_options,
        }  # fmt: skip
        client = QBOClient(base_url=emulator.url, realm_id=realm, tokens=tokens, **options)
        company = Company(realm, tokens, client, exchanges, emulator)
        made.append(company)
        return company

    yield make
    for company in made:
        company.client.close()
    emulator.control("DELETE", "faults")


@pytest.fixture
def company(make_company: Callable[..., Company]) -> Company:
    """A fresh company with a client."""
    return make_company()
