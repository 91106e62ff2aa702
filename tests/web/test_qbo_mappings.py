"""Admin -> QuickBooks Online Settings: mappings, defaults, readiness, rates, currency locks."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import (
    BillingCode,
    BillingCodeKind,
    Client,
    ConnectionStatus,
    ExchangeRate,
    LinkOrigin,
    LinkState,
    Organization,
    PaymentTerm,
    QboConnection,
    QboLink,
    QboObject,
    TaxCode,
)
from app.models.base import utcnow
from app.sync import mappings
from app.sync.readiness import readiness
from tests.conftest import Auth
from tests.support import fix_path

REALM = "9130000000000003"


def _connect(multicurrency: bool = False) -> None:
    db.session.add(QboConnection(realm_id=REALM, environment="emulator",
                                 status=ConnectionStatus.CONNECTED, company_name="Kestrel",
                                 access_token_enc="x", refresh_token_enc="x",  # noqa: S106
                                 access_expires_at=utcnow() + timedelta(hours=1),
                                 country="US", home_currency="USD",
                                 multicurrency_enabled=multicurrency))
    db.session.commit()


def _qbo(entity: str, qbo_id: str, name: str, *, active: bool = True,
         subtype: str | None = None, **data: object) -> None:
    db.session.add(QboObject(realm_id=REALM, entity=entity, qbo_id=qbo_id, name=name,
                             active=active, subtype=subtype, data=dict(data),
                             fetched_at=utcnow()))
    db.session.commit()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture()
def admin(auth: Auth, enable_qbo: None) -> object:
    """A QBO admin's client, with a connected company."""
    _connect()
    return auth.login("qboadmin")


def test_pages_say_connect_first_without_a_connection(auth: Auth, enable_qbo: None) -> None:
    client = auth.login("qboadmin")
    for path in ("mappings", "defaults", "rates", "readiness"):
        response = client.get(f"/admin/qbo/settings/{path}")
        assert response.status_code == 200
        assert "Connect to QuickBooks first" in response.get_data(as_text=True)
    response = client.post("/admin/qbo/settings/mappings/billing-codes", data={"map-1": "5"})
    assert response.status_code == 302
    assert db.session.scalars(select(QboLink)).all() == []


def test_associates_cannot_see_or_post(auth: Auth, enable_qbo: None) -> None:
    _connect()
    client = auth.login("alex")
    assert client.get("/admin/qbo/settings/mappings").status_code == 403
    assert client.post("/admin/qbo/settings/mappings/billing-codes/accept").status_code == 403


def test_menu_lists_the_settings_pages(admin: object) -> None:
    html = admin.get("/admin/qbo/settings/mappings").get_data(as_text=True)
    for label in ("Mappings", "Defaults", "Exchange rates", "Go-live readiness"):
        assert f">{label}</a>" in html


def test_mapping_page_shows_suggestions_income_accounts_and_inactive_rows(admin: object
                                                                          ) -> None:
    design = BillingCode(code="Design", kind=BillingCodeKind.HOURLY)
    hosting = BillingCode(code="Hosting", kind=BillingCodeKind.HOURLY)
    term = PaymentTerm(name="Net 30")
    tax = TaxCode(code="TX", name="Texas", rate_percent=Decimal("8.25"))
    db.session.add_all([design, hosting, term, tax])
    db.session.commit()
    _qbo("Account", "40", "Services Income", subtype="Income")
    _qbo("Item", "5", "design", subtype="Service", IncomeAccountRef="40")
    _qbo("Item", "6", "Web hosting", active=False, subtype="Service")
    _qbo("Term", "3", "Net 30")
    mappings.set_mapping(db.session, REALM, "billing_code", hosting.id, "6")
    db.session.commit()
    html = admin.get("/admin/qbo/settings/mappings").get_data(as_text=True)
    text = _text(html)
    assert 'id="billing-codes"' in html and 'id="tax-codes"' in html
    assert "Suggested design" in text
    assert "Accept 1 suggestion" in text
    assert "design · income: Services Income" in text
    assert "Inactive in QuickBooks" in text
    assert "— create in QBO —" in html and "— not mapped —" in html
    assert "Not mapped" in text  # the tax code cannot be created


