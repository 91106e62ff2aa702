"""Lists: billing codes, terms, classes, tax codes, payment methods, accounts, categories."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import BillingCode, PaymentTerm, TaxCode, TxnClass
from app.web.catalog.routes import KINDS
from tests.conftest import Auth

NEW = {
    "billing-codes": {"code": "Consulting", "kind": "hourly", "default_rate": "150.00",
                      "active": "y"},
    "payment-terms": {"name": "Net 45", "due_days": "45", "active": "y"},
    "classes": {"name": "Advisory", "active": "y"},
    "tax-codes": {"code": "CA", "name": "California", "rate_percent": "8.25", "taxable": "y",
                  "active": "y"},
    "payment-methods": {"name": "Wire", "active": "y"},
    "accounts": {"name": "Office Supplies", "number": "6100", "account_type": "Expense",
                 "active": "y"},
    "organization-categories": {"name": "Subcontractor"},
}


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize("slug", list(NEW))
def test_created_record_appears_in_its_listing(auth: Auth, slug: str) -> None:
    client = auth.login("owner")
    response = client.post(f"/lists/{slug}/new", data=NEW[slug])
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    name = NEW[slug].get("code") or NEW[slug]["name"]
    page = client.get(f"/lists/{slug}").get_data(as_text=True)
    assert name in page
    assert _count(KINDS[slug].model) == 1


def test_index_counts_every_list(auth: Auth) -> None:
    client = auth.login("qboadmin")
    client.post("/lists/classes/new", data=NEW["classes"])
    page = client.get("/lists/").get_data(as_text=True)
    for kind in KINDS.values():
        assert kind.title in page
    assert 'id="list-classes"' in page


def test_duplicate_name_shows_message_and_writes_nothing(auth: Auth) -> None:
    client = auth.login("owner")
    client.post("/lists/payment-terms/new", data=NEW["payment-terms"])
    response = client.post("/lists/payment-terms/new", data={**NEW["payment-terms"],
                                                             "name": "net 45"})
    assert response.status_code == 200
    assert "Another payment term already uses this name." in response.get_data(as_text=True)
    assert _count(PaymentTerm) == 1


def test_invalid_names_show_the_rule_next_to_the_field(auth: Auth) -> None:
    client = auth.login("owner")
    too_long = client.post("/lists/payment-methods/new", data={"name": "x" * 32})
    assert "At most 31 characters" in too_long.get_data(as_text=True)
    colon = client.post("/lists/classes/new", data={"name": "Advisory: East"})
    assert "cannot contain a colon" in colon.get_data(as_text=True)
    assert 'class="invalid-feedback"' in colon.get_data(as_text=True)
    ok_100 = client.post("/lists/classes/new", data={"name": "y" * 100})
    assert ok_100.status_code == 302
    assert _count(TxnClass) == 1


def test_edit_keeps_its_own_name_and_updates(auth: Auth) -> None:
    client = auth.login("owner")
    client.post("/lists/tax-codes/new", data=NEW["tax-codes"])
    tax = db.session.scalars(select(TaxCode)).one()
    response = client.post(f"/lists/tax-codes/{tax.id}",
                           data={**NEW["tax-codes"], "rate_percent": "7.125"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(TaxCode, tax.id).rate_percent == Decimal("7.125")


def test_search_sort_and_active_filter(auth: Auth) -> None:
    client = auth.login("owner")
    db.session.add_all([BillingCode(code="Design", kind="hourly"),
                        BillingCode(code="Travel", kind="expense", active=False),
                        BillingCode(code="Development", kind="hourly")])
    db.session.commit()
    page = client.get("/lists/billing-codes").get_data(as_text=True)
    assert "Design" in page and "Development" in page and "Travel" not in page
    assert page.index("Design") < page.index("Development")
    desc = client.get("/lists/billing-codes?sort=code&dir=desc").get_data(as_text=True)
    assert desc.index("Development") < desc.index("Design")
    found = client.get("/lists/billing-codes?q=desi").get_data(as_text=True)
    assert "Design" in found and "Development" not in found
    inactive = client.get("/lists/billing-codes?status=inactive").get_data(as_text=True)
    assert "Travel" in inactive and "Design" not in inactive


def test_listing_answers_htmx_with_the_table_fragment(auth: Auth) -> None:
    client = auth.login("owner")
    response = client.get("/lists/classes?q=zzz", headers={"HX-Request": "true",
                                                             "HX-Target": "listing"})
    text = response.get_data(as_text=True)
    assert '<div id="listing">' in text and "<html" not in text
    assert "No class matches" in text


def test_empty_state_and_unknown_list(auth: Auth) -> None:
    client = auth.login("owner")
    assert "No accounts yet." in client.get("/lists/accounts").get_data(as_text=True)
    assert client.get("/lists/nonsense").status_code == 404


def test_associate_gets_403_everywhere(app: Flask, auth: Auth) -> None:
    client = auth.login("alex")
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("catalog.")]
    assert rules
    for rule in rules:
        url = rule.rule.replace("<kind>", "classes").replace("<int:record_id>", "1")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            assert client.open(url, method=method).status_code == 403, (method, url)
