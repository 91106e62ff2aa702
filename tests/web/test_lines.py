"""A document's rows (invoice lines, purchase-order lines, contacts) behave alike: HTMX gets the
section back with a notice, a browser without JavaScript is sent back to the page, and a form
with errors shows again with nothing written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    BillingCode,
    BillingCodeKind,
    Client,
    Contact,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Organization,
    POLine,
    POStatus,
    PurchaseOrder,
)
from tests.conftest import Auth

HTMX = {"HX-Request": "true"}


@dataclass
class Document:
    """One kind of document with rows, as its pages and routes present it."""

    make: Callable[[dict], Any]
    base: str  # e.g. /invoices/<id>; the section is at base + rows
    rows: str
    anchor: str
    row_model: type
    valid: Callable[[dict], dict[str, str]]  # an add form's fields
    invalid: dict[str, str]
    added: str  # the notice after adding with ``valid``
    lock: Callable[[Any], None] | None = None  # makes the rows unchangeable
    locked_message: str = ""


@pytest.fixture()
def setup(users: dict) -> dict:
    """A client, a vendor and an hourly billing code with a default rate."""
    client = Client(name="Acme Corp")
    organization = Organization(name="Northwind Traders")
    code = BillingCode(code="Consulting", kind=BillingCodeKind.HOURLY,
                       default_rate=Decimal("150.00"))
    db.session.add_all([client, organization, code])
    db.session.commit()
    return {"client": client, "organization": organization, "code": code,
            "alex": users["alex"]}


def _invoice(setup: dict) -> Invoice:
    invoice = Invoice(number="1001", client=setup["client"], issue_date=date.today(),
                      currency="USD", status=InvoiceStatus.DRAFT)
    db.session.add(invoice)
    db.session.commit()
    return invoice


def _po(setup: dict) -> PurchaseOrder:
    po = PurchaseOrder(number="PO-1001", organization=setup["organization"],
                       order_date=date.today(), currency="USD")
    db.session.add(po)
    db.session.commit()
    return po


def _set(attribute: str, value: object) -> Callable[[Any], None]:
    def lock(doc: Any) -> None:
        setattr(doc, attribute, value)
        db.session.commit()
    return lock


DOCUMENTS = {
    "invoice": Document(
        make=_invoice, base="/invoices/{id}", rows="/lines", anchor="invoice-lines",
        row_model=InvoiceLine,
        valid=lambda s: {"kind": "hourly", "hourly-associate_id": str(s["alex"].id),
                         "hourly-billing_code_id": str(s["code"].id), "hourly-hours": "2"},
        invalid={"kind": "hourly", "hourly-hours": ""}, added="Hourly line added.",
        lock=_set("status", InvoiceStatus.FINAL),
        locked_message="This invoice is final and cannot be changed."),
    "purchase order": Document(
        make=_po, base="/purchase-orders/{id}", rows="/lines", anchor="po-lines",
        row_model=POLine,
        valid=lambda s: {"new-billing_code_id": str(s["code"].id), "new-quantity": "3",
                         "new-unit_cost": "40"},
        invalid={"new-quantity": "3"}, added="Line added.",
        lock=_set("status", POStatus.CLOSED),
        locked_message="This purchase order is closed. Reopen it to change its lines."),
    "organization": Document(
        make=lambda s: s["organization"], base="/organizations/{id}", rows="/contacts",
        anchor="contacts", row_model=Contact, valid=lambda s: {"contact-name": "Lee Park"},
        invalid={"contact-name": ""}, added="Contact “Lee Park” added."),
}


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _one_row(model: type) -> Any:
    db.session.expire_all()
    return db.session.scalars(select(model)).one()


@pytest.mark.parametrize("kind", list(DOCUMENTS))
def test_htmx_gets_the_section_with_a_notice(auth: Auth, setup: dict, kind: str) -> None:
    spec = DOCUMENTS[kind]
    client = auth.login("owner")
    base = spec.base.format(id=spec.make(setup).id)
    added = client.post(base + spec.rows, headers=HTMX, data=spec.valid(setup))
    text = added.get_data(as_text=True)
    assert added.status_code == 200
    assert text.lstrip().startswith(f'<section id="{spec.anchor}"') and "<html" not in text
    assert f'role="status">{spec.added}</div>' in text
    row = _one_row(spec.row_model)

    editing = client.get(f"{base}{spec.rows}/{row.id}", headers=HTMX).get_data(as_text=True)
    assert "<html" not in editing and f'hx-post="{base}{spec.rows}/{row.id}"' in editing
    cancel = f'hx-get="{base}{spec.rows}"'
    assert cancel in editing and f'href="{base}#{spec.anchor}"' in editing

    invalid = client.post(base + spec.rows, headers=HTMX, data=spec.invalid)
    assert "Required." in invalid.get_data(as_text=True) and _count(spec.row_model) == 1


@pytest.mark.parametrize("kind", list(DOCUMENTS))
def test_without_javascript_the_page_comes_back(auth: Auth, setup: dict, kind: str) -> None:
    spec = DOCUMENTS[kind]
    client = auth.login("owner")
    base = spec.base.format(id=spec.make(setup).id)
    invalid = client.post(base + spec.rows, data=spec.invalid)
    assert invalid.status_code == 200
    page = invalid.get_data(as_text=True)
    assert "<html" in page and "Required." in page and _count(spec.row_model) == 0

    added = client.post(base + spec.rows, data=spec.valid(setup))
    assert added.status_code == 302 and added.headers["Location"].endswith(
        f"{base}#{spec.anchor}")
    assert spec.added in client.get(base).get_data(as_text=True)  # the flash message
    row = _one_row(spec.row_model)

    editing = client.get(f"{base}{spec.rows}/{row.id}").get_data(as_text=True)
    assert "<html" in editing and 'class="line-editor"' in editing
    deleted = client.post(f"{base}{spec.rows}/{row.id}/delete")
    assert deleted.status_code == 302 and deleted.headers["Location"].endswith(
        f"{base}#{spec.anchor}")
    assert _count(spec.row_model) == 0


@pytest.mark.parametrize("kind", [k for k, spec in DOCUMENTS.items() if spec.lock])
def test_a_locked_document_refuses_every_row_change(auth: Auth, setup: dict,
                                                    kind: str) -> None:
    spec = DOCUMENTS[kind]
    client = auth.login("owner")
    doc = spec.make(setup)
    base = spec.base.format(id=doc.id)
    client.post(base + spec.rows, headers=HTMX, data=spec.valid(setup))
    row = _one_row(spec.row_model)
    assert spec.lock is not None
    spec.lock(db.session.get(type(doc), doc.id))

    added = client.post(base + spec.rows, headers=HTMX, data=spec.valid(setup))
    assert spec.locked_message in added.get_data(as_text=True)
    saved = client.post(f"{base}{spec.rows}/{row.id}", headers=HTMX, data=spec.valid(setup))
    assert spec.locked_message in saved.get_data(as_text=True)
    deleted = client.post(f"{base}{spec.rows}/{row.id}/delete")
    assert deleted.status_code == 302
    assert spec.locked_message in client.get(base).get_data(as_text=True)  # flashed
    assert _count(spec.row_model) == 1
