"""Code run in child processes by the shared-limiter test (importable by spawn)."""

from __future__ import annotations

import threading
from typing import Any

import redis as redis_lib

from app.qbo.client import QBOClient
from app.qbo.ratelimit import RateLimiter


class FixedToken:
    """A token source for a short run that never needs a refresh."""

    def __init__(self, token: str) -> None:
        self.token = token

    def access_token(self) -> str:
        """The token."""
        return self.token

    def refresh(self, rejected_token: str) -> str:
        """Nothing to refresh with in a child process."""
        raise AssertionError("unexpected 401 in a throttle run")


def hammer(
    base_url: str,
    realm_id: str,
    token: str,
    redis_url: str,
    key_prefix: str,
    window_seconds: float,
    requests_per_thread: int,
    threads: int,
) -> list[tuple[float, int | None]]:
    """Read CompanyInfo as fast as the shared limiter allows; (send time, status) per attempt."""
    conn = redis_lib.Redis.from_url(redis_url)
    limiter = RateLimiter(conn, window_seconds=window_seconds, key_prefix=key_prefix,
                          spread=True)
    seen: list[tuple[float, int | None]] = []
    lock = threading.Lock()

    def record(exchange: Any) -> None:
        with lock:
            seen.append((exchange.started_at, exchange.status))

    def run() -> None:
        client = QBOClient(base_url=base_url, realm_id=realm_id, tokens=FixedToken(token),
                           limiter=limiter, on_exchange=record, backoff_base=0.01,
                           backoff_cap=0.1)  # fmt: skip
        for _ in range(requests_per_thread):
            client.company_info()
        client.close()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    conn.close()
    return seen
