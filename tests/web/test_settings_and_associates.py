"""Owner settings, the integration switch, and the Associate Manager."""

from __future__ import annotations

import re
from decimal import Decimal

from app.extensions import db
from app.models import Associate, CompanySettings, Integration, PermissionLevel
from tests.conftest import Auth


def test_owner_turns_integration_on_and_menu_appears(auth: Auth) -> None:
    client = auth.login("owner")
    assert 'id="qbo-menu"' not in client.get("/").get_data(as_text=True)
    response = client.post("/admin/settings", data={
        "company_name": "Brightline", "home_currency": "USD", "integration": "qbo"})
    assert response.status_code == 302
    assert CompanySettings.load().integration == Integration.QBO
    assert 'id="qbo-menu"' in client.get("/").get_data(as_text=True)


def test_associate_never_sees_the_qbo_menu(auth: Auth, enable_qbo: None) -> None:
    client = auth.login("alex")
    assert 'id="qbo-menu"' not in client.get("/").get_data(as_text=True)


def test_qbo_admin_cannot_change_settings(auth: Auth) -> None:
    client = auth.login("qboadmin")
    response = client.post("/admin/settings", data={"company_name": "X", "home_currency": "USD",
                                                    "integration": "qbo"})
    assert response.status_code == 403
    assert CompanySettings.load().integration == Integration.NONE


def test_owner_grants_qbo_admin(auth: Auth, users: dict) -> None:
    client = auth.login("owner")
    alex = users["alex"]
    response = client.post(f"/admin/associates/{alex.id}", data={
        "display_name": "Alex Rivera", "username": "alex", "permission": "associate",
        "is_qbo_admin": "y", "active": "y", "hourly_rate": "130.00"})
    assert response.status_code == 302
    db.session.refresh(alex)
    assert alex.is_qbo_admin and alex.hourly_rate == Decimal("130.00")


def test_a_new_associate_starts_as_an_associate(auth: Auth, users: dict) -> None:
    # The form's first choice is "Company Owner": it must not be what an untouched select posts.
    client = auth.login("owner")
    blank = client.get("/admin/associates/new").get_data(as_text=True)
    assert re.search(r'<option selected value="associate">Associate</option>', blank)
    assert not re.search(r'<option selected value="owner">', blank)
    page = client.get(f"/admin/associates/{users['owner'].id}").get_data(as_text=True)
    assert re.search(r'<option selected value="owner">Company Owner</option>', page)


def test_qbo_admin_cannot_grant_permissions(auth: Auth, users: dict) -> None:
    client = auth.login("qboadmin")
    alex = users["alex"]
    response = client.post(f"/admin/associates/{alex.id}", data={
        "display_name": "Alex Rivera", "permission": "owner", "is_qbo_admin": "y"})
    assert response.status_code == 403
    db.session.refresh(alex)
    assert alex.permission == PermissionLevel.ASSOCIATE and not alex.is_qbo_admin


def test_invalid_display_name_shows_message_and_saves_nothing(auth: Auth) -> None:
    client = auth.login("owner")
    response = client.post("/admin/associates/new", data={
        "display_name": "Bad: name", "permission": "associate"})
    assert response.status_code == 200
    assert "cannot contain a colon" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Associate)) == 3


def test_duplicate_username_is_refused(auth: Auth) -> None:
    client = auth.login("owner")
    response = client.post("/admin/associates/new", data={
        "display_name": "Another Alex", "username": "ALEX", "permission": "associate"})
    assert "already has this username" in response.get_data(as_text=True)


def test_owner_cannot_demote_themselves(auth: Auth, users: dict) -> None:
    client = auth.login("owner")
    owner = users["owner"]
    response = client.post(f"/admin/associates/{owner.id}", data={
        "display_name": "Olivia Owner", "username": "owner", "permission": "associate",
        "active": "y"})
    assert "cannot remove your own owner permission" in response.get_data(as_text=True)
    db.session.refresh(owner)
    assert owner.is_owner


def test_associate_listing_search_and_htmx_fragment(auth: Auth) -> None:
    client = auth.login("qboadmin")
    response = client.get("/admin/associates?q=rivera",
                          headers={"HX-Request": "true", "HX-Target": "listing"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="listing">')
    assert "Alex Rivera" in html and "Olivia Owner" not in html


def test_with_integration_off_no_qbo_anything(auth: Auth) -> None:
    client = auth.login("owner")
    for url in ("/", "/clients/", "/admin/associates", "/my/hours"):
        html = client.get(url).get_data(as_text=True)
        assert "QBO Add" not in html and 'id="qbo-menu"' not in html
