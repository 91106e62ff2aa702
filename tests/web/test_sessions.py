"""Ending sessions: logout, a new password, the remember cookie and a renewed CSRF token."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import Associate
from tests.support import PASSWORDS, browser


def _login(app: Flask, username: str, *, remember: bool = False,
           password: str | None = None) -> FlaskClient:
    client = browser(app)
    data = {"username": username, "password": password or PASSWORDS[username]}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def _signed_in(client: FlaskClient) -> bool:
    response = client.get("/")
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]
        return False
    assert response.status_code == 200
    return True


def _replay(app: Flask, *cookies: tuple[str, str]) -> FlaskClient:
    """A fresh browser that only has the given (name, value) cookies."""
    client = browser(app)
    for name, value in cookies:
        client.set_cookie(name, value)
    return client


def _cookie(client: FlaskClient, name: str) -> tuple[str, str]:
    cookie = client.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    return name, cookie.value


def _set_password(owner: FlaskClient, person: Associate, password: str) -> None:
    response = owner.post(f"/admin/associates/{person.id}", data={
        "display_name": person.display_name, "username": person.username,
        "permission": person.permission.value, "active": "y",
        "is_qbo_admin": "y" if person.is_qbo_admin else "",
        "password": password, "password_confirm": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def test_saved_session_cookie_replayed_after_logout_is_refused(app: Flask, users: dict) -> None:
    client = _login(app, "alex")
    saved = _cookie(client, "session")
    assert _signed_in(_replay(app, saved))  # the copy works while the session lives
    client.post("/logout")
    assert not _signed_in(client)
    assert not _signed_in(_replay(app, saved))


def test_logout_ends_every_session_of_the_user(app: Flask, users: dict) -> None:
    laptop, phone = _login(app, "alex"), _login(app, "alex", remember=True)
    other_user = _login(app, "owner")
    remembered = _cookie(phone, "remember_token")
    laptop.post("/logout")
    assert not _signed_in(phone)
    assert not _signed_in(_replay(app, remembered))
    assert _signed_in(other_user)
    assert _signed_in(_login(app, "alex"))  # signing in again works


def test_new_password_ends_the_users_sessions_and_remember_cookie(app: Flask,
                                                                  users: dict) -> None:
    alex = _login(app, "alex", remember=True)
    remembered = _cookie(alex, "remember_token")
    assert _signed_in(_replay(app, remembered))  # the remember cookie alone signs in
    owner = _login(app, "owner")
    _set_password(owner, users["alex"], "a-brand-new-password")
    assert not _signed_in(alex)
    assert not _signed_in(_replay(app, remembered))
    assert _signed_in(owner)
    assert _signed_in(_login(app, "alex", password="a-brand-new-password"))


def test_own_new_password_keeps_this_session_and_ends_the_others(app: Flask,
                                                                 users: dict) -> None:
    here = _login(app, "owner", remember=True)
    elsewhere = _login(app, "owner", remember=True)
    old_remember = _cookie(elsewhere, "remember_token")
    db.session.refresh(users["owner"])
    _set_password(here, users["owner"], "owner-new-password")
    page = here.get(f"/admin/associates/{users['owner'].id}", follow_redirects=True)
    assert "Olivia Owner" in page.get_data(as_text=True) and _signed_in(here)
    assert _replay(app, _cookie(here, "remember_token")).get("/").status_code == 200
    assert not _signed_in(elsewhere)
    assert not _signed_in(_replay(app, old_remember))


def test_deactivated_associate_is_signed_out(app: Flask, users: dict) -> None:
    alex = _login(app, "alex")
    users["alex"].active = False
    db.session.commit()
    assert not _signed_in(alex)


def test_remember_cookie_lasts_weeks_not_a_year(app: Flask, users: dict) -> None:
    client = browser(app)
    response = client.post("/login", data={"username": "alex", "password": PASSWORDS["alex"],
                                           "remember": "y"})
    header = next(h for h in response.headers.getlist("Set-Cookie")
                  if h.startswith("remember_token="))
    assert "HttpOnly" in header and "SameSite=Lax" in header
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", header).group(1))
    lifetime = expires - datetime.now(UTC)
    assert timedelta(days=7) <= lifetime <= timedelta(days=31), lifetime


@pytest.fixture()
def csrf_on(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_session_and_csrf_token_are_renewed_at_login(app: Flask, users: dict,
                                                     csrf_on: None) -> None:
    client = browser(app)
    before = _token(client.get("/login").get_data(as_text=True))
    anonymous = _cookie(client, "session")
    response = client.post("/login", data={"username": "owner", "password": PASSWORDS["owner"],
                                           "csrf_token": before})
    assert response.status_code == 302
    after = _token(client.get("/clients/new").get_data(as_text=True))
    assert after != before
    # The token of the page before the login no longer works; the new one does.
    refused = client.post("/clients/new", data={"name": "Stale Co", "currency": "USD",
                                                "is_company": "1", "csrf_token": before})
    assert refused.status_code == 400
    accepted = client.post("/clients/new", data={"name": "Fresh Co", "currency": "USD",
                                                 "is_company": "1", "csrf_token": after})
    assert accepted.status_code == 302
    assert not _signed_in(_replay(app, anonymous))  # the pre-login session stays anonymous
