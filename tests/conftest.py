"""Fixtures for the whole suite: app, database, Redis, logged-in clients, factories."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from app.config import normalize_database_url
from tests.support import (
    PASSWORDS,
    TEST_SECRET_KEY,
    TEST_TOKEN_KEY,
    make_users,
    redis_server,
)
from tests.txguard import TransactionGuard, guard_transactions


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real Redis for the session: REDIS_URL or a private embedded server."""
    with redis_server() as url:
        yield url


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """TEST_DATABASE_URL (PostgreSQL in CI) or a temporary SQLite file."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield normalize_database_url(url)
        return
    with tempfile.TemporaryDirectory(prefix="ledgerhub-db-") as tmp:
        yield f"sqlite:///{Path(tmp) / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def app(database_url: str, redis_url: str) -> Iterator[Flask]:
    """One application for the session; tables are emptied after every test."""
    from app import create_app
    from app.config import TestConfig
    from app.extensions import db

    # Every test signs in from 127.0.0.1: the per-address slowing is tested on its own.
    # Secrets made for this run, strong enough for a real worker.py started by a test.
    application = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url,
                             REDIS_URL=redis_url, WTF_CSRF_ENABLED=False,
                             LOGIN_ADDRESS_FREE_FAILURES=1_000_000,
                             SECRET_KEY=TEST_SECRET_KEY, TOKEN_ENCRYPTION_KEY=TEST_TOKEN_KEY)
    with application.app_context():
        db.drop_all()
        _drop_alembic_version()
        db.create_all()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _drop_alembic_version() -> None:
    from app.extensions import db

    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(autouse=True)
def _clean_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    """Empty every table after each test that used the app."""
    yield
    if "app" not in request.fixturenames:
        return
    application: Flask = request.getfixturevalue("app")
    from app.extensions import db

    with application.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())


# Where the guard below is on: the push, import, recovery, pre-flight and list-refresh tests,
# and the QBO client's own. TXGUARD=all turns it on for every test that uses the app.
TXGUARD_PATHS = ("tests/sync/", "tests/qbo/", "tests/test_txguard.py")


@pytest.fixture(autouse=True)
def txguard(request: pytest.FixtureRequest) -> Iterator[TransactionGuard | None]:
    """A test fails when the app sends a QBO request inside a database transaction."""
    where = Path(str(request.node.path)).resolve().relative_to(Path(__file__).parent.parent)
    guarded = os.environ.get("TXGUARD") == "all" or str(where).startswith(TXGUARD_PATHS)
    if "app" not in request.fixturenames or not guarded:
        yield None
        return
    with guard_transactions() as guard:
        yield guard
    if guard.violations:
        pytest.fail("a database transaction was open across a call to QuickBooks:\n"
                    + "\n".join(guard.violations), pytrace=False)


@pytest.fixture()
def app_ctx(app: Flask) -> Iterator[Flask]:
    """An application context for tests that use the models directly."""
    with app.app_context():
        yield app


@pytest.fixture()
def users(app_ctx: Flask) -> dict[str, object]:
    """The three demo roles: owner, qboadmin (QBO Admin) and alex (associate)."""
    return make_users()


class Auth:
    """Log a test client in as one of the demo roles."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, username: str) -> FlaskClient:
        """Sign in with the user's password; returns the client."""
        response = self.client.post("/login", data={"username": username,
                                                    "password": PASSWORDS[username]})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return self.client

    def logout(self) -> None:
        """Sign out."""
        self.client.post("/logout")


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    """A test client."""
    return app.test_client()


@pytest.fixture()
def auth(client: FlaskClient, users: dict[str, object]) -> Auth:
    """Log in as owner / qboadmin / alex."""
    return Auth(client)


@pytest.fixture()
def enable_qbo(app_ctx: Flask) -> None:
    """Turn the QuickBooks integration on (Admin -> Settings)."""
    from app.extensions import db
    from app.models import CompanySettings, Integration

    CompanySettings.load().integration = Integration.QBO
    db.session.commit()


@pytest.fixture(scope="session")
def emulator() -> Iterator[object]:
    """The QuickBooks emulator over real HTTP for the session (companies are per test)."""
    from qbo_emulator.testing import run_emulator

    running = run_emulator()
    yield running
    running.stop()


TEST_CLIENT_ID = "ledgerhub-test"
TEST_CLIENT_SECRET = "ledgerhub-test-secret"  # noqa: S105 - the emulator's test client


@pytest.fixture()
def qbo_app(app: Flask, emulator: object, enable_qbo: None,
            monkeypatch: pytest.MonkeyPatch) -> Flask:
    """The app pointed at the emulator, with the integration on and a registered OAuth client."""
    redirect_uris = ["http://localhost/admin/qbo/callback"]
    monkeypatch.setitem(app.config, "QBO_EMULATOR_URL", emulator.url)
    monkeypatch.setitem(app.config, "QBO_ENVIRONMENT", "emulator")
    monkeypatch.setitem(app.config, "QBO_CLIENT_ID", TEST_CLIENT_ID)
    monkeypatch.setitem(app.config, "QBO_CLIENT_SECRET", TEST_CLIENT_SECRET)
    monkeypatch.setitem(app.config, "TOKEN_ENCRYPTION_KEY", TEST_TOKEN_KEY)
    emulator.control("POST", "clients", {"client_id": TEST_CLIENT_ID,
                                         "client_secret": TEST_CLIENT_SECRET,
                                         "redirect_uris": redirect_uris})
    return app
