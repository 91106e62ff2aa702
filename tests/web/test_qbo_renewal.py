"""The 5-year hard end of the QuickBooks authorization: stored, shown, warned 30 days ahead."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from redis import Redis
from sqlalchemy import select

from app.extensions import db
from app.models import QboConnection
from app.models.base import utcnow
from app.models.people import as_utc
from tests.conftest import Auth
from tests.web.test_qbo_connect import connect


def _refresh_now(app: Flask, redis_url: str) -> None:
    """Let the app refresh its tokens at the emulator (as a worker does when a token expires)."""
    from app.qbo.connection import cipher_for, oauth_for
    from app.qbo.tokens import ConnectionTokens

    row = db.session.scalar(select(QboConnection))
    cipher = cipher_for(app.config)
    tokens = ConnectionTokens(row.realm_id, engine=db.engine, redis=Redis.from_url(redis_url),
                              oauth=oauth_for(app.config), cipher=cipher)
    tokens.refresh(cipher.decrypt(row.access_token_enc))
    db.session.expire_all()


def _age_grant(app: Flask, emulator: object, days: float) -> None:
    """At the emulator: the authorization was first given ``days`` earlier than it was."""
    from app.qbo.connection import cipher_for

    row = db.session.scalar(select(QboConnection))
    refresh_token = cipher_for(app.config).decrypt(row.refresh_token_enc)
    emulator.control("POST", "grants/age", {"refresh_token": refresh_token, "days": days})


def test_new_connection_shows_renewal_date_without_warning(qbo_app: Flask, auth: Auth) -> None:
    client = connect(auth.login("qboadmin"))
    row = db.session.scalar(select(QboConnection))
    due = as_utc(row.hard_expires_at)
    assert abs(due - (utcnow() + timedelta(days=5 * 365))) < timedelta(minutes=5)
    page = client.get("/admin/qbo/").get_data(as_text=True)
    assert f"Must be renewed by</dt><dd class=\"col-sm-8\" id=\"qbo-renewal-date\">{due:%Y-%m-%d}" \
        in page
    assert "qbo-renewal-warning" not in page
    home = client.get("/").get_data(as_text=True)
    assert f"QuickBooks connection: renew by {due:%Y-%m-%d}" in home
    assert "must be renewed by" not in home


def test_warning_thirty_days_before_the_hard_end(qbo_app: Flask, auth: Auth, emulator: object,
                                                 redis_url: str) -> None:
    client = connect(auth.login("qboadmin"))
    _age_grant(qbo_app, emulator, 5 * 365 - 20)
    _refresh_now(qbo_app, redis_url)  # the next token answer tells the app the new end
    row = db.session.scalar(select(QboConnection))
    due = as_utc(row.hard_expires_at)
    assert abs(due - (utcnow() + timedelta(days=20))) < timedelta(minutes=5)
    page = client.get("/admin/qbo/").get_data(as_text=True)
    assert f"The QuickBooks authorization ends on {due:%Y-%m-%d} (in 20 days)." in page
    assert "Reconnect now" in page
    home = client.get("/").get_data(as_text=True)
    assert f"QuickBooks connection must be renewed by {due:%Y-%m-%d} (in 20 days)." in home
    # Associates see nothing of QuickBooks.
    auth.logout()
    assert "renewed" not in auth.login("alex").get("/").get_data(as_text=True)


def test_no_warning_at_thirty_one_days(qbo_app: Flask, auth: Auth, emulator: object,
                                       redis_url: str) -> None:
    client = connect(auth.login("qboadmin"))
    _age_grant(qbo_app, emulator, 5 * 365 - 31)
    _refresh_now(qbo_app, redis_url)
    assert "qbo-renewal-warning" not in client.get("/admin/qbo/").get_data(as_text=True)
    assert "must be renewed by" not in client.get("/").get_data(as_text=True)


def test_reconnecting_starts_a_new_five_years(qbo_app: Flask, auth: Auth, emulator: object,
                                              redis_url: str) -> None:
    client = connect(auth.login("qboadmin"))
    _age_grant(qbo_app, emulator, 5 * 365 - 10)
    _refresh_now(qbo_app, redis_url)
    realm = db.session.scalar(select(QboConnection)).realm_id
    connect(client, realm)
    db.session.expire_all()
    due = as_utc(db.session.scalar(select(QboConnection)).hard_expires_at)
    assert due - utcnow() > timedelta(days=5 * 365 - 1)
    assert "qbo-renewal-warning" not in client.get("/admin/qbo/").get_data(as_text=True)
