"""Every choice on every page is named in an accountant's words, never QuickBooks' API names."""

from __future__ import annotations

import html as html_lib
import re
from datetime import date, timedelta

from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import (
    BillingCode,
    BillingCodeKind,
    Client,
    ConnectionStatus,
    EventOutcome,
    Invoice,
    Organization,
    QboConnection,
    QboObject,
    SyncEvent,
)
from app.models.base import utcnow
from app.sync import mappings
from tests.conftest import Auth

REALM = "9130000000000017"
# What an API word looks like: TaxExcluded, CreditCard, APAccountRef, NotApplicable,
# AccountBasedExpenseLineDetail, non_inventory, or an enum value shown as it is stored.
API_WORD = re.compile(r"\b(?:[A-Z]+[a-z]+[A-Z]\w*|[a-z]+[A-Z]\w*|\w+_\w+|[A-Z]{2,}[A-Z_]*_\w*)\b")
NAMES = ("QuickBooks", "Ledgerhub")  # product names, written as their makers write them


def _api_words(label: str) -> list[str]:
    return [word for word in API_WORD.findall(label) if word not in NAMES]


def _connect_canadian_company() -> None:
    db.session.add(QboConnection(realm_id=REALM, environment="emulator",
                                 status=ConnectionStatus.CONNECTED, company_name="Maple Books",
                                 access_token_enc="x", refresh_token_enc="x",  # noqa: S106
                                 access_expires_at=utcnow() + timedelta(hours=1),
                                 country="CAN", home_currency="CAD"))
    for entity, qbo_id, name, subtype in (
            ("Account", "1", "Sales", "Income"), ("Account", "2", "Receivables",
                                                  "Accounts Receivable"),
            ("Account", "3", "Chequing", "Bank"), ("Account", "4", "Payables",
                                                   "Accounts Payable"),
            ("Account", "5", "Travel", "Expense"), ("Item", "6", "Consulting", "Service"),
            ("TaxCode", "7", "HST ON", None), ("Term", "8", "Net 30", None),
            ("PaymentMethod", "9", "Visa", "CREDIT_CARD"), ("Class", "10", "East", None)):
        db.session.add(QboObject(realm_id=REALM, entity=entity, qbo_id=qbo_id, name=name,
                                 active=True, subtype=subtype, data={}, fetched_at=utcnow()))
    maple = Client(name="Maple Consulting")
    db.session.add_all([maple, Invoice(number="1001", client=maple, issue_date=date(2026, 11, 2)),
                        Organization(name="Loonie Supply"),
                        BillingCode(code="Advisory", kind=BillingCodeKind.HOURLY)])
    db.session.commit()


