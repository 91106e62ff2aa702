"""Purchase orders, bills linked to them, bill payments, expenses."""

from __future__ import annotations

from .conftest import Api, fault


def _po(api: Api, vendor_id: str, amounts: list[int]) -> dict:
    expense = api.find("Account", "Cost of Labor")["Id"]
    return api.create(
        "PurchaseOrder",
        {
            "VendorRef": {"value": vendor_id},
            "APAccountRef": {"value": api.find("Account", "Accounts Payable (A/P)")["Id"]},
            "Line": [
                {
                    "Amount": amount,
                    "DetailType": "AccountBasedExpenseLineDetail",
                    "AccountBasedExpenseLineDetail": {"AccountRef": {"value": expense}},
                }
                for amount in amounts
            ],
        },
    )


def _bill_line(api: Api, amount: int, links: list[dict] | None = None) -> dict:
    line = {
        "Amount": amount,
        "DetailType": "AccountBasedExpenseLineDetail",
        "AccountBasedExpenseLineDetail": {
            "AccountRef": {"value": api.find("Account", "Cost of Labor")["Id"]}
        },
    }
    if links:
        line["LinkedTxn"] = links
    return line


def test_bill_from_po_closes_it(api: Api) -> None:
    vendor = api.find("Vendor", "Hicks Hardware")["Id"]
    po = _po(api, vendor, [100, 50])
    assert po["POStatus"] == "Open" and po["DocNumber"]
    first = api.create(
        "Bill",
        {
            "VendorRef": {"value": vendor},
            "LinkedTxn": [{"TxnId": po["Id"], "TxnType": "PurchaseOrder"}],
            "Line": [
                _bill_line(
                    api, 100, [{"TxnId": po["Id"], "TxnType": "PurchaseOrder", "TxnLineId": "1"}]
                )
            ],
        },
    )
    assert first["LinkedTxn"] == [{"TxnId": po["Id"], "TxnType": "PurchaseOrder"}]
    assert api.get(f"purchaseorder/{po['Id']}").json()["PurchaseOrder"]["POStatus"] == "Open"
    api.create(
        "Bill",
        {
            "VendorRef": {"value": vendor},
            "LinkedTxn": [{"TxnId": po["Id"], "TxnType": "PurchaseOrder"}],
            "Line": [
                _bill_line(
                    api, 50, [{"TxnId": po["Id"], "TxnType": "PurchaseOrder", "TxnLineId": "2"}]
                )
            ],
        },
    )
    closed = api.get(f"purchaseorder/{po['Id']}").json()["PurchaseOrder"]
    assert closed["POStatus"] == "Closed"
    assert [link["TxnType"] for link in closed["LinkedTxn"]] == ["Bill", "Bill"]


def test_invalid_links_are_dropped_silently(api: Api) -> None:
    vendor = api.find("Vendor", "Hicks Hardware")["Id"]
    other_vendor = api.find("Vendor", "PG&E")["Id"]
    po = _po(api, other_vendor, [10])
    bill = api.create(
        "Bill",
        {
            "VendorRef": {"value": vendor},
            "LinkedTxn": [
                {"TxnId": po["Id"], "TxnType": "PurchaseOrder"},
                {"TxnId": "99999", "TxnType": "PurchaseOrder"},
            ],
            "Line": [
                _bill_line(
                    api, 10, [{"TxnId": po["Id"], "TxnType": "PurchaseOrder", "TxnLineId": "1"}]
                )
            ],
        },
    )
    assert "LinkedTxn" not in bill and "LinkedTxn" not in bill["Line"][0]
    assert api.get(f"purchaseorder/{po['Id']}").json()["PurchaseOrder"]["POStatus"] == "Open"


def test_sparse_close_and_read_only_linked_txn(api: Api) -> None:
    vendor = api.find("Vendor", "Hicks Hardware")["Id"]
    po = _po(api, vendor, [10])
    closed = api.create(
        "PurchaseOrder",
        {
            "Id": po["Id"],
            "SyncToken": po["SyncToken"],
            "sparse": True,
            "POStatus": "Closed",
            "LinkedTxn": [{"TxnId": "1", "TxnType": "Bill"}],
        },
    )
    assert closed["POStatus"] == "Closed" and "LinkedTxn" not in closed


def test_bill_payment_reduces_balance(api: Api) -> None:
    vendor = api.find("Vendor", "Hicks Hardware")["Id"]
    bill = api.create("Bill", {"VendorRef": {"value": vendor}, "Line": [_bill_line(api, 300)]})
    assert bill["Balance"] == 300
    bank = api.find("Account", "Checking")["Id"]
    payment = api.create(
        "BillPayment",
        {
            "VendorRef": {"value": vendor},
            "PayType": "Check",
            "TotalAmt": 120,
            "CheckPayment": {"BankAccountRef": {"value": bank}},
            "Line": [{"Amount": 120, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}],
        },
    )
    assert api.get(f"bill/{bill['Id']}").json()["Bill"]["Balance"] == 180
    too_much = api.post(
        "billpayment",
        {
            "VendorRef": {"value": vendor},
            "PayType": "Check",
            "TotalAmt": 500,
            "CheckPayment": {"BankAccountRef": {"value": bank}},
            "Line": [{"Amount": 500, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}],
        },
    )
    assert fault(too_much)["code"] == "6000"
    api.post(
        "billpayment", {"Id": payment["Id"], "SyncToken": payment["SyncToken"]}, operation="void"
    )
    assert api.get(f"bill/{bill['Id']}").json()["Bill"]["Balance"] == 300


def test_purchase_expense(api: Api) -> None:
    card = api.find("Account", "Visa")["Id"]
    bank = api.find("Account", "Checking")["Id"]
    customer = api.find("Customer", "Cool Cars")["Id"]
    line = {
        "Amount": "42.50",
        "DetailType": "AccountBasedExpenseLineDetail",
        "AccountBasedExpenseLineDetail": {
            "AccountRef": {"value": api.find("Account", "Travel")["Id"]},
            "BillableStatus": "Billable",
            "CustomerRef": {"value": customer},
        },
    }
    purchase = api.create(
        "Purchase", {"PaymentType": "CreditCard", "AccountRef": {"value": card}, "Line": [line]}
    )
    assert purchase["TotalAmt"] == 42.5
    wrong = api.post(
        "purchase", {"PaymentType": "CreditCard", "AccountRef": {"value": bank}, "Line": [line]}
    )
    assert fault(wrong)["code"] == "6000"
    assert (
        fault(api.post("purchase", {"AccountRef": {"value": bank}, "Line": [line]}))["element"]
        == "PaymentType"
    )
    unbilled = {
        **line,
        "AccountBasedExpenseLineDetail": {
            "AccountRef": line["AccountBasedExpenseLineDetail"]["AccountRef"],
            "BillableStatus": "Billable",
        },
    }
    response = api.post(
        "purchase", {"PaymentType": "Cash", "AccountRef": {"value": bank}, "Line": [unbilled]}
    )
    assert fault(response)["code"] == "2020"
