"""Failed logins from one network address: after a few, each next try must wait longer."""

from __future__ import annotations

import logging
import math

from flask import current_app
from redis.exceptions import RedisError

from app.extensions import get_redis

log = logging.getLogger(__name__)
_PREFIX = "ledgerhub:login"


def _keys(address: str) -> tuple[str, str]:
    return f"{_PREFIX}:failures:{address}", f"{_PREFIX}:wait:{address}"


def wait_seconds(address: str) -> int:
    """Seconds this address must still wait before its next login attempt (0: go ahead)."""
    try:
        remaining_ms = get_redis().pttl(_keys(address)[1])
    except RedisError:
        # The per-account lock-out still applies; an unreachable Redis must not stop logins.
        log.warning("Login throttle unavailable (Redis); per-address slowing skipped")
        return 0
    return math.ceil(remaining_ms / 1000) if remaining_ms and remaining_ms > 0 else 0


def record_failure(address: str) -> None:
    """Count a failed login; past the free allowance the wait doubles with each failure."""
    cfg = current_app.config
    window = cfg["LOGIN_LOCKOUT_MINUTES"] * 60
    failures_key, wait_key = _keys(address)
    try:
        redis = get_redis()
        with redis.pipeline() as pipe:
            pipe.incr(failures_key)
            pipe.expire(failures_key, window)
            failures = int(pipe.execute()[0])
        beyond = failures - cfg["LOGIN_ADDRESS_FREE_FAILURES"]
        if beyond >= 0:  # 2 s, 4 s, 8 s, ... up to the lock-out window
            redis.set(wait_key, failures, ex=min(2 ** min(beyond + 1, 20), window))
    except RedisError:
        log.warning("Login throttle unavailable (Redis); failure not counted")