def test_accept_suggestions_maps_by_name(admin: object) -> None:
    design = BillingCode(code="Design", kind=BillingCodeKind.HOURLY)
    other = BillingCode(code="Other", kind=BillingCodeKind.HOURLY)
    db.session.add_all([design, other])
    db.session.commit()
    _qbo("Item", "5", "Design")
    response = admin.post("/admin/qbo/settings/mappings/billing-codes/accept")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/admin/qbo/settings/mappings#billing-codes")
    assert "1 suggestion accepted" in admin.get("/admin/qbo/settings/mappings").get_data(
        as_text=True)
    link = db.session.scalars(select(QboLink)).one()
    assert (link.local_id, link.qbo_id, link.origin) == (design.id, "5", LinkOrigin.MAPPED)


def test_saving_mappings_is_all_or_nothing(admin: object) -> None:
    a = PaymentTerm(name="Net 30")
    b = PaymentTerm(name="Net 60")
    db.session.add_all([a, b])
    db.session.commit()
    _qbo("Term", "3", "Net 30")
    response = admin.post("/admin/qbo/settings/mappings/payment-terms",
                          data={f"map-{a.id}": "3", f"map-{b.id}": "999"})
    assert response.status_code == 422
    assert "Nothing was saved" in response.get_data(as_text=True)
    assert "#999 is not in the imported lists" in response.get_data(as_text=True)
    assert db.session.scalars(select(QboLink)).all() == []
    response = admin.post("/admin/qbo/settings/mappings/payment-terms",
                          data={f"map-{a.id}": "3", f"map-{b.id}": ""})
    assert response.status_code == 302
    assert mappings.mapped_qbo_id(db.session, REALM, "payment_term", a.id) == "3"
    admin.post("/admin/qbo/settings/mappings/payment-terms", data={f"map-{a.id}": ""})
    assert mappings.mapped_qbo_id(db.session, REALM, "payment_term", a.id) is None


def test_bad_kind_and_bad_row_names(admin: object) -> None:
    assert admin.post("/admin/qbo/settings/mappings/nope").status_code == 404
    response = admin.post("/admin/qbo/settings/mappings/classes", data={"map-x": "1"})
    assert response.status_code == 422 and "Unknown row" in response.get_data(as_text=True)


def test_linked_rows_cannot_be_unmapped(admin: object) -> None:
    code = BillingCode(code="Design", kind=BillingCodeKind.HOURLY)
    db.session.add(code)
    db.session.commit()
    db.session.add(QboLink(realm_id=REALM, entity_type="billing_code", local_id=code.id,
                           qbo_id="12", origin=LinkOrigin.PUSHED, state=LinkState.SYNCED))
    db.session.commit()
    response = admin.post("/admin/qbo/settings/mappings/billing-codes",
                          data={f"map-{code.id}": ""})
    assert response.status_code == 422
    assert "stays linked" in response.get_data(as_text=True)
    assert mappings.mapped_qbo_id(db.session, REALM, "billing_code", code.id) == "12"


