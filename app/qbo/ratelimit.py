"""Per-realm QBO rate limiter shared by every process through Redis.

QBO allows, per realm and app, 500 requests a minute, 40 batch requests a minute, 10 requests
a second and (older rule) 10 concurrent requests. Each acquisition runs one Lua script that
checks every limit against sliding-window logs and takes a concurrency lease atomically, so
web processes and RQ workers on any number of machines share one budget. Times come from the
Redis server clock, so machines with drifting clocks still agree.

With ``spread`` the per-second budget is paced: grants are at least 1/limit of a second apart,
so a second's worth never leaves at once, and the jitter between a grant and its arrival at
QBO cannot crowd two seconds' worth into one of QBO's seconds.
"""

from __future__ import annotations

import contextlib
import math
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["RateLimitTimeout", "RateLimiter"]

_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
local req_limit = tonumber(ARGV[2])
local batch_limit = tonumber(ARGV[3])
local is_batch = ARGV[4] == '1'
local concurrency = tonumber(ARGV[5])
local lease = tonumber(ARGV[6])
local member = ARGV[7]
local sec_window = tonumber(ARGV[8])
local sec_limit = tonumber(ARGV[9])
local spacing = tonumber(ARGV[11])
local dry = ARGV[12] == '1'
-- Grants are spaced a little more than a window apart: a request granted here may reach QBO
-- later than one granted after it, and QBO counts arrivals.
window = window + tonumber(ARGV[10])

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)

local wait = 0
local reason = ''
local blocked = redis.call('PTTL', KEYS[4])
if blocked > 0 then
  wait = blocked * 1000
  reason = 'penalty'
end

-- The k-th newest entry decides when a slot frees: it must age out of the window.
local function window_wait(key, limit, span)
  local n = redis.call('ZCARD', key)
  if n < limit then return 0 end
  local e = redis.call('ZRANGE', key, n - limit, n - limit, 'WITHSCORES')
  return tonumber(e[2]) + span - now
end

local w = window_wait(KEYS[1], req_limit, window)
if w > wait then wait = w; reason = 'minute' end
if is_batch then
  w = window_wait(KEYS[2], batch_limit, window)
  if w > wait then wait = w; reason = 'batch' end
end
if sec_limit > 0 then
  w = window_wait(KEYS[1], sec_limit, sec_window)
  if w > wait then wait = w; reason = 'second' end
end
if spacing > 0 then
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  if last[2] then
    w = tonumber(last[2]) + spacing - now
    if w > wait then wait = w; reason = 'second' end
  end
end
if wait <= 0 and redis.call('ZCARD', KEYS[3]) >= concurrency then
  return {0, -1, 'concurrency'}
end
if wait > 0 then
  return {0, math.ceil(wait), reason}
end
if dry then
  return {1, 0, ''}
end

redis.call('ZADD', KEYS[1], now, member)
if is_batch then redis.call('ZADD', KEYS[2], now, member) end
redis.call('ZADD', KEYS[3], now + lease, member)
local keep = math.ceil((window + lease) / 1000) + 1000
redis.call('PEXPIRE', KEYS[1], keep)
redis.call('PEXPIRE', KEYS[2], keep)
redis.call('PEXPIRE', KEYS[3], keep)
return {1, 0, ''}
"""

_RELEASE = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('LPUSH', KEYS[2], '1')
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
redis.call('PEXPIRE', KEYS[2], 60000)
return 1
"""

_PENALIZE = """
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then
  redis.call('SET', KEYS[1], '1', 'PX', ms)
end
return 1
"""


class RateLimitTimeout(TimeoutError):
    """The limiter could not grant a slot before the caller's deadline."""


