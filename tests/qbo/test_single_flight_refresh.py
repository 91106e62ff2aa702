"""Token refresh is single-flight across processes, and the rotated token is kept."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import ConnectionStatus, QboConnection
from app.models.base import utcnow
from app.qbo.connection import cipher_for
from app.qbo.oauth import TokenSet

WORKERS = 10


def _connect(app: Flask, emulator: Any, name: str) -> str:
    """A company with tokens from the emulator, saved as Ledgerhub's connection."""
    company = emulator.create_company(name=name)
    tokens = TokenSet.from_response(company.tokens)
    row = QboConnection(realm_id=company.realm_id, environment="emulator",
                        status=ConnectionStatus.CONNECTED, company_name=name)
    from app.qbo.tokens import store_tokens

    store_tokens(row, tokens, cipher_for(app.config))
    db.session.add(row)
    db.session.commit()
    return company.realm_id


def _worker(config: dict[str, Any], realm_id: str, results: Any, barrier: Any) -> None:
    """One worker process: build the app's client and read CompanyInfo."""
    from redis import Redis

    from app import create_app
    from app.config import TestConfig
    from app.extensions import db as worker_db
    from app.qbo.connection import client_for

    app = create_app(TestConfig, **config)
    with app.app_context():
        client = client_for(app.config, worker_db.engine, Redis.from_url(config["REDIS_URL"]),
                            realm_id)
        barrier.wait(timeout=30)
        try:
            results.put(("ok", client.company_info().get("CompanyName")))
        except Exception as exc:  # noqa: BLE001 - reported to the parent
            results.put(("error", f"{type(exc).__name__}: {exc}"))
        finally:
            worker_db.engine.dispose()


def _run_workers(app: Flask, realm_id: str) -> list[tuple[str, str]]:
    keys = ("SQLALCHEMY_DATABASE_URI", "REDIS_URL", "QBO_EMULATOR_URL", "QBO_ENVIRONMENT",
            "QBO_CLIENT_ID", "QBO_CLIENT_SECRET", "TOKEN_ENCRYPTION_KEY")
    config = {k: app.config[k] for k in keys}
    ctx = multiprocessing.get_context("spawn")
    results, barrier = ctx.Queue(), ctx.Barrier(WORKERS)
    procs = [ctx.Process(target=_worker, args=(config, realm_id, results, barrier))
             for _ in range(WORKERS)]
    for proc in procs:
        proc.start()
    answers = [results.get(timeout=90) for _ in procs]
    for proc in procs:
        proc.join(30)
    return answers


@pytest.fixture()
def dev_client_app(app: Flask, emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """The app using the emulator's default development client (the one tokens are for)."""
    monkeypatch.setitem(app.config, "QBO_EMULATOR_URL", emulator.url)
    monkeypatch.setitem(app.config, "QBO_ENVIRONMENT", "emulator")
    monkeypatch.setitem(app.config, "QBO_CLIENT_ID", emulator.client_id)
    monkeypatch.setitem(app.config, "QBO_CLIENT_SECRET", emulator.client_secret)
    monkeypatch.setitem(app.config, "TOKEN_ENCRYPTION_KEY", "single-flight-test-key")
    return app


def _refresh_calls(emulator: Any, realm_id: str) -> int:
    stats = emulator.control("GET", f"stats?realm={realm_id}")
    return stats["token_calls"].get("refresh_token", 0)


@pytest.mark.slow
def test_ten_processes_with_an_expired_token_refresh_once(dev_client_app: Flask, app_ctx: Flask,
                                                          emulator: Any) -> None:
    realm_id = _connect(dev_client_app, emulator, "Single Flight Co")
    row = db.session.scalar(select(QboConnection))
    old_refresh = cipher_for(dev_client_app.config).decrypt(row.refresh_token_enc)
    row.access_expires_at = utcnow() - timedelta(minutes=5)
    db.session.commit()

    answers = _run_workers(dev_client_app, realm_id)

    assert answers == [("ok", "Single Flight Co")] * WORKERS
    assert _refresh_calls(emulator, realm_id) == 1
    db.session.expire_all()
    row = db.session.scalar(select(QboConnection))
    assert row.status == ConnectionStatus.CONNECTED and row.refresh_count == 1
    # Rotation: the stored refresh token is the new one, and the old one is dead.
    assert cipher_for(dev_client_app.config).decrypt(row.refresh_token_enc) != old_refresh


@pytest.mark.slow
def test_access_token_rejected_mid_run_is_refreshed_once(dev_client_app: Flask, app_ctx: Flask,
                                                         emulator: Any) -> None:
    realm_id = _connect(dev_client_app, emulator, "Expired Mid Run Co")
    # Only QBO's rejection may cause the refresh: the stored expiry is far off, so starting ten
    # processes on a slow machine never brings it into the early-refresh margin first.
    row = db.session.scalar(select(QboConnection))
    row.access_expires_at = utcnow() + timedelta(hours=1)
    db.session.commit()
    emulator.control("POST", "faults", {"rules": [
        {"kind": "expire_access_token", "realm": realm_id, "next_n": 1}]})
    try:
        answers = _run_workers(dev_client_app, realm_id)
    finally:
        emulator.control("DELETE", "faults")
    assert answers == [("ok", "Expired Mid Run Co")] * WORKERS
    assert _refresh_calls(emulator, realm_id) == 1


def test_threads_refresh_once_even_when_redis_forgets_the_lock(
        dev_client_app: Flask, app_ctx: Flask, emulator: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from app.extensions import get_redis
    from app.qbo.connection import client_for

    realm_id = _connect(dev_client_app, emulator, "Forgotten Lock Co")
    row = db.session.scalar(select(QboConnection))
    row.access_expires_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    client = client_for(dev_client_app.config, db.engine, get_redis(), realm_id)

    class Forgetful:
        """A Redis lock after a restart: every holder gets it at once."""

        def acquire(self) -> bool:
            return True

        def release(self) -> None:
            pass

    monkeypatch.setattr(client.tokens.redis, "lock", lambda *a, **k: Forgetful())
    barrier = threading.Barrier(6)
    answers: list[str] = []

    def read() -> None:
        barrier.wait(timeout=30)
        answers.append(client.company_info().get("CompanyName"))

    threads = [threading.Thread(target=read) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert answers == ["Forgotten Lock Co"] * 6
    assert _refresh_calls(emulator, realm_id) == 1
    db.session.expire_all()
    assert db.session.scalar(select(QboConnection)).status == ConnectionStatus.CONNECTED
