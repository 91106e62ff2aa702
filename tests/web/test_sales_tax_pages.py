"""Readiness and the QuickBooks defaults page say which sales tax model the company uses."""

from __future__ import annotations

import html as markup
import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Client, ConnectionStatus, QboConnection, QboPreference, TaxCode
from app.models.base import utcnow
from tests.conftest import Auth

REALM = "9130000000000077"


def _connect(automated: bool) -> None:
    db.session.add(QboConnection(realm_id=REALM, environment="emulator",
                                 status=ConnectionStatus.CONNECTED, company_name="Kestrel",
                                 access_token_enc="x", refresh_token_enc="x",  # noqa: S106
                                 access_expires_at=utcnow() + timedelta(hours=1),
                                 country="US", home_currency="USD",
                                 automated_sales_tax=automated))
    # A taxable tax code in use and not mapped.
    code = TaxCode(code="ST", name="State tax")
    db.session.add(Client(name="Taxed Client", tax_code=code))
    db.session.commit()


def _text(html: str) -> str:
    return markup.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def _row(html: str, key: str) -> str:
    match = re.search(rf'<tr id="check-{key}".*?</tr>', html, re.S)
    assert match, key
    return _text(match.group(0))


@pytest.mark.parametrize("automated", [True, False])
def test_readiness_names_the_model_and_what_tax_codes_need(auth: Auth, enable_qbo: None,
                                                           automated: bool) -> None:
    _connect(automated)
    html = auth.login("qboadmin").get("/admin/qbo/settings/readiness").get_data(as_text=True)
    model = _row(html, "sales_tax")
    codes = _row(html, "map_tax_code")
    if automated:
        assert "Automated sales tax" in model
        assert "calculates sales tax from the customer's address" in model
        assert "shows QuickBooks' tax and total" in model
        assert "Not needed" in codes and "OK" in codes and "ignores tax codes" in codes
    else:
        assert "Manual sales tax (tax codes)" in model
        assert "must be mapped" in model
        assert "To fix" in codes and "ST" in codes


def test_defaults_page_explains_the_model_and_the_owners_choice(auth: Auth,
                                                                enable_qbo: None) -> None:
    _connect(automated=True)
    client = auth.login("owner")
    page = _text(client.get("/admin/qbo/settings/defaults").get_data(as_text=True))
    assert "Sales tax: Automated sales tax" in page
    assert "QuickBooks calculates sales tax from the customer's address" in page
    assert "Sales tax on copied invoices" in page
    assert "Each copy lets QuickBooks calculate the tax" in page
    db.session.add(QboPreference(realm_id=REALM, key="tax_mode", value="override"))
    db.session.commit()
    page = _text(client.get("/admin/qbo/settings/defaults").get_data(as_text=True))
    assert "QuickBooks keeps that amount instead of calculating its own" in page


@pytest.mark.parametrize("automated", [True, False])
def test_mappings_page_says_when_tax_codes_need_no_mapping(auth: Auth, enable_qbo: None,
                                                           automated: bool) -> None:
    _connect(automated)
    html = auth.login("qboadmin").get("/admin/qbo/settings/mappings").get_data(as_text=True)
    section = _text(re.search(r'<section class="card mb-4" id="tax-codes">.*?</section>', html,
                              re.S).group(0))
    if automated:
        assert "calculates sales tax from the customer's address and ignores tax codes" in section
        assert "Not needed (automated sales tax)" in section and "Not mapped" not in section
    else:
        assert "Not mapped" in section and "automated sales tax" not in section
