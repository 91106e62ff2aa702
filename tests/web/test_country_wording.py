"""Address and mileage wording follows the firm's country: State and ZIP code, Postcode..."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.countries import OTHER_ADDRESS_WORDS, address_words, firm_country, iso3, spelled
from app.extensions import db
from app.models import (
    Client,
    CompanySettings,
    ConnectionStatus,
    DistanceUnit,
    Invoice,
    Organization,
    QboConnection,
)
from app.models.base import utcnow
from tests.conftest import Auth

# The address labels each country's company should see on the client and organization forms.
WORDS = {"USA": ("State", "ZIP code"), "CAN": ("Province", "Postal code"),
         "GBR": ("County", "Postcode"), "AUS": ("State/territory", "Postcode"),
         "DEU": ("Region", "Postal code")}


def _connect(country: str | None, currency: str = "USD",
             status: ConnectionStatus = ConnectionStatus.CONNECTED) -> None:
    db.session.add(QboConnection(realm_id=f"9130{len(country or '')}{status.value}",
                                 environment="emulator", status=status, company_name="Co",
                                 access_token_enc="x", refresh_token_enc="x",  # noqa: S106
                                 access_expires_at=utcnow() + timedelta(hours=1),
                                 country=country, home_currency=currency))
    db.session.commit()


def _label(html: str, field: str) -> str:
    found = re.search(rf'<label class="form-label" for="{field}">([^<]*)</label>', html)
    assert found, f"no label for {field}"
    return found.group(1)


def _address_labels(client: FlaskClient, path: str) -> tuple[str, str]:
    html = client.get(path).get_data(as_text=True)
    return _label(html, "region"), _label(html, "postal_code")


@pytest.mark.parametrize("country", sorted(WORDS))
def test_address_fields_are_named_as_the_connected_company_names_them(
        auth: Auth, country: str) -> None:
    _connect(country)  # home currency USD: the connection's country wins over it
    client = auth.login("owner")
    assert _address_labels(client, "/clients/new") == WORDS[country]
    assert _address_labels(client, "/organizations/new") == WORDS[country]


def test_the_edit_pages_use_the_same_words_and_keep_what_is_typed(auth: Auth) -> None:
    _connect("CAN", "CAD")
    client = auth.login("owner")
    saved = client.post("/clients/new", data={
        "name": "Maple Consulting", "is_company": "1", "address_line1": "100 King St W",
        "city": "Toronto", "region": "ON", "postal_code": "M5X 1A9", "country": "Canada",
        "currency": "CAD", "act_as_reference": "", "active": "y"})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    maple = db.session.scalars(select(Client)).one()
    assert (maple.region, maple.postal_code) == ("ON", "M5X 1A9")
    assert _address_labels(client, f"/clients/{maple.id}") == ("Province", "Postal code")
    organization = Organization(name="Loonie Supply", region="BC", postal_code="V6B 1A1")
    db.session.add(organization)
    db.session.commit()
    html = client.get(f"/organizations/{organization.id}").get_data(as_text=True)
    assert (_label(html, "region"), _label(html, "postal_code")) == ("Province", "Postal code")
    assert 'value="V6B 1A1"' in html


def test_without_a_connection_the_home_currency_says_the_country(auth: Auth) -> None:
    client = auth.login("owner")
    assert _address_labels(client, "/clients/new") == ("State", "ZIP code")  # USD by default
    for currency, words in (("GBP", WORDS["GBR"]), ("AUD", WORDS["AUS"]),
                            ("EUR", ("Region", "Postal code")), ("CAD", WORDS["CAN"])):
        CompanySettings.load().home_currency = currency
        db.session.commit()
        assert _address_labels(client, "/organizations/new") == words, currency


def test_a_company_waiting_for_confirmation_does_not_rename_fields(auth: Auth) -> None:
    _connect("GBR", "GBP", status=ConnectionStatus.PENDING_CONFIRMATION)
    client = auth.login("owner")
    assert _address_labels(client, "/clients/new") == ("State", "ZIP code")


def test_country_codes_are_read_in_every_form() -> None:
    for written in ("US", "usa", " United  States ", "USA"):
        assert iso3(written) == "USA"
    assert [iso3(c) for c in ("CA", "Canada", "uk", "GB", "AU", "Australia")] == [
        "CAN", "CAN", "GBR", "GBR", "AUS", "AUS"]
    assert iso3("") is None and iso3(None) is None and iso3("fra") == "FRA"
    assert address_words("United Kingdom").postal_code == "Postcode"
    assert address_words("FRA") == address_words(None) == OTHER_ADDRESS_WORDS
    # QuickBooks' country first; the home currency only when QuickBooks says nothing.
    assert firm_country("CAN", "USD") == "CAN"
    assert firm_country(None, "gbp") == "GBR" and firm_country(None, "EUR") is None
    assert spelled("Check; cash and check", "CAN") == "Cheque; cash and cheque"
    assert spelled("Check; checks", "USA") == "Check; checks" == spelled("Check; checks", None)


def test_invoice_mileage_lines_are_counted_in_the_company_unit(auth: Auth) -> None:
    settings = CompanySettings.load()
    settings.distance_unit = DistanceUnit.KILOMETRES
    invoice = Invoice(number="1001", client=Client(name="Maple Consulting"),
                      issue_date=date(2026, 11, 20))
    db.session.add(invoice)
    db.session.commit()
    client = auth.login("owner")
    page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    mileage = page[page.index('id="add-mileage"'):]
    assert _label(mileage, "mileage-miles") == "Kilometres"
    assert _label(mileage, "mileage-rate") == "Rate per km"
    assert "Miles" not in mileage and "per mile" not in mileage
    added = client.post(f"/invoices/{invoice.id}/lines", data={
        "kind": "mileage", "mileage-miles": "42", "mileage-rate": "0.61",
        "mileage-description": "Site visit"})
    assert added.status_code in (200, 302), added.get_data(as_text=True)[:2000]
    lines = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert re.search(r'<td class="money">42(\.0+)? km</td>', lines)