def _choices(page: str) -> dict[str, list[tuple[str, str]]]:
    """Each select's and radio group's (value, label) pairs, by field name."""
    found: dict[str, list[tuple[str, str]]] = {}
    for name, body in re.findall(r'<select[^>]*name="([^"]*)"[^>]*>(.*?)</select>', page, re.S):
        found[name] = [(html_lib.unescape(v), html_lib.unescape(label).strip())
                       for v, label in re.findall(
                           r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', body)]
    for tag, label in re.findall(r'(<input[^>]*type="radio"[^>]*>)\s*<label[^>]*>([^<]*)<',
                                 page):
        name = re.search(r'name="([^"]*)"', tag).group(1)
        value = re.search(r'value="([^"]*)"', tag).group(1)
        found.setdefault(name, []).append((value, html_lib.unescape(label).strip()))
    return found


def _pages(app: Flask) -> list[str]:
    plain = [str(rule) for rule in app.url_map.iter_rules()
             if "GET" in rule.methods and not rule.arguments and "logout" not in str(rule)]
    invoice = db.session.scalars(select(Invoice)).one()
    organization = db.session.scalars(select(Organization)).one()
    client = db.session.scalars(select(Client)).one()
    lists = ("billing-codes", "payment-terms", "classes", "tax-codes", "payment-methods",
             "accounts", "organization-categories")
    return [*plain, f"/invoices/{invoice.id}", f"/organizations/{organization.id}",
            f"/clients/{client.id}", *(f"/lists/{kind}/new" for kind in lists)]


def test_no_choice_is_named_with_an_api_word(app: Flask, auth: Auth, enable_qbo: None) -> None:
    _connect_canadian_company()
    client = auth.login("owner")
    seen: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for path in _pages(app):
        response = client.get(path)
        if response.status_code != 200:
            continue
        for name, pairs in _choices(response.get_data(as_text=True)).items():
            seen[(path, name)] = pairs
    fields = {name for _, name in seen}
    # The walk reached the pages the choices live on.
    assert {"integration", "distance_unit", "kind", "account_type", "tax_calculation",
            "global_tax_calculation", "expense_payment_type", "associate_expenses_as",
            "tax_mode", "outcome", "permission", "is_company", "act_as_reference"} <= fields
    for (path, name), pairs in seen.items():
        for value, label in pairs:
            assert label, (path, name, value)
            assert not _api_words(label), (path, name, value, label)
            if value and value.isalpha() and value.islower():
                # A stored lowercase value is never shown as it is stored.
                assert label != value, (path, name, value)


def test_values_stay_what_is_stored_while_labels_change(auth: Auth, enable_qbo: None) -> None:
    _connect_canadian_company()
    client = auth.login("owner")
    defaults = _choices(client.get("/admin/qbo/settings/defaults").get_data(as_text=True))
    assert defaults["global_tax_calculation"] == [("TaxExcluded", "Exclusive of tax"),
                                                  ("TaxInclusive", "Inclusive of tax")]
    # A Canadian company pays by cheque; the value stays QuickBooks' "Check".
    assert defaults["expense_payment_type"] == [("Cash", "Cash"), ("Check", "Cheque"),
                                                ("CreditCard", "Credit card")]
    assert ("purchase", "An expense paid from the account below (already paid)") in \
        defaults["associate_expenses_as"]
    help_texts = " ".join(spec.help for spec in mappings.DEFAULT_KEYS.values())
    assert not re.search(r"\w+Ref\b", help_texts)
    kinds = _choices(client.get("/lists/billing-codes/new").get_data(as_text=True))["kind"]
    assert kinds == [("hourly", "Hours"), ("expense", "Expenses"), ("mileage", "Mileage")]
    saved = client.post("/lists/billing-codes/new", data={"code": "Travel", "kind": "mileage",
                                                         "active": "y"})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    travel = db.session.scalar(select(BillingCode).where(BillingCode.code == "Travel"))
    assert travel.kind is BillingCodeKind.MILEAGE
    listing = client.get("/lists/billing-codes").get_data(as_text=True)
    row = re.search(rf'<tr id="billing-codes-{travel.id}">(.*?)</tr>', listing, re.S).group(1)
    assert "<td>Mileage</td>" in row and "mileage<" not in row


def test_a_us_company_pays_by_check(auth: Auth, enable_qbo: None) -> None:
    _connect_canadian_company()
    connection = db.session.scalars(select(QboConnection)).one()
    connection.country, connection.home_currency = "USA", "USD"
    db.session.commit()
    client = auth.login("qboadmin")
    page = client.get("/admin/qbo/settings/defaults").get_data(as_text=True)
    assert ("Check", "Check") in _choices(page)["expense_payment_type"]
    assert "cash and check a bank account" in page and "heque" not in page
    saved = client.post("/admin/qbo/settings/defaults", data={"expense_payment_type": "Check"})
    assert saved.status_code == 302
    assert mappings.preference(db.session, REALM, "expense_payment_type") == "Check"


def test_the_sync_log_names_outcomes_for_people(auth: Auth, enable_qbo: None) -> None:
    _connect_canadian_company()
    db.session.add_all([SyncEvent(realm_id=REALM, entity_type="client", local_id=1,
                                  action="create", outcome=EventOutcome.PLANNED,
                                  label="Maple Consulting"),
                        SyncEvent(realm_id=REALM, action="wait", outcome=EventOutcome.INFO,
                                  message="Waiting for QuickBooks' rate limit")])
    db.session.commit()
    client = auth.login("qboadmin")
    page = client.get("/admin/qbo/log").get_data(as_text=True)
    outcome = _choices(page)["outcome"]
    assert ("planned", "Preview only (not sent)") in outcome and ("info", "Note") in outcome
    assert ">Preview only (not sent)</span>" in page and ">Note</span>" in page
    notes = client.get("/admin/qbo/log?outcome=info").get_data(as_text=True)
    assert "Waiting for QuickBooks" in notes and "Maple Consulting" not in notes
