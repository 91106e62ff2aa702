"""Purchase orders: header, lines on a billing code or an account, total, open/closed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Account,
    AccountType,
    BillingCode,
    BillingCodeKind,
    Organization,
    POLine,
    POStatus,
    PurchaseOrder,
)
from tests.conftest import Auth

HTMX = {"HX-Request": "true"}


@pytest.fixture()
def setup(users: dict) -> dict:
    """A vendor in EUR, a billing code and an expense account."""
    org = Organization(name="Northwind", currency="EUR")
    code = BillingCode(code="Subcontract", kind=BillingCodeKind.EXPENSE)
    account = Account(name="Office Supplies", account_type=AccountType.EXPENSE)
    db.session.add_all([org, code, account])
    db.session.commit()
    return {"org": org, "code": code, "account": account}


def _po(setup: dict, **kw: object) -> PurchaseOrder:
    po = PurchaseOrder(**{"number": "PO-1001", "organization": setup["org"],
                          "order_date": date.today(), "currency": "EUR", **kw})
    db.session.add(po)
    db.session.commit()
    return po


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_created_order_appears_in_listing(auth: Auth, setup: dict) -> None:
    client = auth.login("owner")
    assert 'value="1001"' in client.get("/purchase-orders/new").get_data(as_text=True)
    response = client.post("/purchase-orders/new", data={
        "organization_id": str(setup["org"].id), "number": "1001", "order_date": "2026-03-01",
        "currency": "", "status": "open", "memo": "Spring supplies"})
    assert response.status_code == 302, response.get_data(as_text=True)
    po = db.session.scalars(select(PurchaseOrder)).one()
    assert (po.currency, po.status, po.order_date) == ("EUR", POStatus.OPEN, date(2026, 3, 1))
    listing = client.get("/purchase-orders/").get_data(as_text=True)
    assert ">1001<" in listing and "Northwind" in listing
    assert ">1001<" in client.get("/purchase-orders/?q=northw").get_data(as_text=True)
    assert "No purchase order matches" in \
        client.get("/purchase-orders/?status=closed").get_data(as_text=True)


def test_duplicate_number_and_missing_fields_write_nothing(auth: Auth, setup: dict) -> None:
    client = auth.login("owner")
    _po(setup)
    data = {"organization_id": str(setup["org"].id), "number": "po-1001",
            "order_date": "2026-03-01", "currency": "USD", "status": "open"}
    taken = client.post("/purchase-orders/new", data=data).get_data(as_text=True)
    assert "Another purchase order already has this number." in taken
    blank = client.post("/purchase-orders/new", data={**data, "number": "2",
                                                      "organization_id": "999"})
    assert "That choice no longer exists." in blank.get_data(as_text=True)
    assert _count(PurchaseOrder) == 1


def test_line_needs_exactly_one_of_billing_code_and_account(auth: Auth, setup: dict) -> None:
    client = auth.login("owner")
    po = _po(setup)
    url = f"/purchase-orders/{po.id}/lines"
    places = client.post(url, headers=HTMX, data={"new-quantity": "3", "new-unit_cost": "3.335",
                                                  "new-account_id": str(setup["account"].id)})
    assert "At most 2 decimal places." in places.get_data(as_text=True)
    neither = client.post(url, headers=HTMX, data={"new-quantity": "3", "new-unit_cost": "0.67"})
    assert "Choose a billing code or an account." in neither.get_data(as_text=True)
    both = client.post(url, headers=HTMX, data={
        "new-quantity": "3", "new-unit_cost": "0.67",
        "new-billing_code_id": str(setup["code"].id), "new-account_id": str(setup["account"].id)})
    assert "not both" in both.get_data(as_text=True)
    assert _count(POLine) == 0

    added = client.post(url, headers=HTMX, data={
        "new-quantity": "1.5", "new-unit_cost": "0.67",
        "new-billing_code_id": str(setup["code"].id), "new-description": "Half-up"})
    text = added.get_data(as_text=True)
    assert text.lstrip().startswith('<section id="po-lines"') and "<html" not in text
    client.post(url, headers=HTMX, data={"new-quantity": "2", "new-unit_cost": "10.00",
                                         "new-account_id": str(setup["account"].id)})
    db.session.expire_all()
    po = db.session.get(PurchaseOrder, po.id)
    assert [ln.amount for ln in po.lines] == [Decimal("1.01"), Decimal("20.00")]
    assert po.total == Decimal("21.01")
    listing = client.get("/purchase-orders/").get_data(as_text=True)
    assert "21.01 EUR" in listing


def test_edit_and_delete_lines_through_htmx(auth: Auth, setup: dict) -> None:
    client = auth.login("owner")
    po = _po(setup, lines=[POLine(account=setup["account"], quantity=Decimal(1),
                                  unit_cost=Decimal("4.00"))])
    line_id = po.lines[0].id
    form = client.get(f"/purchase-orders/{po.id}/lines/{line_id}", headers=HTMX)
    assert f'name="line-{line_id}-quantity"' in form.get_data(as_text=True)
    saved = client.post(f"/purchase-orders/{po.id}/lines/{line_id}", headers=HTMX, data={
        f"line-{line_id}-account_id": str(setup["account"].id),
        f"line-{line_id}-quantity": "3", f"line-{line_id}-unit_cost": "4.00"})
    assert 'id="po-total">12.00 EUR<' in saved.get_data(as_text=True)
    deleted = client.post(f"/purchase-orders/{po.id}/lines/{line_id}/delete", headers=HTMX)
    assert "This purchase order has no lines yet." in deleted.get_data(as_text=True)
    assert _count(POLine) == 0


def test_closed_order_refuses_line_changes(auth: Auth, setup: dict) -> None:
    client = auth.login("owner")
    po = _po(setup)
    response = client.post(f"/purchase-orders/{po.id}", data={
        "organization_id": str(setup["org"].id), "number": "PO-1001",
        "order_date": "2026-03-01", "currency": "EUR", "status": "closed"})
    assert response.status_code == 302
    refused = client.post(f"/purchase-orders/{po.id}/lines", headers=HTMX, data={
        "new-quantity": "1", "new-unit_cost": "1.00", "new-account_id": str(setup["account"].id)})
    assert "This purchase order is closed." in refused.get_data(as_text=True)
    assert _count(POLine) == 0
    closed = client.get("/purchase-orders/?status=closed").get_data(as_text=True)
    assert ">PO-1001<" in closed
    assert ">PO-1001<" not in client.get("/purchase-orders/?status=open").get_data(as_text=True)


def test_associate_gets_403_everywhere(app: Flask, auth: Auth) -> None:
    client = auth.login("alex")
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("purchasing.")]
    assert len(rules) >= 6
    for rule in rules:
        url = rule.rule.replace("<int:po_id>", "1").replace("<int:po_line_id>", "1")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            assert client.open(url, method=method).status_code == 403, (method, url)
