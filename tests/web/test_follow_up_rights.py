"""Post-import follow-ups offer and save only what the user may edit elsewhere, and only for
records on the list."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import Associate, BillingCode, BillingCodeKind, Client
from tests.support import PASSWORDS, browser

HX = {"HX-Request": "true"}
URL = "/admin/qbo/import/follow-ups"


@pytest.fixture()
def imported(app: Flask, users: dict, enable_qbo: None) -> Associate:
    """An associate as the import brings them: no login and no rates."""
    person = Associate(display_name="Imported Ivy")
    db.session.add(person)
    db.session.commit()
    return person


def _signed_in(app: Flask, username: str) -> FlaskClient:
    client = browser(app)
    response = client.post("/login", data={"username": username,
                                           "password": PASSWORDS[username]})
    assert response.status_code == 302
    return client


def _rates(client: FlaskClient, person: Associate, hourly: str, cost: str = "") -> object:
    return client.post(f"{URL}/rates/{person.id}", headers=HX,
                       data={f"r{person.id}-hourly_rate": hourly,
                             f"r{person.id}-cost_rate": cost})


def _rate_of(person: Associate) -> tuple[Decimal | None, Decimal | None]:
    db.session.expire_all()
    row = db.session.get(Associate, person.id)
    return row.hourly_rate, row.cost_rate


def test_qbo_admin_cannot_change_rates(app: Flask, users: dict, imported: Associate) -> None:
    admin = _signed_in(app, "qboadmin")
    page = admin.get(f"{URL}?list=rates").get_data(as_text=True)
    assert "Imported Ivy" in page and "Olivia Owner" in page  # listed, as for the owner
    assert ">Edit</a>" not in page
    assert "Only the Company Owner can change these" in page
    assert admin.get(f"{URL}/rates/{imported.id}?edit=1", headers=HX).status_code == 403
    owner, alex = users["owner"], users["alex"]
    for person in (imported, owner, alex):  # on the list, the owner, not on the list
        before = _rate_of(person)
        assert _rates(admin, person, "999.00", "1.00").status_code == 403
        assert _rate_of(person) == before


def test_owner_sets_rates_only_for_associates_on_the_list(app: Flask, users: dict,
                                                          imported: Associate) -> None:
    owner = _signed_in(app, "owner")
    page = owner.get(f"{URL}?list=rates").get_data(as_text=True)
    assert f'hx-get="{URL}/rates/{imported.id}?edit=1"' in page
    saved = _rates(owner, imported, "85.50", "40")
    assert "saved" in saved.get_data(as_text=True)
    assert ">Edit</a>" not in saved.get_data(as_text=True)  # done: off the list
    assert _rate_of(imported) == (Decimal("85.50"), Decimal("40.00"))
    # Alex has a rate, so he is not on the list: the follow-up changes nothing for him.
    gone = _rates(owner, users["alex"], "1.00").get_data(as_text=True)
    assert "no longer on this list: nothing changed" in gone
    assert _rate_of(users["alex"]) == (Decimal("125.00"), None)
    again = _rates(owner, imported, "99.00")
    assert "no longer on this list" in again.get_data(as_text=True)
    assert _rate_of(imported)[0] == Decimal("85.50")
    page = owner.post(f"{URL}/rates/{users['alex'].id}", data={
        f"r{users['alex'].id}-hourly_rate": "1.00"}, follow_redirects=True)
    assert "no longer on this follow-up list" in page.get_data(as_text=True)
    assert owner.get(f"{URL}/rates/{users['alex'].id}?edit=1",
                     headers=HX).get_data(as_text=True).count("<form") == 0


def test_logins_follow_up_cannot_reset_an_existing_login(app: Flask, users: dict,
                                                         imported: Associate) -> None:
    owner = _signed_in(app, "owner")
    target = users["qboadmin"]
    response = owner.post(f"{URL}/logins/{target.id}", headers=HX, data={
        f"r{target.id}-username": "taken-over", f"r{target.id}-password": "new-password-1",
        f"r{target.id}-password_confirm": "new-password-1"})
    assert "no longer on this list" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Associate, target.id).username == "qboadmin"
    assert _signed_in(app, "qboadmin")


def test_qbo_admin_edits_office_lists_only_for_records_on_the_list(
        app: Flask, users: dict, enable_qbo: None) -> None:
    priced = BillingCode(code="Audit", kind=BillingCodeKind.HOURLY, default_rate=Decimal(150))
    unpriced = BillingCode(code="Advisory", kind=BillingCodeKind.HOURLY)
    answered = Client(name="Answered Co", referred_by="Pat", act_as_reference=True)
    db.session.add_all([priced, unpriced, answered])
    db.session.commit()
    admin = _signed_in(app, "qboadmin")
    admin.post(f"{URL}/codes/{priced.id}", headers=HX, data={f"r{priced.id}-default_rate": "1"})
    admin.post(f"{URL}/codes/{unpriced.id}", headers=HX,
               data={f"r{unpriced.id}-default_rate": "120"})
    admin.post(f"{URL}/references/{answered.id}", headers=HX,
               data={f"r{answered.id}-referred_by": "", f"r{answered.id}-act_as_reference": ""})
    db.session.expire_all()
    assert db.session.get(BillingCode, priced.id).default_rate == Decimal("150.00")
    assert db.session.get(BillingCode, unpriced.id).default_rate == Decimal("120.00")
    assert db.session.get(Client, answered.id).referred_by == "Pat"
