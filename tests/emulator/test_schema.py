from __future__ import annotations

import json
from pathlib import Path

import pytest

from qbo_emulator import schema
from qbo_emulator.schema import entity_names, unknown_properties

XSD_DIR = Path(__file__).resolve().parents[3] / "shared" / "qbo-schema"

REF = {"value": "1", "name": "Something"}
META = {"CreateTime": "2024-03-01T10:00:00-08:00", "LastUpdatedTime": "2024-03-01T10:00:00-08:00"}

CUSTOMER = {
    "domain": "QBO",
    "sparse": False,
    "Id": "58",
    "SyncToken": "0",
    "MetaData": META,
    "GivenName": "Sean",
    "FamilyName": "O'Brien",
    "DisplayName": "Sean O'Brien",
    "CompanyName": "O'Brien Landscaping",
    "PrintOnCheckName": "O'Brien Landscaping",
    "FullyQualifiedName": "Sean O'Brien",
    "Active": True,
    "Taxable": True,
    "Job": False,
    "BillWithParent": False,
    "Balance": 0,
    "BalanceWithJobs": 0,
    "PreferredDeliveryMethod": "Print",
    "Notes": "ledgerhub:customer:17",
    "BillAddr": {
        "Id": "95",
        "Line1": "12 Harbour Road",
        "City": "Bayshore",
        "CountrySubDivisionCode": "CA",
        "PostalCode": "94326",
        "Country": "USA",
        "Lat": "37.5",
        "Long": "-122.1",
    },
    "PrimaryEmailAddr": {"Address": "sean@example.com"},
    "PrimaryPhone": {"FreeFormNumber": "(650) 555-3311"},
    "Mobile": {"FreeFormNumber": "(650) 555-0000"},
    "WebAddr": {"URI": "https://example.com"},
    "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
    "SalesTermRef": {"value": "3"},
}


def sales_line(n: int) -> dict:
    return {
        "Id": str(n),
        "LineNum": n,
        "DetailType": "SalesItemLineDetail",
        "Amount": 150.0,
        "Description": f"Weekly maintenance visit {n}",
        "SalesItemLineDetail": {
            "ItemRef": {"value": "2", "name": "Hours"},
            "Qty": 2,
            "UnitPrice": 75,
            "TaxCodeRef": {"value": "TAX"},
            "ClassRef": {"value": "5000000000000012345", "name": "Maintenance"},
            "ServiceDate": "2024-03-01",
        },
    }


def invoice(lines: int = 2) -> dict:
    return {
        "domain": "QBO",
        "sparse": False,
        "Id": "130",
        "SyncToken": "0",
        "MetaData": META,
        "CustomField": [{"DefinitionId": "1", "Name": "Crew #", "Type": "StringType"}],
        "DocNumber": "1037",
        "TxnDate": "2024-03-01",
        "DueDate": "2024-03-31",
        "CustomerRef": {"value": "58", "name": "Sean O'Brien"},
        "SalesTermRef": {"value": "3", "name": "Net 30"},
        "CurrencyRef": {"value": "EUR", "name": "Euro"},
        "ExchangeRate": 1.0832,
        "PrivateNote": "ledgerhub:invoice:991",
        "CustomerMemo": {"value": "Thank you for your business"},
        "GlobalTaxCalculation": "TaxExcluded",
        "ApplyTaxAfterDiscount": False,
        "PrintStatus": "NotSet",
        "EmailStatus": "NotSet",
        "BillEmail": {"Address": "sean@example.com"},
        "TotalAmt": 324.0,
        "Balance": 324.0,
        "HomeTotalAmt": 350.96,
        "LinkedTxn": [{"TxnId": "100", "TxnType": "Estimate"}],
        "Line": [sales_line(n) for n in range(1, lines + 1)]
        + [
            {"Amount": 300.0, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}},
            {
                "DetailType": "DescriptionOnly",
                "Description": "Materials billed separately",
                "DescriptionLineDetail": {"ServiceDate": "2024-03-01"},
            },
            {
                "Amount": 5.0,
                "DetailType": "DiscountLineDetail",
                "DiscountLineDetail": {
                    "PercentBased": True,
                    "DiscountPercent": 2,
                    "DiscountAccountRef": {"value": "86", "name": "Discounts given"},
                },
            },
        ],
        "TxnTaxDetail": {
            "TxnTaxCodeRef": {"value": "2"},
            "TotalTax": 24.0,
            "TaxLine": [
                {
                    "Amount": 24.0,
                    "DetailType": "TaxLineDetail",
                    "TaxLineDetail": {
                        "TaxRateRef": {"value": "3"},
                        "PercentBased": True,
                        "TaxPercent": 8,
                        "NetAmountTaxable": 300.0,
                    },
                }
            ],
        },
    }


