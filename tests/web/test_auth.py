"""Login, logout, lock-out, session cookie and CSRF."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import Associate
from tests.conftest import Auth
from tests.support import PASSWORDS


def test_login_and_logout(auth: Auth) -> None:
    client = auth.login("alex")
    page = client.get("/").get_data(as_text=True)
    assert "Alex Rivera" in page
    assert client.post("/logout").status_code == 302
    assert client.get("/").headers["Location"].startswith("/login")


def test_wrong_password_is_refused_with_a_message(auth: Auth) -> None:
    response = auth.client.post("/login", data={"username": "alex", "password": "nope"})
    assert response.status_code == 401
    assert "Invalid username or password" in response.get_data(as_text=True)


def test_lockout_after_repeated_failures(app: Flask, auth: Auth) -> None:
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        auth.client.post("/login", data={"username": "alex", "password": "wrong"})
    response = auth.client.post("/login", data={"username": "alex",
                                                 "password": PASSWORDS["alex"]})
    assert response.status_code == 401
    assert "locked for 15 minutes" in response.get_data(as_text=True)
    assert auth.client.get("/").status_code == 302  # still signed out
    person = db.session.scalar(db.select(Associate).filter_by(username="alex"))
    assert person.is_locked()


def test_inactive_associate_cannot_log_in(auth: Auth, users: dict) -> None:
    users["alex"].active = False
    db.session.commit()
    response = auth.client.post("/login", data={"username": "alex",
                                                "password": PASSWORDS["alex"]})
    assert response.status_code == 401


def test_open_redirect_is_ignored(auth: Auth) -> None:
    response = auth.client.post("/login?next=https://evil.example/",
                                data={"username": "alex", "password": PASSWORDS["alex"]})
    assert response.headers["Location"] == "/"


def test_session_cookie_flags(auth: Auth) -> None:
    response = auth.client.post("/login", data={"username": "alex",
                                                "password": PASSWORDS["alex"]})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_session_cookie_is_secure_over_https(app: Flask, users: dict) -> None:
    client = app.test_client()
    response = client.post("/login", base_url="https://ledgerhub.example",
                           data={"username": "alex", "password": PASSWORDS["alex"]})
    assert "Secure" in response.headers["Set-Cookie"]


def test_password_is_hashed_with_scrypt(users: dict) -> None:
    person = Associate(display_name="X")
    person.set_password("correct horse battery")
    assert person.password_hash.startswith("scrypt:")
    assert person.check_password("correct horse battery")
    assert not person.check_password("wrong")


@pytest.fixture()
def csrf_on(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def _token(client: FlaskClient, url: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(url).get_data(True))
    assert match
    return match.group(1)


def test_post_without_csrf_token_is_refused(auth: Auth, csrf_on: None) -> None:
    token = _token(auth.client, "/login")
    auth.client.post("/login", data={"username": "owner", "password": PASSWORDS["owner"],
                                     "csrf_token": token})
    response = auth.client.post("/clients/new", data={"name": "Sneaky Co"})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Associate)) == 3


def test_htmx_post_with_csrf_header_is_accepted(auth: Auth, csrf_on: None) -> None:
    token = _token(auth.client, "/login")
    auth.client.post("/login", data={"username": "owner", "password": PASSWORDS["owner"],
                                     "csrf_token": token})
    page_token = _token(auth.client, "/clients/new")
    response = auth.client.post("/clients/new", data={"name": "Header Co", "currency": "USD",
                                                      "is_company": "1"},
                                headers={"X-CSRFToken": page_token, "HX-Request": "true"})
    assert response.status_code == 302


def test_create_owner_command(app: Flask, app_ctx: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-owner", "--username", "boss", "--display-name",
                                 "The Boss", "--email", "", "--password", "long-enough-pw"])
    assert result.exit_code == 0, result.output
    boss = db.session.scalar(db.select(Associate).filter_by(username="boss"))
    assert boss.is_owner and boss.check_password("long-enough-pw")
