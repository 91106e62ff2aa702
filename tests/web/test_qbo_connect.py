"""Admin -> QuickBooks Online Connect against the emulator over real HTTP."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from app.extensions import db
from app.models import ConnectionStatus, QboConnection, QboLink
from tests.conftest import Auth


def authorize_at_emulator(client: FlaskClient, realm_id: str | None = None) -> str:
    """Click Connect, then the emulator's Authorize; returns the callback path+query."""
    response = client.post("/admin/qbo/connect")
    assert response.status_code == 302
    consent_url = response.headers["Location"]
    page = requests.get(consent_url, timeout=10)
    assert page.status_code == 200 and "Authorize" in page.text
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    options = re.findall(r'<option value="(\d+)"', page.text)
    if realm_id or options:
        form["realmId"] = realm_id or options[0]
    action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
    if action.startswith("/"):
        split = urlsplit(consent_url)
        action = f"{split.scheme}://{split.netloc}{action}"
    answer = requests.post(action, data={**form, "decision": "authorize"},
                           allow_redirects=False, timeout=10)
    assert answer.status_code in (302, 303), answer.text[:300]
    back = urlsplit(answer.headers["Location"])
    assert back.path == "/admin/qbo/callback"
    return f"{back.path}?{back.query}"


def connect(client: FlaskClient, realm_id: str | None = None) -> FlaskClient:
    """Run the whole flow and follow the callback."""
    callback = authorize_at_emulator(client, realm_id)
    response = client.get(callback)
    assert response.status_code == 302
    return client


def test_not_connected_page(qbo_app: Flask, auth: Auth) -> None:
    html = auth.login("qboadmin").get("/admin/qbo/").get_data(as_text=True)
    assert "You are not currently authenticated" in html
    assert "Connect to QuickBooks" in html
    assert "never sees or stores your QuickBooks login" in html


def test_connect_shows_company_and_stores_tokens_encrypted(qbo_app: Flask, auth: Auth,
                                                           emulator: object) -> None:
    realm = emulator.control("POST", "companies", {"name": "Kestrel Books", "seed": "sample",
                                                   "multicurrency": True,
                                                   "home_currency": "CAD"})["realm_id"]
    client = connect(auth.login("qboadmin"), realm)
    html = client.get("/admin/qbo/").get_data(as_text=True)
    assert "Kestrel Books" in html and realm in html
    assert "CAD" in html and "Multi-currency" in html
    row = db.session.scalar(select(QboConnection))
    assert row.status == ConnectionStatus.CONNECTED and row.multicurrency_enabled
    raw = db.session.execute(text("SELECT access_token_enc, refresh_token_enc "
                                  "FROM qbo_connections")).one()
    grants = emulator.emulator.tokens
    assert all(token not in html for token in _live_tokens(grants))
    assert all(token not in " ".join(raw) for token in _live_tokens(grants))


def _live_tokens(tokens: object) -> list[str]:
    """Every access and refresh token the emulator has issued (to prove none leaks)."""
    found = []
    for value in vars(tokens).values():
        if isinstance(value, dict):
            found.extend(k for k in value if isinstance(k, str) and len(k) > 20)
    return found


def test_state_mismatch_is_refused(qbo_app: Flask, auth: Auth) -> None:
    client = auth.login("qboadmin")
    callback = authorize_at_emulator(client)
    tampered = re.sub(r"state=[^&]+", "state=forged", callback)
    response = client.get(tampered, follow_redirects=True)
    assert "did not match this browser session" in response.get_data(as_text=True)
    assert db.session.scalar(select(QboConnection)) is None


