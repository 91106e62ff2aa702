"""Proof that no database transaction is held open across a call to QuickBooks.

Every connection's transaction is tracked through SQLAlchemy's engine events (begin, commit,
rollback), per thread, on whichever database the suite runs (SQLite or PostgreSQL). Every HTTP
request to QBO's API or to Intuit's token endpoint checks that the thread sending it holds no
open transaction; a request that does is recorded with where the transaction began and where
the call was made, and the test fails at teardown (raising inside the request could be caught
by the code under test and go unseen).

Only requests the app's own code sends count (a test reading the emulator through the client
while it holds a transaction of its own is not the app's doing); for those, every transaction
open in the sending thread counts, whoever began it. A transaction in another thread (a run's
heartbeat) is not the caller's.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import requests
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

_ROOT = Path(__file__).resolve().parent.parent
_OWN = ("/app/", "/tests/")
# Paths of requests that reach QuickBooks: the API and the OAuth token endpoint.
QBO_PATHS = ("/v3/company/", "/oauth2/v1/tokens")


def _frames(frame: FrameType | None) -> list[str]:
    """The project's own frames on the stack (``path:line function``), innermost first."""
    out: list[str] = []
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(str(_ROOT)) and any(p in name for p in _OWN) and name != __file__:
            out.append(f"{Path(name).relative_to(_ROOT)}:{frame.f_lineno} {frame.f_code.co_name}")
        frame = frame.f_back
    return out


def _show(frames: list[str], depth: int = 5) -> str:
    return " <- ".join(frames[:depth]) or "(outside the project)"


# The client and its token source: a test may call these directly to read the emulator.
_CLIENT = ("app/qbo/client.py", "app/qbo/transport.py", "app/qbo/tokens.py", "app/qbo/oauth.py")


def _by_app(frames: list[str]) -> bool:
    """Whether the app's own code (beyond the QBO client a test may call) is on the stack."""
    return any(f.startswith("app/") and not f.startswith(_CLIENT) for f in frames)


@dataclass
class TransactionGuard:
    """Tracks open transactions per thread and the QBO requests sent while one was open."""

    # thread -> connection -> where its transaction began
    open: dict[int, dict[int, str]] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    requests_checked: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def begun(self, conn: Connection) -> None:
        """A connection's transaction began in this thread."""
        where = _show(_frames(sys._getframe(1)))
        with self._lock:
            self.open.setdefault(threading.get_ident(), {})[id(conn)] = where

    def ended(self, conn: Connection) -> None:
        """A connection's transaction committed or rolled back (in any thread)."""
        with self._lock:
            for held in self.open.values():
                held.pop(id(conn), None)

    def check(self, method: str, url: str) -> None:
        """Record the request when its thread holds an open transaction."""
        if not any(path in url for path in QBO_PATHS):
            return
        with self._lock:
            self.requests_checked += 1
            held = list(self.open.get(threading.get_ident(), {}).values())
        if not held:
            return
        sender = _frames(sys._getframe(1))
        if _by_app(sender):
            caller = [f for f in sender if not f.startswith(_CLIENT)]
            self.violations.append(
                f"{method} {url.split('?')[0]}\n    sent from: {_show(caller)}\n"
                + "".join(f"    transaction begun at: {where}\n" for where in held)
            )


@contextmanager
def guard_transactions() -> Iterator[TransactionGuard]:
    """Install the guard on every engine and on requests' transport for the block."""
    guard = TransactionGuard()
    original = requests.Session.send

    def send(session: requests.Session, request: requests.PreparedRequest,
             **kwargs: Any) -> requests.Response:
        guard.check(str(request.method), str(request.url))
        return original(session, request, **kwargs)

    listeners = [("begin", guard.begun), ("commit", guard.ended), ("rollback", guard.ended)]
    for name, fn in listeners:
        event.listen(Engine, name, fn)
    requests.Session.send = send  # type: ignore[method-assign]
    try:
        yield guard
    finally:
        requests.Session.send = original  # type: ignore[method-assign]
        for name, fn in listeners:
            event.remove(Engine, name, fn)
