"""One lock design for the runs that must not overlap per company: pushes, and imports.

A run of a kind holds ``ledgerhub:<kind>:<realm>`` in Redis while it works; a second run of
the same kind for the same company waits for it. Pushes and imports use different keys, so
neither waits for the other. A heartbeat thread extends the lock while the holding process
lives; if the process dies the heartbeat stops and the lock expires after ``seconds``, so the
next run can recover what the dead one left pending.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from redis import Redis

from app.qbo.faults import QBOError

log = logging.getLogger(__name__)

# Redis key per kind of run; the names are kept so a lock held across an upgrade still counts.
KEYS = {"push": "ledgerhub:push:{realm}", "import": "ledgerhub:qbo-import:{realm}"}
_POLL_SECONDS = 2


class LockLost(QBOError):
    """Another process may now hold the run's lock: stop before writing anything else."""

    def plain_message(self) -> str:
        """The reason, as is."""
        return self.message


class LockBusy(RuntimeError):
    """The lock stayed taken for longer than the run was willing to wait."""


class RealmLock:
    """One run of a kind per company at a time, kept alive by a heartbeat while it runs."""

    def __init__(self, redis: Redis, kind: str, realm_id: str, seconds: float) -> None:
        # Not thread-local: the heartbeat thread extends the token this thread acquired.
        self.lock = redis.lock(KEYS[kind].format(realm=realm_id), timeout=seconds,
                               thread_local=False)
        self.kind = kind
        self.realm_id = realm_id
        self.seconds = seconds
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self, waiting: Callable[[], None] | None = None,
                give_up_after: float | None = None, busy: str = "") -> None:
        """Wait for the lock (reporting each wait) and start the heartbeat.

        With ``give_up_after`` seconds, LockBusy(``busy``) is raised when it is still taken.
        """
        deadline = None if give_up_after is None else time.monotonic() + give_up_after
        while not self.lock.acquire(blocking=True, blocking_timeout=self._poll(deadline)):
            if deadline is not None and time.monotonic() >= deadline:
                raise LockBusy(busy or f"Another {self.kind} of this company is still running.")
            if waiting is not None:
                waiting()
        self._thread = threading.Thread(target=self._beat, name=f"{self.kind}-lock",
                                        daemon=True)
        self._thread.start()

    @staticmethod
    def _poll(deadline: float | None) -> float:
        if deadline is None:
            return _POLL_SECONDS
        return max(0.01, min(_POLL_SECONDS, deadline - time.monotonic()))

    def _beat(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            try:
                self.lock.extend(self.seconds, replace_ttl=True)
            except Exception:  # noqa: BLE001 - expired or Redis gone: the run must stop
                self.lost = True
                log.warning("%s lock for realm %s was lost", self.kind, self.realm_id)
                return

    def check(self) -> None:
        """Raise when the lock can no longer be trusted."""
        if self.lost:
            raise LockLost("The run lost its lock (Redis restarted or was unreachable); it "
                           "stopped before writing more. Retry: nothing is copied twice.")

    def release(self) -> None:
        """Stop the heartbeat and free the lock."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        try:
            self.lock.release()
        except Exception:  # noqa: BLE001 - already expired
            log.warning("%s lock for realm %s expired before release", self.kind, self.realm_id)
