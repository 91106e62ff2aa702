"""Form errors are tied to their fields, radio groups show theirs, and the title says so."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.conftest import Auth


def _title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


def test_an_invalid_field_points_at_its_message(auth: Auth, client: FlaskClient) -> None:
    auth.login("owner")
    html = client.post("/clients/new", data={"name": "", "email": "not-an-address"}).get_data(
        as_text=True)
    assert _title(html).startswith("Errors to fix: ")
    name = re.search(r'<input[^>]*id="name"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in name and 'aria-describedby="name-error"' in name
    assert re.search(r'<div class="invalid-feedback" id="name-error">[^<]+</div>', html)
    email = re.search(r'<input[^>]*id="email"[^>]*>', html).group(0)
    assert 'aria-describedby="email-error"' in email
    # A valid field is left alone.
    phone = re.search(r'<input[^>]*id="phone"[^>]*>', html).group(0)
    assert "aria-invalid" not in phone


def test_a_page_without_errors_has_a_plain_title(auth: Auth, client: FlaskClient) -> None:
    auth.login("owner")
    html = client.get("/clients/new").get_data(as_text=True)
    assert "Errors to fix" not in _title(html)
    assert "aria-invalid" not in html


def test_a_radio_group_shows_its_error(auth: Auth, client: FlaskClient) -> None:
    auth.login("owner")
    html = client.post("/admin/settings", data={"integration": "bogus"}).get_data(as_text=True)
    assert _title(html).startswith("Errors to fix: ")
    group = re.search(r'<fieldset[^>]*id="integration"[^>]*>', html).group(0)
    assert 'aria-describedby="integration-error"' in group
    assert re.search(r'id="integration-error">Not a valid choice', html)


def test_mileage_follows_the_company_unit(auth: Auth, client: FlaskClient) -> None:
    """Kilometres, as claimed in Canada and the UK, once the owner chooses them."""
    auth.login("owner")
    assert ">Miles</label>" in client.get("/my/mileage/new").get_data(as_text=True)
    settings = client.get("/admin/settings").get_data(as_text=True)
    assert "Mileage is claimed in" in settings
    client.post("/admin/settings", data={"company_name": "Maple Books", "home_currency": "CAD",
                                         "integration": "none", "distance_unit": "km"})
    form = client.get("/my/mileage/new").get_data(as_text=True)
    assert ">Kilometres</label>" in form and ">Rate per km</label>" in form
    assert "Miles" not in form
    client.post("/my/mileage/new", data={"trip_date": "2026-11-20", "miles": "42",
                                         "rate_per_mile": "0.61"})
    listing = client.get("/my/mileage").get_data(as_text=True)
    assert "Kilometres</th>" in listing and "Rate per km</th>" in listing
    assert "25.62" in listing
