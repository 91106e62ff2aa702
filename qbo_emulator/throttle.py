"""QBO's rate limits per realm and client: requests a minute and a second, batches a minute.

qbo-api-notes "Limits": 500 requests/minute AND 10 requests/second per realm and app (the
per-second window replaced the older "10 concurrent" rule), 40 batch requests/minute. Every
window is scaled by the emulator's time scale, and measured on its clock so tests can move
time forward instead of sleeping.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from .config import Clock


@dataclass(frozen=True)
class Limits:
    """The windows' sizes; 0 switches a window off."""

    per_minute: int = 500
    per_second: int = 10
    batches_per_minute: int = 40


@dataclass(frozen=True)
class Verdict:
    """The answer for one request: refused by which window (or None), and the second's load."""

    refused: str | None  # "minute" | "second" | "batch" | None when admitted
    in_second: int = 0  # requests admitted in the last (scaled) second, this one included


class Throttle:
    """Sliding windows (time-scaled) per (realm, client) key."""

    def __init__(self, clock: Clock, enabled: bool = True, limits: Limits | None = None) -> None:
        self.clock = clock
        self.enabled = enabled
        self.limits = limits or Limits()
        self.lock = threading.Lock()
        self.requests: dict[tuple[str, str], deque[float]] = {}
        self.batches: dict[tuple[str, str], deque[float]] = {}

    def enter(self, key: tuple[str, str], batch: bool = False) -> Verdict:
        """Admit a request or say which window refuses it."""
        if not self.enabled:
            return Verdict(None)
        limits = self.limits
        with self.lock:
            # Stamped under the lock, so every log stays in arrival order.
            now = self.clock.now()
            minute = now - self.clock.window(60)
            second = now - self.clock.window(1)
            log = _trim(self.requests.setdefault(key, deque()), minute)
            if limits.per_minute and len(log) >= limits.per_minute:
                return Verdict("minute")
            recent = _count_after(log, second, limits.per_second or len(log))
            if limits.per_second and recent >= limits.per_second:
                return Verdict("second", recent)
            if batch:
                batch_log = _trim(self.batches.setdefault(key, deque()), minute)
                if limits.batches_per_minute and len(batch_log) >= limits.batches_per_minute:
                    return Verdict("batch", recent)
                batch_log.append(now)
            log.append(now)
            return Verdict(None, recent + 1)

    def reset(self) -> None:
        """Forget all windows."""
        with self.lock:
            self.requests.clear()
            self.batches.clear()


def _trim(log: deque[float], horizon: float) -> deque[float]:
    while log and log[0] <= horizon:
        log.popleft()
    return log


def _count_after(log: deque[float], horizon: float, cap: int) -> int:
    """Entries newer than horizon, counting from the newest and stopping at cap."""
    count = 0
    for stamp in reversed(log):
        if stamp <= horizon or count >= cap:
            break
        count += 1
    return count