TIME_ACTIVITY = {
    "TxnDate": "2024-03-04",
    "NameOf": "Employee",
    "EmployeeRef": {"value": "55", "name": "Emily Platt"},
    "CustomerRef": {"value": "58", "name": "Sean O'Brien"},
    "ItemRef": {"value": "2", "name": "Hours"},
    "BillableStatus": "Billable",
    "Taxable": False,
    "HourlyRate": 75,
    "Hours": 3,
    "Minutes": 30,
    "Description": "Pruning and cleanup",
}

PURCHASE = {
    "PaymentType": "CreditCard",
    "AccountRef": {"value": "42", "name": "Visa"},
    "EntityRef": {"value": "30", "name": "Home Depot", "type": "Vendor"},
    "TxnDate": "2024-03-05",
    "PrivateNote": "ledgerhub:expense:12",
    "TotalAmt": 80.5,
    "Line": [
        {
            "Id": "1",
            "Amount": 80.5,
            "Description": "Mulch",
            "DetailType": "AccountBasedExpenseLineDetail",
            "AccountBasedExpenseLineDetail": {
                "AccountRef": {"value": "7", "name": "Job Materials"},
                "BillableStatus": "Billable",
                "CustomerRef": {"value": "58"},
                "TaxCodeRef": {"value": "NON"},
            },
        }
    ],
}

PURCHASE_ORDER = {
    "VendorRef": {"value": "30", "name": "Home Depot"},
    "APAccountRef": {"value": "33", "name": "Accounts Payable (A/P)"},
    "POStatus": "Open",
    "DocNumber": "PO-1001",
    "TxnDate": "2024-03-06",
    "POEmail": {"Address": "orders@example.com"},
    "ShipAddr": {"Line1": "12 Harbour Road"},
    "TotalAmt": 120,
    "Line": [
        {
            "Id": "1",
            "Amount": 120,
            "DetailType": "ItemBasedExpenseLineDetail",
            "ItemBasedExpenseLineDetail": {
                "ItemRef": {"value": "11", "name": "Pump"},
                "Qty": 2,
                "UnitPrice": 60,
                "CustomerRef": {"value": "58"},
                "BillableStatus": "NotBillable",
                "TaxCodeRef": {"value": "NON"},
            },
        },
        {
            "Id": "2",
            "Amount": 10,
            "DetailType": "AccountBasedExpenseLineDetail",
            "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "7"}},
        },
    ],
}

BILL = {
    "VendorRef": {"value": "30", "name": "Home Depot"},
    "APAccountRef": {"value": "33"},
    "SalesTermRef": {"value": "3"},
    "TxnDate": "2024-03-07",
    "DueDate": "2024-04-06",
    "DocNumber": "INV-778",
    "Balance": 120,
    "TotalAmt": 120,
    "LinkedTxn": [{"TxnId": "201", "TxnType": "PurchaseOrder"}],
    "Line": [
        {
            "Id": "1",
            "Amount": 120,
            "DetailType": "ItemBasedExpenseLineDetail",
            "LinkedTxn": [{"TxnId": "201", "TxnType": "PurchaseOrder", "TxnLineId": "1"}],
            "ItemBasedExpenseLineDetail": {
                "ItemRef": {"value": "11"},
                "Qty": 2,
                "UnitPrice": 60,
                "BillableStatus": "NotBillable",
            },
        }
    ],
}

BILL_PAYMENT = {
    "VendorRef": {"value": "30", "name": "Home Depot"},
    "PayType": "Check",
    "CheckPayment": {
        "BankAccountRef": {"value": "35", "name": "Checking"},
        "PrintStatus": "NeedToPrint",
    },
    "TotalAmt": 120,
    "TxnDate": "2024-03-20",
    "PrivateNote": "ledgerhub:billpayment:4",
    "Line": [{"Amount": 120, "LinkedTxn": [{"TxnId": "210", "TxnType": "Bill"}]}],
}

CARD_BILL_PAYMENT = {
    "VendorRef": {"value": "30"},
    "PayType": "CreditCard",
    "CreditCardPayment": {"CCAccountRef": {"value": "42"}},
    "TotalAmt": 5,
    "Line": [{"Amount": 5, "LinkedTxn": [{"TxnId": "211", "TxnType": "Bill"}]}],
}

ITEM = {
    "Name": "Hours",
    "Description": "Labour, per hour",
    "Active": True,
    "FullyQualifiedName": "Hours",
    "Taxable": False,
    "UnitPrice": 75,
    "Type": "Service",
    "IncomeAccountRef": {"value": "79", "name": "Sales of Product Income"},
    "PurchaseDesc": "Subcontracted labour",
    "PurchaseCost": 40,
    "ExpenseAccountRef": {"value": "80", "name": "Cost of Goods Sold"},
    "TrackQtyOnHand": False,
    "Sku": "LAB-1",
}

