"""The token key: a different one is named as such, and rotating re-encrypts every token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from flask import Flask

from app.config import BASE_DIR
from app.config_check import CONFIG_EXIT_STATUS
from app.extensions import db, get_redis
from app.models import QboConnection, RunStatus
from app.qbo.connection import check_token_key, cipher_for, client_for
from app.qbo.crypto import TokenKeyMismatch
from tests.support import TEST_SECRET_KEY
from tests.sync.import_support import connect_company, use_dev_client
from tests.sync.push_support import make_invoice, push, set_defaults

MISMATCH = "the token key differs from the one that encrypted it"


@pytest.fixture()
def realm(app: Flask, app_ctx: Flask, emulator: Any, enable_qbo: None,
          monkeypatch: pytest.MonkeyPatch) -> str:
    """A company connected while TOKEN_ENCRYPTION_KEY was the tests' key."""
    use_dev_client(app, emulator, monkeypatch)
    return connect_company(app, emulator, "Key Co")


def _company_name(app: Flask, realm_id: str) -> str:
    client = client_for(app.config, db.engine, get_redis(), realm_id)
    try:
        return client.company_info()["CompanyName"]
    finally:
        client.close()


def test_rotating_the_key_re_encrypts_every_token(realm: str, app: Flask, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    old_key = app.config["TOKEN_ENCRYPTION_KEY"]
    new_key = Fernet.generate_key().decode()
    monkeypatch.setitem(app.config, "TOKEN_ENCRYPTION_KEY", new_key)
    with pytest.raises(TokenKeyMismatch, match=MISMATCH):
        check_token_key(db.session, app.config)

    key_file = tmp_path / "old-token-key"
    key_file.write_text(old_key + "\n")
    result = app.test_cli_runner().invoke(args=["rotate-token-key", "--old-key-file",
                                                str(key_file)])
    assert result.exit_code == 0, result.output
    assert "Re-encrypted the tokens of 1 QuickBooks connection(s)" in result.output

    db.session.expire_all()
    check_token_key(db.session, app.config)  # the new key opens them
    assert _company_name(app, realm) == "Key Co"  # and QuickBooks still accepts them
    row = db.session.scalars(db.select(QboConnection)).one()
    with pytest.raises(TokenKeyMismatch):
        cipher_for({"TOKEN_ENCRYPTION_KEY": old_key}).decrypt(row.refresh_token_enc)

    again = app.test_cli_runner().invoke(args=["rotate-token-key"], input=old_key + "\n")
    assert again.exit_code == 0 and "tokens of 0 QuickBooks connection(s)" in again.output


def test_rotating_with_a_wrong_old_key_changes_nothing(realm: str, app: Flask,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    before = db.session.scalars(db.select(QboConnection)).one().refresh_token_enc
    monkeypatch.setitem(app.config, "TOKEN_ENCRYPTION_KEY", Fernet.generate_key().decode())
    result = app.test_cli_runner().invoke(args=["rotate-token-key"],
                                          input=Fernet.generate_key().decode() + "\n")
    assert result.exit_code == 1 and "nothing was changed" in result.output
    db.session.expire_all()
    assert db.session.scalars(db.select(QboConnection)).one().refresh_token_enc == before


def test_a_run_under_another_key_fails_naming_the_key(realm: str, app: Flask, emulator: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    set_defaults(emulator, realm)
    invoice = make_invoice("9101", client_name="Other Key Co")
    monkeypatch.setitem(app.config, "TOKEN_ENCRYPTION_KEY", Fernet.generate_key().decode())
    run = push([("invoice", invoice.id)])
    assert run.status == RunStatus.FAILED
    assert MISMATCH in run.message and "rotate-token-key" in run.message
    assert "unexpected error" not in run.message


def _worker_env(app: Flask, token_key: str) -> dict[str, str]:
    cfg = app.config
    return {**os.environ, "LEDGERHUB_ENV": "development", "SECRET_KEY": TEST_SECRET_KEY,
            "TOKEN_ENCRYPTION_KEY": token_key, "DATABASE_URL": cfg["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": cfg["REDIS_URL"], "RQ_QUEUE": cfg["RQ_QUEUE"],
            "QBO_ENVIRONMENT": "emulator", "QBO_EMULATOR_URL": cfg["QBO_EMULATOR_URL"],
            "QBO_CLIENT_ID": cfg["QBO_CLIENT_ID"], "QBO_CLIENT_SECRET": cfg["QBO_CLIENT_SECRET"]}


@pytest.mark.slow
def test_a_worker_with_another_key_refuses_to_start(realm: str, app: Flask) -> None:
    args = [sys.executable, "worker.py", "--burst", "--no-cron"]
    refused = subprocess.run(args, cwd=BASE_DIR, capture_output=True, text=True, timeout=120,  # noqa: S603
                             env=_worker_env(app, Fernet.generate_key().decode()), check=False)
    assert refused.returncode == CONFIG_EXIT_STATUS, refused.stderr[-2000:]
    assert MISMATCH in refused.stderr and "rotate-token-key" in refused.stderr
    started = subprocess.run(args, cwd=BASE_DIR, capture_output=True, text=True, timeout=120,  # noqa: S603
                             env=_worker_env(app, app.config["TOKEN_ENCRYPTION_KEY"]),
                             check=False)
    assert started.returncode == 0, started.stderr[-2000:]


def test_a_page_under_another_key_names_the_key(realm: str, app: Flask, auth: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from app.models import Client

    client_row = Client(name="Key Page Client")
    db.session.add(client_row)
    db.session.commit()
    browser = auth.login("qboadmin")
    monkeypatch.setitem(app.config, "TOKEN_ENCRYPTION_KEY", Fernet.generate_key().decode())
    # The match page asks QuickBooks itself (a list refresh is a queued run instead).
    answer = browser.get(f"/admin/qbo/match/client/{client_row.id}")
    assert answer.status_code == 500
    assert MISMATCH in answer.get_data(as_text=True)
