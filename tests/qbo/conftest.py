"""Fixtures for the QBO client tests (Redis comes from the suite-wide redis_url fixture)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis as redis_lib


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
