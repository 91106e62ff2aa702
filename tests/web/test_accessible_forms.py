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