INVENTORY_ITEM = {
    "Name": "Pump",
    "Type": "Inventory",
    "TrackQtyOnHand": True,
    "QtyOnHand": 10,
    "InvStartDate": "2024-01-01",
    "IncomeAccountRef": {"value": "79"},
    "ExpenseAccountRef": {"value": "80"},
    "AssetAccountRef": {"value": "81"},
}

ACCOUNT = {
    "Name": "Job Materials",
    "AccountType": "Expense",
    "AccountSubType": "SuppliesMaterials",
    "Classification": "Expense",
    "AcctNum": "6100",
    "Description": "Materials bought for jobs",
    "Active": True,
    "SubAccount": False,
    "FullyQualifiedName": "Job Materials",
    "CurrentBalance": 0,
    "CurrentBalanceWithSubAccounts": 0,
    "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
}

TERM = {"Name": "Net 30", "DueDays": 30, "Active": True, "Type": "STANDARD"}
DISCOUNT_TERM = {"Name": "2% 10 Net 30", "DueDays": 30, "DiscountPercent": 2, "DiscountDays": 10}
CLASS = {
    "Name": "Maintenance",
    "SubClass": True,
    "ParentRef": {"value": "5000000000000012340"},
    "FullyQualifiedName": "Services:Maintenance",
    "Active": True,
}
PAYMENT_METHOD = {"Name": "Bank transfer", "Active": True, "Type": "NON_CREDIT_CARD"}
EMPLOYEE = {
    "GivenName": "Emily",
    "FamilyName": "Platt",
    "DisplayName": "Emily Platt",
    "PrintOnCheckName": "Emily Platt",
    "Active": True,
    "PrimaryPhone": {"FreeFormNumber": "555-1234"},
    "PrimaryEmailAddr": {"Address": "emily@example.com"},
    "PrimaryAddr": {"Line1": "45 Glen Road", "City": "Bayshore", "PostalCode": "94326"},
    "EmployeeNumber": "E-7",
    "BillableTime": True,
    "BillRate": 75,
    "HiredDate": "2023-05-01",
}
VENDOR = {
    "DisplayName": "Home Depot",
    "CompanyName": "Home Depot",
    "PrintOnCheckName": "Home Depot",
    "Active": True,
    "Vendor1099": False,
    "Balance": 0,
    "AcctNum": "HD-9",
    "TaxIdentifier": "XXXXXX1234",
    "BillAddr": {"Line1": "1 Depot Way", "City": "Atlanta"},
    "PrimaryEmailAddr": {"Address": "ap@example.com"},
    "TermRef": {"value": "3"},
    "CurrencyRef": {"value": "USD"},
}

REAL_BODIES = [
    ("Customer", CUSTOMER),
    ("Invoice", invoice()),
    ("TimeActivity", TIME_ACTIVITY),
    ("Purchase", PURCHASE),
    ("PurchaseOrder", PURCHASE_ORDER),
    ("Bill", BILL),
    ("BillPayment", BILL_PAYMENT),
    ("BillPayment", CARD_BILL_PAYMENT),
    ("Item", ITEM),
    ("Item", INVENTORY_ITEM),
    ("Account", ACCOUNT),
    ("Term", TERM),
    ("Term", DISCOUNT_TERM),
    ("Class", CLASS),
    ("PaymentMethod", PAYMENT_METHOD),
    ("Employee", EMPLOYEE),
    ("Vendor", VENDOR),
]


@pytest.mark.parametrize(
    ("entity", "body"), REAL_BODIES, ids=[f"{e}-{i}" for i, (e, _) in enumerate(REAL_BODIES)]
)
def test_real_bodies_have_no_unknown_properties(entity: str, body: dict) -> None:
    assert unknown_properties(entity, body) == []


def test_top_level_unknown_property_is_reported() -> None:
    assert unknown_properties("Customer", {"DisplayName": "x", "Bogus": 1}) == ["Bogus"]


def test_nested_unknown_properties_are_reported_with_paths() -> None:
    body = invoice()
    body["Line"][1]["SalesItemLineDetail"]["Foo"] = 1
    body["TxnTaxDetail"]["TaxLine"][0]["TaxLineDetail"]["Rate"] = 8
    body["CustomerRef"]["id"] = "58"
    body["Bogus"] = True
    assert sorted(unknown_properties("Invoice", body)) == [
        "Bogus",
        "CustomerRef.id",
        "Line[1].SalesItemLineDetail.Foo",
        "TxnTaxDetail.TaxLine[0].TaxLineDetail.Rate",
    ]


def test_inherited_properties_are_accepted() -> None:
    # Id/SyncToken come from IntuitEntity, DisplayName from NameBase, Balance from Customer.
    body = {"Id": "1", "SyncToken": "2", "DisplayName": "x", "Balance": 0, "sparse": True}
    assert unknown_properties("Customer", body) == []