def test_defaults_page_validates_and_saves(admin: object) -> None:
    _qbo("Account", "1", "A/R", subtype="Accounts Receivable")
    _qbo("Account", "2", "Checking", subtype="Bank")
    html = admin.get("/admin/qbo/settings/defaults").get_data(as_text=True)
    assert "Accounts receivable (A/R) account" in html
    assert "QuickBooks calculates the tax; show its figures here" in html
    response = admin.post("/admin/qbo/settings/defaults",
                          data={"ar_account": "2", "expense_payment_account": "2",
                                "expense_payment_type": "CreditCard", "tax_mode": "override"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Choose an account of type Accounts Receivable" in page
    assert "must be paid from a Credit Card account" in page
    assert mappings.preference(db.session, REALM, "tax_mode") == "qbo"
    response = admin.post("/admin/qbo/settings/defaults",
                          data={"ar_account": "1", "expense_payment_account": "2",
                                "expense_payment_type": "Check", "tax_mode": "override"})
    assert response.status_code == 302
    assert mappings.preference(db.session, REALM, "ar_account") == "1"
    assert mappings.preference(db.session, REALM, "tax_mode") == "override"


def test_readiness_page_lists_checks_with_fix_links(admin: object, app: Flask) -> None:
    db.session.add_all([Client(name="Acme"), Organization(name="ACME")])
    db.session.commit()
    html = admin.get("/admin/qbo/settings/readiness").get_data(as_text=True)
    text = _text(html)
    assert "checks need attention before going live" in text
    assert 'id="check-names"' in html and "Shared names" in text
    assert "Connected to “Kestrel”" in text


def test_every_fix_url_is_a_real_page(admin: object, app: Flask) -> None:
    db.session.add_all([Client(name="Acme", currency="EUR"), Organization(name="ACME"),
                        TaxCode(code="TX", name="TX")])
    db.session.commit()
    db.session.add(Client(name="Other", tax_code_id=db.session.scalar(select(TaxCode.id))))
    db.session.commit()
    adapter = app.url_map.bind("localhost")
    urls = {url for c in readiness(db.session, REALM) if (url := fix_path(c.fix))}
    assert len(urls) >= 5
    for url in urls:
        adapter.match(url.split("#")[0], method="GET")  # raises when no route matches


def test_rates_page_adds_validates_and_removes(admin: object) -> None:
    response = admin.post("/admin/qbo/settings/rates",
                          data={"currency": "CAD", "rate": "0.7312", "as_of": "2026-03-01"})
    assert response.status_code == 302
    row = db.session.scalars(select(ExchangeRate)).one()
    assert (row.currency, row.home_currency, row.rate, row.as_of) == (
        "CAD", "USD", Decimal("0.7312"), date(2026, 3, 1))
    html = admin.get("/admin/qbo/settings/rates").get_data(as_text=True)
    assert "0.7312" in html and "USD per one unit" in html
    for data, message in (({"currency": "CAD", "rate": "-1", "as_of": "2026-03-01"},
                           "greater than zero"),
                          ({"currency": "CAD", "rate": "abc", "as_of": "2026-03-01"},
                           "as a number"),
                          ({"currency": "CAD", "rate": "1.123456789", "as_of": "2026-03-01"},
                           "At most 8 decimal places"),
                          ({"currency": "CAD", "rate": "1", "as_of": "yesterday"},
                           "YYYY-MM-DD"),
                          ({"currency": "XXX", "rate": "1", "as_of": "2026-03-01"},
                           "Choose a currency")):
        response = admin.post("/admin/qbo/settings/rates", data=data)
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert len(db.session.scalars(select(ExchangeRate)).all()) == 1
    assert admin.post(f"/admin/qbo/settings/rates/{row.id}/delete").status_code == 302
    assert db.session.scalars(select(ExchangeRate)).all() == []


def test_linked_client_currency_cannot_change(admin: object) -> None:
    client = Client(name="Maple", currency="CAD")
    db.session.add(client)
    db.session.commit()
    form = {"name": "Maple", "is_company": "1", "currency": "USD", "active": "y",
            "act_as_reference": ""}
    assert admin.post(f"/clients/{client.id}", data=form).status_code == 302
    assert db.session.get(Client, client.id).currency == "USD"
    db.session.add(QboLink(realm_id=REALM, entity_type="client", local_id=client.id,
                           qbo_id="58", origin=LinkOrigin.PUSHED, state=LinkState.SYNCED))
    db.session.commit()
    page = admin.get(f"/clients/{client.id}").get_data(as_text=True)
    assert "The currency is fixed" in page
    response = admin.post(f"/clients/{client.id}", data={**form, "currency": "EUR"})
    assert response.status_code == 200
    assert "QuickBooks never lets a customer" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Client, client.id).currency == "USD"
    renamed = admin.post(f"/clients/{client.id}", data={**form, "name": "Maple Ltd"})
    assert renamed.status_code == 302  # other fields still save


def test_linked_organization_currency_cannot_change(admin: object) -> None:
    org = Organization(name="Northwind", currency="USD")
    db.session.add(org)
    db.session.commit()
    db.session.add(QboLink(realm_id=REALM, entity_type="organization", local_id=org.id,
                           qbo_id="9", origin=LinkOrigin.IMPORTED, state=LinkState.SYNCED))
    db.session.commit()
    response = admin.post(f"/organizations/{org.id}",
                          data={"name": "Northwind", "currency": "GBP", "active": "y"})
    assert response.status_code == 200
    assert "QuickBooks never lets a vendor" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Organization, org.id).currency == "USD"


