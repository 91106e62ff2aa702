"""A TotalTax sent with an invoice overrides the computed tax (QBO's tax override)."""

from __future__ import annotations

from decimal import Decimal

from .conftest import Api


def test_sent_total_tax_replaces_the_computed_tax(manual_api: Api) -> None:
    api = manual_api
    customer = api.find("Customer", "Cool Cars")["Id"]
    item = api.find("Item", "Design")["Id"]
    line = {"Amount": "100.00", "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": item}, "TaxCodeRef": {"value": "TAX"}}}
    computed = api.create("Invoice", {"CustomerRef": {"value": customer}, "Line": [line],
                                      "TxnTaxDetail": {"TxnTaxCodeRef": {"value": "2"}}})
    assert Decimal(str(computed["TxnTaxDetail"]["TotalTax"])) == Decimal("8.25")
    overridden = api.create("Invoice", {"CustomerRef": {"value": customer}, "Line": [line],
                                        "TxnTaxDetail": {"TxnTaxCodeRef": {"value": "2"},
                                                         "TotalTax": "8.00"}})
    assert Decimal(str(overridden["TxnTaxDetail"]["TotalTax"])) == Decimal("8.00")
    assert Decimal(str(overridden["TotalAmt"])) == Decimal("108.00")
