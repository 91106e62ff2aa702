"""The cron job that keeps the QuickBooks authorization from lapsing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from app.models import QboConnection
from app.models.base import utcnow
from app.sync.jobs import keep_connection_alive
from tests.sync.import_support import connect_company, use_dev_client


def _refreshes(emulator: Any, realm: str) -> int:
    return emulator.control("GET", f"stats?realm={realm}")["token_calls"].get("refresh_token", 0)


def test_refreshes_once_a_day_and_only_then(app: Flask, app_ctx: Flask, emulator: Any,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    use_dev_client(app, emulator, monkeypatch)
    realm = connect_company(app, emulator, "Keep Alive Co")
    row = db.session.scalar(db.select(QboConnection))
    row.last_refreshed_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert keep_connection_alive() == "fresh"
    assert _refreshes(emulator, realm) == 0

    row.last_refreshed_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    assert keep_connection_alive() == "refreshed"
    assert _refreshes(emulator, realm) == 1
    db.session.expire_all()
    refreshed = db.session.scalar(db.select(QboConnection)).last_refreshed_at
    assert utcnow() - refreshed.replace(tzinfo=utcnow().tzinfo) < timedelta(minutes=1)


def test_nothing_to_do_without_a_connection(app_ctx: Flask) -> None:
    assert keep_connection_alive() == "not connected"