class RateLimiter:
    """Sliding-window + concurrency limiter per realm, shared through Redis."""

    def __init__(
        self,
        redis: Any,
        *,
        per_minute: int = 500,
        batch_per_minute: int = 40,
        concurrency: int = 10,
        window_seconds: float = 60.0,
        safety: float = 0.95,
        per_second: int | None = 10,
        lease_seconds: float = 120.0,
        slack_seconds: float | None = None,
        spread: bool = False,
        key_prefix: str = "ledgerhub:qbo:rl",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not 0 < safety <= 1:
            raise ValueError("safety must be in (0, 1]")
        self._redis = redis
        # The safety margin absorbs network jitter between our clock and QBO's counters:
        # requests admitted 1 ms apart here may arrive closer together there.
        self.request_limit = max(1, math.floor(per_minute * safety))
        self.batch_limit = max(1, math.floor(batch_per_minute * safety))
        self.second_limit = max(1, math.floor(per_second * safety)) if per_second else 0
        self.concurrency = concurrency
        self.window_seconds = window_seconds
        # "Per second" scales with the window so a time-scaled test QBO keeps the same shape.
        self.second_seconds = window_seconds / 60.0
        self.lease_seconds = lease_seconds
        # Default 1% of the window (0.6 s for QBO's minute): covers the spread in network delay
        # between two requests, at a cost of about 1% of throughput.
        self.slack_seconds = window_seconds / 100 if slack_seconds is None else slack_seconds
        # Pacing leaves a tenth of a grant's share spare, for the same jitter as the slack.
        self.spacing_seconds = (
            self.second_seconds / self.second_limit * 1.1 if spread and self.second_limit else 0.0
        )
        self.key_prefix = key_prefix
        self._sleep = sleep
        self._acquire = redis.register_script(_ACQUIRE)
        self._release = redis.register_script(_RELEASE)
        self._penalize = redis.register_script(_PENALIZE)
        # Waiting for a concurrency slot blocks on a notify list; this caps each block so a
        # lease that expires (killed holder) is noticed without a release.
        self._poll_seconds = max(0.01, min(0.25, window_seconds / 240))

    def _keys(self, realm_id: str) -> list[str]:
        """Redis keys for one realm; the {realm} hash tag keeps them in one cluster slot."""
        base = f"{self.key_prefix}:{{{realm_id}}}"
        return [f"{base}:req", f"{base}:batch", f"{base}:inflight", f"{base}:penalty"]

    def try_acquire(
        self, realm_id: str, *, batch: bool = False, lease_seconds: float | None = None
    ) -> tuple[str | None, float]:
        """One attempt: (lease id, 0) when granted, else (None, seconds to wait or -1)."""
        lease_id, wait, _reason = self._try(realm_id, batch=batch, lease_seconds=lease_seconds)
        return lease_id, wait

    def wait_estimate(self, realm_id: str, *, batch: bool = False) -> tuple[float, str]:
        """Seconds until a request (or batch request) could be granted, and the limit that decides.

        Takes nothing: (0, "") when a slot is free now, (-1, "concurrency") when every
        concurrent slot is held, else the wait and "minute", "batch", "second" or "penalty".
        A sender uses it to choose between a batch and single requests.
        """
        _member, wait, reason = self._try(realm_id, batch=batch, lease_seconds=None, dry=True)
        return wait, reason

    def _try(
        self, realm_id: str, *, batch: bool, lease_seconds: float | None, dry: bool = False
    ) -> tuple[str | None, float, str]:
        """One attempt, also saying which limit makes the caller wait ("penalty" after a 429)."""
        member = uuid.uuid4().hex
        lease = self.lease_seconds if lease_seconds is None else lease_seconds
        ok, wait_us, reason = self._acquire(
            keys=self._keys(realm_id),
            args=[
                int(self.window_seconds * 1_000_000),
                self.request_limit,
                self.batch_limit,
                "1" if batch else "0",
                self.concurrency,
                int(lease * 1_000_000),
                member,
                int(self.second_seconds * 1_000_000),
                self.second_limit,
                int(self.slack_seconds * 1_000_000),
                int(self.spacing_seconds * 1_000_000),
                "1" if dry else "0",
            ],
        )
        if int(ok) == 1:
            return member, 0.0, ""
        why = reason.decode() if isinstance(reason, bytes) else str(reason)
        return None, (-1.0 if int(wait_us) < 0 else int(wait_us) / 1_000_000), why

    def release(self, realm_id: str, lease_id: str) -> None:
        """Give back a concurrency slot and wake one waiter."""
        keys = self._keys(realm_id)
        self._release(keys=[keys[2], f"{keys[2]}:notify"], args=[lease_id, self.concurrency])

    @contextlib.contextmanager
    def acquire(
        self,
        realm_id: str,
        batch: bool = False,
        deadline: float | None = None,
        *,
        lease_seconds: float | None = None,
        on_pause: Callable[[float], None] | None = None,
    ) -> Iterator[None]:
        """Block until a request may be sent now; deadline is a time.monotonic() value."""
        lease_id = self.wait_for_slot(
            realm_id, batch=batch, deadline=deadline, lease_seconds=lease_seconds,
            on_pause=on_pause,
        )
        try:
            yield
        finally:
            self.release(realm_id, lease_id)

    def wait_for_slot(
        self,
        realm_id: str,
        *,
        batch: bool = False,
        deadline: float | None = None,
        lease_seconds: float | None = None,
        on_pause: Callable[[float], None] | None = None,
    ) -> str:
        """Sleep the computed wait until a slot is granted; return the lease id.

        on_pause hears of every wait caused by a 429 pause (from any process), with its length.
        """
        notify_key = f"{self._keys(realm_id)[2]}:notify"
        while True:
            lease_id, wait, reason = self._try(realm_id, batch=batch, lease_seconds=lease_seconds)
            if lease_id is not None:
                return lease_id
            now = time.monotonic()
            if wait < 0:
                # All slots busy: wait for a release (or poll, in case a holder died).
                block = self._poll_seconds
                if deadline is not None:
                    if now >= deadline:
                        raise RateLimitTimeout(f"no free QBO request slot for realm {realm_id}")
                    block = min(block, deadline - now)
                self._redis.blpop([notify_key], timeout=max(block, 0.001))
                continue
            if deadline is not None and now + wait > deadline:
                raise RateLimitTimeout(
                    f"QBO rate limit for realm {realm_id} needs {wait:.3f}s, past the deadline"
                )
            if reason == "penalty" and on_pause is not None:
                on_pause(wait)
            self._sleep(wait)

    def penalize(self, realm_id: str, seconds: float) -> None:
        """Hold every process's requests for this realm (after QBO answered 429)."""
        if seconds > 0:
            self._penalize(keys=[self._keys(realm_id)[3]], args=[max(1, int(seconds * 1000))])

    def usage(self, realm_id: str) -> dict[str, int]:
        """Requests and batch requests in the current window, and requests in flight."""
        req, batch, inflight, _ = self._keys(realm_id)
        sec, usec = self._redis.time()
        now = sec * 1_000_000 + usec
        lo = f"({now - int((self.window_seconds + self.slack_seconds) * 1_000_000)}"
        return {
            "requests": int(self._redis.zcount(req, lo, "+inf")),
            "batch": int(self._redis.zcount(batch, lo, "+inf")),
            "in_flight": int(self._redis.zcount(inflight, f"({now}", "+inf")),
        }

    def reset(self, realm_id: str) -> None:
        """Forget all usage for a realm (tests, or after reconnecting a company)."""
        keys = self._keys(realm_id)
        self._redis.delete(*keys, f"{keys[2]}:notify")
