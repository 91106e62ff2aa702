"""Mappings of local lists to cached QBO lists, suggestions by name, company defaults."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Account,
    AccountType,
    BillingCode,
    BillingCodeKind,
    ConnectionStatus,
    LinkOrigin,
    LinkState,
    PaymentTerm,
    QboConnection,
    QboLink,
    QboObject,
    TaxCode,
)
from app.models.base import utcnow
from app.sync import mappings, registry
from app.sync.mappings import MappingError

REALM = "9130000000000001"


def connection(realm_id: str = REALM, *, country: str = "US", home: str = "USD",
               multicurrency: bool = False) -> QboConnection:
    """A connection row as the OAuth flow would save it (tokens are not used here)."""
    row = QboConnection(realm_id=realm_id, environment="emulator",
                        status=ConnectionStatus.CONNECTED, company_name="Test Co",
                        access_token_enc="x", refresh_token_enc="x",  # noqa: S106
                        access_expires_at=utcnow() + timedelta(hours=1), country=country,
                        home_currency=home, multicurrency_enabled=multicurrency)
    db.session.add(row)
    db.session.flush()
    return row


def qbo(entity: str, qbo_id: str, name: str, *, active: bool = True, subtype: str | None = None,
        realm_id: str = REALM, **data: object) -> QboObject:
    """A cached QBO list row."""
    row = QboObject(realm_id=realm_id, entity=entity, qbo_id=qbo_id, name=name, active=active,
                    sync_token="0",  # noqa: S106 - a QBO SyncToken
                    subtype=subtype, data=dict(data), fetched_at=utcnow())
    db.session.add(row)
    db.session.flush()
    return row


def test_list_kinds_cover_the_interface() -> None:
    assert {k: v.qbo_entity for k, v in registry.MAPPED_LISTS.items()} == {
        "billing_code": "Item", "payment_term": "Term", "txn_class": "Class",
        "tax_code": "TaxCode", "account": "Account", "payment_method": "PaymentMethod"}
    creatable = {k for k, v in registry.MAPPED_LISTS.items() if v.creatable}
    assert creatable == {"billing_code", "payment_term", "txn_class"}
    for key in ("ar_account", "ap_account", "expense_payment_account", "expense_payment_type",
                "expense_account", "mileage_item", "mileage_account", "income_account",
                "tax_mode"):
        assert key in mappings.DEFAULT_KEYS


def test_suggestions_match_normalized_names_of_active_rows(app_ctx: Flask) -> None:
    consulting = BillingCode(code="consulting  services", kind=BillingCodeKind.HOURLY)
    travel = BillingCode(code="Travel", kind=BillingCodeKind.EXPENSE)
    unknown = BillingCode(code="Nothing like it", kind=BillingCodeKind.HOURLY)
    retired = BillingCode(code="Old", kind=BillingCodeKind.HOURLY, active=False)
    db.session.add_all([consulting, travel, unknown, retired])
    item = qbo("Item", "5", "Consulting Services", subtype="Service")
    qbo("Item", "6", "Travel", active=False)
    qbo("Item", "7", "Old")
    qbo("Item", "8", "Consulting services", realm_id="other")
    found = mappings.suggestions(db.session, REALM, "billing_code")
    assert found == {consulting.id: item, travel.id: None, unknown.id: None}


def test_account_suggestions_respect_the_account_type(app_ctx: Flask) -> None:
    checking = Account(name="Checking", account_type=AccountType.BANK)
    db.session.add(checking)
    qbo("Account", "1", "Checking", subtype="Credit Card")
    assert mappings.suggestions(db.session, REALM, "account") == {checking.id: None}
    bank = qbo("Account", "2", "checking", subtype="Bank")
    assert mappings.suggestions(db.session, REALM, "account") == {checking.id: bank}


def test_tax_codes_match_on_code_or_name(app_ctx: Flask) -> None:
    code = TaxCode(code="TX", name="Texas", rate_percent=Decimal("8.25"))
    db.session.add(code)
    texas = qbo("TaxCode", "2", "Texas")
    assert mappings.suggestions(db.session, REALM, "tax_code") == {code.id: texas}


def test_set_mapping_creates_updates_and_removes_a_mapped_link(app_ctx: Flask) -> None:
    term = PaymentTerm(name="Net 30", due_days=30)
    db.session.add(term)
    qbo("Term", "3", "Net 30")
    qbo("Term", "4", "Net 45")
    link = mappings.set_mapping(db.session, REALM, "payment_term", term.id, "3")
    assert link is not None
    assert (link.origin, link.state, link.qbo_id, link.sync_token) == (
        LinkOrigin.MAPPED, LinkState.SYNCED, "3", "0")
    assert mappings.mapped_qbo_id(db.session, REALM, "payment_term", term.id) == "3"
    assert mappings.mapped_qbo_id(db.session, "other", "payment_term", term.id) is None
    mappings.set_mapping(db.session, REALM, "payment_term", term.id, "4")
    assert mappings.mapped_qbo_id(db.session, REALM, "payment_term", term.id) == "4"
    assert mappings.set_mapping(db.session, REALM, "payment_term", term.id, None) is None
    assert db.session.scalars(select(QboLink)).all() == []


def test_set_mapping_refuses_unknown_rows_and_unlinking_pushed_records(app_ctx: Flask) -> None:
    code = BillingCode(code="Design", kind=BillingCodeKind.HOURLY)
    db.session.add(code)
    db.session.flush()
    with pytest.raises(MappingError, match="not in the imported lists"):
        mappings.set_mapping(db.session, REALM, "billing_code", code.id, "99")
    db.session.add(QboLink(realm_id=REALM, entity_type="billing_code", local_id=code.id,
                           qbo_id="12", origin=LinkOrigin.PUSHED, state=LinkState.SYNCED))
    db.session.flush()
    with pytest.raises(MappingError, match="stays linked"):
        mappings.set_mapping(db.session, REALM, "billing_code", code.id, None)
    assert mappings.mapped_qbo_id(db.session, REALM, "billing_code", code.id) == "12"


def test_accept_suggestions_maps_only_unmapped_rows(app_ctx: Flask) -> None:
    a = BillingCode(code="Design", kind=BillingCodeKind.HOURLY)
    b = BillingCode(code="Hosting", kind=BillingCodeKind.HOURLY)
    c = BillingCode(code="Audit", kind=BillingCodeKind.HOURLY)
    db.session.add_all([a, b, c])
    qbo("Item", "1", "Design")
    qbo("Item", "2", "Hosting")
    qbo("Item", "3", "Hosting plan")
    db.session.flush()
    mappings.set_mapping(db.session, REALM, "billing_code", b.id, "3")
    assert mappings.accept_suggestions(db.session, REALM, "billing_code") == 1
    assert mappings.mapped_qbo_id(db.session, REALM, "billing_code", a.id) == "1"
    assert mappings.mapped_qbo_id(db.session, REALM, "billing_code", b.id) == "3"
    assert mappings.mapped_qbo_id(db.session, REALM, "billing_code", c.id) is None


def test_preferences_store_clear_and_fall_back_to_defaults(app_ctx: Flask) -> None:
    assert mappings.preference(db.session, REALM, "ar_account") is None
    assert mappings.preference(db.session, REALM, "tax_mode") == "qbo"
    mappings.set_preference(db.session, REALM, "tax_mode", "override")
    mappings.set_preference(db.session, REALM, "ar_account", "7")
    assert mappings.preference(db.session, REALM, "tax_mode") == "override"
    assert mappings.preference(db.session, "other", "ar_account") is None
    mappings.set_preference(db.session, REALM, "ar_account", None)
    assert mappings.preference(db.session, REALM, "ar_account") is None


def test_save_defaults_checks_types_and_writes_nothing_on_error(app_ctx: Flask) -> None:
    qbo("Account", "1", "Receivables", subtype="Accounts Receivable")
    qbo("Account", "2", "Checking", subtype="Bank")
    qbo("Account", "3", "Visa", subtype="Credit Card")
    errors = mappings.save_defaults(db.session, REALM, {
        "ar_account": "1", "ap_account": "2", "expense_payment_account": "2",
        "expense_payment_type": "CreditCard"})
    assert set(errors) == {"ap_account", "expense_payment_type"}
    assert "Accounts Payable" in errors["ap_account"]
    assert "Credit Card account" in errors["expense_payment_type"]
    assert mappings.preference(db.session, REALM, "ar_account") is None
    assert mappings.save_defaults(db.session, REALM, {
        "ar_account": "1", "expense_payment_account": "3",
        "expense_payment_type": "CreditCard", "tax_mode": "override"}) == {}
    assert mappings.preference(db.session, REALM, "expense_payment_account") == "3"
    assert mappings.save_defaults(db.session, REALM, {"tax_mode": "sometimes"}) == {
        "tax_mode": "Choose one of the listed options."}


def test_income_account_of_an_item(app_ctx: Flask) -> None:
    qbo("Account", "40", "Services Income", subtype="Income")
    named = qbo("Item", "1", "A", IncomeAccountRef={"value": "40", "name": "Services"})
    bare = qbo("Item", "2", "B", IncomeAccountRef={"value": "40"})
    none = qbo("Item", "3", "C")
    cached = qbo("Item", "4", "D", IncomeAccountRef="40")  # as refresh_lists stores it
    assert mappings.income_account_name(db.session, REALM, cached) == "Services Income"
    assert mappings.income_account_name(db.session, REALM, named) == "Services"
    assert mappings.income_account_name(db.session, REALM, bare) == "Services Income"
    assert mappings.income_account_name(db.session, REALM, none) is None