def test_properties_of_other_entities_are_not_accepted() -> None:
    assert unknown_properties("Customer", {"DisplayName": "x", "VendorRef": REF}) == ["VendorRef"]
    assert unknown_properties("Vendor", {"DisplayName": "x", "Job": True}) == ["Job"]
    assert unknown_properties("Term", {"Name": "x", "DisplayName": "y"}) == ["DisplayName"]


def test_reference_accepts_value_name_and_type_only() -> None:
    ref = {"value": "30", "name": "Home Depot", "type": "Vendor", "Value": "x"}
    assert unknown_properties("Purchase", {"EntityRef": ref}) == ["EntityRef.Value"]


def test_line_detail_must_be_one_of_the_schema_choices() -> None:
    line = {"Amount": 1, "DetailType": "FancyLineDetail", "FancyLineDetail": {}}
    assert unknown_properties("Invoice", {"Line": [line]}) == ["Line[0].FancyLineDetail"]


def test_detail_fields_belong_to_their_detail_type() -> None:
    line = {"AccountBasedExpenseLineDetail": {"AccountRef": REF, "ItemRef": REF}}
    assert unknown_properties("Bill", {"Line": [line]}) == [
        "Line[0].AccountBasedExpenseLineDetail.ItemRef"
    ]


def test_object_given_for_a_simple_property_reports_its_keys() -> None:
    assert unknown_properties("Customer", {"DisplayName": {"text": "x"}}) == ["DisplayName.text"]


def test_extension_elements_accept_anything() -> None:
    body = {"DisplayName": "x", "CustomerEx": {"Anything": {"Goes": [1, 2]}}}
    assert unknown_properties("Customer", body) == []


def test_list_given_as_single_object_is_still_checked() -> None:
    body = {"Line": {"Amount": 1, "Nope": 2}}
    assert unknown_properties("Invoice", body) == ["Line.Nope"]


def test_unknown_entity_raises_key_error() -> None:
    with pytest.raises(KeyError):
        unknown_properties("Spaceship", {})


def test_entity_names_cover_the_entities_this_project_uses() -> None:
    names = entity_names()
    assert isinstance(names, frozenset)
    wanted = {
        "Customer", "Vendor", "Employee", "Item", "Account", "Class", "Term", "PaymentMethod",
        "Invoice", "TimeActivity", "Purchase", "PurchaseOrder", "Bill", "BillPayment",
        "TaxCode", "TaxRate", "CompanyInfo", "Preferences",
    }  # fmt: skip
    assert wanted <= names
    # Wrappers and the abstract head are not entities.
    assert not {"IntuitObject", "IntuitResponse", "Fault", "QueryResponse"} & names


def test_thirty_line_invoice_validates() -> None:
    """Its speed is part of the emulator benchmark's 30-item batch figure."""
    assert unknown_properties("Invoice", invoice(lines=30)) == []


def test_runtime_does_not_need_the_xsd_files() -> None:
    # The data file alone describes the schema: it names types, never file locations.
    text = schema.DATA_PATH.read_text()
    assert ".xsd" not in text
    assert "\n" not in text.rstrip("\n")  # compact, no pretty-printing


@pytest.mark.skipif(not XSD_DIR.is_dir(), reason="Intuit's XSD files are not available here")
def test_committed_data_matches_a_fresh_build(tmp_path: Path) -> None:
    built = schema.build(XSD_DIR)
    assert built == json.loads(schema.DATA_PATH.read_text())
    out = tmp_path / "schema.json"
    assert schema.main(["build", str(XSD_DIR), str(out)]) == 0
    assert json.loads(out.read_text()) == built


@pytest.mark.skipif(not XSD_DIR.is_dir(), reason="Intuit's XSD files are not available here")
def test_build_models_inheritance_choices_attributes_and_simple_content() -> None:
    types = schema.build(XSD_DIR)["types"]
    assert types["Customer"]["b"] == "NameBase"
    assert types["NameBase"]["b"] == "IntuitEntity"
    assert {"domain", "status", "sparse"} <= set(types["IntuitEntity"]["a"])
    assert types["ReferenceType"]["v"] == 1
    assert set(types["ReferenceType"]["a"]) == {"name", "type"}
    line = types["Line"]["e"]
    assert line["SalesItemLineDetail"] == ["SalesItemLineDetail", 0, 1]
    assert line["LinkedTxn"] == ["LinkedTxn", 1, 1]
    assert line["Amount"] == ["decimal", 0, 0]
    assert types["IntuitAnyType"].get("x") == 1


def test_main_without_arguments_prints_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert schema.main([]) == 2
    assert "usage" in capsys.readouterr().err
