"""Organization Manager: organizations and their contacts."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import Contact, Organization, OrganizationCategory, PaymentTerm
from tests.conftest import Auth

HTMX = {"HX-Request": "true"}


def _org(**kw: object) -> Organization:
    org = Organization(**{"name": "Northwind Traders", **kw})
    db.session.add(org)
    db.session.commit()
    return org


def test_created_organization_appears_in_listing_and_search(auth: Auth) -> None:
    client = auth.login("owner")
    term = PaymentTerm(name="Net 15", due_days=15)
    category = OrganizationCategory(name="Supplier")
    db.session.add_all([term, category])
    db.session.commit()
    response = client.post("/organizations/new", data={
        "name": "  Contoso Supply  ", "category_id": str(category.id),
        "email": "ap@contoso.example.com", "phone": "555-0100", "address_line1": "1 Main St",
        "city": "Springfield",
        "currency": "CAD", "payment_term_id": str(term.id), "active": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)
    org = db.session.scalars(select(Organization)).one()
    assert (org.name, org.currency, org.category, org.payment_term) == (
        "Contoso Supply", "CAD", category, term)
    _org(name="Fabrikam")
    listing = client.get("/organizations/").get_data(as_text=True)
    assert "Contoso Supply" in listing and "Fabrikam" in listing
    found = client.get("/organizations/?q=contoso.example").get_data(as_text=True)
    assert "Contoso Supply" in found and "Fabrikam" not in found
    by_phone = client.get("/organizations/?q=0100").get_data(as_text=True)
    assert "Contoso Supply" in by_phone


def test_invalid_name_shows_message_and_writes_nothing(auth: Auth) -> None:
    client = auth.login("owner")
    response = client.post("/organizations/new", data={"name": "Acme: West", "currency": "USD"})
    assert response.status_code == 200
    assert "cannot contain a colon" in response.get_data(as_text=True)
    missing = client.post("/organizations/new", data={"name": "", "currency": "USD"})
    assert "Required." in missing.get_data(as_text=True)
    bad_email = client.post("/organizations/new", data={"name": "Ok", "email": "nope",
                                                        "currency": "USD"})
    assert "Invalid email address" in bad_email.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Organization)) == 0


def test_category_and_status_filters(auth: Auth) -> None:
    client = auth.login("qboadmin")
    supplier = OrganizationCategory(name="Supplier")
    db.session.add(supplier)
    _org(name="Categorized Co", category=supplier)
    _org(name="Loose Co")
    _org(name="Sleeping Co", active=False)
    uncategorized = client.get("/organizations/?category=none").get_data(as_text=True)
    assert "Loose Co" in uncategorized and "Categorized Co" not in uncategorized
    by_category = client.get(f"/organizations/?category={supplier.id}").get_data(as_text=True)
    assert "Categorized Co" in by_category and "Loose Co" not in by_category
    assert "Sleeping Co" not in client.get("/organizations/").get_data(as_text=True)
    assert "Sleeping Co" in client.get("/organizations/?status=all").get_data(as_text=True)
    fragment = client.get("/organizations/?sort=name&dir=desc",
                          headers={**HTMX, "HX-Target": "listing"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="listing">')
    assert fragment.index("Loose Co") < fragment.index("Categorized Co")


def test_edit_organization(auth: Auth) -> None:
    client = auth.login("owner")
    org = _org()
    page = client.get(f"/organizations/{org.id}").get_data(as_text=True)
    assert 'aria-label="breadcrumb"' in page and 'id="contacts"' in page
    response = client.post(f"/organizations/{org.id}", data={"name": "Northwind Ltd",
                                                             "currency": "EUR"})
    assert response.status_code == 302
    db.session.expire_all()
    org = db.session.get(Organization, org.id)
    assert (org.name, org.currency, org.active, org.category_id) == ("Northwind Ltd", "EUR",
                                                                    False, None)


def test_contacts_add_edit_delete_through_htmx(auth: Auth) -> None:
    client = auth.login("owner")
    org = _org()
    base = f"/organizations/{org.id}/contacts"
    added = client.post(base, headers=HTMX, data={"contact-name": "Lee Park",
                                                  "contact-title": "Buyer",
                                                  "contact-email": "lee@northwind.example.com"})
    text = added.get_data(as_text=True)
    assert added.status_code == 200
    assert text.lstrip().startswith('<section id="contacts"') and "<html" not in text
    assert "Lee Park" in text and "lee@northwind.example.com" in text
    contact = db.session.scalars(select(Contact)).one()

    editing = client.get(f"{base}/{contact.id}", headers=HTMX).get_data(as_text=True)
    assert f'name="contact-{contact.id}-name"' in editing
    saved = client.post(f"{base}/{contact.id}", headers=HTMX,
                        data={f"contact-{contact.id}-name": "Lee Park-Smith"})
    assert "Lee Park-Smith" in saved.get_data(as_text=True)

    invalid = client.post(base, headers=HTMX, data={"contact-name": ""})
    assert "Required." in invalid.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 1

    assert client.get(f"{base}/{contact.id}/delete").status_code == 405
    deleted = client.post(f"{base}/{contact.id}/delete", headers=HTMX)
    assert "No contacts at Northwind Traders yet." in deleted.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0


def test_contacts_without_htmx_redirect_back(auth: Auth) -> None:
    client = auth.login("owner")
    org = _org()
    response = client.post(f"/organizations/{org.id}/contacts", data={"contact-name": "Kim"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/organizations/{org.id}#contacts")
    other = _org(name="Other")
    contact = db.session.scalars(select(Contact)).one()
    assert client.post(f"/organizations/{other.id}/contacts/{contact.id}/delete").status_code \
        == 404


def test_associate_gets_403_everywhere(app: Flask, auth: Auth) -> None:
    client = auth.login("alex")
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("organizations.")]
    assert len(rules) >= 6
    for rule in rules:
        url = (rule.rule.replace("<int:organization_id>", "1")
               .replace("<int:contact_id>", "1"))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            assert client.open(url, method=method).status_code == 403, (method, url)
