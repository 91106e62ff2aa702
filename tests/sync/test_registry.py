"""The record-type registry: the views every module reads are what they were as separate tables."""

from __future__ import annotations

from typing import Any

from app.models import Associate, Client, PurchaseOrder
from app.sync import registry
from app.sync.registry import RecordType, Role


def test_parties_lists_and_matching_views() -> None:
    assert {k: t.qbo_entity for k, t in registry.PARTIES.items()} == {
        "client": "Customer", "organization": "Vendor", "associate": "Employee"}
    assert set(registry.MATCHABLE) == set(registry.PARTIES)
    assert {k: t.noun for k, t in registry.MAPPED_LISTS.items()} == {
        "billing_code": "billing code", "payment_term": "payment term", "txn_class": "class",
        "tax_code": "tax code", "account": "account", "payment_method": "payment method"}
    assert {t.slug for t in registry.MAPPED_LISTS.values()} == {
        "billing-codes", "payment-terms", "classes", "tax-codes", "accounts",
        "payment-methods"}
    assert registry.by_slug("tax-codes") is registry.RECORD_TYPES["tax_code"]
    assert registry.by_slug("nope") is None
    assert registry.MAPPED_LISTS["billing_code"].mapping_label == "Billing codes → Items"
    assert registry.MAPPED_LISTS["payment_term"].max_name == 31


def test_import_steps_and_qbo_entities() -> None:
    steps = {step: set(entities) for step, entities in registry.IMPORT_STEPS.items()}
    assert steps == {"lists": {"Account", "Item", "PaymentMethod", "Term", "Class", "TaxCode"},
                     "clients": {"Customer"}, "organizations": {"Vendor"},
                     "associates": {"Employee"}}
    assert list(registry.IMPORT_STEPS) == ["lists", "clients", "organizations", "associates"]
    # The associate's second QBO form never stands for the Vendor entity.
    assert registry.of_qbo("Vendor").name == "organization"
    assert registry.of_qbo("Employee").model is Associate
    assert registry.importable("Customer") and not registry.importable("Invoice")
    assert set(registry.CACHED_QBO_ENTITIES) == {
        "Account", "Item", "PaymentMethod", "Term", "Class", "TaxCode", "Customer", "Vendor",
        "Employee"}


def test_pushable_types_and_their_order() -> None:
    assert set(registry.PUSHABLE) == {
        "payment_term", "txn_class", "billing_code", "client", "organization", "associate",
        "associate_vendor", "invoice", "hours", "expense", "mileage", "purchase_order"}
    layers = {name: t.layer for name, t in registry.PUSHABLE.items()}
    assert layers["billing_code"] < layers["client"] < layers["invoice"] < layers["hours"]
    creatable = {k for k, t in registry.MAPPED_LISTS.items() if t.creatable}
    assert creatable == {"billing_code", "payment_term", "txn_class"}
    assert {k for k, t in registry.RECORD_TYPES.items() if t.self_service} == {
        "hours", "expense", "mileage"}
    transactions = {k for k, t in registry.PUSHABLE.items() if t.role is Role.TRANSACTION}
    assert all(registry.PUSHABLE[k].marker_field for k in transactions)


def test_a_new_record_type_is_one_entry() -> None:
    def bill(record: Any, refs: Any) -> dict[str, Any]:
        return {"VendorRef": refs.ref("organization", record.organization_id)}

    entry = RecordType("bill", PurchaseOrder, "number", "bill", Role.TRANSACTION, "Bill",
                       payload=bill, layer=3, marker_field="PrivateNote")
    assert (entry.plural, entry.title, entry.qbo_noun, entry.qbo_title) == (
        "bills", "Bills", "bill", "Bills")
    assert entry.creatable and entry.label(PurchaseOrder(number="B-1")) == "B-1"
    named = RecordType("x", Client, "name", "bill payment", Role.TRANSACTION, "BillPayment")
    assert (named.qbo_noun, named.plural, named.creatable) == (
        "bill payment", "bill payments", False)