def test_disconnect_revokes_at_the_emulator(qbo_app: Flask, auth: Auth,
                                            emulator: object) -> None:
    client = connect(auth.login("owner"))
    row = db.session.scalar(select(QboConnection))
    from app.qbo.connection import cipher_for

    refresh_token = cipher_for(qbo_app.config).decrypt(row.refresh_token_enc)
    response = client.post("/admin/qbo/disconnect", follow_redirects=True)
    assert "Disconnected from QuickBooks" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(QboConnection)) is None
    answer = requests.post(f"{emulator.url}/oauth2/v1/tokens/bearer",
                           data={"grant_type": "refresh_token", "refresh_token": refresh_token},
                           auth=("ledgerhub-test", "ledgerhub-test-secret"), timeout=10)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_switching_company_needs_confirmation(qbo_app: Flask, auth: Auth,
                                              emulator: object) -> None:
    first = emulator.control("POST", "companies", {"name": "First Co"})["realm_id"]
    second = emulator.control("POST", "companies", {"name": "Second Co"})["realm_id"]
    client = connect(auth.login("qboadmin"), first)
    db.session.add(QboLink(realm_id=first, entity_type="client", local_id=1, qbo_id="58"))
    db.session.commit()
    connect(client, second)
    html = client.get("/admin/qbo/").get_data(as_text=True)
    assert "Switch to “Second Co”?" in html
    current = db.session.scalars(select(QboConnection).order_by(QboConnection.id)).all()
    assert [(c.realm_id, c.status) for c in current] == [
        (first, ConnectionStatus.CONNECTED), (second, ConnectionStatus.PENDING_CONFIRMATION)]
    client.post("/admin/qbo/switch/confirm")
    db.session.expire_all()
    rows = db.session.scalars(select(QboConnection)).all()
    assert [(c.realm_id, c.status) for c in rows] == [(second, ConnectionStatus.CONNECTED)]
    # The old company's link stays scoped to its realm: nothing in the new realm reuses it.
    assert db.session.scalars(select(QboLink.realm_id)).all() == [first]


def test_cancelling_a_switch_keeps_the_connection(qbo_app: Flask, auth: Auth,
                                                  emulator: object) -> None:
    first = emulator.control("POST", "companies", {"name": "Keep Co"})["realm_id"]
    second = emulator.control("POST", "companies", {"name": "Other Co"})["realm_id"]
    client = connect(auth.login("qboadmin"), first)
    connect(client, second)
    client.post("/admin/qbo/switch/cancel")
    db.session.expire_all()
    rows = db.session.scalars(select(QboConnection)).all()
    assert [(c.realm_id, c.status) for c in rows] == [(first, ConnectionStatus.CONNECTED)]


def test_reconnect_banner_after_invalid_grant(qbo_app: Flask, auth: Auth,
                                              emulator: object, redis_url: str) -> None:
    client = connect(auth.login("qboadmin"))
    row = db.session.scalar(select(QboConnection))
    from app.qbo.connection import cipher_for, client_for
    from app.qbo.faults import ReconnectRequired

    # Someone revokes the authorization at Intuit: the next refresh answers invalid_grant.
    refresh_token = cipher_for(qbo_app.config).decrypt(row.refresh_token_enc)
    requests.post(f"{emulator.url}/v2/oauth2/tokens/revoke", json={"token": refresh_token},
                  auth=("ledgerhub-test", "ledgerhub-test-secret"), timeout=10)
    from redis import Redis

    qbo = client_for(qbo_app.config, db.engine, Redis.from_url(redis_url), row.realm_id)
    with pytest.raises(ReconnectRequired):
        qbo.company_info()
    db.session.expire_all()
    assert db.session.scalar(select(QboConnection)).status == ConnectionStatus.NEEDS_RECONNECT
    html = client.get("/").get_data(as_text=True)
    assert "QuickBooks needs to be reconnected" in html
    # An associate is not told about QuickBooks at all.
    auth.logout()
    assert "needs to be reconnected" not in auth.login("alex").get("/").get_data(as_text=True)


def test_no_token_in_logs(qbo_app: Flask, auth: Auth, emulator: object,
                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = connect(auth.login("qboadmin"))
    client.post("/admin/qbo/disconnect")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert all(token not in logged for token in _live_tokens(emulator.emulator.tokens))


def test_connect_routes_are_hidden_when_integration_is_off(app: Flask, auth: Auth) -> None:
    client = auth.login("owner")
    assert client.get("/admin/qbo/").status_code == 404
    assert client.post("/admin/qbo/connect").status_code == 404
