"""QBO's rate limits per realm and client: requests and batches per minute, requests in flight."""

from __future__ import annotations

import threading
import time
from collections import deque

from .config import Clock

REQUESTS_PER_MINUTE = 500
BATCHES_PER_MINUTE = 40
MAX_IN_FLIGHT = 10


class Throttle:
    """Sliding one-minute windows (time-scaled) and an in-flight counter per key."""

    def __init__(self, clock: Clock, enabled: bool = True) -> None:
        self.clock = clock
        self.enabled = enabled
        self.lock = threading.Lock()
        self.requests: dict[tuple[str, str], deque[float]] = {}
        self.batches: dict[tuple[str, str], deque[float]] = {}
        self.in_flight: dict[tuple[str, str], int] = {}

    def enter(self, key: tuple[str, str], batch: bool = False) -> bool:
        """Admit a request (True) or refuse it (False). Admitted requests must `leave`."""
        if not self.enabled:
            return True
        now = time.monotonic()
        horizon = now - self.clock.window(60)
        with self.lock:
            if self.in_flight.get(key, 0) >= MAX_IN_FLIGHT:
                return False
            log = _trim(self.requests.setdefault(key, deque()), horizon)
            if len(log) >= REQUESTS_PER_MINUTE:
                return False
            if batch:
                batch_log = _trim(self.batches.setdefault(key, deque()), horizon)
                if len(batch_log) >= BATCHES_PER_MINUTE:
                    return False
                batch_log.append(now)
            log.append(now)
            self.in_flight[key] = self.in_flight.get(key, 0) + 1
            return True

    def leave(self, key: tuple[str, str]) -> None:
        """A request admitted by `enter` has finished."""
        if not self.enabled:
            return
        with self.lock:
            count = self.in_flight.get(key, 0) - 1
            if count > 0:
                self.in_flight[key] = count
            else:
                self.in_flight.pop(key, None)

    def reset(self) -> None:
        """Forget all windows."""
        with self.lock:
            self.requests.clear()
            self.batches.clear()
            self.in_flight.clear()


def _trim(log: deque[float], horizon: float) -> deque[float]:
    while log and log[0] <= horizon:
        log.popleft()
    return log
