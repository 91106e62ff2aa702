"""Lock-out after failed logins: alike for unknown names, lifted by the owner or a new
password; failures from one address slow that address down."""

from __future__ import annotations

import re
import time

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import Associate
from tests.support import PASSWORDS, browser


def _post_login(client: FlaskClient, username: str, password: str) -> object:
    return client.post("/login", data={"username": username, "password": password})


def _lock(app: Flask, username: str) -> None:
    client = browser(app)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert _post_login(client, username, "wrong-password").status_code == 401
    db.session.expire_all()
    assert db.session.scalar(db.select(Associate).filter_by(username=username)).is_locked()


def _answer(response: object) -> tuple[int, str]:
    """What the person at the login form sees: the status and the message."""
    html = response.get_data(as_text=True)
    alert = re.search(r'<div class="alert[^>]*>(.*?)<button', html, re.S)
    return response.status_code, " ".join(alert.group(1).split()) if alert else ""


def test_locked_and_unknown_usernames_get_the_same_answer(app: Flask, users: dict) -> None:
    _lock(app, "alex")
    locked = _post_login(browser(app), "alex", PASSWORDS["alex"])
    unknown = _post_login(browser(app), "nobody-here", PASSWORDS["alex"])
    wrong = _post_login(browser(app), "owner", "not-the-password")
    assert _answer(locked) == _answer(unknown) == _answer(wrong)
    assert _answer(locked)[0] == 401
    assert "Invalid username or password" in _answer(locked)[1]
    assert "/login" in browser(app).get("/").headers["Location"]


def test_owner_unlocks_an_account(app: Flask, users: dict) -> None:
    _lock(app, "alex")
    owner = browser(app)
    assert _post_login(owner, "owner", PASSWORDS["owner"]).status_code == 302
    listing = owner.get("/admin/associates").get_data(as_text=True)
    assert re.search(rf'id="associate-{users["alex"].id}".*?Locked', listing, re.S)
    page = owner.get(f"/admin/associates/{users['alex'].id}").get_data(as_text=True)
    assert "Locked after repeated failed sign-ins" in page and ">Unlock</button>" in page
    done = owner.post(f"/admin/associates/{users['alex'].id}/unlock", follow_redirects=True)
    assert "Alex Rivera” can sign in again" in done.get_data(as_text=True)
    assert "Locked after" not in done.get_data(as_text=True)
    assert _post_login(browser(app), "alex", PASSWORDS["alex"]).status_code == 302


def test_only_the_owner_may_unlock(app: Flask, users: dict) -> None:
    _lock(app, "alex")
    admin = browser(app)
    assert _post_login(admin, "qboadmin", PASSWORDS["qboadmin"]).status_code == 302
    assert admin.post(f"/admin/associates/{users['alex'].id}/unlock").status_code == 403
    db.session.expire_all()
    assert db.session.get(Associate, users["alex"].id).is_locked()


def test_a_new_password_lifts_the_lock(app: Flask, users: dict) -> None:
    _lock(app, "alex")
    owner = browser(app)
    assert _post_login(owner, "owner", PASSWORDS["owner"]).status_code == 302
    alex = users["alex"]
    response = owner.post(f"/admin/associates/{alex.id}", data={
        "display_name": alex.display_name, "username": "alex", "permission": "associate",
        "active": "y", "hourly_rate": "125.00", "password": "reset-password-1",
        "password_confirm": "reset-password-1"})
    assert response.status_code == 302
    assert _post_login(browser(app), "alex", "reset-password-1").status_code == 302


@pytest.fixture()
def slow_after_two(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "LOGIN_ADDRESS_FREE_FAILURES", 2)


def _from(app: Flask, address: str) -> FlaskClient:
    client = browser(app)
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_failures_from_one_address_slow_that_address(app: Flask, users: dict,
                                                     slow_after_two: None) -> None:
    address = "198.51.100.23"
    for name in ("guess-one", "guess-two"):
        assert _post_login(_from(app, address), name, "password123").status_code == 401
    # Now every try from that address waits, whoever it names and however right it is.
    refused = _post_login(_from(app, address), "owner", PASSWORDS["owner"])
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] in {"1", "2"}
    assert "Too many failed sign-ins from your network" in refused.get_data(as_text=True)
    db.session.expire_all()
    owner = db.session.scalar(db.select(Associate).filter_by(username="owner"))
    assert owner.failed_logins == 0  # the password was not even tried
    # Other addresses are not affected.
    assert _post_login(_from(app, "203.0.113.9"), "owner", PASSWORDS["owner"]).status_code == 302
    # Once the wait is over the address may try again: it is slowed, not banned.
    deadline = time.monotonic() + 10
    while (answer := _post_login(_from(app, address), "owner", PASSWORDS["owner"])
           ).status_code == 429 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert answer.status_code == 302
    # Each further failure doubles the wait.
    assert _post_login(_from(app, address), "guess-three", "x-password").status_code == 401
    assert _post_login(_from(app, address), "owner", PASSWORDS["owner"]).headers[
        "Retry-After"] in {"3", "4"}