def test_tax_code_rates_side_by_side_and_a_difference_warned(admin: object) -> None:
    hst = TaxCode(code="HST ON", name="HST Ontario", rate_percent=Decimal("13"))
    vat = TaxCode(code="VAT", name="VAT", rate_percent=Decimal("20.0000"))
    db.session.add_all([hst, vat])
    db.session.commit()
    _qbo("TaxCode", "3", "GST", Taxable=True,
         sales_rates=[{"id": "1", "name": "GST", "percent": "10"}])
    _qbo("TaxCode", "7", "20.0% S", Taxable=True,
         sales_rates=[{"id": "4", "name": "20.0% S", "percent": "20.0"}])
    response = admin.post("/admin/qbo/settings/mappings/tax-codes",
                          data={f"map-{hst.id}": "3", f"map-{vat.id}": "7"},
                          follow_redirects=True)
    text = _text(response.get_data(as_text=True))
    # Saved, with a warning naming both rates (QBO computes at its own rate).
    assert "2 mappings saved" in text
    assert "Rates differ: QuickBooks charges 10%, Ledgerhub 13% for HST ON." in text
    assert "QuickBooks computes the tax of HST ON invoices at GST" in text
    html = admin.get("/admin/qbo/settings/mappings").get_data(as_text=True)
    row = _text(html.split(f'id="tax-rate-{hst.id}"')[1].split("</td>")[0])
    assert "13% · 10%" in row and "Rates differ" in row
    same = _text(html.split(f'id="tax-rate-{vat.id}"')[1].split("</td>")[0])
    assert "20% · 20%" in same and "Rates differ" not in same
    assert "GST · 10%" in html  # the choices name each QBO code's rate
    assert "1E+1" not in html and "2E+1" not in html
    check = {c.key: c for c in readiness(db.session, REALM)}["tax_rates"]
    assert (check.ok, check.count) == (False, 1)
    assert "QuickBooks charges 10%, Ledgerhub 13% for HST ON (mapped to GST)" in check.message


def test_tax_rates_and_exchange_rates_are_shown_plainly(admin: object) -> None:
    code = TaxCode(code="GST", name="GST", rate_percent=Decimal("10.0000"))
    qst = TaxCode(code="QST", name="QST", rate_percent=Decimal("9.9750"))
    db.session.add_all([code, qst])
    db.session.commit()
    assert (str(code), str(qst)) == ("GST (10%)", "QST (9.975%)")
    db.session.add(ExchangeRate(currency="EUR", home_currency="USD",
                                rate=Decimal("1.08250000"), as_of=date(2026, 3, 1)))
    db.session.add(ExchangeRate(currency="GBP", home_currency="USD",
                                rate=Decimal("2.00000000"), as_of=date(2026, 3, 1)))
    db.session.commit()
    text = _text(admin.get("/admin/qbo/settings/rates").get_data(as_text=True))
    assert " 1.0825 " in text and " 2 " in text
    assert "1.08250000" not in text and "2.00" not in text


def test_targets_qbo_would_refuse_are_not_offered_and_refused(admin: object) -> None:
    tax = TaxCode(code="NY", name="New York", rate_percent=Decimal("4"))
    db.session.add(tax)
    db.session.commit()
    _qbo("TaxCode", "TAX", "TAX")
    _qbo("TaxCode", "7", "New York State")
    _qbo("TaxCode", "8", "Old County", active=False)
    html = admin.get("/admin/qbo/settings/mappings").get_data(as_text=True)
    field = f'id="map-{tax.id}"'
    select_html = html[html.index(field):html.index("</select>", html.index(field))]
    assert '<option value="7">New York State</option>' in select_html
    assert ('<option value="TAX" disabled>TAX — not offered: it only marks US invoice lines as '
            'taxable or not; an invoice needs a sales tax code or rate group</option>'
            in select_html)
    assert ('<option value="8" disabled>Old County — not offered: it is inactive in QuickBooks, '
            'which refuses references to inactive entries</option>' in select_html)

    response = admin.post("/admin/qbo/settings/mappings/tax-codes", data={f"map-{tax.id}": "TAX"})
    assert response.status_code == 422
    assert ("QuickBooks would refuse “TAX”: it only marks US invoice lines as taxable or not"
            in _text(response.get_data(as_text=True)))
    assert db.session.scalars(select(QboLink)).all() == []
    assert admin.post("/admin/qbo/settings/mappings/tax-codes",
                      data={f"map-{tax.id}": "7"}).status_code == 302
    assert db.session.scalars(select(QboLink.qbo_id)).all() == ["7"]
