"""The guard that proves no transaction is held open across a call to QuickBooks can fail."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import QboConnection
from app.qbo.connection import current_connection, read_company
from tests.sync.import_support import connect_company, qbo_client, use_dev_client
from tests.txguard import TransactionGuard


@pytest.fixture()
def realm(app_ctx: Flask, emulator: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    use_dev_client(app_ctx, emulator, monkeypatch)
    return connect_company(app_ctx, emulator, name="Guard Co")


def _caught(txguard: TransactionGuard) -> list[str]:
    found = list(txguard.violations)
    txguard.violations.clear()  # seen: the failure these tests provoke is the expected one
    return found


def test_the_apps_call_inside_its_own_transaction_is_caught(app_ctx: Flask, realm: str,
                                                             txguard: TransactionGuard) -> None:
    token = qbo_client(app_ctx, realm).tokens.access_token()
    current_connection(db.session)  # the app's code autobegins the session's transaction
    read_company(app_ctx.config, realm, token)
    found = _caught(txguard)
    assert len(found) == 2  # CompanyInfo and Preferences
    assert "/companyinfo/" in found[0] and "/preferences" in found[1]
    assert "app/qbo/connection.py" in found[0].split("sent from:")[1]
    assert "current_connection" in found[0].split("transaction begun at:")[1]


def test_the_apps_call_inside_an_open_transaction_is_caught(app_ctx: Flask, realm: str,
                                                            txguard: TransactionGuard) -> None:
    token = qbo_client(app_ctx, realm).tokens.access_token()
    db.session.scalars(select(QboConnection)).first()  # left open when the app calls QBO
    read_company(app_ctx.config, realm, token)
    found = _caught(txguard)
    assert len(found) == 2  # CompanyInfo and Preferences
    assert "app/qbo/connection.py" in found[0].split("sent from:")[1]
    assert "tests/test_txguard.py" in found[0].split("transaction begun at:")[1]


def test_a_tests_own_read_of_qbo_is_not_the_apps(app_ctx: Flask, realm: str,
                                                 txguard: TransactionGuard) -> None:
    client = qbo_client(app_ctx, realm)
    db.session.scalars(select(QboConnection)).first()
    client.company_info()
    current_connection(db.session)
    client.preferences()
    assert txguard.requests_checked == 2
    assert txguard.violations == []


def test_a_call_after_the_transaction_ended_passes(app_ctx: Flask, realm: str,
                                                   txguard: TransactionGuard) -> None:
    client = qbo_client(app_ctx, realm)
    db.session.scalars(select(QboConnection)).first()
    db.session.rollback()
    client.company_info()
    db.session.scalars(select(QboConnection)).first()
    db.session.commit()
    client.preferences()
    assert txguard.requests_checked >= 2
    assert txguard.violations == []


def test_another_threads_transaction_is_not_the_callers(app_ctx: Flask, realm: str,
                                                       txguard: TransactionGuard) -> None:
    client = qbo_client(app_ctx, realm)
    begun, done = threading.Event(), threading.Event()
    engine = db.engine

    def hold() -> None:
        with engine.connect() as conn:
            conn.execute(select(QboConnection.id))  # begins a transaction in this thread
            begun.set()
            done.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    begun.wait(10)
    try:
        client.company_info()
    finally:
        done.set()
        thread.join(10)
    assert txguard.requests_checked >= 1
    assert txguard.violations == []
