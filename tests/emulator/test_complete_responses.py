"""Answers carry the fields the real service adds by default, with its default values."""

from __future__ import annotations

from decimal import Decimal

from .conftest import Api


def test_customer_defaults(api: Api) -> None:
    customer = api.create("Customer", {"DisplayName": "Complete Customer"})
    expected = {
        "Balance": 0,
        "BalanceWithJobs": 0,
        "BillWithParent": False,
        "Job": False,
        "Taxable": True,
        "PreferredDeliveryMethod": "Print",
        "PrintOnCheckName": "Complete Customer",
        "FullyQualifiedName": "Complete Customer",
        "Active": True,
    }
    assert expected.items() <= customer.items()
    assert customer["CurrencyRef"] == {"value": "USD", "name": "United States Dollar"}
    exempt = api.create("Customer", {"DisplayName": "Exempt Church", "TaxExemptionReasonId": 6})
    assert exempt["Taxable"] is False
    chosen = api.create(
        "Customer", {"DisplayName": "Emailed", "PreferredDeliveryMethod": "Email"}
    )
    assert chosen["PreferredDeliveryMethod"] == "Email"


def test_job_bills_with_parent_when_asked(api: Api) -> None:
    parent = api.find("Customer", "Freeman Sporting Goods")
    job = api.create(
        "Customer",
        {
            "DisplayName": "Freeman Annex",
            "ParentRef": {"value": parent["Id"]},
            "BillWithParent": True,
        },
    )
    assert job["Job"] is True and job["BillWithParent"] is True and job["Level"] == 1


def test_vendor_and_employee_defaults(api: Api) -> None:
    vendor = api.create("Vendor", {"DisplayName": "Complete Supplies"})
    assert {"Balance": 0, "Vendor1099": False, "PrintOnCheckName": "Complete Supplies"}.items() \
        <= vendor.items()
    assert vendor["CurrencyRef"]["value"] == "USD"
    employee = api.create("Employee", {"GivenName": "Ada", "FamilyName": "Quill"})
    assert {"BillableTime": False, "DisplayName": "Ada Quill", "PrintOnCheckName": "Ada Quill"} \
        .items() <= employee.items()


def _invoice(api: Api, customer_id: str) -> dict:
    item = api.find("Item", "Design")["Id"]
    return api.create(
        "Invoice",
        {
            "CustomerRef": {"value": customer_id},
            "Line": [
                {
                    "Amount": 150,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": item}, "Qty": 2, "UnitPrice": 75},
                }
            ],
        },
    )


def test_invoice_defaults(api: Api) -> None:
    invoice = _invoice(api, api.find("Customer", "Amy's Bird Sanctuary")["Id"])
    expected = {
        "ApplyTaxAfterDiscount": False,
        "PrintStatus": "NeedToPrint",
        "EmailStatus": "NotSet",
        "Deposit": 0,
        "LinkedTxn": [],
        "AllowOnlinePayment": False,
        "AllowOnlineCreditCardPayment": False,
        "AllowOnlineACHPayment": False,
        "AllowIPNPayment": False,
    }
    assert expected.items() <= invoice.items()
    assert Decimal(str(invoice["Balance"])) == Decimal(str(invoice["TotalAmt"])) == Decimal("150")
    assert "TotalTax" in invoice["TxnTaxDetail"]
    emailed = api.create(
        "Customer", {"DisplayName": "By Email", "PreferredDeliveryMethod": "Email"}
    )
    assert _invoice(api, emailed["Id"])["PrintStatus"] == "NotSet"


def test_item_and_bill_defaults(api: Api) -> None:
    income = api.find("Account", "Services")["Id"]
    item = api.create("Item", {"Name": "Complete Item", "IncomeAccountRef": {"value": income}})
    assert {"Type": "Service", "Taxable": False, "TrackQtyOnHand": False, "UnitPrice": 0,
            "PurchaseCost": 0}.items() <= item.items()
    expense = api.find("Account", "Office Expenses")["Id"]
    bill = api.create(
        "Bill",
        {
            "VendorRef": {"value": api.find("Vendor", "Hicks Hardware")["Id"]},
            "TxnDate": "2026-11-02",
            "Line": [
                {
                    "Amount": 12,
                    "DetailType": "AccountBasedExpenseLineDetail",
                    "AccountBasedExpenseLineDetail": {"AccountRef": {"value": expense}},
                }
            ],
        },
    )
    assert bill["APAccountRef"]["name"] == "Accounts Payable (A/P)"
    assert bill["DueDate"] == "2026-11-02"


def test_a_read_answer_can_be_sent_back_as_a_full_update(api: Api) -> None:
    customer = api.create("Customer", {"DisplayName": "Round Trip"})
    again = api.post("customer", {**customer, "Notes": "kept"})
    assert again.status_code == 200, again.text
    assert again.json()["Customer"]["Notes"] == "kept"
    assert again.json()["Customer"]["BalanceWithJobs"] == 0
