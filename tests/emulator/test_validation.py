"""Validation faults: 2010, 2020, 2500, 610, 6240, 6000, 6070, 6140."""

from __future__ import annotations

from qbo_emulator.testing import RunningEmulator

from .conftest import Api, fault


def test_unknown_property_is_2010(api: Api) -> None:
    response = api.post("customer", {"DisplayName": "X", "FavouriteColour": "blue"})
    assert response.status_code == 400
    error = fault(response)
    assert error["code"] == "2010" and error["element"] == "FavouriteColour"
    assert error["Message"] == "Request has invalid or unsupported property"


def test_required_fields_are_2020(api: Api) -> None:
    assert fault(api.post("invoice", {"Line": []}))["code"] == "2020"
    assert fault(api.post("item", {"Type": "Service"}))["element"] == "Name"
    assert fault(api.post("term", {"Name": "Net 7"}))["code"] == "2020"
    assert fault(api.post("employee", {"DisplayName": "Only Display"}))["code"] == "2020"
    assert fault(api.post("account", {"Name": "No type"}))["element"] == "AccountType"


def test_missing_reference_is_2500_with_path(api: Api) -> None:
    customer = api.find("Customer", "Cool Cars")
    response = api.post(
        "invoice",
        {
            "CustomerRef": {"value": customer["Id"]},
            "Line": [
                {
                    "Amount": 5,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": "98765"}},
                }
            ],
        },
    )
    error = fault(response)
    assert error["code"] == "2500" and error["element"] == "Line.SalesItemLineDetail.ItemRef"


def test_inactive_reference_is_610(api: Api) -> None:
    customer = api.create("Customer", {"DisplayName": "Inactive Ref"})
    api.create(
        "Customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Active": False}
    )
    response = api.post(
        "invoice",
        {
            "CustomerRef": {"value": customer["Id"]},
            "Line": [
                {
                    "Amount": 5,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": api.find("Item", "Design")["Id"]}},
                }
            ],
        },
    )
    error = fault(response)
    assert error["code"] == "610" and error["element"] == "CustomerRef"


def test_display_name_unique_across_people(api: Api) -> None:
    api.create("Vendor", {"DisplayName": "Shared Name"})
    for entity, extra in (("customer", {}), ("employee", {"GivenName": "S"}), ("vendor", {})):
        response = api.post(entity, {"DisplayName": "shared name", **extra})
        assert fault(response)["code"] == "6240", entity
    inactive = api.create("Customer", {"DisplayName": "Was Here"})
    api.create(
        "Customer", {"Id": inactive["Id"], "SyncToken": "0", "sparse": True, "Active": False}
    )
    assert fault(api.post("vendor", {"DisplayName": "Was Here (deleted)"}))["code"] == "6240"


def test_names_unique_within_type(api: Api) -> None:
    income = api.find("Account", "Services")["Id"]
    assert (
        fault(
            api.post(
                "item", {"Name": "Design", "Type": "Service", "IncomeAccountRef": {"value": income}}
            )
        )["code"]
        == "6240"
    )
    assert fault(api.post("class", {"Name": "Remote"}))["code"] == "6240"
    assert fault(api.post("term", {"Name": "Net 30", "DueDays": 30}))["code"] == "6240"
    assert fault(api.post("paymentmethod", {"Name": "Cash"}))["code"] == "6240"
    assert (
        fault(api.post("account", {"Name": "Travel", "AccountType": "Expense"}))["code"] == "6240"
    )
    # Same name in another list is fine.
    api.create("Class", {"Name": "Design"})


def test_display_name_rules(api: Api) -> None:
    for bad in ("Colon: name", "Tab\tname", "New\nline"):
        assert fault(api.post("customer", {"DisplayName": bad}))["code"] == "6000"
    assert fault(api.post("customer", {"DisplayName": "x" * 101}))["code"] == "2050"
    assert fault(api.post("paymentmethod", {"Name": "p" * 32}))["code"] == "2050"
    assert (
        fault(api.post("account", {"Name": 'Bad "quote"', "AccountType": "Bank"}))["code"] == "6000"
    )


def test_amount_must_equal_qty_times_price(api: Api) -> None:
    customer = api.find("Customer", "Cool Cars")
    item = api.find("Item", "Design")

    def invoice(amount: str, qty: str, price: str) -> dict:
        return {
            "CustomerRef": {"value": customer["Id"]},
            "Line": [
                {
                    "Amount": amount,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {
                        "ItemRef": {"value": item["Id"]},
                        "Qty": qty,
                        "UnitPrice": price,
                    },
                }
            ],
        }

    assert fault(api.post("invoice", invoice("10.00", "3", "3.33")))["code"] == "6070"
    # 3 x 3.335 = 10.005 -> 10.01 (half-up)
    assert api.post("invoice", invoice("10.01", "3", "3.335")).status_code == 200
    assert fault(api.post("invoice", invoice("10.00", "3", "3.335")))["code"] == "6070"


def test_duplicate_docnumber_when_company_checks(emulator: RunningEmulator, api: Api) -> None:
    realm = api.company.realm_id
    emulator.control(
        "POST",
        f"companies/{realm}/preferences",
        {"custom_txn_numbers": True, "duplicate_docnumber_check": True},
    )
    customer = api.find("Customer", "Cool Cars")
    body = {
        "CustomerRef": {"value": customer["Id"]},
        "DocNumber": "INV-7",
        "Line": [
            {
                "Amount": 1,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": api.find("Item", "Design")["Id"]}},
            }
        ],
    }
    first = api.create("Invoice", body)
    assert first["DocNumber"] == "INV-7"
    assert fault(api.post("invoice", body))["code"] == "6140"
    emulator.control("POST", f"companies/{realm}/preferences", {"duplicate_docnumber_check": False})
    assert api.post("invoice", body).status_code == 200


def test_employee_and_timeactivity_rules(api: Api) -> None:
    employee = api.find("Employee", "Emily Platt")
    customer = api.find("Customer", "Cool Cars")
    base = {
        "NameOf": "Employee",
        "EmployeeRef": {"value": employee["Id"]},
        "Hours": 2,
        "Minutes": 30,
    }
    assert api.post("timeactivity", base).status_code == 200
    assert fault(api.post("timeactivity", {**base, "BillableStatus": "Billable"}))["code"] == "2020"
    billable = {**base, "BillableStatus": "Billable", "CustomerRef": {"value": customer["Id"]}}
    assert fault(api.post("timeactivity", billable))["element"] == "HourlyRate"
    assert api.post("timeactivity", {**billable, "HourlyRate": 80}).status_code == 200
    assert (
        fault(api.post("timeactivity", {"NameOf": "Vendor", "Hours": 1}))["element"] == "VendorRef"
    )
    assert (
        fault(
            api.post(
                "timeactivity", {"NameOf": "Employee", "EmployeeRef": {"value": employee["Id"]}}
            )
        )["code"]
        == "2020"
    )
    spans = {
        "NameOf": "Employee",
        "EmployeeRef": {"value": employee["Id"]},
        "StartTime": "2024-05-01T09:00:00-07:00",
        "EndTime": "2024-05-01T11:00:00-07:00",
    }
    assert api.post("timeactivity", spans).status_code == 200


def test_tax_lists_are_read_only(api: Api) -> None:
    assert fault(api.post("taxcode", {"Name": "New"}))["code"] == "500"
    assert api.get("taxcode/TAX").json()["TaxCode"]["Id"] == "TAX"
    assert api.get("taxrate/1").json()["TaxRate"]["RateValue"] == 8.25
